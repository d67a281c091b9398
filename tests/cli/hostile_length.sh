# SPDX-License-Identifier: MIT
# Would-be objects with absurd length fields, planted in real dumps (samples/py311, and
# samples/i386-py311 for 32-bit words): real str and bytes objects whose length was
# rewritten to 2^62, 2^63-1, -1, or just over --max-len. Each is rejected (counted in the
# summary's rejected_by), every other object is still reported exactly as before, the scan
# exits 0, quickly, and its memory stays bounded (no allocation sized by the length: under
# ASan an attempt would abort with "requested allocation size exceeds maximum").
# Usage: sh hostile_length.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

# Peak resident memory of the last carver run, in KiB (0 when unknown).
MEM=0
run_mem() {
  _rn=$1
  shift
  "$PYTHON3" - "$_rn" "$CARVER" "$@" <<'EOF'
import resource, subprocess, sys
name = sys.argv[1]
with open(name + ".out", "wb") as o, open(name + ".err", "wb") as e:
    try:
        rc = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                            timeout=120).returncode
    except subprocess.TimeoutExpired:
        rc = 137
open(name + ".rc", "w").write("%d %d\n" % (rc if rc >= 0 else 128 - rc,
                                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
  RC=$(cut -d' ' -f1 "$_rn.rc")
  MEM=$(cut -d' ' -f2 "$_rn.rc")
}

# plant SAMPLE W OUTDIR SPEC...: copy SAMPLE's dump directory (extracted here) to OUTDIR,
# and for each SPEC "str=VALUE" / "bytes=VALUE" rewrite the length word (at 2 words into the
# object) of one live, hash-checked object of that type, away from any other planted one.
# Prints the addresses changed, one per line.
plant() {
  "$PYTHON3" - "$@" <<'EOF'
import json, os, shutil, struct, sys
src, w, out, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
shutil.copytree(src, out)
files = []
for f in os.listdir(out):
    if f.startswith("task."):
        start = int(f.split(".")[2], 16)
    elif f.startswith("pid."):
        start = int(f.split(".")[3].split("-")[0], 16)
    else:
        continue
    files.append((start, start + os.path.getsize(os.path.join(out, f)), f))
objs = [json.loads(l) for l in open(src + ".jsonl")]
objs = [o for o in objs if o["record"] == "object" and o["status"] == "live" and
        o["hash_check"] == "match" and 8 <= o["length"] <= 200 and not o.get("proof")]
used = set()
for spec in specs:
    typ, val = spec.split("=")
    val = int(val, 0)
    cand = [o for o in objs if o["type"] == typ and o["addr"] not in used]
    o = cand[len(cand) // 2]
    used.add(o["addr"])
    for s, e, f in files:
        if s <= o["addr"] < e:
            with open(os.path.join(out, f), "r+b") as fh:
                fh.seek(o["addr"] - s + 2 * w)
                fh.write(struct.pack("<q" if w == 8 else "<i", val))
            print(o["addr"])
EOF
}

# check NAME REFERENCE_OUT ADDRS_FILE REASON: NAME's objects are REFERENCE's minus the
# addresses in ADDRS_FILE, and the summary counts REASON.
check() {
  "$PYTHON3" - "$1.out" "$2" "$3" "$4" <<'EOF'
import json, sys
def load(p):
    recs = [json.loads(l) for l in open(p)]
    objs = {(r["addr"], r["type"]): (r["length"], r.get("value"), r.get("value_b64"))
            for r in recs if r["record"] == "object"}
    return objs, recs[-1]
got, summ = load(sys.argv[1])
ref, _ = load(sys.argv[2])
gone = {int(l) for l in open(sys.argv[3]) if l.strip()}
want = {k: v for k, v in ref.items() if k[0] not in gone}
errs = []
for a in gone:
    if any(k[0] == a for k in got):
        errs.append("the object at 0x%x with a rewritten length is reported" % a)
if got != want:
    errs.append("%d objects differ from the unchanged dump's" % len(set(got.items()) ^ set(want.items())))
n = summ["rejected_by"].get(sys.argv[4], 0)
if n < 1:
    errs.append("summary rejected_by has no %s" % sys.argv[4])
if errs:
    print("; ".join(errs))
    sys.exit(1)
print("%d objects as before, the %d rewritten ones rejected (rejected_by %s: %d)"
      % (len(got), len(gone), sys.argv[4], n))
EOF
}

# case SAMPLE W NAME DESCRIPTION REASON ARGS... -- SPECS...
case_() {
  _s=$1 _w=$2 _n=$3 _d=$4 _r=$5
  shift 5
  _args=""
  while [ "$1" != "--" ]; do _args="$_args $1"; shift; done
  shift
  rm -rf "$_n.dir"
  plant "$_s" "$_w" "$_n.dir" "$@" >"$_n.addrs" || { bad "$_d: could not plant"; return; }
  # the unchanged dump with the same options, then the changed one
  # shellcheck disable=SC2086 # _args are separate options
  run_mem "$_n.ref" scan "$_s" --format jsonl --no-progress $_args
  no_crash "$_n.ref" && expect_rc "$_n.ref" 0 "$_d (unchanged dump)" || return
  # shellcheck disable=SC2086
  run_mem "$_n" scan "$_n.dir" --format jsonl --no-progress $_args
  no_crash "$_n" || return
  expect_rc "$_n" 0 "$_d" || return
  if _m=$(check "$_n" "$_n.ref.out" "$_n.addrs" "$_r"); then
    ok "$_d: $_m; peak memory $((MEM / 1024)) MiB"
  else
    bad "$_d: $_m"
  fi
  [ "$MEM" -le $((1024 * 1024)) ] || bad "$_d: peak memory $((MEM / 1024)) MiB"
}

for s in py311 i386-py311; do
  [ -f "$SRC/samples/$s.tar.xz" ] || skip "no samples/$s.tar.xz"
  tar -xJf "$SRC/samples/$s.tar.xz" || { bad "cannot extract $s"; finish; }
  run_mem "$s" scan "$s" --format jsonl --no-progress
  no_crash "$s" && expect_rc "$s" 0 "scan $s unchanged" || finish
  cp "$s.out" "$s.jsonl"
  note "$s unchanged: $(grep -c '"record":"object"' "$s.jsonl") objects, peak memory $((MEM / 1024)) MiB"
done

note "64-bit words (py311)"
case_ py311 8 p62 "str and bytes of length 2^62" length-over-cap -- str=0x4000000000000000 bytes=0x4000000000000000
case_ py311 8 pmax "str and bytes of length 2^63-1, --max-len at its ceiling" length-over-cap \
  --max-len 256M -- str=0x7fffffffffffffff bytes=0x7fffffffffffffff
case_ py311 8 pneg "str and bytes of length -1" length-negative -- str=-1 bytes=-1
case_ py311 8 pcap "bytes of length --max-len + 1" length-over-cap --max-len 4K -- bytes=4097
note "32-bit words (i386-py311)"
case_ i386-py311 4 i31 "str and bytes of length 2^31-1" length-over-cap -- str=0x7fffffff bytes=0x7fffffff
case_ i386-py311 4 ineg "str and bytes of length -2^31" length-negative -- str=-0x80000000 bytes=-0x80000000
finish
