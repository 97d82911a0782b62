#!/usr/bin/env bash
# What the benchmarks need beyond the venv: kcat (librdkafka's command-line client, the
# Debian package `kcat`), the physical reference the replay is compared with.
# Idempotent: does nothing when kcat is installed; runs `apt-get update` once, and only
# when it is missing. Needs root (or sudo). Exit 0 when kcat is there at the end.
set -euo pipefail

if command -v kcat >/dev/null 2>&1; then
    echo "bench deps: kcat already installed ($(command -v kcat))"
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        echo "bench deps: kcat is missing and installing it needs root: apt-get install kcat" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "bench deps: installing kcat"
if ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null 2>&1; then
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null
fi
command -v kcat >/dev/null
echo "bench deps: installed kcat ($(kcat -V 2>&1 | head -1))"
