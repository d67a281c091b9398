# SPDX-License-Identifier: MIT
"""One `carver creds` scenario on a real interpreter, for tests/cli/creds_*.sh.

Usage: $PYTHON3 creds_check.py CARVER WORKDIR LABEL MODE [--user U] [--password P]
                               [--expect-user U] [--expect-password P] -- LAUNCHER...

Starts LAUNCHER tests/cli/creds_target.py (e.g. `/usr/bin/python3`, or
`cpython-builds run 3.14`), has it send one request with credentials to its own 127.0.0.1
server in MODE (see creds_target.py), drop every reference and collect, then:

  live      `carver creds --pid PID --format jsonl` reports the credential;
  dump      `carver dump --pid PID -o WORKDIR/LABEL` and `carver creds WORKDIR/LABEL
            --format jsonl` report it;
  msgpack   the dump run with -o FILE.msgpack decodes to the same credential records;
  text      the text table shows it.
With --expect-url the dump must also hold a "url" credential with the same user and
password (credentials given as a URL's userinfo).

The credential is a Basic one (a bearer token for MODE bearer): user and password (the
expected ones when given) in a "credential" record with the right header. Prints ok/FAIL
lines and, for the record found, its status, count, confidence and evidence. Exit 0 when
every check passed, 1 when one failed, 77 when the scenario cannot run here (no ptrace
rights, requests missing, interpreter missing).
"""
import argparse
import json
import os
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import procdump  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
READY = b"CARVER-READY\n"
FAILS = []


def ok(msg):
    print("ok: " + msg)


def bad(msg):
    print("FAIL: " + msg)
    FAILS.append(msg)


def start(launcher, cfg):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "HOME": os.environ.get("HOME", "/root")}
    try:
        p = subprocess.Popen(launcher + [os.path.join(HERE, "creds_target.py")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    except OSError as e:
        print("SKIP: cannot start %s: %s" % (launcher, e))
        sys.exit(77)
    p.stdin.write(json.dumps(cfg).encode("ascii") + b"\n")
    p.stdin.flush()
    buf = b""
    deadline = time.time() + 90
    while READY not in buf:
        if time.time() > deadline or p.poll() is not None:
            break
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
    if READY not in buf:
        release(p)
        return p, None
    return p, json.loads(buf.split(b"\n", 1)[0].decode("ascii"))


def release(p):
    procdump.release(p, timeout=20)


def carver(args, timeout=120):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def records(out):
    recs = [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]
    return recs


def find(recs, scheme, user, secret):
    key = "token" if scheme == "bearer" else "password"
    for r in recs:
        if (r.get("record") == "credential" and r.get("scheme") == scheme
                and r.get("user") == user and r.get(key) == secret):
            return r
    return None


def describe(r):
    return "status %s (live %d, freed %d), count %d, confidence %s, found as %s%s" % (
        r["status"], r["live"], r["freed"], r["count"], r["confidence"], r["found_as"],
        ", request %r" % r["request"] if "request" in r else "")


def check_stream(name, recs, scheme, user, secret, header):
    if not recs or recs[0].get("record") != "meta" or recs[-1].get("record") != "summary":
        bad("%s: stream is not meta ... summary" % name)
        return None
    ncred = sum(1 for r in recs if r.get("record") == "credential")
    if recs[-1].get("credentials") != ncred:
        bad("%s: summary credentials %r, %d records" % (name, recs[-1].get("credentials"), ncred))
    if any(r.get("record") == "object" for r in recs):
        bad("%s: object records in a creds stream" % name)
    r = find(recs, scheme, user, secret)
    if r is None:
        got = ["%s %r:%r" % (c.get("scheme"), c.get("user"), c.get("password", c.get("token")))
               for c in recs if c.get("record") == "credential"]
        bad("%s: no %s credential %r / %r; got %s" % (name, scheme, user, secret, got or "none"))
        return None
    # Which remnant survives varies run to run: when only the bare base64 value (or only
    # the header value) outlived the request, the record rightly names no header.
    if header and r.get("header") not in (header, None):
        bad("%s: header %r, expected %r" % (name, r.get("header"), header))
        return None
    if len(r["addrs"]) != min(r["count"], 256) or r["addr"] not in r["addrs"]:
        bad("%s: addrs %r do not match count %d / addr %d" % (name, r["addrs"], r["count"], r["addr"]))
        return None
    ok("%s: %s %r / %r: %s" % (name, scheme, user, secret, describe(r)))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("carver")
    ap.add_argument("workdir")
    ap.add_argument("label")
    ap.add_argument("mode")
    ap.add_argument("--user", default="carver-user")
    ap.add_argument("--password")
    ap.add_argument("--expect-user")
    ap.add_argument("--expect-password")
    ap.add_argument("--expect-url", action="store_true",
                    help="also a url credential with the same user and password")
    ap.add_argument("launcher", nargs="+")
    a = ap.parse_args()
    tag = "%x" % (int(time.time() * 1000) & 0xffffff)
    password = a.password if a.password is not None else u"s3cr:%s:p\u00e4ss w\u00f6rd \u20ac" % tag
    user = a.user
    token = "tok-%s.abcdefghij_KLMNOP~012345" % tag
    cfg = {"mode": a.mode, "user": user, "password": password, "token": token}
    exp_user = a.expect_user if a.expect_user is not None else user
    exp_pw = a.expect_password if a.expect_password is not None else password
    scheme = "bearer" if a.mode == "bearer" else "basic"
    # url: requests builds the Basic header from the URL; only its value may survive
    header = {"proxy": "Proxy-Authorization", "url": None}.get(a.mode, "Authorization")
    if scheme == "bearer":
        exp_user, exp_pw = None, token

    os.makedirs(a.workdir, exist_ok=True)
    dump = os.path.join(a.workdir, a.label)
    p, res = start(a.launcher, cfg)
    if res is None:
        bad("%s: the target gave no READY (exit %r)" % (a.label, p.returncode))
        return 1
    try:
        if "skip" in res:
            print("SKIP: %s: %s" % (a.label, res["skip"]))
            return 77
        print("-- %s: python %s (ptr %d), mode %s, pid %d: HTTP %s, server saw the credentials: %s"
              % (a.label, res["python_full"], res["ptr_size"], a.mode, res["pid"], res["status"],
                 res["authorized"]))
        if not res["authorized"]:
            bad("%s: the request was not authorized" % a.label)
            return 1
        pid = str(res["pid"])
        q = carver([a.carver, "creds", "--pid", pid, "--format", "jsonl", "-q"])
        err = q.stderr.lower()
        if q.returncode == 3 and (b"ptrace" in err or b"permission" in err or b"not permitted" in err):
            print("SKIP: cannot read the process's memory: %s" % q.stderr.decode().strip())
            return 77
        if q.returncode != 0:
            bad("%s live: carver creds --pid exit %d: %s" % (a.label, q.returncode,
                                                             q.stderr.decode()[-300:]))
        else:
            check_stream("%s live" % a.label, records(q.stdout), scheme, exp_user, exp_pw, header)
        q = carver([a.carver, "dump", "--pid", pid, "-o", dump, "--force", "-q"])
        if q.returncode != 0:
            bad("%s: carver dump exit %d: %s" % (a.label, q.returncode, q.stderr.decode()[-300:]))
            return 1
    finally:
        release(p)

    q = carver([a.carver, "creds", dump, "--format", "jsonl", "-q"])
    if q.returncode != 0:
        bad("%s dump: carver creds exit %d: %s" % (a.label, q.returncode, q.stderr.decode()[-300:]))
        return 1
    recs = records(q.stdout)
    check_stream("%s dump" % a.label, recs, scheme, exp_user, exp_pw, header)
    if a.expect_url:
        check_stream("%s dump url" % a.label, recs, "url", exp_user, exp_pw, None)

    mp = os.path.join(a.workdir, a.label + ".msgpack")
    if os.path.exists(mp):
        os.unlink(mp)
    q = carver([a.carver, "creds", dump, "-o", mp, "-q"])
    try:
        import msgpack
        with open(mp, "rb") as f:
            mrecs = list(msgpack.Unpacker(f, raw=False))
        if [x for x in mrecs if x.get("record") == "credential"] == \
                [x for x in recs if x.get("record") == "credential"]:
            ok("%s msgpack: the same %d credential records as jsonl" % (
                a.label, sum(1 for x in recs if x.get("record") == "credential")))
        else:
            bad("%s msgpack: credential records differ from jsonl" % a.label)
    except ImportError:
        print("-- %s msgpack: python3-msgpack missing, not decoded" % a.label)

    q = carver([a.carver, "creds", dump, "--format", "text", "-q"])
    want = '"%s"' % exp_pw if scheme == "basic" else exp_pw
    text = q.stdout.decode("utf-8", "replace")
    if q.returncode == 0 and text.startswith("# carver") and want in text:
        ok("%s text: the table shows the %s" % (a.label, "password" if scheme == "basic" else "token"))
    else:
        bad("%s text: exit %d, %r not in the table" % (a.label, q.returncode, want))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
