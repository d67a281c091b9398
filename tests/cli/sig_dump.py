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
import select
import subprocess
import sys
import time

PAGE = 4096


def read_range(fd, start, end):
    out = bytearray()
    for page in range(start, end, PAGE):
        try:
            d = os.pread(fd, PAGE, page)
        except OSError:
            d = b""
        out += d if len(d) == PAGE else b"\0" * PAGE
    return bytes(out)


def main(argv):
    if "--" not in argv or len(argv) < 4:
        sys.stderr.write(__doc__)
        return 1
    sep = argv.index("--")
    opts, cmd = argv[1:sep], argv[sep + 1:]
    outdir = opts[0]
    exec_only = "--exec-only" in opts
    match = re.compile(opts[opts.index("--match") + 1]) if "--match" in opts else None
    os.makedirs(outdir, exist_ok=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        buf = b""
        deadline = time.time() + 60
        while b"READY" not in buf:
            if time.time() > deadline or p.poll() is not None:
                sys.stderr.write("sig_dump: child gave no READY (exit %r)\n" % p.poll())
                return 1
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                buf += os.read(p.stdout.fileno(), 256)
        with open("/proc/%d/maps" % p.pid) as f:
            maps_text = f.read()
        try:
            memfd = os.open("/proc/%d/mem" % p.pid, os.O_RDONLY)
            os.pread(memfd, 1, int(maps_text.split("-", 1)[0], 16))
        except OSError as e:
            sys.stderr.write("sig_dump: cannot read /proc/%d/mem: %s (skip)\n" % (p.pid, e))
            return 77
        n = 0
        try:
            for line in maps_text.splitlines():
                f = line.split(None, 5)
                path = f[5].strip() if len(f) > 5 else ""
                if not f[1].startswith("r") or not path.startswith("/"):
                    continue
                if exec_only and f[1][2] != "x":
                    continue
                if match and not match.search(path):
                    continue
                start, end = (int(x, 16) for x in f[0].split("-"))
                with open(os.path.join(outdir, "task.%d.0x%x.vma" % (p.pid, start)), "wb") as o:
                    o.write(read_range(memfd, start, end))
                n += 1
        finally:
            os.close(memfd)
        with open(os.path.join(outdir, "maps"), "w") as f:
            f.write(maps_text)
        if n == 0:
            sys.stderr.write("sig_dump: no mapping dumped\n")
            return 1
        print(p.pid)
        return 0
    finally:
        try:
            p.stdin.write(b"x")
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
