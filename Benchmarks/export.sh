#!/usr/bin/env bash
# Archival export/import benchmark (issue #5), release build, each figure beside its same-run bsdtar baseline:
#   export tar:  `diarium export --format eark-tar` of 1,000 × 1 MiB documents   vs  `bsdtar -cf` of the same files
#   export zip:  `diarium export --format eark-zip` (random bytes: stored)        vs  `bsdtar --format zip` with store
#   import:      `diarium import` of the exported tar into an empty store         vs  `bsdtar -xf` + `sync`
# Peak RSS of every Diarium run from /usr/bin/time (target ≤ 64 MiB).
# Usage: Benchmarks/export.sh [RUNS]   (default 5; medians reported; results go to Benchmarks/RESULTS.md)
# Work files live in Benchmarks/work/ (gitignored, ~5 GiB while running, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
n=1000
work=$PWD/Benchmarks/work
rm -rf "$work" && mkdir -p "$work"
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

scripts/setup.sh
command -v bsdtar >/dev/null || {
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 libarchive-tools >/dev/null
}
swift build -c release --product diarium >/dev/null
bin=$PWD/.build/release/diarium

echo "generating $n × 1 MiB files" >&2
mkdir -p "$work/files"
for i in $(seq -w 1 "$n"); do head -c 1M /dev/urandom > "$work/files/doc-$i.bin"; done
export DIARIUM_STORE=$work/store DIARIUM_USER=bench
"$bin" init >/dev/null
"$bin" series add KS --name Bench >/dev/null
case_number=$("$bin" case open --series KS --title Bench)
"$bin" register "$work"/files/doc-*.bin --case "$case_number" --type other --batch-size 500 >/dev/null
sync

# Every command starts on a settled machine: no dirty pages (bsdtar leaves ~1 GiB unwritten, and whoever ran next
# paid for it) and a short pause after the previous command's I/O. See Benchmarks/README.md on why single runs swing.
settle() { sync; sleep 3; }
timed() { # timed OUTFILE CMD... → appends "wall_seconds maxrss_kib" to OUTFILE
    local out=$1; shift
    settle
    /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >/dev/null
    cat "$work/time.txt" >> "$out"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: > "$work/base_tar"; : > "$work/ours_tar"; : > "$work/base_zip"; : > "$work/ours_zip"; : > "$work/base_imp"; : > "$work/ours_imp"
base_import() { # bsdtar -xf + sync, timed like the rest
    rm -rf "$work/x"; mkdir -p "$work/x"; settle
    local s e; s=$(date +%s.%N); bsdtar -xf "$work/base.tar" -C "$work/x"; sync; e=$(date +%s.%N)
    echo "$e - $s" | bc -l >> "$work/base_imp"
    rm -rf "$work/x"
}
ours_import() {
    rm -rf "$work/imported"; DIARIUM_STORE=$work/imported "$bin" init >/dev/null
    timed "$work/ours_imp" env DIARIUM_STORE="$work/imported" "$bin" import "$work/ours.tar"
}
# Each pair runs in turn-about order (who goes first alternates by run), and each output is removed as soon as it
# is measured, so neither side always follows the other's deletes.
for r in $(seq "$runs"); do
    echo "run $r/$runs" >&2
    cat "$work"/files/* > /dev/null; cat "$work"/store/objects/sha256/*/* > /dev/null   # warm caches for both sides
    rm -f "$work"/*.tar "$work"/*.zip; sync
    base_tar() { timed "$work/base_tar" bsdtar -cf "$work/base.tar" -C "$work" files; }   # kept: the import baseline reads it
    ours_tar() { timed "$work/ours_tar" "$bin" export --case "$case_number" --format eark-tar --out "$work/ours.tar"; }
    base_zip() { timed "$work/base_zip" bsdtar --format zip --options zip:compression=store -cf "$work/base.zip" -C "$work" files; rm -f "$work/base.zip"; }
    ours_zip() { timed "$work/ours_zip" "$bin" export --case "$case_number" --format eark-zip --out "$work/ours.zip"; rm -f "$work/ours.zip"; }
    if [ $((r % 2)) -eq 1 ]; then
        base_tar; ours_tar; base_zip; ours_zip; base_import; ours_import
    else
        ours_tar; base_tar; ours_zip; base_zip; ours_import; base_import
    fi
done
DIARIUM_STORE=$work/imported "$bin" verify >/dev/null

mb=$(du -sm "$work/files" | cut -f1)
col() { cut -d' ' -f"$1" "$2" | median; }
best() { cut -d' ' -f1 "$1" | sort -g | head -1; }
rate() { echo "$mb / $1" | bc -l; }
bt=$(col 1 "$work/base_tar"); ot=$(col 1 "$work/ours_tar"); bz=$(col 1 "$work/base_zip"); oz=$(col 1 "$work/ours_zip")
bi=$(median < "$work/base_imp"); oi=$(col 1 "$work/ours_imp")
btb=$(best "$work/base_tar"); otb=$(best "$work/ours_tar"); bzb=$(best "$work/base_zip"); ozb=$(best "$work/ours_zip")
bib=$(sort -g "$work/base_imp" | head -1); oib=$(best "$work/ours_imp")
rss() { echo "$(col 2 "$1") / 1024" | bc -l; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "## Archival export/import — $(date -u +%Y-%m-%dT%H:%MZ), $runs runs (medians), load average after: $load"
    echo
    echo "$n × 1 MiB documents (random bytes), warm page cache. Diarium reads each blob from the store, writes"
    echo "METS/ERMS/PREMIS, and fsyncs the archive before renaming it; its import hashes every file (SHA-256) and fsyncs"
    echo "each stored file and the catalog. bsdtar does none of that."
    echo
    echo "| workload | Diarium (median) | same-run baseline (median) | ratio of medians | ratio of bests | target | Diarium peak RSS |"
    echo "|---|---|---|---|---|---|---|"
    printf "| export eark-tar | %.2f s (%.0f MB/s) | bsdtar -cf: %.2f s (%.0f MB/s) | %.2f | %.2f | ≥ 0.70 | %.1f MiB |\n" \
        "$ot" "$(rate "$ot")" "$bt" "$(rate "$bt")" "$(echo "$bt / $ot" | bc -l)" "$(echo "$btb / $otb" | bc -l)" "$(rss "$work/ours_tar")"
    printf "| export eark-zip (stored) | %.2f s (%.0f MB/s) | bsdtar zip store: %.2f s (%.0f MB/s) | %.2f | %.2f | ≥ 0.70 | %.1f MiB |\n" \
        "$oz" "$(rate "$oz")" "$bz" "$(rate "$bz")" "$(echo "$bz / $oz" | bc -l)" "$(echo "$bzb / $ozb" | bc -l)" "$(rss "$work/ours_zip")"
    printf "| import (tar → empty store) | %.2f s (%.0f MB/s) | bsdtar -xf + sync: %.2f s (%.0f MB/s) | %.2f | %.2f | ≥ 0.60 | %.1f MiB |\n" \
        "$oi" "$(rate "$oi")" "$bi" "$(rate "$bi")" "$(echo "$bi / $oi" | bc -l)" "$(echo "$bib / $oib" | bc -l)" "$(rss "$work/ours_imp")"
    echo
    echo "Raw seconds: export tar $(cut -d' ' -f1 "$work/ours_tar" | paste -sd' ') vs $(cut -d' ' -f1 "$work/base_tar" | paste -sd' ');" \
         "zip $(cut -d' ' -f1 "$work/ours_zip" | paste -sd' ') vs $(cut -d' ' -f1 "$work/base_zip" | paste -sd' ');" \
         "import $(cut -d' ' -f1 "$work/ours_imp" | paste -sd' ') vs $(paste -sd' ' "$work/base_imp")."
    echo
} | tee "$work/section.md"

results=Benchmarks/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n\nNewest first. Produced by the scripts in this folder; see Benchmarks/README.md.\n\n' > "$results"
{ head -4 "$results"; cat "$work/section.md"; tail -n +5 "$results"; } > "$work/results.new" && mv "$work/results.new" "$results"
