#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Scan a running interpreter with carver and check the findings (the live_*.sh tests).

Usage: live_check.py CARVER WORKDIR [--gcore] [--no-dump] -- PYTHON_CMD...

1. Starts PYTHON_CMD live_target.py WORKDIR/t (planted objects, then a counting loop).
2. While it counts: `carver scan --pid PID`; a sampler thread reads /proc/PID/stat every
   millisecond meanwhile. Checks: the scan took place while the counter advanced, the
   state was never t/T (stopped), every planted object is reported at its exact address with
   its type and value, the hash key came from the interpreter's .dynsym and equals the
   _Py_HashSecret ctypes read inside the target (when ctypes worked), and `carver maps`
   gives id(type), id(str), id(bytes).
3. Pauses the target (quiescent) and compares, object for object (address, type, value,
   status, hash check): `carver scan pid:PID`, `carver dump --pid PID -o DIR` + `carver
   scan DIR`, and with --gcore, `gcore` + `carver scan CORE`.

Exit 0 when every check passes, 1 otherwise, 77 when this process may not read another
process's memory.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAILS = []


def ok(msg):
    print("ok: " + msg)


def bad(msg):
    print("FAIL: " + msg)
    FAILS.append(msg)


def records(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            out.append(json.loads(line))
    return out


def objects(recs):
    return [r for r in recs if r.get("record") == "object"]


def value_bytes(o):
    if "value_b64" in o:
        return base64.b64decode(o["value_b64"])
    return o["value"].encode("utf-8", "surrogatepass")


def key(o):
    return (o["addr"], o["type"], value_bytes(o), o["status"], o["hash_check"], o["length"])


def run(args, out=None, timeout=60):
    t0 = time.time()
    p = subprocess.run(args, stdout=subprocess.PIPE if out is None else out,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p, time.time() - t0


class Sampler(threading.Thread):
    """Reads the target's state letter every millisecond until stopped."""

    def __init__(self, pid):
        threading.Thread.__init__(self)
        self.pid, self.states, self.n, self.stop = pid, set(), 0, False

    def run(self):
        path = "/proc/%d/stat" % self.pid
        while not self.stop:
            try:
                with open(path) as f:
                    s = f.read()
                self.states.add(s[s.rindex(")") + 2])
                self.n += 1
            except (OSError, ValueError):
                pass
            time.sleep(0.001)


def counter(d):
    try:
        with open(os.path.join(d, "counter")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def check_planted(name, objs, man):
    by_addr = {}
    for o in objs:
        by_addr.setdefault(o["addr"], []).append(o)
    missing = []
    for p in man["objects"]:
        want = base64.b64decode(p["value_b64"])
        hits = [o for o in by_addr.get(p["addr"], [])
                if o["type"] == p["type"] and value_bytes(o) == want and o["status"] == "live"]
        if not hits:
            missing.append(p)
    if missing:
        bad("%s: %d of %d planted objects missing, e.g. %r at 0x%x" % (
            name, len(missing), len(man["objects"]), base64.b64decode(missing[0]["value_b64"])[:40],
            missing[0]["addr"]))
    else:
        ok("%s: all %d planted objects at their exact addresses" % (name, len(man["objects"])))


def main(argv):
    sep = argv.index("--")
    opts, cmd = argv[1:sep], argv[sep + 1:]
    carver, work = opts[0], opts[1]
    gcore = "--gcore" in opts
    do_dump = "--no-dump" not in opts
    tdir = os.path.join(work, "t")
    os.makedirs(tdir)
    env = dict(os.environ)
    env.pop("PYTHONHASHSEED", None)
    target = subprocess.Popen(cmd + ["-S", os.path.join(HERE, "live_target.py"), tdir],
                              stdin=subprocess.PIPE, env=env)
    try:
        man_path = os.path.join(tdir, "manifest.json")
        deadline = time.time() + 30
        while not os.path.exists(man_path):
            if target.poll() is not None or time.time() > deadline:
                bad("target did not start (exit %r)" % target.poll())
                return 1
            time.sleep(0.02)
        with open(man_path) as f:
            man = json.load(f)
        pid = man["pid"]
        if pid != target.pid:
            bad("target pid %d is not the started process %d" % (pid, target.pid))
        print("-- target pid %d: CPython %s, %d-bit, %d planted objects" % (
            pid, man["python_full"], man["ptr_size"] * 8, len(man["objects"])))
        try:
            with open("/proc/%d/mem" % pid, "rb") as f:
                f.seek(man["text_type"])
                f.read(8)
        except OSError as e:
            print("SKIP: cannot read /proc/%d/mem: %s" % (pid, e))
            return 77
        while counter(tdir) == 0:
            time.sleep(0.01)

        # Phase 1: the target keeps counting while carver scans it.
        live = os.path.join(work, "live.jsonl")
        sampler = Sampler(pid)
        sampler.start()
        time.sleep(0.05)
        c0 = counter(tdir)
        p, secs = run([carver, "scan", "--pid", str(pid), "--format", "jsonl", "-o", live,
                       "--no-progress", "-v"])
        c1 = counter(tdir)
        time.sleep(0.05)
        sampler.stop = True
        sampler.join()
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode != 0:
            bad("scan --pid exited %d: %s" % (p.returncode, err.strip()[-600:]))
            return 1
        ok("scan --pid %d: %.2f s, counter %d -> %d during the scan" % (pid, secs, c0, c1))
        if c1 <= c0:
            bad("the target's counter did not advance during the scan")
        stopped = sampler.states & set("tT")
        if stopped or sampler.n < 10:
            bad("target states seen: %s (%d samples)" % (sorted(sampler.states), sampler.n))
        else:
            ok("target never stopped: states %s in %d samples" % ("".join(sorted(sampler.states)),
                                                                 sampler.n))
        recs = records(live)
        meta = recs[0]
        check_planted("live scan", objects(recs), man)
        if meta.get("pid") != pid:
            bad("meta pid %r" % meta.get("pid"))
        if meta.get("str_type") != man["text_type"] or meta.get("bytes_type") != man["bytes_type"]:
            bad("meta types 0x%x/0x%x, target says 0x%x/0x%x" % (
                meta.get("str_type", 0), meta.get("bytes_type", 0), man["text_type"],
                man["bytes_type"]))
        print("-- meta: python %s, key from %s" % (meta.get("python_full") or meta.get("python"),
                                                   meta.get("hash_key_source")))
        if "interpreter file: " not in err or "none used" in err:
            bad("no interpreter file used: %s" % [l for l in err.splitlines() if "interpreter" in l])
        if man.get("hash_secret"):
            want = man["hash_secret"][:len(meta.get("hash_key") or "")]
            if meta.get("hash_key_source") != "dynsym" or meta.get("hash_key") != want:
                bad("hash key %s from %s; ctypes in the target read %s" % (
                    meta.get("hash_key"), meta.get("hash_key_source"), man["hash_secret"]))
            else:
                ok("hash key from .dynsym equals the target's _Py_HashSecret")

        p, _ = run([carver, "maps", "--pid", str(pid)])
        text = p.stdout.decode("utf-8", "replace")
        lines = dict(l.strip().split(": ", 1) for l in text.splitlines()
                     if l.startswith("  ") and ": " in l)
        tname, bname = ("unicode type", "str type") if man["python"] == "2.7" else ("str type", "bytes type")
        got = (lines.get("PyType_Type"), lines.get(tname), lines.get(bname))
        exp = tuple("0x%x" % v for v in (man["type_type"], man["text_type"], man["bytes_type"]))
        if p.returncode != 0 or got != exp:
            bad("maps --pid: types %s, expected %s (exit %d)" % (got, exp, p.returncode))
        else:
            ok("maps --pid: PyType_Type, %s, %s from .dynsym equal the target's ids" % (tname, bname))
        if man.get("hash_secret") and man["hash_secret"] not in lines.get("_Py_HashSecret", ""):
            bad("maps: _Py_HashSecret %r, target %s" % (lines.get("_Py_HashSecret"),
                                                        man["hash_secret"]))

        # Phase 2: quiescent target; every way of reading it gives the same objects.
        open(os.path.join(tdir, "pause"), "w").close()
        deadline = time.time() + 20
        while not os.path.exists(os.path.join(tdir, "paused")):
            if time.time() > deadline:
                bad("target did not pause")
                return 1
            time.sleep(0.01)
        time.sleep(0.1)
        ref = os.path.join(work, "quiet.jsonl")
        p, secs = run([carver, "scan", "pid:%d" % pid, "--format", "jsonl", "-o", ref])
        if p.returncode != 0:
            bad("scan pid:%d exited %d: %s" % (pid, p.returncode, p.stderr.decode()[-400:]))
            return 1
        ref_objs = objects(records(ref))
        ref_set = sorted(key(o) for o in ref_objs)
        check_planted("scan pid:%d (paused)" % pid, ref_objs, man)
        others = []
        if do_dump:
            ddir = os.path.join(work, "dump")
            p, dsecs = run([carver, "dump", "--pid", str(pid), "-o", ddir])
            if p.returncode != 0:
                bad("dump exited %d: %s" % (p.returncode, p.stderr.decode()[-400:]))
            else:
                n = len([f for f in os.listdir(ddir) if f.startswith("task.")])
                ok("dump --pid: %d files + maps in %.2f s" % (n, dsecs))
                others.append(("dump + scan", [carver, "scan", ddir]))
        if gcore:
            if not shutil.which("gcore"):
                print("-- gcore not installed: core check skipped")
            else:
                core = os.path.join(work, "core")
                p, gsecs = run(["gcore", "-o", core, str(pid)], timeout=120)
                path = "%s.%d" % (core, pid)
                if p.returncode != 0 or not os.path.exists(path):
                    bad("gcore failed (%d): %s" % (p.returncode, p.stderr.decode()[-300:]))
                else:
                    ok("gcore: %d MiB in %.1f s" % (os.path.getsize(path) >> 20, gsecs))
                    others.append(("gcore + scan core", [carver, "scan", path]))
        for name, args in others:
            out = os.path.join(work, name.split()[0] + ".jsonl")
            p, _ = run(args + ["--format", "jsonl", "-o", out])
            if p.returncode != 0:
                bad("%s exited %d: %s" % (name, p.returncode, p.stderr.decode()[-400:]))
                continue
            recs = records(out)
            got = sorted(key(o) for o in objects(recs))
            if got == ref_set:
                ok("%s: the same %d objects as the live scan (address, type, value, status, "
                   "hash check; key from %s)" % (name, len(got), recs[0].get("hash_key_source")))
            else:
                a, b = set(ref_set), set(got)
                bad("%s: %d objects vs %d live; %d only live, %d only here; e.g. %r" % (
                    name, len(got), len(ref_set), len(a - b), len(b - a),
                    (sorted(a - b) or sorted(b - a))[:1]))
            check_planted(name, objects(recs), man)
    finally:
        try:
            target.stdin.close()
        except OSError:
            pass
        try:
            target.wait(timeout=10)
        except subprocess.TimeoutExpired:
            target.kill()
            target.wait()
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
