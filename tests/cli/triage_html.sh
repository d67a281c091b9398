# SPDX-License-Identifier: MIT
# carver triage --html: one self-contained page that renders in headless Chromium. The page
# of a real sample's findings plus two credential records shows the credentials (escaped),
# one band per region with live and freed objects and the credentials on them, every object
# row, and its search script runs; the screenshot is not blank. Chromium comes from Debian's
# chromium package: installed with apt-get when missing (as root), else the test skips (77).
# Usage: sh triage_html.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

"$PYTHON3" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing Debian's chromium package"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y --no-install-recommends \
      chromium >apt.log 2>&1 || {
      DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update >>apt.log 2>&1 &&
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y --no-install-recommends \
          chromium >>apt.log 2>&1
    }
  fi
  [ -x "$CHROMIUM" ] || skip "chromium is not installed and could not be installed (apt-get)"
fi
CHECK="$HERE/triage_check.py"
check() { "$PYTHON3" "$CHECK" "$@"; }
# judge DESCRIPTION COMMAND...: ok or bad, with the command's output.
judge() {
  _d=$1
  shift
  if _o=$("$@"); then ok "$_d: $_o"; else bad "$_d: $_o"; fi
}

# chrome NAME ARGS...: headless Chromium on its own profile, without network services.
chrome() {
  _n=$1
  shift
  _profile=$(mktemp -d "$WORK/profile.XXXXXX")
  timeout -s KILL 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$_profile" "$@" >"$_n.out" 2>"$_n.err"
  RC=$?
  rm -rf "$_profile"
}

tar -xJf "$SRC/samples/py311.tar.xz" || { bad "cannot extract py311.tar.xz"; finish; }
run scan scan py311 --format msgpack -o full.msgpack --no-progress
no_crash scan && expect_rc scan 0 "scan py311" || finish
rm -rf py311
check craft full.msgpack crafted.msgpack || { bad "craft failed"; finish; }

note "the report is one self-contained file"
run html triage crafted.msgpack --html report.html
if no_crash html && expect_rc html 0 "triage --html report.html"; then
  [ -s html.out ] && bad "--html alone wrote to stdout"
  mode=$(stat -c %a report.html)
  [ "$mode" = 600 ] && ok "report.html has mode 0600" || bad "report.html has mode $mode"
  grep -q "Content-Security-Policy\" content=\"default-src 'none'" report.html \
    && ok "a Content-Security-Policy forbids every external load" || bad "no CSP in the page"
  if grep -E -i -q '<(script|img|link|iframe)[^>]* (src|href)=' report.html; then
    bad "the page references an external resource"
  else
    ok "no src/href on script, img, link or iframe"
  fi
  grep -q 'Tr1age-S3cret!&lt;b&gt;' report.html && ! grep -q 'Tr1age-S3cret!<b>' report.html \
    && ok "a credential holding markup is shown escaped" || bad "the <b> in the credential is not escaped"
fi

note "headless Chromium renders it"
chrome dom --dump-dom "file://$WORK/report.html"
if [ "$RC" -ne 0 ] || [ ! -s dom.out ]; then
  bad "chromium --dump-dom failed (exit $RC)"
  sed 's/^/   | /' dom.err | tail -n 5
else
  judge "DOM" check dom dom.out crafted.msgpack
  grep -q 'svc-deploy' dom.out && ok "the DOM holds the credential's user" || bad "credential user missing"
fi
chrome shot --screenshot="$WORK/report.png" --window-size=1280,1600 "file://$WORK/report.html"
if [ "$RC" -ne 0 ] || [ ! -s report.png ]; then
  bad "chromium --screenshot failed (exit $RC)"
  sed 's/^/   | /' shot.err | tail -n 5
else
  judge "screenshot" check png report.png
fi

note "real credential records (carver creds on the credential sample), merged with its objects"
if [ -f "$SRC/samples/creds-py311.tar.xz" ]; then
  tar -xJf "$SRC/samples/creds-py311.tar.xz" || bad "cannot extract creds-py311.tar.xz"
  run cscan scan creds-py311 --format msgpack -o objects.msgpack --no-progress -q
  run ccreds creds creds-py311 --format msgpack -o creds.msgpack -q
  rm -rf creds-py311
  if [ -s objects.msgpack ] && [ -s creds.msgpack ]; then
    run chtml triage objects.msgpack creds.msgpack --html creds.html --format summary-json
    if no_crash chtml && expect_rc chtml 0 "triage objects + credentials --html"; then
      if out=$(check counts chtml.out -- objects.msgpack creds.msgpack); then ok "$out"; else bad "$out"; fi
      chrome cdom --dump-dom "file://$WORK/creds.html"
      if [ "$RC" -ne 0 ]; then
        bad "chromium --dump-dom on the credential report failed (exit $RC)"
      elif out=$(check dom cdom.out objects.msgpack creds.msgpack); then
        ok "credential report DOM: $out"
      else
        bad "credential report DOM: $out"
      fi
      chrome cshot --screenshot="$WORK/creds.png" --window-size=1280,1400 "file://$WORK/creds.html"
      judge "credential report screenshot" check png creds.png
    fi
  else
    bad "carver scan / creds on the credential sample produced nothing"
  fi
else
  note "no samples/creds-py311.tar.xz: only the crafted credentials are checked"
fi

note "the full sample (every object of a real dump) renders too"
run full triage full.msgpack --html full.html --format summary-json
if no_crash full && expect_rc full 0 "triage full.msgpack --html full.html --format summary-json"; then
  check counts full.out -- full.msgpack >/dev/null || bad "summary-json next to --html disagrees with python"
  chrome fulldom --dump-dom "file://$WORK/full.html"
  if [ "$RC" -ne 0 ]; then
    bad "chromium --dump-dom on the full report failed (exit $RC)"
  elif out=$(check dom fulldom.out full.msgpack); then
    ok "full report DOM: $out"
  else
    bad "full report DOM: $out"
  fi
fi
finish
