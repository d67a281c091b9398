# SPDX-License-Identifier: MIT
"""Checks for hashseed.sh: carver's hash key from PYTHONHASHSEED, live and from a dump."""
import json
import os
import signal
import subprocess
import sys
import time

CARVER, WORK, TARGET = sys.argv[1:4]
SEED = 12345
FAILS = []
INTERPRETERS = [("system", ["/usr/bin/python3"])]
# Debian builds fetched by shared/tools/cpython-builds, when this machine has them.
CPB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                   "tools", "cpython-builds")
CACHE = os.environ.get("CPYTHON_BUILDS_CACHE", os.path.expanduser("~/.cache/cpython-builds"))
for name in ("3.14", "2.7", "i386-3.14"):
    if os.path.isfile(CPB) and os.path.isdir(os.path.join(CACHE, name)):
        INTERPRETERS.append((name, [CPB, "run", name]))


def lcg_key(seed, n):
    out, x = bytearray(), seed
    for _ in range(n):
        x = (x * 214013 + 2531011) & 0xFFFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        FAILS.append(msg)


def carve(args):
    p = subprocess.run([CARVER] + args + ["--format", "jsonl", "--no-progress"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    recs = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    return p.returncode, recs, p.stderr.decode("utf-8", "replace")


def one(label, argv):
    tdir = os.path.join(WORK, label)
    os.makedirs(tdir, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED=str(SEED))
    proc = subprocess.Popen(argv + [TARGET, tdir], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    try:
        man_path = os.path.join(tdir, "manifest.json")
        for _ in range(600):
            if os.path.exists(man_path):
                break
            time.sleep(0.05)
        man = json.load(open(man_path))
        pid = man["pid"]
        if not os.access("/proc/%d/mem" % pid, os.R_OK):
            return 77
        py2 = str(man.get("python", man.get("version", "3"))).startswith("2")
        nkey = (16 if man.get("ptr_size", 8) == 8 else 8) if py2 else 16
        want = lcg_key(SEED, 24 if not py2 else nkey)[:nkey].hex()
        secret = (man.get("hash_secret") or "")[:2 * nkey]
        check(not secret or secret == want, "%s: ctypes reads _Py_HashSecret %s, seed %d "
              "derives %s" % (label, secret or "(not read)", SEED, want))
        # live, key from /proc/PID/environ
        rc, recs, err = carve(["scan", "--pid", str(pid), "--no-symbols"])
        meta, summ = recs[0] if recs else {}, recs[-1] if recs else {}
        hc = summ.get("by_hash_check", {})
        check(rc == 0 and meta.get("hash_key_source") == "environ" and meta.get("hash_key") == want
              and hc.get("match", 0) > 100 and hc.get("unverified", 0) == 0,
              "%s live --no-symbols: exit %d, key %s from %s, hash checks %s" % (
                  label, rc, meta.get("hash_key"), meta.get("hash_key_source"), hc))
        # a dump, key from --hash-seed
        ddir = os.path.join(tdir, "dump")
        subprocess.run([CARVER, "dump", "--pid", str(pid), "-o", ddir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        rc, recs, err = carve(["scan", ddir, "--no-symbols", "--hash-seed", str(SEED)])
        meta, summ = recs[0] if recs else {}, recs[-1] if recs else {}
        hc = summ.get("by_hash_check", {})
        check(rc == 0 and meta.get("hash_key_source") == "seed" and meta.get("hash_key") == want
              and hc.get("match", 0) > 100 and "reproduces only" not in err,
              "%s dump --hash-seed %d: exit %d, key %s from %s, hash checks %s" % (
                  label, SEED, rc, meta.get("hash_key"), meta.get("hash_key_source"), hc))
        # the same dump with no option: the key from PYTHONHASHSEED among the environment
        # strings on its stack
        rc, recs, err = carve(["scan", ddir, "--no-symbols"])
        meta, summ = recs[0] if recs else {}, recs[-1] if recs else {}
        hc = summ.get("by_hash_check", {})
        check(rc == 0 and meta.get("hash_key_source") == "env-string"
              and meta.get("hash_key") == want and hc.get("match", 0) > 100,
              "%s dump, no option: exit %d, key %s from %s, hash checks %s" % (
                  label, rc, meta.get("hash_key"), meta.get("hash_key_source"), hc))
        # a wrong seed is reported, and verifies nothing
        rc, recs, err = carve(["scan", ddir, "--no-symbols", "--hash-seed", str(SEED + 1)])
        # (empty values hash to 0 under every key: they are the only ones left matching)
        nonempty = [r for r in recs if r.get("record") == "object" and r.get("length")
                    and r.get("hash_check") == "match"]
        check("reproduces only" in err and not nonempty,
              "%s dump --hash-seed %d (wrong): warned %s, %d non-empty objects verified" % (
                  label, SEED + 1, "reproduces only" in err, len(nonempty)))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return 0


for label, argv in INTERPRETERS:
    if one(label, argv) == 77:
        sys.exit(77)
print("%d failed" % len(FAILS))
sys.exit(1 if FAILS else 0)
