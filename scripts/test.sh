#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, build, every test, then the HTTP API against its OpenAPI
# document (schemathesis, with the debug build of `diarium`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-validators.sh
export DIARIUM_VALIDATORS="$PWD/.build-validators/venv"
swift build --build-tests
swift test --skip-build
scripts/schemathesis.sh
