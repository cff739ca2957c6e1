#!/usr/bin/env bash
# The purge after a disposal, at 1,000,000 documents, release build, beside its same-run baseline:
#   ours:      `diarium dispose --execute` of N due documents in a copy of the 1M search store (made by search.sh):
#              the disposal, then the merge of the whole full-text index in steps (secure_delete on) and the WAL
#              emptied, after which the disposed words are gone from the catalog
#   baseline:  FTS5's own 'optimize' (one statement, Python's sqlite3 on the same SQLite library, secure_delete on as
#              Debian builds it) on a copy of the same catalog taken just before: the same merge, without the steps
# Peak RSS of each from /usr/bin/time.
# Usage: Benchmarks/purge.sh [N]   (default 3; results go to Benchmarks/RESULTS.md)
# Work files live in Benchmarks/work-purge/ (gitignored, removed at the end: two copies of the 8 GB catalog).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3}
source_store=$PWD/Benchmarks/work-search/store
[ -f "$source_store/catalog.sqlite" ] || { echo "no 1M store: run Benchmarks/search.sh first" >&2; exit 2; }
work=$PWD/Benchmarks/work-purge
rm -rf "$work" && mkdir -p "$work"
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

scripts/setup.sh
swift build -c release --product diarium >/dev/null
bin=$PWD/.build/release/diarium
echo "copying the 1M store's catalog (content files linked: they are never changed, and a disposal only unlinks)" >&2
mkdir -p "$work/store"
cp -a "$source_store"/catalog.sqlite* "$work/store/"
cp -al "$source_store/objects" "$work/store/objects"
mkdir -p "$work/store/tmp"
export DIARIUM_STORE=$work/store DIARIUM_USER=bench
catalog=$work/store/catalog.sqlite

# The first case closed, letters disposed of as soon as it closes: N of its letters are due.
first_case=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT series||' '||year||'/'||serial FROM cases ORDER BY id LIMIT 1\").fetchone()[0])" "$catalog")
"$bin" case close "$first_case" >/dev/null
"$bin" retention set KS --type letter --dispose-after 0 --mandate "Bench" >/dev/null
mapfile -t due < <("$bin" dispose --series KS --limit "$n" | cut -f1)
[ "${#due[@]}" -eq "$n" ] || { echo "expected $n due documents, found ${#due[@]}" >&2; exit 1; }
segments=$("$bin" index status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['segments'])")

# The catalog whole in its main file, then the baseline's copy (both in the page cache afterwards).
python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" "$catalog"
cp "$catalog" "$work/raw.sqlite"
echo "baseline: FTS5 optimize" >&2
/usr/bin/time -o "$work/base.time" -f "%e %M" python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA secure_delete = ON')
c.execute(\"INSERT INTO search_fts(search_fts) VALUES ('optimize')\")
c.commit()" "$work/raw.sqlite"
base=$(tail -1 "$work/base.time")
rm -f "$work"/raw.sqlite*
cat "$catalog" >/dev/null
echo "diarium dispose --execute (${due[*]})" >&2
/usr/bin/time -o "$work/ours.time" -f "%e %M" "$bin" dispose --execute "${due[@]}" >/dev/null 2>"$work/dispose.err" \
    || { cat "$work/dispose.err" >&2; exit 1; }
ours=$(tail -1 "$work/ours.time")
unpurged=$("$bin" index status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['unpurged'])")
after=$("$bin" index status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['segments'])")

read -r ours_s ours_kb <<<"$ours"
read -r base_s base_kb <<<"$base"
ratio=$(python3 -c "print(f'{$ours_s / $base_s:.2f}')")
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
table=$(cat <<EOF
## Purge after a disposal ($stamp, 1,000,000 documents, release build, one run each)

\`diarium dispose --execute\` of $n due documents in a copy of the 1M store: the disposal, then the merge of the full-text
index ($segments segments → $after) in steps and the WAL emptied; afterwards \`index status\` counts $unpurged disposal(s) unpurged.

| measure | Diarium | baseline (same run) | ratio |
|---|---|---|---|
| dispose $n + purge | ${ours_s} s, peak RSS $((ours_kb / 1024)) MiB | FTS5 \`optimize\` on a copy of the same catalog: ${base_s} s, $((base_kb / 1024)) MiB | $ratio |

EOF
)
python3 - "$table" <<'PY'
import sys
path = "Benchmarks/RESULTS.md"
text = open(path).read()
head, sep, rest = text.partition("\n## ")
open(path, "w").write(head.rstrip("\n") + "\n\n" + sys.argv[1].strip("\n") + "\n\n## " + rest)
PY
echo "$table"
