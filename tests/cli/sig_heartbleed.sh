# SPDX-License-Identifier: MIT
# signatures/openssl-heartbleed.sig flags only the vulnerable heartbeat handler: a library
# named like libssl built from sig_heartbeat.c (a function shaped like OpenSSL 1.0.1f's
# tls1_process_heartbeat, and one shaped like 1.0.1g's fixed one) at -O1, -O2 and -Os,
# loaded by a running program: carver sig reports exactly one match, inside the
# vulnerable function (its address from nm plus the load address from /proc/PID/maps),
# none in the fixed one. The same on a core of the process (gcore) and on a dump; an
# i386 build of the same code (its text as a plain dump file with a maps line); nothing
# in a Python process.
# Usage: sh sig_heartbleed.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/sig_check.py" "$@"; }
SIGS=$SRC/signatures/openssl-heartbleed.sig
command -v gcc >/dev/null || skip "no gcc"
command -v nm >/dev/null || skip "no nm (binutils)"

# sym LIB NAME: "START END" of a defined symbol, as offsets (nm -S: value and size).
sym() {
  nm -S --defined-only "$1" | "$PYTHON3" -c '
import sys
for l in sys.stdin:
    f = l.split()
    if len(f) == 4 and f[3] == sys.argv[1]:
        print(int(f[0], 16), int(f[0], 16) + int(f[1], 16))
        break
else:
    print("0 0")' "$2"
}

for opt in O1 O2 Os; do
  d=$WORK/$opt
  mkdir -p "$d"
  if ! gcc -"$opt" -fPIC -shared "$HERE/sig_heartbeat.c" -o "$d/libssl-carver-test.so" 2>"$d/cc.err" ||
    ! gcc -O2 -rdynamic "$HERE/sig_heartbeat_main.c" -o "$d/hbtest" -L"$d" -lssl-carver-test \
      -Wl,-rpath,"$d" 2>>"$d/cc.err"; then
    bad "-$opt: build failed: $(head -c 300 "$d/cc.err")"
    continue
  fi
  set -- $(sym "$d/libssl-carver-test.so" tls1_process_heartbeat)
  vs=$1 ve=$2
  set -- $(sym "$d/libssl-carver-test.so" tls1_process_heartbeat_fixed)
  fs=$1 fe=$2
  rm -f "$d/fifo"
  mkfifo "$d/fifo"
  "$d/hbtest" <"$d/fifo" >"$d/ready" &
  pid=$!
  exec 3>"$d/fifo"
  i=0
  while ! grep -q READY "$d/ready" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  base=$(awk -v p="$d/libssl-carver-test.so" '$6 == p && $3 == "00000000" { print $1; exit }' /proc/$pid/maps)
  base=$("$PYTHON3" -c "print(int('${base%-*}', 16))" 2>/dev/null)
  if [ -z "$base" ]; then
    bad "-$opt: the library is not mapped in the test program"
  else
    r="$((base + vs)) $((base + ve)) $((base + fs)) $((base + fe))"
    run "$opt.live" sig "$SIGS" --pid "$pid" --format jsonl
    if no_crash "$opt.live" && expect_rc "$opt.live" 0 "-$opt: sig --pid"; then
      # shellcheck disable=SC2086
      out=$(check inside "$opt.live.out" openssl.heartbleed $r) &&
        ok "-$opt, live: $out" || bad "-$opt, live: $out"
    fi
    # the whole signatures folder: the layout signatures find no interpreter here
    run "$opt.all" sig "$SRC/signatures" --pid "$pid" --format jsonl
    # shellcheck disable=SC2086
    expect_rc "$opt.all" 0 "-$opt: sig signatures/ --pid" &&
      out=$(check inside "$opt.all.out" openssl.heartbleed $r) && ok "-$opt, signatures/: $out" ||
      bad "-$opt, signatures/: $out"
    if [ "$opt" = O2 ] && command -v gcore >/dev/null; then
      if gcore -o "$d/core" "$pid" >"$d/gcore.log" 2>&1 && [ -f "$d/core.$pid" ]; then
        run core sig "$SIGS" "$d/core.$pid" --format jsonl
        # shellcheck disable=SC2086
        expect_rc core 0 "sig on a core" && out=$(check inside core.out openssl.heartbleed $r) &&
          ok "-O2, core (text from the library file): $out" || bad "-O2, core: $out"
      else
        note "gcore failed: $(head -c 200 "$d/gcore.log")"
      fi
    fi
  fi
  echo x >&3
  exec 3>&-
  wait $pid 2>/dev/null

  if [ "$opt" = O2 ]; then
    # a dump of the library's mappings (the code pages, and everything with a path)
    for how in full exec-only; do
      flag=
      [ $how = exec-only ] && flag=--exec-only
      "$PYTHON3" "$HERE/sig_dump.py" "dump.$how" $flag --match 'carver-test' -- "$d/hbtest" >dump.$how.pid 2>dump.$how.log
      rc=$?
      [ $rc -eq 77 ] && { note "cannot read process memory: dump checks skipped"; break; }
      [ $rc -ne 0 ] && { bad "sig_dump.py: $(head -c 200 dump.$how.log)"; continue; }
      b=$(awk -v p="$d/libssl-carver-test.so" '$6 == p && $3 == "00000000" { print $1; exit }' dump.$how/maps)
      b=$("$PYTHON3" -c "print(int('${b%-*}', 16))")
      run "dump.$how" sig "$SIGS" "dump.$how" --format jsonl
      expect_rc "dump.$how" 0 "sig on a dump ($how)" &&
        out=$(check inside "dump.$how.out" openssl.heartbleed $((b + vs)) $((b + ve)) $((b + fs)) $((b + fe))) &&
        ok "-O2, dump ($how): $out" || bad "-O2, dump ($how): $out"
    done
  fi
done

note "i386: the same code built with -m32, its text as a plain dump file"
if gcc -m32 -O2 -fPIC -c "$HERE/sig_heartbeat.c" -o hb32.o 2>cc32.err &&
  objcopy -O binary --only-section=.text hb32.o hb32.text 2>>cc32.err; then
  set -- $(sym hb32.o tls1_process_heartbeat)
  vs=$1 ve=$2
  set -- $(sym hb32.o tls1_process_heartbeat_fixed)
  fs=$1 fe=$2
  base=$((0x804a000))
  size=$(wc -c <hb32.text)
  end=$(((base + size + 4095) / 4096 * 4096))
  printf '%x-%x r-xp 00001000 00:00 0   /opt/test/libssl-carver-test.so\n' $base $end >maps32
  head -c $((end - base - size)) /dev/zero >>hb32.text
  run i386 sig "$SIGS" --base 804a000 hb32.text --maps maps32 --format jsonl
  if no_crash i386 && expect_rc i386 0 "sig on i386 code"; then
    out=$(check inside i386.out openssl.heartbleed.word.x86-32 $((base + vs)) $((base + ve)) $((base + fs)) $((base + fe))) &&
      ok "i386 -O2: $out" || bad "i386 -O2: $out"
  fi
else
  note "gcc -m32 -c does not work here: i386 check skipped ($(head -c 120 cc32.err))"
fi

note "no false match in a Python process (the signatures without their library line)"
sed '/^library/d' "$SIGS" >anylib.sig
"$PYTHON3" "$HERE/sig_dump.py" pydump -- "$PYTHON3" -c 'import os; os.write(1, b"READY\n"); os.read(0, 1)' >/dev/null 2>pydump.log
if [ -f pydump/maps ]; then
  run py sig anylib.sig pydump --format jsonl
  expect_rc py 1 "heartbleed over every file mapping of python3 and its libraries" &&
    out=$(check none py.out openssl.heartbleed) &&
    ok "python3 and its libraries: $out ($(grep -o '"instructions":[0-9]*' py.out))" || bad "python3: $out"
fi
finish
