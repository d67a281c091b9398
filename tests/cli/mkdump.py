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
import select
import subprocess
import sys
import time

PAGE = 4096
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


def read_range(fd, start, end):
    out = bytearray()
    pos = start
    step = 1 << 20
    while pos < end:
        n = min(step, end - pos)
        try:
            data = os.pread(fd, n, pos)
        except OSError:
            data = b""
        if len(data) != n:
            data = bytearray()
            for page in range(pos, pos + n, PAGE):
                k = min(PAGE, pos + n - page)
                try:
                    d = os.pread(fd, k, page)
                except OSError:
                    d = b""
                data += d if len(d) == k else b"\0" * k
        out += data
        pos += n
    return bytes(out)


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
    try:
        buf = b""
        deadline = time.time() + 30
        while READY not in buf:
            if time.time() > deadline or p.poll() is not None:
                sys.stderr.write("mkdump: child gave no READY (exit %r)\n" % p.poll())
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
            sys.stderr.write("mkdump: cannot read /proc/%d/mem: %s (skip)\n" % (p.pid, e))
            return 77
        n = 0
        try:
            for line in maps_text.splitlines():
                f = line.split(None, 5)
                if len(f) < 5 or not f[1].startswith("rw"):
                    continue
                path = f[5].strip() if len(f) > 5 else ""
                if path in SKIP:
                    continue
                start, end = (int(x, 16) for x in f[0].split("-"))
                data = read_range(memfd, start, end)
                with open(os.path.join(outdir, "task.%d.0x%x.vma" % (p.pid, start)), "wb") as o:
                    o.write(data)
                n += 1
        finally:
            os.close(memfd)
        with open(os.path.join(outdir, "maps"), "w") as f:
            f.write(maps_text)
        if n == 0:
            sys.stderr.write("mkdump: no rw mapping dumped\n")
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
