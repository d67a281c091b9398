# SPDX-License-Identifier: MIT
# carver sig @layout reads the layout from the interpreters' own accessors: on the live
# processes of every real interpreter available (system python3, cpython-builds Debian
# 2.7/3.9/3.11/3.13/3.14/3.15 and i386 2.7/3.11/3.14, pyenv shared-libpython builds) the
# derived ob_type, tp_flags, ob_size, ob_sval and str length equal the offsets of that
# version (written in sig_check.py, independently of layouts/layouts.c) and carver's
# table agrees; on dumps of their code (with ELF headers in memory, and code pages only,
# where the symbols come from the file) the same.
# Usage: sh sig_layout.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/sig_check.py" "$@"; }
READY='import os; os.write(1, b"READY\n"); os.read(0, 1)'
CB=${CPYTHON_BUILDS:-/work/shared/tools/cpython-builds}

# The interpreters: one "LABEL|PTR|COMMAND" line each (COMMAND without its -c arguments).
: >interps
[ -x /usr/bin/python3 ] && echo "system|8|/usr/bin/python3" >>interps
if [ -x "$CB" ]; then
  for v in 2.7 3.9 3.11 3.13 3.14 3.15 i386-2.7 i386-3.11 i386-3.14; do
    p=$("$CB" path "$v" 2>/dev/null) || continue
    [ -d "$p" ] || continue
    case $v in i386-*) ptr=4 ;; *) ptr=8 ;; esac
    echo "$v|$ptr|$CB run $v" >>interps
  done
fi
for d in "$HOME"/.pyenv/versions/*/bin; do
  [ -d "$d" ] || continue
  b=$(ls "$d" | grep -E '^python[23]\.[0-9]+$' | head -n 1)
  [ -n "$b" ] && echo "pyenv-$(basename "$(dirname "$d")")|8|$d/$b" >>interps
done
[ -s interps ] || skip "no CPython interpreter to run"
note "$(wc -l <interps) interpreters: $(cut -d'|' -f1 interps | tr '\n' ' ')"

# live LABEL PTR CMD...: runs CMD -c READY, carver sig @layout --pid, checks the layout.
live() {
  _l=$1 _ptr=$2
  shift 2
  _ver=$("$@" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
  if [ -z "$_ver" ]; then
    bad "$_l: does not run"
    return 1
  fi
  rm -f "$_l.fifo" "$_l.ready"
  mkfifo "$_l.fifo"
  "$@" -c "$READY" <"$_l.fifo" >"$_l.ready" 2>"$_l.stderr" &
  _pid=$!
  exec 3>"$_l.fifo"
  _i=0
  while ! grep -q READY "$_l.ready" 2>/dev/null && [ $_i -lt 300 ]; do
    sleep 0.1
    _i=$((_i + 1))
  done
  if ! grep -q READY "$_l.ready"; then
    bad "$_l: no READY"
  else
    run "$_l.live" sig @layout --pid "$_pid" --format jsonl
    if no_crash "$_l.live" && expect_rc "$_l.live" 0 "$_l: sig @layout --pid"; then
      if out=$(check layout "$_l.live.out" "$_ver" "$_ptr"); then
        ok "$_l ($_ver, live): $out"
      else
        bad "$_l ($_ver, live): $out"
      fi
    fi
  fi
  echo x >&3
  exec 3>&-
  wait $_pid 2>/dev/null
  VER=$_ver
}

# dumped LABEL PTR VER [--exec-only] -- CMD...: the same on a dump of the interpreter's
# own mappings.
dumped() {
  _l=$1 _ptr=$2 _ver=$3
  shift 3
  _how=full
  [ "$1" = --exec-only ] && _how=code-only
  _d="$_l.dump.$_how"
  "$PYTHON3" "$HERE/sig_dump.py" "$_d" "$@" -c "$READY" >"$_d.pid" 2>"$_d.log"
  case $? in
  0) ;;
  77) note "$_l: cannot read another process's memory: dump check skipped"; return 0 ;;
  *) bad "$_l: sig_dump.py failed: $(head -c 300 "$_d.log")"; return 1 ;;
  esac
  run "$_d" sig @layout "$_d" --format jsonl
  if no_crash "$_d" && expect_rc "$_d" 0 "$_l: sig @layout on a dump ($_how)"; then
    out=$(check layout "$_d.out" "$_ver" "$_ptr") && ok "$_l ($_ver, dump: $_how): $out" ||
      bad "$_l ($_ver, dump: $_how): $out"
  fi
  if [ $_how = code-only ]; then
    # without the files on this machine, code pages alone give no symbols
    run "$_d.nofiles" sig @layout "$_d" --no-files --format jsonl
    no_crash "$_d.nofiles" && expect_rc "$_d.nofiles" 1 "$_l: --no-files on code pages alone" &&
      ok "$_l: --no-files on code pages alone: nothing (the symbols are in the file)"
  fi
}

while IFS='|' read -r label ptr cmd; do
  # shellcheck disable=SC2086 # cmd is a command line
  live "$label" "$ptr" $cmd || continue
  case $label in
  system | 2.7 | i386-3.14 | pyenv-3.12.*)
    # shellcheck disable=SC2086
    dumped "$label" "$ptr" "$VER" --match 'python' -- $cmd
    # shellcheck disable=SC2086
    dumped "$label" "$ptr" "$VER" --exec-only --match 'python' -- $cmd
    ;;
  esac
done <interps
finish
