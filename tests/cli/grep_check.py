#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check `carver grep` output against ground truth, for tests/cli/grep_*.sh.

  grep_check.py objects SAMPLE_DIR OUT.jsonl PYREGEX
      OUT.scan.jsonl is `carver scan` of the same input. Every object it carves carries
      exactly the matches Python's re finds in its value (offset in code points for text,
      bytes for bytes; the matched text), at the object's address, and nothing else
      matches; every planted live object of manifest.json whose value matches is carved
      with that value, type and status "live".
  grep_check.py raw DUMP_DIR OUT.jsonl PYREGEX
      The raw matches equal re.finditer over every dump file (Volatility 2 or 3 names),
      address = start + file offset: same set, each once.
  grep_check.py live PID OUT.jsonl PYREGEX
      The raw matches equal re.finditer over every readable mapping of /proc/PID/maps
      read from /proc/PID/mem (address = mapping start + offset).
  grep_check.py same A.jsonl B.jsonl
      A and B hold the same match records, in any order (patterns and summaries
      ignored: equivalent patterns give equal records).
  grep_check.py same-ordered A.jsonl B.jsonl
      The same, in the same order.
  grep_check.py count OUT.jsonl N
      OUT holds exactly N match records.

PYREGEX is a Python regular expression equivalent to the PCRE2 pattern given to carver.
Exit 0 when the check holds, 1 (reasons on stdout) when not.
"""
import base64
import json
import os
import re
import sys

VOL2 = re.compile(r'^task\.(\d+)\.0x([0-9a-fA-F]+)\.vma$')
VOL3 = re.compile(r'^pid\.(\d+)\.vma\.0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\.dmp$')
SKIP = {"[vvar]", "[vvar_vclock]", "[vsyscall]"}


def records(path):
    out = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise SystemExit("%s:%d: not JSON: %s" % (path, n, e))
    if not out or out[0].get("record") != "meta" or out[-1].get("record") != "summary":
        raise SystemExit("%s: not a whole stream (meta first, summary last)" % path)
    return out


def matches(path):
    return [r for r in records(path) if r.get("record") == "match"]


def text_of(r, key="text"):
    if key + "_b64" in r:
        return base64.b64decode(r[key + "_b64"])
    return r[key]


def value_of(o):
    raw = base64.b64decode(o["value_b64"])
    if o["type"] in ("bytes",) or (o["type"] == "str" and o.get("_py2")):
        return raw
    return raw.decode("utf-8", "surrogatepass")


def expected_matches(pyre, v):
    """(offset, text) of every non-empty match, as carver reports them: text values in code
    points; bytes in bytes, with a pattern that exists only for text (\\u0400) searched in
    the UTF-8 of the bytes (invalid sequences never match)."""
    if not isinstance(v, bytes):
        return [(m.start(), m.group(0)) for m in re.finditer(pyre, v) if m.end() > m.start()]
    try:
        rx = re.compile(pyre.encode("latin-1"))
    except (re.error, UnicodeEncodeError):
        rx = None
    if rx is not None:
        return [(m.start(), m.group(0)) for m in rx.finditer(v) if m.end() > m.start()]
    t = v.decode("utf-8", "surrogateescape")
    out = []
    for m in re.finditer(pyre, t):
        if m.end() > m.start():
            off = len(t[:m.start()].encode("utf-8", "surrogateescape"))
            out.append((off, m.group(0).encode("utf-8", "surrogateescape")))
    return out


def scanned_value(r):
    if "value_b64" in r:
        return base64.b64decode(r["value_b64"])
    return r["value"]


def check_objects(sample, out, pyre):
    """Every object carver scan carves (OUT.scan.jsonl) must carry exactly the matches
    Python's re finds in its value; planted live objects must be among them with their
    planted value."""
    with open(os.path.join(sample, "manifest.json")) as f:
        man = json.load(f)
    py2 = man["python"].startswith("2.")
    scanned = {r["addr"]: r for r in records(out + ".scan.jsonl") if r.get("record") == "object"}
    got = {}
    for r in matches(out):
        got.setdefault(r["addr"], []).append(r)
    bad = []
    planted = 0
    for o in man["live"]:
        if py2 and o["type"] == "str":
            o["_py2"] = True
        v = value_of(o)
        if not expected_matches(pyre, v):
            continue
        planted += 1
        r = scanned.get(o["addr"])
        if r is None or scanned_value(r) != v:
            bad.append("live %s at 0x%x not carved with its planted value" % (o["type"], o["addr"]))
            continue
        for m in got.get(o["addr"], []):
            if m["type"] != o["type"] or m["status"] != "live":
                bad.append("0x%x: type %s status %s, expected %s live" % (
                    o["addr"], m["type"], m["status"], o["type"]))
    objects = 0
    for addr, r in scanned.items():
        want = expected_matches(pyre, scanned_value(r))
        have = got.pop(addr, [])
        if not want and not have:
            continue
        objects += 1
        hv = [(m["offset"], text_of(m)) for m in have]
        if isinstance(scanned_value(r), bytes):
            hv = [(a, t if isinstance(t, bytes) else t.encode()) for a, t in hv]
        if hv != want:
            bad.append("%s at 0x%x: expected %r, carver %r" % (r["type"], addr, want[:4], hv[:4]))
    for addr, rs in got.items():
        bad.append("match at 0x%x (%r) is in no object carver scan reports" %
                   (addr, text_of(rs[0])))
    for b in bad[:20]:
        print("  " + b)
    print("objects: %d carved objects with matches (%d planted live ones), %d problems" %
          (objects, planted, len(bad)))
    return 1 if bad or planted == 0 else 0


def dump_regions(d):
    for fn in sorted(os.listdir(d)):
        m2, m3 = VOL2.match(fn), VOL3.match(fn)
        if m2 or m3:
            start = int((m2 or m3).group(2), 16)
            with open(os.path.join(d, fn), "rb") as f:
                yield start, f.read()


def live_regions(pid):
    with open("/proc/%d/maps" % pid) as f:
        lines = f.read().splitlines()
    fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        for line in lines:
            p = line.split(None, 5)
            path = p[5].strip() if len(p) > 5 else ""
            if not p[1].startswith("r") or path in SKIP:
                continue
            a, b = (int(x, 16) for x in p[0].split("-"))
            data = bytearray()
            for page in range(a, b, 1 << 20):
                n = min(1 << 20, b - page)
                try:
                    chunk = os.pread(fd, n, page)
                except OSError:
                    chunk = b""
                if len(chunk) != n:  # page by page: unreadable pages as zeros
                    chunk = b"".join(_page(fd, q, min(4096, page + n - q))
                                     for q in range(page, page + n, 4096))
                data += chunk
            yield a, bytes(data)
    finally:
        os.close(fd)


def _page(fd, addr, n):
    try:
        d = os.pread(fd, n, addr)
    except OSError:
        d = b""
    return d if len(d) == n else b"\0" * n


def check_raw(regions, out, pyre):
    rx = re.compile(pyre.encode())
    want = set()
    for start, data in regions:
        for m in rx.finditer(data):
            if m.end() > m.start():
                want.add((start + m.start(), m.end() - m.start(), m.group(0)))
    have = [(r["addr"], r["length"], text_of(r), r.get("text_truncated")) for r in matches(out)]
    full = {(a, n): t for a, n, t in want}
    hs = set()
    bad = []
    for a, n, t, cut in have:
        t = t if isinstance(t, bytes) else t.encode()
        if cut and (a, n) in full and full[(a, n)].startswith(t):
            t = full[(a, n)]  # --max-text cut the text; 'length' tells the whole match
        hs.add((a, n, t))
    if len(hs) != len(have):
        bad.append("%d matches reported more than once" % (len(have) - len(hs)))
    for a, n, t in sorted(want - hs)[:10]:
        bad.append("missing: 0x%x %r" % (a, t[:40]))
    for a, n, t in sorted(hs - want)[:10]:
        bad.append("unexpected: 0x%x %r" % (a, t[:40]))
    for b in bad:
        print("  " + b)
    print("raw: %d expected, %d reported, %d problems" % (len(want), len(have), len(bad)))
    return 1 if bad or not want else 0


def strip(r):
    """A match without its pattern: runs of equivalent patterns (hex and regex) compare."""
    return {k: v for k, v in r.items() if k not in ("elapsed_seconds", "pattern")}


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "objects":
        return check_objects(argv[2], argv[3], argv[4])
    if cmd == "raw":
        return check_raw(dump_regions(argv[2]), argv[3], argv[4])
    if cmd == "live":
        return check_raw(live_regions(int(argv[2])), argv[3], argv[4])
    if cmd in ("same", "same-ordered"):
        a = [strip(r) for r in matches(argv[2])]
        b = [strip(r) for r in matches(argv[3])]
        if cmd == "same":  # the scanner's object order may follow the chunking
            a.sort(key=lambda r: json.dumps(r, sort_keys=True))
            b.sort(key=lambda r: json.dumps(r, sort_keys=True))
        if a != b:
            sa = {json.dumps(r, sort_keys=True) for r in a}
            sb = {json.dumps(r, sort_keys=True) for r in b}
            print("  %d vs %d matches; %d only in the first, %d only in the second" %
                  (len(a), len(b), len(sa - sb), len(sb - sa)))
            for r in list(sa - sb)[:3]:
                print("  first only: " + r[:200])
            for r in list(sb - sa)[:3]:
                print("  second only: " + r[:200])
            return 1
        print("same: %d matches" % len(a))
        return 0 if a else 1
    if cmd == "count":
        n = len(matches(argv[2]))
        print("count: %d matches" % n)
        return 0 if n == int(argv[3]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
