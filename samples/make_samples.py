#!/usr/bin/python3
"""Regenerate the memory-dump samples in samples/ (see samples/README.md).

Usage:  /usr/bin/python3 samples/make_samples.py [NAME ...] [--keep DIR] [--list]

For every sample it starts a process (plant.py under a CPython build, or a perl / node
process holding many strings for the negative samples), waits until it prints READY, reads
/proc/PID/maps and the chosen mappings through /proc/PID/mem, releases the process, and
packs samples/NAME.tar.xz (top directory NAME/ with the dump files, `maps` and
`manifest.json`).  Run as root (or with ptrace rights over the children).
"""
import argparse
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PLANT = os.path.join(HERE, 'plant.py')
CPYTHON_BUILDS = os.environ.get('CPYTHON_BUILDS', '/work/shared/tools/cpython-builds')
PYENV = os.path.join(os.environ.get('PYENV_ROOT', os.path.expanduser('~/.pyenv')), 'versions')
READY = b'CARVER-READY\n'
SEED = 1
PAGE = 4096
NEG_CAP = {'perl': 4 << 20, 'node': 8 << 20}

# name: (how, what, dump style, extra environment)
SAMPLES = [
    ('py27', 'debian', '2.7', 'vol2', {}),
    ('py36', 'pyenv', '3.6.15/bin/python3.6', 'vol2', {}),
    ('py37', 'pyenv', '3.7.16/bin/python3.7', 'vol2', {}),
    ('py38', 'pyenv', '3.8.18/bin/python3.8', 'vol2', {}),
    ('py39', 'debian', '3.9', 'vol2', {}),
    ('py310', 'pyenv', '3.10.13/bin/python3.10', 'vol2', {}),
    ('py311', 'debian', '3.11', 'vol2', {}),
    ('py312', 'pyenv', '3.12.1/bin/python3.12', 'vol2', {}),
    ('py313', 'debian', '3.13', 'vol2', {}),
    ('py314', 'debian', '3.14', 'vol3', {}),
    ('py315', 'debian', '3.15', 'vol2', {}),
    ('py311-seed0', 'system', '/usr/bin/python3', 'vol2', {'PYTHONHASHSEED': '0'}),
    ('pyenv-313', 'pyenv', '3.13.0/bin/python3.13', 'vol2', {}),
    ('i386-py27', 'debian', 'i386-2.7', 'vol2', {}),
    ('i386-py311', 'debian', 'i386-3.11', 'vol3', {}),
    ('i386-py314', 'debian', 'i386-3.14', 'vol2', {}),
    ('perl', 'perl', '/usr/bin/perl', 'vol2', {}),
    ('node', 'node', '/usr/bin/node', 'vol2', {}),
]

PERL_SCRIPT = r'''
use strict; use warnings;
my (@keep, %h);
for my $i (0 .. 5999) {
    my $body = join('', map { chr(97 + ($i * 7 + $_) % 26) } 0 .. ($i % 300));
    my $s = sprintf("CARVER-LIVE-%04d-perl-", $i) . $body;
    push @keep, $s;
    $h{"key-$i-" . ($i * 31)} = substr($s, 0, 40);
    push @keep, "caf\x{e9} \x{20ac} \x{1F600} $i" if $i % 10 == 0;
    push @keep, pack("N*", $i .. $i + 40) if $i % 7 == 0;
}
$| = 1;
syswrite(STDOUT, "CARVER-READY\n");
sysread(STDIN, my $b, 1);
exit 0;
'''

NODE_SCRIPT = r'''
const fs = require('fs');
const keep = [];
for (let i = 0; i < 20000; i++) {
  const body = 'abcdefghijklmnopqrstuvwxyz'.repeat(1 + (i % 12)).slice(0, 1 + (i * 7) % 300);
  keep.push(Buffer.from('CARVER-LIVE-' + String(i).padStart(4, '0') + '-node-' + body, 'utf8').toString('utf8'));
  if (i % 10 === 0) keep.push(Buffer.from('caf\u00e9 \u20ac \u{1F600} ' + i, 'utf8').toString('utf8'));
  if (i % 7 === 0) keep.push(Buffer.from('CARVER-LIVE-bytes-' + i));
}
globalThis.keep = keep;
fs.writeSync(1, 'CARVER-READY\n');
const b = Buffer.alloc(1);
for (;;) {
  try { fs.readSync(0, b, 0, 1, null); break; }
  catch (e) { if (e.code !== 'EAGAIN') break; }
}
'''


def log(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


# --------------------------------------------------------------------------------------
def child_env(extra):
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': os.environ.get('HOME', '/root'),
           'LANG': 'C.UTF-8', 'PYTHONDONTWRITEBYTECODE': '1'}
    env.update(extra)
    return env


def start_child(argv, env, timeout=180):
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    buf = b''
    deadline = time.time() + timeout
    while READY not in buf:
        left = deadline - time.time()
        if left <= 0 or p.poll() is not None:
            p.kill()
            raise RuntimeError('%s: no READY (exit %r, output %r)' % (argv, p.poll(), buf[-200:]))
        r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk and p.poll() is not None:
                continue
            buf += chunk
    return p


def release_child(p):
    try:
        p.stdin.write(b'x')
        p.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()


# --------------------------------------------------------------------------------------
MAPS_RE = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$')


def parse_maps(text):
    out = []
    for line in text.splitlines():
        m = MAPS_RE.match(line)
        if not m:
            continue
        out.append({'start': int(m.group(1), 16), 'end': int(m.group(2), 16),
                    'perms': m.group(3), 'offset': int(m.group(4), 16),
                    'inode': int(m.group(6)), 'path': m.group(7)})
    return out


def is_rw(m):
    return m['perms'].startswith('rw')


def is_anon(m):
    return m['path'] == '' and m['inode'] == 0


def find_mapping(maps, addr):
    for m in maps:
        if m['start'] <= addr < m['end']:
            return m
    return None


def read_region(fd, start, end):
    """Bytes of [start, end); unreadable pages are zero-filled. Returns (data, zero_ranges)."""
    out = bytearray()
    zeros = []
    pos = start
    step = 1 << 20
    while pos < end:
        n = min(step, end - pos)
        try:
            data = os.pread(fd, n, pos)
        except OSError:
            data = b''
        if len(data) == n:
            out += data
            pos += n
            continue
        for page in range(pos, pos + n, PAGE):
            k = min(PAGE, pos + n - page)
            try:
                d = os.pread(fd, k, page)
            except OSError:
                d = b''
            if len(d) != k:
                d = b'\0' * k
                if zeros and zeros[-1][1] == page:
                    zeros[-1][1] = page + k
                else:
                    zeros.append([page, page + k])
            out += d
        pos += n
    return bytes(out), zeros


def read_word(fd, addr, ps):
    try:
        b = os.pread(fd, ps, addr)
    except OSError:
        return None
    if len(b) != ps:
        return None
    return int.from_bytes(b, 'little')


IMAGE_RE = re.compile(r'(^|/)(lib)?python[0-9][^/]*$')


def select_python_regions(maps, man, memfd):
    """[(mapping, why)]: interpreter image .data/.bss, [heap], anon rw with planted objects."""
    chosen = {}

    def keep(m, why):
        if m['start'] in chosen:
            if why not in chosen[m['start']][1]:
                chosen[m['start']][1].append(why)
        else:
            chosen[m['start']] = (m, [why])

    for i, m in enumerate(maps):
        if IMAGE_RE.search(m['path']) and is_rw(m):
            keep(m, 'image-data:' + os.path.basename(m['path']))
            nxt = maps[i + 1] if i + 1 < len(maps) else None
            if nxt and is_anon(nxt) and is_rw(nxt) and nxt['start'] == m['end']:
                keep(nxt, 'image-bss:' + os.path.basename(m['path']))
        if m['path'] == '[heap]':
            keep(m, 'heap')
    ps = man['ptr_size']
    py2 = man['python'].startswith('2.')
    unplaced = []
    for which in ('live', 'freed'):
        for rec in man[which]:
            addrs = [rec['addr']]
            if py2 and rec['type'] == 'unicode':
                buf = read_word(memfd, rec['addr'] + 3 * ps, ps)
                if buf:
                    addrs.append(buf)
            for a in addrs:
                m = find_mapping(maps, a)
                if m is None:
                    unplaced.append(a)
                elif m['start'] not in chosen:
                    if is_anon(m) and is_rw(m):
                        keep(m, 'planted')
                    else:
                        unplaced.append(a)
    return [chosen[k] for k in sorted(chosen)], unplaced


def select_negative_regions(maps, memfd, cap):
    """[heap] first, then anon rw mappings with the most marker strings, up to cap bytes."""
    cands = []
    for m in maps:
        if not is_rw(m) or not (is_anon(m) or m['path'] == '[heap]'):
            continue
        size = m['end'] - m['start']
        if size > 64 << 20:
            continue
        data, _ = read_region(memfd, m['start'], m['end'])
        markers = data.count(b'CARVER-LIVE-')
        nonzero = len(data) - data.count(0)
        cands.append((m['path'] != '[heap]', -markers, -nonzero, m['start'], m))
    cands.sort(key=lambda c: c[:4])
    out, total = [], 0
    for is_not_heap, negm, negnz, _, m in cands:
        size = m['end'] - m['start']
        if negnz == 0:
            continue
        if total + size > cap:
            continue
        out.append((m, ['heap' if not is_not_heap else 'anon-rw(%d markers)' % -negm]))
        total += size
    out.sort(key=lambda x: x[0]['start'])
    return out


def hash_secret(maps, man, memfd):
    """Locate _Py_HashSecret through the image's .dynsym (nm -D) and read it."""
    for m in maps:
        if not IMAGE_RE.search(m['path']) or m['offset'] != 0:
            continue
        try:
            out = subprocess.run(['nm', '-D', m['path']], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode('ascii', 'replace')
            with open(m['path'], 'rb') as f:
                e_type = int.from_bytes(f.read(18)[16:18], 'little')
        except OSError:
            continue
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[2] == '_Py_HashSecret':
                addr = int(f[0], 16) + (m['start'] if e_type == 3 else 0)
                n = 2 * man['ptr_size'] if man['python'].startswith('2.') else 24
                try:
                    data = os.pread(memfd, n, addr)
                except OSError:
                    data = b''
                return {'addr': addr, 'file': m['path'], 'hex': data.hex()}
    return None


def dump_name(style, pid, start, end):
    if style == 'vol3':
        return 'pid.%d.vma.0x%x-0x%x.dmp' % (pid, start, end)
    return 'task.%d.0x%x.vma' % (pid, start)


def write_dumps(outdir, style, pid, memfd, regions):
    info = []
    for m, why in regions:
        data, zeros = read_region(memfd, m['start'], m['end'])
        fn = dump_name(style, pid, m['start'], m['end'])
        with open(os.path.join(outdir, fn), 'wb') as f:
            f.write(data)
        info.append({'file': fn, 'start': m['start'], 'end': m['end'], 'perms': m['perms'],
                     'path': m['path'], 'why': why, 'zero_filled': zeros})
    return info


# --------------------------------------------------------------------------------------
def launcher(how, what):
    if how == 'debian':
        return [CPYTHON_BUILDS, 'run', what]
    if how == 'pyenv':
        return [os.path.join(PYENV, what)]
    return [what]


def make_one(sample, workroot):
    name, how, what, style, extra = sample
    outdir = os.path.join(workroot, name)
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    env = child_env(extra)
    negative = how in ('perl', 'node')
    secret = None
    manpath = os.path.join(outdir, 'manifest.json')
    if how == 'perl':
        argv = [what, '-e', PERL_SCRIPT]
    elif how == 'node':
        argv = [what, '-e', NODE_SCRIPT]
    else:
        argv = launcher(how, what) + [PLANT, manpath, str(SEED)]
    p = start_child(argv, env)
    try:
        pid = p.pid
        with open('/proc/%d/maps' % pid) as f:
            maps_text = f.read()
        maps = parse_maps(maps_text)
        memfd = os.open('/proc/%d/mem' % pid, os.O_RDONLY)
        try:
            if negative:
                vcmd = [what, '-e', 'print $^V'] if how == 'perl' else [what, '--version']
                version = subprocess.run(vcmd, stdout=subprocess.PIPE, env=env).stdout
                man = {'negative': True, 'program': how, 'pid': pid, 'ptr_size': 8,
                       'version': version.decode('ascii', 'replace').strip()}
                regions = select_negative_regions(maps, memfd, NEG_CAP[how])
                unplaced = []
            else:
                with open(manpath) as f:
                    man = json.load(f)
                if man['pid'] != pid:
                    raise RuntimeError('%s: manifest pid %d != child pid %d' % (name, man['pid'], pid))
                regions, unplaced = select_python_regions(maps, man, memfd)
                secret = hash_secret(maps, man, memfd)
            info = write_dumps(outdir, style, pid, memfd, regions)
        finally:
            os.close(memfd)
    finally:
        release_child(p)
    with open(os.path.join(outdir, 'maps'), 'w') as f:
        f.write(maps_text)
    man['sample'] = name
    man['dump'] = {
        'style': style,
        'command': argv[:-3] + ['plant.py', 'manifest.json', str(SEED)] if not negative
        else [what, '-e', 'PERL_SCRIPT' if how == 'perl' else 'NODE_SCRIPT'],
        'environment': extra,
        'regions': info,
        'zero_filled_bytes': sum(b - a for r in info for a, b in r['zero_filled']),
        'planted_addresses_outside_dump': unplaced,
        'generated_by': 'samples/make_samples.py',
    }
    if secret:
        man['dump']['hash_secret'] = secret
    with open(manpath, 'w') as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write('\n')
    return outdir, man


def pack(outdir, dest):
    name = os.path.basename(outdir)
    tmp = dest + '.tmp'
    with tarfile.open(tmp, 'w:xz', preset=9 | getattr(__import__('lzma'), 'PRESET_EXTREME')) as tf:
        def add(path, arc):
            ti = tf.gettarinfo(path, arcname=arc)
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = 'root'
            ti.mtime = 0
            ti.mode = 0o755 if ti.isdir() else 0o644
            if ti.isdir():
                tf.addfile(ti)
            else:
                with open(path, 'rb') as f:
                    tf.addfile(ti, f)
        add(outdir, name)
        for fn in sorted(os.listdir(outdir)):
            add(os.path.join(outdir, fn), name + '/' + fn)
    os.rename(tmp, dest)
    return os.path.getsize(dest)


def intact_counts(outdir, man):
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(REPO, 'tests', 'samples'))
    import check_sample
    dump = check_sample.Dump(outdir)
    try:
        stats, _ = check_sample.intact_stats(dump, man)
    finally:
        dump.close()
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('names', nargs='*', help='samples to regenerate (default: all)')
    ap.add_argument('--keep', metavar='DIR', help='also keep the unpacked sample dirs in DIR')
    ap.add_argument('--out', default=HERE, help='where the tarballs go (default: samples/)')
    ap.add_argument('--list', action='store_true', help='list the sample names and exit')
    args = ap.parse_args()
    if args.list:
        for s in SAMPLES:
            print('%-12s %-7s %s' % s[:3])
        return 0
    todo = [s for s in SAMPLES if not args.names or s[0] in args.names]
    unknown = set(args.names) - set(s[0] for s in SAMPLES)
    if unknown:
        ap.error('unknown sample(s): %s' % ', '.join(sorted(unknown)))
    if os.geteuid() != 0:
        log('warning: not root; reading /proc/PID/mem of children may fail')
    os.makedirs(args.out, exist_ok=True)
    workroot = args.keep or tempfile.mkdtemp(prefix='carver-samples-')
    os.makedirs(workroot, exist_ok=True)
    rows = []
    failed = []
    try:
        for s in todo:
            name = s[0]
            log('== %s' % name)
            try:
                outdir, man = make_one(s, workroot)
            except Exception as e:
                log('%s: FAILED: %s' % (name, e))
                failed.append(name)
                continue
            size = pack(outdir, os.path.join(args.out, name + '.tar.xz'))
            d = man['dump']
            dumped = sum(r['end'] - r['start'] for r in d['regions'])
            row = {'name': name, 'python': man.get('python_full', man.get('program')),
                   'ptr': man['ptr_size'], 'style': d['style'], 'files': len(d['regions']),
                   'dumped': dumped, 'tar': size, 'zero': d['zero_filled_bytes'],
                   'live': '-', 'freed': '-', 'intact': '-', 'outside': len(d['planted_addresses_outside_dump'])}
            if not man.get('negative'):
                st = intact_counts(outdir, man)
                row['live'] = '%d' % len(man['live'])
                row['freed'] = '%d' % len(man['freed'])
                row['intact'] = '%d' % st['freed'][0]
                if st['live'][0] != st['live'][1]:
                    log('%s: WARNING only %d/%d live objects pass the intact check: %s'
                        % (name, st['live'][0], st['live'][1], dict(st['live'][2])))
                row['live_ok'] = st['live'][0]
                row['freed_why'] = dict(st['freed'][2])
            rows.append(row)
            if not args.keep:
                shutil.rmtree(outdir)
    finally:
        if not args.keep:
            shutil.rmtree(workroot, ignore_errors=True)

    hdr = '%-12s %-8s %-3s %-4s %5s %9s %9s %5s %5s %6s %s' % (
        'sample', 'python', 'ptr', 'fmt', 'files', 'dumped', 'tar.xz', 'live', 'freed',
        'intact', 'notes')
    print(hdr)
    print('-' * len(hdr))
    for r in rows:
        notes = []
        if r['zero']:
            notes.append('%d zero-filled bytes' % r['zero'])
        if r['outside']:
            notes.append('%d planted addrs outside dump' % r['outside'])
        if 'freed_why' in r and r['freed_why']:
            notes.append('not intact: %s' % ', '.join('%s %d' % kv for kv in sorted(r['freed_why'].items())))
        print('%-12s %-8s %-3d %-4s %5d %8.1fM %8.0fK %5s %5s %6s %s' % (
            r['name'], r['python'], r['ptr'], r['style'], r['files'], r['dumped'] / 1048576.0,
            r['tar'] / 1024.0, r['live'], r['freed'], r['intact'], '; '.join(notes)))
    if failed:
        print('FAILED: %s' % ', '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
