# SPDX-License-Identifier: MIT
# carver --help, scan --help, --version and layouts: exit 0, on stdout, complete.
# Usage: sh help.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

# on_stdout NAME DESCRIPTION: exit 0, text on stdout, nothing on stderr.
on_stdout() {
  no_crash "$1" || return 1
  expect_rc "$1" 0 "$2" || return 1
  if [ ! -s "$1.out" ]; then
    bad "$2: nothing on stdout"
    show "$1"
    return 1
  fi
  if [ -s "$1.err" ]; then
    bad "$2: wrote to stderr"
    show "$1"
    return 1
  fi
  ok "$2: exit 0, $(wc -l <"$1.out") lines on stdout"
}

# has NAME FIXED-STRING DESCRIPTION: NAME.out contains the string.
has() {
  if grep -q -F -e "$2" "$1.out"; then
    return 0
  fi
  bad "$3: '$2' missing from the output of $1"
  return 1
}

# Exit codes, as README.md's table documents them: every one must be in a help text.
readme_codes=$(sed -n 's/^| *\([0-9][0-9+N]*\) *|.*/\1/p' "$SRC/README.md")
if [ -z "$readme_codes" ]; then
  bad "README.md: no exit-code table found"
fi
note "README.md documents exit codes: $(echo $readme_codes)"

# check_exit_codes NAME: an "Exit codes:" section with one line per documented code.
check_exit_codes() {
  if ! grep -q '^Exit codes:' "$1.out"; then
    bad "$1: no 'Exit codes:' section"
    return 1
  fi
  _missing=
  for c in $readme_codes; do
    sed -n '/^Exit codes:/,$p' "$1.out" | grep -q -E "^ +$(echo "$c" | sed 's/+/\\+/g') " ||
      _missing="$_missing $c"
  done
  for s in 130 143; do
    sed -n '/^Exit codes:/,$p' "$1.out" | grep -q "$s" || _missing="$_missing $s"
  done
  if [ -n "$_missing" ]; then
    bad "$1: exit codes not listed:$_missing"
    return 1
  fi
  ok "$1: lists exit codes $(echo $readme_codes) (130/143 for SIGINT/SIGTERM)"
}

note "carver --help / -h / help"
for a in --help -h help; do
  run "main$a" "$a"
  on_stdout "main$a" "carver $a"
done
if cmp -s main--help.out main-h.out && cmp -s main--help.out mainhelp.out; then
  ok "--help, -h and help print the same text"
else
  bad "--help, -h and help print different texts"
fi
for w in scan layouts --version "scan --help"; do
  has main--help "$w" "carver --help" && ok "carver --help mentions '$w'"
done
check_exit_codes main--help

note "carver scan --help / -h"
run scan-help scan --help
on_stdout scan-help "carver scan --help"
run scan-h scan -h
on_stdout scan-h "carver scan -h"
cmp -s scan-help.out scan-h.out || bad "scan --help and scan -h differ"
check_exit_codes scan-help
# The option tables scan uses: its own in carver/cmd_scan.c and the shared one in
# carver/carve_session.c: {"long-name", 'x' or 0, ...}. Every entry must be in the help
# text, with its short form when it has one.
table=$( { sed -n '/cli_opt scan_own_opts\[\] *= *{/,/^};/p' "$SRC/carver/cmd_scan.c"
           sed -n '/cli_opt session_opt_table\[\] *= *{/,/^};/p' "$SRC/carver/carve_session.c"; } |
        grep -o '{"[^"]*", *[^,]*,' | sed "s/^{\"\([^\"]*\)\", *\(.*\),\$/\1 \2/")
n_opts=$(printf '%s\n' "$table" | grep -c .)
if [ "$n_opts" -lt 10 ]; then
  bad "found only $n_opts entries in the option tables of carver/cmd_scan.c and carve_session.c (parser out of date?)"
fi
note "scan's option tables have $n_opts options"
missing=
printf '%s\n' "$table" >opts.txt
while read -r name short; do
  [ -n "$name" ] || continue
  case $short in
  "'"?"'") s=$(printf '%s' "$short" | cut -c2); want="-$s, --$name" ;;
  *) want="--$name" ;;
  esac
  if grep -q -E -e "(^|[ ,])$want([ =]|\$)" scan-help.out; then
    :
  else
    missing="$missing $want"
  fi
done <opts.txt
if [ -n "$missing" ]; then
  bad "carver scan --help does not document:$missing"
else
  ok "carver scan --help documents all $n_opts options ($(cut -d' ' -f1 opts.txt | tr '\n' ' '))"
fi
# Options the help advertises must also be accepted (no stale help text).
for o in $(grep -o -E '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' scan-help.out | grep -o -E -e '--[a-z0-9-]+'); do
  grep -q "^${o#--} " opts.txt || bad "carver scan --help mentions $o, which is not in the option table"
done

note "carver --version / -V"
run version --version
on_stdout version "carver --version"
run version-V -V
on_stdout version-V "carver -V"
cmp -s version.out version-V.out || bad "--version and -V differ"
for lib in carver pcre2 capstone msgpack-c; do
  if grep -q -E "(^|[ ,])$lib [0-9]" version.out; then
    ok "--version names $lib with a version: $(grep -o -E "(^|[ ,])$lib [^ ,]*" version.out | head -n 1)"
  else
    bad "--version does not name $lib with a version"
    show version
  fi
done

note "carver layouts"
run layouts layouts
on_stdout layouts "carver layouts"
for v in 2.7 3.11 3.14t; do
  if awk -v v="$v" 'NR > 1 && $2 == v { f = 1 } END { exit !f }' layouts.out; then
    ok "carver layouts lists CPython $v: $(awk -v v="$v" 'NR > 1 && $2 == v { print $1; exit }' layouts.out)"
  else
    bad "carver layouts has no layout for CPython $v"
  fi
done
# The layout count that --version reports matches the list.
n_layouts=$(($(wc -l <layouts.out) - 1))
if grep -q "layouts: $n_layouts " version.out; then
  ok "--version's layout count matches carver layouts ($n_layouts)"
else
  bad "--version reports '$(grep layouts: version.out)' but carver layouts lists $n_layouts"
fi

finish
