#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Dump the code of a live process for the sig tests (the committed samples hold only
data mappings).

Usage: $PYTHON3 sig_dump.py OUTDIR [--exec-only] [--match REGEX] -- CMD [ARGS...]

Starts CMD, which must write READY to its standard output and then block reading its
standard input; writes the mappings whose path matches REGEX (default: every mapping
with a path that is a file), as Volatility 2 files OUTDIR/task.PID.0xSTART.vma, plus
OUTDIR/maps (the whole /proc/PID/maps), then releases CMD. With --exec-only only the
executable mappings are written: no ELF header, no dynamic section (as in a core, which
rarely holds code, or a dump of code pages alone), so carver must use the files on disk.
Prints the child's pid.

Exit 0 done, 77 when /proc/PID/mem cannot be read (no ptrace rights: skip), 1 on error.
"""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import procdump  # noqa: E402


def main(argv):
    if "--" not in argv or len(argv) < 4:
        sys.stderr.write(__doc__)
        return 1
    sep = argv.index("--")
    opts, cmd = argv[1:sep], argv[sep + 1:]
    outdir = opts[0]
    exec_only = "--exec-only" in opts
    match = re.compile(opts[opts.index("--match") + 1]) if "--match" in opts else None

    def keep(f, path):
        if not f[1].startswith("r") or not path.startswith("/"):
            return False
        if exec_only and f[1][2] != "x":
            return False
        return match is None or match.search(path) is not None

    os.makedirs(outdir, exist_ok=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return procdump.dump_child(p, outdir, "sig_dump", b"READY", 60, keep, "no mapping dumped")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
