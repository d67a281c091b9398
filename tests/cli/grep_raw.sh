# SPDX-License-Identifier: MIT
# carver grep --raw and --hex: on real dumps (py311 with Volatility 2 names, i386-py311
# with Volatility 3 names) the matches equal Python's re over the dump files at
# start + file offset, each exactly once, identically at chunk sizes of 64 and 4096
# bytes (matches crossing chunks, a 5000-byte one crossing many); on a live process the
# addresses equal /proc/PID/maps arithmetic over /proc/PID/mem, also in a core of it;
# --library keeps only the mappings it names; hex patterns equal their regex spelling.
# Usage: sh grep_raw.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/grep_check.py" "$@"; }

# raw NAME ARGS...: carver grep --raw --format jsonl ARGS into NAME.jsonl, exit 0 expected.
raw() {
  _n=$1
  shift
  run "$_n" grep --raw --format jsonl "$@"
  no_crash "$_n" || return 1
  expect_rc "$_n" 0 "grep --raw $*" || return 1
  mv "$_n.out" "$_n.jsonl"
}

MARK='CARVER-(?:LIVE|FREED)-\d{4}-[A-Za-z0-9]{0,8}'
LONG='CARVER-(?:LIVE|FREED)-\d{4}-[A-Za-z0-9]+'
for s in py311 i386-py311; do
  tar -xJf "$SRC/samples/$s.tar.xz" || { bad "cannot unpack samples/$s.tar.xz"; continue; }
  note "$s ($(ls "$s" | head -n 1))"
  for pat in "$MARK" "$LONG"; do
    raw "$s.a" "$pat" "$s" || continue
    out=$(check raw "$s" "$s.a.jsonl" "$pat") && ok "$s: $pat: $out" || bad "$s: $pat: $out"
    for cs in 64 4096; do
      raw "$s.c$cs" --chunk-size "$cs" "$pat" "$s" || continue
      out=$(check same-ordered "$s.a.jsonl" "$s.c$cs.jsonl") &&
        ok "$s: --chunk-size $cs: identical ($out)" || bad "$s: --chunk-size $cs: $out"
    done
  done
done

note "hex patterns equal their regex spelling"
if [ -d py311 ]; then
  # "CARVER-" then L or F, 3 bytes, '-', any digit byte 0x30-0x39 via a nibble wildcard
  raw hx --hex '43 41 52 56 45 52 2d ( 4c | 46 ) [3] 2d 3?' --chunk-size 100 py311 &&
    raw rx 'CARVER-(?:L|F)(?s:.{3})-[\x30-\x3f]' py311 &&
    { out=$(check same-ordered hx.jsonl rx.jsonl) && ok "--hex: $out" || bad "--hex vs regex: $out"; }
  raw hm --hex '43 41 52 56 45 52' -m 5 py311 && { out=$(check count hm.jsonl 5) && ok "--hex -m 5: $out" || bad "--hex -m 5: $out"; }
fi

note "a live process: addresses as /proc/PID/maps arithmetic gives them"
cat >target.py <<'EOF'
import os, sys, time
K = ["CARVER-" + "RAWLIVE-%04d-" % i + "x" * (i % 70) for i in range(400)]
B = [("CARVER-" + "RAWBYTES-%d-" % i).encode() * 3 for i in range(50)]
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % os.getpid())
time.sleep(300)
EOF
rm -f ready
"$PYTHON3" -S target.py ready &
TPID=$!
trap 'kill $TPID 2>/dev/null' EXIT INT TERM
i=0
while [ ! -s ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s ready ]; then
  bad "the target process did not start"
elif ! "$PYTHON3" -c "import os; os.pread(os.open('/proc/$TPID/mem', os.O_RDONLY), 1, int(open('/proc/$TPID/maps').read().split('-')[0], 16))" 2>/dev/null; then
  note "cannot read /proc/$TPID/mem here (ptrace rights): live checks skipped"
else
  LIVE='CARVER-RAW(?:LIVE|BYTES)-\d+-x*'
  if raw live --pid "$TPID" "$LIVE"; then
    out=$(check live "$TPID" live.jsonl "$LIVE") && ok "--pid: $out" || bad "--pid: $out"
    raw live64 --pid "$TPID" --chunk-size 64 "$LIVE" &&
      { out=$(check same-ordered live.jsonl live64.jsonl) && ok "--pid --chunk-size 64: $out" || bad "--pid --chunk-size 64: $out"; }
  fi
  # an ELF core of the same process (gdb's gcore): the same addresses
  if command -v gcore >/dev/null && gcore -o core "$TPID" >gcore.log 2>&1 && [ -f "core.$TPID" ]; then
    raw core --hex '43 41 52 56 45 52 2d 52 41 57' "core.$TPID" &&
      { out=$(check live "$TPID" core.jsonl 'CARVER-RAW') && ok "a core (gcore): $out" || bad "core: $out"; }
    rm -f "core.$TPID"
  else
    note "no gcore (or it failed): core check skipped"
  fi
  # the ELF header of libc: exactly its first mapping, at the address the maps file gives
  libc=$(awk '$6 ~ /\/libc[.-][^\/]*so/ && $3 == "00000000" {print $1; exit}' /proc/$TPID/maps)
  if [ -n "$libc" ] && raw elf --pid "$TPID" --hex '7f 45 4c 46' --library '/libc[.-][^/]*so'; then
    want=$("$PYTHON3" -c "print(int('${libc%-*}', 16))")
    got=$("$PYTHON3" -c "
import json
ms = [json.loads(l) for l in open('elf.jsonl') if '\"match\"' in l]
print(' '.join(str(m['addr']) for m in ms))")
    if [ "$got" = "$want" ]; then
      ok "--library libc --hex '7f 45 4c 46': one match, at ${libc%-*} (its maps line)"
    else
      bad "--library libc: matches at [$got], expected [$want]"
    fi
  fi
  # names of the C API are in the interpreter's own mappings (and in no anonymous one here)
  raw lib --pid "$TPID" '\bPy[A-Z][a-z]+_[A-Z]\w+' --library 'python' -m 1000 &&
    if grep '"record":"match"' lib.jsonl | grep -v -q '"region":"[^"]*python'; then
      bad "--library python: a match outside the python mappings"
    else
      ok "--library python: $(grep -c '"record":"match"' lib.jsonl) matches, all in python mappings"
    fi
fi
kill $TPID 2>/dev/null
finish
