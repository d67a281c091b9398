# SPDX-License-Identifier: MIT
# A plain dump file whose --base is not pointer-aligned (a dump cut a few bytes into a
# mapping): every --chunk-size gives the same objects, and the same ones as the whole
# dump. Chunks are counted from the region's start, so with an unaligned start every chunk
# ends in the middle of a word; a type pointer straddling a chunk end used to be skipped
# (found by tests/fuzz/fuzz_scan, kept as corpus/scan/crash-unaligned-region-word-across-chunks).
# Usage: sh hostile_unaligned.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

tarball=$SRC/samples/py311.tar.xz
[ -f "$tarball" ] || skip "no samples/py311.tar.xz"
tar -xJf "$tarball" || { bad "cannot extract py311"; finish; }

# Without the maps copy, so that both scans find the interpreter in the memory alone.
mkdir -p full
cp py311/task.* full/
run whole scan full --no-clobbered --no-progress --python 3.11 --format jsonl
no_crash whole && expect_rc whole 0 "scan py311" || finish
# The heap: the dump file holding the most objects.
heap=$("$PYTHON3" - full whole.out <<'EOF'
import json, os, sys
files = []
for f in os.listdir(sys.argv[1]):
    if f.startswith("task."):
        start = int(f.split(".")[2], 16)
        files.append((start, start + os.path.getsize(os.path.join(sys.argv[1], f)), f))
count = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r["record"] == "object":
        for s, e, f in files:
            if s <= r["addr"] < e:
                count[f] = count.get(f, 0) + 1
print(max(count, key=count.get))
EOF
)
[ -n "$heap" ] || { bad "no dump file holds objects"; finish; }
start=$(echo "$heap" | cut -d. -f3)
mkdir -p rest
for f in full/task.*; do
  [ "$(basename "$f")" = "$heap" ] || cp "$f" rest/
done
# The heap without its first 4 bytes, at its true address plus 4: words stay where they were.
tail -c +5 "full/$heap" >heap.bin
base=$(printf '0x%x' $((start + 4)))
note "heap $heap cut to start at $base ($(wc -c <heap.bin) bytes)"

# same NAME: the objects of NAME.out (address, type, length, status, value) equal whole.out's.
same() {
  "$PYTHON3" - whole.out "$1.out" <<'EOF'
import json, sys
def objs(p):
    out = set()
    for line in open(p):
        r = json.loads(line)
        if r["record"] == "object":
            out.add((r["addr"], r["type"], r["length"], r["status"], r.get("value"), r.get("value_b64")))
    return out
a, b = objs(sys.argv[1]), objs(sys.argv[2])
if a != b:
    print("%d objects, expected %d: %d missing (e.g. %s), %d extra" % (
        len(b), len(a), len(a - b), sorted(a - b)[:2], len(b - a)))
    sys.exit(1)
print("%d objects, as the whole dump" % len(b))
EOF
}

for cs in 64K 4096 1000 200 64; do
  run "cs$cs" scan rest --base "$base" heap.bin --no-clobbered --no-progress --chunk-size "$cs" \
    --python 3.11 --format jsonl
  no_crash "cs$cs" || continue
  expect_rc "cs$cs" 0 "unaligned --base, --chunk-size $cs" || continue
  if msg=$(same "cs$cs"); then
    ok "unaligned --base $base, --chunk-size $cs: $msg"
  else
    bad "unaligned --base $base, --chunk-size $cs: $msg"
  fi
done
finish
