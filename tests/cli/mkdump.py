#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Dump a live /usr/bin/python3 holding known marker objects, for the CLI tests.

Usage: $PYTHON3 mkdump.py OUTDIR [PYTHON]

Starts PYTHON (default /usr/bin/python3) with a small script that keeps these objects
referenced, prints READY and blocks reading stdin:

  str   CARVER-CLI-MARKER-1 .. CARVER-CLI-MARKER-5
  bytes b"CARVER-CLI-MARKER-BYTES-1" .. b"CARVER-CLI-MARKER-BYTES-3"
  str   "CARVER-CLI-ESC-\\x1b[31mRED\\x07-END"   (terminal escape and bell)
  str   "CARVER-CLI-C1-\\x9b31mX\\x85\\x7f-END"   (C1 CSI, NEL and DEL)

then writes every readable rw mapping of the child (not [vvar], [vsyscall], [stack]) as
Volatility 2 files OUTDIR/task.PID.0xSTART.vma (pages that cannot be read are zero-filled)
plus OUTDIR/maps, and releases the child.  Prints the child's pid.

Exit 0 done, 77 when /proc/PID/mem cannot be read (no ptrace rights: skip), 1 on error.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import procdump  # noqa: E402

READY = b"READY\n"
SKIP = {"[vvar]", "[vvar_vclock]", "[vsyscall]", "[stack]", "[vdso]"}

# Every value is built at run time so that it exists as a heap object, not only as a
# code constant; all of them stay referenced until the process exits.
TARGET = r"""
import os, sys
K = []
for i in range(1, 6):
    K.append("CARVER-CLI-" + "MARKER-%d" % i)
for i in range(1, 4):
    K.append(("CARVER-CLI-" + "MARKER-BYTES-%d" % i).encode("ascii"))
K.append("CARVER-CLI-" + "ESC-" + chr(27) + "[31mRED" + chr(7) + "-END")
K.append("CARVER-CLI-" + "C1-" + chr(0x9b) + "31mX" + chr(0x85) + chr(0x7f) + "-END")
for s in K:
    hash(s)
os.write(1, b"READY\n")
os.read(0, 1)
"""


def keep(f, path):
    return len(f) >= 5 and f[1].startswith("rw") and path not in SKIP


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: mkdump.py OUTDIR [PYTHON]\n")
        return 1
    outdir = argv[1]
    python = argv[2] if len(argv) == 3 else "/usr/bin/python3"
    os.makedirs(outdir, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    p = subprocess.Popen([python, "-S", "-c", TARGET], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env)
    return procdump.dump_child(p, outdir, "mkdump", READY, 30, keep, "no rw mapping dumped")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
