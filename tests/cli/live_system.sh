# SPDX-License-Identifier: MIT
# Live scan of the system interpreter (/usr/bin/python3, Debian 3.11, static libpython,
# non-PIE) while it keeps running; then dump + scan and gcore + scan give the same objects.
# See live_check.py for every check.
. "$(dirname "$0")/lib.inc"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
"$PYTHON3" "$HERE/live_check.py" "$CARVER" "$WORK/sys" --gcore -- "$PY"
rc=$?
[ "$rc" -eq 77 ] && skip "may not read another process's memory here"
[ "$rc" -eq 0 ] || bad "live_check.py $PY (exit $rc)"
finish
