#!/usr/bin/env bash
# System packages the council report's tests need: headless Chromium to open the page,
# and a CJK font so Hangul renders as letters, not boxes. Debian packages only.
# Idempotent: does nothing when both are installed; runs `apt-get update` once, and only
# when something is missing. Needs root (or sudo).
set -euo pipefail

packages=(chromium fonts-noto-cjk)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "report deps: ${packages[*]} already installed"
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "report deps: need root to install ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "report deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "report deps: installed ${missing[*]}"
