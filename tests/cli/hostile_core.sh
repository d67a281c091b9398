# SPDX-License-Identifier: MIT
# Cores whose segments point past the end of the file, or claim absurd sizes, and a core cut
# inside its headers, all made here byte by byte (no gcore needed), then a real gcore core
# rewritten the same way when gcore works: one "carver: error:" line with the documented
# exit code (3 unusable input, 4 no interpreter in what is there) and a warning saying the
# segments are missing, quickly and without a crash; a scan that finds objects writes a
# whole stream. (tests/cli/core_errors.sh covers cut, compressed and bit-flipped cores.)
# Usage: sh hostile_core.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

cat >mkcore.py <<'EOF'
import struct, sys
# mkcore.py OUT MODE: a minimal x86-64 ELF core (a PT_NOTE with NT_PRPSINFO, then PT_LOADs).
out, mode = sys.argv[1], sys.argv[2]
def note(name, typ, desc):
    n = name + b"\0"
    return (struct.pack("<III", len(n), len(desc), typ) + n.ljust((len(n) + 3) & ~3, b"\0")
            + desc.ljust((len(desc) + 3) & ~3, b"\0"))
psinfo = bytearray(136)
struct.pack_into("<I", psinfo, 24, 4242)
psinfo[40:47] = b"python3"
psinfo[56:76] = b"python3 -c \x1b[2J\x07evil"
notes = note(b"CORE", 3, bytes(psinfo))
if mode == "ntfile":  # NT_FILE claiming 2^40 mappings of page size 0
    notes += note(b"CORE", 0x46494c45, struct.pack("<QQ", 1 << 40, 0) + b"\0" * 48)
# (vaddr, filesz, memsz, file offset or None: right here)
loads = {
    "past": [(0x400000, 1 << 20, 1 << 20, 1 << 40), (0x7f0000000000, 4096, 4096, None)],
    "huge": [(0x400000, 1 << 62, 1 << 62, 1 << 63),
             (0x7f0000000000, 1 << 62, 4096, (1 << 64) - 4096)],
    "wrap": [((1 << 64) - 4096, 8192, 8192, None)],
    "cut": [(0x400000, 4096, 4096, None)],
    "ntfile": [(0x400000, 4096, 4096, None)],
}[mode]
phnum = 1 + len(loads)
hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
hdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
off = 64 + 56 * phnum
ph = struct.pack("<IIQQQQQQ", 4, 0, off, 0, 0, len(notes), 0, 4)
body = notes
off += len(notes)
for vaddr, filesz, memsz, poff in loads:
    if poff is None:
        poff = off
        body += b"\0" * filesz
        off += filesz
    ph += struct.pack("<IIQQQQQQ", 1, 6, poff, vaddr, 0, filesz, memsz, 4096)
data = hdr + ph + body
if mode == "cut":
    data = data[:64 + 56 + 20]
if mode == "past":
    data = data[:off - 4096]  # the second segment's data is cut off too
open(out, "wb").write(data)
EOF

# core_case NAME CODE DESCRIPTION WARNING-REGEX
core_case() {
  "$PYTHON3" mkcore.py "core.$1" "$1" || { bad "mkcore.py $1 failed"; return; }
  run "$1" scan "core.$1" --format jsonl --no-progress
  expect_error "$1" "$2" "$3" || return
  if [ "$SECS" -gt 10 ]; then
    bad "$3: took ${SECS}s"
  fi
  if [ -n "$4" ]; then
    if grep -q -E "^carver: warning: .*($4)" "$1.err"; then
      ok "$3: warns: $(grep -E "^carver: warning: .*($4)" "$1.err" | head -n 1 | cut -c1-150)"
    else
      bad "$3: no warning matching '$4'"
      show "$1"
    fi
  fi
}

note "made-up cores"
core_case past 4 "a core whose segments point past the end of the file" "truncated.*holes"
grep -q "in 0 bytes of input" past.err || bad "the error does not say that no byte was there"
core_case huge 4 "a core with p_offset 2^63 and p_filesz 2^62" "missing|wraps|overlapping"
core_case wrap 3 "a core whose only segment wraps past 2^64 (nothing left)" "wraps"
core_case cut 3 "a core cut inside its program headers" ""
grep -q "truncated" cut.err || bad "the error does not say the core is truncated"
core_case ntfile 4 "a core whose NT_FILE note claims 2^40 mappings" "NT_FILE"
# The process name and arguments from NT_PRPSINFO hold ESC and BEL: never echoed raw.
for n in past huge wrap cut ntfile; do
  if tr -d '\n' <"$n.err" | LC_ALL=C grep -q '[[:cntrl:]]'; then
    bad "$n: control characters reach stderr raw"
  fi
done

note "a real core, rewritten"
core_of_python hostile-core
case $? in
1) note "gcore not installed: real-core cases skipped"; finish ;;
2) note "gcore made no core (ptrace not allowed here?): real-core cases skipped"; finish ;;
esac
"$PYTHON3" - "$CORE" <<'EOF' || bad "could not rewrite the core"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", data, 32)
phnum, = struct.unpack_from("<H", data, 56)
size = len(data)
past, grown = bytearray(data), bytearray(data)
for i in range(phnum):
    at = phoff + 56 * i
    t, = struct.unpack_from("<I", data, at)
    if t != 1:
        continue
    off, va, pa, fsz, msz = struct.unpack_from("<QQQQQ", data, at + 8)
    struct.pack_into("<Q", past, at + 8, size + (i << 20))       # data past the end
    if fsz:
        struct.pack_into("<QQ", grown, at + 32, fsz + (1 << 44), msz + (1 << 44))  # runs past it
open(sys.argv[1] + ".past", "wb").write(past)
open(sys.argv[1] + ".grown", "wb").write(grown)
EOF
for v in past grown; do
  run "real-$v" scan "$CORE.$v" --format jsonl --no-progress -o "real-$v.jsonl"
  no_crash "real-$v" || continue
  case $RC in
  0 | 1)
    if records stream "real-$v.jsonl" jsonl >"real-$v.txt" 2>&1; then
      ok "real core, segments $v: exit $RC, a whole stream ($(cat "real-$v.txt")) from the mapped files"
    else
      bad "real core, segments $v: exit $RC but the stream is broken: $(cat "real-$v.txt")"
    fi
    ;;
  3 | 4) expect_error "real-$v" "$RC" "real core, segments $v" ;;
  *) bad "real core, segments $v: exit $RC"; show "real-$v" ;;
  esac
  grep -q -E "^carver: warning: .*(truncated|overlapping|wraps)" "real-$v.err" ||
    { bad "real core, segments $v: no warning about the missing segments"; show "real-$v"; }
  [ "$SECS" -le 60 ] || bad "real core, segments $v: took ${SECS}s"
done
finish
