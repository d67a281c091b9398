#!/usr/bin/python3
"""Check carver's output against a sample made by samples/make_samples.py.

Usage:
  check_sample.py CARVER_BIN SAMPLE_TARBALL WORKDIR [--chunk-size N ...] [--intact-only]

The tarball (samples/NAME.tar.xz, top directory NAME/) is extracted into WORKDIR unless
WORKDIR/NAME already exists (SAMPLE_TARBALL may also be an already extracted directory).
Then it runs

  CARVER_BIN scan WORKDIR/NAME --maps WORKDIR/NAME/maps --format jsonl

and asserts:
  live      every planted live object is reported at its exact address, with the exact
            value and type and status "live";
  freed     of the planted freed objects that are still intact in the dump bytes (type
            pointer, length, value and terminating NUL unchanged), >= 95% are reported at
            their exact address with the exact value and type (status distribution shown);
  ob_type   every reported object's ob_type is the manifest's str_type or bytes_type,
            consistent with its type name;
  jsonl     the stream is meta first, objects, summary last (summary.objects agrees);
  chunk-N   for each --chunk-size N, the set of (addr, type, value, status) is identical to
            the default run; so are threads-1 (--threads 1) and portable (CARVER_NO_SIMD=1,
            --chunk-size 4096);
  msgpack   `--format msgpack -o FILE` decodes to the same records as the jsonl run.
Negative samples (no manifest.json, or "negative": true) must yield zero object records.

--intact-only skips carver (CARVER_BIN may be "-") and only reports, from the dump files,
how many planted objects are intact.  Exit status: 0 when every assertion passes, else 1.
"""
import argparse
import base64
import collections
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile

FREED_THRESHOLD = 0.95
VOL2 = re.compile(r'^task\.(\d+)\.0x([0-9a-fA-F]+)\.vma$')
VOL3 = re.compile(r'^pid\.(\d+)\.vma\.0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\.dmp$')


# --------------------------------------------------------------------------------------
# Dump access
# --------------------------------------------------------------------------------------
class Dump(object):
    """Address-space view over Volatility-2/3 style dump files in one directory."""

    def __init__(self, directory):
        self.regions = []  # (start, end, path)
        for fn in sorted(os.listdir(directory)):
            path = os.path.join(directory, fn)
            m2 = VOL2.match(fn)
            m3 = VOL3.match(fn)
            if m2:
                start = int(m2.group(2), 16)
                end = start + os.path.getsize(path)
            elif m3:
                start = int(m3.group(2), 16)
                end = start + os.path.getsize(path)
            else:
                continue
            self.regions.append((start, end, path))
        self.regions.sort()
        self._files = {}

    def _region(self, addr):
        for start, end, path in self.regions:
            if start <= addr < end:
                return start, end, path
        return None

    def read(self, addr, n):
        """n bytes at addr, or None when any of them is outside the dump files."""
        out = b''
        while n > 0:
            r = self._region(addr)
            if r is None:
                return None
            start, end, path = r
            f = self._files.get(path)
            if f is None:
                f = self._files[path] = open(path, 'rb')
            k = min(n, end - addr)
            f.seek(addr - start)
            chunk = f.read(k)
            if len(chunk) != k:
                return None
            out += chunk
            addr += k
            n -= k
        return out

    def word(self, addr, ps):
        b = self.read(addr, ps)
        if b is None:
            return None
        return struct.unpack('<Q' if ps == 8 else '<I', b)[0]

    def close(self):
        for f in self._files.values():
            f.close()
        self._files = {}


# --------------------------------------------------------------------------------------
# Layout knowledge (cpython-layouts.md sections 2-4), for GIL builds
# --------------------------------------------------------------------------------------
def pyver(man):
    return tuple(int(x) for x in man['python'].split('.')[:2])


def is_text_type(man, tname):
    return tname == 'unicode' or (tname == 'str' and pyver(man)[0] >= 3)


def type_addr(man, tname):
    if pyver(man)[0] == 2:
        return {'str': man['bytes_type'], 'unicode': man['str_type']}.get(tname)
    return {'str': man['str_type'], 'bytes': man['bytes_type']}.get(tname)


def expected_value(man, rec):
    """('t', text) for text types, ('b', raw bytes) for bytes types."""
    raw = base64.b64decode(rec['value_b64'])
    if is_text_type(man, rec['type']):
        return ('t', raw.decode('utf-8'))
    return ('b', raw)


def str_kind(text):
    m = max(ord(c) for c in text) if text else 0
    if m < 0x80:
        return 1, True
    if m < 0x100:
        return 1, False
    if m < 0x10000:
        return 2, False
    return 4, False


def layout_of(man, rec):
    """Where a compact object keeps its length, data and NUL. Returns a dict."""
    ps = man['ptr_size']
    ver = pyver(man)
    kind_name, value = expected_value(man, rec)
    lay = {'type_off': ps, 'len_off': 2 * ps}
    if ver[0] == 2:
        if rec['type'] == 'str':
            lay.update(data_off=36 if ps == 8 else 20, length=len(value), data=value,
                       unit=1)
        else:
            us = man.get('unicode_size', 4)
            enc = value.encode('utf-32-le' if us == 4 else 'utf-16-le')
            lay.update(buf_ptr_off=3 * ps, length=len(enc) // us, data=enc, unit=us)
        return lay
    if kind_name == 'b':
        lay.update(data_off=32 if ps == 8 else 16, length=len(value), data=value, unit=1)
        return lay
    kind, ascii = str_kind(value)
    if ver >= (3, 12):
        ascii_off, compact_off = (40, 56) if ps == 8 else (20, 28)
    else:
        ascii_off, compact_off = (48, 72) if ps == 8 else (24, 36)
    enc = {1: 'latin-1', 2: 'utf-16-le', 4: 'utf-32-le'}[kind]
    lay.update(data_off=ascii_off if ascii else compact_off, length=len(value),
               data=value.encode(enc), unit=kind)
    return lay


def intact(dump, man, rec):
    """(True, '') when the object's type pointer, length, value and NUL are unchanged in
    the dump; otherwise (False, reason)."""
    ps = man['ptr_size']
    addr = rec['addr']
    lay = layout_of(man, rec)
    t = dump.word(addr + lay['type_off'], ps)
    if t is None:
        return False, 'not-in-dump'
    if t != type_addr(man, rec['type']):
        return False, 'type'
    if dump.word(addr + lay['len_off'], ps) != lay['length']:
        return False, 'length'
    if 'buf_ptr_off' in lay:
        data_addr = dump.word(addr + lay['buf_ptr_off'], ps)
        if not data_addr:
            return False, 'buffer-null'
    else:
        data_addr = addr + lay['data_off']
    want = lay['data'] + b'\0' * lay['unit']
    got = dump.read(data_addr, len(want))
    if got is None:
        return False, 'data-not-in-dump'
    if got[:-lay['unit']] != lay['data']:
        return False, 'data'
    if got[-lay['unit']:] != b'\0' * lay['unit']:
        return False, 'nul'
    return True, ''


def value_intact(dump, man, rec):
    """For values freed through glibc malloc (header overwritten by free()): are the
    value's bytes and its NUL still where the object had them?"""
    lay = layout_of(man, rec)
    if 'data_off' not in lay:
        return False
    want = lay['data'] + b'\0' * lay['unit']
    return dump.read(rec['addr'] + lay['data_off'], len(want)) == want


def is_large(rec):
    return rec.get('label', '').startswith('large-')


def intact_stats(dump, man):
    """{'live': (n_intact, n, Counter(reasons)), 'freed': ...} and per-freed intact flags."""
    out = {}
    flags = {}
    for which in ('live', 'freed'):
        reasons = collections.Counter()
        ok = 0
        for rec in man.get(which, []):
            good, why = intact(dump, man, rec)
            if good:
                ok += 1
            else:
                reasons[why] += 1
            if which == 'freed':
                flags[rec['addr']] = good
        out[which] = (ok, len(man.get(which, [])), reasons)
    return out, flags


# --------------------------------------------------------------------------------------
# Running carver and reading its output
# --------------------------------------------------------------------------------------
def norm_value(rec):
    """('b', bytes) / ('t', text) / None from an object record (jsonl or msgpack)."""
    b64 = rec.get('value_b64')
    if b64 is not None:
        if isinstance(b64, (bytes, bytearray)):
            b64 = bytes(b64).decode('ascii')
        return ('b', base64.b64decode(b64))
    v = rec.get('value')
    if isinstance(v, (bytes, bytearray)):
        return ('b', bytes(v))
    if isinstance(v, str):
        return ('t', v)
    return None


def object_key(rec):
    return (rec.get('addr'), rec.get('type'), norm_value(rec), rec.get('status'))


def run_carver(carver, sdir, extra, fmt='jsonl', outfile=None, env=None):
    cmd = [carver, 'scan', sdir, '--maps', os.path.join(sdir, 'maps'), '--format', fmt]
    if outfile:
        cmd += ['-o', outfile]
    cmd += extra
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800,
                           env=dict(os.environ, **env) if env else None)
    except (OSError, subprocess.TimeoutExpired) as e:
        p = subprocess.CompletedProcess(cmd, 127, b'', str(e).encode())
    return cmd, p


def parse_jsonl(data):
    recs = []
    for i, line in enumerate(data.decode('utf-8').splitlines()):
        if not line.strip():
            continue
        try:
            recs.append(json.loads(line))
        except ValueError as e:
            raise ValueError('line %d is not JSON: %s: %.120r' % (i + 1, e, line))
    return recs


def parse_msgpack(path):
    import msgpack
    recs = []
    with open(path, 'rb') as f:
        unp = msgpack.Unpacker(f, raw=False, strict_map_key=False)
        for obj in unp:
            if isinstance(obj, list):
                recs.extend(obj)
            else:
                recs.append(obj)
    return recs


def objects_of(recs):
    return [r for r in recs if isinstance(r, dict) and r.get('record') == 'object']


# --------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------
class Report(object):
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail):
        self.results.append((name, bool(ok)))
        print('%-4s %-10s %s' % ('PASS' if ok else 'FAIL', name, detail))
        sys.stdout.flush()

    def info(self, name, detail):
        print('%-4s %-10s %s' % ('info', name, detail))

    def ok(self):
        return all(ok for _, ok in self.results)


def short(v, n=60):
    s = repr(v)
    return s if len(s) <= n else s[:n] + '...'


def check_structure(rep, recs, label):
    metas = [i for i, r in enumerate(recs) if r.get('record') == 'meta']
    sums = [i for i, r in enumerate(recs) if r.get('record') == 'summary']
    nobj = len(objects_of(recs))
    problems = []
    if not recs or recs[0].get('record') != 'meta' or len(metas) != 1:
        problems.append('meta is not the single first record')
    if not recs or recs[-1].get('record') != 'summary' or len(sums) != 1:
        problems.append('summary is not the single last record')
    elif 'objects' in recs[-1] and recs[-1]['objects'] != nobj:
        problems.append('summary.objects=%r but %d object records'
                        % (recs[-1]['objects'], nobj))
    kinds = collections.Counter(r.get('record') for r in recs)
    rep.check(label, not problems, '%d records %s%s' % (
        len(recs), dict(kinds), ('; ' + '; '.join(problems)) if problems else ''))


def check_positive(rep, man, dump, objs):
    by_addr = collections.defaultdict(list)
    for r in objs:
        by_addr[r.get('addr')].append(r)

    # live: 100%
    found = 0
    misses = []
    hash_ok = hash_bad = 0
    for rec in man['live']:
        want = expected_value(man, rec)
        hit = None
        for r in by_addr.get(rec['addr'], []):
            if r.get('type') == rec['type'] and norm_value(r) == want and r.get('status') == 'live':
                hit = r
                break
        if hit is not None:
            found += 1
            if rec.get('hash') is not None:
                if hit.get('hash') == rec['hash']:
                    hash_ok += 1
                else:
                    hash_bad += 1
        else:
            cands = by_addr.get(rec['addr'], [])
            got = ['%s/%s/%s' % (c.get('type'), c.get('status'), short(norm_value(c), 40))
                   for c in cands] or ['nothing reported at that address']
            misses.append('0x%x %s %s %s: %s' % (rec['addr'], rec['type'], rec.get('label', ''),
                                                 short(want, 50), '; '.join(got)))
    n = len(man['live'])
    rep.check('live', found == n, '%d/%d live planted objects found exactly (status live)'
              % (found, n))
    for m in misses[:10]:
        print('       missing %s' % m)
    if len(misses) > 10:
        print('       ... %d more' % (len(misses) - 10))
    rep.info('live-hash', 'of found live objects hashed at plant time: %d report the planted '
             'hash, %d differ (informational)' % (hash_ok, hash_bad))

    # freed: >= 95% of the intact ones
    n_intact = found_intact = found_other = 0
    statuses = collections.Counter()
    reasons = collections.Counter()
    misses = []
    for rec in [r for r in man['freed'] if not is_large(r)]:
        good, why = intact(dump, man, rec)
        want = expected_value(man, rec)
        hit = None
        for r in by_addr.get(rec['addr'], []):
            if r.get('type') == rec['type'] and norm_value(r) == want:
                hit = r
                break
        if good:
            n_intact += 1
            if hit is not None:
                found_intact += 1
                statuses[hit.get('status')] += 1
            else:
                misses.append('0x%x %s %s %s' % (rec['addr'], rec['type'], rec.get('label', ''),
                                                 short(want, 50)))
        else:
            reasons[why] += 1
            if hit is not None:
                found_other += 1
                statuses[hit.get('status')] += 1
    n_small = len([r for r in man['freed'] if not is_large(r)])
    frac = float(found_intact) / n_intact if n_intact else 1.0
    rep.check('freed', frac >= FREED_THRESHOLD,
              '%d/%d intact freed objects found (%.1f%%, need %.0f%%); status %s; '
              '%d of %d planted freed not intact %s, %d of those still reported'
              % (found_intact, n_intact, 100 * frac, 100 * FREED_THRESHOLD,
                 dict(statuses), n_small - n_intact, n_small,
                 dict(reasons), found_other))
    check_freed_large(rep, man, dump, by_addr)
    for m in misses[:10]:
        print('       missing %s' % m)
    if len(misses) > 10:
        print('       ... %d more' % (len(misses) - 10))

    # ob_type
    st, bt = man['str_type'], man['bytes_type']
    py2 = pyver(man)[0] == 2
    want_t = {st: 'unicode' if py2 else 'str', bt: 'str' if py2 else 'bytes'}
    # Objects recovered from malloc chunks whose header free() overwrote carry the word
    # found there; they are checked by what proved them (issue #5), not by their ob_type.
    clob = [r for r in objs if r.get('header') == 'clobbered']
    bad = [r for r in objs if r.get('header') != 'clobbered'
           and want_t.get(r.get('ob_type')) != r.get('type')]
    bad += [r for r in clob if r.get('status') != 'freed' or not r.get('proof')]
    types = collections.Counter((r.get('type'), r.get('status')) for r in objs)
    rep.check('ob_type', not bad, '%d objects reported %s (%d with a clobbered header), %d with '
              'an ob_type other than str_type 0x%x / bytes_type 0x%x (or not matching the type '
              'name)' % (len(objs), dict(('%s/%s' % k, v) for k, v in sorted(types.items(), key=str)),
                         len(clob), len(bad), st, bt))
    for r in bad[:5]:
        print('       0x%x type=%s ob_type=%s' % (r.get('addr', 0), r.get('type'),
                                                  hex(r['ob_type']) if isinstance(
                                                      r.get('ob_type'), int) else r.get('ob_type')))


def check_freed_large(rep, man, dump, by_addr):
    """Freed values of 1-64 KiB (glibc malloc): every one whose bytes are intact is
    recovered, status freed, though free() overwrote its header (issue #5)."""
    large = [r for r in man['freed'] if is_large(r)]
    if not large:
        return
    n_intact = found = 0
    proofs = collections.Counter()
    misses = []
    for rec in large:
        if not value_intact(dump, man, rec):
            continue
        n_intact += 1
        want = expected_value(man, rec)
        hit = [r for r in by_addr.get(rec['addr'], [])
               if r.get('type') == rec['type'] and norm_value(r) == want
               and r.get('status') == 'freed']
        if hit:
            found += 1
            proofs[hit[0].get('proof') or 'intact-header'] += 1
        else:
            misses.append('0x%x %s %s len %d' % (rec['addr'], rec['type'], rec['label'],
                                                 rec['length']))
    rep.check('freed-large', n_intact > 0 and found == n_intact,
              '%d/%d freed 0.6-64 KiB values with intact bytes recovered (of %d planted); '
              'proved by %s' % (found, n_intact, len(large), dict(proofs)))
    for m in misses[:10]:
        print('       missing %s' % m)


def check_hash_key(rep, man, recs, objs, carver, sdir):
    """The key is recovered from the dump alone, equals the process's real
    _Py_HashSecret, and verifies the cached hashes (issue #5)."""
    meta = recs[0] if recs and recs[0].get('record') == 'meta' else {}
    summary = recs[-1] if recs and recs[-1].get('record') == 'summary' else {}
    secret = (man.get('dump') or {}).get('hash_secret') or {}
    want = secret.get('hex', '')
    nkey = 2 * man['ptr_size'] if man['python'].startswith('2.') else 16
    got = meta.get('hash_key') or ''
    rep.check('hash-key', bool(got) and got == want[:2 * nkey],
              'source %s, key %s, real _Py_HashSecret %s' % (
                  meta.get('hash_key_source'), got or None, want[:2 * nkey] or None))
    # From the dump alone: no interpreter file of this machine, no symbols (issue #5).
    cmd, p = run_carver(carver, sdir, ['--no-symbols'])
    try:
        alone = parse_jsonl(p.stdout)
        ameta, asum = alone[0], alone[-1]
    except (ValueError, IndexError):
        ameta, asum = {}, {}
    rep.check('hash-key-alone', ameta.get('hash_key') == want[:2 * nkey]
              and ameta.get('hash_key_source') in ('search', 'zero')
              and asum.get('elapsed_seconds', 99) < 2.0,
              'with --no-symbols: source %s, key %s, whole scan %.3f s' % (
                  ameta.get('hash_key_source'), ameta.get('hash_key'),
                  asum.get('elapsed_seconds', -1)))
    rep.check('hash-key-time', summary.get('elapsed_seconds', 99) < 2.0,
              'whole scan including key recovery took %.3f s' % summary.get('elapsed_seconds', -1))
    by_addr = dict((r['addr'], r) for r in objs)
    hashed = [r for r in man['live'] if r.get('hash') is not None]
    bad = [r for r in hashed if by_addr.get(r['addr'], {}).get('hash_check') != 'match'
           or by_addr[r['addr']].get('hash') != r['hash']]
    rep.check('hash-planted', hashed and not bad,
              '%d/%d planted live objects with a computed hash report "match" with that hash'
              % (len(hashed) - len(bad), len(hashed)))
    cmd, p = run_carver(carver, sdir, ['--keep-unverified'])
    try:
        srecs = parse_jsonl(p.stdout)
        hc = srecs[-1].get('by_hash_check', {})
    except (ValueError, IndexError, AttributeError):
        hc = {}
    m, mm = hc.get('match', 0), hc.get('mismatch', 0)
    rep.check('hash-ratio', m + mm > 0 and m >= 0.99 * (m + mm),
              'with --keep-unverified: %d match, %d mismatch (%.2f%% match)'
              % (m, mm, 100.0 * m / max(1, m + mm)))


def extract(tarball, workdir):
    if os.path.isdir(tarball):
        return os.path.abspath(tarball)
    with tarfile.open(tarball) as tf:
        names = tf.getnames()
        tops = set(n.split('/')[0] for n in names if n)
        if len(tops) != 1:
            raise SystemExit('%s: expected one top directory, found %r' % (tarball, sorted(tops)))
        top = tops.pop()
        dest = os.path.join(workdir, top)
        if not os.path.isdir(dest):
            os.makedirs(workdir, exist_ok=True)
            for n in names:
                if n.startswith('/') or '..' in n.split('/'):
                    raise SystemExit('%s: unsafe member %r' % (tarball, n))
            tmp = tempfile.mkdtemp(prefix='.extract-', dir=workdir)
            if hasattr(tarfile, 'data_filter'):
                tf.extractall(tmp, filter='data')
            else:
                tf.extractall(tmp)
            os.rename(os.path.join(tmp, top), dest)
            os.rmdir(tmp)
    return dest


def load_manifest(sdir):
    p = os.path.join(sdir, 'manifest.json')
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('carver')
    ap.add_argument('tarball')
    ap.add_argument('workdir')
    ap.add_argument('--chunk-size', action='append', nargs='+', default=[], metavar='N')
    ap.add_argument('--intact-only', action='store_true',
                    help='do not run carver; report intact planted objects only')
    args = ap.parse_args(argv)
    chunks = [c for group in args.chunk_size for c in group]

    sdir = extract(args.tarball, args.workdir)
    name = os.path.basename(sdir.rstrip('/'))
    man = load_manifest(sdir)
    negative = man is None or bool(man.get('negative'))
    dump = Dump(sdir)
    rep = Report()
    print('sample %s: %s, %d dump files, %.1f MiB' % (
        name, 'negative (%s)' % (man or {}).get('program', '?') if negative else
        'python %s ptr_size %d' % (man['python_full'], man['ptr_size']),
        len(dump.regions), sum(e - s for s, e, _ in dump.regions) / 1048576.0))

    if not negative:
        stats, _ = intact_stats(dump, man)
        for which in ('live', 'freed'):
            ok, n, reasons = stats[which]
            rep.info('intact', '%s: %d/%d intact in the dump %s' % (which, ok, n,
                                                                     dict(reasons) if reasons else ''))
    if args.intact_only:
        dump.close()
        return 0

    # carver exits 0 when it found objects, 1 when it found none and 4 when it recognised
    # no interpreter (possibly with no output at all); the last two are right for negatives.
    good_rc = (0, 1, 4) if negative else (0,)
    cmd, p = run_carver(args.carver, sdir, [])
    rep.check('run', p.returncode in good_rc, 'exit %d: %s%s' % (
        p.returncode, ' '.join(cmd),
        ('; stderr: ' + p.stderr.decode('utf-8', 'replace').strip()[-400:]) if p.returncode
        else ''))
    if p.returncode not in good_rc and not p.stdout.strip():
        print('FAIL %s: carver did not run' % name)
        return 1
    try:
        recs = parse_jsonl(p.stdout)
    except ValueError as e:
        rep.check('jsonl', False, str(e))
        return 1
    silent = negative and p.returncode in (1, 4) and not recs
    if silent:
        rep.info('jsonl', 'no output (exit %d)' % p.returncode)
    else:
        check_structure(rep, recs, 'jsonl')
    kinds_jsonl = collections.Counter(r.get('record') for r in recs)
    objs = objects_of(recs)
    if negative:
        rep.check('negative', not objs, '%d object records (want 0)%s' % (
            len(objs), ': ' + ', '.join('0x%x %s %s' % (r.get('addr', 0), r.get('type'),
                                                        short(norm_value(r), 40))
                                        for r in objs[:5]) if objs else ''))
    else:
        check_positive(rep, man, dump, objs)
        check_hash_key(rep, man, recs, objs, args.carver, sdir)
    dump.close()

    base = set(object_key(r) for r in objs)
    # The same objects whatever the read granularity, with or without the reader thread,
    # and with the portable loops instead of the vector ones (CARVER_NO_SIMD).
    variants = [('chunk-%s' % n, ['--chunk-size', str(n)], None) for n in chunks]
    variants += [('threads-1', ['--threads', '1'], None),
                 ('portable', ['--chunk-size', '4096'], {'CARVER_NO_SIMD': '1'})]
    for label, extra, env in variants:
        cmd, q = run_carver(args.carver, sdir, extra, env=env)
        if q.returncode != p.returncode:
            rep.check(label, False, 'exit %d (default run: %d): %s' % (
                q.returncode, p.returncode, ' '.join(cmd)))
            continue
        try:
            other = set(object_key(r) for r in objects_of(parse_jsonl(q.stdout)))
        except ValueError as e:
            rep.check(label, False, str(e))
            continue
        only_a, only_b = base - other, other - base
        rep.check(label, not only_a and not only_b,
                  '%d objects; %d only in default run, %d only with %s%s'
                  % (len(other), len(only_a), len(only_b), ' '.join(extra),
                     ''.join('; e.g. default-only %s' % short(k, 80) for k in list(only_a)[:2])
                     + ''.join('; e.g. variant-only %s' % short(k, 80) for k in list(only_b)[:2])))

    # msgpack (carver never overwrites an existing -o file, so use a fresh name)
    tmpdir = tempfile.mkdtemp(prefix='carver-%s-' % name)
    mp = os.path.join(tmpdir, 'out.msgpack')
    try:
        cmd, q = run_carver(args.carver, sdir, [], fmt='msgpack', outfile=mp)
        if q.returncode != p.returncode:
            rep.check('msgpack', False, 'exit %d (jsonl run: %d): %s%s' % (
                q.returncode, p.returncode, ' '.join(cmd),
                '; stderr: ' + q.stderr.decode('utf-8', 'replace').strip()[-300:]))
        else:
            try:
                mrecs = parse_msgpack(mp) if os.path.exists(mp) or not silent else []
                err = None
            except Exception as e:  # msgpack raises several exception types
                mrecs, err = [], '%s: %s' % (type(e).__name__, e)
            if err:
                rep.check('msgpack', False, 'cannot decode: ' + err)
            else:
                def canon(r):
                    d = dict((k, v) for k, v in r.items() if k not in ('value', 'value_b64'))
                    d['value'] = norm_value(r)
                    return json.dumps(d, sort_keys=True, default=repr)
                a = collections.Counter(canon(r) for r in objs)
                b = collections.Counter(canon(r) for r in objects_of(mrecs))
                kinds = collections.Counter(r.get('record') if isinstance(r, dict) else
                                            type(r).__name__ for r in mrecs)
                bin_values = sum(1 for r in objects_of(mrecs)
                                 if isinstance(r.get('value'), (bytes, bytearray)))
                same = a == b and kinds == kinds_jsonl
                rep.check('msgpack', same,
                          '%d records %s (%d bytes values as bin); %d object records differ '
                          'from jsonl, %d missing%s' % (
                              len(mrecs), dict(kinds), bin_values, sum((b - a).values()),
                              sum((a - b).values()),
                              '' if kinds == kinds_jsonl else '; jsonl had %s' % dict(kinds_jsonl)))
                for k in list((a - b).keys())[:2]:
                    print('       jsonl-only %s' % short(k, 200))
                for k in list((b - a).keys())[:2]:
                    print('       msgpack-only %s' % short(k, 200))
    finally:
        if os.path.exists(mp):
            os.unlink(mp)
        os.rmdir(tmpdir)

    ok = rep.ok()
    print('%s %s: %d/%d assertions passed' % ('PASS' if ok else 'FAIL', name,
                                             sum(1 for _, o in rep.results if o),
                                             len(rep.results)))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
