#!/bin/sh
# Install the Debian packages carver needs (when missing) and build it into build/.
#   scripts/setup.sh [BUILD_DIR] [extra cmake args...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift

need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in build-essential cmake pkg-config libpcre2-dev libcapstone-dev libmsgpack-dev \
         python3 python3-msgpack xz-utils; do
  have_pkg "$p" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "setup: installing:$need" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup: need root (or sudo) to install:$need" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null || true
  $SUDO apt-get install -y -qq $need >/dev/null
fi

cmake -S "$top" -B "$build" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "setup: built $build/carver/carver" >&2
