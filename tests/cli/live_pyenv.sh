# SPDX-License-Identifier: MIT
# Live scan of a pyenv build with a shared libpython (the symbols come from
# libpython3.X.so, loaded at a random address), then dump + scan and gcore + scan.
. "$(dirname "$0")/lib.inc"
ROOT=${PYENV_ROOT:-$HOME/.pyenv}
PY=
for v in 3.12.1 3.13.0 3.10.13 3.11.7; do
  if [ -x "$ROOT/versions/$v/bin/python" ] && ls "$ROOT/versions/$v/lib/"libpython*.so* >/dev/null 2>&1; then
    PY=$ROOT/versions/$v/bin/python
    break
  fi
done
[ -n "$PY" ] || skip "no pyenv build with a shared libpython under $ROOT/versions"
"$PYTHON3" "$HERE/live_check.py" "$CARVER" "$WORK/pyenv" --gcore -- "$PY"
rc=$?
[ "$rc" -eq 77 ] && skip "may not read another process's memory here"
[ "$rc" -eq 0 ] || bad "live_check.py $PY (exit $rc)"
finish
