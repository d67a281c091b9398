# SPDX-License-Identifier: MIT
# Hostile WKdm input through the CLI: every mutated, truncated or padded blob derived from
# real heap pages (samples/py311.tar.xz) is either decompressed or refused with exit 3 and
# one "carver: error:" line naming the reason, never a crash or a sanitizer report; usage
# errors exit 2; help is complete; a tree of garbage is refused as a whole.
# Usage: sh wkdm_hostile.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

tarball=$SRC/samples/py311.tar.xz
[ -f "$tarball" ] || skip "no samples/py311.tar.xz"
tar -xJf "$tarball" || { bad "cannot extract py311"; finish; }

run tc wkdm compress --tree tc py311
expect_rc tc 0 "classic tree of py311" || finish
run ta wkdm compress --apple --tree ta py311
expect_rc ta 0 "xnu tree of py311" || finish

note "mutations of real blobs (both layouts; bit flips, small offsets, cuts, extra bytes)"
"$PYTHON3" - tc ta <<'EOF' || bad "could not write the mutated blobs"
import os, random, struct, sys
rng = random.Random(7)
blobs = []
for tree in sys.argv[1:]:
    for root, _, files in os.walk(tree):
        for f in files:
            if f.startswith('slot'):
                blobs.append(os.path.join(root, f))
blobs.sort()
os.makedirs('mut', exist_ok=True)
for i in range(400):
    b = bytearray(open(rng.choice(blobs), 'rb').read())
    how = i % 5
    if how == 0 and len(b) > 16:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif how == 1 and len(b) > 16:
        o = rng.randrange(0, min(len(b), 16) - 3, 4)
        b[o:o + 4] = struct.pack('<I', rng.choice([0, 1, 66, 67, 68, 0x3fffffff, 0xffffffff,
                                                   len(b) // 4, len(b) // 4 + 1, 17185]))
    elif how == 2:
        b = b[:rng.randrange(len(b))]
    elif how == 3:
        b += bytes(rng.randrange(1, 9))
    else:
        o = rng.randrange(len(b))
        b[o:o + 8] = os.urandom(8)
    open('mut/%03d.blob' % i, 'wb').write(bytes(b))
EOF
decoded=0
refused=0
for f in mut/*.blob; do
  run m wkdm decompress "$f" -o "$f.page"
  no_crash m || continue
  case $RC in
  0) decoded=$((decoded + 1)) ;;
  3)
    refused=$((refused + 1))
    if [ "$(grep -c '^carver: error: .*: not a WKdm blob: ' m.err)" != 1 ] || [ -s m.out ]; then
      bad "$f: refused without exactly one 'not a WKdm blob: REASON' line"
      show m
    fi
    ;;
  *) bad "$f: exit status $RC"; show m ;;
  esac
done
if [ "$refused" -gt 0 ] && [ $((decoded + refused)) -eq 400 ]; then
  ok "400 mutated blobs: $decoded decoded, $refused refused cleanly"
else
  bad "mutated blobs: $decoded decoded, $refused refused of 400"
fi
for v in classic apple; do
  for f in mut/00*.blob; do
    run mv wkdm decompress "--$v" "$f" -o "$f.$v"
    no_crash mv || break
    [ "$RC" -eq 0 ] || [ "$RC" -eq 3 ] || { bad "--$v $f: exit $RC"; break; }
  done
done
ok "forced layouts: no crash on the mutated blobs"

note "refusals name the reason"
b=$(ls tc/segment2/slot*.dmp | head -n 1)
head -c 100 "$b" >short.blob
run r1 wkdm decompress short.blob -o r1.page
expect_error r1 3 "a truncated blob"
cat "$b" >long.blob && printf '\0\0\0\0' >>long.blob
run r2 wkdm decompress long.blob -o r2.page
expect_error r2 3 "trailing bytes"
grep -q 'bytes after the end' r2.err || bad "the trailing-bytes reason is not named"
head -c 5000 /dev/zero >huge.blob
run r3 wkdm decompress huge.blob -o r3.page
expect_error r3 3 "a blob larger than any WKdm blob"
: >empty.blob
run r4 wkdm decompress empty.blob -o r4.page
expect_error r4 3 "an empty file"
run r5 wkdm decompress missing.blob -o r5.page
expect_error r5 3 "a missing file"
head -c 4000 /dev/zero >odd.page
run r6 wkdm compress odd.page -o r6.blob
expect_error r6 3 "compress: a page that is not 4096 bytes"
head -c 4096 /dev/urandom >rand.page
run r7 wkdm compress rand.page -o r7.blob
expect_rc r7 0 "compress a random page" && run r8 wkdm compress rand.page -o r7.blob &&
  expect_error r8 5 "compress onto an existing file without --force"
run r9 wkdm decompress "$b" -o -
expect_rc r9 0 "decompress to standard output (-o -)" && [ "$(wc -c <r9.out)" = 4096 ] &&
  ok "4096 bytes on standard output"

note "garbage trees"
mkdir -p junk/segment0
for i in 1 2 3; do head -c 300 /dev/urandom >"junk/segment0/slot$i.dmp"; done
run j1 wkdm decompress --dumps junk.out junk
expect_error j1 3 "decompress --dumps of a tree without one valid blob"
run j2 wkdm scan junk --format jsonl -o junk.jsonl
expect_error j2 3 "scan of a tree without one valid blob"

note "usage"
run u1 wkdm
expect_usage u1 "wkdm without a command"
run u2 wkdm frobnicate
expect_usage u2 "an unknown wkdm command"
run u3 wkdm decompress "$b"
expect_usage u3 "decompress without -o"
run u4 wkdm compress --tree x --no-sparse
expect_usage u4 "--tree without inputs"
run u5 wkdm compress --shuffle 1 rand.page -o u5.blob
expect_usage u5 "--shuffle without --tree"
run u6 wkdm decompress --bogus "$b" -o u6
expect_usage u6 "an unknown option"
for sub in "" compress decompress scan; do
  run h wkdm $sub --help
  if expect_rc h 0 "wkdm $sub --help"; then
    grep -q '^Usage: carver wkdm' h.out && ok "wkdm $sub --help: usage line" ||
      bad "wkdm $sub --help: no usage line"
  fi
done
grep -q -e '--trust-order' h.out && grep -q -e '--hash-key' h.out && ok "scan help lists its options" ||
  bad "scan help misses options"
finish
