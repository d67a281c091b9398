#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check carver output streams for the CLI tests (needs python3-msgpack).

  records.py stream FILE FORMAT [--interrupted]
      FILE decodes completely as FORMAT (msgpack or jsonl): meta first, summary last,
      only object records between, summary.objects equals their number, and
      summary.interrupted is true with --interrupted (false otherwise).
      Prints "records: N objects".
  records.py compare MSGPACK JSONL
      Both streams carry the same object records (bytes: msgpack bin equals the
      base64-decoded value_b64; value present in JSON iff the bytes are UTF-8).
  records.py markers FILE FORMAT
      The marker objects planted by mkdump.py are reported with status live.

Exit 0 when the check holds, 1 (with the reasons on stdout) when not.
"""
import base64
import json
import sys

import msgpack

MARKERS = (
    [("str", "CARVER-CLI-MARKER-%d" % i) for i in range(1, 6)]
    + [("bytes", b"CARVER-CLI-MARKER-BYTES-%d" % i) for i in range(1, 4)]
    + [("str", "CARVER-CLI-ESC-\x1b[31mRED\x07-END"),
       ("str", "CARVER-CLI-C1-\x9b31mX\x85\x7f-END")]
)


class Bad(Exception):
    pass


def load(path, fmt):
    """All records of a stream; raises Bad on anything malformed or truncated."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    if fmt == "msgpack":
        u = msgpack.Unpacker(raw=False, unicode_errors="surrogatepass", strict_map_key=True,
                             max_buffer_size=max(len(data), 1 << 20))
        u.feed(data)
        end = 0
        try:
            for rec in u:
                out.append(rec)
                end = u.tell()  # the end of the last whole record
        except Exception as e:  # noqa: BLE001 (any decoding error fails the check)
            raise Bad("%s: msgpack decoding failed after %d records: %r" % (path, len(out), e))
        # Unpacker stops silently on a truncated tail: find out whether bytes are left.
        if end != len(data):
            raise Bad("%s: %d trailing bytes after %d records (a record cut short)"
                      % (path, len(data) - end, len(out)))
    elif fmt == "jsonl":
        if data and not data.endswith(b"\n"):
            raise Bad("%s: last line is not terminated" % path)
        for n, line in enumerate(data.split(b"\n")[:-1], 1):
            try:
                out.append(json.loads(line.decode("utf-8")))
            except ValueError as e:
                raise Bad("%s: line %d is not JSON: %s" % (path, n, e))
    else:
        raise Bad("unknown format %r" % fmt)
    for i, rec in enumerate(out):
        if not isinstance(rec, dict) or "record" not in rec:
            raise Bad("%s: record %d is not a map with a 'record' key: %.200r" % (path, i, rec))
    return out


def split(path, recs, interrupted):
    if not recs:
        raise Bad("%s: no records" % path)
    kinds = [r["record"] for r in recs]
    if kinds[0] != "meta":
        raise Bad("%s: first record is %r, not meta" % (path, kinds[0]))
    if kinds[-1] != "summary":
        raise Bad("%s: last record is %r, not summary" % (path, kinds[-1]))
    mid = set(kinds[1:-1])
    if mid - {"object"}:
        raise Bad("%s: records other than object between meta and summary: %s"
                  % (path, sorted(mid - {"object"})))
    meta, summary, objects = recs[0], recs[-1], recs[1:-1]
    if summary.get("objects") != len(objects):
        raise Bad("%s: summary.objects is %r but the stream has %d object records"
                  % (path, summary.get("objects"), len(objects)))
    if interrupted is not None and summary.get("interrupted") is not interrupted:
        raise Bad("%s: summary.interrupted is %r, expected %r"
                  % (path, summary.get("interrupted"), interrupted))
    return meta, summary, objects


def cmd_stream(path, fmt, *flags):
    recs = load(path, fmt)
    _, summary, objects = split(path, recs, "--interrupted" in flags)
    print("records: %d objects (summary: interrupted=%s, bytes_scanned=%s)"
          % (len(objects), summary.get("interrupted"), summary.get("bytes_scanned")))


def normal_json(rec):
    """A JSON lines object record in the msgpack shape (value as bytes for bytes)."""
    r = dict(rec)
    if "value_b64" in r:
        raw = base64.b64decode(r.pop("value_b64"), validate=True)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None and "value" in r:
            raise Bad("jsonl: value given for bytes that are not UTF-8 at 0x%x" % r["addr"])
        if text is not None and r.get("value") != text:
            raise Bad("jsonl: value %.80r does not match value_b64 at 0x%x"
                      % (r.get("value"), r["addr"]))
        r["value"] = raw
    return r


def cmd_compare(mp_path, js_path):
    _, _, mo = split(mp_path, load(mp_path, "msgpack"), False)
    _, _, jo = split(js_path, load(js_path, "jsonl"), False)
    if len(mo) != len(jo):
        raise Bad("msgpack has %d objects, jsonl %d" % (len(mo), len(jo)))
    nbytes = 0
    for i, (m, j) in enumerate(zip(mo, jo)):
        j = normal_json(j)
        if isinstance(m.get("value"), bytes):
            nbytes += 1
        if m != j:
            keys = sorted(k for k in set(m) | set(j) if m.get(k) != j.get(k))
            raise Bad("object %d differs in %s: msgpack %.300r / jsonl %.300r"
                      % (i, keys, {k: m.get(k) for k in keys}, {k: j.get(k) for k in keys}))
    if nbytes == 0:
        raise Bad("no bytes objects compared")
    print("compare: %d identical object records (%d with a binary value)" % (len(mo), nbytes))


def cmd_markers(path, fmt):
    _, _, objects = split(path, load(path, fmt), False)
    missing = []
    for typ, val in MARKERS:
        hits = []
        for o in objects:
            v = o.get("value")
            if fmt == "jsonl" and "value_b64" in o:
                v = base64.b64decode(o["value_b64"])
            if o.get("type") == typ and v == val:
                hits.append(o.get("status"))
        if "live" not in hits:
            missing.append("%s %r (found with status %s)" % (typ, val, hits or "none"))
    if missing:
        raise Bad("markers not reported live: " + "; ".join(missing))
    print("markers: all %d found live" % len(MARKERS))


def main(argv):
    cmds = {"stream": cmd_stream, "compare": cmd_compare, "markers": cmd_markers}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        cmds[argv[1]](*argv[2:])
    except Bad as e:
        print("records.py %s: %s" % (argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
