# SPDX-License-Identifier: MIT
# Hash keys from PYTHONHASHSEED (issue #5): a real process started with PYTHONHASHSEED=N.
# Live: the key comes from /proc/PID/environ (with --no-symbols, so not from .dynsym);
# a dump of it with --hash-seed N: the key comes from the option; the dump with no option:
# from PYTHONHASHSEED among the environment strings on its stack. All equal the secret
# ctypes reads inside the process, and verify the cached hashes; a wrong --hash-seed is
# reported and verifies nothing.
. "$(dirname "$0")/lib.inc"
"$PYTHON3" "$HERE/hashseed_check.py" "$CARVER" "$WORK" "$HERE/live_target.py"
rc=$?
[ "$rc" -eq 77 ] && skip "may not read another process's memory here"
[ "$rc" -eq 0 ] || bad "hashseed_check.py (exit $rc)"
finish
