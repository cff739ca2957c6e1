#!/usr/bin/env bash
# Ingest benchmark (issue: records store foundation), release build, each figure beside its same-run baseline:
#   small: 10,000 × 4 KiB documents through one `diarium register` call
#          vs ../shared/bench/smallfile.c mode e (group commit, same batch size)
#   large: one 1 GiB document through `diarium register`
#          vs `openssl dgst -sha256` + `dd conv=fsync` of the same file (the sum of the two)
# Usage: Benchmarks/ingest.sh [RUNS]   (default 3; medians reported; results go to Benchmarks/RESULTS.md)
# Work files live in Benchmarks/work/ (gitignored; every run keeps its files until the end: ~2.5 GiB + 1.1 GiB a run).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shared=../shared/bench
work=$PWD/Benchmarks/work
batch=500
small_n=10000
if [ -d "$work" ]; then rm -rf "$work"; sync; sleep 120; fi   # let the deletions age (see fresh_store below)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

scripts/setup.sh
swift build -c release --product diarium >/dev/null
bin=$PWD/.build/release/diarium
cc -O2 -o "$work/smallfile" "$shared/smallfile.c"

echo "generating $small_n × 4 KiB files and a 1 GiB file" >&2
python3 - "$work/small" "$small_n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
for i in range(n):
    with open(f"{d}/doc-{i:05d}.txt", "wb") as f:
        f.write(os.urandom(4096))
PY
head -c 1G /dev/urandom > "$work/big.bin"
sync

timed() { # timed OUTFILE CMD... → appends "wall_seconds maxrss_kib" to OUTFILE
    local out=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null
    cat "$work/time.txt" >> "$out"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Nothing is deleted between runs: ext4 without a journal (this machine's disk) skips inodes freed in the last few
# minutes on every file creation, so a run right after 10,000 deletions creates its files several times slower. Each
# run writes into directories of its own; the trap removes them all at the end.
fresh_store() { # NAME → case number; the store is $work/store-NAME
    DIARIUM_STORE=$work/store-$1 "$bin" init >/dev/null
    DIARIUM_STORE=$work/store-$1 "$bin" series add KS --name Bench >/dev/null
    DIARIUM_STORE=$work/store-$1 "$bin" case open --series KS --title Bench
}

: > "$work/base_small" ; : > "$work/ours_small" ; : > "$work/base_big" ; : > "$work/ours_big"
for r in $(seq "$runs"); do
    echo "run $r/$runs: small files" >&2
    sync
    "$work/smallfile" e "$work/sf-$r" "$small_n" 4096 "$batch" | sed -n 's/.*files_per_s=\([0-9.]*\).*/\1/p' >> "$work/base_small"
    case_number=$(fresh_store "small-$r"); sync
    timed "$work/ours_small.t" env DIARIUM_STORE="$work/store-small-$r" "$bin" register "$work"/small/doc-*.txt \
        --case "$case_number" --type other --batch-size "$batch" --as bench
    awk -v n="$small_n" '{printf "%.0f\n", n/$1}' <(tail -1 "$work/ours_small.t" | cut -d' ' -f1) >> "$work/ours_small"

    echo "run $r/$runs: 1 GiB" >&2
    cat "$work/big.bin" > /dev/null   # same warm page cache for both sides
    rm -f "$work/copy.bin"; sync
    s=$(date +%s.%N)
    openssl dgst -sha256 "$work/big.bin" >/dev/null
    dd if="$work/big.bin" of="$work/copy.bin" bs=1M conv=fsync status=none
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l >> "$work/base_big"
    rm -f "$work/copy.bin"
    case_number=$(fresh_store "big-$r"); sync
    timed "$work/ours_big" env DIARIUM_STORE="$work/store-big-$r" "$bin" register "$work/big.bin" --case "$case_number" --type other --as bench
done
for store in "$work"/store-*; do DIARIUM_STORE=$store "$bin" verify >/dev/null; done

base_small=$(median < "$work/base_small")
ours_small=$(median < "$work/ours_small")
small_rss=$(cut -d' ' -f2 "$work/ours_small.t" | median)
base_big=$(median < "$work/base_big")
ours_big=$(cut -d' ' -f1 "$work/ours_big" | median)
big_rss=$(cut -d' ' -f2 "$work/ours_big" | median)
ratio_small=$(echo "$ours_small / $base_small" | bc -l)
ratio_big=$(echo "$ours_big / $base_big" | bc -l)
load=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "## Ingest — $(date -u +%Y-%m-%dT%H:%MZ), $runs runs (medians), load average before: $load"
    echo
    echo "| workload | Diarium | same-run baseline | ratio | target | peak RSS |"
    echo "|---|---|---|---|---|---|"
    printf "| 10,000 × 4 KiB, one \`register\` call, batch %d | %.0f docs/s | smallfile mode e: %.0f files/s | %.2f | ≥ 0.50 and ≥ 1,000 docs/s | %.1f MiB |\n" \
        "$batch" "$ours_small" "$base_small" "$ratio_small" "$(echo "$small_rss / 1024" | bc -l)"
    printf "| 1 GiB, one \`register\` | %.2f s | openssl dgst + dd conv=fsync: %.2f s | %.2f× the time | ≤ 1.0× | %.1f MiB (target ≤ 64) |\n" \
        "$ours_big" "$base_big" "$ratio_big" "$(echo "$big_rss / 1024" | bc -l)"
    echo
    echo "Paired ratios per run (the disk is shared and noisy; pairs run back to back): small" \
         "$(paste -d' ' "$work/ours_small" "$work/base_small" | awk '{printf "%.2f ", $1/$2}')," \
         "1 GiB $(paste -d' ' <(cut -d' ' -f1 "$work/ours_big") "$work/base_big" | awk '{printf "%.2f ", $1/$2}')."
    echo
    echo "Raw: small docs/s $(paste -sd' ' "$work/ours_small") vs $(paste -sd' ' "$work/base_small");" \
         "1 GiB s $(cut -d' ' -f1 "$work/ours_big" | paste -sd' ') vs $(paste -sd' ' "$work/base_big")."
    echo
} | tee "$work/section.md"

results=Benchmarks/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n\nNewest first. Produced by the scripts in this folder; see Benchmarks/README.md.\n\n' > "$results"
{ head -4 "$results"; cat "$work/section.md"; tail -n +5 "$results"; } > "$work/results.new" && mv "$work/results.new" "$results"
