#!/usr/bin/env bash
# The main job on the embedded default store: install what is missing, build a release binary, create
# ./Storage if it does not exist yet, then run diarium with the given arguments (default: a store check, then
# `diarium serve`: the public diarium on http://127.0.0.1:8080 until Ctrl-C or SIGTERM).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product diarium
bin=.build/release/diarium
export DIARIUM_STORE="${DIARIUM_STORE:-$PWD/Storage}"
[ -f "$DIARIUM_STORE/catalog.sqlite" ] || "$bin" init
if (($#)); then exec "$bin" "$@"; fi
"$bin" series list
"$bin" verify
exec "$bin" serve
