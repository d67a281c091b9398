# SPDX-License-Identifier: MIT
# carver grep over carved objects, on the real-interpreter samples py27 (UCS-4 unicode),
# py311 and py314 (latin-1, UCS-2, UCS-4 str): every carved object carries exactly the
# matches Python's re finds in its value (offsets in code points), at the object's
# address; planted live objects are found with their planted value; results do not depend
# on the chunk size; -e/-f/-i, exit codes and usage errors.
# Usage: sh grep_samples.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/grep_check.py" "$@"; }

# grep_ok NAME EXPECTED-EXIT ARGS...: run carver grep with jsonl output into NAME.jsonl.
grep_ok() {
  _name=$1 _want=$2
  shift 2
  run "$_name" grep --format jsonl "$@"
  no_crash "$_name" || return 1
  expect_rc "$_name" "$_want" "grep $*" || return 1
  mv "$_name.out" "$_name.jsonl"
  return 0
}

for s in py27 py311 py314; do
  tarball=$SRC/samples/$s.tar.xz
  if [ ! -f "$tarball" ]; then
    bad "$tarball is missing"
    continue
  fi
  tar -xJf "$tarball" || { bad "cannot unpack $tarball"; continue; }
  note "$s: $(sed -n 's/.*"python_full": *"\([^"]*\)".*/\1/p' "$s/manifest.json" | head -n 1)"
  run "$s.scan" scan "$s" --format jsonl
  expect_rc "$s.scan" 0 "scan $s" || continue
  # pattern for carver ~ the same in Python's syntax ~ what it exercises
  n=0
  while IFS='~' read -r pcre py what; do
    [ -n "$pcre" ] || continue
    n=$((n + 1))
    if grep_ok "$s.p$n" 0 "$pcre" "$s"; then
      cp "$s.scan.out" "$s.p$n.jsonl.scan.jsonl"
      if out=$(check objects "$s" "$s.p$n.jsonl" "$py"); then
        ok "$s: $what ($pcre): $out"
      else
        bad "$s: $what ($pcre): $out"
      fi
    fi
  done <<'EOF'
CARVER-(LIVE|FREED)-\d{4}-~CARVER-(LIVE|FREED)-\d{4}-~markers in str, bytes and unicode values
[\x{0400}-\x{04FF}]+~[\u0400-\u04FF]+~Cyrillic runs (UCS-2 text; bytes as UTF-8)
[\x{1F600}-\x{1F64F}]{2,}~[\U0001F600-\U0001F64F]{2,}~emoji runs (UCS-4 text)
caf\x{e9} \S{3}~caf\xe9 \S{3}~latin-1 text, offsets after non-ASCII
(?<=\w)\d{2}\b(?!-)~(?<=\w)\d{2}\b(?!-)~lookbehind, word boundary and lookahead
EOF
  # case folding (-i), several -e, a pattern file (-f)
  if grep_ok "$s.i" 0 -i 'carver-live-\d{4}-CAF' "$s"; then
    cp "$s.scan.out" "$s.i.jsonl.scan.jsonl"
    out=$(check objects "$s" "$s.i.jsonl" '(?i)carver-live-\d{4}-CAF') && ok "$s: -i: $out" ||
      bad "$s: -i: $out"
  fi
  printf 'CARVER-LIVE-00[0-4]\\d\n\nCARVER-FREED-01\\d\\d\r\n' >pats.txt
  if grep_ok "$s.f" 0 -f pats.txt -e 'l\d\.' "$s"; then
    got=$(tail -n 1 "$s.f.jsonl")
    case $got in
    *'"by_pattern":{"l\\d\\.":'*'"CARVER-LIVE-00[0-4]\\d":'*'"CARVER-FREED-01\\d\\d":'*) ok "$s: -e and -f FILE (CRLF, empty line): three patterns in the summary" ;;
    *) bad "$s: -f/-e summary: $got" ;;
    esac
  fi
  # the chunk size never changes the result
  if grep_ok "$s.c200" 0 --chunk-size 200 'CARVER-(LIVE|FREED)-\d{4}-' "$s"; then
    out=$(check same "$s.p1.jsonl" "$s.c200.jsonl") && ok "$s: --chunk-size 200: $out" ||
      bad "$s: --chunk-size 200 differs: $out"
  fi
done

note "exit codes and usage errors"
if [ -d py311 ]; then
  grep_ok none 1 'NO-SUCH-MARKER-[0-9]{40}' py311 && ok "no match: exit 1"
  out=$(check count none.jsonl 0) || bad "no match: $out"
  run msg grep 'CARVER-LIVE-00[0-4]\d-' py311 --format msgpack -o m.msgpack
  if expect_rc msg 0 "grep --format msgpack -o FILE"; then
    if "$PYTHON3" - m.msgpack py311.p1.jsonl <<'EOF'; then ok "msgpack stream decodes: meta, match records, summary"; else bad "msgpack stream"; fi
import msgpack, sys
recs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False, unicode_errors="surrogatepass"))
assert recs[0]["record"] == "meta" and recs[-1]["record"] == "summary", [r["record"] for r in recs[:2]]
ms = [r for r in recs if r["record"] == "match"]
assert len(ms) == recs[-1]["matches"] > 0, (len(ms), recs[-1]["matches"])
assert all(isinstance(r["text"], (str, bytes)) and r["addr"] for r in ms)
EOF
  fi
  run textrun grep 'CARVER-LIVE-0098' py311 --format text
  if expect_rc textrun 0 "grep --format text"; then
    grep -q '^match pattern="CARVER-LIVE-0098" addr=0x[0-9a-f]* type="str" status="live"' textrun.out &&
      ok "text output: one line per match" || bad "text output: $(head -c 300 textrun.out)"
  fi
  run mc grep 'CARVER' py311 -m 3 --format jsonl
  expect_rc mc 0 "--max-count 3" && mv mc.out mc.jsonl && out=$(check count mc.jsonl 3) &&
    ok "--max-count 3: $out" || bad "--max-count 3"
fi
run u1 grep 'a(b' py311
expect_usage u1 "a regex that does not compile"
run u2 grep
expect_usage u2 "no pattern"
run u3 grep --library libc 'x' py311
expect_usage u3 "--library without --raw"
run u4 grep -i --hex '41' py311
expect_usage u4 "-i with --hex"
run u5 grep --hex '4g' py311
expect_usage u5 "a bad hex pattern"
run u6 grep -f no-such-file py311
expect_usage u6 "-f on a missing file"
run h grep --help
if expect_rc h 0 "grep --help"; then
  for w in --raw --hex --library --context --max-count -f -e -i 'Exit codes:'; do
    grep -q -e "$w" h.out || bad "grep --help does not mention $w"
  done
  ok "grep --help lists its options and exit codes"
fi
finish
