# SPDX-License-Identifier: MIT
# Live scan of a 32-bit interpreter (cpython-builds i386-3.11; i386-3.14 when 3.11 is not
# fetched): ELF32 symbols, 4-byte pointers; then dump + scan and gcore + scan.
. "$(dirname "$0")/lib.inc"
TOOL=${CPYTHON_BUILDS_TOOL:-/work/shared/tools/cpython-builds}
[ -x "$TOOL" ] || skip "no cpython-builds tool at $TOOL"
for v in i386-3.11 i386-3.14 i386-2.7; do
  root=$("$TOOL" path "$v" 2>/dev/null)
  [ -n "$root" ] && [ -d "$root" ] && break
  v=
done
[ -n "$v" ] || skip "no i386 cpython-builds interpreter fetched"
"$PYTHON3" "$HERE/live_check.py" "$CARVER" "$WORK/$v" --gcore -- "$TOOL" run "$v"
rc=$?
[ "$rc" -eq 77 ] && skip "may not read another process's memory here"
[ "$rc" -eq 0 ] || bad "live_check.py cpython-builds $v (exit $rc)"
finish
