# SPDX-License-Identifier: MIT
# carver run as an unprivileged user (nobody) against a root-owned process: scan, maps and
# dump each fail with exit 3 and one "carver: error:" line that says what to do
# (CAP_SYS_PTRACE, same user, ptrace_scope). Skipped unless run as root with setpriv or su.
. "$(dirname "$0")/lib.inc"
[ "$(id -u)" -eq 0 ] || skip "needs root to start a root-owned target and switch to nobody"
# $NOBODY CMD ARGS...: runs CMD as user nobody without capabilities.
NOBODY=$WORK/as_nobody
if command -v setpriv >/dev/null 2>&1; then
  printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@"\n' >"$NOBODY"
else
  printf '#!/bin/sh\nexec su nobody -s /bin/sh -c '"'"'exec "$0" "$@"'"'"' -- "$@"\n' >"$NOBODY"
fi
chmod 0755 "$NOBODY"
"$NOBODY" "$CARVER" --version >/dev/null 2>&1 ||
  skip "cannot run $CARVER as nobody (setpriv/su missing, or the binary is not reachable)"

mkfifo "$WORK/hold"
"$PYTHON3" -S -c 'import os; open("'"$WORK"'/ready", "w").write("x"); os.read(0, 1)' \
  <"$WORK/hold" &
target=$!
exec 9>"$WORK/hold"
i=0
while [ ! -s "$WORK/ready" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
chmod 0777 "$WORK"

# run_nobody NAME ARGS...: like run, as nobody.
run_nobody() {
  _n=$1
  shift
  (cd / && timeout -s KILL "$RUN_TIMEOUT" "$NOBODY" "$CARVER" "$@") </dev/null >"$_n.out" 2>"$_n.err"
  RC=$?
}
run_nobody scan scan --pid "$target" --format jsonl
expect_error scan 3 "scan --pid $target as nobody"
grep -q CAP_SYS_PTRACE scan.err || bad "the error does not say how to get access (CAP_SYS_PTRACE)"
run_nobody scanp scan "pid:$target" --format jsonl
expect_error scanp 3 "scan pid:$target as nobody"
run_nobody maps maps --pid "$target"
expect_error maps 3 "maps --pid $target as nobody"
run_nobody dump dump --pid "$target" -o "$WORK/d"
expect_error dump 3 "dump --pid $target as nobody"
[ -e "$WORK/d" ] && bad "dump as nobody created $WORK/d although it read nothing"
exec 9>&-
wait "$target"
finish
