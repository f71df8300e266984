"""Shared pieces of the t/bench/ scripts (startup-scale, signin-cost, memory,
callgrind): a fast stub OpenID provider that answers for many issuers, a
blackhole listener, timed httpd starts, a scripted sign-in through the
harness IdP, and small helpers. Standard library plus what the integration
harness already needs (requests, and jwcrypto for signing ID tokens).
"""

import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "t" / "integration"))

import harness  # noqa: E402  (t/integration/harness.py)

LOOPBACK = harness.LOOPBACK
APACHE2 = harness.APACHE2
COOKIE_SECRET = harness.COOKIE_SECRET


def module_path():
    """The module under test: $RXA_MODULE, else build/.libs (as the tests)."""
    path = harness.module_path()
    if not path.is_file():
        sys.exit(f"{path}: the module is not built (set RXA_MODULE=/path/to/"
                 f"mod_reflex_auth.so)")
    return path


def workdir(prefix):
    """A fresh 0755 directory under $BENCH_TMPDIR (default /tmp)."""
    parent = os.environ.get("BENCH_TMPDIR", "/tmp")
    os.makedirs(parent, exist_ok=True)
    return harness.make_dir(prefix, parent=parent)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def median(values):
    return statistics.median(values) if values else float("nan")


def load_note():
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return f"{os.cpu_count()} CPUs, load average {load}"


# --------------------------------------------------------------------------
# A stub OpenID provider for many issuers


class StubProvider:
    """A threaded HTTP server that is N OpenID providers at once.

    Issuer n (0 <= n < issuers) is http://127.0.0.1:PORT/iss/n and serves
      /iss/n/.well-known/openid-configuration   (issuer equals its URL)
      /iss/n/jwks                                 (an RSA and an EC P-256 key)
      /iss/n/authorize   302 back to redirect_uri with a code, state and iss;
                         the token response for that code is made (and the
                         ID token signed) here, so /token itself is instant
      /iss/n/token       the prepared response for the code (POST)
      /iss/n/userinfo    {"sub": ...} (only listed when userinfo=True)
    It counts requests per path, records the largest number answered at the
    same time (concurrency) and how long each answer took, from accept (on
    a kept-alive connection: from the request) to its last byte; delay_ms makes every discovery and key-set answer wait first.
    """

    def __init__(self, issuers=1, delay_ms=0, userinfo=False, alg="RS256",
                 ttl=3600, host=LOOPBACK):
        from jwcrypto import jwk
        self.n = issuers
        self.delay = delay_ms / 1000.0
        self.userinfo = userinfo
        self.alg = alg
        self.ttl = ttl
        self.keys = {"RS256": jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-1",
                                               use="sig", alg="RS256"),
                     "ES256": jwk.JWK.generate(kty="EC", crv="P-256", kid="ec-1",
                                               use="sig", alg="ES256")}
        self.jwks = json.dumps({"keys": [k.export_public(as_dict=True)
                                         for k in self.keys.values()]}).encode()
        self.lock = threading.Lock()
        self.counts = {}
        self.inflight = 0
        self.max_inflight = 0
        self.first_at = None
        self.last_done_at = None
        self.handler_times = {}  # endpoint kind -> [seconds]
        self.codes = {}
        self.accepted = {}
        stub = self

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 1024  # 100 issuers connect at once
            daemon_threads = True

            def process_request(self, request, client_address):
                # the provider's time starts at accept, before its thread
                with stub.lock:
                    stub.accepted[request.fileno()] = time.perf_counter()
                super().process_request(request, client_address)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                stub._serve(self)

            do_POST = do_GET

        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def issuer(self, n=0):
        return f"{self.base}/iss/{n}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def reset(self):
        with self.lock:
            self.counts = {}
            self.max_inflight = 0
            self.first_at = self.last_done_at = None
            self.handler_times = {}

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def metadata(self, n):
        iss = self.issuer(n)
        md = {
            "issuer": iss,
            "authorization_endpoint": f"{iss}/authorize",
            "token_endpoint": f"{iss}/token",
            "jwks_uri": f"{iss}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.userinfo:
            md["userinfo_endpoint"] = f"{iss}/userinfo"
        return json.dumps(md).encode()

    def _token_response(self, n, q):
        from jwcrypto import jwt
        now = int(time.time())
        access_token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(access_token.encode()).digest()
        claims = {"iss": self.issuer(n), "sub": "bench-user",
                  "aud": q.get("client_id", "bench"), "exp": now + self.ttl,
                  "iat": now, "nonce": q.get("nonce"),
                  "at_hash": b64url(digest[:16]),
                  "email": "bench@example.test", "name": "Bench User"}
        tok = jwt.JWT(header={"alg": self.alg, "kid": self.keys[self.alg].kid},
                      claims=claims)
        tok.make_signed_token(self.keys[self.alg])
        return json.dumps({"access_token": access_token, "token_type": "Bearer",
                           "expires_in": self.ttl, "id_token": tok.serialize(),
                           "scope": q.get("scope", "openid")}).encode()

    def _serve(self, h):
        t0 = time.perf_counter()
        url = urllib.parse.urlsplit(h.path)
        m = re.fullmatch(r"/iss/(\d+)(/.*)", url.path)
        with self.lock:
            t0 = self.accepted.pop(h.connection.fileno(), t0)
            self.counts[url.path] = self.counts.get(url.path, 0) + 1
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            if self.first_at is None:
                self.first_at = time.monotonic()
        kind = m.group(2) if m else "other"
        try:
            length = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(length) if length else b""
            status, ctype, out, headers = 404, "text/plain", b"not found\n", {}
            n = int(m.group(1)) if m else -1
            if 0 <= n < self.n:
                if kind == "/.well-known/openid-configuration":
                    time.sleep(self.delay)
                    status, ctype, out = 200, "application/json", self.metadata(n)
                elif kind == "/jwks":
                    time.sleep(self.delay)
                    status, ctype, out = 200, "application/jwk-set+json", self.jwks
                elif kind == "/authorize":
                    q = dict(urllib.parse.parse_qsl(url.query))
                    code = secrets.token_urlsafe(24)
                    with self.lock:
                        self.codes[code] = self._token_response(n, q)
                    loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": q.get("state", ""),
                         "iss": self.issuer(n)})
                    status, out, headers = 302, b"", {"Location": loc}
                elif kind == "/token":
                    form = dict(urllib.parse.parse_qsl(body.decode()))
                    with self.lock:
                        out = self.codes.pop(form.get("code", ""), None)
                    if out is None:
                        status, ctype = 400, "application/json"
                        out = b'{"error":"invalid_grant"}'
                    else:
                        status, ctype = 200, "application/json"
                elif kind == "/userinfo" and self.userinfo:
                    status, ctype = 200, "application/json"
                    out = b'{"sub":"bench-user","email":"bench@example.test"}'
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(out)))
            h.send_header("Cache-Control", "no-store")
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(out)
            h.wfile.flush()
        finally:
            t1 = time.perf_counter()
            with self.lock:
                self.inflight -= 1
                self.last_done_at = time.monotonic()
                self.handler_times.setdefault(kind, []).append(t1 - t0)


class ClosedPort:
    """A port bound but not listening: connections are refused, and no
    other process can take the port meanwhile."""

    def __init__(self, host=LOOPBACK):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]

    def start(self):
        return self

    def stop(self):
        self.sock.close()


class Blackhole:
    """A port that accepts connections and never answers."""

    def __init__(self, host=LOOPBACK):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except socket.timeout:
                continue
            except OSError:
                break

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        for c in self.held:
            c.close()
        self.sock.close()


# --------------------------------------------------------------------------
# httpd


def http_get(port, path, host="localhost", headers=None, timeout=60.0):
    """One GET on a fresh connection: (status, headers dict, body)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        h = {"Host": host, "Accept": "text/html"}
        h.update(headers or {})
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def timed_start(httpd, probe_path="/", probe_host="localhost", timeout=60.0):
    """Start httpd (foreground) and time it: a dict with
    ready_log (s until AH00489 'resuming normal operations' is in error_log),
    answer (s until a GET of probe_path got a whole response) and status."""
    httpd.write_config()
    offset = httpd._log_size()
    t0 = time.monotonic()
    with open(httpd.console_log, "a") as console:
        httpd.proc = subprocess.Popen(
            [APACHE2, "-f", str(httpd.conf_file), "-D", "FOREGROUND"],
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            env=httpd.process_env(), cwd=httpd.root, start_new_session=True)
    result = {"ready_log": None, "answer": None, "status": None}

    def watch_log():
        while result["ready_log"] is None and time.monotonic() - t0 < timeout:
            if "AH00489" in httpd._log_since(offset):
                result["ready_log"] = time.monotonic() - t0
                return
            if httpd.proc.poll() is not None:
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch_log, daemon=True)
    watcher.start()
    while time.monotonic() - t0 < timeout:
        if httpd.proc.poll() is not None:
            raise harness.HarnessError(f"httpd exited with {httpd.proc.returncode}\n"
                                       f"{httpd.diagnostics()}")
        try:
            status, _h, _b = http_get(httpd.http_port, probe_path, probe_host,
                                      timeout=timeout)
            result["answer"] = time.monotonic() - t0
            result["status"] = status
            break
        except (ConnectionRefusedError, ConnectionResetError,
                http.client.RemoteDisconnected):
            time.sleep(0.002)
    watcher.join(timeout=timeout)
    if httpd.proc.poll() is not None:  # someone else's server on our port?
        raise harness.HarnessError(f"httpd exited with {httpd.proc.returncode}\n"
                                   f"{httpd.diagnostics()}")
    if result["answer"] is None:
        raise harness.HarnessError(f"httpd did not answer in {timeout} s\n"
                                   f"{httpd.diagnostics()}")
    return result


def timed_configtest(httpd):
    """Wall seconds of `apache2 -t` on httpd's config with its environment."""
    httpd.write_config()
    t0 = time.monotonic()
    res = subprocess.run([APACHE2, "-f", str(httpd.conf_file), "-t"],
                         capture_output=True, text=True, env=httpd.process_env(),
                         cwd=httpd.root, timeout=120, check=False)
    elapsed = time.monotonic() - t0
    if res.returncode != 0:
        raise harness.HarnessError(f"apache2 -t failed:\n{res.stdout}{res.stderr}")
    return elapsed


def children_of(pid):
    """PIDs whose parent is pid."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return sorted(kids)


def rss_kib(pid):
    """Resident set size of pid in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------
# A scripted sign-in through the harness IdP: the session cookies


MPM_FIXED = """
# a fixed set of worker processes: two children, never reaped or added
StartServers 2
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 1
MaxSpareThreads 50
MaxConnectionsPerChild 0
MaxKeepAliveRequests 0
"""


def sign_in_cookies(httpd, redirect_to="/p/"):
    """Sign in over https through the harness IdP; returns the Cookie header
    value with the four __Host-reflex_generic_* cookies (any number of
    chunks), to be sent as it is (also over plain http to localhost)."""
    s = harness.make_session()
    url = httpd.https_url("/login?provider=generic&redirect_to="
                          + urllib.parse.quote(redirect_to, safe=""))
    resp = harness.follow(s, url, headers={"Accept": "text/html"}, meta_refresh=False,
                          stop=lambda u: not u.startswith(httpd.https_url("/"))
                          and "127.0.0.1" not in u)
    if not any(h.url.startswith(httpd.https_url("/callback")) and h.status_code == 200
               for h in resp.hops):
        raise harness.HarnessError("sign-in did not reach a 200 callback: "
                                   + " ".join(f"{h.status_code} {h.url}" for h in resp.hops))
    jar = [(c.name, c.value) for c in s.cookies if c.name.startswith("__Host-reflex_")]
    if not jar:
        raise harness.HarnessError("no session cookies after sign-in")
    return "; ".join(f"{k}={v}" for k, v in jar)


SMALL_FILE = "x" * 511 + "\n"  # the small file served at /u/ and /p/
PROTECTED_CONF = """
# the same small file, unprotected at /u/ and protected at /p/
<Location /p>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


class SignedIn:
    """An httpd (http + https) with /u/small.txt open and /p/small.txt
    protected, the harness IdP (node oidc-provider) as its provider, and the
    Cookie header of one scripted sign-in (client: a harness client id,
    basic-rs256 or basic-es256, which sets the ID token's algorithm)."""

    def __init__(self, workdir, client="basic-rs256", extra_conf="",
                 log_level="notice", extra_modules=()):
        reason = harness.idp_prerequisites()
        if reason:
            sys.exit(f"the harness IdP cannot run: {reason} (t/install-deps)")
        self.dir = Path(workdir)
        self.tls = harness.TLSCert.create(harness.make_dir("tls-", parent=self.dir))
        self.httpd = harness.Httpd(harness.make_dir("httpd-", parent=self.dir),
                                   tls=self.tls, module=module_path(),
                                   log_level=log_level,
                                   extra_modules=extra_modules)
        for d in ("u", "p"):
            self.httpd.write_doc(f"{d}/small.txt", SMALL_FILE)
        self.idp = harness.IdP(harness.make_dir("idp-", parent=self.dir),
                               rp=self.httpd,
                               ttl={"AccessToken": 7200, "IdToken": 7200})
        self.client = client
        self.conf = PROTECTED_CONF + extra_conf
        self.cookie = None

    def start(self):
        self.idp.start()
        self.httpd.start(conf=self.conf, env=self.env())
        self.cookie = sign_in_cookies(self.httpd, "/p/small.txt")
        status, _h, body = http_get(self.httpd.http_port, "/p/small.txt",
                                    headers={"Cookie": self.cookie})
        if status != 200 or body.decode() != SMALL_FILE:
            raise harness.HarnessError(f"the protected file answered {status} "
                                       f"with the sign-in's cookies")
        return self

    def env(self):
        return {**self.idp.env(self.client), "OIDC_COOKIE_SECRET": COOKIE_SECRET}

    def url(self, path):
        return f"http://{LOOPBACK}:{self.httpd.http_port}{path}"

    def https_url(self, path):
        return f"https://{LOOPBACK}:{self.httpd.https_port}{path}"

    def stop(self):
        for f in (self.httpd.stop, self.idp.stop):
            try:
                f()
            except Exception as e:  # stop the other one too
                print(f"warning: {e}", file=sys.stderr)


def ab(url, n, concurrency=1, cookie=None, keepalive=True, timeout=600):
    """Run ApacheBench; returns a dict: complete, failed, non2xx, rps."""
    cmd = ["ab", "-q", "-n", str(n), "-c", str(concurrency), "-s", "60"]
    if keepalive:
        cmd.append("-k")
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(url)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                         check=False)
    out = res.stdout

    def num(pattern, default=0.0):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else default
    result = {"complete": int(num(r"Complete requests:\s+(\d+)")),
              "failed": int(num(r"Failed requests:\s+(\d+)")),
              "non2xx": int(num(r"Non-2xx responses:\s+(\d+)")),
              "rps": num(r"Requests per second:\s+([\d.]+)")}
    if res.returncode != 0 or result["complete"] != n:
        raise harness.HarnessError(f"ab failed ({res.returncode}): {' '.join(cmd[:-1])}"
                                   f"\n{out}\n{res.stderr}")
    return result


H2_CONF = """
# HTTP/2 over TLS, HTTP/1.1 still offered (load "http2" too)
Protocols h2 http/1.1
"""


def h2load(url, n=None, clients=1, streams=8, cookie=None, seconds=None,
           headers=(), timeout=600):
    """Run h2load (HTTP/2; -n N requests, or -D seconds); returns a dict:
    requests, succeeded, failed, errored, timeout, status_2xx, status_other
    (3xx+4xx+5xx), rps, seconds, protocol (what ALPN chose)."""
    cmd = ["h2load", "-c", str(clients), "-m", str(streams)]
    cmd += ["-D", str(seconds)] if seconds else ["-n", str(n)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                         check=False)
    out = res.stdout

    def nums(pattern):
        m = re.search(pattern, out)
        return [float(x) for x in m.groups()] if m else None
    req = nums(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
               r"(\d+) failed, (\d+) errored, (\d+) timeout")
    codes = nums(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
    m = re.search(r"finished in ([\d.]+)(ms|s), ([\d.]+) req/s", out)
    proto = re.search(r"Application protocol: (\S+)", out)
    if res.returncode != 0 or not req or not codes or not m:
        raise harness.HarnessError(f"h2load failed ({res.returncode}): "
                                   f"{' '.join(cmd[:-1])}\n{out}\n{res.stderr}")
    secs = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
    return {"requests": int(req[3] + req[4]), "succeeded": int(req[3]),
            "failed": int(req[4]), "errored": int(req[5]), "timeout": int(req[6]),
            "status_2xx": int(codes[0]), "status_other": int(sum(codes[1:])),
            "rps": float(m.group(3)), "seconds": secs,
            "protocol": proto.group(1) if proto else ""}


# --------------------------------------------------------------------------
# httpd -X under callgrind


def callgrind_total(path):
    """The Ir total of a callgrind dump file."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def callgrind_fn_costs(path, inclusive):
    """{function name: Ir} of a dump (callgrind_annotate); functions of
    stripped libraries are named ADDRESS in LIBRARY."""
    # --auto=no: no annotated source, whose lines would parse as functions
    cmd = ["callgrind_annotate", "--auto=no",
           f"--inclusive={'yes' if inclusive else 'no'}",
           "--threshold=100", str(path)]
    text = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([\d. %]+\)\s+)?(\S.*)$", line)
        if not m:
            continue
        obj = re.search(r"\s+\[(.*)\]$", m.group(2))
        name = re.sub(r"\s+\[.*\]$", "", m.group(2))
        name = name.split(":", 1)[1] if ":" in name else name
        if name.startswith("0x") and obj:
            name = f"{name} in {os.path.basename(obj.group(1))}"
        cost = int(m.group(1).replace(",", ""))
        out[name] = max(out.get(name, 0), cost)
    return out


def callgrind_run(httpd, outdir, drive, https=False, valgrind_args=()):
    """Run httpd -X (plain http; also its TLS vhost with https=True) under
    callgrind, call drive() once it
    answers (GET /u/small.txt: 200), stop it; returns (total Ir, dump path):
    the whole process from exec to exit (valgrind_args: more callgrind
    options, e.g. --toggle-collect=FUNCTION to count only inside it). callgrind_control cannot be used:
    httpd drops to www-data after valgrind made its vgdb FIFOs as root."""
    httpd.https = https
    conf = httpd.write_config(path=httpd.root / "callgrind.conf")
    (httpd.run_dir / "httpd.pid").unlink(missing_ok=True)
    rundir = Path(outdir) / f"run-{len(list(Path(outdir).glob('run-*')))}"
    rundir.mkdir()
    rundir.chmod(0o777)
    # valgrind creates the file as root at start, httpd -X writes it as
    # www-data at exit: make it first, writable by both
    dump = rundir / "cg.out"
    dump.touch()
    dump.chmod(0o666)
    proc = subprocess.Popen(
        ["nice", "-n", "10", "valgrind", "--tool=callgrind",
         f"--callgrind-out-file={dump}", "--dump-instr=no", "--vgdb=no",
         *valgrind_args, APACHE2, "-f", str(conf), "-X"],
        stdin=subprocess.DEVNULL, stdout=open(rundir / "valgrind.out", "w"),
        stderr=subprocess.STDOUT, env=httpd.process_env(), cwd=httpd.root,
        start_new_session=True)
    try:
        # -X logs no AH00489: ready when a request is answered
        deadline = time.monotonic() + 600
        while True:
            try:
                if http_get(httpd.http_port, "/u/small.txt")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise harness.HarnessError(
                    "httpd -X under valgrind did not start:\n"
                    + (rundir / "valgrind.out").read_text()[-3000:] + httpd.diagnostics())
            time.sleep(0.5)
        drive()
    finally:
        harness.stop_process(proc, timeout=120)
    return callgrind_total(dump), dump
