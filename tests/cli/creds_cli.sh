# SPDX-License-Identifier: MIT
# carver creds: help, usage errors, exit codes, and its output on the bundled credential
# sample (samples/creds-py311.tar.xz, a real 3.11 process that sent Basic and Bearer
# credentials) against the sample's manifest, in jsonl, msgpack and text; a sample without
# credentials exits 1; --min-confidence filters; -o files are 0600 and never overwritten.
. "$(dirname "$0")/lib.inc"

# ---- help and usage ----------------------------------------------------------------------
run help creds --help
if [ "$RC" -eq 0 ] && grep -q -- '--min-confidence LEVEL' help.out && grep -q -- '--format FMT' help.out &&
  grep -q -- '--pid PID' help.out && grep -q '^Exit codes:' help.out && [ ! -s help.err ]; then
  ok "creds --help: exit 0, lists its own and the shared options and the exit codes"
else
  bad "creds --help"
  show help
fi
run mainhelp --help
grep -q '^  creds INPUT' mainhelp.out && ok "carver --help lists creds" || bad "carver --help lacks creds"

run noinput creds --format jsonl
expect_usage noinput "creds without input"
run badconf creds --min-confidence sure x
expect_usage badconf "creds --min-confidence sure"
run badopt creds --bogus x
expect_usage badopt "creds --bogus"
run badfmt creds --format xml x
expect_usage badfmt "creds --format xml"
run missing creds --format jsonl "$WORK/does-not-exist"
expect_error missing 3 "creds on a missing input"

# ---- the credential sample -----------------------------------------------------------------
SAMPLE=$SRC/samples/creds-py311.tar.xz
[ -f "$SAMPLE" ] || { bad "no $SAMPLE"; finish; }
tar -C "$WORK" -xJf "$SAMPLE" || { bad "cannot extract $SAMPLE"; finish; }
S=$WORK/creds-py311

run sj creds --format jsonl -q "$S"
no_crash sj && expect_rc sj 0 "creds on the sample (jsonl)" &&
  "$PYTHON3" - "$S/manifest.json" sj.out <<'PY' && ok "jsonl: every manifest credential, stream well formed" || bad "jsonl against the manifest"
import json, sys
man = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert recs[0]["record"] == "meta" and recs[-1]["record"] == "summary", "not meta ... summary"
creds = [r for r in recs if r["record"] == "credential"]
assert len(creds) + 2 == len(recs), "other records than meta, credentials, summary"
assert recs[-1]["credentials"] == len(creds), "summary credentials count"
for want in man["credentials"]:
    key = "token" if want["scheme"] == "bearer" else "password"
    hit = [c for c in creds if c["scheme"] == want["scheme"] and c.get("user") == want.get("user")
           and c.get(key) == want[key] and c.get("header") == want["header"]]
    assert hit, "missing %r" % want
    c = hit[0]
    assert c["confidence"] == "high", "confidence %r" % c["confidence"]
    assert c["status"] in ("live", "freed") and c["count"] == len(c["addrs"]) >= 1
    assert c["live"] + c["freed"] == c["count"] and c["addr"] in c["addrs"]
    print("   %s %r: %s, %d objects, found as %s" % (c["scheme"], c.get("user"), c["status"],
                                                    c["count"], c["found_as"]))
high = [c for c in creds if c["confidence"] == "high"]
assert len(high) == len(man["credentials"]), "unexpected high-confidence credentials: %r" % high
PY

run sm creds -q -o sample.msgpack "$S"
expect_rc sm 0 "creds -o sample.msgpack" &&
  if [ "$(stat -c %a sample.msgpack)" = 600 ]; then ok "-o file is mode 0600"; else bad "-o file mode $(stat -c %a sample.msgpack)"; fi
"$PYTHON3" - sample.msgpack sj.out <<'PY' && ok "msgpack decodes to the jsonl credential records" || bad "msgpack differs from jsonl"
import json, sys
try:
    import msgpack
except ImportError:
    print("   (python3-msgpack missing: not decoded)")
    sys.exit(0)
with open(sys.argv[1], "rb") as f:
    m = list(msgpack.Unpacker(f, raw=False))
j = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
pick = lambda rs: [r for r in rs if r["record"] == "credential"]
assert pick(m) == pick(j) and m[0]["record"] == "meta" and m[-1]["record"] == "summary"
PY
cp sample.msgpack before.msgpack
run again creds -q -o sample.msgpack "$S"
expect_error again 5 "creds -o an existing file without --force" && cmp -s sample.msgpack before.msgpack &&
  ok "the existing file is untouched"

run st creds --format text -q "$S"
if [ "$RC" -eq 0 ] && grep -q '^# scheme ' st.out && grep -q '^basic .*"alice" .*"correct:horse-battery-staple" .*freed .*high' st.out &&
  grep -q '^bearer ' st.out && grep -q '; 2 credentials$' st.out; then
  ok "text: the table shows both credentials"
else
  bad "text table"
  show st
fi

run high creds --format jsonl -q --min-confidence high "$S"
n_all=$(grep -c '"record":"credential"' sj.out)
n_high=$(grep -c '"record":"credential"' high.out)
n_high_all=$(grep '"record":"credential"' sj.out | grep -c '"confidence":"high"')
[ "$RC" -eq 0 ] && [ "$n_high" -eq "$n_high_all" ] && ok "--min-confidence high: $n_high of $n_all credentials" ||
  bad "--min-confidence high gave $n_high, expected $n_high_all"

# chunk size never changes the findings
run chunk creds --format jsonl -q --chunk-size 4096 "$S"
if [ "$RC" -eq 0 ] && [ "$(grep '"record":"credential"' chunk.out)" = "$(grep '"record":"credential"' sj.out)" ]; then
  ok "--chunk-size 4096: the same credential records"
else
  bad "--chunk-size 4096 changed the credentials"
fi

# ---- a sample without credentials ------------------------------------------------------------
if [ -f "$SRC/samples/py311.tar.xz" ]; then
  tar -C "$WORK" -xJf "$SRC/samples/py311.tar.xz"
  run none creds --format jsonl -q "$WORK/py311"
  if [ "$RC" -eq 1 ] && head -n 1 none.out | grep -q '"record":"meta"' &&
    tail -n 1 none.out | grep -q '"credentials":0' && [ "$(wc -l <none.out)" -eq 2 ]; then
    ok "py311 sample (no credentials): exit 1, meta and summary only"
  else
    bad "py311 sample: exit $RC"
    show none
  fi
fi
finish
