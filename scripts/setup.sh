#!/usr/bin/env bash
# Installs the Debian packages Diarium builds and tests against, when they are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(pkg-config libsqlite3-dev libxml2-dev libarchive-dev libcurl4-openssl-dev sqlite3 libxml2-utils openssl time bc poppler-utils zip curl procps gdb)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: Swift 6.1 or newer must be on PATH (https://swift.org/install)" >&2; exit 1; }
