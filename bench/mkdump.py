#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build a Volatility-2 style memory dump of a real CPython process for the benchmark.

Starts /usr/bin/python3 with a workload that allocates about --size-mib MiB, waits for it to
print READY, then copies every readable+writable mapping and every mapping of the
interpreter binary (its data and read-only data; code is left out) from /proc/PID/mem into
OUTDIR as task.PID.0xSTART.vma, plus OUTDIR/maps. Pages that cannot be read are
zero-filled. The child is released and reaped afterwards.

Workloads (--workload):
  strings  nothing but varied str and bytes objects (ASCII, latin-1, UCS-2, UCS-4,
           small/medium/large, some freed again): the worst case for carver, which must
           convert and write out nearly every byte it reads.
  mixed    a typical application heap: records (dicts of ints, floats, names, tags),
           lists of ints and floats, tuples, int-keyed indexes, bytearray buffers, and
           str/bytes (names, log lines, JSON-ish text, payloads, some non-ASCII) making up
           about --text-share (default 0.35) of the bytes allocated; some of it freed again.

Usage: mkdump.py OUTDIR [--size-mib N] [--workload strings|mixed] [--text-share F]
                 [--python /usr/bin/python3]
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

# A typical heap: about TEXT_SHARE of the bytes allocated are str/bytes objects, the rest
# containers and numbers. Each step adds an item of the kind that is behind its share,
# sizes measured with sys.getsizeof (shared objects such as small ints and the records'
# key strings are not counted). Deterministic (seeded).
MIXED_WORKLOAD = r'''
import random, sys
target = int(sys.argv[1]) << 20
share = float(sys.argv[2])
rng = random.Random(20240611)
gs = sys.getsizeof

words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee "
         "zulu user admin session token order invoice customer account balance status "
         "request response error warning info debug timeout retry cache hit miss").split()
first = ("Anna Ben Chloe David Emma Felix Greta Hugo Ines Jonas Karin Luca Mia Noah Olga "
         "Paul Rosa Sven Tina Ugo Vera Will Xenia Yuri Zoe").split()
intl = ["Jos\u00e9", "Zo\u00eb", "Bj\u00f6rn", "\u0141ukasz", "\u674e\u660e",
        "\u0410\u043d\u043d\u0430", "M\u00fcller", "\u5c71\u7530", "Fran\u00e7ois"]
emoji = ["\U0001f600", "\U0001f680", "\u2705", "\u26a0"]

def sentence(n):
    return " ".join(rng.choice(words) for _ in range(n))

def name():
    p = rng.random()
    if p < 0.85:
        return "%s %s%d" % (rng.choice(first), rng.choice(words).title(), rng.randrange(100))
    return "%s %s" % (rng.choice(intl), rng.choice(first))

def log_line():
    s = "2024-06-11T%02d:%02d:%02d.%03dZ %s [%s] %s id=%d" % (
        rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(1000),
        rng.choice(("INFO", "WARN", "DEBUG", "ERROR")), rng.choice(words),
        sentence(rng.randrange(4, 30)), rng.randrange(1 << 30))
    if rng.random() < 0.05:
        s += " " + rng.choice(emoji)
    return s

def json_text(n):
    return "{" + ",".join('"%s": "%s"' % (rng.choice(words), sentence(3)) for _ in range(n)) + "}"

keep = []
text = other = 0   # bytes kept, by getsizeof
freed = 0

def add_text():
    global text
    r = rng.random()
    if r < 0.45:
        o = name()
    elif r < 0.70:
        o = log_line()
    elif r < 0.76:
        o = json_text(rng.randrange(2, 100))
    elif r < 0.88:
        o = sentence(rng.randrange(1, 6)).encode()          # short keys / tokens as bytes
    elif r < 0.995:
        o = rng.randbytes(rng.randrange(16, 2048))           # binary payloads
    else:
        o = (log_line() + "\n") * rng.randrange(10, 400)     # a large text blob
    text += gs(o)
    return o

def add_other():
    global other
    r = rng.random()
    if r < 0.55:      # a record, as parsed JSON rows or ORM objects hold them
        tags = [rng.choice(words) for _ in range(rng.randrange(4))]  # shared strings
        o = {"id": rng.randrange(1 << 40), "score": rng.random() * 100,
             "active": rng.random() < 0.5, "created": 1.7e9 + rng.random() * 1e7,
             "tags": tags, "point": (rng.random(), rng.random()),
             "counts": [rng.randrange(1 << 20) for _ in range(rng.randrange(1, 8))]}
        other += (gs(o) + gs(tags) + gs(o["point"]) + gs(o["counts"]) + 3 * 24 + 32 +
                  28 * len(o["counts"]))
    elif r < 0.70:    # a list of ints
        n = rng.randrange(10, 600)
        base = rng.randrange(1 << 30)
        o = list(range(base, base + n))
        other += gs(o) + 28 * n
    elif r < 0.80:    # a list of floats
        n = rng.randrange(10, 400)
        o = [x * 0.5 + 0.25 for x in range(n)]
        other += gs(o) + 24 * n
    elif r < 0.88:    # tuples
        o = tuple((rng.randrange(1 << 40), rng.random()) for _ in range(rng.randrange(1, 20)))
        other += gs(o) + len(o) * (gs((0, 0.0)) + 32 + 24)
    elif r < 0.95:    # an int-keyed index
        n = rng.randrange(8, 300)
        base = rng.randrange(1 << 30)
        o = {base + i: base + 2 * i for i in range(n)}
        other += gs(o) + 2 * 28 * n
    else:             # bytearray buffers (carver does not report them)
        o = bytearray(rng.randrange(64, 16384))
        other += gs(o)
    return o

while text + other < target:
    want_text = text < share * (text + other)
    before = text + other
    o = add_text() if want_text else add_other()
    if rng.random() < 0.12:          # dropped at once: freed memory
        freed += text + other - before
        if want_text:
            text -= text + other - before
        else:
            other -= text + other - before
        del o
        continue
    keep.append(o)
# a name -> record index with str keys: their hashes are cached, as in real programs
index = {}
for o in keep[:200000]:
    if isinstance(o, dict) and "id" in o:
        index["user-%d" % o["id"]] = o
print("READY kept=%d text_bytes=%d other_bytes=%d text_share=%.3f freed_bytes=%d" % (
    len(keep), text, other, text / max(1, text + other), freed), flush=True)
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
    ap.add_argument("--size-mib", type=int, default=1126, help="MiB to allocate")
    ap.add_argument("--workload", choices=("strings", "mixed"), default="strings")
    ap.add_argument("--text-share", type=float, default=0.35,
                    help="mixed: share of the allocated bytes in str/bytes objects")
    ap.add_argument("--python", default="/usr/bin/python3")
    a = ap.parse_args()
    if not 0.0 < a.text_share < 1.0:
        sys.exit("mkdump: --text-share must be between 0 and 1")

    os.makedirs(a.outdir, exist_ok=True)
    if any(f.endswith(".vma") for f in os.listdir(a.outdir)):
        sys.exit("mkdump: %s already holds dump files; remove them first" % a.outdir)

    if a.workload == "mixed":
        argv = [a.python, "-c", MIXED_WORKLOAD, str(a.size_mib), repr(a.text_share)]
    else:
        argv = [a.python, "-c", WORKLOAD, str(a.size_mib)]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
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
