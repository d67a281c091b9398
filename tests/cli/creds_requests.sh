# SPDX-License-Identifier: MIT
# carver creds on Debian's python3-requests (system python3): auth=(user, password), which
# requests encodes as latin-1, and credentials in the URL's userinfo (percent-encoded ':'
# and UTF-8), which requests turns into a Basic header; the URL itself is reported too.
# Installs python3-requests with apt-get when missing and running as root; skips (77)
# when it stays unavailable.
. "$(dirname "$0")/lib.inc"

if ! "$PYTHON3" -c 'import requests' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing python3-requests"
    apt-get install -y -qq python3-requests >apt.log 2>&1 ||
      { apt-get update -qq >>apt.log 2>&1 && apt-get install -y -qq python3-requests >>apt.log 2>&1; }
  fi
  "$PYTHON3" -c 'import requests' 2>/dev/null || skip "python3-requests is not available"
fi

# latin-1 password with a ':' (requests cannot send characters outside latin-1)
"$PYTHON3" "$HERE/creds_check.py" "$CARVER" "$WORK" requests-auth requests \
  --user rq-user --password "p$(printf '\303\244'):ss-$$" -- "$PYTHON3"
rc=$?
[ $rc -eq 77 ] && skip "scenario could not run here"
[ $rc -ne 0 ] && FAILS=$((FAILS + 1))

# userinfo: 'rq:pw-<a-umlaut>' percent-encoded in the URL
"$PYTHON3" "$HERE/creds_check.py" "$CARVER" "$WORK" requests-url url \
  --user url-user --password "rq%3Apw-%C3%A4-$$" --expect-password "rq:pw-$(printf '\303\244')-$$" \
  --expect-url -- "$PYTHON3"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 77 ] && FAILS=$((FAILS + 1))
finish
