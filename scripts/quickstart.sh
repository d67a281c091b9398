#!/bin/sh
# Quick start: set up (install what is missing, build), then carve a bundled sample: a real
# Python 3.11 process that made HTTP requests with Basic and Bearer credentials, dropped
# every reference and ran gc.collect(). Prints the triage summary: the interpreter found,
# object counts, the recovered credentials, then notable strings.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" "$top/build"
work="$top/build/samples"
mkdir -p "$work"
[ -d "$work/creds-py311" ] || tar -C "$work" -xJf "$top/samples/creds-py311.tar.xz"
carver="$top/build/carver/carver"
out="$top/build/quickstart.msgpack"
"$carver" scan --creds --no-progress --force -o "$out" "$work/creds-py311" 2>/dev/null || {
  rc=$?; [ "$rc" -eq 1 ] || exit "$rc"; }
echo "carver scan --creds $work/creds-py311 -o $out" >&2
exec "$carver" triage "$out"
