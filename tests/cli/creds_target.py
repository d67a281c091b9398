# SPDX-License-Identifier: MIT
"""A process that sent an HTTP request with credentials, for `carver creds` tests.

Runs unchanged on CPython 2.7 and 3.x.  Reads one JSON line from stdin:

  {"mode": M, "user": U, "password": P, "token": T, "plant": N}

(M may be a list of modes: one request after the other.)

starts a tiny HTTP server on 127.0.0.1 (a thread in this process, which serves at most a
few requests and gives up after a timeout), sends a request to it through the standard
library (or Debian's python3-requests) as mode M says, checks the server saw the
credentials, drops every reference to them, runs gc.collect(), then writes one JSON line
(the result) and "CARVER-READY" to stdout and blocks reading stdin until released.

Modes:
  handler   urllib.request (urllib2 on 2.7) with HTTPBasicAuthHandler: a 401 challenge,
            then the request with Authorization: Basic
  header    urllib.request / urllib2 Request with an Authorization: Basic header added by
            hand (base64 built by the script, as many programs do)
  client    http.client (httplib on 2.7) putheader("Authorization", "Basic ...")
  proxy     http.client through the server as an HTTP proxy, with Proxy-Authorization
  bearer    http.client with Authorization: Bearer TOKEN
  requests  python3-requests with auth=(U, P) (exit 77 when requests is missing)
  url       python3-requests with the credentials as the URL's userinfo (U and P as
            given: percent-encode what needs it)

The credentials never exist as code constants: they come from stdin, and the parsed
request is deleted before the collection.  With "plant": N the process also keeps N
marker objects live (hash computed), listed in the result as "live" records in the
manifest format of samples/README.md, so that a dump of it is also a scan sample.
"""
import base64
import gc
import json
import os
import sys
import threading

PY2 = sys.version_info[0] == 2
if PY2:
    import BaseHTTPServer as server_mod
    import httplib as client_mod
    import urllib2 as request_mod
else:
    import http.server as server_mod
    import http.client as client_mod
    import urllib.request as request_mod

TIMEOUT = 20
SEEN = []  # what the server saw: (path, authorization header or None)


class Handler(server_mod.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        auth = self.headers.get("Authorization") or self.headers.get("Proxy-Authorization")
        SEEN.append((self.path, auth))
        if auth is None and CHALLENGE[0]:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="carver"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


CHALLENGE = [False]


def serve(httpd, n):
    for _ in range(n):
        httpd.handle_request()


def b64(user, password):
    raw = user + ":" + password
    if not isinstance(raw, bytes):
        raw = raw.encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def run(cfg):
    mode = cfg["mode"]
    user, password = cfg.get("user", ""), cfg.get("password", "")
    if PY2:  # urllib2 and httplib want (UTF-8) str, not unicode
        user, password = user.encode("utf-8"), password.encode("utf-8")
    httpd = server_mod.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = TIMEOUT
    port = httpd.server_address[1]
    CHALLENGE[0] = mode == "handler"
    t = threading.Thread(target=serve, args=(httpd, 2 if mode == "handler" else 1))
    t.daemon = True
    t.start()
    base = "http://127.0.0.1:%d" % port
    path = "/carver/" + mode
    if mode == "handler":
        mgr = request_mod.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, base, user, password)
        opener = request_mod.build_opener(request_mod.HTTPBasicAuthHandler(mgr))
        r = opener.open(base + path, timeout=TIMEOUT)
        status = r.getcode()
        r.read()
        r.close()
        del mgr, opener, r
    elif mode == "header":
        req = request_mod.Request(base + path)
        req.add_header("Authorization", "Basic " + b64(user, password))
        opener = request_mod.build_opener()
        r = opener.open(req, timeout=TIMEOUT)
        status = r.getcode()
        r.read()
        r.close()
        del req, opener, r
    elif mode in ("client", "proxy", "bearer"):
        c = client_mod.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        if mode == "proxy":
            # an absolute URI, as a client sends to a proxy
            c.putrequest("GET", "http://198.51.100.7:8080" + path, skip_host=True)
            c.putheader("Host", "198.51.100.7:8080")
            c.putheader("Proxy-Authorization", "Basic " + b64(user, password))
        else:
            c.putrequest("GET", path)
            if mode == "bearer":
                c.putheader("Authorization", "Bearer " + cfg["token"])
            else:
                c.putheader("Authorization", "Basic " + b64(user, password))
        c.endheaders()
        r = c.getresponse()
        status = r.status
        r.read()
        c.close()
        del c, r
    elif mode in ("requests", "url"):
        try:
            import requests
        except ImportError:
            return {"skip": "requests is not installed"}
        s = requests.Session()
        if mode == "requests":
            r = s.get(base + path, auth=(user, password), timeout=TIMEOUT)
        else:
            url = "http://%s:%s@127.0.0.1:%d%s" % (user, password, port, path)
            r = s.get(url, timeout=TIMEOUT)
            del url
        status = r.status_code
        s.close()
        del s, r
    else:
        raise SystemExit("unknown mode %r" % mode)
    t.join(TIMEOUT)
    httpd.server_close()
    seen = list(SEEN)
    del SEEN[:]
    ok = status == 200 and any(a for _, a in seen)
    n_seen = len(seen)
    del seen
    return {"status": status, "authorized": ok, "requests_seen": n_seen, "port": port}


def plant(n):
    """Live marker objects (hash computed), in the manifest's OBJ format."""
    keep, recs = [], []
    for i in range(n):
        s = "CARVER-CREDS-LIVE-%04d-" % i + "x" * (i % 40)
        if PY2:
            s = s.encode("ascii")  # a 2.7 str
        keep.append(s)
        h = hash(s)
        raw = s if isinstance(s, bytes) else s.encode("utf-8")
        recs.append({"addr": id(s), "type": "str", "value_b64": base64.b64encode(raw).decode("ascii"),
                     "hash": h, "label": "creds-marker", "length": len(s)})
    return keep, recs


def main():
    line = sys.stdin.readline()
    cfg = json.loads(line)
    del line
    n_plant = int(cfg.get("plant", 0))
    modes = cfg["mode"] if isinstance(cfg["mode"], list) else [cfg["mode"]]
    result = {"runs": []}
    for mode in modes:  # several requests in a row, one server each
        cfg["mode"] = mode
        r = run(cfg)
        if "skip" in r:
            result = r
            break
        r["mode"] = mode
        result["runs"].append(r)
    if result.get("runs"):
        first = result["runs"][0]
        result["authorized"] = all(r["authorized"] for r in result["runs"])
        result["status"] = first["status"] if len(modes) == 1 else [r["status"] for r in result["runs"]]
    del cfg
    gc.collect()
    keep, recs = plant(n_plant)
    result.update({
        "pid": os.getpid(),
        "python": "%d.%d" % sys.version_info[:2],
        "python_full": sys.version.split()[0],
        "ptr_size": 8 if sys.maxsize > 2 ** 32 else 4,
        "str_type": id(unicode) if PY2 else id(str),  # noqa: F821 (2.7 only)
        "bytes_type": id(str) if PY2 else id(bytes),
        "executable": sys.executable,
        "live": recs,
        "freed": [],
    })
    out = json.dumps(result, sort_keys=True) + "\n"
    os.write(1, out.encode("ascii"))
    os.write(1, b"CARVER-READY\n")
    os.read(0, 1)
    del keep


if __name__ == "__main__":
    main()
