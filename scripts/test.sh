#!/bin/sh
# Set up and run the whole test suite (unit tests, real-interpreter samples, CLI tests).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" "$top/build" -DCARVER_WERROR=ON
cd "$top/build"
exec ctest --output-on-failure -j"$(nproc)"
