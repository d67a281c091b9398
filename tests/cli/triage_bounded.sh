# SPDX-License-Identifier: MIT
# carver triage streams any size in bounded memory: a findings stream larger than the
# address-space limit it runs under (ulimit -v 100 MiB), with 400000 mostly unique values,
# 100 regions and one 20 MiB value, is summarized with counts that agree exactly with
# python3-msgpack; the tables of strings overflow their caps and say so (approximate).
# The limit is not applied to AddressSanitizer builds (their shadow memory needs terabytes
# of address space).
# Usage: sh triage_bounded.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

"$PYTHON3" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
CHECK="$HERE/triage_check.py"

"$PYTHON3" - big.msgpack 400000 <<'EOF'
import random, sys
import msgpack
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
pk = msgpack.Packer(use_bin_type=True)
with open(out, "wb") as f:
    f.write(pk.pack({"record": "meta", "tool": "carver", "python": "3.11",
                     "sources": ["synthetic"]}))
    for i in range(n):
        base = 0x7f0000000000 + (i % 100) * 0x1000000
        if i % 2:
            v = "value %d https://host%d.example/p/%d /srv/app/%d/file%d.py %s" % (
                i, i % 5000, i, i % 977, i, "x" * (i % 300))
        else:
            v = ("b%d" % i).encode() + bytes(rnd.randrange(256) for _ in range(i % 200))
        if i == n // 2:
            v = "BIG-" + "y" * (20 << 20)
        f.write(pk.pack({"record": "object", "addr": base + i * 64,
                         "type": "str" if isinstance(v, str) else "bytes", "length": len(v),
                         "status": "live" if i % 3 else "freed", "hash_check": "unset",
                         "region": "task.1.0x%x.vma" % base, "value": v}))
    f.write(pk.pack({"record": "summary", "objects": n}))
EOF
[ -s big.msgpack ] || { bad "could not generate the stream"; finish; }
size=$(wc -c <big.msgpack)
note "stream of $size bytes"

limit=""
if ldd "$CARVER" 2>/dev/null | grep -q libasan; then
  note "AddressSanitizer build: no address-space limit"
else
  limit="ulimit -v 102400;"
  [ "$size" -gt $((102400 * 1024)) ] || bad "the stream should be larger than the limit"
fi
sh -c "$limit exec \"\$0\" triage big.msgpack --format summary-json --html big.html" "$CARVER" \
  >sum.out 2>sum.err
RC=$?
if no_crash sum && expect_rc sum 0 "triage of $size bytes${limit:+ under ulimit -v 100 MiB}"; then
  ok "triage of $size bytes${limit:+ under ulimit -v 100 MiB}: exit 0"
  if out=$("$PYTHON3" "$CHECK" counts sum.out -- big.msgpack); then ok "$out"; else bad "$out"; fi
  if grep -q '"approximate":\[[^]]*"urls"' sum.out; then
    ok "the URL table overflowed its cap and is marked approximate"
  else
    bad "the URL table is not marked approximate: $(grep -o '"approximate":[^]]*]' sum.out)"
  fi
  [ -s big.html ] && ok "the HTML report was written ($(wc -c <big.html) bytes)" || bad "no HTML report"
fi
sh -c "$limit exec \"\$0\" triage big.msgpack --format jsonl --status freed" "$CARVER" \
  >jsonl.out 2>jsonl.err
RC=$?
if no_crash jsonl && expect_rc jsonl 0 "jsonl of the freed records"; then
  n=$(grep -c '"record":"object"' jsonl.out)
  [ "$n" -eq 133334 ] && ok "jsonl: 133334 freed records" || bad "jsonl: $n freed records, expected 133334"
fi
finish
