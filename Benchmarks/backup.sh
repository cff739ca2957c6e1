#!/usr/bin/env bash
# Backup and restore benchmark, release build, beside their same-run baseline on the same store:
#   ours:      `diarium backup DEST` of a store of 10,000 × 4 KiB documents (catalog snapshot, every file re-hashed
#              as copied, all made durable, renamed into place)
#   restore:   `diarium restore BACKUP --store DEST` of a backup of that store (copied the same way, then verified
#              without a second re-hash, logged, checkpointed, renamed into place)
#   baseline:  `sqlite3 catalog.sqlite ".backup DEST/catalog.sqlite"` + `cp -a objects DEST/` + `sync -f DEST`: what an
#              operator would do by hand (with no re-hash of the files)
# Peak RSS of every Diarium run from /usr/bin/time.
# Usage: Benchmarks/backup.sh [RUNS]   (default 5; medians reported; results go to Benchmarks/RESULTS.md)
# Work files live in Benchmarks/work-backup/ (gitignored, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
n=10000
work=$PWD/Benchmarks/work-backup
rm -rf "$work" && mkdir -p "$work"
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

scripts/setup.sh
command -v sqlite3 >/dev/null || {
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 sqlite3 >/dev/null
}
swift build -c release --product diarium >/dev/null
bin=$PWD/.build/release/diarium

echo "generating $n × 4 KiB files" >&2
mkdir -p "$work/files"
python3 - "$work/files" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, "doc-%05d.bin" % i), "wb") as f: f.write(os.urandom(4096))
PY
export DIARIUM_STORE=$work/store DIARIUM_USER=bench
"$bin" init >/dev/null
"$bin" series add KS --name Bench >/dev/null
case_number=$("$bin" case open --series KS --title Bench)
"$bin" register "$work"/files/doc-*.bin --case "$case_number" --type other --batch-size 500 >/dev/null
rm -rf "$work/files"

settle() { sync; sleep 3; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: > "$work/ours"; : > "$work/base"; : > "$work/restore"
"$bin" backup "$work/source-backup" >/dev/null
ours() {
    settle
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" backup "$work/b-ours" >/dev/null
    cat "$work/time.txt" >> "$work/ours"
    "$bin" verify --store "$work/b-ours" >/dev/null
    rm -rf "$work/b-ours"
}
restore() {
    settle
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" restore "$work/source-backup" --store "$work/r-ours" >/dev/null 2>&1
    cat "$work/time.txt" >> "$work/restore"
    "$bin" verify --store "$work/r-ours" >/dev/null
    rm -rf "$work/r-ours"
}
base() {
    settle
    local s e; s=$(date +%s.%N)
    mkdir "$work/b-base"
    sqlite3 "$work/store/catalog.sqlite" ".backup '$work/b-base/catalog.sqlite'"
    cp -a "$work/store/objects" "$work/b-base/"
    sync -f "$work/b-base"
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l >> "$work/base"
    rm -rf "$work/b-base"
}
for r in $(seq "$runs"); do
    echo "run $r/$runs" >&2
    cat "$work"/store/objects/sha256/*/* > /dev/null   # warm caches for both sides
    if [ $((r % 2)) -eq 1 ]; then ours; base; restore; else restore; base; ours; fi
done

o=$(cut -d' ' -f1 "$work/ours" | median); b=$(median < "$work/base"); rss=$(cut -d' ' -f2 "$work/ours" | sort -g | tail -1)
ro=$(cut -d' ' -f1 "$work/restore" | median); rrss=$(cut -d' ' -f2 "$work/restore" | sort -g | tail -1)
mb=$(du -sm "$work/store" | cut -f1)
{
    echo "## Backup and restore ($(date -u +%Y-%m-%dT%H:%MZ), $n × 4 KiB documents, store $mb MB, $runs runs, medians, release build)"
    echo
    echo "| measure | Diarium | baseline (same run) | ratio |"
    echo "|---|---|---|---|"
    printf '| `diarium backup` | %.2f s (runs: %s), peak RSS %d MiB | `sqlite3 .backup` + `cp -a objects` + `sync -f`: %.2f s (runs: %s) | %.2f |\n' \
        "$o" "$(cut -d' ' -f1 "$work/ours" | tr '\n' ' ' | sed 's/ $//')" $((rss / 1024)) "$b" "$(tr '\n' ' ' < "$work/base" | sed 's/ $//' | awk '{for(i=1;i<=NF;i++) printf "%s%.2f", (i>1?" ":""), $i}')" "$(echo "$o / $b" | bc -l)"
    printf '| `diarium restore` | %.2f s (runs: %s), peak RSS %d MiB | the same | %.2f |\n' \
        "$ro" "$(cut -d' ' -f1 "$work/restore" | tr '\n' ' ' | sed 's/ $//')" $((rrss / 1024)) "$(echo "$ro / $b" | bc -l)"
    echo
} > "$work/section.md"
cat "$work/section.md"
# Newest first, after the file's title and introduction (everything before the first "## ").
python3 - "$work/section.md" Benchmarks/RESULTS.md <<'PY'
import sys
section, path = open(sys.argv[1]).read(), sys.argv[2]
text = open(path).read()
i = text.find("\n## ")
open(path, "w").write(text[:i + 1] + section + text[i + 1:] if i >= 0 else text + "\n" + section)
PY
