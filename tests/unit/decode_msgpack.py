#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Decode a carver msgpack stream and print one JSON line per record.

Usage: decode_msgpack.py FILE   (or - for stdin)

msgpack bin values are printed as {"$bin": "<base64>"}. Text values may hold lone
surrogates (carver writes them as WTF-8), so str is decoded with surrogatepass; json.dumps
then escapes them as \\udXXX, as carver's JSON lines writer does. Needs python3-msgpack
(Debian's 1.0.3 is enough). Exits 1 on a malformed or truncated stream.
"""
import base64
import json
import sys

import msgpack

# Large enough for the biggest value carver reports (--max-len ceiling 256 MiB, whose UTF-8
# can be twice as long), with room for the record around it.
MAX_BUFFER = 1 << 30


def plain(obj):
    """Make a decoded record JSON-serialisable."""
    if isinstance(obj, bytes):
        return {"$bin": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        return {plain(k) if isinstance(k, bytes) else k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: decode_msgpack.py FILE\n")
        return 2
    stream = sys.stdin.buffer if argv[1] == "-" else open(argv[1], "rb")
    unpacker = msgpack.Unpacker(
        raw=False,
        unicode_errors="surrogatepass",
        strict_map_key=True,
        max_buffer_size=MAX_BUFFER,
    )
    out = sys.stdout
    fed = 0
    try:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            unpacker.feed(chunk)
            fed += len(chunk)
            for record in unpacker:
                out.write(json.dumps(plain(record), ensure_ascii=True, separators=(",", ":")))
                out.write("\n")
    except (msgpack.exceptions.UnpackException, ValueError) as e:
        sys.stderr.write("decode_msgpack.py: malformed stream: %s: %s\n" % (type(e).__name__, e))
        return 1
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    out.flush()
    if unpacker.tell() != fed:
        sys.stderr.write("decode_msgpack.py: truncated stream: %d of %d bytes decoded\n"
                         % (unpacker.tell(), fed))
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
