# SPDX-License-Identifier: MIT
# carver ps lists processes running CPython: one started as `exec -a whoopsie python3`
# that also renamed its comm with prctl(PR_SET_NAME) is flagged; an ordinary python3 and a
# script started through its #! line are listed and not flagged.
. "$(dirname "$0")/lib.inc"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
mkfifo "$WORK/hold"
exec 9<>"$WORK/hold" # keeps the targets blocked in read(0) until the end

# A disguised one: argv[0] and comm both "whoopsie".
cat >"$WORK/disguise.py" <<'PYEOF'
import ctypes, os, sys
ctypes.CDLL(None).prctl(15, b"whoopsie", 0, 0, 0)  # PR_SET_NAME
open(sys.argv[1], "w").write("x")
os.read(0, 1)
PYEOF
if command -v bash >/dev/null 2>&1; then
  bash -c 'exec -a whoopsie "$0" -S "$@"' "$PY" "$WORK/disguise.py" "$WORK/r1" <"$WORK/hold" 9>&- &
else
  "$PY" -S -c 'import os, sys; os.execv(sys.argv[1], ["whoopsie", "-S"] + sys.argv[2:])' \
    "$PY" "$WORK/disguise.py" "$WORK/r1" <"$WORK/hold" 9>&- &
fi
p1=$!
# Ordinary ones: python3 itself, and a script run through its #! line (comm is the
# script's name then, argv[0] the interpreter).
"$PY" -S -c 'import os, sys; open(sys.argv[1], "w").write("x"); os.read(0, 1)' "$WORK/r2" \
  <"$WORK/hold" 9>&- &
p2=$!
printf '#!%s -S\nimport os, sys\nopen(sys.argv[1], "w").write("x")\nos.read(0, 1)\n' "$PY" \
  >"$WORK/my_tool.py"
chmod 0755 "$WORK/my_tool.py"
"$WORK/my_tool.py" "$WORK/r3" <"$WORK/hold" 9>&- &
p3=$!
i=0
while { [ ! -s "$WORK/r1" ] || [ ! -s "$WORK/r2" ] || [ ! -s "$WORK/r3" ]; } && [ "$i" -lt 200 ]; do
  sleep 0.1
  i=$((i + 1))
done
note "whoopsie pid $p1 (comm $(cat /proc/$p1/comm)), python3 pid $p2, my_tool.py pid $p3 (comm $(cat /proc/$p3/comm))"

run ps ps --format jsonl
no_crash ps
expect_rc ps 0 "carver ps (python processes exist)"
"$PYTHON3" - "$p1" "$p2" "$p3" ps.out >check.txt 2>&1 <<'PYEOF'
import json, sys
p1, p2, p3 = (int(x) for x in sys.argv[1:4])
rows = {r["pid"]: r for r in (json.loads(l) for l in open(sys.argv[4]))}
fails = []
def need(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        fails.append(msg)
w = rows.get(p1)
need(w is not None, "the disguised process %d is listed" % p1)
if w:
    need(w["disguised"] is True, "it is flagged: %s" % w.get("why"))
    need(w["comm"] == "whoopsie" and w["argv0"] == "whoopsie", "comm and argv0 are whoopsie")
    need((w["python"] or "").startswith("3."), "its CPython version is known: %s" % w["python_full"])
    need(w["interpreter"].startswith("/usr/bin/python3"), "its interpreter: %s" % w["interpreter"])
for p, what in ((p2, "python3 -c"), (p3, "a #! script")):
    r = rows.get(p)
    need(r is not None, "%s (%d) is listed" % (what, p))
    if r:
        need(r["disguised"] is False, "%s is not flagged (comm %r, argv0 %r)" % (what, r["comm"], r["argv0"]))
sys.exit(1 if fails else 0)
PYEOF
rc=$?
sed 's/^/  /' check.txt
[ "$rc" -eq 0 ] && ok "carver ps --format jsonl" || bad "carver ps --format jsonl (see above)"

run pst ps --pid "$p1"
no_crash pst
if [ "$RC" -eq 0 ] && grep -q "^ *$p1 .* ! .*whoopsie" pst.out && grep -q "! comm and argv\[0\] do not name" pst.out; then
  ok "carver ps --pid $p1 (text) shows the flag and why"
else
  bad "carver ps --pid $p1 (text) does not flag it"
  show pst
fi
exec 9>&-
kill "$p1" "$p2" "$p3" 2>/dev/null
wait 2>/dev/null
finish
