#!/usr/bin/env bash
# The public diarium's pages (release build), each beside its JSON twin under /public/v1, which makes the same
# service call, measured the same way in the same run (wrk -t2 -c8, SECONDS each, one server):
#   register: GET /diarium                     vs /public/v1/diarium (the first page, 50 entries)
#   entry:    GET /diarium/handlingar/{number} vs /public/v1/documents/{number}, random numbers
#   search:   GET /diarium/sok?q=              vs /public/v1/search?q=, the 100 queries of queries.json at random
#             (both with snippets and facets, 20 hits)
# The ratio (page / JSON requests per second) is what writing HTML costs over writing JSON; server RSS after.
# Usage: Benchmarks/pages.sh [SECONDS] [N]   (defaults 10 and 100,000 corpus documents, ingested through the library
# once and kept in Benchmarks/work-pages/, gitignored). Prepends a table to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-10}
n=${2:-100000}
work=$root/Benchmarks/work-pages
shared=$root/../shared/bench
mkdir -p "$work"
scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
source Benchmarks/corpus.sh
source Benchmarks/http/common.sh
corpus=$(corpus "$n" "$work")
swift build -c release --product diarium-bench >&2
swift build -c release --product diarium >&2
bin=$(swift build -c release --show-bin-path)
store=$work/store-$n
[ -d "$store" ] || "$bin/diarium-bench" ingest "$corpus" "$store" 1000 >&2

# Paths: 20,000 random documents, and the query set, each as a page and as JSON.
sqlite3 "$store/catalog.sqlite" "SELECT c.series||' '||c.year||'/'||c.serial||'-'||d.ordinal FROM documents d JOIN cases c ON c.id = d.case_id ORDER BY random() LIMIT 20000" \
    | python3 -c '
import sys, urllib.parse
page = open(sys.argv[1], "w"); api = open(sys.argv[2], "w")
for line in sys.stdin:
    number = urllib.parse.quote(line.rstrip("\n"), safe="")
    page.write("/diarium/handlingar/" + number + "\n"); api.write("/public/v1/documents/" + number + "\n")
' "$work/entry-page.txt" "$work/entry-api.txt"
python3 - "$shared/queries.json" "$work/search-page.txt" "$work/search-api.txt" <<'PY'
import json, sys, urllib.parse
sets = json.load(open(sys.argv[1]))
queries = [q for name in ["single", "two", "phrase", "prefix"] for q in sets[name]]
with open(sys.argv[2], "w") as page, open(sys.argv[3], "w") as api:
    for q in queries:
        page.write("/diarium/sok?" + urllib.parse.urlencode({"q": q}) + "\n")
        api.write("/public/v1/search?" + urllib.parse.urlencode({"q": q, "limit": "20"}) + "\n")
PY
echo /diarium > "$work/register-page.txt"
echo /public/v1/diarium > "$work/register-api.txt"

port=18383
cat "$store"/catalog.sqlite* > /dev/null
"$bin/diarium" serve --store "$store" --port $port 2>/dev/null & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_up $port
rows=""
for kind in register entry search; do
    for side in api page; do   # one warm-up pass of each, then the measured one
        wrk -t2 -c8 -d2s -s Benchmarks/http/get_document.lua "http://127.0.0.1:$port" -- "$work/$kind-$side.txt" > /dev/null
        wrk -t2 -c8 -d"${seconds}s" --latency -s Benchmarks/http/get_document.lua "http://127.0.0.1:$port" -- "$work/$kind-$side.txt" > "$work/$kind-$side.wrk"
    done
    read -r a_rps a_p50 a_p99 a_err _ < <(summary "$work/$kind-api.wrk")
    read -r p_rps p_p50 p_p99 p_err _ < <(summary "$work/$kind-page.wrk")
    rows+="| $kind | ${p_rps} req/s, p50 ${p_p50} ms, p99 ${p_p99} ms, non-2xx ${p_err} | ${a_rps} req/s, p50 ${a_p50} ms, p99 ${a_p99} ms, non-2xx ${a_err} | $(ratio $p_rps $a_rps) |"$'\n'
done
rss=$(hwm $server)
kill -TERM $server; wait $server || true
ndocs=$(sqlite3 "$store/catalog.sqlite" "SELECT count(*) FROM documents")

table=$(cat <<TABLE
## Public pages beside their JSON ($(date -u +%Y-%m-%dT%H:%MZ), ${ndocs} documents, wrk -t2 -c8 ${seconds} s, release build)

| route | page (text/html) | JSON twin (/public/v1) | ratio |
|---|---|---|---|
${rows}
Server RSS (VmHWM) after all six runs: ${rss} MiB.
TABLE
)
echo "$table"
prepend_results "$table"
