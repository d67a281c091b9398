# SPDX-License-Identifier: MIT
# SIGINT and SIGTERM during a scan: exit 130 / 143, and the msgpack file written so far
# is a whole stream (meta first, whole object records, a summary with interrupted=true).
# Usage: sh signals.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

need_dump dump

# A large plain file beside the dump, at an address no mapping of the process uses: sparse
# (it costs no disk space) but carrying a copy of the process's largest mapping every
# 64 MiB of its first GiB, so object records are being written when the signal arrives.
BASE=0x100000000000
heap=$(ls -S dump/task.* | head -n 1)
: >big.bin
i=0
while [ $i -lt 16 ]; do
  dd if="$heap" of=big.bin bs=1M seek=$((i * 64)) conv=notrunc status=none || bad "dd failed"
  i=$((i + 1))
done
note "big.bin: copies of $(basename "$heap") ($(wc -c <"$heap") bytes) every 64 MiB, at $BASE"

# interrupt SIGNAL STATUS: run the scan in the background, signal it after half a second.
# The input grows (sparse) until the scan outlasts the delay.
gib=4
interrupt() {
  _sig=$1
  _want=$2
  while :; do
    truncate -s "${gib}G" big.bin
    rm -f out.msgpack
    "$CARVER" scan dump --base "$BASE" big.bin --max-len 64K --no-progress \
      --format msgpack -o out.msgpack </dev/null >"$_sig.out" 2>"$_sig.err" &
    _pid=$!
    sleep 0.5
    kill -s "$_sig" "$_pid" 2>/dev/null
    wait "$_pid"
    RC=$?
    if [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ]; then
      grow_input "SIG$_sig" 256 "half a second" "the signal" || return 1
      continue
    fi
    break
  done
  no_crash "$_sig" || return 1
  expect_rc "$_sig" "$_want" "SIG$_sig during a scan of ${gib} GiB" || return 1
  ok "SIG$_sig during a scan of ${gib} GiB: exit $_want"
  if [ ! -s out.msgpack ]; then
    bad "SIG$_sig: out.msgpack is missing or empty"
    show "$_sig"
    return 1
  fi
  if records stream out.msgpack msgpack --interrupted; then
    ok "SIG$_sig: out.msgpack decodes completely: meta first, whole records, summary last with interrupted=true"
  else
    bad "SIG$_sig: out.msgpack is not a whole stream ending in an interrupted summary"
  fi
  if grep -q "^carver: warning: interrupted by signal" "$_sig.err"; then
    ok "SIG$_sig: $(grep '^carver: warning: interrupted' "$_sig.err")"
  else
    bad "SIG$_sig: no 'interrupted by signal' warning on stderr"
    show "$_sig"
  fi
  [ -s "$_sig.out" ] && bad "SIG$_sig: wrote to stdout although -o was given"
  return 0
}

note "SIGINT"
interrupt INT 130
note "SIGTERM"
interrupt TERM 143

note "SIGTERM with the stream on stdout"
truncate -s "${gib}G" big.bin
"$CARVER" scan dump --base "$BASE" big.bin --max-len 64K --no-progress --format jsonl \
  </dev/null >stdout.jsonl 2>stdout.err &
pid=$!
sleep 0.5
kill -s TERM "$pid" 2>/dev/null
wait "$pid"
RC=$?
: >stdout.out
no_crash stdout
if expect_rc stdout 143 "SIGTERM with JSON lines on stdout"; then
  ok "SIGTERM with JSON lines on stdout: exit 143"
  records stream stdout.jsonl jsonl --interrupted || bad "the JSON lines stream on stdout is not whole"
fi

finish
