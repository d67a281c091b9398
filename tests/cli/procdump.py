# SPDX-License-Identifier: MIT
"""Live child processes for the CLI test helpers (mkdump.py, sig_dump.py, creds_check.py).

dump_child(p, outdir, ...) waits for the child's READY line, writes the mappings chosen by
keep(fields, path) as OUTDIR/task.PID.0xSTART.vma (pages that cannot be read are
zero-filled) plus OUTDIR/maps (the whole /proc/PID/maps), prints the child's pid and
releases the child with release(p).
"""
import os
import select
import subprocess
import sys
import time

PAGE = 4096


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


def release(p, timeout=10):
    """Lets a child blocked reading its standard input go (one byte, then EOF) and waits
    up to timeout seconds for it to exit (then kills it). Safe to call twice."""
    try:
        p.stdin.write(b"x")
        p.stdin.close()
    except (OSError, ValueError):
        pass
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()


def _dump(p, outdir, who, ready, timeout, keep, none_msg):
    buf = b""
    deadline = time.time() + timeout
    while ready not in buf:
        if time.time() > deadline or p.poll() is not None:
            sys.stderr.write("%s: child gave no READY (exit %r)\n" % (who, p.poll()))
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
        sys.stderr.write("%s: cannot read /proc/%d/mem: %s (skip)\n" % (who, p.pid, e))
        return 77
    n = 0
    try:
        for line in maps_text.splitlines():
            f = line.split(None, 5)
            path = f[5].strip() if len(f) > 5 else ""
            if not keep(f, path):
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
        sys.stderr.write("%s: %s\n" % (who, none_msg))
        return 1
    print(p.pid)
    return 0


def dump_child(p, outdir, who, ready, timeout, keep, none_msg):
    """p: the child (subprocess.Popen with stdin and stdout pipes); who: the name in
    messages; ready: the bytes the child writes when it is ready, within timeout seconds;
    keep(fields, path): whether to write a mapping, fields being its maps line split in
    at most 6 fields; none_msg: the error when no mapping was written. Returns the exit
    code: 0 done, 77 when /proc/PID/mem cannot be read, 1 on error."""
    try:
        return _dump(p, outdir, who, ready, timeout, keep, none_msg)
    finally:
        release(p)
