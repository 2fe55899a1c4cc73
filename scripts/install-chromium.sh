#!/usr/bin/env bash
# Debian's Chromium, for tests/test_viewer.py's browser check (the test skips without it).
# Runs apt-get as root (or through sudo); pass NICE=0 to run at normal priority.
set -euo pipefail
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive nice -n "${NICE:-10}" \
    apt-get install -y --no-install-recommends chromium
chromium --version
