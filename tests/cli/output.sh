# SPDX-License-Identifier: MIT
# Output files and formats, on a real dump of /usr/bin/python3 (tests/cli/mkdump.py):
# -o creates mode 0600 and never overwrites without --force; msgpack and JSON lines carry
# the same records (meta first, summary last); the planted markers are found live; text
# output never passes terminal control characters through; write failures exit 5.
# Usage: sh output.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

need_dump dump

mode() { stat -c %a "$1"; }

note "-o FILE: created with mode 0600, never overwritten without --force"
(umask 000 && "$CARVER" scan dump -o out.msgpack >o1.out 2>o1.err)
RC=$?
no_crash o1
if expect_rc o1 0 "scan dump -o out.msgpack"; then
  ok "scan dump -o out.msgpack: exit 0"
  [ -s o1.out ] && bad "-o out.msgpack: wrote to stdout too"
  if [ "$(mode out.msgpack)" = 600 ]; then
    ok "out.msgpack has mode 0600 (under umask 000)"
  else
    bad "out.msgpack has mode $(mode out.msgpack), expected 600"
  fi
fi
cp out.msgpack keep.msgpack
printf 'sentinel' >>out.msgpack
cp out.msgpack before.msgpack
run o2 scan dump -o out.msgpack
expect_error o2 5 "second run onto an existing file without --force"
grep -q -e '--force' o2.err || bad "the 'exists' error does not mention --force"
if cmp -s out.msgpack before.msgpack; then
  ok "the existing file is left unchanged"
else
  bad "the existing file was changed by a run without --force"
fi
chmod 644 out.msgpack
run o3 scan dump -o out.msgpack --force
no_crash o3
if expect_rc o3 0 "second run with --force"; then
  ok "second run with --force: exit 0"
  records stream out.msgpack msgpack >/dev/null || bad "--force: the rewritten file is not a whole stream"
  cmp -s out.msgpack before.msgpack && bad "--force did not rewrite the file"
  if [ "$(mode out.msgpack)" = 600 ]; then
    ok "--force over a mode-0644 file leaves mode 0600"
  else
    bad "--force over a mode-0644 file leaves mode $(mode out.msgpack), expected 600"
  fi
fi
ln -s keep.msgpack link.msgpack
cp keep.msgpack keep.copy
run o4 scan dump -o link.msgpack
expect_error o4 5 "-o onto a symlink to an existing file, without --force"
cmp -s keep.msgpack keep.copy || bad "-o onto a symlink changed the file it points to"
run o5 scan dump -o "$WORK/no-such-dir/out.msgpack"
expect_error o5 5 "-o into a directory that does not exist"
run o6 scan dump -o /dev/null
no_crash o6
expect_rc o6 0 "-o /dev/null (a device is written to, not replaced)" &&
  ok "-o /dev/null: exit 0 without --force"
rm -f out.fifo
if mkfifo out.fifo 2>/dev/null; then
  timeout 60 cat out.fifo >fifo.msgpack & # waits for a writer; bounded in case carver never opens it
  reader=$!
  run o7 scan dump --format msgpack -o out.fifo
  wait "$reader"
  no_crash o7
  if expect_rc o7 0 "-o FIFO without --force"; then
    records stream fifo.msgpack msgpack >/dev/null && ok "-o FIFO: a whole stream reaches the reader" ||
      bad "-o FIFO: the reader did not get a whole stream"
  fi
fi

note "a run that carves nothing removes the file it created, and only that"
head -c 65536 /dev/zero >nothing.bin
run o8 scan --base 0x10000 nothing.bin -o none.msgpack
expect_error o8 4 "a file with no interpreter, -o a new file"
[ -e none.msgpack ] && bad "the failed run left none.msgpack behind" || ok "no empty output file left behind"
if [ -p out.fifo ]; then
  timeout 60 cat out.fifo >/dev/null &
  reader=$!
  run o9 scan --base 0x10000 nothing.bin -o out.fifo
  exec 3<>out.fifo; exec 3>&- # read-write never blocks; lets the reader go if carver never wrote
  wait "$reader"
  expect_error o9 4 "a file with no interpreter, -o FIFO"
  [ -p out.fifo ] && ok "the failed run left the FIFO in place" || bad "the failed run removed the FIFO"
fi

note "msgpack stream: meta first, summary last, whole records"
if records stream keep.msgpack msgpack; then
  ok "out.msgpack decodes completely (Unpacker(raw=False, unicode_errors='surrogatepass'))"
else
  bad "out.msgpack is not a well-formed stream"
fi
if records markers keep.msgpack msgpack; then
  ok "msgpack: the marker str/bytes objects are reported live"
else
  bad "msgpack: marker objects missing"
fi

note "JSON lines carry the same records"
run j1 scan dump --format jsonl
no_crash j1
if expect_rc j1 0 "scan dump --format jsonl"; then
  ok "scan dump --format jsonl: exit 0"
  records stream j1.out jsonl || bad "jsonl output is not a well-formed stream"
  records markers j1.out jsonl || bad "jsonl: marker objects missing"
  if records compare keep.msgpack j1.out; then
    ok "jsonl and msgpack give identical object records"
  else
    bad "jsonl and msgpack object records differ"
  fi
fi
run m1 scan dump --format msgpack
no_crash m1
expect_rc m1 0 "scan dump --format msgpack to stdout" &&
  records stream m1.out msgpack >/dev/null && ok "--format msgpack on stdout is a whole stream"
run d1 scan dump
no_crash d1
if expect_rc d1 0 "scan dump (stdout not a terminal)"; then
  if records stream d1.out msgpack >/dev/null; then
    ok "without --format, a non-terminal stdout gets msgpack"
  else
    bad "without --format, a non-terminal stdout does not get msgpack"
  fi
fi

note "-o picks the format from the extension"
# ext_format FILE EXPECTED [ARGS...]
ext_format() {
  _f=$1
  _want=$2
  shift 2
  run ext scan dump -o "$_f" "$@"
  no_crash ext
  expect_rc ext 0 "-o $_f $*" || return
  case $(head -c 1 "$_f" | od -An -c | tr -d ' ') in
  '{') _got=jsonl ;;
  '#') _got=text ;;
  *) records stream "$_f" msgpack >/dev/null 2>&1 && _got=msgpack || _got=unknown ;;
  esac
  if [ "$_got" = "$_want" ]; then
    ok "-o $_f $*: $_got"
  else
    bad "-o $_f $*: wrote $_got, expected $_want"
  fi
  [ "$_got" = jsonl ] && { records stream "$_f" jsonl >/dev/null || bad "$_f: broken JSON lines"; }
}
ext_format out.jsonl jsonl
ext_format out.json jsonl
ext_format out.txt text
ext_format out.bin msgpack
ext_format out2.msgpack msgpack
ext_format out2.txt jsonl --format jsonl
ext_format out3.jsonl msgpack --format msgpack

note "text output never passes control characters through"
run t1 scan dump --format text
no_crash t1
if expect_rc t1 0 "scan dump --format text"; then
  "$PYTHON3" - t1.out <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
bad = []
for i, b in enumerate(data):
    if (b < 0x20 and b != 0x0a) or b == 0x7f:
        bad.append("byte 0x%02x at offset %d" % (b, i))
text = data.decode("utf-8", "replace")
for i, ch in enumerate(text):
    if 0x80 <= ord(ch) <= 0x9f:
        bad.append("C1 control U+%04X at character %d" % (ord(ch), i))
if bad:
    print("FAIL: raw control characters in text output: " + "; ".join(bad[:5]))
    sys.exit(1)
# The planted values are shown, escaped.
need = [("CARVER-CLI-ESC-", "RED"), ("CARVER-CLI-C1-", "31mX")]
lines = text.split("\n")
for pre, mid in need:
    hits = [l for l in lines if pre in l and mid in l and "-END" in l]
    if not hits:
        print("FAIL: no text line shows the planted value %s...%s...-END" % (pre, mid))
        sys.exit(1)
    print("ok: shown escaped: %s" % hits[0][hits[0].index(pre):])
EOF
  if [ $? -eq 0 ]; then
    ok "text output has no raw ESC, BEL, DEL or C1 control characters"
  else
    bad "text output passes control characters through"
  fi
  if grep -q -F -e 'CARVER-CLI-ESC-\x1b[31mRED\x07-END' -e 'CARVER-CLI-ESC-\033[31mRED\007-END' \
      -e 'CARVER-CLI-ESC-\e[31mRED\a-END' -e 'CARVER-CLI-ESC-\u001b[31mRED\u0007-END' t1.out; then
    ok "ESC and BEL are shown as escapes"
  else
    bad "the ESC/BEL marker is not shown with its escapes"
  fi
  head -n 1 t1.out | grep -q '^#' || bad "text output does not open with a '#' header line"
  tail -n 1 t1.out | grep -q '^# summary' || bad "text output does not end with '# summary'"
fi

note "write failures exit 5"
# A device node standing for /dev/full, so that nothing the test does can change the real
# /dev/full (carver --force must not chmod what it writes to, but if it does, only this
# node suffers). Falls back to /dev/full itself, whose mode is restored.
full=$WORK/full
# (It must open, so the file system is not mounted nodev, and writes must fail.)
if mknod "$full" c 1 7 2>/dev/null && chmod 666 "$full" && : 2>/dev/null >"$full" &&
  ! printf x 2>/dev/null >"$full"; then
  :
else
  rm -f "$full"
  full=/dev/full
fi
[ -w "$full" ] || skip "$full is not writable"
full_mode=$(mode "$full")
run f1 scan dump --force --format jsonl -o "$full"
expect_error f1 5 "-o $full --force --format jsonl"
grep -q -i -e 'writ' f1.err || bad "the error does not mention the write failure"
if [ "$(mode "$full")" = "$full_mode" ]; then
  ok "--force left the mode of the device node alone ($full_mode)"
else
  bad "--force -o $full changed the mode of a device node from $full_mode to $(mode "$full")"
  [ "$full" = /dev/full ] && chmod "$full_mode" /dev/full
fi
run f2 scan dump --force -o "$full"
expect_error f2 5 "-o $full --force (msgpack)"
[ "$(mode "$full")" = "$full_mode" ] || chmod "$full_mode" "$full"
run f3 scan dump --force --format text -o "$full"
expect_error f3 5 "-o $full --force --format text"
[ "$(mode "$full")" = "$full_mode" ] || chmod "$full_mode" "$full"
"$CARVER" scan dump --format jsonl >"$full" 2>f4.err </dev/null
RC=$?
: >f4.out
expect_error f4 5 "standard output on $full"
grep -q 'standard output' f4.err || bad "the error does not name standard output"
"$CARVER" scan dump --format jsonl 2>f5.err </dev/null >&-
RC=$?
: >f5.out
expect_error f5 5 "standard output closed"

finish
