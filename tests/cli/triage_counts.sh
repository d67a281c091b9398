# SPDX-License-Identifier: MIT
# carver triage on findings from real dumps (the samples): every count agrees exactly with
# an independent decode of the same file by Debian's python3-msgpack; filters select
# exactly the records Python selects, in every format; several files merge; standard
# input works; a filter that matches nothing exits 1.
# Usage: sh triage_counts.sh CARVER_BIN WORK_DIR SOURCE_DIR
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

SAMPLES="py311 py27 py314 i386-py311"
STREAMS=""
for s in $SAMPLES; do
  if [ ! -f "$SRC/samples/$s.tar.xz" ]; then
    bad "sample $s.tar.xz missing"
    continue
  fi
  tar -xJf "$SRC/samples/$s.tar.xz" || { bad "cannot extract $s.tar.xz"; continue; }
  run scan_$s scan "$s" --format msgpack -o "$s.msgpack" --no-progress
  no_crash scan_$s && expect_rc scan_$s 0 "scan $s" || continue
  rm -rf "$s"
  STREAMS="$STREAMS $s.msgpack"
done
[ -n "$STREAMS" ] || finish

note "summary counts equal python3-msgpack's decode, per sample"
for f in $STREAMS; do
  run sum_$f triage "$f" --format summary-json
  no_crash sum_$f || continue
  expect_rc sum_$f 0 "triage $f --format summary-json" || continue
  [ -s sum_$f.err ] && bad "triage $f: unexpected stderr: $(head -c 200 sum_$f.err)"
  judge "$f" check counts sum_$f.out -- "$f"
done

note "the summary for a person shows the same numbers"
first=${STREAMS# }
first=${first%% *}
run text triage "$first"
if expect_rc text 0 "triage $first (summary)"; then
  want=$("$PYTHON3" -c '
import collections, sys, msgpack
c = collections.Counter()
for r in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False, unicode_errors="surrogatepass"):
    if r.get("record") == "object":
        c["n"] += 1; c[r.get("status")] += 1
print("Objects: %d (live %d, freed %d)" % (c["n"], c["live"], c["freed"]))' "$first")
  if grep -qxF "$want" text.out; then ok "summary line '$want'"; else bad "summary lacks '$want'"; show text; fi
  for section in "Credentials:" "URLs:" "HTTP request lines:" "File paths:" "Longest values:" \
    "Most repeated values" "Regions:" "python: " "scan: "; do
    grep -q "$section" text.out || bad "summary lacks the '$section' section"
  done
  if LC_ALL=C grep -q "$(printf '\033')" text.out; then bad "summary holds an ESC byte"; fi
fi

note "several files are merged"
# shellcheck disable=SC2086
run merged triage $STREAMS --format summary-json
if no_crash merged && expect_rc merged 0 "triage of all samples merged"; then
  # shellcheck disable=SC2086
  judge "merged" check counts merged.out -- $STREAMS
fi

note "standard input"
STDIN=$first
run stdin triage - --format summary-json
STDIN=
if no_crash stdin && expect_rc stdin 0 "triage - < $first"; then
  judge "stdin" check counts stdin.out -- "$first"
fi

note "filters compose with every format and agree with Python's selection"
check_filter() {
  name=$1
  shift
  # shellcheck disable=SC2086
  run f_$name triage $STREAMS "$@" --format summary-json
  no_crash f_$name || return
  expect_rc f_$name 0 "filter $name ($*)" || return
  # shellcheck disable=SC2086
  judge "filter $name" check counts f_$name.out "$@" -- $STREAMS
  for fmt in jsonl csv msgpack text; do
    # shellcheck disable=SC2086
    run f_${name}_$fmt triage $STREAMS "$@" --format $fmt --force
    no_crash f_${name}_$fmt || continue
    expect_rc f_${name}_$fmt 0 "filter $name --format $fmt" || continue
    # shellcheck disable=SC2086
    if out=$(check select $fmt f_${name}_$fmt.out "$@" -- $STREAMS); then ok "filter $name, $fmt: $out"
    else bad "filter $name, $fmt: $out"; fi
  done
}
check_filter freed_str --type str --status freed --grep 'CARVER-FREED-0[0-9]+[13]-' --min-length 20
check_filter urls --grep 'https?://' --min-length 20
check_filter heap_bytes --type bytes --region heap
check_filter short_live --status live --max-length 3 --record object
check_filter icase --grep '^carver-[a-z]+-0' -i --type unicode,str --status live,freed

note "a filter that matches nothing exits 1 (every format)"
for fmt in summary summary-json jsonl csv msgpack text; do
  # shellcheck disable=SC2086
  run none_$fmt triage $STREAMS --grep 'NO-SUCH-VALUE-ANYWHERE' --format $fmt --force
  no_crash none_$fmt && expect_rc none_$fmt 1 "no match, --format $fmt" && ok "no match, --format $fmt: exit 1"
done
if out=$(check select jsonl none_jsonl.out --grep 'NO-SUCH-VALUE-ANYWHERE' -- $STREAMS); then
  ok "no match, jsonl: only the meta records ($out)"
else
  bad "no match, jsonl: $out"
fi

note "-o picks the format from the extension; files are created 0600"
run o_jsonl triage "$first" --status freed -o freed.jsonl
if no_crash o_jsonl && expect_rc o_jsonl 0 "-o freed.jsonl"; then
  mode=$(stat -c %a freed.jsonl)
  [ "$mode" = 600 ] && ok "freed.jsonl has mode 0600" || bad "freed.jsonl has mode $mode"
  judge "-o freed.jsonl" check select jsonl freed.jsonl --status freed -- "$first"
fi
run o_again triage "$first" --status freed -o freed.jsonl
expect_error o_again 5 "-o onto an existing file without --force"
finish
