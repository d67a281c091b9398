# SPDX-License-Identifier: MIT
# A dump file that shrinks while it is being scanned (evidence copied on the fly, a disk
# that fails): what was read is kept, the missing tail counts as a hole, the scan ends
# normally and its output is a whole stream. With one thread and with the reader thread.
# Usage: sh shrink.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

need_dump dump

# A large sparse plain file beside the dump with a copy of the process's largest mapping
# at its start, so that objects are found before the file shrinks.
BASE=0x100000000000
heap=$(ls -S dump/task.* | head -n 1)
note "big.bin: a copy of $(basename "$heap") ($(wc -c <"$heap") bytes) at $BASE, then zeros"

# shrink THREADS: scan with small chunks (a slow scan), cut big.bin to 64 MiB after a
# quarter of a second. The input grows until the scan outlasts the delay.
gib=2
shrink() {
  _t=$1
  while :; do
    rm -f big.bin out.jsonl
    dd if="$heap" of=big.bin bs=1M status=none || bad "dd failed"
    truncate -s "${gib}G" big.bin
    "$CARVER" scan dump --base "$BASE" big.bin --threads "$_t" --chunk-size 64K --no-progress \
      --format jsonl -o out.jsonl </dev/null >"t$_t.out" 2>"t$_t.err" &
    _pid=$!
    sleep 0.25
    truncate -s 64M big.bin
    wait "$_pid"
    RC=$?
    # finished before the cut when it read the whole file
    if "$PYTHON3" -c '
import json, sys
s = json.loads(open("out.jsonl").read().splitlines()[-1])
sys.exit(0 if s.get("holes", 0) == 0 else 1)' 2>/dev/null; then
      grow_input "threads $_t" 64 "a quarter of a second" "the cut" || return 1
      continue
    fi
    break
  done
  no_crash "t$_t" || return 1
  expect_rc "t$_t" 0 "threads $_t: big.bin cut to 64 MiB during a scan of ${gib} GiB" || return 1
  if records stream out.jsonl jsonl >"t$_t.rec"; then
    ok "threads $_t: exit 0; out.jsonl is a whole stream ($(cat "t$_t.rec"))"
  else
    bad "threads $_t: out.jsonl is not a whole stream: $(cat "t$_t.rec")"
  fi
  if grep -q "^carver: warning: .*big.bin: only [0-9]* of its [0-9]* bytes could be read" "t$_t.err"; then
    ok "threads $_t: $(grep -m1 'big.bin: only' "t$_t.err")"
  else
    bad "threads $_t: no warning about the bytes that could not be read"
    show "t$_t"
  fi
  if records markers out.jsonl jsonl >/dev/null; then
    ok "threads $_t: the planted markers are still reported"
  else
    bad "threads $_t: planted markers missing after the cut"
  fi
  "$PYTHON3" - "$gib" <<'EOF' >"t$_t.sum" 2>&1
import json, sys
recs = [json.loads(l) for l in open("out.jsonl")]
s = recs[-1]
big = 1 << 30
scanned = s["bytes_scanned"]
# the whole dump and at least the first 64 MiB of big.bin, but not all of it
ok = s["holes"] >= 1 and scanned < int(sys.argv[1]) * big
print("holes %d, %d bytes scanned of %d GiB + the dump" % (s["holes"], scanned, int(sys.argv[1])))
sys.exit(0 if ok else 1)
EOF
  if [ $? -eq 0 ]; then
    ok "threads $_t: summary: $(cat "t$_t.sum")"
  else
    bad "threads $_t: summary does not show the cut: $(cat "t$_t.sum")"
  fi
  return 0
}

note "one thread"
shrink 1
note "reader thread"
shrink 2
finish
