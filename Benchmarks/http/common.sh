# Sourced by the HTTP benchmark scripts (http.sh, pages.sh).
# wait_up PORT: until /health answers (30 s at most).
wait_up() { for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
# hwm PID: the process's peak RSS (VmHWM) in MiB.
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# summary WRK_OUTPUT: "req/s p50 p99 non-2xx socket" (milliseconds; socket is "ok" or "socket-errors").
summary() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % label, text, re.M)
    if not m: return float("nan")
    v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: (.*)", text)
print("%.0f %.2f %.2f %s %s" % (rps, ms("50"), ms("99"), errors.group(1) if errors else "0", "socket-errors" if socket else "ok"))
PY
}
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
# prepend_results TABLE: puts TABLE first under RESULTS.md's introduction.
prepend_results() {
    python3 - "$1" <<'PY'
import sys
path = "Benchmarks/RESULTS.md"
text = open(path).read()
marker = "\n## "
head, _, rest = text.partition(marker)
open(path, "w").write(head.rstrip() + "\n\n" + sys.argv[1] + "\n" + (marker + rest if rest else ""))
PY
}
