#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the seed inputs of the fuzz targets (tests/fuzz/README.md) from real data: the
sample dumps (samples/*.tar.xz) carved with carver itself, their maps copies, this
machine's /proc/self/maps, a gcore core of a small python process (trimmed), a tiny shared
object, carver's own msgpack output and WKdm trees, and the shipped signature files.

    make_seeds.py CARVER_BIN SOURCE_DIR OUT_DIR

OUT_DIR/NAME/seed-* for every target NAME; each seed is a few KB at most. The committed
corpus is these seeds merged with what fuzzing found (README.md, "Corpora")."""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile

CARVER, SRC, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
SAMPLES = ["py311", "py27", "py314", "i386-py311", "py313", "i386-py27", "py39", "py312"]
TMP = tempfile.mkdtemp(prefix="carver-seeds-")
COUNT = {}


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    assert len(data) <= 16384, (target, name, len(data))
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)
    COUNT[target] = COUNT.get(target, 0) + 1


def run(*args, **kw):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE, **kw).stdout


LAYOUTS = [ln.split()[0] for ln in run(CARVER, "layouts").decode().splitlines()[1:] if ln.strip()]


class Dump:
    """An extracted sample: its dump files as (start, end, path), and carver's findings."""

    def __init__(self, name):
        with tarfile.open(os.path.join(SRC, "samples", name + ".tar.xz")) as t:
            t.extractall(TMP)
        self.dir = os.path.join(TMP, name)
        self.name = name
        self.files = []
        for f in sorted(os.listdir(self.dir)):
            p = os.path.join(self.dir, f)
            if f.startswith("task."):
                start = int(f.split(".")[2], 16)
            elif f.startswith("pid."):
                start = int(f.split(".")[3].split("-")[0], 16)
            else:
                continue
            self.files.append((start, start + os.path.getsize(p), p))
        out = run(CARVER, "scan", self.dir, "--format", "jsonl", "--no-progress",
                  stderr=subprocess.DEVNULL)
        recs = [json.loads(ln) for ln in out.decode().splitlines()]
        self.meta = recs[0]
        self.objects = [r for r in recs if r["record"] == "object"]
        self.layout = LAYOUTS.index(self.meta["layout"])
        self.w = 4 if "i386" in self.meta["layout"] else 8
        self.key = bytes.fromhex(self.meta.get("hash_key") or "").ljust(24, b"\0")[:24]

    def read(self, addr, n):
        for start, end, p in self.files:
            if start <= addr < end:
                with open(p, "rb") as f:
                    f.seek(addr - start)
                    return f.read(min(n, end - addr))
        return b""


def scan_header(d, flags, cap, key=None):
    h = bytes([d.layout, flags, cap, 0])
    h += struct.pack("<QQ", d.meta["str_type"], d.meta["bytes_type"])
    h += (key if key is not None else d.key)
    return h.ljust(48, b"\0")


def region(start, data, hole=0):
    return struct.pack("<QII", start, hole, len(data)) + data


def pick(objs, n):
    """n objects spread over the list, of different types and statuses."""
    seen, out = set(), []
    for o in objs:
        k = (o["type"], o["status"], o.get("kind"), o.get("proof"))
        if k not in seen:
            seen.add(k)
            out.append(o)
    step = max(1, len(objs) // max(1, n - len(out)))
    out += objs[::step]
    return out[:n]


def chunk_before(d, addr):
    """A glibc malloc chunk boundary a few chunks before addr, found by walking the chunk
    chain from the start of addr's dump file (x86-64: from offset 0; i386: 8)."""
    for start, end, p in d.files:
        if not start <= addr < end:
            continue
        data = open(p, "rb").read()
        for first in (0, 8):
            c, chain = first, []
            while c + 2 * d.w <= len(data):
                sz = int.from_bytes(data[c + d.w:c + 2 * d.w], "little")
                if sz & 2 or (sz & ~7) < 4 * d.w or (sz & ~7) % 16:
                    break
                chain.append(c)
                if start + c + (sz & ~7) > addr:
                    near = [x for x in chain if start + x + 4096 <= addr] or chain[:1]
                    # the window's first chunk must follow one in use (P bit)
                    for x in reversed(near[-8:]):
                        if int.from_bytes(data[x + d.w:x + 2 * d.w], "little") & 1:
                            return start + x
                    return None
                c += sz & ~7
    return None


# ---- samples: scan, validators, writer, creds, dumpname, maps ----------------------------
dumps = []
for s in SAMPLES:
    if os.path.exists(os.path.join(SRC, "samples", s + ".tar.xz")):
        dumps.append(Dump(s))
for d in dumps:
    # scan: windows of real memory at their real address, with the real types and key
    for i, o in enumerate(pick(d.objects, 10)):
        start = (o["addr"] - 256) & ~15
        data = d.read(start, 2048 if i % 3 else 3072)
        flags = [0, 4, 1, 5, 2][i % 5]  # none, key, clobbered, key+clobbered, keep-mismatch
        seed = scan_header(d, flags, i % 4 if i % 2 else 0) + region(start, data)
        if i % 4 == 3:  # a second region right after the first: values cross it
            more = d.read(start + len(data), 512)
            seed += region(start + len(data), more, 4096)
        put("scan", "%s-%s-%d" % (d.name, o["type"], i), seed)
    # clobbered headers: a window that starts at a malloc chunk boundary (the chain from the
    # heap's start, walked here) a few chunks before a value whose header free() clobbered
    for i, o in enumerate([o for o in d.objects if o.get("proof") and
                           o["length"] * o.get("kind", 1) < 6000][:3]):
        c = chunk_before(d, o["addr"])
        if c is not None:
            put("scan", "%s-clobbered-%d" % (d.name, i),
                scan_header(d, 1 | (4 if i % 2 else 0), 0) + region(c, d.read(c, 12288)))
    # discovery: the type objects (and the hash secret) as touching regions, plus some heap
    tt = int.from_bytes(d.read(d.meta["str_type"] + d.w, d.w), "little")
    points = sorted({tt, d.meta["str_type"], d.meta["bytes_type"]} |
                    ({d.meta["hash_key_addr"]} if d.meta.get("hash_key_addr") else set()))
    regs, prev_end = [], None
    for k, a in enumerate(points):
        start = a - 64 if prev_end is None else max(a - 64, prev_end)
        nxt = points[k + 1] - 64 if k + 1 < len(points) else None
        n = 640 if nxt is None else max(0, min(640, nxt - start))
        data = d.read(start, n)
        hole = 0 if nxt is None else max(0, nxt - start - len(data))
        if prev_end is not None and start != prev_end:
            regs[-1] = (regs[-1][0], regs[-1][1], regs[-1][2] + start - prev_end)
        regs.append((start, data, hole))
        prev_end = start + len(data) + hole
    if all(h <= (1 << 20) for _, _, h in regs):
        heap = d.objects[len(d.objects) // 2]
        hstart = (heap["addr"] - 128) & ~15
        body = b"".join(region(s, dt, h) for s, dt, h in regs)
        put("scan", "%s-discover" % d.name,
            scan_header(d, 8, 0, b"\0" * 24) + body + region(hstart, d.read(hstart, 1024)))
    # validators: the bytes at real objects, with their layout
    for i, o in enumerate(pick(d.objects, 8)):
        n = 96 + min(2048, o["length"] * o.get("kind", 1) + 4)
        put("validators", "%s-%s-%d" % (d.name, o["type"], i),
            bytes([d.layout, 3]) + d.read(o["addr"], n))
    # writer: real values re-encoded in their kind, with their real region names
    for i, o in enumerate(pick(d.objects, 4)):
        kind = o.get("kind", 1)
        region_name = (o.get("region") or "")[:200].encode()
        if o["type"] == "unicode" or (o["type"] == "str" and "kind" in o):
            cps = [ord(c) for c in o["value"]]
            val = b"".join(c.to_bytes(kind, "little") for c in cps if c < (1 << (8 * kind)))
            mode = (0 if o["type"] == "str" else 3) | {1: 0, 2: 1, 4: 2}[kind] << 2
        else:
            val = base64.b64decode(o["value_b64"])
            mode = 1 if o["type"] == "bytes" else 2
        put("writer", "%s-%d" % (d.name, i),
            bytes([mode, len(region_name)]) + region_name + val[:2048])
    put("dumpname", d.name + "-" + os.path.basename(d.files[0][2]),
        os.path.basename(d.files[0][2]).encode())
    with open(os.path.join(d.dir, "maps"), "rb") as f:
        put("maps", d.name, f.read()[:4096])
# hostile names and control sequences in values
for name in [b"task.1.0xZZ.vma", b"pid.1.vma.0x2000-0x1000.dmp", b"task.1.0x10000000000000000.vma",
             b"task.99999999999999999999.0x1000.vma", b"pid.7.vma.0x0-0xffffffffffffffff.dmp",
             b"0x7f0000000000", b"18446744073709551615", b"task.1.0x1000.vma\0junk"]:
    put("dumpname", "hostile-%d" % COUNT.get("dumpname", 0), name)
put("writer", "controls", bytes([0, 5]) + b"\x1b[2J\x07" + b"A\x1b[31mRED\x07\x9b\xe2\x80\xae\r\n\x7f")
put("writer", "surrogates-ucs2", bytes([1 << 2, 4]) + b"reg\x85" +
    struct.pack("<8H", 0xD83D, 0xDE00, 0xD800, 0x41, 0xDC00, 0x202E, 0x85, 0x2028))
put("writer", "ucs4-over", bytes([2 << 2, 0]) + struct.pack("<4I", 0x10FFFF, 0x110000, 0x1F600, 0))
with open("/proc/self/maps", "rb") as f:
    put("maps", "proc-self", f.read()[:4096])
put("maps", "absurd",
    b"ffffffffffffffffffff-1 rw-p 00000000 00:00 0\n0-ffffffffffffffff rw-p 00000000 00:00 0 [huge]\n"
    b"1000-0 rw-p 00000000 00:00 0\n1000-2000 rw-p 99999999999999999999999 00:00 9999999999999999999999 x\n"
    b"1000-2000 rwzp 00000000 00:00 0\n\x00\x01\x02\xff\xfe\n\n7f0000000000-7f0000001000 rw-p 00000000 00:00 0 "
    + b"/p" * 300 + b"\n-\n- - - - -\n\t\n1000-2000 rw-p")

# ---- creds: values from the creds sample and hand-written heads --------------------------
cr = Dump("creds-py311") if os.path.exists(os.path.join(SRC, "samples", "creds-py311.tar.xz")) else None
vals = []
if cr:
    for o in cr.objects:
        v = o.get("value", "")
        if any(k in v for k in ("Authorization", "Cookie", "://", "Basic ", "Bearer ")):
            vals.append(v)
vals = sorted(set(vals), key=len)
for i, v in enumerate(vals[:: max(1, len(vals) // 24)][:24]):
    b = v.encode("utf-8", "surrogatepass")[:3000]
    put("creds", "sample-%d" % i, b"\0" + b)
for i, (mode, v) in enumerate([
        (0, "GET /x HTTP/1.1\r\nHost: h.test\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n"),
        (0, "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc123; Path=/\r\n\r\n"),
        (0, "https://alice:s%3Acret@db.internal:5432/x"),
        (0, "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
        (0, "YWxpY2U6cGFzc3dvcmQ="),
        (2, "Authorization: Basic \u00e9\u00e9\u00e9==\r\nCookie: a=b; c=d"),
        (4, "Proxy-Authorization: Basic Zm9vOmJhcg\r\n")]):
    if mode == 0:
        b = v.encode()
    else:
        b = b"".join(ord(c).to_bytes(mode, "little") for c in v)
    put("creds", "head-%d" % i, bytes([mode]) + b)

# ---- msgpack: carver's own findings stream, cut into small streams -----------------------
import msgpack  # noqa: E402 (python3-msgpack, as in tests/cli)

full = run(CARVER, "scan", dumps[0].dir, "--format", "msgpack", "--no-progress", "--creds",
           stderr=subprocess.DEVNULL) if dumps else b""
u = msgpack.Unpacker(raw=False, unicode_errors="surrogatepass")
u.feed(full)
ends, pos = [], 0
for _ in u:
    ends.append(u.tell())
recs = [full[a:b] for a, b in zip([0] + ends, ends)]
if recs:
    put("msgpack", "meta", b"\0" + recs[0])
    put("msgpack", "summary", b"\0" + recs[-1])
    put("msgpack", "meta-objects", b"\0" + b"".join(recs[:6]))
    put("msgpack", "cut", b"\0" + b"".join(recs[:3]) + recs[3][: len(recs[3]) // 2])
    put("msgpack", "small-limits", b"\2" + b"".join(recs[1:4]))
    put("msgpack", "bad-byte", b"\0" + recs[1] + b"\xc1" + recs[2])
    put("msgpack", "huge-claims", b"\0" + recs[1] + b"\xdd\xff\xff\xff\xff" + b"\xdb\x7f\xff\xff\xff")
    big = max(recs[1:-1], key=len)
    put("msgpack", "longest-object", b"\0" + big[:8000])
put("msgpack", "nested", b"\1" + b"\x81\xa1a" + b"\x91" * 20 + b"\xc0")
put("msgpack", "ext-float", b"\0" + b"\x84\xa1e\xd4\x01\x02\xa1f\xcb" + b"\0" * 8 +
    b"\xa1g\xc7\x03\x05abc\xa1h\xd3" + b"\xff" * 8)

# ---- wkdm: blobs of real pages, both layouts, plus the other slot kinds ------------------
if dumps:
    for variant, args in (("classic", []), ("apple", ["--apple"])):
        tree = os.path.join(TMP, "wk-" + variant)
        run(CARVER, "wkdm", "compress", *args, "--tree", tree, dumps[0].dir,
            stderr=subprocess.DEVNULL)
        blobs = []
        for root, _, files in os.walk(tree):
            for f in files:
                if f.startswith("slot"):
                    p = os.path.join(root, f)
                    blobs.append((os.path.getsize(p), p))
        blobs.sort()
        for i, (size, p) in enumerate(blobs[:: max(1, len(blobs) // 14)][:14]):
            with open(p, "rb") as f:
                put("wkdm", "%s-%d-%d" % (variant, i, size), f.read())
put("wkdm", "single", struct.pack("<I", 0xdeadbeef))
put("wkdm", "sparse", struct.pack("<I", 17185) + struct.pack("<IH", 0x41424344, 8) +
    struct.pack("<IH", 7, 4092))
if dumps:
    put("wkdm", "raw-page", dumps[0].read(dumps[0].files[-1][0], 4096))

# ---- sig: the shipped signatures, with real code after a NUL ----------------------------
def code_of(path, syms, n=768):
    """Bytes at the given dynamic symbols of an x86-64 ELF file."""
    out = run("nm", "-D", "--defined-only", path).decode().split("\n")
    addr = {ln.split()[2]: int(ln.split()[0], 16) for ln in out if len(ln.split()) == 3}
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    res = []
    for s in syms:
        if s not in addr:
            continue
        for i in range(phnum):
            t, fl, off, va, _, fsz = struct.unpack_from("<IIQQQQ", data, phoff + 56 * i)
            if t == 1 and va <= addr[s] < va + fsz:
                o = off + addr[s] - va
                res.append(data[o:o + n])
    return res


py = os.path.realpath("/usr/bin/python3")
code = code_of(py, ["PyUnicode_GetLength", "PyBytes_Size", "PyUnicode_AsUTF8AndSize",
                    "PyBytes_AsString", "_PyUnicode_Ready"])
for sig in sorted(os.listdir(os.path.join(SRC, "signatures"))):
    if not sig.endswith(".sig"):
        continue
    text = open(os.path.join(SRC, "signatures", sig), "rb").read()
    put("sig", sig, text)
    for i, c in enumerate(code[:3]):
        put("sig", "%s-code-%d" % (sig, i), text + b"\0" + c)
put("sig", "small", b"signature s\n  mov %a, qword ptr [%b + $off]\n  ... 4\n  ret\n")

# ---- hex patterns, with real memory to search --------------------------------------------
mem = dumps[0].read(dumps[0].objects[5]["addr"] - 128, 1024) if dumps else b""
for i, p in enumerate([b"48 8b ?? 30 01 00 00", b"43 41 52 56 45 52", b"4? ?f [2-4] ( 41 | 42 43 )",
                       b"?? ?? [0-16] 00", b"(41|(42|(43 44)))", b"ff,fe,fd", b"[65535]",
                       b"( 0 | 1 ) 2", b"4? 4? 4? 4? 4? 4? 4? 4?"]):
    put("hex", "pattern-%d" % i, p + b"\0" + mem)
if code:
    put("hex", "code", b"48 89 ?? [1-8] c3\0" + code[0])

# ---- core: a gcore core of a small python process, trimmed -------------------------------
def trim_core(core, keep_loads=16, keep_bytes=192, elf_first=1024):
    data = open(core, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    phs = [list(struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)) for i in range(phnum)]
    notes = [p for p in phs if p[0] == 4]
    loads = [p for p in phs if p[0] == 1]
    # CORE notes only (drop the large register-state notes)
    nb = b""
    for p in notes:
        buf, o = data[p[2]:p[2] + p[5]], 0
        while o + 12 <= len(buf):
            nsz, dsz, typ = struct.unpack_from("<III", buf, o)
            end = o + 12 + ((nsz + 3) & ~3) + ((dsz + 3) & ~3)
            if buf[o + 12:o + 12 + nsz] == b"CORE\0" and typ in (1, 3, 6, 0x46494c45, 0x53494749):
                nb += buf[o:end]
            o = end
    # the loads that start with an ELF header (their build id) first, then the others
    first = [p for p in loads if data[p[2]:p[2] + 4] == b"\x7fELF" and p[5] > 0]
    rest = [p for p in loads if p not in first]
    chosen = sorted((first[:4] + rest)[:keep_loads], key=lambda p: p[3])
    hdr = bytearray(data[:64])
    n_ph = 1 + len(chosen)
    struct.pack_into("<QH", hdr, 32, 64, 0)
    struct.pack_into("<H", hdr, 56, n_ph)
    struct.pack_into("<QHHH", hdr, 40, 0, 0, 0, 0)  # no section headers
    off = 64 + 56 * n_ph
    ph = struct.pack("<IIQQQQQQ", 4, 0, off, 0, 0, len(nb), 0, 4)
    body = nb
    off += len(nb)
    for p in chosen:
        n = min(p[5], elf_first if p in first else keep_bytes)
        seg = data[p[2]:p[2] + n]
        ph += struct.pack("<IIQQQQQQ", 1, p[1], off, p[3], 0, len(seg), p[6], p[7])
        body += seg
        off += len(seg)
    return bytes(hdr) + ph + body


gcore_dir = os.path.join(TMP, "core")
os.makedirs(gcore_dir)
target = subprocess.Popen(["/usr/bin/python3", "-S", "-c",
                           "import sys, time; K = ['core-%d' % i * 3 for i in range(50)]; "
                           "B = [b'\\x01\\x02' * i for i in range(50)]; "
                           "sys.stdout.write('r\\n'); sys.stdout.flush(); time.sleep(60)"],
                          stdout=subprocess.PIPE)
target.stdout.readline()
subprocess.run(["gcore", "-o", os.path.join(gcore_dir, "core"), str(target.pid)],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
target.kill()
target.wait()
core = os.path.join(gcore_dir, "core.%d" % target.pid)
if os.path.exists(core):
    t = trim_core(core)
    put("core", "python3-gcore-trimmed", t)
    put("core", "python3-gcore-small", trim_core(core, keep_loads=6, keep_bytes=64, elf_first=1024))
    # segments that point past the end of the file (the data cut off)
    put("core", "python3-gcore-past-end", t[: len(t) * 2 // 3])
    put("core", "python3-gcore-notes-only", trim_core(core, keep_loads=0))
    put("elf", "core-trimmed", trim_core(core, keep_loads=4, keep_bytes=64, elf_first=512))
else:
    print("gcore failed: no core seeds", file=sys.stderr)

# ---- elf: a tiny shared object with the symbols carver looks up, and a cut copy ----------
so_src = os.path.join(TMP, "tiny.c")
with open(so_src, "w") as f:
    f.write("char PyType_Type[400] = {1}; char PyUnicode_Type[400] = {2};\n"
            "char PyBytes_Type[400] = {3}; char _Py_HashSecret[24] = {4};\n"
            "const char Py_Version[] = \"3.11.2\"; extern int imported(void);\n"
            "int f(void) { return imported(); }\n")
so = os.path.join(TMP, "tiny.so")
if subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-Os", "-o", so, so_src,
                   "-Wl,--build-id", "-Wl,-z,max-page-size=0x10", "-Wl,-z,noseparate-code",
                   "-Wl,--hash-style=gnu"]).returncode == 0:
    subprocess.run(["strip", "--strip-unneeded", so])
    b = open(so, "rb").read()
    put("elf", "tiny-so", b)
    put("elf", "tiny-so-cut", b[: len(b) // 2])
if subprocess.run(["gcc", "-m32", "-shared", "-fPIC", "-nostdlib", "-Os", "-o", so + "32", so_src,
                   "-Wl,--build-id", "-Wl,-z,max-page-size=0x10"],
                  stderr=subprocess.DEVNULL).returncode == 0:
    put("elf", "tiny-so-i386", open(so + "32", "rb").read())

shutil.rmtree(TMP)
for k in sorted(COUNT):
    print("%-12s %3d seeds" % (k, COUNT[k]))
