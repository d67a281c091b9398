#!/bin/sh
# Set up and run the whole test suite twice: under AddressSanitizer + UndefinedBehavior-
# Sanitizer (build-asan/), then as a normal optimised build (build/), whose ctest summary
# is the last line printed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$top/scripts/setup.sh" "$top/build-asan" -DCARVER_WERROR=ON \
  -DCARVER_SANITIZE="address;undefined" -DCMAKE_BUILD_TYPE=Debug
echo "== sanitizer build (ASan + UBSan): full suite" >&2
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$top/build-asan" --output-on-failure -j"$jobs" >"$top/build-asan/ctest.log" 2>&1 || {
  cat "$top/build-asan/ctest.log"; echo "sanitizer suite failed" >&2; exit 1; }
tail -n 3 "$top/build-asan/ctest.log" >&2

"$top/scripts/setup.sh" "$top/build" -DCARVER_WERROR=ON
echo "== release build: full suite" >&2
cd "$top/build"
exec ctest --output-on-failure -j"$jobs"
