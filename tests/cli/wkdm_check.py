#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks for the WKdm tests (tests/cli/wkdm_*.sh).

  wkdm_check.py pages ORIG_DIR DUMPS_DIR
      every whole 4 KiB page of the dump files in ORIG_DIR (Volatility 2 or 3 names) is
      byte-identical in the dump files `carver wkdm decompress --dumps` wrote to DUMPS_DIR.
  wkdm_check.py refdecode TREE ORIG_DIR [--every N]
      decodes every Nth blob of TREE with the reference decoder below (written from the
      format description, independently of src/wkdm/wkdm.c) and compares it with the page
      at the blob's address (TREE/wkdm-addresses.txt) in ORIG_DIR.
  wkdm_check.py ratio TREE
      prints the blob kinds and the compressed size as a share of the pages.
  wkdm_check.py compare RAW.jsonl WKDM.jsonl TREE [--min-live F] [--min-all F]
      without options: the (addr, type, value, status) records of the two scans are the
      same set, and every WKDM object names its blob (region) and offset consistently with
      TREE/wkdm-addresses.txt. With --min-live/--min-all (synthetic addresses): the values
      found are a subset of the raw ones (as a multiset of (type, value)) and at least the
      given share of the raw live values / of all raw values is found; prints what is lost.
Exit status 0 when the check passes, 1 otherwise.
"""
import base64
import collections
import json
import os
import re
import struct
import sys

VOL2 = re.compile(r'^task\.(\d+)\.0x([0-9a-fA-F]+)\.vma$')
VOL3 = re.compile(r'^pid\.(\d+)\.vma\.0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\.dmp$')
PAGE = 4096

# The Wilson-Kaplan dictionary-slot table (slot of a word = HASH[(word >> 10) & 0xff]).
HASH = [int(x) for x in """
0 13 2 14 4 3 7 5 1 9 12 6 11 10 8 15 2 3 7 5 1 15 4 9 6 12 11 8 13 14 10 3
2 12 4 13 15 7 14 8 5 6 9 10 11 1 2 10 15 8 5 11 1 9 13 6 4 14 12 3 7 4 2 10
9 7 8 3 1 11 13 5 6 12 15 14 10 12 2 8 7 9 1 11 5 14 15 6 13 4 3 3 1 12 5 2
13 4 15 6 9 11 7 14 10 8 9 5 6 15 10 11 13 4 8 1 12 2 7 14 3 7 8 10 13 9 4 5
12 2 1 15 6 14 11 3 2 9 6 7 4 15 5 14 8 10 12 3 1 11 13 11 10 3 14 2 9 6 15 7
12 1 8 5 4 13 15 3 6 9 2 1 4 14 12 11 10 13 8 5 7 8 3 9 7 6 14 10 4 13 11 1
5 15 2 12 12 13 3 5 8 11 9 7 1 10 6 2 14 15 4 9 8 2 10 1 13 6 11 5 3 7 12 14
4 15 1 13 15 12 5 4 14 11 6 2 10 3 8 7 9 6 8 3 1 5 4 15 9 7 2 13 10 12 11 14
""".split()]
assert len(HASH) == 256


def ref_decode(blob):
    """A slow, plain decoder of one compressor slot; returns the page or raises."""
    n = len(blob)
    if n == 4:
        return blob * 1024
    words = lambda off, cnt: struct.unpack_from('<%dI' % cnt, blob, off)
    if n >= 10 and words(0, 1)[0] == 17185 and (n - 4) % 6 == 0:
        page = bytearray(PAGE)
        for o in range(4, n, 6):
            v, off = struct.unpack_from('<IH', blob, o)
            page[off:off + 4] = struct.pack('<I', v)
        return bytes(page)
    first = words(0, 1)[0]
    for hw in ((3, 4) if first >= 67 else (4,)):
        try:
            return ref_dense(blob, hw)
        except (ValueError, struct.error):
            pass
    if n == PAGE:
        return bytes(blob)
    raise ValueError('not a blob')


def ref_dense(blob, hw):
    n = len(blob)
    if n % 4:
        raise ValueError('size')
    h = struct.unpack_from('<3I', blob, 4 * (hw - 3))
    qstart, lstart, lend = h
    if not (hw + 64 <= qstart <= lstart <= lend) or lend * 4 != n:
        raise ValueError('header')
    tags = []
    for k in range(64):
        b = blob[4 * (hw + k):4 * (hw + k) + 4]
        group = [0] * 16
        for j in range(4):
            for s in range(4):
                group[j + 4 * s] = (b[j] >> (2 * s)) & 3
        tags.extend(group)
    full = list(struct.unpack_from('<%dI' % (qstart - hw - 64), blob, 4 * (hw + 64)))
    qpos = []
    for k in range(qstart, lstart):
        b = blob[4 * k:4 * k + 4]
        qpos.extend([b[j] & 15 for j in range(4)] + [b[j] >> 4 for j in range(4)])
    low = []
    for k in range(lstart, lend):
        w = struct.unpack_from('<I', blob, 4 * k)[0]
        low.extend([w & 1023, (w >> 10) & 1023, (w >> 20) & 1023])
    if tags.count(2) != len(full) or len(qpos) // 8 != (tags.count(1) + tags.count(3) + 7) // 8 \
            or len(low) // 3 != (tags.count(1) + 2) // 3:
        raise ValueError('counts')
    d = [1 if hw == 4 else 0] * 16
    out = []
    fi = qi = li = 0
    for t in tags:
        if t == 0:
            out.append(0)
        elif t == 3:
            out.append(d[qpos[qi]])
            qi += 1
        elif t == 1:
            v = (d[qpos[qi]] & ~1023 & 0xffffffff) | low[li]
            d[qpos[qi]] = v
            out.append(v)
            qi += 1
            li += 1
        else:
            v = full[fi]
            fi += 1
            d[HASH[(v >> 10) & 255]] = v
            out.append(v)
    return struct.pack('<1024I', *out)


def dump_regions(directory):
    regs = []
    for fn in sorted(os.listdir(directory)):
        m2, m3 = VOL2.match(fn), VOL3.match(fn)
        m = m2 or m3
        if m:
            regs.append((int(m.group(2), 16), os.path.join(directory, fn)))
    return regs


_CACHE = {}


def read_page(regs, addr):
    for start, path in regs:
        if path not in _CACHE:
            with open(path, 'rb') as f:
                _CACHE[path] = f.read()
        data = _CACHE[path]
        if start <= addr and addr + PAGE <= start + len(data):
            return data[addr - start:addr - start + PAGE]
    return None


def sidecar(tree):
    table = {}
    with open(os.path.join(tree, 'wkdm-addresses.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                table[line[0]] = int(line[1], 16)
    return table


def cmd_pages(orig, dumps):
    got = dump_regions(dumps)
    pages = bad = 0
    for start, path in dump_regions(orig):
        data = open(path, 'rb').read()
        for o in range(0, len(data) - PAGE + 1, PAGE):
            pages += 1
            page = read_page(got, start + o)
            if page != data[o:o + PAGE]:
                bad += 1
                if bad <= 5:
                    print('page 0x%x of %s differs or is missing' % (start + o, path))
    print('%d pages compared, %d differ' % (pages, bad))
    return 0 if pages and not bad else 1


def blobs(tree):
    for root, dirs, files in os.walk(tree):
        dirs.sort()
        for fn in sorted(files):
            if fn in ('maps', 'wkdm-addresses.txt'):
                continue
            path = os.path.join(root, fn)
            yield os.path.relpath(path, tree), path


def cmd_refdecode(tree, orig, every):
    table = sidecar(tree)
    regs = dump_regions(orig)
    n = bad = 0
    for i, (rel, path) in enumerate(blobs(tree)):
        if i % every:
            continue
        n += 1
        try:
            page = ref_decode(open(path, 'rb').read())
        except ValueError as e:
            page = None
            why = str(e)
        want = read_page(regs, table[rel])
        if page is None or page != want:
            bad += 1
            if bad <= 5:
                print('%s: reference decode %s' % (rel, 'failed: ' + why if page is None
                                                      else 'differs from the page'))
    print('%d blobs decoded by the reference decoder, %d wrong' % (n, bad))
    return 0 if n and not bad else 1


def dense_ok(b):
    for hw in (3, 4):
        try:
            ref_dense(b, hw)
            return True
        except (ValueError, struct.error):
            pass
    return False


def cmd_ratio(tree):
    kinds = collections.Counter()
    total = pages = 0
    for rel, path in blobs(tree):
        b = open(path, 'rb').read()
        pages += 1
        total += len(b)
        if len(b) == 4:
            kinds['single-value'] += 1
        elif len(b) >= 4 and struct.unpack_from('<I', b)[0] == 17185:
            kinds['sparse'] += 1
        elif len(b) == PAGE and not dense_ok(b):
            kinds['stored'] += 1
        else:
            kinds['dense'] += 1
    print('%d pages, blobs %.1f%% of the page bytes (%.2f:1); %s' % (
        pages, 100.0 * total / (pages * PAGE), pages * PAGE / total,
        ', '.join('%s %d' % kv for kv in sorted(kinds.items()))))
    return 0


def records(path):
    objs = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get('record') == 'object':
                v = r['value'] if 'value_b64' not in r else base64.b64decode(r['value_b64'])
                if isinstance(v, str):
                    v = v.encode('utf-8', 'surrogatepass')
                objs.append((r, v))
    return objs


def cmd_compare(raw_path, wk_path, tree, min_live, min_all):
    raw = records(raw_path)
    wk = records(wk_path)
    if min_live is None:
        a = collections.Counter((r['addr'], r['type'], v, r['status']) for r, v in raw)
        b = collections.Counter((r['addr'], r['type'], v, r['status']) for r, v in wk)
        only_raw, only_wk = a - b, b - a
        print('raw %d objects, wkdm %d; %d only in raw, %d only in wkdm' % (
            len(raw), len(wk), sum(only_raw.values()), sum(only_wk.values())))
        for k in list(only_raw)[:3]:
            print('  only raw: 0x%x %s %r' % (k[0], k[1], k[2][:60]))
        for k in list(only_wk)[:3]:
            print('  only wkdm: 0x%x %s %r' % (k[0], k[1], k[2][:60]))
        table = sidecar(tree)
        wrong = 0
        for r, v in wk:
            reg, off = r.get('region'), r.get('offset')
            if reg not in table or off is None or table[reg] + off != r['addr'] or off >= PAGE:
                wrong += 1
                if wrong <= 3:
                    print('  object at 0x%x names region %r offset %r' % (r['addr'], reg, off))
        print('%d objects whose blob and offset do not give their address' % wrong)
        return 0 if raw and not only_raw and not only_wk and not wrong else 1
    a = collections.Counter((r['type'], v) for r, v in raw)
    live = collections.Counter((r['type'], v) for r, v in raw if r['status'] == 'live')
    b = collections.Counter((r['type'], v) for r, v in wk)
    extra = b - a
    found_all = sum((a & b).values())
    found_live = sum((live & b).values())
    share_all = found_all / max(1, sum(a.values()))
    share_live = found_live / max(1, sum(live.values()))
    print('synthetic addresses: %d of %d raw values found (%.1f%%), %d of %d live (%.1f%%); '
          '%d values not in the raw scan' % (found_all, sum(a.values()), 100 * share_all,
                                             found_live, sum(live.values()), 100 * share_live,
                                             sum(extra.values())))
    lost = a - b
    by = collections.Counter()
    for r, v in raw:
        if lost[(r['type'], v)] > 0:
            lost[(r['type'], v)] -= 1
            big = 'spans a page' if (r['addr'] % PAGE) + len(v) + 48 > PAGE else 'in one page'
            by[(r['status'], 'clobbered' if r.get('header') else 'intact', big)] += 1
    for k, c in sorted(by.items()):
        print('  lost: %d %s %s %s' % (c, *k))
    for k in list(extra)[:3]:
        print('  not in raw: %s %r' % (k[0], k[1][:60]))
    ok = not extra and share_live >= min_live and share_all >= min_all
    return 0 if ok else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == 'pages' and len(args) == 2:
        return cmd_pages(*args)
    if cmd == 'refdecode' and len(args) in (2, 4):
        every = int(args[3]) if len(args) == 4 and args[2] == '--every' else 1
        return cmd_refdecode(args[0], args[1], every)
    if cmd == 'ratio' and len(args) == 1:
        return cmd_ratio(args[0])
    if cmd == 'compare' and len(args) >= 3:
        min_live = min_all = None
        rest = args[3:]
        while rest:
            if rest[0] == '--min-live':
                min_live = float(rest[1])
            elif rest[0] == '--min-all':
                min_all = float(rest[1])
            else:
                print('unknown option', rest[0])
                return 2
            rest = rest[2:]
        if (min_live is None) != (min_all is None):
            print('--min-live and --min-all go together')
            return 2
        return cmd_compare(args[0], args[1], args[2], min_live, min_all)
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
