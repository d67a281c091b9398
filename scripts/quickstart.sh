#!/bin/sh
# Quick start: set up, then carve the bundled Python 3.11 sample and show what was found.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" "$top/build"
work="$top/build/samples"
mkdir -p "$work"
[ -d "$work/py311" ] || tar -C "$work" -xJf "$top/samples/py311.tar.xz"
exec "$top/build/carver/carver" scan --format text "$work/py311" "$@"
