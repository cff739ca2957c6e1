#!/usr/bin/env bash
# Search benchmark (issue: metadata indexing and full-text search), release build, beside the raw-SQLite
# baseline on the same text in the same run:
#   - a store of N documents (default 1,000,000) from ../shared/bench/gen_corpus.py, ingested through the library
#   - the query set ../shared/bench/queries.json through RecordsService.search (diarium-bench) and through raw
#     SQLite FTS5 (../shared/bench/fts_query.py --order rank) on a database with the same FTS5 options (SQLite's
#     unicode61, which Diarium's connections wrap in their own, tokenizer.c, folding the Turkish İ and ı)
#   - full index rebuild (`diarium index rebuild`) vs raw FTS5 'rebuild', with peak RSS
#   - CLI ingest of 10,000 corpus documents with indexing vs the foundation build (before search) on the same files
# Usage: Benchmarks/search.sh [N] [PASSES]   Results are prepended to Benchmarks/RESULTS.md.
# The corpus and stores stay in Benchmarks/work-search/ (gitignored; ~10 GB at 1M) so reruns skip generation;
# WORK=DIR uses another directory (e.g. a small N for a trial run that leaves the 1M store alone).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
passes=${2:-3}
root=$PWD
shared=$root/../shared/bench
work=${WORK:-$root/Benchmarks/work-search}
mkdir -p "$work/data"
scripts/setup.sh
source Benchmarks/corpus.sh
corpus=$(corpus "$n" "$work")
swift build -c release --product diarium-bench >/dev/null
swift build -c release --product diarium >/dev/null
bin=$root/.build/release
t() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@"; }

echo "raw baseline database" >&2
rm -f "$work/raw.sqlite"*
python3 Benchmarks/raw_fts.py load "$corpus" "$work/raw.sqlite" >/dev/null

echo "ingesting $n documents into Diarium" >&2
if [ -d "$work/store" ]; then
    rm -rf "$work/store"
    sleep 300   # a million deleted files would slow the ingest's own file creation (see the CLI ingest below)
fi
# Cases in turn in two series, so that a clerk's view (cleared for KS) has both its arms, as with two departments.
DIARIUM_BENCH_SERIES=KS,SN t "$bin/diarium-bench" ingest "$corpus" "$work/store" 1000 > "$work/ingest.txt"
ingest_rate=$(sed -n 's/.*docs_per_s=\([0-9]*\).*/\1/p' "$work/ingest.txt")
ingest_secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$work/ingest.txt")

echo "queries ($passes passes)" >&2
# The target rows compare like with like: hits only on both sides (fts_query.py computes no snippets by default);
# snippets are measured on both sides too, in their own row.
(cd "$work" && python3 "$shared/fts_query.py" "$work/raw.sqlite" "$passes" "$shared/queries.json" --order rank) > "$work/raw-query.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" --no-snippets > "$work/lib-query.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" > "$work/lib-query-snippets.txt"
(cd "$work" && python3 "$shared/fts_query.py" "$work/raw.sqlite" "$passes" "$shared/queries.json" --order rank --snippet) > "$work/raw-query-snippets.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" --facets > "$work/lib-query-facets.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" --public > "$work/lib-query-public.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" --cleared KS > "$work/lib-query-cleared.txt"

echo "optimized: both indexes merged into one segment, queried again" >&2
# As an operator would after a bulk load (`diarium index optimize`); raw gets FTS5's 'optimize', so both compare alike.
t "$bin/diarium" index optimize --store "$work/store" > "$work/optimize.txt"
our_optimize=$(cut -d' ' -f1 "$work/time.txt"); our_optimize_rss=$(cut -d' ' -f2 "$work/time.txt")
t sqlite3 "$work/raw.sqlite" "INSERT INTO fts(fts) VALUES('optimize')"
raw_optimize=$(cut -d' ' -f1 "$work/time.txt")
(cd "$work" && python3 "$shared/fts_query.py" "$work/raw.sqlite" "$passes" "$shared/queries.json" --order rank) > "$work/raw-query-opt.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" --no-snippets > "$work/lib-query-opt.txt"
"$bin/diarium-bench" query "$work/store" "$shared/queries.json" "$passes" > "$work/lib-query-snippets-opt.txt"

echo "rebuilds" >&2
t python3 Benchmarks/raw_fts.py rebuild "$work/raw.sqlite" > "$work/raw-rebuild.txt"
raw_rebuild=$(sed -n 's/rebuild_seconds=//p' "$work/raw-rebuild.txt")
raw_rebuild_rss=$(cut -d' ' -f2 "$work/time.txt")
t "$bin/diarium" index rebuild --store "$work/store" >/dev/null
our_rebuild=$(cut -d' ' -f1 "$work/time.txt")
our_rebuild_rss=$(cut -d' ' -f2 "$work/time.txt")

echo "CLI ingest of 10,000 corpus documents: this build vs the foundation build" >&2
foundation_rev=d7382cf
if [ ! -x "$work/foundation/.build/release/diarium" ]; then
    rm -rf "$work/foundation"
    git worktree prune
    git worktree add -f --detach "$work/foundation" "$foundation_rev" >/dev/null
    (cd "$work/foundation" && swift build -c release --product diarium >/dev/null)
fi
# ext4 without a journal (this machine's disk) skips inodes freed in the last few minutes on every file creation,
# scanning past each of them: a run right after 10,000 deletions creates its files several times slower. So nothing is
# deleted between the runs below: the files are made once, each run gets a store of its own, all removed at the end.
deleted=$(find "$work" -maxdepth 1 -name 'cli-store*' | wc -l)
rm -rf "$work"/cli-store*   # left by an interrupted run
files_n=$(( n < 10000 ? n : 10000 ))
if [ "$(find "$work" -path "$work/files/doc-*.txt" | wc -l)" != "$files_n" ]; then
    [ -d "$work/files" ] && deleted=1
    rm -rf "$work/files" && mkdir -p "$work/files"
    head -n "$files_n" "$corpus" | python3 -c "
import sys
for line in sys.stdin:
    i, title, body = line.rstrip('\n').split('\t', 2)
    open('$work/files/doc-%05d.txt' % int(i), 'w', encoding='utf-8').write(body)
"
fi
[ "$deleted" = 0 ] || sleep 300   # let those deletions age
cli_ingest() { # BINARY STORE-NAME → docs/s
    local store=$work/cli-store-$2
    "$1" init --store "$store" >/dev/null
    "$1" series add KS --name Bench --store "$store" >/dev/null
    local c; c=$("$1" case open --series KS --title Bench --store "$store")
    sync
    local s e; s=$(date +%s.%N)
    "$1" register "$work"/files/doc-*.txt --case "$c" --type other --batch-size 500 --store "$store" >/dev/null
    e=$(date +%s.%N)
    echo "$files_n / ($e - $s)" | bc -l
}
: > "$work/cli-now"; : > "$work/cli-foundation"
for r in 1 2 3; do
    cli_ingest "$work/foundation/.build/release/diarium" "foundation-$r" >> "$work/cli-foundation"
    cli_ingest "$bin/diarium" "now-$r" >> "$work/cli-now"
done
rm -rf "$work"/cli-store*
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
cli_now=$(median < "$work/cli-now")
cli_foundation=$(median < "$work/cli-foundation")

field() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" "$3"; }
lib_p50=$(field ALL100 median "$work/lib-query.txt"); raw_p50=$(field ALL100 median "$work/raw-query.txt")
lib_p99=$(field ALL100 p99 "$work/lib-query.txt"); raw_p99=$(field ALL100 p99 "$work/raw-query.txt")
lib_max=$(field ALL100 max "$work/lib-query.txt"); raw_max=$(field ALL100 max "$work/raw-query.txt")
lib_sp99=$(field stress p99 "$work/lib-query.txt"); raw_sp99=$(field stress p99 "$work/raw-query.txt")
snip_p50=$(field ALL100 median "$work/lib-query-snippets.txt"); raw_snip_p50=$(field ALL100 median "$work/raw-query-snippets.txt")
snip_p99=$(field ALL100 p99 "$work/lib-query-snippets.txt"); raw_snip_p99=$(field ALL100 p99 "$work/raw-query-snippets.txt")
fac_p50=$(field ALL100 median "$work/lib-query-facets.txt"); fac_p99=$(field ALL100 p99 "$work/lib-query-facets.txt")
pub_p50=$(field ALL100 median "$work/lib-query-public.txt"); pub_p99=$(field ALL100 p99 "$work/lib-query-public.txt")
clerk_p50=$(field ALL100 median "$work/lib-query-cleared.txt"); clerk_p99=$(field ALL100 p99 "$work/lib-query-cleared.txt")
clerk_sp99=$(field stress p99 "$work/lib-query-cleared.txt")
approx=$(sed -n 's/.*approximated=\([0-9]*\).*/\1/p' "$work/lib-query.txt")
opt_p50=$(field ALL100 median "$work/lib-query-opt.txt"); raw_opt_p50=$(field ALL100 median "$work/raw-query-opt.txt")
opt_p99=$(field ALL100 p99 "$work/lib-query-opt.txt"); raw_opt_p99=$(field ALL100 p99 "$work/raw-query-opt.txt")
opt_max=$(field ALL100 max "$work/lib-query-opt.txt"); raw_opt_max=$(field ALL100 max "$work/raw-query-opt.txt")
opt_sp99=$(field stress p99 "$work/lib-query-opt.txt"); raw_opt_sp99=$(field stress p99 "$work/raw-query-opt.txt")
opt_snip_p50=$(field ALL100 median "$work/lib-query-snippets-opt.txt"); opt_snip_p99=$(field ALL100 p99 "$work/lib-query-snippets-opt.txt")
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
load=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "## Search at $n documents — $(date -u +%Y-%m-%dT%H:%MZ), $passes passes (per-query medians), load average after: $load"
    echo
    echo "| measure | Diarium | raw SQLite FTS5, same run | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| 100 queries p50 (hits only, as raw) | $lib_p50 ms | $raw_p50 ms | $(ratio "$lib_p50" "$raw_p50") | ≤ 10 ms; ≤ 1.2× raw |"
    echo "| 100 queries p99 | $lib_p99 ms | $raw_p99 ms | $(ratio "$lib_p99" "$raw_p99") | ≤ 150 ms |"
    echo "| 100 queries max | $lib_max ms | $raw_max ms | $(ratio "$lib_max" "$raw_max") | ≤ 300 ms |"
    echo "| 10 stress queries p99 | $lib_sp99 ms | $raw_sp99 ms | $(ratio "$lib_sp99" "$raw_sp99") | ≤ 250 ms |"
    echo "| with snippets: p50 / p99 | $snip_p50 / $snip_p99 ms | with snippets: $raw_snip_p50 / $raw_snip_p99 ms | $(ratio "$snip_p50" "$raw_snip_p50") | |"
    echo "| with snippets and facets: p50 / p99 | $fac_p50 / $fac_p99 ms | — | | (not in the targets) |"
    echo "| public view: p50 / p99 | $pub_p50 / $pub_p99 ms | — | | |"
    echo "| a KS clerk's view (two arms): p50 / p99; stress p99 | $clerk_p50 / $clerk_p99; $clerk_sp99 ms | — | | |"
    echo "| after \`index optimize\` ($our_optimize s, $((our_optimize_rss / 1024)) MiB; raw 'optimize' $raw_optimize s): p50 / p99 / max | $opt_p50 / $opt_p99 / $opt_max ms | $raw_opt_p50 / $raw_opt_p99 / $raw_opt_max ms | $(ratio "$opt_p50" "$raw_opt_p50") | as above |"
    echo "| after optimize: stress p99; with snippets p50 / p99 | $opt_sp99; $opt_snip_p50 / $opt_snip_p99 ms | $raw_opt_sp99 ms | | |"
    echo "| full index rebuild | $our_rebuild s, $((our_rebuild_rss / 1024)) MiB | $raw_rebuild s, $((raw_rebuild_rss / 1024)) MiB | $(ratio "$our_rebuild" "$raw_rebuild") | ≤ 1.25×; ≤ 256 MiB |"
    echo "| CLI ingest of $files_n corpus docs (3 runs, median) | $(printf %.0f "$cli_now") docs/s | foundation build: $(printf %.0f "$cli_foundation") docs/s | $(ratio "$cli_now" "$cli_foundation") | ≥ 0.80 |"
    echo "| library ingest of $n docs, batches of 1,000 | $ingest_rate docs/s ($ingest_secs s) | — | | |"
    echo
    echo "$approx of the 100 queries were answered newest first (bounded cost): more than 50,000 matches, or a phrase"
    echo "whose words occur together in more than 10,000 documents. The raw baseline ranks every match with ORDER BY"
    echo "rank; Diarium ranks within those bounds and answers broader queries newest first, saying so. Raw output:"
    echo
    echo '```'
    cat "$work/lib-query.txt"
    echo "--- raw"
    cat "$work/raw-query.txt"
    echo '```'
    echo
} | tee "$work/section.md"

results=Benchmarks/RESULTS.md
{ head -4 "$results"; cat "$work/section.md"; tail -n +5 "$results"; } > "$work/results.new" && mv "$work/results.new" "$results"
