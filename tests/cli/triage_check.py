#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent checks of `carver triage` for the CLI tests (needs Debian's python3-msgpack).

Every count is recomputed here from the msgpack streams with msgpack.Unpacker, sharing no
code with carver.

  triage_check.py counts SUMMARY_JSON [FILTER...] -- STREAM...
      The summary-json document agrees exactly with a decode of the streams: records by
      type, per-input record and object counts and how each stream ended, objects by
      status, by type and status, by region and status, by hash check, selected records.
  triage_check.py select FORMAT OUTPUT [FILTER...] -- STREAM...
      OUTPUT (triage --format jsonl, csv, msgpack or text) holds exactly the data records
      the filters select, in order (jsonl and msgpack: identical records, plus the meta
      records; csv: one row per record with the same record/addr/status/value; text: one
      line per record).
  triage_check.py craft SRC OUT
      Writes a stream with SRC's meta, real object records from SRC, two credential
      records at real object addresses, a record of an unknown type with unknown keys,
      an object with an unknown key, and a summary. Prints the credential strings.
  triage_check.py dom DOM_HTML STREAM...
      The DOM dumped by headless Chromium: one band per region (up to 64) with objects,
      every credential (escaped) and credential marks, the object rows, the search script
      ran, nothing external.
  triage_check.py png SCREENSHOT
      The screenshot is a real PNG that is not blank: many colours, the live (green) and
      freed (red) band colours present.

FILTERs: --record L --type L --status L --region TEXT --grep RE -i --min-length N
--max-length N (L comma-separated). Exit 0 when the check holds, 1 with reasons.
"""
import base64
import collections
import csv
import io
import json
import re
import struct
import sys
import zlib

import msgpack


class Bad(Exception):
    pass


def load(path):
    """(records, end) of a stream: every complete record; end is 'complete' or 'damaged'."""
    with open(path, "rb") as f:
        data = f.read()
    u = msgpack.Unpacker(raw=False, unicode_errors="surrogatepass", strict_map_key=False,
                         max_buffer_size=max(len(data), 1 << 20))
    u.feed(data)
    out, end = [], 0
    try:
        for rec in u:
            if not isinstance(rec, dict):
                return out, "damaged"
            out.append(rec)
            end = u.tell()
    except Exception:  # noqa: BLE001 (malformed bytes end the usable stream)
        return out, "damaged"
    return out, "complete" if end == len(data) else "damaged"


def parse_filters(args):
    f = {"record": [], "type": [], "status": [], "region": None, "grep": None,
         "min": None, "max": None, "flags": 0}
    i = 0
    while i < len(args):
        if args[i] in ("-i", "--ignore-case"):
            f["flags"] = re.IGNORECASE
            i += 1
            continue
        k, v = args[i], args[i + 1]
        i += 2
        if k in ("--record", "--type", "--status"):
            f[k[2:]] += v.split(",")
        elif k == "--region":
            f["region"] = v
        elif k == "--grep":
            f["grep"] = v
        elif k == "--min-length":
            f["min"] = int(v)
        elif k == "--max-length":
            f["max"] = int(v)
        else:
            raise Bad("unknown filter %s" % k)
    return f


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_data(r):
    return r.get("record") not in ("meta", "summary")


def selected(r, f):
    if not is_data(r):
        return False
    for key in ("record", "type", "status"):
        if f[key] and not (isinstance(r.get(key), str) and r[key] in f[key]):
            return False
    if f["region"] is not None and not (isinstance(r.get("region"), str)
                                        and f["region"] in r["region"]):
        return False
    if f["min"] is not None or f["max"] is not None:
        n = r.get("length")
        if not is_int(n) or n < 0:
            return False
        if f["min"] is not None and n < f["min"]:
            return False
        if f["max"] is not None and n > f["max"]:
            return False
    if f["grep"] is not None:
        pat = f["grep"]
        v = r.get("value")
        fields = [v] if isinstance(v, (str, bytes)) else \
            [x for k, x in r.items() if k != "record" and isinstance(x, (str, bytes))]
        if not any(re.search(pat, x, f["flags"]) if isinstance(x, str)
                   else re.search(pat.encode(), x, f["flags"]) for x in fields):
            return False
    return True


def split_args(argv):
    if "--" not in argv:
        raise Bad("missing -- before the streams")
    i = argv.index("--")
    return argv[:i], argv[i + 1:]


def status_of(r):
    s = r.get("status")
    return s if s in ("live", "freed") else "other"


def key_of(r, k):
    v = r.get(k)
    return v if isinstance(v, str) else "(none)"


def compare(name, got, want, errors):
    if got != want:
        errors.append("%s: triage %s, python %s" % (name, json.dumps(got, sort_keys=True)[:600],
                                                    json.dumps(want, sort_keys=True)[:600]))


def cmd_counts(summary_path, *rest):
    fargs, streams = split_args(list(rest))
    f = parse_filters(fargs)
    with open(summary_path, encoding="utf-8") as fh:
        s = json.load(fh)
    rec_types = collections.Counter()
    sel_types = collections.Counter()
    by_status = collections.Counter({"live": 0, "freed": 0, "other": 0})
    by_type = collections.defaultdict(collections.Counter)
    by_region = collections.defaultdict(collections.Counter)
    by_hash = collections.Counter()
    inputs = []
    data = sel = objects = creds = 0
    for p in streams:
        recs, end = load(p)
        inputs.append({"records": len(recs), "end": end,
                       "object_records": sum(1 for r in recs if r.get("record") == "object")})
        for r in recs:
            rt = r.get("record") if isinstance(r.get("record"), str) else ""
            rec_types[rt] += 1
            if not is_data(r):
                continue
            data += 1
            if not selected(r, f):
                continue
            sel += 1
            sel_types[rt] += 1
            creds += rt == "credential"
            if rt != "object":
                continue
            objects += 1
            st = status_of(r)
            by_status[st] += 1
            for table, k in ((by_type, key_of(r, "type")), (by_region, key_of(r, "region"))):
                table[k][st] += 1
                table[k]["total"] += 1
            by_hash[key_of(r, "hash_check")] += 1
    errors = []
    exact = {"by_type", "by_region", "by_hash_check", "records_by_type"}
    if exact & set(s.get("approximate", [])):
        errors.append("tables marked approximate: %s" % s["approximate"])
    compare("records", s["records"], sum(rec_types.values()), errors)
    compare("records_by_type", s["records_by_type"], dict(rec_types), errors)
    compare("data_records", s["data_records"], data, errors)
    compare("selected", s["selected"], sel, errors)
    compare("selected_by_type", s["selected_by_type"], dict(sel_types), errors)
    compare("objects", s["objects"], objects, errors)
    compare("credential_records", s["credential_records"], creds, errors)
    compare("by_status", s["by_status"], dict(by_status), errors)

    def full(t):
        return {k: {"live": c["live"], "freed": c["freed"], "other": c["other"],
                    "total": c["total"]} for k, c in t.items()}
    compare("by_type", s["by_type"], full(by_type), errors)
    compare("by_region", s["by_region"], full(by_region), errors)
    compare("by_hash_check", s["by_hash_check"], dict(by_hash), errors)
    compare("number of inputs", len(s["inputs"]), len(inputs), errors)
    for i, (a, b) in enumerate(zip(s["inputs"], inputs)):
        compare("input %d records" % i, a["records"], b["records"], errors)
        compare("input %d object_records" % i, a["object_records"], b["object_records"], errors)
        compare("input %d end" % i, "complete" if a["end"] == "complete" else "damaged",
                b["end"], errors)
    if errors:
        raise Bad("; ".join(errors))
    print("counts: %d records, %d objects (live %d, freed %d), %d types, %d regions: "
          "triage and python3-msgpack agree" % (sum(rec_types.values()), objects,
                                               by_status["live"], by_status["freed"],
                                               len(by_type), len(by_region)))


def from_json(r):
    """A jsonl record in msgpack shape: KEY_b64 (+ KEY) back to bytes."""
    out = {}
    for k, v in r.items():
        if k.endswith("_b64") and isinstance(v, str):
            out[k[:-4]] = base64.b64decode(v, validate=True)
    for k, v in r.items():
        if k.endswith("_b64") or k in out:
            continue
        out[k] = v
    return out


def cmd_select(fmt, out_path, *rest):
    fargs, streams = split_args(list(rest))
    f = parse_filters(fargs)
    want, metas = [], []
    for p in streams:
        recs, _ = load(p)
        for r in recs:
            if r.get("record") == "meta":
                metas.append(r)
            if selected(r, f):
                want.append(r)
    with open(out_path, "rb") as fh:
        raw = fh.read()
    if fmt in ("jsonl", "msgpack"):
        if fmt == "jsonl":
            got = [from_json(json.loads(line)) for line in raw.decode("utf-8").splitlines()]
        else:
            got = list(msgpack.Unpacker(io.BytesIO(raw), raw=False,
                                        unicode_errors="surrogatepass", strict_map_key=False))
        got_meta = [r for r in got if r.get("record") == "meta"]
        got_data = [r for r in got if is_data(r)]
        if len(got_meta) != len(metas):
            raise Bad("%d meta records, expected %d" % (len(got_meta), len(metas)))
        if len(got_data) != len(want):
            raise Bad("%d data records, expected %d" % (len(got_data), len(want)))
        for i, (a, b) in enumerate(zip(got_data, want)):
            if a != b:
                keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                raise Bad("record %d differs in %s: %.300r / %.300r"
                          % (i, keys, {k: a.get(k) for k in keys}, {k: b.get(k) for k in keys}))
    elif fmt == "csv":
        csv.field_size_limit(sys.maxsize)
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
        if len(rows) != len(want):
            raise Bad("%d csv rows, expected %d" % (len(rows), len(want)))
        for i, (row, r) in enumerate(zip(rows, want)):
            if row["record"] != r.get("record", "") or row["status"] != r.get("status", ""):
                raise Bad("csv row %d: %r / %r" % (i, row, r))
            if is_int(r.get("addr")) and row["addr"] != str(r["addr"]):
                raise Bad("csv row %d: addr %s, expected %s" % (i, row["addr"], r["addr"]))
            v = r.get("value")
            if isinstance(v, bytes) and base64.b64decode(row["value_b64"]) != v:
                raise Bad("csv row %d: value_b64 does not decode to the value" % i)
            if isinstance(v, str) and v.isprintable() and not v[:1] in "=+-@" \
                    and row["value"] != v:
                raise Bad("csv row %d: value %.100r, expected %.100r" % (i, row["value"], v))
    elif fmt == "text":
        lines = raw.decode("utf-8").splitlines()
        if len(lines) != len(want):
            raise Bad("%d text lines, expected %d" % (len(lines), len(want)))
        for i, (line, r) in enumerate(zip(lines, want)):
            if r.get("record") == "object" and not line.startswith("0x%012x " % r["addr"]):
                raise Bad("text line %d: %.100r does not start with the address 0x%x"
                          % (i, line, r["addr"]))
            if any(ord(c) < 0x20 for c in line):
                raise Bad("text line %d holds a control character" % i)
    else:
        raise Bad("unknown format %s" % fmt)
    print("select %s: %d data records and %d meta records as expected"
          % (fmt, len(want), len(metas) if fmt in ("jsonl", "msgpack") else 0))


CREDS = [
    {"scheme": "basic", "user": "svc-deploy", "password": "Tr1age-S3cret!<b>",
     "confidence": "high", "request": "GET /admin/api HTTP/1.1", "host": "intranet.example"},
    {"scheme": "bearer", "token": "eyJhbGciOiJIUzI1NiJ9.CARVER-TRIAGE-TOKEN.sig",
     "confidence": "medium", "url": "https://api.example.com/v2/items"},
]


def cmd_craft(src, out):
    recs, _ = load(src)
    meta = next(r for r in recs if r.get("record") == "meta")
    objs = [r for r in recs if r.get("record") == "object"]
    live = [o for o in objs if o.get("status") == "live"][:300]
    freed = [o for o in objs if o.get("status") == "freed"][:300]
    if not live or not freed:
        raise Bad("%s: needs live and freed objects" % src)
    chosen = sorted(live + freed, key=lambda o: o["addr"])
    pk = msgpack.Packer(use_bin_type=True, unicode_errors="surrogatepass")
    with open(out, "wb") as fh:
        fh.write(pk.pack(meta))
        for i, c in enumerate(CREDS):
            host = (freed if i else live)[len(freed if i else live) // 2]
            rec = {"record": "credential", **c, "addr": host["addr"],
                   "status": host["status"], "count": 2,
                   "addrs": [host["addr"], chosen[0]["addr"]]}
            fh.write(pk.pack(rec))
        fh.write(pk.pack({"record": "future-thing", "weight": 1.5, "nested": {"a": [1, 2]},
                          "value": "CARVER-TRIAGE-FUTURE https://future.example/x"}))
        for k, o in enumerate(chosen):
            if k == 0:
                o = dict(o, some_new_key={"x": True})
            fh.write(pk.pack(o))
        fh.write(pk.pack({"record": "summary", "objects": len(chosen), "by_type": {},
                          "interrupted": False}))
    print("crafted %s: %d objects, %d credentials: %s" % (
        out, len(chosen), len(CREDS),
        " ".join(c.get("password") or c.get("token") for c in CREDS)))


def cmd_dom(dom_path, *streams):
    with open(dom_path, encoding="utf-8", errors="replace") as fh:
        dom = fh.read()
    regions, creds = [], []
    objects = 0
    for stream in streams:
        recs, _ = load(stream)
        for r in recs:
            if r.get("record") == "object":
                objects += 1
                if is_int(r.get("addr")) and key_of(r, "region") not in regions:
                    regions.append(key_of(r, "region"))
            elif r.get("record") == "credential":
                creds.append(r)
    errors = []
    nb = len(re.findall(r'<div class="band"', dom))
    if nb != min(len(regions), 64):
        errors.append("%d bands, expected %d" % (nb, min(len(regions), 64)))
    if len(re.findall(r'<svg class="bandsvg"', dom)) != nb:
        errors.append("not one svg per band")
    for cls in ("live", "freed"):
        if not re.search(r'<rect class="%s"' % cls, dom):
            errors.append("no %s bars in the bands" % cls)
    if creds:
        if not re.search(r'class="credmark"', dom):
            errors.append("no credential marks on the bands")
        for c in creds:
            secret = c.get("password") or c.get("token")
            esc = secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if esc not in dom:
                errors.append("credential %r not on the page" % secret)
            if "<" in secret and secret in dom:
                errors.append("credential %r not HTML-escaped" % secret)
        keys = {(c.get("scheme"), c.get("user"), c.get("password") or c.get("token"))
                for c in creds}
        got = len(re.findall(r'<tr class="cred"', dom))
        if got != len(keys):
            errors.append("credential rows: %d, expected %d" % (got, len(keys)))
    rows = len(re.findall(r'<tr class="(?:live|freed|other)"', dom))
    if rows != min(objects, 20000):
        errors.append("%d object rows, expected %d" % (rows, min(objects, 20000)))
    m = re.search(r'<span id="shown"[^>]*>(\d+) of (\d+) rows shown', dom)
    if not m or int(m.group(1)) != rows:
        errors.append("the search script did not run (no 'N of N rows shown')")
    if re.search(r'<(?:script|img|link|iframe)[^>]*\s(?:src|href)=', dom, re.I):
        errors.append("the page loads something external")
    if errors:
        raise Bad("; ".join(errors))
    print("dom: %d bands, %d credentials, %d object rows, search script ran"
          % (nb, len(creds), rows))


def png_pixels(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Bad("%s is not a PNG" % path)
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise Bad("unexpected PNG format depth=%d colour=%d interlace=%d"
                  % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def cmd_png(path):
    w, h, bpp, rows = png_pixels(path)
    colours = collections.Counter()
    for line in rows[::2]:
        for x in range(0, w * bpp, bpp * 2):
            colours[bytes(line[x:x + 3])] += 1
    total = sum(colours.values())
    white = colours[b"\xff\xff\xff"]

    def near(rgb, tol=90):
        return sum(c for k, c in colours.items()
                   if sum(abs(k[i] - rgb[i]) for i in range(3)) < tol
                   and max(k) - min(k) > 40)
    green, red = near((0x1a, 0x96, 0x41)), near((0xd7, 0x19, 0x1c))
    errors = []
    if total - white < total // 100:
        errors.append("the screenshot is (nearly) blank: %d of %d sampled pixels not white"
                      % (total - white, total))
    if len(colours) < 20:
        errors.append("only %d colours" % len(colours))
    if not green:
        errors.append("no green (live) band pixels")
    if not red:
        errors.append("no red (freed) band pixels")
    if errors:
        raise Bad("; ".join(errors))
    print("png: %dx%d, %d colours, %.1f%% not white, %d green and %d red band pixels (sampled)"
          % (w, h, len(colours), 100.0 * (total - white) / total, green, red))


def main(argv):
    cmds = {"counts": cmd_counts, "select": cmd_select, "craft": cmd_craft, "dom": cmd_dom,
            "png": cmd_png}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        cmds[argv[1]](*argv[2:])
    except Bad as e:
        print("triage_check.py %s: %s" % (argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
