# SPDX-License-Identifier: MIT
# A process that does not exist, and one that exits in the middle of a scan: exit 6 with
# one "carver: error:" line; in the second case the findings so far are written and the
# output stays decodable.
. "$(dirname "$0")/lib.inc"

note "a pid that does not exist"
sh -c 'exit 0' &
gone=$!
wait "$gone"
while [ -d "/proc/$gone" ]; do gone=$((gone + 7919)); done
for form in "--pid $gone" "pid:$gone"; do
  # shellcheck disable=SC2086 # form is two words on purpose
  run nopid scan $form --format jsonl
  expect_error nopid 6 "scan $form (no such process)"
done
run nopid_maps maps --pid "$gone"
expect_error nopid_maps 6 "maps --pid $gone"
run nopid_dump dump --pid "$gone" -o "$WORK/nodump"
expect_error nopid_dump 6 "dump --pid $gone"
run badpid scan pid:12ab
no_crash badpid && expect_rc badpid 2 "scan pid:12ab is refused as a usage error" &&
  ok "scan pid:12ab: exit 2, $(head -n 1 badpid.err)"

note "a process that exits during the scan"
# About 250 MB of str objects: the scan takes a second or more; the target is killed
# (it is this test's own child) a moment after the scan started.
mkfifo "$WORK/hold"
"$PYTHON3" -S -c '
import os, sys
K = [("v%d-" % i) * 100 for i in range(400000)]
open(sys.argv[1], "w").write("ready\n")
os.read(0, 1)' "$WORK/ready" <"$WORK/hold" &
target=$!
exec 9>"$WORK/hold"
i=0
while [ ! -s "$WORK/ready" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$WORK/ready" ] || { bad "target never got ready"; finish; }
timeout -s KILL 120 "$CARVER" scan --pid "$target" --format jsonl -o "$WORK/exit.jsonl" \
  >exit.out 2>exit.err &
scan=$!
sleep 0.4
kill -KILL "$target"
wait "$scan"
RC=$?
exec 9>&-
wait "$target" 2>/dev/null
if [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ]; then
  note "the scan finished before the target exited (exit $RC): machine too fast, not checked"
else
  expect_error exit 6 "scan --pid: the target exited during the scan"
  if records stream "$WORK/exit.jsonl" jsonl >stream.txt 2>&1; then
    ok "the findings so far were written: $(cat stream.txt)"
  else
    bad "the output is not a complete stream: $(cat stream.txt)"
  fi
fi
finish
