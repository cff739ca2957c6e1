#!/usr/bin/env bash
# within.sh SECONDS LABEL COMMAND [ARG...]
#
# Runs COMMAND. When it has not ended after SECONDS, says so, shows what each of its processes was doing (every
# thread's stack through gdb, when gdb is there) and ends them all: a step that hangs fails CI within its own budget,
# naming itself and where it stood, instead of running silently into CI's time limit (which reports nothing).
# DIARIUM_WITHIN_LOG=FILE adds the tests FILE (a `swift test` log) shows as started and not yet finished.
# Exit status: COMMAND's, or 124 when it ran out of time.
set -uo pipefail
limit="$1" label="$2"
shift 2

# The command in a process group of its own, so that ending it ends everything it started.
set -m
"$@" &
pid=$!
set +m
# Stopped from outside (Ctrl-C, CI ending the job): the command goes too, not only this script.
trap 'kill -TERM -- "-$pid" 2>/dev/null; sleep 2; kill -KILL -- "-$pid" 2>/dev/null; exit 143' INT TERM HUP

descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

report() {
    echo "within: $label did not end within $limit s; what its processes were doing:" >&2
    local processes
    processes="$pid $(descendants "$pid" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # a list of process ids
    # shellcheck disable=SC2086 # a list of process ids
    ps -o pid,ppid,etime,time,stat,args -p "$(echo $processes | tr ' ' ',')" >&2 || true
    if [ -n "${DIARIUM_WITHIN_LOG:-}" ] && [ -f "$DIARIUM_WITHIN_LOG" ]; then
        echo "within: tests started and not finished:" >&2
        # Swift Testing's lines: `◇ Test NAME started.`, then `✔ Test NAME passed after …` or `✘ Test NAME failed after …`.
        # (Alternation, not a bracket expression: mawk reads bytes, and each symbol is three of them.)
        awk '/^◇ Test .* started\.$/ && !/^◇ Test case passing/ { name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ started\.$/, "", name); open[name] = 1 }
             /^(✔|✘) Test .* (passed|failed)/ { name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ (passed|failed) .*$/, "", name); delete open[name] }
             END { for (name in open) print "  " name }' "$DIARIUM_WITHIN_LOG" >&2
    fi
    if command -v gdb >/dev/null; then
        local process
        for process in $processes; do
            kill -0 "$process" 2>/dev/null || continue
            echo "within: threads of $process ($(tr '\0' ' ' < "/proc/$process/cmdline" 2>/dev/null | cut -c1-160)):" >&2
            timeout 120 gdb -p "$process" -batch -nx -ex "set pagination off" -ex "thread apply all bt 40" 2>&1 \
                | grep -E '^(Thread|#)' | head -n 1500 >&2
        done
    else
        echo "within: (no gdb here to show the threads' stacks)" >&2
    fi
}

deadline=$((SECONDS + limit))
while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
        report
        # Every process it started, by ancestry: a child may have left the process group (swift test's runner does).
        # shellcheck disable=SC2046 # a list of process ids
        stuck="$pid $(descendants "$pid" | tr '\n' ' ')"
        kill -TERM -- "-$pid" 2>/dev/null
        sleep 5
        # shellcheck disable=SC2086
        kill -KILL -- "-$pid" $stuck 2>/dev/null
        wait "$pid" 2>/dev/null
        exit 124
    fi
    sleep 2
done
wait "$pid"
status=$?
# Whatever it left running in its group (a server it started, say) does not outlive it.
kill -KILL -- "-$pid" 2>/dev/null
exit "$status"
