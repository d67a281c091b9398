# SPDX-License-Identifier: MIT
# Live scans of cpython-builds interpreters: 3.14 (Debian sid, non-PIE, started through its
# own ld.so) and 2.7 (PIE, PyString_Type), each then dumped and scanned again.
. "$(dirname "$0")/lib.inc"
TOOL=${CPYTHON_BUILDS_TOOL:-/work/shared/tools/cpython-builds}
[ -x "$TOOL" ] || skip "no cpython-builds tool at $TOOL"
ran=0
for v in 3.14 2.7; do
  root=$("$TOOL" path "$v" 2>/dev/null)
  if [ -z "$root" ] || [ ! -d "$root" ]; then
    note "cpython-builds $v not fetched: skipped"
    continue
  fi
  "$PYTHON3" "$HERE/live_check.py" "$CARVER" "$WORK/$v" -- "$TOOL" run "$v"
  rc=$?
  [ "$rc" -eq 77 ] && skip "may not read another process's memory here"
  [ "$rc" -eq 0 ] || bad "live_check.py cpython-builds $v (exit $rc)"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || skip "no cpython-builds interpreter fetched"
finish
