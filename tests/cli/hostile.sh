# SPDX-License-Identifier: MIT
# Hostile and broken inputs: each gives one error line and its documented exit code
# (3 input unusable, 4 no CPython found), never a crash, a hang or a sanitizer report.
# Usage: sh hostile.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

# zeros FILE BYTES: a file of zeros (written, not sparse).
zeros() { head -c "$2" /dev/zero >"$1"; }

note "empty and missing inputs"
: >empty.bin
run empty-base scan --base 0x10000 empty.bin
expect_error empty-base 3 "empty file with --base"
mkdir -p vol2
: >vol2/task.1.0x10000.vma
run empty-vol2 scan vol2/task.1.0x10000.vma
expect_error empty-vol2 3 "empty Volatility 2 file"
run missing scan "$WORK/does-not-exist"
expect_error missing 3 "nonexistent input"
run missing-dump scan "$WORK/task.1.0x1000.vma"
expect_error missing-dump 3 "nonexistent input with a dump name"
run devnull scan --base 0x10000 /dev/null
expect_error devnull 3 "/dev/null as a plain file"
mkfifo task.1.0x20000.vma 2>/dev/null &&
  { run fifo scan task.1.0x20000.vma; expect_error fifo 3 "a FIFO named like a dump (must not block)"; }
ln -s loop1 loop2 && ln -s loop2 loop1
run symloop scan --base 0x10000 loop1
expect_error symloop 3 "a symlink loop"
mkdir -p emptydir
run emptydir scan emptydir
expect_error emptydir 3 "an empty directory"

note "a directory of junk"
mkdir -p junk/sub junk/task.1.0x30000.vma.d
echo "hello" >junk/README
head -c 1000 /dev/urandom >junk/blob.bin
: >junk/empty
zeros junk/task.1.0xZZ.vma 4096
zeros junk/pid.1.vma.0x2000-0x1000.dmp 4096
run junk scan junk
expect_error junk 3 "a directory with only junk files"
# A file name is data: echoed in a message, its control characters must not reach the
# terminal raw.
mkdir -p escdir
: >"escdir/evil$(printf '\033')[2J$(printf '\007')"
run escdir scan escdir
if expect_error escdir 3 "a directory whose only file name holds ESC [2J BEL"; then
  if tr -d '\n' <escdir.err | LC_ALL=C grep -q '[[:cntrl:]]'; then
    bad "a file name's control characters reach stderr raw: $(od -c escdir.err | head -n 3 | tr -s ' ')"
  else
    ok "the file name's control characters are escaped on stderr"
  fi
fi
mkdir -p junkdump/task.1.0x40000.vma
run junkdump scan junkdump
expect_error junkdump 3 "a directory holding a directory named like a dump"

note "dump names that give no usable address"
zeros task.1.0xZZ.vma 4096
run badhex scan task.1.0xZZ.vma
expect_error badhex 3 "task.1.0xZZ.vma (not a dump name, needs --base)"
zeros pid.1.vma.0x2000-0x1000.dmp 4096
run endstart scan pid.1.vma.0x2000-0x1000.dmp
expect_error endstart 3 "pid.1.vma.0x2000-0x1000.dmp (end before start)"
zeros task.1.0x10000000000000000.vma 4096
run toolong scan task.1.0x10000000000000000.vma
expect_error toolong 3 "task.1.0x10000000000000000.vma (address wider than 64 bits)"
zeros task.1.0xfffffffffffff800.vma 4096
run wraps scan task.1.0xfffffffffffff800.vma
expect_error wraps 3 "task.1.0xfffffffffffff800.vma (range wraps past 2^64)"
zeros pid.1.vma.0x10000-0x11000.dmp 8192
run vol3big scan pid.1.vma.0x10000-0x11000.dmp
expect_error vol3big 3 "Volatility 3 file larger than the range its name gives"
mkdir -p twopids
zeros twopids/task.1.0x10000.vma 4096
zeros twopids/task.2.0x20000.vma 4096
run twopids scan twopids
expect_error twopids 3 "dump files of two different processes"

note "overlapping dump files"
mkdir -p overlap
zeros overlap/task.7.0x10000.vma 8192
zeros overlap/task.7.0x11000.vma 8192
run overlap scan overlap
expect_error overlap 3 "two overlapping dump files (directory)"
run overlap2 scan overlap/task.7.0x11000.vma overlap/task.7.0x10000.vma
expect_error overlap2 3 "two overlapping dump files (arguments)"
zeros plain.bin 8192
run overlap3 scan --base 0x10000 --base 0x11000 plain.bin plain.bin
expect_error overlap3 3 "the same plain file twice at overlapping bases"
run overlap4 scan overlap/task.7.0x10000.vma --base 0x11000 plain.bin
expect_error overlap4 3 "a dump file and a plain file at an overlapping --base"

note "too many dump files"
if "$PYTHON3" -c '
import os
os.mkdir("many")
for i in range(65537):
    with open("many/task.9.0x%x.vma" % ((i + 1) * 0x1000), "wb") as f:
        f.write(b"\0")
'; then
  run many scan many
  # More dump files than carver takes is an input it cannot use (3), not an output error (5).
  expect_error many 3 "65537 dump files (over the limit)"
  rm -rf many
else
  bad "could not create 65537 files"
fi

note "inputs without a CPython interpreter"
truncate -s 4G sparse.bin
run sparse scan --base 0x10000 sparse.bin
expect_error sparse 4 "4 GiB sparse file of zeros with --base 0x10000"
if [ "$SECS" -le 60 ]; then
  ok "4 GiB of zeros scanned in ${SECS}s"
else
  bad "4 GiB of zeros took ${SECS}s (limit 60s)"
fi
rm -f sparse.bin
"$PYTHON3" -c '
import random
with open("random.bin", "wb") as f:
    f.write(random.Random(20240607).randbytes(16 << 20))
'
run random scan --base 0x7f0000000000 random.bin --format jsonl
expect_error random 4 "16 MiB of random bytes"
if grep -q '"record":"object"' random.out; then
  bad "random bytes produced object records"
fi
run random-o scan --base 0x7f0000000000 random.bin -o random.msgpack
expect_error random-o 4 "16 MiB of random bytes with -o"
zeros small.bin 100
run small scan --base 0x1000 small.bin
expect_error small 4 "100 bytes of zeros"

note "unreadable input"
zeros noperm.bin 4096
chmod 000 noperm.bin
if [ "$(id -u)" -eq 0 ] || cat noperm.bin >/dev/null 2>&1; then
  note "skipped: running as root, a mode-000 file is readable"
else
  run noperm scan --base 0x10000 noperm.bin
  expect_error noperm 3 "a file without read permission"
fi
chmod 600 noperm.bin

note "absurd maps files"
"$PYTHON3" - <<'EOF'
with open("absurd.maps", "wb") as f:
    f.write(b"x" * 100000 + b"\n")                                  # very long line
    f.write(b"garbage line here\n")
    f.write(b"ffffffffffffffffffff-1 rw-p 00000000 00:00 0\n")      # 20 hex digits
    f.write(b"0-ffffffffffffffff rw-p 00000000 00:00 0 [huge]\n")  # the whole address space
    f.write(b"1000-0 rw-p 00000000 00:00 0\n")                      # end before start
    f.write(b"1000-2000 rw-p 99999999999999999999999 00:00 999999999999999999999999 x\n")
    f.write(b"1000-2000 rwzp 00000000 00:00 0\n")
    f.write(b"\x00\x01\x02\xff\xfe\n\n\n")
    f.write(b"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 " + b"/p" * 5000 + b"\n")
    f.write(b"-\n- - - - -\n\t\n")
    f.write(b"1000-2000 rw-p")                                      # no newline at the end
with open("big.maps", "wb") as f:                                  # > 64 MiB of valid lines
    line = b"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 /usr/lib/x\n"
    f.write(line * ((65 << 20) // len(line) + 1))
EOF
truncate -s 80M nul.maps # 80 MiB of NUL bytes, no newline (sparse)
make_dump dump
case $? in
0)
  run absurd scan dump --maps absurd.maps --format jsonl
  no_crash absurd
  if expect_rc absurd 0 "real dump with an absurd --maps"; then
    ok "real dump with an absurd --maps: exit 0 ($(grep -c '"record":"object"' absurd.out) objects)"
    if grep -q '^carver: warning: .*absurd.maps' absurd.err; then
      ok "absurd --maps: $(grep -c '^carver: warning: .*absurd.maps' absurd.err) warnings"
    else
      bad "absurd --maps: no warning names absurd.maps"
      show absurd
    fi
    if grep -v -q '^carver: warning: ' absurd.err; then
      bad "absurd --maps: stderr has lines other than warnings"
      show absurd
    fi
    records stream absurd.out jsonl || bad "absurd --maps: the output is not a whole stream"
  fi
  run bigmaps scan dump --maps big.maps --format jsonl
  # An over-large maps file is an input carver cannot use: 3 (not 5, an output error).
  expect_error bigmaps 3 "a --maps file over 64 MiB"
  run nulmaps scan dump --maps nul.maps --format jsonl
  expect_error nulmaps 3 "an 80 MiB --maps file of NUL bytes without a newline"
  run nomaps scan dump --maps "$WORK/no-such-maps" --format jsonl
  expect_error nomaps 3 "a nonexistent --maps file"
  # fopen() opens a directory; reading it fails (EISDIR), which must not pass for an empty file.
  run dirmaps scan dump --maps junk --format jsonl
  expect_error dirmaps 3 "a directory as --maps"
  ;;
77) note "skipped the real-dump cases: cannot read another process's memory" ;;
*) ;;
esac

finish
