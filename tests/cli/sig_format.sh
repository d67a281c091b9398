# SPDX-License-Identifier: MIT
# carver sig: the shipped signature files parse (--list), a malformed signature is a usage
# error naming FILE:LINE, --name filters, --help documents the command; a signature of
# one's own (here: the `syscall` wrapper shape of libc) matches on a real process and its
# record carries the matched instructions, captures and registers.
# Usage: sh sig_format.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

run list sig "$SRC/signatures" --list
if expect_rc list 0 "sig signatures/ --list"; then
  for n in cpython.bytes.ob_sval.x86-64 cpython.str.length.x86-32 openssl.heartbleed.word.x86-64; do
    grep -q "^$n " list.out || bad "--list lacks $n"
  done
  ok "--list: $(wc -l <list.out) signatures"
fi
run blist sig @layout --list
expect_rc blist 0 "sig @layout --list" && [ "$(wc -l <blist.out)" -ge 9 ] &&
  ok "@layout: the built-in layout signatures ($(wc -l <blist.out))"

printf 'signature ok.one\narch x86-64\ncode\n  nop\nend\n\nsignature broken\narch x86-64\ncode\n  mov rax, [rdi + \nend\n' >bad.sig
run bad sig bad.sig --pid 1
expect_usage bad "a malformed signature" && grep -q 'bad.sig:10:' bad.err ||
  bad "the error does not name bad.sig:10"
run nosig sig
expect_usage nosig "no signature file"
run missing sig no-such.sig --list
expect_error missing 3 "a signature file that does not exist"
run noname sig "$SRC/signatures" --name 'zzz' --list
expect_usage noname "--name matching nothing"
run named sig "$SRC/signatures" --name '^openssl' --list
expect_rc named 0 "--name ^openssl" && [ "$(wc -l <named.out)" -eq 4 ] &&
  ok "--name ^openssl keeps the 4 heartbleed signatures" || bad "--name: $(cat named.out)"
run noin sig "$SRC/signatures"
expect_usage noin "signatures but no input"
run h sig --help
if expect_rc h 0 "sig --help"; then
  for w in SIGNATURES --name --no-files --list @layout 'Exit codes:'; do
    grep -q -e "$w" h.out || bad "sig --help does not mention $w"
  done
  ok "sig --help"
fi

note "a signature of one's own, on a live process"
cat >own.sig <<'EOF'
signature libc.syscall.wrapper
description glibc's syscall(): shifts its arguments one register down and runs syscall
arch x86-64
library (^|/)libc[.-][^/]*so
fact arg.shift = 1
code
  mov %nr:64, rdi                 # the system call number
  mov rdi, rsi
  ... 6
  syscall
end
EOF
"$PYTHON3" -S -c 'import time; time.sleep(60)' &
P=$!
sleep 0.5
run own sig own.sig --pid $P --format jsonl
kill $P 2>/dev/null
if no_crash own && expect_rc own 0 "own signature on a live python3"; then
  if "$PYTHON3" - own.out <<'EOF'; then ok "syscall() found in libc, with instructions, registers and facts"; else bad "own signature record: $(head -c 400 own.out)"; fi
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hits = [r for r in recs if r["record"] == "sig"]
assert hits, "no match"
h = hits[0]
assert "libc" in h["mapping"] and h["arch"] == "x86-64", h["mapping"]
assert h["insns"][0]["asm"].startswith("mov") and h["insns"][-1]["asm"] == "syscall", h["insns"]
assert h["insns"][0]["line"] == 7 and h["insns"][-1]["line"] == 10
assert h["registers"]["nr"] == "rax", h["registers"]
assert h["facts"]["arg.shift"] == 1
assert h["file_offset"] == h["addr"] - h["mapping_start"] + (h["file_offset"] - (h["addr"] - h["mapping_start"]))
summ = recs[-1]
assert summ["matches"] == len(hits) and summ["by_signature"]["libc.syscall.wrapper"] == len(hits)
EOF
fi
finish
