# -*- coding: ascii -*-
"""Plant known str/bytes objects in this interpreter's heap, then wait to be dumped.

Usage:  python plant.py MANIFEST_PATH [SEED]

Runs unchanged on CPython 2.7 and 3.6 - 3.15.  It

1. creates LIVE objects (kept referenced until exit) with unique "CARVER-LIVE-NNNN-"
   prefixes: ASCII / interned / latin-1 / UCS-2 / UCS-4 text and bytes of many lengths,
   some larger than pymalloc's 512-byte limit, some hashed and some never hashed;
2. creates FREED objects ("CARVER-FREED-NNNN-"), all below 450 bytes so they come from
   pymalloc, interleaved with live "keeper" objects so that their pools never become
   completely empty;
3. writes MANIFEST_PATH (JSON, schema in samples/README.md) while everything is still
   referenced, drops the only reference to the FREED objects, writes READY to fd 1 and
   blocks in os.read(0, 1) until the dumper is done.

Every value is built at run time (join / % formatting / concatenation), so none of them
is a code constant.  Nothing is allocated between the free and the blocking read except
the read buffer that os.read itself creates.

Only builtin modules are imported (no json / random / base64 / struct): importing modules
compiles them when no .pyc exists (the unpacked Debian builds have none), which would grow
the heap by megabytes and make the samples much larger.  The PRNG is a fixed 64-bit LCG,
so a given SEED yields the same values on every version.
"""
import binascii
import os
import sys

PY2 = sys.version_info[0] == 2
VER = sys.version_info[:2]

if PY2:
    TEXT = unicode  # noqa: F821 (2.7 only)
    TEXT_NAME, BYTES_NAME = 'unicode', 'str'

    def uchr(cp):
        try:
            return unichr(cp)  # noqa: F821 (2.7 only)
        except ValueError:  # narrow (UCS-2) build: a surrogate pair
            return ('\\U%08x' % cp).decode('unicode-escape')

    def bchr(b):
        return chr(b)
else:
    TEXT = str
    TEXT_NAME, BYTES_NAME = 'str', 'bytes'
    uchr = chr

    def bchr(b):
        return bytes((b,))

EMPTY_T = uchr(0x41)[:0]
EMPTY_B = bchr(0x41)[:0]
READY = b'CARVER-READY\n'

# Everything LIVE stays referenced from here until the process exits.
_KEEP = []

# Character pools (code points) for each text kind.
ASCII_CPS = list(range(0x30, 0x3a)) + list(range(0x41, 0x5b)) + list(range(0x61, 0x7b))
LATIN1_HI = list(range(0xa1, 0x100))        # non-ASCII latin-1 (e.g. e-acute, y-diaeresis)
UCS2_HI = ([0x20ac, 0x2603, 0x4e2d, 0x6587, 0xac00]  # euro, snowman, CJK, Hangul
           + list(range(0x410, 0x450)))      # Cyrillic
UCS4_HI = (list(range(0x1f600, 0x1f650))     # emoticons
           + [0x1f680, 0x1f40d, 0x1f4a9, 0x10348, 0x1d11e, 0x20000, 0x2a6d6, 0x10ffff - 2])
CAFE = [0x63, 0x61, 0x66, 0xe9]              # 'cafe' with e-acute

# Lengths in characters (text) or bytes.
LIVE_ASCII_LENS = [2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 25, 31, 32, 33, 39, 40, 41,
                   47, 48, 55, 56, 63, 64, 65, 80, 100, 127, 128, 129, 150, 200, 255, 256,
                   257, 300, 350, 400, 430, 450]
LIVE_BYTES_LENS = LIVE_ASCII_LENS
LIVE_INTERN_LENS = [6, 10, 20, 30, 45, 60, 90]
LIVE_LATIN1_LENS = [2, 3, 5, 9, 16, 33, 64, 100, 200, 300]
LIVE_UCS2_LENS = [1, 2, 3, 5, 9, 16, 33, 64, 100, 180]
LIVE_UCS4_LENS = [1, 2, 3, 5, 9, 16, 33, 64, 90]
# (kind, length): objects above pymalloc's 512-byte limit -> glibc malloc
LIVE_BIG = [('ascii', 600), ('bytes', 700), ('ascii', 5000), ('bytes', 5000),
            ('ucs2', 300), ('ucs4', 1500), ('latin1', 1000)]

N_FREED = 360
# Freed values over pymalloc's 512-byte limit, up to 64 KiB (below glibc's mmap threshold).
LARGE_FREED_LENS = [600, 900, 1100, 1500, 2048, 3000, 4096, 5000, 6000, 8192, 10000, 12000,
                    16384, 20000, 24000, 32768, 40000, 48000, 56000, 65000]


class Rng(object):
    """Tiny deterministic PRNG (64-bit LCG), identical on 2.7 and 3.x."""

    def __init__(self, seed):
        self.s = (seed * 2654435761 + 0x9e3779b97f4a7c15) & 0xffffffffffffffff

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & 0xffffffffffffffff
        return self.s >> 33

    def randrange(self, n):
        return self.next() % n

    def randint(self, a, b):
        return a + self.next() % (b - a + 1)

    def choice(self, seq):
        return seq[self.next() % len(seq)]

    def random(self):
        return self.next() / float(1 << 31)


def b64(raw):
    out = binascii.b2a_base64(raw).strip()
    if not PY2:
        out = out.decode('ascii')
    return out


def json_str(s):
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == '\\':
            out.append('\\' + c)
        elif o < 0x20 or o > 0x7e:
            out.append('\\u%04x' % o)
        else:
            out.append(c)
    out.append('"')
    return ''.join(out)


def to_json(v):
    """Minimal JSON encoder for the manifest (dict / list / str / int / bool / None)."""
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, dict):
        return '{' + ', '.join(json_str(k) + ': ' + to_json(v[k]) for k in sorted(v)) + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ',\n '.join(to_json(x) for x in v) + ']'
    if isinstance(v, (str, TEXT)):
        return json_str(v)
    return '%d' % v


class Planter(object):
    def __init__(self, seed):
        self.rng = Rng(seed)
        self.live = []
        self.freed = []
        self.live_recs = []
        self.freed_recs = []
        self.n_live = 0
        self.n_freed = 0

    # -- value builders (all results are fresh heap objects) -------------------------
    def head(self, freed, n):
        if freed:
            idx = self.n_freed
            self.n_freed += 1
            tag = 'FREED'
        else:
            idx = self.n_live
            self.n_live += 1
            tag = 'LIVE'
        full = 'CARVER-%s-%04d-' % (tag, idx)
        if n >= len(full) + 2:
            return full
        return ('%s%x.' % (tag[0].lower(), idx))[:max(n - 1, 1)]

    def text(self, kind, n, freed):
        """A text value of exactly n code points whose widest character is of `kind`."""
        rng = self.rng
        h = self.head(freed, n)
        if kind == 'ascii':
            h = h[:n]
            cps = [ord(c) for c in h]
            while len(cps) < n:
                cps.append(rng.choice(ASCII_CPS))
        else:
            if kind == 'latin1':
                hi, lo = LATIN1_HI, ASCII_CPS + LATIN1_HI
            elif kind == 'ucs2':
                hi, lo = UCS2_HI, ASCII_CPS + LATIN1_HI + UCS2_HI
            else:
                hi, lo = UCS4_HI, ASCII_CPS + UCS2_HI + UCS4_HI
            h = h[:n - 1]
            cps = [ord(c) for c in h]
            if kind == 'latin1' and n - len(cps) >= 6:
                cps.extend(CAFE)
                cps.append(0x20)
            cps.append(rng.choice(hi))       # guarantees the kind
            while len(cps) < n:
                cps.append(rng.choice(lo))
            if kind == 'latin1' and n - len(h) >= 3:
                cps[-1] = 0xff                # ends with y-diaeresis
        parts = [uchr(c) for c in cps]
        return EMPTY_T.join(parts)

    def bytes_(self, n, freed, binary=False):
        rng = self.rng
        h = self.head(freed, n)[:n]
        parts = [bchr(ord(c)) for c in h]
        while len(parts) < n:
            if binary:
                parts.append(bchr(rng.randrange(256)))
            else:
                parts.append(bchr(rng.choice(ASCII_CPS)))
        return EMPTY_B.join(parts)

    # -- recording ----------------------------------------------------------------
    def add(self, obj, freed, label, hashed):
        h = hash(obj) if hashed else None
        if isinstance(obj, TEXT):
            tname = TEXT_NAME
            raw = obj.encode('utf-8')
        else:
            tname = BYTES_NAME
            raw = obj
        rec = {'addr': id(obj), 'type': tname, 'value_b64': b64(raw), 'hash': h,
               'label': label, 'length': len(obj)}
        if freed:
            self.freed.append(obj)
            self.freed_recs.append(rec)
        else:
            self.live.append(obj)
            self.live_recs.append(rec)

    def intern(self, s):
        # 3.x: sys.intern on str; 2.7: intern() on the bytes-like str
        if PY2:
            return intern(s)  # noqa: F821 (2.7 only)
        return sys.intern(s)

    # -- the plan -----------------------------------------------------------------
    def plant_live(self):
        i = 0
        for n in LIVE_ASCII_LENS:
            i += 1
            if PY2:
                self.add(self.bytes_(n, False), False, 'str-ascii', i % 3 == 0)
                self.add(self.text('ascii', n, False), False, 'unicode-ascii', i % 3 == 1)
            else:
                self.add(self.text('ascii', n, False), False, 'ascii', i % 3 == 0)
        for n in LIVE_BYTES_LENS:
            i += 1
            binary = i % 4 == 0
            if PY2:
                label = binary and 'str-binary' or 'str-bytes'
            else:
                label = binary and 'bytes-binary' or 'bytes'
            self.add(self.bytes_(n, False, binary), False, label, i % 3 == 0)
        for n in LIVE_INTERN_LENS:
            if PY2:
                self.add(self.intern(self.bytes_(n, False)), False, 'str-interned', True)
            else:
                self.add(self.intern(self.text('ascii', n, False)), False, 'interned', True)
        for kind, lens in (('latin1', LIVE_LATIN1_LENS), ('ucs2', LIVE_UCS2_LENS),
                           ('ucs4', LIVE_UCS4_LENS)):
            for n in lens:
                i += 1
                self.add(self.text(kind, n, False), False, kind, i % 3 == 0)
        for kind, n in LIVE_BIG:
            i += 1
            if kind == 'bytes':
                self.add(self.bytes_(n, False, i % 2 == 0), False, 'big-' + BYTES_NAME, i % 2 == 0)
            else:
                self.add(self.text(kind, n, False), False, 'big-' + kind, i % 2 == 0)
        if PY2:  # a few bytes-like str with non-ASCII content that is valid UTF-8
            for n in (8, 40, 120):
                t = self.text('ucs2', n, False)
                self.add(t.encode('utf-8'), False, 'str-utf8', False)

    def plant_freed(self):
        rng = self.rng
        # object sizes stay below ~450 bytes (LP64 worst case) so everything is pymalloc
        kinds = ['ascii'] * 9 + ['bytes'] * 9 + ['latin1'] * 3 + ['ucs2'] * 3 + ['ucs4'] * 3
        if PY2:
            kinds += ['short-unicode'] * 2
        if VER != (3, 12):     # 3.12 makes every interned string immortal
            kinds += ['interned']
        maxlen = {'ascii': 390, 'bytes': 400, 'latin1': 360, 'ucs2': 180, 'ucs4': 88,
                  'interned': 120, 'short-unicode': 8}
        if PY2:  # 2.7 unicode data lives in a separate (len+1)*4-byte buffer
            for k in ('latin1', 'ucs2', 'ucs4'):
                maxlen[k] = 100
        for j in range(N_FREED):
            kind = kinds[j % len(kinds)]
            lo = 3 if kind == 'short-unicode' else 18
            n = rng.randint(lo, maxlen[kind])
            hashed = rng.random() < 0.3
            if kind == 'bytes':
                binary = rng.random() < 0.25
                v = self.bytes_(n, True, binary)
                label = (PY2 and 'str' or 'bytes') + (binary and '-binary' or '')
            elif kind == 'interned':
                if PY2:
                    v = self.intern(self.bytes_(n, True))
                    label = 'str-interned'
                else:
                    v = self.intern(self.text('ascii', n, True))
                    label = 'interned'
                hashed = True
            elif kind == 'short-unicode':
                # 2.7 keeps the buffer of unicode objects shorter than 9 on its free list
                v = self.text(rng.choice(['ascii', 'latin1', 'ucs2', 'ucs4']), n, True)
                label = 'unicode-short'
            elif kind == 'ascii' and PY2 and j % 2:
                v = self.bytes_(n, True)
                label = 'str-ascii'
            else:
                v = self.text(kind, n, True)
                label = (PY2 and 'unicode-' or '') + kind
            self.add(v, True, label, hashed)
            if j % 3 == 0:
                # a live keeper of similar size, so pools never empty out completely
                if kind in ('bytes', 'interned') or label.startswith('str'):
                    k = self.bytes_(n, False)
                    klabel = 'keeper-' + BYTES_NAME
                else:
                    k = self.text('ascii', n, False)
                    klabel = 'keeper-' + TEXT_NAME
                self.add(k, False, klabel, rng.random() < 0.3)


    def plant_freed_large(self):
        """Freed values of 1-64 KiB: glibc malloc (not pymalloc) holds them, and free()
        overwrites their first 16 or 32 bytes (refcount, type, and for chunks of 1 KiB and
        more also length and hash).  Every third is followed by a live keeper so that some
        free chunks stand alone and others merge with their freed neighbours."""
        kinds = ['ascii', 'bytes', 'latin1', 'ucs2'] if not PY2 else ['str']
        for j, n in enumerate(LARGE_FREED_LENS):
            kind = kinds[j % len(kinds)]
            if kind in ('bytes', 'str'):
                v = self.bytes_(n, True)
                label = 'large-' + BYTES_NAME
            else:
                v = self.text(kind, n // (2 if kind == 'ucs2' else 1), True)
                label = 'large-' + kind
            self.add(v, True, label, j % 2 == 0)
            if j % 3 == 2:
                self.add(self.bytes_(700, False), False, 'large-keeper', False)


def build(seed):
    p = Planter(seed)
    p.plant_live()
    p.plant_freed()
    p.plant_freed_large()
    if PY2:
        str_type, bytes_type = id(unicode), id(str)  # noqa: F821 (2.7 only)
    else:
        str_type, bytes_type = id(str), id(bytes)
    manifest = {
        'python': '%d.%d' % VER,
        'python_full': sys.version.split()[0],
        'ptr_size': 8 if sys.maxsize > 0xffffffff else 4,
        'pid': os.getpid(),
        'hash_seed': os.environ.get('PYTHONHASHSEED'),
        'str_type': str_type,
        'bytes_type': bytes_type,
        'unicode_size': 4 if sys.maxunicode > 0xffff else 2,
        'executable': sys.executable,
        'seed': seed,
        'live': p.live_recs,
        'freed': p.freed_recs,
    }
    live, freed = p.live, p.freed
    p.live = p.freed = None
    return live, freed, manifest


def main():
    if len(sys.argv) < 2:
        sys.stderr.write('usage: plant.py MANIFEST_PATH [SEED]\n')
        sys.exit(2)
    path = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    live, freed, manifest = build(seed)
    _KEEP.append(live)
    del live
    f = open(path, 'w')
    f.write(to_json(manifest))
    f.write('\n')
    f.close()
    del manifest, f
    ready = READY
    write, read = os.write, os.read
    # The free: `freed` holds the only references.  From here on, allocate nothing.
    del freed
    write(1, ready)
    read(0, 1)


if __name__ == '__main__':
    main()
