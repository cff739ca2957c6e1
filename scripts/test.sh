#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, build, every test, then the HTTP API against its OpenAPI
# document (schemathesis, with the debug build of `diarium`).
#
# Each step has a budget (scripts/within.sh): one that hangs fails here, naming itself, the tests still running and
# every thread's stack, well inside CI's 90 minutes. The tests' own output (thousands of lines) goes to
# .build/test.log; what is printed is the result, and on failure every issue with its context.
# A fresh clone on 2 cores, 2026-12: setup 1-2 min, build 6-7 min, tests 2-3 min, schemathesis 2-3 min.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-validators.sh
export DIARIUM_VALIDATORS="$PWD/.build-validators/venv"
scripts/within.sh 2400 "swift build" swift build --build-tests

# The tests run hundreds of stores, servers and child processes at once in one process: the most descriptors allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

log="$PWD/.build/test.log"
status=0
# Line-buffered (stdbuf): swift test writes a file in 64 KiB blocks, and a hang's list of unfinished tests would be
# read from output minutes old.
DIARIUM_WITHIN_LOG="$log" scripts/within.sh 1500 "swift test" bash -c 'exec stdbuf -oL -eL swift test --skip-build > "$1" 2>&1' _ "$log" \
    || status=$?
if ((status == 0)); then
    grep -E "^(✔|✘) Test run with|Executed [0-9]+ tests" "$log" || tail -n 5 "$log"
else
    echo "test: swift test failed (exit $status); its issues, then its last lines (all of it: $log):" >&2
    # Swift Testing's issues (✘), swift test's own errors (a crash: "error: Exited with unexpected signal code 11"),
    # and a trap's message.
    grep -n -E -A 12 "^✘ |^error: |Fatal error:" "$log" | head -n 3000 >&2 || true
    echo "----" >&2
    tail -n 60 "$log" >&2
    exit "$status"
fi
scripts/within.sh 1200 "schemathesis" scripts/schemathesis.sh
