# SPDX-License-Identifier: MIT
# Inputs that are not usable cores: each gives one "carver: error:" line and exit 3, never
# a crash. A core cut in the middle of its segments is still scanned, its missing part
# reported as holes with a warning.
. "$(dirname "$0")/lib.inc"

note "not a core"
printf 'just some notes\n' >"$WORK/notes.txt"
run txt scan "$WORK/notes.txt"
expect_error txt 3 "a text file"
cp /bin/true "$WORK/true-binary"
run exe scan "$WORK/true-binary"
expect_error exe 3 "an ELF executable"
grep -q "not a core" exe.err || bad "the error does not say it is no core"
: >"$WORK/empty"
run empty scan "$WORK/empty"
expect_error empty 3 "an empty file"

core_of_python core
case $? in
1) note "gcore not installed: core cases skipped"; finish ;;
2) skip "gcore made no core (ptrace not allowed here?)" ;;
esac
size=$(wc -c <"$CORE")
note "core of pid $CORE_PID: $size bytes"
run whole scan "$CORE" --format jsonl
no_crash whole && expect_rc whole 0 "the whole core" && ok "the whole core: exit 0"

note "truncated"
head -c 60 "$CORE" >"$WORK/core.60"
run t60 scan "$WORK/core.60"
expect_error t60 3 "a core cut inside its ELF header"
head -c 300 "$CORE" >"$WORK/core.300"
run t300 scan "$WORK/core.300"
expect_error t300 3 "a core cut inside its program headers"
grep -q truncated t300.err || bad "the error does not say the core is truncated"
head -c $((size / 2)) "$CORE" >"$WORK/core.half"
run half scan "$WORK/core.half" --format jsonl -o "$WORK/half.jsonl"
no_crash half
if [ "$RC" -le 1 ] && grep -q "^carver: warning: .*truncated.*holes" half.err &&
  records stream "$WORK/half.jsonl" jsonl >half.txt 2>&1; then
  ok "a core cut in half: scanned (exit $RC) with a warning: $(grep truncated half.err | cut -c1-120); $(cat half.txt)"
else
  bad "a core cut in half (exit $RC)"
  show half
fi

note "compressed"
for z in "zstd -q -c" "xz -c" "lz4 -q -c" "gzip -c"; do
  tool=${z%% *}
  command -v "$tool" >/dev/null 2>&1 || continue
  $z "$CORE" >"$WORK/core.$tool"
  run "c$tool" scan "$WORK/core.$tool"
  expect_error "c$tool" 3 "a $tool-compressed core"
  grep -q "decompress it first: $tool -d" "c$tool.err" || bad "$tool: no decompression hint"
done

note "corrupt"
# Flip bytes in the program headers and notes: no crash, an error or a scan.
"$PYTHON3" - "$CORE" "$WORK/mut" <<'PYEOF'
import random, struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", data, 32)
phnum, = struct.unpack_from("<H", data, 56)
rnd = random.Random(7)
for n in range(12):
    d = bytearray(data)
    for _ in range(1 + n * 3):
        at = phoff + rnd.randrange(phnum * 56) if n % 2 else rnd.randrange(64, min(len(d), 1 << 16))
        d[at] = rnd.randrange(256)
    open("%s.%d" % (sys.argv[2], n), "wb").write(d[: len(d) if n % 3 else len(d) * 3 // 4])
PYEOF
crashes=0
for f in "$WORK"/mut.*; do
  run mut scan "$f" --format jsonl -o /dev/null --force
  no_crash mut || crashes=$((crashes + 1))
done
[ "$crashes" -eq 0 ] && ok "12 corrupted cores: no crash"
finish
