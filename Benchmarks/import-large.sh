#!/usr/bin/env bash
# Large-package import benchmark, release build: a series of N small documents (default 90,000, just inside the
# import's default limit of 100,000 files) exported as one E-ARK tar and imported into an empty store, beside
# `bsdtar -xf` + `sync` of the same tar in the same run. What it shows: the package imports at all (its METS, ERMS
# and PREMIS are hundreds of MiB together), and the import's peak RSS follows the records, not the XML.
#   - corpus: N documents from ../shared/bench/gen_corpus.py (~2 KB of Swedish-like text each), ingested through
#     the library (diarium-bench ingest), then `diarium export --series KS --format eark-tar`
#   - import --dry-run (read and check only) and import, each run beside the baseline, turn about
# Usage: Benchmarks/import-large.sh [N] [RUNS]   (defaults 90000 and 3; medians; results go to Benchmarks/RESULTS.md)
# Work files live in Benchmarks/work-large/ (gitignored, ~4 GiB at 90,000; the corpus is kept for reruns).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-90000}
runs=${2:-3}
root=$PWD
work=$root/Benchmarks/work-large
mkdir -p "$work/data"
trap 'rm -rf "$work/store" "$work/imported" "$work/x" "$work/package.tar"' EXIT

scripts/setup.sh
command -v bsdtar >/dev/null || apt-get install -y -qq -o DPkg::Lock::Timeout=300 libarchive-tools >/dev/null
source Benchmarks/corpus.sh
corpus=$(corpus "$n" "$work")
swift build -c release --product diarium-bench >/dev/null
swift build -c release --product diarium >/dev/null
bin=$root/.build/release

echo "ingesting and exporting $n documents" >&2
rm -rf "$work/store" "$work/package.tar"
"$bin/diarium-bench" ingest "$corpus" "$work/store" 1000 >/dev/null
export DIARIUM_USER=bench
/usr/bin/time -f "%e %M" -o "$work/export.txt" env DIARIUM_STORE="$work/store" \
    "$bin/diarium" export --series KS --format eark-tar --out "$work/package.tar" >/dev/null
rm -rf "$work/store"

settle() { sync; sleep 3; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: > "$work/base"; : > "$work/dry"; : > "$work/full"
ours() { # ours OUTFILE [--dry-run]
    local out=$1; shift
    rm -rf "$work/imported"; DIARIUM_STORE="$work/imported" "$bin/diarium" init >/dev/null
    settle
    /usr/bin/time -f "%e %M" -o "$work/time.txt" env DIARIUM_STORE="$work/imported" "$bin/diarium" import "$@" "$work/package.tar" >/dev/null
    cat "$work/time.txt" >> "$out"
    # Every full import is verified (not timed): the store holds what the package did.
    [ "$#" -gt 0 ] || DIARIUM_STORE="$work/imported" "$bin/diarium" verify >/dev/null
}
base() {
    rm -rf "$work/x"; mkdir -p "$work/x"; settle
    local s e; s=$(date +%s.%N); bsdtar -xf "$work/package.tar" -C "$work/x"; sync; e=$(date +%s.%N)
    echo "$e - $s" | bc -l >> "$work/base"
    rm -rf "$work/x"
}
for r in $(seq "$runs"); do
    echo "run $r/$runs" >&2
    if [ $((r % 2)) -eq 1 ]; then base; ours "$work/dry" --dry-run; ours "$work/full"; else ours "$work/full"; ours "$work/dry" --dry-run; base; fi
done

sizes=$(tar -tvf "$work/package.tar" | awk '$6 ~ /(METS\.xml|erms\.xml|premis\.xml)$/ {sub(/^[^\/]*\//, "", $6); printf "%s %.1f MiB, ", $6, $3/1048576}' | sed 's/, $//')
mb=$(echo "$(stat -c %s "$work/package.tar") / 1048576" | bc -l)
b=$(median < "$work/base"); d=$(cut -d' ' -f1 "$work/dry" | median); f=$(cut -d' ' -f1 "$work/full" | median)
rss() { echo "$(cut -d' ' -f2 "$1" | median) / 1024" | bc -l; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "## Large-package import — $(date -u +%Y-%m-%dT%H:%MZ), $n documents, $runs runs (medians), load average after: $load"
    echo
    printf "One series of %d one-version documents (~2 KB of text each) exported as one E-ARK tar of %.0f MiB (%s).\n" "$n" "$mb" "$sizes"
    echo "The import stages and hashes every file, reads METS, PREMIS and ERMS streamed from temp files, extracts the"
    echo "text of each document (spooled to a temp file), and writes everything in one transaction. bsdtar does none of that."
    echo
    echo "| workload | Diarium (median) | same-run baseline (median) | ratio | Diarium peak RSS |"
    echo "|---|---|---|---|---|"
    printf "| export --series (eark-tar) | %.1f s | | | %.0f MiB |\n" "$(cut -d' ' -f1 "$work/export.txt")" "$(echo "$(cut -d' ' -f2 "$work/export.txt") / 1024" | bc -l)"
    printf "| import --dry-run (read and check) | %.1f s (%.0f docs/s) | bsdtar -xf + sync: %.1f s | %.2f | %.0f MiB |\n" \
        "$d" "$(echo "$n / $d" | bc -l)" "$b" "$(echo "$b / $d" | bc -l)" "$(rss "$work/dry")"
    printf "| import | %.1f s (%.0f docs/s) | bsdtar -xf + sync: %.1f s | %.2f | %.0f MiB |\n" \
        "$f" "$(echo "$n / $f" | bc -l)" "$b" "$(echo "$b / $f" | bc -l)" "$(rss "$work/full")"
    echo
    echo "Raw seconds: import $(cut -d' ' -f1 "$work/full" | paste -sd' '); dry run $(cut -d' ' -f1 "$work/dry" | paste -sd' '); bsdtar $(paste -sd' ' "$work/base")."
    echo
} | tee "$work/section.md"

results=Benchmarks/RESULTS.md
{ head -4 "$results"; cat "$work/section.md"; tail -n +5 "$results"; } > "$work/results.new" && mv "$work/results.new" "$results"
