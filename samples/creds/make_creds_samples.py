#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerate the credential samples samples/creds-*.tar.xz (see samples/creds/README.md).

Usage:  /usr/bin/python3 samples/creds/make_creds_samples.py [NAME ...] [--out DIR] [--keep DIR]

For each sample it runs tests/cli/creds_target.py under a real interpreter: the process
sends HTTP requests with credentials through the standard library to its own 127.0.0.1
server, drops every reference, runs gc.collect(), keeps a few marker objects live and
waits. The dump then holds, as samples/make_samples.py does for plant.py, the
interpreter image's .data/.bss and the anonymous mappings with the markers, plus every
anonymous rw mapping (and [heap]) that holds the credentials (their base64 text, the
token); [heap] without them is left out to keep the sample small. manifest.json is samples/README.md's format plus
"credentials": what `carver creds` must report. Run as root (reads /proc/PID/mem).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)
REPO = os.path.dirname(SAMPLES)
TARGET = os.path.join(REPO, 'tests', 'cli', 'creds_target.py')
sys.path.insert(0, SAMPLES)
import make_samples as ms  # noqa: E402  (dump helpers shared with the object samples)

N_PLANT = 24

# name: (how, what, dump style, request modes, user, password, token)
CREDS_SAMPLES = [
    ('creds-py311', 'debian', '3.11', 'vol2', ['handler', 'bearer'],
     'alice', 'correct:horse-battery-staple', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.'
     'c2FtcGxlLXNpZ25hdHVyZQ'),
]


def expected(modes, user, password, token):
    out = []
    if any(m in ('handler', 'header', 'client', 'requests') for m in modes):
        out.append({'scheme': 'basic', 'header': 'Authorization', 'user': user,
                    'password': password})
    if 'proxy' in modes:
        out.append({'scheme': 'basic', 'header': 'Proxy-Authorization', 'user': user,
                    'password': password})
    if 'bearer' in modes:
        out.append({'scheme': 'bearer', 'header': 'Authorization', 'token': token})
    return out


def b64(s):
    import base64
    return base64.b64encode(s.encode('utf-8'))


def make_one(sample, workroot):
    name, how, what, style, modes, user, password, token = sample
    outdir = os.path.join(workroot, name)
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    argv = ms.launcher(how, what) + [TARGET]
    p = ms.subprocess.Popen(argv, stdin=ms.subprocess.PIPE, stdout=ms.subprocess.PIPE,
                            env=ms.child_env({}))
    cfg = {'mode': modes, 'user': user, 'password': password, 'token': token,
           'plant': N_PLANT}
    p.stdin.write(json.dumps(cfg).encode('ascii') + b'\n')
    p.stdin.flush()
    buf = b''
    deadline = ms.time.time() + 120
    while ms.READY not in buf:
        if ms.time.time() > deadline or p.poll() is not None:
            p.kill()
            raise RuntimeError('%s: no READY (exit %r, output %r)' % (name, p.poll(), buf[-300:]))
        r, _, _ = ms.select.select([p.stdout], [], [], 1.0)
        if r:
            buf += os.read(p.stdout.fileno(), 65536)
    man = json.loads(buf.split(b'\n', 1)[0].decode('ascii'))
    try:
        if not man.get('authorized'):
            raise RuntimeError('%s: the requests were not authorized: %r' % (name, man))
        pid = p.pid
        with open('/proc/%d/maps' % pid) as f:
            maps_text = f.read()
        maps = ms.parse_maps(maps_text)
        memfd = os.open('/proc/%d/mem' % pid, os.O_RDONLY)
        try:
            regions, unplaced = ms.select_python_regions(maps, man, memfd)
            needles = [b64(user + ':' + password), token.encode('ascii')]

            def hits(m):
                if m['end'] - m['start'] > (64 << 20):
                    return []
                data, _ = ms.read_region(memfd, m['start'], m['end'])
                return [n.decode('ascii')[:16] for n in needles if n in data]

            # [heap] only when it holds credentials: it is the biggest part of the dump
            # and the objects are in pymalloc arenas (anonymous mappings)
            keep = []
            for m, why in regions:
                if why == ['heap']:
                    h = hits(m)
                    if not h:
                        continue
                    why = why + ['credentials:' + ','.join(h)]
                keep.append((m, why))
            regions = keep
            chosen = set(m['start'] for m, _ in regions)
            for m in maps:
                if m['start'] in chosen or not (ms.is_anon(m) and ms.is_rw(m)):
                    continue
                h = hits(m)
                if h:
                    regions.append((m, ['credentials:' + ','.join(h)]))
                    chosen.add(m['start'])
            regions.sort(key=lambda r: r[0]['start'])
            secret = ms.hash_secret(maps, man, memfd)
            info = ms.write_dumps(outdir, style, pid, memfd, regions)
        finally:
            os.close(memfd)
    finally:
        ms.release_child(p)
    with open(os.path.join(outdir, 'maps'), 'w') as f:
        f.write(maps_text)
    for k in ('authorized', 'status', 'runs', 'port', 'requests_seen', 'mode'):
        man.pop(k, None)
    man['seed'] = None
    man['hash_seed'] = None
    man['unicode_size'] = 4
    man['sample'] = name
    man['credentials'] = expected(modes, user, password, token)
    man['requests'] = modes
    man['dump'] = {
        'style': style,
        'command': ms.launcher(how, what)[:1] + ['...', 'tests/cli/creds_target.py'],
        'environment': {},
        'regions': info,
        'zero_filled_bytes': sum(b - a for r in info for a, b in r['zero_filled']),
        'planted_addresses_outside_dump': unplaced,
        'generated_by': 'samples/creds/make_creds_samples.py',
    }
    if secret:
        man['dump']['hash_secret'] = secret
    with open(os.path.join(outdir, 'manifest.json'), 'w') as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write('\n')
    return outdir, man


def header_lines(outdir, man):
    """The header lines ("Authorization: Basic ...", "Authorization: Bearer ...") of the
    expected credentials that are not in the dump files' bytes."""
    want = []
    for c in man['credentials']:
        if c['scheme'] == 'basic':
            want.append(('%s: Basic ' % c['header']).encode('ascii') + b64(c['user'] + ':' + c['password']))
        else:
            want.append(('%s: Bearer %s' % (c['header'], c['token'])).encode('ascii'))
    missing = list(want)
    for fn in os.listdir(outdir):
        if fn.startswith(('task.', 'pid.')):
            with open(os.path.join(outdir, fn), 'rb') as f:
                data = f.read()
            missing = [w for w in missing if w not in data]
    return missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('names', nargs='*')
    ap.add_argument('--out', default=SAMPLES, help='where the tarballs go (default samples/)')
    ap.add_argument('--keep', help='keep the unpacked sample directories here')
    args = ap.parse_args()
    todo = [s for s in CREDS_SAMPLES if not args.names or s[0] in args.names]
    if not todo:
        ap.error('no such sample; known: %s' % ', '.join(s[0] for s in CREDS_SAMPLES))
    work = args.keep or tempfile.mkdtemp(prefix='carver-creds-samples-')
    os.makedirs(work, exist_ok=True)
    try:
        for s in todo:
            # The freed header lines survive most runs, not all (a later allocation may
            # reuse their memory): retry until every credential's header line is in the
            # dump, so the sample shows each one as a header, not only as a bare value.
            for attempt in range(1, 11):
                outdir, man = make_one(s, work)
                missing = header_lines(outdir, man)
                if not missing:
                    break
                print('%s: attempt %d: %d header line(s) not in the dump, again' % (
                    s[0], attempt, len(missing)))
            else:
                raise SystemExit('%s: header lines missing after 10 attempts' % s[0])
            dest = os.path.join(args.out, s[0] + '.tar.xz')
            size = ms.pack(outdir, dest)
            dumped = sum(r['end'] - r['start'] for r in man['dump']['regions'])
            print('%-14s python %-8s %2d regions %6.1f MiB dumped -> %s %7.1f KiB' % (
                s[0], man['python_full'], len(man['dump']['regions']), dumped / 1048576.0,
                dest, size / 1024.0))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
