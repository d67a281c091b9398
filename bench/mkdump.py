#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build a Volatility-2 style memory dump of a real CPython process for the benchmark.

Starts /usr/bin/python3 with a workload that allocates about --size-mib MiB of varied str
and bytes objects (ASCII, latin-1, UCS-2, UCS-4, small/medium/large, some freed again),
waits for it to print READY, then copies every readable+writable mapping and every mapping
of the interpreter binary (its data and read-only data; code is left out) from
/proc/PID/mem into OUTDIR as task.PID.0xSTART.vma, plus OUTDIR/maps. Pages that cannot be
read are zero-filled. The child is released and reaped afterwards.

Usage: mkdump.py OUTDIR [--size-mib N] [--python /usr/bin/python3]
Needs ptrace access to the child (root, or ptrace_scope 0 for an own child).
"""
import argparse
import os
import subprocess
import sys

# The workload run inside the interpreter under test. Deterministic (seeded), and built
# from slices of prepared pools so that 1 GiB is allocated in seconds, not minutes.
WORKLOAD = r'''
import os, random, sys
target = int(sys.argv[1]) << 20
rng = random.Random(20240611)

def pool(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))

POOL_N = 1 << 16
ascii_words = ("GET POST /api/v1/users?id= Authorization: Bearer token password= secret "
               "https://example.com/ import json select from where user@example.org "
               "Traceback (most recent call last) File line in module ").split()
ascii_pool = " ".join(rng.choice(ascii_words) for _ in range(POOL_N // 6))[:POOL_N]
latin1_pool = pool([chr(c) for c in range(0xa0, 0x100)], POOL_N)
ucs2_pool = pool([chr(c) for c in list(range(0x391, 0x3ca)) + list(range(0x4e00, 0x4f00))], POOL_N)
ucs4_pool = pool([chr(c) for c in range(0x1f600, 0x1f650)], POOL_N)
mixed_pool = pool(list("abcdefghij klmnop =/:") * 40 + ["\xe9", "\u20ac", "\U0001f600"], POOL_N)
text_bytes_pool = ascii_pool.encode() * 4
rand_bytes_pool = os.urandom(POOL_N * 4)

kinds = [ascii_pool, ascii_pool, ascii_pool, latin1_pool, ucs2_pool, ucs4_pool, mixed_pool]
bpools = [text_bytes_pool, text_bytes_pool, rand_bytes_pool]

def small():   # pymalloc objects
    return rng.randint(0, 300)
def medium():  # malloc heap
    return rng.randint(300, 20000)
def large():   # mmap'd by malloc
    return rng.randint(200000, 2000000)

keep = []
total = 0
freed = 0
n = 0
while total < target:
    # by bytes about 35% small, 35% medium, 30% large objects
    r = rng.random()
    if r < 0.00012:
        size = large()
    elif r < 0.016:
        size = medium()
    else:
        size = small()
    if rng.random() < 0.6:
        p = rng.choice(kinds)
        if size > POOL_N - 1:
            reps = size // POOL_N + 1
            o = (p * reps)[:size]                 # one new object of that size
        else:
            i = rng.randrange(0, POOL_N - size)
            o = p[i:i + size]
        if rng.random() < 0.5:
            hash(o)                               # cache the hash, as dict keys do
    else:
        p = rng.choice(bpools)
        if size > len(p) - 1:
            o = (p * (size // len(p) + 1))[:size]
        else:
            i = rng.randrange(0, len(p) - size)
            o = p[i:i + size]
    sz = sys.getsizeof(o)
    n += 1
    if rng.random() < 0.15:
        freed += sz                               # dropped at once: freed memory
        del o
        continue
    keep.append(o)
    total += sz
# free a further slice of the kept objects (holes in the middle of the heap)
drop = keep[::7]
del keep[::7]
freed += sum(sys.getsizeof(o) for o in drop)
total -= sum(sys.getsizeof(o) for o in drop)
del drop
print("READY objects=%d live=%d live_bytes=%d freed_bytes=%d" % (n, len(keep), total, freed),
      flush=True)
sys.stdin.readline()
'''

PAGE = os.sysconf("SC_PAGE_SIZE")
CHUNK = 8 << 20


def parse_maps(text):
    out = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        path = parts[5].strip() if len(parts) > 5 else ""
        out.append((lo, hi, parts[1], path))
    return out


def wanted(lo, hi, perms, path, interp):
    if path in ("[vvar]", "[vsyscall]", "[vdso]") or perms[0] != "r":
        return False
    if path == interp:
        return "x" not in perms          # the interpreter's data and read-only data
    return perms[1] == "w"               # every readable, writable mapping


def copy_region(memfd, lo, hi, out):
    """Copy [lo, hi) from /proc/PID/mem; zero-fill what cannot be read. Returns bad pages."""
    bad = 0
    addr = lo
    zero = bytes(PAGE)
    while addr < hi:
        n = min(CHUNK, hi - addr)
        try:
            data = os.pread(memfd, n, addr)
        except OSError:
            data = b""
        if len(data) == n:
            out.write(data)
            addr += n
            continue
        # a short or failed read: go page by page
        end = addr + n
        while addr < end:
            try:
                page = os.pread(memfd, PAGE, addr)
            except OSError:
                page = b""
            if len(page) != PAGE:
                page = zero
                bad += 1
            out.write(page)
            addr += PAGE
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--size-mib", type=int, default=1126, help="str/bytes to allocate (MiB)")
    ap.add_argument("--python", default="/usr/bin/python3")
    a = ap.parse_args()

    os.makedirs(a.outdir, exist_ok=True)
    if any(f.endswith(".vma") for f in os.listdir(a.outdir)):
        sys.exit("mkdump: %s already holds dump files; remove them first" % a.outdir)

    child = subprocess.Popen([a.python, "-c", WORKLOAD, str(a.size_mib)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = child.stdout.readline().decode()
        if not line.startswith("READY"):
            sys.exit("mkdump: workload failed (%r)" % line)
        print("mkdump: child %d %s" % (child.pid, line.strip()), file=sys.stderr)
        pid = child.pid
        interp = os.path.realpath("/proc/%d/exe" % pid)
        with open("/proc/%d/maps" % pid) as f:
            maps_text = f.read()
        with open(os.path.join(a.outdir, "maps"), "w") as f:
            f.write(maps_text)
        memfd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        total = bad = files = 0
        try:
            for lo, hi, perms, path in parse_maps(maps_text):
                if not wanted(lo, hi, perms, path, interp):
                    continue
                name = os.path.join(a.outdir, "task.%d.0x%x.vma" % (pid, lo))
                with open(name, "wb") as out:
                    bad += copy_region(memfd, lo, hi, out)
                total += hi - lo
                files += 1
        finally:
            os.close(memfd)
        print("mkdump: wrote %d files, %.1f MiB (%d unreadable pages zero-filled) to %s"
              % (files, total / 1048576, bad, a.outdir), file=sys.stderr)
    finally:
        try:
            child.stdin.write(b"\n")
            child.stdin.close()
        except OSError:
            pass
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
