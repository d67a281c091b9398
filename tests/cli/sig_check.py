#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check `carver sig --format jsonl` output for tests/cli/sig_*.sh.

  sig_check.py layout OUT.jsonl X.Y PTR
      The "layout" record holds the offsets CPython X.Y with PTR-byte pointers has (given
      here, independently of carver's tables): ob_type, tp_flags, bytes ob_size and
      ob_sval, the text object's length, whether PyUnicode_GetLength checks readiness
      (3.3-3.11); no conflicts; and its agrees_with names cpython-X.Y-ARCH.
  sig_check.py inside OUT.jsonl SIG_PREFIX LOW HIGH [LOW2 HIGH2 ...]
      Exactly one "sig" record whose signature starts with SIG_PREFIX, with LOW <= addr <
      HIGH (the vulnerable function), and none of them in the other ranges given after
      it (the fixed function). Numbers are decimal or 0x hex.
  sig_check.py none OUT.jsonl SIG_PREFIX
      No "sig" record of that signature.

Exit 0 when the check holds, 1 (reasons on stdout) when not.
"""
import json
import sys


def records(path):
    with open(path) as f:
        recs = [json.loads(l) for l in f]
    if not recs or recs[0]["record"] != "meta" or recs[-1]["record"] != "summary":
        raise SystemExit("%s: not a whole stream" % path)
    return recs


def expected(ver, ptr):
    major, minor = (int(x) for x in ver.split("."))
    w = 8 if ptr == 8 else 4
    py2 = major == 2
    return {
        "object.ob_type": w,
        "type.tp_flags": 168 if w == 8 else 84,
        "bytes.ob_size": 2 * w,
        "bytes.ob_sval": (36 if w == 8 else 20) if py2 else 4 * w,
        "str.length": 2 * w,
        "str.ready_check": 1 if (major == 3 and 3 <= minor <= 11) else 0,
    }


def layout(out, ver, ptr):
    recs = records(out)
    lay = [r for r in recs if r["record"] == "layout"]
    if len(lay) != 1:
        print("%d layout records" % len(lay))
        return 1
    lay = lay[0]
    bad = []
    for k, v in expected(ver, ptr).items():
        if lay["facts"].get(k) != v:
            bad.append("%s = %r, expected %r" % (k, lay["facts"].get(k), v))
    if lay["conflicts"]:
        bad.append("%d conflicts" % lay["conflicts"])
    want = "cpython-%s-%s" % (ver, "x86_64" if ptr == 8 else "i386")
    if want not in lay["agrees_with"]:
        bad.append("agrees_with %r lacks %s" % (lay["agrees_with"], want))
    if lay["ptr_size"] != ptr:
        bad.append("ptr_size %r" % lay["ptr_size"])
    if bad:
        print("; ".join(bad))
        return 1
    f = lay["facts"]
    print("ob_sval %d, ob_size %d, str.length %d%s; agrees with %s (%s)" % (
        f["bytes.ob_sval"], f["bytes.ob_size"], f["str.length"],
        ", state %d" % f["str.state"] if "str.state" in f else "", want, lay["evidence"]))
    return 0


def num(s):
    return int(s, 0)


def inside(out, prefix, ranges):
    sigs = [r for r in records(out) if r["record"] == "sig" and r["signature"].startswith(prefix)]
    lo, hi = num(ranges[0]), num(ranges[1])
    hits = [r for r in sigs if lo <= r["addr"] < hi]
    bad = []
    if len(hits) != 1:
        bad.append("%d matches in [0x%x, 0x%x), expected 1" % (len(hits), lo, hi))
    for a, b in zip(ranges[2::2], ranges[3::2]):
        a, b = num(a), num(b)
        n = sum(1 for r in sigs if a <= r["addr"] < b)
        if n:
            bad.append("%d matches in [0x%x, 0x%x), expected none" % (n, a, b))
    if len(sigs) != len(hits):
        bad.append("%d matches elsewhere: %s" % (len(sigs) - len(hits),
                                                 [hex(r["addr"]) for r in sigs][:5]))
    if bad:
        print("; ".join(bad))
        return 1
    h = hits[0]
    print("%s at 0x%x (%s+0x%x, %d instructions, code from %s)" % (
        h["signature"], h["addr"], h["mapping"].rsplit("/", 1)[-1], h.get("file_offset", 0),
        len(h["insns"]), h["code_source"]))
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "layout":
        return layout(argv[2], argv[3], int(argv[4]))
    if len(argv) >= 6 and argv[1] == "inside":
        return inside(argv[2], argv[3], argv[4:])
    if len(argv) == 4 and argv[1] == "none":
        n = sum(1 for r in records(argv[2]) if r["record"] == "sig" and
                r["signature"].startswith(argv[3]))
        print("%d matches" % n)
        return 1 if n else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
