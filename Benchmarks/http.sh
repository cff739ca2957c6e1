#!/usr/bin/env bash
# HTTP benchmarks (issue #4), release build, each beside a reference measured the same way in the same run:
#   1. GET /api/v1/documents/{number} over random numbers of the 1M-document store (wrk -t2 -c32), beside the bare
#      Hummingbird + SQLite lookup route of `diarium-bench http-baseline` and the server's own /health.
#   2. Concurrent uploads of 4 KiB documents, 16 connections (wrk POST multipart), beside smallfile.c mode a.
#   3. Search over HTTP (the 100 queries of queries.json, one connection) beside the library (`diarium-bench query`).
#   Server RSS (VmHWM) after each.
# Usage: Benchmarks/http.sh [SECONDS]   (needs Benchmarks/work-search/store from search.sh, or STORE=path)
# Work files: Benchmarks/work-http/ (gitignored). Prepends a table to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=$(cd .. && pwd)/shared
seconds=${1:-10}
work=$root/Benchmarks/work-http
store=${STORE:-$root/Benchmarks/work-search/store}
mkdir -p "$work"
# Deleted first, the lookup, search and baseline runs (2–3 minutes) before the uploads: ext4 without a journal (this
# machine's disk) skips inodes freed in the last minute or so on every file creation, so uploads right after deleting
# the last run's store (kept until now for inspection) would measure that.
rm -rf "$work"/upload-store* "$work/sf"; sync
[ -d "$store" ] || { echo "http.sh: no store at $store (run Benchmarks/search.sh first, or set STORE)" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

swift build -c release --product diarium >&2
swift build -c release --product diarium-bench >&2
bin=$(swift build -c release --show-bin-path)
diarium="$bin/diarium"

port=18181; bport=18282
source Benchmarks/http/common.sh

# --- users and tokens (idempotent) ---
"$diarium" user add bench-clerk --role clerk --department KS --store "$store" >/dev/null 2>&1 || true
"$diarium" user add bench-archivist --role archivist --store "$store" >/dev/null 2>&1 || true
clerk=$("$diarium" token create bench-clerk --store "$store" 2>/dev/null)
archivist=$("$diarium" token create bench-archivist --store "$store" 2>/dev/null)

# --- 20,000 random documents: API paths and the baseline's ids ---
sqlite3 "$store/catalog.sqlite" "SELECT d.id, c.series||' '||c.year||'/'||c.serial||'-'||d.ordinal FROM documents d JOIN cases c ON c.id = d.case_id ORDER BY random() LIMIT 20000" \
    | python3 -c '
import sys, urllib.parse
api = open(sys.argv[1], "w"); base = open(sys.argv[2], "w")
for line in sys.stdin:
    id_, number = line.rstrip("\n").split("|", 1)
    api.write("/api/v1/documents/" + urllib.parse.quote(number, safe="") + "\n"); base.write("/doc/" + id_ + "\n")
' "$work/api-paths.txt" "$work/base-paths.txt"
ndocs=$(sqlite3 "$store/catalog.sqlite" "SELECT count(*) FROM documents")

# --- 1. lookups ---
# The catalog (GBs at 1M documents) is read into the page cache first: a cold first run measures the disk, not the server.
cat "$store"/catalog.sqlite* > /dev/null
"$diarium" serve --store "$store" --port $port 2>/dev/null & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_up $port
rss_idle=$(hwm $server)
wrk -t2 -c32 -d"${seconds}s" --latency "http://127.0.0.1:$port/health" > "$work/health.txt"
TOKEN=$clerk wrk -t2 -c32 -d"${seconds}s" --latency -s Benchmarks/http/get_document.lua "http://127.0.0.1:$port" -- "$work/api-paths.txt" > "$work/doc.txt"
rss_doc=$(hwm $server)

# --- 3. search (before uploads grow the store) ---
python3 Benchmarks/http/search.py $port "$archivist" "$shared/bench/queries.json" 3 > "$work/search-http.txt"
rss_search=$(hwm $server)
kill -TERM $server; wait $server || true

"$bin/diarium-bench" query "$store" "$shared/bench/queries.json" 3 > "$work/search-lib.txt"

"$bin/diarium-bench" http-baseline "$store" $bport 2>/dev/null & baseline=$!
trap 'kill $baseline 2>/dev/null || true' EXIT
wait_up $bport
wrk -t2 -c32 -d"${seconds}s" --latency "http://127.0.0.1:$bport/health" > "$work/base-health.txt"
wrk -t2 -c32 -d"${seconds}s" --latency -s Benchmarks/http/get_document.lua "http://127.0.0.1:$bport" -- "$work/base-paths.txt" > "$work/base-doc.txt"
kill -TERM $baseline; wait $baseline || true

# --- 2. uploads into a fresh store ---
up=$work/upload-store-$$
"$diarium" init --store "$up" >/dev/null
"$diarium" series add KS --name Bench --store "$up" >/dev/null
case_number=$("$diarium" case open --series KS --title Bench --store "$up")
"$diarium" user add clerk --role clerk --department KS --store "$up" >/dev/null
uptoken=$("$diarium" token create clerk --store "$up" 2>/dev/null)
"$diarium" serve --store "$up" --port $port 2>/dev/null & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_up $port
TOKEN=$uptoken CASE=$case_number wrk -t2 -c16 -d"${seconds}s" --latency -s Benchmarks/http/upload.lua "http://127.0.0.1:$port" > "$work/upload.txt"
rss_upload=$(hwm $server)
# One 1 GiB document up (multipart, then chunked as a new version) and down: RSS must stay flat.
[ -f "$work/big.bin" ] || head -c $((1 << 30)) /dev/urandom > "$work/big.bin"
printf '{"case":"%s","title":"Stor fil","recordType":"report"}' "$case_number" > "$work/meta.json"
big_up=$( { /usr/bin/time -f %e curl -sf -o "$work/big-up.json" -H "Authorization: Bearer $uptoken" \
    -F metadata=@"$work/meta.json" -F file=@"$work/big.bin" "http://127.0.0.1:$port/api/v1/documents"; } 2>&1 )
big_path=$(python3 -c 'import json,sys,urllib.parse; print("/api/v1/documents/" + urllib.parse.quote(json.load(open(sys.argv[1]))["number"], safe=""))' "$work/big-up.json")
big_chunked=$( { /usr/bin/time -f %e curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $uptoken" -H 'If-Match: "v1"' \
    -H "Transfer-Encoding: chunked" -H "Content-Type: application/octet-stream" -T "$work/big.bin" \
    "http://127.0.0.1:$port$big_path/content?filename=big.bin"; } 2>&1 )
big_down=$( { /usr/bin/time -f %e curl -sf -o "$work/big-down.bin" -H "Authorization: Bearer $uptoken" "http://127.0.0.1:$port$big_path/content"; } 2>&1 )
cmp -s "$work/big.bin" "$work/big-down.bin" && big_same=identical || big_same=DIFFERENT
rm -f "$work/big-down.bin"
rss_big=$(hwm $server)
kill -TERM $server; wait $server || true
uploaded=$(sqlite3 "$up/catalog.sqlite" "SELECT count(*) FROM documents")
"$diarium" verify --store "$up" >/dev/null && verified=ok || verified=FAILED

cc -O2 -o "$work/smallfile" "$shared/bench/smallfile.c"
"$work/smallfile" a "$work/sf" 2000 4096 > "$work/smallfile-a.txt"
sf=$(sed -E 's/.*files_per_s=([0-9]+).*/\1/' "$work/smallfile-a.txt")

read -r h_rps h_p50 h_p99 _ _ < <(summary "$work/health.txt")
read -r d_rps d_p50 d_p99 d_err d_sock < <(summary "$work/doc.txt")
read -r bh_rps _ _ _ _ < <(summary "$work/base-health.txt")
read -r b_rps b_p50 b_p99 _ _ < <(summary "$work/base-doc.txt")
read -r u_rps u_p50 u_p99 u_err u_sock < <(summary "$work/upload.txt")
lib_p99=$(sed -nE 's/^ALL100 .*p99=([0-9.]+).*/\1/p' "$work/search-lib.txt")
http_p99=$(sed -nE 's/^ALL100 .*p99=([0-9.]+).*/\1/p' "$work/search-http.txt")

table=$(cat <<TABLE
## HTTP ($(date -u +%Y-%m-%dT%H:%MZ), ${ndocs} documents, wrk ${seconds} s, release build)

| measure | Diarium | reference (same run) | ratio | target |
|---|---|---|---|---|
| GET /api/v1/documents/{n}, 32 conn | ${d_rps} req/s, p50 ${d_p50} ms, p99 ${d_p99} ms, non-2xx ${d_err} | bare Hummingbird + SQLite route ${b_rps} req/s (p99 ${b_p99} ms) | $(ratio $d_rps $b_rps) | ≥ 0.70, p99 ≤ 5 ms |
| /health, 32 conn | ${h_rps} req/s | baseline's /health ${bh_rps} req/s | $(ratio $h_rps $bh_rps) | (reference) |
| uploads, 4 KiB, 16 conn | ${u_rps} docs/s, p50 ${u_p50} ms, p99 ${u_p99} ms, non-2xx ${u_err}, ${uploaded} stored, verify ${verified} | smallfile.c mode a ${sf} files/s | $(ratio $u_rps $sf) | ≥ 1.0, p99 ≤ 25 ms, no errors |
| search p99 (100 queries, per-query medians) | HTTP ${http_p99} ms | library ${lib_p99} ms | $(python3 -c "print('%+.1f' % ($http_p99 - $lib_p99))") ms | ≤ library + 5 ms |
| 1 GiB document | multipart up ${big_up} s, chunked PUT ${big_chunked} s, down ${big_down} s, bytes ${big_same} | | | RSS ≤ 150 MiB |
| server RSS (VmHWM) | idle ${rss_idle} MiB, after lookups ${rss_doc} MiB, after search ${rss_search} MiB, small uploads ${rss_upload} MiB, after 1 GiB up/down ${rss_big} MiB | | | ≤ 150 MiB |
TABLE
)
echo "$table"
prepend_results "$table"
