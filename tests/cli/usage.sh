# SPDX-License-Identifier: MIT
# Usage errors: exit 2, one error line plus a "Try" line on stderr, nothing on stdout.
# Option values are checked before any input is opened, so most cases name an input that
# does not exist: a usage error must win over "cannot open" (exit 3).
# Usage: sh usage.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

NOIN=$WORK/no-such-input
n=0
# usage DESCRIPTION ARGS...
usage() {
  _d=$1
  shift
  n=$((n + 1))
  run "u$n" "$@"
  expect_usage "u$n" "$_d"
}

note "commands"
usage "no command"
usage "unknown command" frob
usage "unknown command that looks like an option" --frob
usage "empty command" ""
usage "layouts with an argument" layouts extra

note "scan: options"
usage "unknown long option" scan --frob "$NOIN"
usage "unknown short option" scan -x "$NOIN"
usage "unknown option after the input" scan "$NOIN" --frob
usage "flag given a value" scan --force=yes "$NOIN"
usage "missing argument: --base" scan "$NOIN" --base
usage "missing argument: --format" scan "$NOIN" --format
usage "missing argument: -o" scan "$NOIN" -o
usage "missing argument: --maps" scan "$NOIN" --maps
usage "missing argument: --hash-key" scan "$NOIN" --hash-key
usage "scan with no input" scan
usage "scan with options but no input" scan --format jsonl --no-progress

note "scan: option values"
usage "--format xml" scan --format xml "$NOIN"
usage "--format empty" scan --format "" "$NOIN"
usage "--format JSONL (case matters)" scan --format JSONL "$NOIN"
for v in 0 abc -1 1T 300M 256M1 "" 16Q 18446744073709551616 99999999999G; do
  usage "--max-len '$v'" scan --max-len "$v" "$NOIN"
done
for v in 0 10 63 2G abc "" -4096 4K4 1.5M; do
  usage "--chunk-size '$v'" scan --chunk-size "$v" "$NOIN"
done
for v in 0 3 "" 1x 22 -1; do
  usage "--threads '$v'" scan --threads "$v" "$NOIN"
done
for v in 0xZZ "" 0x 0x10000000000000000 -1 "0x 1000" 12345678901234567 0x1000g; do
  usage "--base '$v'" scan --base "$v" "$NOIN"
done
hex32=00112233445566778899aabbccddeeff
for v in 123 "" "${hex32}0" "${hex32}00112233445566778" g0112233445566778899aabbccddeeff \
    "0x${hex32}0" "0x"; do
  usage "--hash-key '$v'" scan --hash-key "$v" "$NOIN"
done
for v in -1 4294967296 abc "" 99999999999999999999999 1e3 " 5"; do
  usage "--hash-seed '$v'" scan --hash-seed "$v" "$NOIN"
done
# A --python value that names no built-in layout (carver layouts) is a usage error like any
# other bad value, found before the input is read.
for v in foo 3 "" 3.11.2.9 x.y 9.9 3.99; do
  usage "--python '$v'" scan --python "$v" "$NOIN"
done
usage "65 --base values" scan $(i=0; while [ $i -lt 65 ]; do printf -- '--base %x ' $((i * 4096 + 4096)); i=$((i + 1)); done) "$NOIN"

note "accepted boundary values reach the input (exit 3 for the missing input, not 2)"
# accepted DESCRIPTION ARGS...
accepted() {
  _d=$1
  shift
  n=$((n + 1))
  run "u$n" "$@"
  no_crash "u$n" || return
  expect_rc "u$n" 3 "$_d accepted" && ok "$_d accepted (exit 3: no such input)"
}
accepted "--max-len 1" scan --max-len 1 "$NOIN"
accepted "--max-len 256M" scan --max-len 256M "$NOIN"
accepted "--max-len 64KiB" scan --max-len 64KiB "$NOIN"
accepted "--chunk-size 64" scan --chunk-size 64 "$NOIN"
accepted "--chunk-size 1G" scan --chunk-size 1G "$NOIN"
accepted "--threads 1" scan --threads 1 "$NOIN"
accepted "--threads 2" scan --threads 2 "$NOIN"
accepted "--base 0xffffffffffff0000" scan --base 0xffffffffffff0000 "$NOIN"
accepted "--base 7f0000001000 (no 0x)" scan --base 7f0000001000 "$NOIN"
accepted "--hash-key 32 hex digits" scan --hash-key "$hex32" "$NOIN"
accepted "--hash-key 0x and 32 hex digits" scan --hash-key "0x$hex32" "$NOIN"
accepted "--hash-key 48 hex digits" scan --hash-key "${hex32}0011223344556677" "$NOIN"
accepted "--hash-seed 0" scan --hash-seed 0 "$NOIN"
accepted "--hash-seed 4294967295" scan --hash-seed 4294967295 "$NOIN"
accepted "--format json (alias of jsonl)" scan --format json "$NOIN"
accepted "--python 3.11" scan --python 3.11 "$NOIN"
accepted "--python 3.14t" scan --python 3.14t "$NOIN"

note "every 'Try' line names a help command that works"
for t in $(sed -n "s/^Try '\(.*\)'\.\$/\1/p" u*.err | sort -u | tr ' ' '#'); do
  cmd=$(echo "$t" | tr '#' ' ')
  # shellcheck disable=SC2086 # the words of the suggested command
  run try ${cmd#carver }
  if [ "$RC" -eq 0 ] && [ -s try.out ]; then
    ok "'$cmd' exits 0 with help on stdout"
  else
    bad "the Try line suggests '$cmd', which exits $RC"
    show try
  fi
done

finish
