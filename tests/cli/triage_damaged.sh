# SPDX-License-Identifier: MIT
# carver triage on damaged and unexpected streams, built from a real sample's findings: a
# stream cut mid-record yields every complete record and a warning; unknown record types and
# keys are passed through; garbage, oversized claims and mutated bytes end the usable
# stream with a warning and never crash; files with no record, missing files and bad
# options fail with the documented exit codes.
# Usage: sh triage_damaged.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

"$PYTHON3" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
CHECK="$HERE/triage_check.py"
check() { "$PYTHON3" "$CHECK" "$@"; }
# judge DESCRIPTION COMMAND...: ok or bad, with the command's output.
judge() {
  _d=$1
  shift
  if _o=$("$@"); then ok "$_d: $_o"; else bad "$_d: $_o"; fi
}

tar -xJf "$SRC/samples/py311.tar.xz" || { bad "cannot extract py311.tar.xz"; finish; }
run scan scan py311 --format msgpack -o full.msgpack --no-progress
no_crash scan && expect_rc scan 0 "scan py311" || finish
rm -rf py311
SIZE=$(wc -c <full.msgpack)

# offsets N: the end of record N (python3-msgpack's own view of the stream)
"$PYTHON3" -c '
import msgpack, sys
u = msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False, unicode_errors="surrogatepass")
ends = []
for _ in u:
    ends.append(u.tell())
print(ends[0], ends[1], ends[100], ends[-2], len(ends))' full.msgpack >ends.txt
read -r END_META END_1 END_100 END_LAST NREC <ends.txt

# counts_ok NAME STREAM [FILTER...]: summary-json of STREAM agrees with python3-msgpack.
counts_ok() {
  _n=$1
  _s=$2
  shift 2
  run "$_n" triage "$_s" --format summary-json "$@"
  no_crash "$_n" || return 1
  if out=$(check counts "$_n.out" "$@" -- "$_s"); then ok "$_n: $out"; return 0; fi
  bad "$_n: $out"
  return 1
}

# warned NAME WORD: stderr has one carver warning mentioning WORD.
warned() {
  if grep -q "^carver: warning: .*$2" "$1.err"; then
    ok "$1: warning: $(grep '^carver: warning:' "$1.err" | head -n 1 | cut -c18-150)"
  else
    bad "$1: no warning mentioning '$2'"
    show "$1"
  fi
}

note "a stream cut mid-record: every complete record, and a warning"
for cut in $((END_1 + 7)) $((END_100 + 1)) $((SIZE / 2)) $((SIZE - 1)); do
  head -c "$cut" full.msgpack >cut.msgpack
  counts_ok cut_$cut cut.msgpack && expect_rc cut_$cut 0 "cut at byte $cut" && warned cut_$cut "cut short"
done
head -c "$END_100" full.msgpack >boundary.msgpack
counts_ok boundary boundary.msgpack && expect_rc boundary 0 "cut at a record boundary"
if grep -q "warning" boundary.err; then bad "a stream cut between records warned"; show boundary; fi
grep -q '"summary":null' boundary.out && ok "cut before the summary record: reported as missing" \
  || bad "the cut stream's summary is not reported missing"
head -c $((END_1 + 7)) full.msgpack >cut.msgpack
run cut_jsonl triage cut.msgpack --format jsonl
if no_crash cut_jsonl && expect_rc cut_jsonl 0 "cut stream as jsonl"; then
  [ "$(wc -l <cut_jsonl.out)" -eq 2 ] && ok "cut stream as jsonl: the meta and the one whole object" \
    || bad "cut stream as jsonl: $(wc -l <cut_jsonl.out) lines, expected 2"
fi
run cut_text triage cut.msgpack
grep -q "CUT SHORT at byte $END_1 " cut_text.out && ok "the summary says where the stream was cut" \
  || { bad "the summary does not say where the stream was cut"; show cut_text; }
head -c "$((END_META - 3))" full.msgpack >tiny.msgpack
run tiny triage tiny.msgpack
expect_error tiny 3 "a stream cut inside its first record (no complete record)"

note "unknown record types and keys are passed through"
check craft full.msgpack crafted.msgpack >/dev/null || bad "craft failed"
counts_ok crafted crafted.msgpack && expect_rc crafted 0 "stream with credential and unknown records"
[ -s crafted.err ] && bad "unknown records caused stderr output: $(head -c 200 crafted.err)"
grep -q '"future-thing":1' crafted.out && ok "records_by_type counts the unknown type" \
  || bad "records_by_type lacks future-thing"
run future triage crafted.msgpack --record future-thing --format jsonl
if no_crash future && expect_rc future 0 "--record future-thing"; then
  judge "future-thing passed through" check select jsonl future.out --record future-thing -- crafted.msgpack
  grep -q '"nested":{"a":\[1,2\]}' future.out && grep -q '"weight":1.5' future.out \
    && ok "its unknown keys (map, float) are kept" || bad "unknown keys lost: $(head -c 300 future.out)"
fi
run newkey triage crafted.msgpack --format msgpack --force
if no_crash newkey && expect_rc newkey 0 "crafted stream as msgpack"; then
  judge "msgpack passthrough (an object with an unknown key included)" check select msgpack newkey.out -- crafted.msgpack
fi
run creds_text triage crafted.msgpack
if no_crash creds_text && expect_rc creds_text 0 "summary of the crafted stream"; then
  c1=$(grep -n '^Credentials: 2 distinct' creds_text.out | cut -d: -f1)
  u1=$(grep -n '^URLs:' creds_text.out | cut -d: -f1)
  if [ -n "$c1" ] && [ -n "$u1" ] && [ "$c1" -lt "$u1" ]; then ok "credentials come first, before URLs"
  else bad "credentials are not listed before URLs"; show creds_text; fi
  grep -q 'password="Tr1age-S3cret!<b>"' creds_text.out && ok "the basic credential is shown" \
    || bad "basic credential missing"
fi
run creds_only triage crafted.msgpack --record credential --grep 'CARVER-TRIAGE-TOKEN' --format jsonl
if no_crash creds_only && expect_rc creds_only 0 "--grep on credential fields"; then
  [ "$(grep -c '"record":"credential"' creds_only.out)" -eq 1 ] && ok "--grep matched the one bearer credential" \
    || bad "--grep on credentials: $(grep -c credential creds_only.out) records"
fi

note "garbage and hostile claims after good records"
gen() { # gen OUT HEXBYTES: full.msgpack's first 101 records + the bytes
  head -c "$END_100" full.msgpack >"$1"
  printf "$2" >>"$1"
}
gen bad_c1.msgpack '\301\000\000'
counts_ok bad_c1 bad_c1.msgpack && expect_rc bad_c1 0 "0xc1 after 101 records" && warned bad_c1 "malformed"
gen huge_array.msgpack '\335\377\377\377\377\300'
counts_ok huge_array huge_array.msgpack && expect_rc huge_array 0 "array32 claiming 4G items" &&
  warned huge_array "objects than"
gen huge_str.msgpack '\333\177\377\377\377abc'
counts_ok huge_str huge_str.msgpack && expect_rc huge_str 0 "str32 claiming 2 GiB" && warned huge_str "size cap"
gen not_map.msgpack '\222\001\002'
counts_ok not_map not_map.msgpack && expect_rc not_map 0 "an array record" && warned not_map "malformed"
"$PYTHON3" -c 'import sys; sys.stdout.buffer.write(b"\x91" * 40 + b"\x01")' >deep.bin
head -c "$END_100" full.msgpack >deep.msgpack && cat deep.bin >>deep.msgpack
counts_ok deep deep.msgpack && expect_rc deep 0 "40 nested arrays" && warned deep "deeper"
run small_cap triage full.msgpack --max-record 2K --format summary-json
if no_crash small_cap && expect_rc small_cap 0 "--max-record 2K"; then
  warned small_cap "size cap"
fi

note "inputs with no record, missing files, bad options"
printf 'this is not msgpack\n' >text.msgpack
run notmp triage text.msgpack
expect_error notmp 3 "a text file"
: >empty.msgpack
run empty triage empty.msgpack
expect_error empty 3 "an empty file"
run both triage empty.msgpack full.msgpack --format summary-json
no_crash both && expect_rc both 0 "an empty file and a good one" && ok "an empty input beside a good one: exit 0"
run missing triage no-such-file.msgpack
expect_error missing 3 "a missing file"
run dir triage .
expect_error dir 3 "a directory"
run u1 triage
expect_usage u1 "no input"
run u2 triage full.msgpack --format xml
expect_usage u2 "--format xml"
run u3 triage full.msgpack --grep '(['
expect_usage u3 "an invalid regex"
run u4 triage full.msgpack --top 0
expect_usage u4 "--top 0"
run u5 triage full.msgpack -i
expect_usage u5 "-i without --grep"
run u6 triage full.msgpack --min-length x
expect_usage u6 "--min-length x"
run u7 triage full.msgpack --type ''
expect_usage u7 "--type ''"
run u8 triage full.msgpack -o full.msgpack --force
expect_usage u8 "-o naming an input"
run u9 triage full.msgpack --bogus
expect_usage u9 "an unknown option"
run help triage --help
if no_crash help && expect_rc help 0 "--help"; then
  for o in --format --output --html --record --type --status --region --grep --min-length \
    --max-length --top --max-record; do
    grep -q -e "$o" help.out || bad "--help does not list $o"
  done
  ok "--help lists every option"
fi

note "mutated streams never crash (hostile input)"
head -c "$END_100" full.msgpack >seed.msgpack
"$PYTHON3" - seed.msgpack <<'EOF'
import random, sys
data = open(sys.argv[1], "rb").read()
rnd = random.Random(20240601)
for i in range(150):
    b = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(4)
        p = rnd.randrange(len(b))
        if op == 0:
            b[p] = rnd.randrange(256)
        elif op == 1:
            b[p:p] = bytes([rnd.choice([0xc1, 0xdc, 0xdd, 0xde, 0xdf, 0xdb, 0xc6, 0xc9])]) + \
                bytes(rnd.randrange(256) for _ in range(4))
        elif op == 2:
            del b[p:p + rnd.randint(1, 64)]
        else:
            b = b[:p]
            break
    open("mut_%03d.msgpack" % i, "wb").write(bytes(b))
EOF
crashes=0
for m in mut_*.msgpack; do
  for fmt in summary-json jsonl; do
    run mut triage "$m" --format "$fmt"
    if ! no_crash mut >/dev/null || { [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ] && [ "$RC" -ne 3 ]; }; then
      crashes=$((crashes + 1))
      bad "$m --format $fmt: exit $RC"
      show mut
    fi
  done
done
[ "$crashes" -eq 0 ] && ok "150 mutated streams, two formats each: no crash, exit 0, 1 or 3"
finish
