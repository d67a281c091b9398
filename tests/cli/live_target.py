# -*- coding: ascii -*-
# SPDX-License-Identifier: MIT
"""A running target for the live-process tests (runs on CPython 2.7 and 3.x).

Usage: PYTHON live_target.py DIR [abort]

Plants str/bytes (2.7: str/unicode) objects built at run time and keeps them referenced,
writes DIR/manifest.json (atomically: pid, version, type addresses, every planted object's
address, type and value, and _Py_HashSecret as ctypes reads it when ctypes works), then
counts in a loop, writing the counter to DIR/counter every 1000 turns, so a test can see
that the process kept running. When DIR/pause appears it writes DIR/paused and blocks in
os.read(0, 1), quiescent, until stdin closes or gets a byte. It exits by itself after
120 seconds in any case. With "abort" it calls os.abort() right after the manifest, for a
kernel core dump.
"""
import binascii
import json
import os
import sys
import time

PY2 = sys.version_info[0] == 2
DIR = sys.argv[1]
K = []  # everything planted stays referenced from here


def uchr(cp):
    if PY2:
        try:
            return unichr(cp)  # noqa: F821 (2.7)
        except ValueError:
            return ('\\U%08x' % cp).decode('unicode-escape')
    return chr(cp)


def text(cps):
    return (u'' if PY2 else '').join(uchr(c) for c in cps)


def plant():
    out = []
    head = [ord(c) for c in 'CARVER-LIVETEST-']
    for i, (pool, lens) in enumerate([
            (list(range(0x41, 0x5b)), [5, 17, 40, 120, 700]),          # ASCII
            ([0xe9, 0xfc, 0x41, 0xff], [6, 33, 90]),                   # latin-1
            ([0x20ac, 0x416, 0x4e2d], [4, 25, 300]),                   # UCS-2
            ([0x1f40d, 0x1f600, 0x41], [3, 18, 64])]):                 # UCS-4
        for n in lens:
            cps = head + [ord(c) for c in '%d-%d-' % (i, n)]
            cps += [pool[(k * 7 + n) % len(pool)] for k in range(n)]
            s = text(cps)
            if n % 2:
                hash(s)
            K.append(s)
            out.append(('unicode' if PY2 else 'str', s.encode('utf-8'), id(s)))
    for n in [3, 16, 50, 200, 900]:
        b = b'CARVER-LIVETEST-B' + b''.join(
            (bytearray([(k * 13 + n) % 256]) if not PY2 else chr((k * 13 + n) % 256))
            for k in range(n))
        b = bytes(b)
        if n % 2:
            hash(b)
        K.append(b)
        out.append(('str' if PY2 else 'bytes', b, id(b)))
    return out


def hash_secret():
    try:
        import ctypes
        n = 2 * ctypes.sizeof(ctypes.c_void_p) if PY2 else 24
        arr = (ctypes.c_ubyte * n).in_dll(ctypes.pythonapi, '_Py_HashSecret')
        return binascii.hexlify(bytearray(arr)).decode('ascii')
    except Exception:  # noqa: BLE001 (ctypes missing in minimal builds)
        return None


def main():
    objs = plant()
    man = {
        'pid': os.getpid(),
        'python': '%d.%d' % sys.version_info[:2],
        'python_full': sys.version.split()[0],
        'ptr_size': 8 if sys.maxsize > 2 ** 32 else 4,
        'text_type': id(unicode) if PY2 else id(str),  # noqa: F821 (2.7)
        'bytes_type': id(str) if PY2 else id(bytes),
        'type_type': id(type),
        'hash_secret': hash_secret(),
        'objects': [{'type': t, 'value_b64': binascii.b2a_base64(v).decode('ascii').strip(),
                     'addr': a} for t, v, a in objs],
    }
    tmp = os.path.join(DIR, 'manifest.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(man, f)
    os.rename(tmp, os.path.join(DIR, 'manifest.json'))
    if sys.argv[2:] == ['abort']:
        os.abort()
    fd = os.open(os.path.join(DIR, 'counter'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pause = os.path.join(DIR, 'pause')
    deadline = time.time() + 120
    n = 0
    while True:
        n += 1
        if n % 1000 == 0:
            os.lseek(fd, 0, 0)
            os.write(fd, ('%020d\n' % n).encode('ascii'))
            if os.path.exists(pause):
                break
            if time.time() > deadline:
                return
            time.sleep(0.0005)
    with open(os.path.join(DIR, 'paused'), 'w') as f:
        f.write('%d\n' % n)
    os.read(0, 1)


main()
