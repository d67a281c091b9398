# SPDX-License-Identifier: MIT
# carver creds on real interpreters: each sends an HTTP request with Basic credentials
# through its standard library (urllib.request / http.client; urllib2 / httplib on 2.7)
# to its own 127.0.0.1 server, drops every reference and collects; carver creds must
# report the user and password (a ':' and non-ASCII in it) on the live process (--pid)
# and on a dump of it (carver dump), in jsonl, msgpack and text. The system python3 always
# runs; the cpython-builds interpreters (2.7 3.9 3.11 3.13 3.14 3.15 and i386 3.11, 2.7)
# when present. Also Proxy-Authorization and a Bearer token on the system python3.
. "$(dirname "$0")/lib.inc"

BUILDS=${CPYTHON_BUILDS:-/work/shared/tools/cpython-builds}
RAN=0

# scenario LABEL MODE LAUNCHER...: one creds_check.py run; 77 (skip) ends the test when
# nothing ran yet (no ptrace rights), else counts as not run.
scenario() {
  _label=$1
  _mode=$2
  shift 2
  "$PYTHON3" "$HERE/creds_check.py" "$CARVER" "$WORK" "$_label" "$_mode" -- "$@" >"$_label.log" 2>&1
  _rc=$?
  cat "$_label.log"
  case $_rc in
  0) RAN=$((RAN + 1)) ;;
  77) note "$_label: skipped" ;;
  *) FAILS=$((FAILS + 1)) ;;
  esac
  return 0
}

scenario system-handler handler "$PYTHON3"
[ "$RAN" -eq 0 ] && [ "$FAILS" -eq 0 ] && skip "the system python3 scenario could not run here"
scenario system-proxy proxy "$PYTHON3"
scenario system-bearer bearer "$PYTHON3"

if [ -x "$BUILDS" ]; then
  for v in 2.7 3.9 3.11 3.13 3.14 3.15 i386-3.11 i386-2.7; do
    if ! timeout 60 "$BUILDS" run "$v" -c 'pass' >/dev/null 2>&1; then
      note "$v: not available from $BUILDS"
      continue
    fi
    scenario "$v-handler" handler "$BUILDS" run "$v"
    scenario "$v-client" client "$BUILDS" run "$v"
  done
else
  note "no $BUILDS: only the system python3 was tried"
fi
note "$RAN scenarios passed"
finish
