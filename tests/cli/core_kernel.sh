# SPDX-License-Identifier: MIT
# A kernel core dump (core_pattern "core"): file-backed segments the kernel left out are
# read from the mapped files when their build id matches; every planted object is found
# at its exact address and the hash key comes from the interpreter's .dynsym.
. "$(dirname "$0")/lib.inc"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
core | core.%p) ;;
*) skip "kernel.core_pattern is '$pattern' (this test needs plain 'core' files)" ;;
esac
mkdir -p "$WORK/k"
(cd "$WORK/k" && ulimit -c unlimited && exec "$PY" -S "$HERE/live_target.py" "$WORK/k" abort) \
  >target.log 2>&1
pid=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$WORK/k/manifest.json")
CORE=$WORK/k/core
[ -f "$CORE" ] || CORE=$WORK/k/core.$pid
[ -s "$CORE" ] || skip "no core was written (core dumps disabled here)"
note "kernel core of pid $pid: $(wc -c <"$CORE") bytes"
run scan scan "$CORE" --format jsonl -o "$WORK/core.jsonl" -v
no_crash scan
expect_rc scan 0 "scan of the kernel core" && ok "scan of the kernel core: exit 0"
"$PYTHON3" - "$WORK/k/manifest.json" "$WORK/core.jsonl" "$pid" >check.txt 2>&1 <<'PYEOF'
import base64, json, sys
man = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2])]
meta, objs = recs[0], [r for r in recs if r["record"] == "object"]
def val(o):
    return base64.b64decode(o["value_b64"]) if "value_b64" in o else o["value"].encode("utf-8", "surrogatepass")
have = {(o["addr"], o["type"], val(o)) for o in objs if o["status"] == "live"}
miss = [p for p in man["objects"] if (p["addr"], p["type"], base64.b64decode(p["value_b64"])) not in have]
fails = 0
def need(c, m):
    global fails
    print(("ok: " if c else "FAIL: ") + m)
    fails += not c
need(not miss, "%d of %d planted objects at their exact addresses" % (len(man["objects"]) - len(miss), len(man["objects"])))
need(meta.get("pid") == int(sys.argv[3]), "meta pid %r from NT_PRSTATUS" % meta.get("pid"))
if man.get("hash_secret"):
    need(meta.get("hash_key_source") == "dynsym" and man["hash_secret"].startswith(meta.get("hash_key") or "-"),
         "hash key %s from %s" % (meta.get("hash_key"), meta.get("hash_key_source")))
sys.exit(1 if fails else 0)
PYEOF
rc=$?
sed 's/^/  /' check.txt
[ "$rc" -eq 0 ] || bad "kernel core findings (see above)"
grep -q "interpreter file: /usr/bin/python3.* matched by build-id" scan.err ||
  { bad "the interpreter was not matched to the core by its build id"; show scan; }
run maps maps "$CORE"
no_crash maps
if [ "$RC" -eq 0 ] && grep -q "^interpreter: /usr/bin/python3.* (matched by build-id" maps.out &&
  grep -q "^process $pid " maps.out; then
  ok "maps CORE: process $pid, interpreter matched by build id"
else
  bad "maps CORE"
  show maps
fi
finish
