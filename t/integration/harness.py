"""Integration-test harness: a real httpd and a real OpenID provider on loopback.

Everything a test needs to drive mod_reflex_auth end to end, with the Python
standard library and requests only:

- IdP: the npm oidc-provider behind t/idp/server.mjs, on a free port.
- Liar: t/liar/liar.py, a provider that tells one lie per mode.
- Memcached, Redis: Debian's memcached and redis-server on free loopback
  ports, for the shared cache (ReflexAuthSharedCache), with dump().
- Httpd: Debian's apache2 with a generated httpd.conf in a fresh directory,
  on free ports (plain http, and https with the session's test certificate).
- The error-log policy: a test fails on any error_log line at warn level or
  above that it did not declare with Httpd.expect_log(), and always on crashes
  and sanitizer reports.
- Helpers for scripted browsing: follow() (redirects, the IdP's self-submitting
  forms, meta refresh), parse_forms()/submit_form(), pkce_pair(),
  ScriptedClient (a minimal RP, used to test the IdP itself), EchoBackend (an
  app behind mod_proxy that echoes what it received).

Use it through the fixtures in conftest.py (they stop what they started and
apply the log policy); the classes work on their own too.
"""

import base64
import hashlib
import html
import html.parser
import http.server
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import requests

try:
    import pytest
except ImportError:  # only for skip/fail; the harness works without it
    pytest = None

REPO = Path(__file__).resolve().parents[2]
IDP_DIR = REPO / "t" / "idp"
IDP_SERVER = IDP_DIR / "server.mjs"
NODE = os.environ.get("RXA_NODE") or shutil.which("node") or "/usr/bin/node"
APACHE2 = os.environ.get("RXA_APACHE2", "/usr/sbin/apache2")
MODULES_DIR = Path(os.environ.get("RXA_APACHE_MODULES", "/usr/lib/apache2/modules"))
DEFAULT_MODULE = REPO / "build" / ".libs" / "mod_reflex_auth.so"
MODULE_NAME = "reflex_auth_module"

LOOPBACK = "127.0.0.1"
# Names the test certificate is valid for and that resolve to 127.0.0.1 in
# the test process (see install_test_resolver); *.test is reserved (RFC 2606).
TEST_HOSTS = ("localhost", "127.0.0.1", "rp.test")



def env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "no", "false")


# RXA_SANITIZED=1: RXA_MODULE was built with --enable-sanitizers (ASan+UBSan)
# and httpd runs with the sanitizer runtime preloaded. RXA_VALGRIND=1: every
# httpd runs under valgrind, which is ~20 times slower, so the harness waits
# longer. See "Sanitizer and valgrind runs" below.
SANITIZED = env_flag("RXA_SANITIZED")
VALGRIND = env_flag("RXA_VALGRIND")
SLOWDOWN = 8 if VALGRIND else 2 if SANITIZED else 1  # ASan: about 2x slower

START_TIMEOUT = 30.0 * SLOWDOWN  # seconds for a process to become ready
STOP_TIMEOUT = 10.0 * SLOWDOWN  # seconds before SIGKILL
GRACEFUL_STOP_WAIT = 3.0 * SLOWDOWN  # seconds for children to stop gracefully
HTTP_TIMEOUT = 15.0 * SLOWDOWN  # default per-request timeout of test sessions
POLL = 0.02

# A cookie secret for tests (>= 32 bytes); any test may use its own.
COOKIE_SECRET = "rxa-test-cookie-secret-0123456789abcdef"

# Modules every test httpd loads; more through extra_modules=.
BASE_MODULES = (
    "mpm_event", "authz_core", "authn_core", "authz_user", "authz_host",
    "mime", "dir", "alias", "headers", "env", "setenvif",
)
TLS_MODULES = ("socache_shmcb", "ssl")


class HarnessError(AssertionError):
    """A process of the harness did not start, stop or answer as expected."""


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason):
    """Skip the current test because a prerequisite is missing; fail in CI."""
    if in_ci():
        msg = f"{reason} (CI is set, so this fails instead of skipping)"
        if pytest:
            pytest.fail(msg, pytrace=False)
        raise HarnessError(msg)
    if pytest:
        pytest.skip(reason)
    raise HarnessError(reason)


def make_dir(prefix, parent=None):
    """A fresh directory that www-data can traverse and read (mode 0755).

    httpd's children run as www-data, and pytest's own tmp_path lives under
    /tmp/pytest-of-root (0700), so test trees are made under /tmp instead
    (or $RXA_TMPDIR, which must be 0755 too: t/valgrind-run reads the logs
    there).
    """
    path = Path(tempfile.mkdtemp(prefix=prefix,
                                 dir=parent or os.environ.get("RXA_TMPDIR") or "/tmp"))
    path.chmod(0o755)
    return path


def write_file(path, text, mode=0o644):
    """Write text to path (parents created 0755) and set its mode."""
    path = Path(path)
    for parent in reversed(path.parents):
        if not parent.exists():
            parent.mkdir()
            parent.chmod(0o755)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    path.chmod(mode)
    return path


def build_shim(workdir, name, source):
    """Compile C source into workdir/<name>.so, a library for a test's
    LD_PRELOAD (a shim that makes a library call fail on demand); its path."""
    src, lib = Path(workdir) / f"{name}.c", Path(workdir) / f"{name}.so"
    src.write_text(source)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src), "-ldl"],
                   check=True, timeout=120)
    return lib


def tail(path, lines=40):
    """The last lines of a text file, or a note that it does not exist."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    text = "\n".join(data.splitlines()[-lines:])
    return text if text else f"({path} is empty)"


def _listen_port_range():
    """(low, high) of the ports free_ports() hands out: outside the kernel's
    ephemeral range, from which it takes the local port of every outgoing
    connection and of every bind to port 0 (the IdP's, a test's own
    server's). A port handed out here and bound a moment later by httpd or
    a cache cannot have been taken by one of those in between."""
    try:
        low, high = (int(x) for x in
                     Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    if low - 1 >= 12000:
        return 10000, low - 1
    if high + 1 <= 63535:
        return high + 1, 65535
    return None


_HANDED_OUT = set()  # ports free_ports() gave out in this process


def free_ports(count=1, host=LOOPBACK):
    """count distinct free TCP ports on host, none handed out before by this
    process, outside the kernel's ephemeral range (see _listen_port_range)."""
    span = _listen_port_range()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if span is None:  # no room outside the ephemeral range: ask the kernel
        socks = []
        try:
            for _ in range(count):
                s = socket.socket(family)
                s.bind((host, 0))
                socks.append(s)
            return [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
    if len(_HANDED_OUT) > (span[1] - span[0]) // 2:
        _HANDED_OUT.clear()
    rng = random.SystemRandom()
    ports = []
    for _ in range(1000 * count):
        if len(ports) == count:
            break
        port = rng.randint(*span)
        if port in _HANDED_OUT:
            continue
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        ports.append(port)
    if len(ports) < count:
        raise HarnessError(f"no {count} free ports in {span[0]}-{span[1]}")
    return ports


def free_port(host=LOOPBACK):
    return free_ports(1, host)[0]


def port_open(port, host=LOOPBACK, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, what, diagnose=None):
    """Poll predicate until it returns a true value, which is returned.

    Raises HarnessError naming what was awaited (plus diagnose()) on timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{diagnose()}" if diagnose else ""
            raise HarnessError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(POLL)


def live_processes():
    """(pid, stat fields after "pid (comm) ") of every live, not zombie,
    process (Linux /proc/PID/stat: [0] state, [1] ppid, [2] process
    group, [17] threads)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            yield int(entry), fields


def group_members(pgid):
    """Live (not zombie) processes in process group pgid (Linux /proc)."""
    return [pid for pid, fields in live_processes() if int(fields[2]) == pgid]


def threaded_children(parent):
    """Live children of parent that run more than one thread: an httpd's
    MPM children (mod_cgid's daemon and piped loggers have one thread)."""
    return [pid for pid, fields in live_processes()
            if int(fields[1]) == parent and int(fields[17]) > 1]


def stop_process(proc, timeout=STOP_TIMEOUT, sig=signal.SIGTERM):
    """Signal a process we started (its own process group) and reap it.

    SIGKILL to the whole group after timeout, so no child outlives a test.
    Returns the exit status.
    """
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    # The leader is gone; children left in its group (httpd workers, cgid)
    # get a short grace period, then SIGKILL.
    try:
        wait_until(lambda: not group_members(proc.pid), timeout, "the process group to exit")
    except HarnessError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_until(lambda: not group_members(proc.pid), timeout,
                   f"process group {proc.pid} to die after SIGKILL")
    return proc.returncode


def stop_owned(server, what, timeout=STOP_TIMEOUT):
    """Stop server.proc (stop_process) and forget it; HarnessError naming
    WHAT (with server.diagnostics()) if it had exited by itself."""
    crashed = server.proc is not None and server.proc.poll() is not None
    rc = stop_process(server.proc, timeout)
    server.proc = None
    if crashed:
        raise HarnessError(f"{what} exited by itself with status {rc}\n"
                           f"{server.diagnostics()}")
    return rc


# --------------------------------------------------------------------------
# Name resolution for test host names


_real_getaddrinfo = socket.getaddrinfo


def _test_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        name = host.decode("ascii", "replace")
    else:
        name = host
    if isinstance(name, str) and (name == "test" or name.endswith(".test")):
        host = LOOPBACK
    return _real_getaddrinfo(host, *args, **kwargs)


def install_test_resolver():
    """Resolve every *.test name to 127.0.0.1 in this process.

    Lets requests talk to https://rp.test:PORT/ with real Host, SNI and
    cookie domains, without /etc/hosts. Idempotent.
    """
    socket.getaddrinfo = _test_getaddrinfo


def uninstall_test_resolver():
    socket.getaddrinfo = _real_getaddrinfo


# --------------------------------------------------------------------------
# TLS material


class TLSCert:
    """A test CA and a server certificate it signed.

    The server certificate is valid for localhost, 127.0.0.1, ::1, rp.test and
    *.rp.test. Tests that want verification use ca_file (requests'
    verify=, ReflexAuthCAFile); browsers ignore certificate errors.
    """

    def __init__(self, directory):
        self.dir = Path(directory)
        self.ca_file = self.dir / "ca.crt"
        self.ca_key = self.dir / "ca.key"
        self.cert_file = self.dir / "server.crt"
        self.key_file = self.dir / "server.key"

    @classmethod
    def create(cls, directory=None):
        directory = Path(directory) if directory else make_dir("rxa-tls-")
        tls = cls(directory)
        if not shutil.which("openssl"):
            unavailable("the openssl command is not installed")
        ext = write_file(directory / "server.ext", "\n".join([
            "basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature, keyEncipherment",
            "extendedKeyUsage = serverAuth",
            "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1, "
            "DNS:rp.test, DNS:*.rp.test",
            "",
        ]))
        csr = directory / "server.csr"
        steps = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", tls.ca_key, "-out", tls.ca_file, "-days", "30",
             "-subj", "/CN=mod_reflex_auth test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes",
             "-keyout", tls.key_file, "-out", csr, "-subj", "/CN=localhost"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", tls.ca_file,
             "-CAkey", tls.ca_key, "-CAcreateserial", "-out", tls.cert_file,
             "-days", "30", "-sha256", "-extfile", ext],
        ]
        for cmd in steps:
            res = subprocess.run([str(c) for c in cmd], capture_output=True,
                                 text=True, timeout=60, check=False)
            if res.returncode != 0:
                raise HarnessError(f"openssl failed: {' '.join(map(str, cmd))}\n"
                                   f"{res.stdout}{res.stderr}")
        for f in (tls.ca_file, tls.cert_file):
            f.chmod(0o644)
        for f in (tls.ca_key, tls.key_file):
            f.chmod(0o600)
        return tls


# --------------------------------------------------------------------------
# The OpenID provider


def idp_prerequisites():
    """None when the IdP can run, else the reason it cannot."""
    if not (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        return f"{IDP_DIR}/node_modules is missing: run 'npm ci --prefix {IDP_DIR}'"
    if not Path(NODE).exists() and not shutil.which(NODE):
        return f"node ({NODE}) is not installed"
    return None


def make_client(client_id, auth="client_secret_basic", alg="RS256",
                redirect_uris=(), post_logout_redirect_uris=(), secret=None,
                **metadata):
    """Client metadata for the IdP config (secret made up unless given)."""
    client = {
        "client_id": client_id,
        "token_endpoint_auth_method": auth,
        "id_token_signed_response_alg": alg,
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(post_logout_redirect_uris),
        **metadata,
    }
    if auth != "none":
        client["client_secret"] = secret or f"{client_id}-{secrets.token_hex(16)}"
    return client


# id -> (token_endpoint_auth_method, id_token_signed_response_alg)
STANDARD_CLIENTS = {
    "basic-rs256": ("client_secret_basic", "RS256"),
    "basic-es256": ("client_secret_basic", "ES256"),
    "post-rs256": ("client_secret_post", "RS256"),
    "post-es256": ("client_secret_post", "ES256"),
    "public-rs256": ("none", "RS256"),
    "public-es256": ("none", "ES256"),
}


def standard_clients(redirect_uris, post_logout_redirect_uris=()):
    """One client per entry of STANDARD_CLIENTS, all with the same URIs."""
    return [make_client(cid, auth, alg, redirect_uris, post_logout_redirect_uris)
            for cid, (auth, alg) in STANDARD_CLIENTS.items()]


class IdP:
    """The test OpenID provider (t/idp/server.mjs) in a process of its own.

    IdP(workdir, rp=httpd) registers STANDARD_CLIENTS with every callback URL
    and origin of that Httpd; or pass clients= (see make_client) or
    redirect_uris=. Other keyword arguments go into the JSON config as they
    are (see DEFAULTS in server.mjs):
      auto_login: "alice" (default) logs in without a page; None shows the
        interactive login page (any name logs in); a login_hint naming an
        account always wins. Accounts: alice (groups admins, staff), bob
        (staff), carol (no groups); accounts= adds or changes some.
      auto_logout: True (default) makes the logout confirmation page submit
        itself (follow() and browsers go straight through).
      ttl: {"AccessToken": 60, "IdToken": 60, "RefreshToken": ...} seconds.
      claims_in_id_token (default True), client_auth_methods,
      strict_client_auth (default True), id_token_signing_algs, key_types
      (["RSA", "EC"], add "OKP" for EdDSA), tls ({"cert", "key"} files:
      https issuer), issuer (a template such as "http://localhost:{port}/").

    The port is chosen at the first start and kept by restart(), so the
    issuer stays the same; keys live in workdir/jwks.json and survive
    restarts unless restart(new_keys="replace"|"prepend"). While running,
    settings(), requests_log() and add_fault() reach the IdP's /__test/
    endpoints.
    """

    def __init__(self, workdir, *, rp=None, clients=None, redirect_uris=None,
                 post_logout_redirect_uris=None, port=0, host=LOOPBACK,
                 auto_login="alice", auto_logout=True, **config):
        self.dir = Path(workdir)
        if clients is None:
            if rp is not None:
                redirect_uris = redirect_uris or rp.redirect_uris()
                post_logout_redirect_uris = (post_logout_redirect_uris
                                             or rp.post_logout_redirect_uris())
            clients = standard_clients(redirect_uris or [f"http://{LOOPBACK}/callback"],
                                       post_logout_redirect_uris or ())
        self.config = {
            "host": host,
            "port": port,
            "clients": clients,
            "jwks_file": str(self.dir / "jwks.json"),
            "state_file": str(self.dir / "state.json"),
            "auto_login": auto_login,
            "auto_logout": auto_logout,
            **config,
        }
        self.config_file = self.dir / "idp.json"
        self.stdout_file = self.dir / "idp.stdout"
        self.stderr_file = self.dir / "idp.stderr"
        self.proc = None
        self.issuer = None
        self.port = None
        self._discovery = None

    # -- process -----------------------------------------------------------

    def start(self, timeout=START_TIMEOUT):
        reason = idp_prerequisites()
        if reason:
            unavailable(reason)
        if self.running:
            raise HarnessError("IdP already running")
        config = dict(self.config)
        if self.port:
            config["port"] = self.port
        self.state_file.unlink(missing_ok=True)
        write_file(self.config_file, json.dumps(config, indent=2), 0o600)
        with open(self.stdout_file, "w") as out, open(self.stderr_file, "a") as err:
            err.write(f"--- start {time.strftime('%H:%M:%S')}\n")
            err.flush()
            self.proc = subprocess.Popen(
                [NODE, str(IDP_SERVER), str(self.config_file)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=IDP_DIR, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise HarnessError(f"the IdP exited with status {self.proc.returncode} "
                                   f"before it was ready\n{self.diagnostics()}")
            for line in self.stdout_file.read_text().splitlines():
                if line.startswith("READY "):
                    return line[6:].strip()
            return None

        try:
            issuer = wait_until(ready, timeout, "the IdP's READY line", self.diagnostics)
        except BaseException:
            stop_process(self.proc)
            self.proc = None
            raise
        state = json.loads(self.state_file.read_text())
        self.issuer = issuer
        self.port = state["port"]
        self._discovery = None
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop the IdP; HarnessError if it had exited by itself."""
        return stop_owned(self, "the IdP", timeout)

    def restart(self, new_keys=None, timeout=START_TIMEOUT, **config):
        """Stop and start again on the same port (same issuer).

        new_keys: None keeps the signing keys, "replace" makes new ones,
        "prepend" makes new ones that sign while the old stay published.
        Other keyword arguments change the config (e.g. ttl=...).
        """
        self.stop()
        self.config.update(config)
        self.config["new_keys"] = new_keys
        try:
            return self.start(timeout)
        finally:
            self.config["new_keys"] = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def state_file(self):
        return Path(self.config["state_file"])

    def diagnostics(self, lines=40):
        return (f"--- IdP stderr ({self.stderr_file}), last {lines} lines:\n"
                f"{tail(self.stderr_file, lines)}\n"
                f"--- IdP stdout:\n{tail(self.stdout_file, 5)}")

    def stderr_text(self):
        try:
            return self.stderr_file.read_text()
        except FileNotFoundError:
            return ""

    # -- what the IdP publishes ---------------------------------------------

    def url(self, path="/"):
        return urllib.parse.urljoin(self.issuer.rstrip("/") + "/", path.lstrip("/"))

    def _get(self, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("verify", False)
        return requests.get(self.url(path), **kw)

    def discovery(self, refresh=False):
        if self._discovery is None or refresh:
            r = self._get("/.well-known/openid-configuration")
            r.raise_for_status()
            self._discovery = r.json()
        return self._discovery

    def endpoint(self, name):
        """A discovery entry, e.g. endpoint("token") -> token_endpoint."""
        doc = self.discovery()
        return doc.get(f"{name}_endpoint") or doc[name]

    def jwks(self):
        r = requests.get(self.discovery()["jwks_uri"], timeout=HTTP_TIMEOUT, verify=False)
        r.raise_for_status()
        return r.json()

    def private_jwks(self):
        """The signing keys with their private parts (for forging tokens)."""
        return json.loads(Path(self.config["jwks_file"]).read_text())

    def client(self, client_id):
        for c in self.config["clients"]:
            if c["client_id"] == client_id:
                return c
        raise KeyError(f"no client {client_id!r} in this IdP's config")

    def env(self, client_id="basic-rs256", prefix="OIDC"):
        """httpd environment for a provider using this IdP and client:
        {PREFIX_ISSUER_URI, PREFIX_CLIENT_ID[, PREFIX_CLIENT_SECRET]}."""
        c = self.client(client_id)
        env = {f"{prefix}_ISSUER_URI": self.issuer, f"{prefix}_CLIENT_ID": c["client_id"]}
        if c.get("client_secret"):
            env[f"{prefix}_CLIENT_SECRET"] = c["client_secret"]
        return env

    # -- test control endpoints (see server.mjs) ----------------------------

    def _control(self, method, path, payload=None):
        r = requests.request(method, self.url(f"/__test/{path}"), json=payload,
                             timeout=HTTP_TIMEOUT, verify=False)
        r.raise_for_status()
        return r.json()

    def settings(self, **changes):
        """Change auto_login, honour_login_hint, auto_logout, ttl (merged),
        accounts (merged; a None value removes one) while running."""
        return self._control("POST", "settings", changes)

    def set_auto_login(self, account):
        return self.settings(auto_login=account)

    def requests_log(self, path=None):
        """Requests the IdP served: dicts with method, path, query (as sent),
        form (POST body), params, client_id, authorization (scheme), status."""
        entries = self._control("GET", "requests")
        return [e for e in entries if path is None or e["path"] == path]

    def clear_requests(self):
        self._control("DELETE", "requests")

    def add_fault(self, path, **rule):
        """Misbehave on path ("/token", or "re:REGEX"): status=, json= or
        body=, content_type=, headers=, delay_ms=, drop=True (close the
        connection), method=, times= (then the rule is gone)."""
        return self._control("POST", "faults", {"path": path, **rule})

    def clear_faults(self):
        self._control("DELETE", "faults")


# --------------------------------------------------------------------------
# The lying provider

LIAR_SERVER = REPO / "t" / "liar" / "liar.py"
LIAR_PYTHON = "/usr/bin/python3"  # Debian's, with python3-jwcrypto
LIAR_CLIENT_ID = "liar-client"
LIAR_CLIENT_SECRET = "liar-client-secret-0123456789abcdef"


class Liar:
    """t/liar/liar.py, an OpenID provider that tells one lie per mode, in a
    process of its own (same conventions as IdP: own process group, stopped
    at teardown by the liar_factory fixture).

    Every mode is its own issuer, issuer(mode) = url("/<mode>"), so one
    httpd can hold a provider per mode (provider_line(mode)); the bare
    issuer issuer() lies as the current mode (mode= at start, set_mode()).
    modes() lists them; "honest" tells no lie. Its keys live in keys_file
    (default workdir/keys.json; made at the first start): pass another
    liar's keys_file to skip making RSA keys again.
    """

    def __init__(self, workdir, *, mode="honest", client_id=LIAR_CLIENT_ID,
                 client_secret=LIAR_CLIENT_SECRET, slow_seconds=10.0,
                 port=0, host=LOOPBACK, keys_file=None):
        self.dir = Path(workdir)
        self.mode = mode
        self.client_id = client_id
        self.client_secret = client_secret
        self.slow_seconds = slow_seconds
        self.host = host
        self.port = port or None
        self.state_file = self.dir / "liar.json"
        self.stdout_file = self.dir / "liar.stdout"
        self.stderr_file = self.dir / "liar.stderr"
        self.keys_file = Path(keys_file) if keys_file else self.dir / "keys.json"
        self.proc = None
        self.base = None

    def start(self, timeout=START_TIMEOUT):
        if not Path(LIAR_PYTHON).exists():
            unavailable(f"{LIAR_PYTHON} is not installed")
        if self.running:
            raise HarnessError("liar already running")
        self.state_file.unlink(missing_ok=True)
        cmd = [LIAR_PYTHON, str(LIAR_SERVER), "--host", self.host,
               "--port", str(self.port or 0), "--mode", self.mode,
               "--client-id", self.client_id, "--client-secret", self.client_secret or "",
               "--slow-seconds", str(self.slow_seconds), "--state-file", str(self.state_file),
               "--keys-file", str(self.keys_file)]
        with open(self.stdout_file, "w") as out, open(self.stderr_file, "a") as err:
            err.write(f"--- start {time.strftime('%H:%M:%S')}\n")
            err.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=self.dir, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                if "No module named" in self.stderr_text():
                    unavailable(f"the liar cannot run: {self.stderr_text().strip()[-200:]}")
                raise HarnessError(f"the liar exited with status {self.proc.returncode} "
                                   f"before it was ready\n{self.diagnostics()}")
            for line in self.stdout_file.read_text().splitlines():
                if line.startswith("READY "):
                    return line[6:].strip()
            return None

        try:
            self.base = wait_until(ready, timeout, "the liar's READY line", self.diagnostics)
        except BaseException:
            stop_process(self.proc)
            self.proc = None
            raise
        self.port = json.loads(self.state_file.read_text())["port"]
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop the liar; HarnessError if it had exited by itself."""
        return stop_owned(self, "the liar", timeout)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def diagnostics(self, lines=40):
        return (f"--- liar stderr ({self.stderr_file}), last {lines} lines:\n"
                f"{tail(self.stderr_file, lines)}")

    def stderr_text(self):
        try:
            return self.stderr_file.read_text()
        except FileNotFoundError:
            return ""

    def url(self, path="/"):
        return self.base + "/" + path.lstrip("/")

    def issuer(self, mode=None):
        """The issuer that lies as MODE; None: the current mode's."""
        return self.base if mode is None else f"{self.base}/{mode}"

    def env(self, mode=None, prefix="OIDC"):
        """httpd environment for a provider using this liar in MODE."""
        env = {f"{prefix}_ISSUER_URI": self.issuer(mode),
               f"{prefix}_CLIENT_ID": self.client_id}
        if self.client_secret:
            env[f"{prefix}_CLIENT_SECRET"] = self.client_secret
        return env

    def provider_line(self, mode, name=None):
        """A ReflexAuthProvider line (named after the mode by default)."""
        line = (f"ReflexAuthProvider {name or mode} issuer={self.issuer(mode)} "
                f"client_id={self.client_id}")
        if self.client_secret:
            line += f" client_secret={self.client_secret}"
        return line

    def _control(self, method, path, payload=None):
        r = requests.request(method, self.url(f"/__liar/{path}"), json=payload,
                             timeout=HTTP_TIMEOUT)
        r.raise_for_status()
        return r.json()

    def modes(self):
        return list(self._control("GET", "modes"))

    def set_mode(self, mode):
        """Change the lie of the bare issuer (issuer() without a mode)."""
        self.mode = self._control("POST", "mode", {"mode": mode})["mode"]
        return self.mode

    def requests_log(self, endpoint=None, mode=None):
        """What the liar served: dicts with method, mode, endpoint, status,
        form_keys / query_keys, authorization (scheme only)."""
        return [e for e in self._control("GET", "requests")
                if (endpoint is None or e["endpoint"] == endpoint)
                and (mode is None or e["mode"] == mode)]

    def clear_requests(self):
        self._control("DELETE", "requests")


# --------------------------------------------------------------------------
# Cache servers: memcached and Redis for the shared cache

MEMCACHED = os.environ.get("RXA_MEMCACHED", "/usr/bin/memcached")
REDIS_SERVER = os.environ.get("RXA_REDIS_SERVER", "/usr/bin/redis-server")


class _CacheServer:
    """A cache server we start on a free loopback port in a directory of its
    own (own process group, like IdP and Liar; stopped at teardown by the
    memcached/redis fixtures).

    spec: the ReflexAuthSharedCache argument that names it. stop() ends it
    (SIGTERM), kill() with SIGKILL, pause()/resume() freeze and thaw it
    (SIGSTOP/SIGCONT: connections stay open and nothing answers),
    restart() starts it again empty on the same port. dump() lists
    (key, value bytes) of everything stored; command() sends one request.
    """

    name = "cache server"
    binary = None
    scheme = None

    def __init__(self, workdir=None, *, port=0, host=LOOPBACK):
        self.dir = Path(workdir) if workdir else make_dir(f"rxa-{self.scheme}-")
        self.host = host
        self.port = port or free_port(host)
        self.log_file = self.dir / f"{self.scheme}.log"
        self.proc = None
        self.paused = False

    def command_line(self):
        raise NotImplementedError

    @property
    def spec(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}:{host}:{self.port}"

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=START_TIMEOUT):
        if not Path(self.binary).exists():
            unavailable(f"{self.binary} is not installed")
        if self.running:
            raise HarnessError(f"{self.name} already running")
        with open(self.log_file, "a") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')}\n")
            log.flush()
            self.proc = subprocess.Popen(
                self.command_line(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        self.paused = False

        def ready():
            if self.proc.poll() is not None:
                raise HarnessError(f"{self.name} exited with status "
                                   f"{self.proc.returncode} before it was ready\n"
                                   f"{self.diagnostics()}")
            try:
                return self._ping()
            except OSError:
                return False

        try:
            wait_until(ready, timeout, f"{self.name} on port {self.port}", self.diagnostics)
        except BaseException:
            stop_process(self.proc)
            self.proc = None
            raise
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop it (SIGTERM); HarnessError if it had exited by itself."""
        self.resume()
        return stop_owned(self, self.name, timeout)

    def kill(self):
        """SIGKILL: gone at once, connections reset."""
        if self.proc is not None:
            stop_process(self.proc, sig=signal.SIGKILL)
        self.proc = None
        self.paused = False

    def pause(self):
        """SIGSTOP: the port stays open and nothing answers."""
        if not self.running:
            raise HarnessError(f"{self.name} is not running")
        os.killpg(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.running and self.paused:
            os.killpg(self.proc.pid, signal.SIGCONT)
        self.paused = False

    def restart(self, timeout=START_TIMEOUT):
        """Stop (if running) and start again, empty, on the same port."""
        if self.running:
            self.stop()
        return self.start(timeout)

    def diagnostics(self, lines=40):
        return (f"--- {self.name} log ({self.log_file}), last {lines} lines:\n"
                f"{tail(self.log_file, lines)}")

    def _connect(self, timeout=2.0):
        return socket.create_connection((self.host, self.port), timeout=timeout)

    @staticmethod
    def _read_line(f):
        line = f.readline()  # memcached's metadump ends lines in \n alone
        if not line.endswith(b"\n"):
            raise HarnessError(f"truncated reply: {line!r}")
        return line.rstrip(b"\r\n")


class Memcached(_CacheServer):
    """/usr/bin/memcached (-U 0: no UDP). command() speaks its text
    protocol: command("get", key) -> the reply lines."""

    name = "memcached"
    binary = MEMCACHED
    scheme = "memcache"

    def command_line(self):
        cmd = [self.binary, "-l", self.host, "-p", str(self.port), "-U", "0",
               "-t", "2", "-m", "64"]
        if os.geteuid() == 0:
            cmd += ["-u", "root"]
        return cmd

    def _ping(self):
        return self.command("version")[0].startswith(b"VERSION")

    def command(self, *words, data=None):
        """One request; the reply lines up to END/STORED/... (bytes).
        data: the data block of a storage command (set/add)."""
        with self._connect() as s, s.makefile("rb") as f:
            request = " ".join(str(w) for w in words).encode() + b"\r\n"
            if data is not None:
                request += bytes(data) + b"\r\n"
            s.sendall(request)
            multi = words[0] in ("get", "gets", "lru_crawler", "stats")
            lines = []
            while True:
                line = self._read_line(f)
                lines.append(line)
                if line.startswith(b"VALUE "):
                    lines.append(f.read(int(line.split()[3]) + 2)[:-2])
                elif not multi or line == b"END" or line.startswith(
                        (b"ERROR", b"CLIENT_ERROR", b"SERVER_ERROR", b"BUSY")):
                    return lines

    def get(self, key):
        """KEY's value (bytes) or None."""
        lines = self.command("get", key)
        return lines[1] if lines[0].startswith(b"VALUE ") else None

    def set(self, key, value, ttl=0):
        value = value.encode() if isinstance(value, str) else value
        reply = self.command("set", key, 0, ttl, len(value), data=value)
        if reply != [b"STORED"]:
            raise HarnessError(f"memcached set {key}: {reply!r}")

    def keys(self):
        """Every key stored (lru_crawler metadump all; keys URL-encoded).

        A metadump is a live walk of the LRUs, not a snapshot: an item that
        moves between the segments while the walk passes may be missed. So
        the walk is repeated until one finds no key the others had not."""
        def metadump():  # None while the crawler is busy with another run
            reply = self.command("lru_crawler", "metadump", "all")
            return None if reply[-1].startswith(b"BUSY") else reply

        seen = {}
        for walk in range(5):
            lines = wait_until(metadump, STOP_TIMEOUT, "memcached's LRU crawler")
            found = [urllib.parse.unquote(line.split()[0][4:].decode())
                     for line in lines if line.startswith(b"key=")]
            new = [k for k in found if k not in seen]
            seen.update(dict.fromkeys(found))
            if walk and not new:
                break
        return list(seen)

    def dump(self):
        """[(key, value bytes)] of everything stored, sorted by key."""
        result = []
        for key in self.keys():
            value = self.get(key)
            if value is not None:  # expired or evicted since the metadump
                result.append((key, value))
        return sorted(result)


class Redis(_CacheServer):
    """/usr/bin/redis-server with no persistence (--save '' --appendonly
    no). command() speaks RESP: command("GET", key) -> the decoded reply
    (bytes, int, list, None; an error reply raises HarnessError)."""

    name = "redis-server"
    binary = REDIS_SERVER
    scheme = "redis"

    def command_line(self):
        return [self.binary, "--port", str(self.port), "--bind", self.host,
                "--save", "", "--appendonly", "no", "--dir", str(self.dir),
                "--daemonize", "no", "--protected-mode", "no"]

    def _ping(self):
        return self.command("PING") == b"PONG"

    def command(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        request = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        with self._connect() as s, s.makefile("rb") as f:
            s.sendall(request)
            return self._reply(f)

    def _reply(self, f):
        line = self._read_line(f)
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise HarnessError(f"redis error: {rest.decode(errors='replace')}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply(f) for _ in range(n)]
        raise HarnessError(f"unexpected redis reply {line!r}")

    def get(self, key):
        return self.command("GET", key)

    def set(self, key, value, ttl=0):
        args = ("SET", key, value) + (("EX", ttl) if ttl else ())
        self.command(*args)

    def keys(self):
        return [k.decode() for k in self.command("KEYS", "*")]

    def dump(self):
        """[(key, value bytes)] of everything stored, sorted by key: GET for
        strings, DUMP (Redis's serialisation) for other types."""
        result = []
        for key in self.keys():
            kind = self.command("TYPE", key)
            value = self.get(key) if kind == b"string" else self.command("DUMP", key)
            if value is not None:
                result.append((key, value))
        return sorted(result)


# --------------------------------------------------------------------------
# The error-log policy

LEVELS = {"emerg": 0, "alert": 1, "crit": 2, "error": 3, "warn": 4,
          "notice": 5, "info": 6, "debug": 7, **{f"trace{i}": 7 + i for i in range(1, 9)}}
WARN = LEVELS["warn"]

# "[Thu Nov 26 20:25:00.123456 2026] [module:level] [pid 1:tid 2] text"
LOG_LINE = re.compile(
    r"^\[(?P<time>[^\]]*)\] \[(?:(?P<module>[^:\]]*):)?(?P<level>[a-z]+[1-8]?)\] (?P<text>.*)$")

# Never acceptable, whatever a test allows and at whatever level.
NEVER_ALLOWED = (
    re.compile(r"AH0005[0-2]: .*exit signal"),  # a child crashed
    re.compile(r"AH00060"),  # "seg fault or similar nasty error"
    re.compile(r"Sanitizer"),  # ASan/LSan/UBSan report
    re.compile(r"runtime error: "),  # UBSan
    re.compile(r"double free|stack smashing|corrupted .*size"),
)


class LogExpectation:
    def __init__(self, pattern, min_count=0, max_count=None):
        self.regex = re.compile(pattern)
        self.min_count = min_count
        self.max_count = max_count

    def __repr__(self):
        return f"expect_log({self.regex.pattern!r}, min={self.min_count}, max={self.max_count})"


def parse_log_line(line):
    """(level, module, text) of an error_log line; level None if unparsable."""
    m = LOG_LINE.match(line)
    if not m or m.group("level") not in LEVELS:
        return None, None, line
    return m.group("level"), m.group("module"), m.group("text")


def check_log_lines(lines, expectations=()):
    """Problems (strings) in error_log lines under the policy.

    - a crash or sanitizer line is always a problem;
    - a line at warn, error, crit, alert or emerg, or a line that is not in
      error_log format (raw stderr of a child, e.g. a sanitizer report), is a
      problem unless an expectation's regex matches it (re.search);
    - an expectation matched by fewer than min_count or more than max_count
      lines (of any level) is a problem.
    """
    expectations = [e if isinstance(e, LogExpectation) else LogExpectation(e)
                    for e in expectations]
    problems = []
    counts = [0] * len(expectations)
    for line in lines:
        if not line.strip():
            continue
        for rx in NEVER_ALLOWED:
            if rx.search(line):
                problems.append(f"crash/sanitizer line: {line}")
                break
        else:
            matched = False
            for i, e in enumerate(expectations):
                if e.regex.search(line):
                    counts[i] += 1
                    matched = True
            level, _module, _text = parse_log_line(line)
            if not matched and (level is None or LEVELS[level] <= WARN):
                kind = f"[{level}]" if level else "unparsable"
                problems.append(f"unexpected {kind} line: {line}")
    for e, n in zip(expectations, counts):
        if n < e.min_count or (e.max_count is not None and n > e.max_count):
            problems.append(f"{e!r} matched {n} line(s)")
    return problems


# --------------------------------------------------------------------------
# httpd


class _Default:
    def __repr__(self):
        return "DEFAULT"


DEFAULT = _Default()

# From the test runner's environment to httpd (sanitizer runs); nothing else
# leaks in, so a developer's OIDC_* or proxy variables cannot change a test.
ENV_PASSTHROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "MSAN_OPTIONS",
                   "LD_PRELOAD", "LD_LIBRARY_PATH", "TZ")

# --------------------------------------------------------------------------
# Sanitizer and valgrind runs
#
# RXA_SANITIZED=1 (with RXA_MODULE=.../build-asan/.libs/mod_reflex_auth.so):
# Debian's apache2 is not instrumented, and ASan must be the first library
# of a process, so httpd starts with the module's ASan runtime in LD_PRELOAD.
# ASan reports go to files in each httpd's reports/ directory; any file there
# fails the test at teardown (Httpd.report_problems) and is shown. UBSan
# (gcc's separate runtime) ignores log_path here and reports on stderr, the
# error_log, where the log policy fails the test on "runtime error:".
# RXA_VALGRIND=1: httpd runs under valgrind (memcheck; t/valgrind.supp holds
# the suppressions of other components' noise); an error or a definite leak
# in any of its processes fails the test. RXA_VALGRIND_OPTIONS adds options.

VALGRIND_SUPP = REPO / "t" / "valgrind.supp"
_runtimes = {}


def sanitizer_runtime(module):
    """The ASan runtime library module was linked with, for LD_PRELOAD.

    RXA_SANITIZER_RUNTIME overrides (e.g. clang's runtime, which a clang
    -fsanitize=address shared object does not name: the output of
    `clang -print-file-name=libclang_rt.asan-x86_64.so`).
    """
    override = os.environ.get("RXA_SANITIZER_RUNTIME")
    if override:
        return override
    key = str(module)
    if key not in _runtimes:
        res = subprocess.run(["ldd", key], capture_output=True, text=True,
                             timeout=60, check=False)
        found = re.findall(r"^\s*lib(?:asan|clang_rt\.asan[\w.-]*)\.so[\w.]* => (\S+)",
                           res.stdout, re.MULTILINE)
        if not found:
            raise HarnessError(
                f"RXA_SANITIZED is set but {module} is not linked with an ASan runtime "
                f"(build it with t/build --asan, or set RXA_SANITIZER_RUNTIME)\n"
                f"{res.stdout}{res.stderr}")
        _runtimes[key] = found[0]
    return _runtimes[key]


def sanitizer_env(module, report_dir):
    """Environment for an httpd loading a sanitized module.

    detect_leaks=0: httpd children exit() without destroying the config
    pool, and APR's pool blocks are mmap()ed, which LeakSanitizer does not
    scan, so everything a pool cleanup would free (keys, JWKS, pcre2 and
    mod_ssl objects) shows as a direct leak; the exit-time scan also makes
    children overrun httpd's shutdown timeout (AH00045). Leaks are looked
    for under valgrind instead (t/valgrind-run).
    allow_user_segv_handler=0: httpd's children install their own SIGSEGV
    handler, which re-raises for a core dump that ASan's disable_coredump
    prevents, so a crash left nothing but AH00052 in the error_log; ASan's
    own handler writes a report with the faulting stack. The caller's ASAN_OPTIONS
    and UBSAN_OPTIONS come after ours, so they win.
    """
    def opts(name, ours):
        extra = os.environ.get(name, "")
        return ":".join(x for x in (ours, extra) if x)
    preload = " ".join(x for x in (sanitizer_runtime(module),
                                   os.environ.get("LD_PRELOAD", "")) if x)
    return {
        "LD_PRELOAD": preload,
        "ASAN_OPTIONS": opts("ASAN_OPTIONS",
                             f"detect_leaks=0:halt_on_error=1:abort_on_error=0:"
                             f"detect_stack_use_after_return=1:strict_string_checks=1:"
                             f"allow_user_segv_handler=0:"
                             f"log_path={report_dir}/asan"),
        "UBSAN_OPTIONS": opts("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1"),
    }


def valgrind_command(report_dir):
    """valgrind and its options, to put before the httpd command line.

    Forked httpd children are always followed; --trace-children=yes also
    follows exec, minus the shells and interpreters httpd starts for piped
    logs and CGI (not ours, and slow under valgrind).
    """
    cmd = ["valgrind", "--tool=memcheck", "--trace-children=yes",
           "--trace-children-skip=*/sh,*/dash,*/bash,*/cat,*python*,*/node,*/cgi-bin/*",
           "--child-silent-after-fork=no", "--leak-check=full",
           "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
           "--error-exitcode=99", "--num-callers=40", "--keep-debuginfo=yes",
           f"--log-file={report_dir}/vg.%p"]
    if VALGRIND_SUPP.is_file():
        cmd.append(f"--suppressions={VALGRIND_SUPP}")
    return cmd + os.environ.get("RXA_VALGRIND_OPTIONS", "").split()


# The first line of each kind of memcheck error (not the leak summary).
VALGRIND_ERROR = re.compile(
    r"^==\d+== (Invalid (read|write|free)|Mismatched free|Conditional jump|"
    r"Use of uninitialised|Syscall param|Source and destination overlap|"
    r"Argument '.*' of function|.*are definitely lost in loss record|"
    r"Process terminating with default action)", re.MULTILINE)


def valgrind_problems(path, text):
    """Problems in one valgrind log: errors, definite leaks (ERROR SUMMARY
    counts them, --errors-for-leak-kinds=definite), or error records of a
    process that never got to its summary."""
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors", text)
    if summary and int(summary[-1]) == 0:
        return []
    if not summary and not VALGRIND_ERROR.search(text):
        return []  # exec'd into a program not traced, or killed: nothing found
    return [f"valgrind report {path}:\n{text[-20000:]}"]


CGI_ENV_SCRIPT = """#!/usr/bin/python3
# Echoes the CGI environment as JSON (tests of REFLEX_* variables).
import json, os, sys
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n")
sys.stdout.write(json.dumps(dict(os.environ), sort_keys=True))
"""


def module_path():
    return Path(os.environ.get("RXA_MODULE") or DEFAULT_MODULE)


class Httpd:
    """One apache2 with a generated config in its own directory.

    Ports are chosen at construction (so the IdP can be given the callback
    URLs before httpd starts); start() writes httpd.conf and runs
    `apache2 -f httpd.conf -D FOREGROUND`.

    module: DEFAULT loads mod_reflex_auth from $RXA_MODULE or
      build/.libs/mod_reflex_auth.so (missing: skip, or fail in CI); None
      loads no module of ours; or a path.
    https: also listen with TLS (needs tls=TLSCert).
    extra_modules: short names ("proxy", "proxy_http", "cgid", ...).
    log_level: the LogLevel line (default "notice", plus reflex_auth:debug
      when the module is loaded, so debug output shows in failure reports).
    cgi: load mod_cgid and serve /cgi-bin/env (the environment as JSON).

    The config the caller gives to start()/graceful()/configtest():
      conf: text at server level, after the defaults and before the TLS
        vhost (directives, <Location> blocks, whole <VirtualHost>s);
      https_conf: text inside the built-in TLS <VirtualHost>.
    Both may use the Defines TEST_ROOT, TEST_DOCROOT, TEST_HTTP_PORT,
    TEST_HTTPS_PORT, TEST_CERT, TEST_KEY and TEST_CA, e.g. ${TEST_DOCROOT}.
    env: the process environment the module sees (OIDC_ISSUER_URI, ...),
      on top of a minimal PATH/LANG (the caller's shell does not leak in).
    """

    def __init__(self, root, *, tls=None, module=DEFAULT, https=True,
                 extra_modules=(), log_level=None, server_name="localhost",
                 server_aliases=("rp.test", "127.0.0.1"), cgi=False):
        self.root = Path(root)
        self.tls = tls
        self.https = https and tls is not None
        if https and tls is None:
            raise HarnessError("https=True needs tls= (the tls_cert fixture)")
        if module is DEFAULT:
            path = module_path()
            if not path.is_file():
                unavailable(f"the module {path} is not built (set RXA_MODULE to "
                            f"use another path)")
            self.module = path
        else:
            self.module = Path(module) if module else None
        self.extra_modules = tuple(extra_modules)
        self.cgi = cgi
        if log_level is None:
            log_level = "notice reflex_auth:debug" if self.module else "notice"
        self.log_level = log_level
        self.server_name = server_name
        self.server_aliases = tuple(server_aliases)
        self.http_port, self.https_port = free_ports(2)
        if not self.https:
            self.https_port = None

        self.conf_file = self.root / "httpd.conf"
        self.logs = self.root / "logs"
        self.error_log = self.logs / "error_log"
        self.access_log = self.logs / "access_log"
        self.console_log = self.logs / "console.log"
        # Sanitizer and valgrind reports of this httpd's processes; the
        # children write here after switching to www-data.
        self.report_dir = self.root / "reports"
        self.run_dir = self.root / "run"
        self.docroot = self.root / "htdocs"
        for d in (self.logs, self.run_dir, self.docroot):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(0o755)
        if SANITIZED or VALGRIND:
            self.report_dir.mkdir(exist_ok=True)
            self.report_dir.chmod(0o1777)
        write_file(self.docroot / "index.html",
                   "<!DOCTYPE html>\n<html><head><title>rxa test</title></head>"
                   "<body><h1>rxa test index</h1></body></html>\n")
        if cgi:
            write_file(self.root / "cgi-bin" / "env", CGI_ENV_SCRIPT, 0o755)

        self.conf = ""
        self.https_conf = ""
        self.env = {}
        self.proc = None
        self.expectations = []
        self.exit_problems = []

    # -- URLs --------------------------------------------------------------

    def url(self, path="/", scheme="http", host="localhost"):
        port = self.http_port if scheme == "http" else self.https_port
        if port is None:
            raise HarnessError(f"this httpd has no {scheme} port")
        return f"{scheme}://{host}:{port}{path}"

    def http_url(self, path="/", host="localhost"):
        return self.url(path, "http", host)

    def https_url(self, path="/", host="localhost"):
        return self.url(path, "https", host)

    def origins(self, hosts=TEST_HOSTS):
        schemes = ("http", "https") if self.https else ("http",)
        return [self.url("", s, h) for s in schemes for h in hosts]

    def redirect_uris(self, path="/callback", hosts=TEST_HOSTS):
        """Every callback URL this httpd can have (for IdP registration)."""
        return [o + path for o in self.origins(hosts)]

    def post_logout_redirect_uris(self, path="/", hosts=TEST_HOSTS):
        return [o + path for o in self.origins(hosts)]

    # -- files -------------------------------------------------------------

    def write_file(self, relpath, text, mode=0o644):
        """A file under the server root (parents 0755), e.g. a template."""
        return write_file(self.root / relpath, text, mode)

    def write_doc(self, relpath, text, mode=0o644):
        """A file under the DocumentRoot, e.g. "private/.htaccess"."""
        return write_file(self.docroot / relpath, text, mode)

    # -- config ------------------------------------------------------------

    def defines(self):
        d = {
            "TEST_ROOT": self.root,
            "TEST_DOCROOT": self.docroot,
            "TEST_HTTP_PORT": self.http_port,
        }
        if self.https:
            d.update(TEST_HTTPS_PORT=self.https_port, TEST_CERT=self.tls.cert_file,
                     TEST_KEY=self.tls.key_file, TEST_CA=self.tls.ca_file)
        return d

    def modules(self):
        names = list(BASE_MODULES)
        if self.https:
            names += TLS_MODULES
        if self.cgi:
            names.append("cgid")
        names += [m for m in self.extra_modules if m not in names]
        return names

    def render_config(self, conf=None, https_conf=None):
        conf = self.conf if conf is None else conf
        https_conf = self.https_conf if https_conf is None else https_conf
        r = self.root
        lines = [f"# generated by t/integration/harness.py for {r}"]
        lines += [f'Define {k} "{v}"' for k, v in self.defines().items()]
        lines += [f'ServerRoot "{r}"', f'DefaultRuntimeDir "{self.run_dir}"',
                  f'PidFile "{self.run_dir}/httpd.pid"', f'Mutex file:{self.run_dir} default']
        for name in self.modules():
            lines.append(f'LoadModule {name}_module "{MODULES_DIR}/mod_{name}.so"')
        if self.module:
            lines.append(f'LoadModule {MODULE_NAME} "{self.module}"')
        lines += [
            "User www-data",
            "Group www-data",
            f"ServerName {self.server_name}:{self.http_port}",
            "ServerAdmin webmaster@localhost",
            f'ErrorLog "{self.error_log}"',
            f"LogLevel {self.log_level}",
            'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D" test',
            f'CustomLog "{self.access_log}" test',
            f"Listen {LOOPBACK}:{self.http_port}",
        ]
        if self.https:
            lines.append(f"Listen {LOOPBACK}:{self.https_port} https")
        lines += [
            # MPM sizes stay at httpd's defaults: a tiny event MPM (1 child,
            # MinSpareThreads 1) logged spurious "AH03093 apr_pollset_add
            # failure for keep alive" errors under CPU load.
            f"GracefulShutdownTimeout {5 * SLOWDOWN}",
            "Timeout 30",
            "KeepAliveTimeout 2",
            "TypesConfig /etc/mime.types",
            "AddDefaultCharset utf-8",
            "DirectoryIndex index.html",
            f'DocumentRoot "{self.docroot}"',
            "<Directory />",
            "    AllowOverride None",
            "    Require all denied",
            "</Directory>",
            f'<Directory "{self.docroot}">',
            "    AllowOverride None",
            "    Options None",
            "    Require all granted",
            "</Directory>",
        ]
        if self.cgi:
            lines += [
                f'ScriptSock "{self.run_dir}/cgid.sock"',
                f'ScriptAlias /cgi-bin/ "{r}/cgi-bin/"',
                f'<Directory "{r}/cgi-bin">',
                "    Require all granted",
                "</Directory>",
            ]
        if self.https:
            lines += [f'SSLSessionCache "shmcb:{self.run_dir}/ssl_scache(512000)"']
        if SANITIZED and self.module:
            # UBSan reads its options from /proc/self/environ at its first
            # report, which a child running as www-data can read only while
            # it is dumpable: CoreDumpDirectory keeps it so.
            lines += [f'CoreDumpDirectory "{self.report_dir}"']
        lines += ["", "# --- test config ---", conf, "# --- end of test config ---", ""]
        if self.https:
            aliases = " ".join(self.server_aliases)
            lines += [
                f"<VirtualHost {LOOPBACK}:{self.https_port}>",
                f"    ServerName {self.server_name}:{self.https_port}",
                f"    ServerAlias {aliases}" if aliases else "",
                "    SSLEngine on",
                f'    SSLCertificateFile "{self.tls.cert_file}"',
                f'    SSLCertificateKeyFile "{self.tls.key_file}"',
                "    # --- test https config ---",
                https_conf,
                "    # --- end of test https config ---",
                "</VirtualHost>",
            ]
        return "\n".join(lines) + "\n"

    def write_config(self, conf=None, https_conf=None, path=None):
        return write_file(path or self.conf_file, self.render_config(conf, https_conf))

    def process_env(self, env=None):
        penv = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG": "C"}
        for k in ENV_PASSTHROUGH:
            if k in os.environ:
                penv[k] = os.environ[k]
        if SANITIZED and self.module:
            penv.update(sanitizer_env(self.module, self.report_dir))
        for k, v in (self.env if env is None else env).items():
            if v is None:
                penv.pop(k, None)
            elif k == "LD_PRELOAD" and penv.get(k):
                # a test's own library goes after the sanitizer runtime,
                # which must be the first library of the process
                penv[k] = f"{penv[k]} {v}"
            else:
                penv[k] = str(v)
        return penv

    # -- process -----------------------------------------------------------

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _log_size(self):
        try:
            return self.error_log.stat().st_size
        except FileNotFoundError:
            return 0

    def _log_since(self, offset):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self, lines=40):
        return (f"--- httpd error_log ({self.error_log}), last {lines} lines:\n"
                f"{tail(self.error_log, lines)}\n"
                f"--- httpd console output ({self.console_log}):\n"
                f"{tail(self.console_log, lines)}")

    def _wait_ready(self, offset, timeout, what):
        def ready():
            if self.proc.poll() is not None:
                raise HarnessError(f"httpd exited with status {self.proc.returncode} "
                                   f"during {what}\n{self.diagnostics()}")
            if "AH00489" not in self._log_since(offset):  # "resuming normal operations"
                return False
            # The parent binds every Listen before AH00489; probing the TLS
            # port too would only log an aborted handshake.
            return port_open(self.http_port)
        wait_until(ready, timeout, f"httpd to answer after {what}", self.diagnostics)

    def start(self, conf=None, env=None, https_conf=None, timeout=START_TIMEOUT):
        """Write the config and start httpd; returns once its ports answer."""
        if self.running:
            raise HarnessError("httpd is already running")
        if conf is not None:
            self.conf = conf
        if https_conf is not None:
            self.https_conf = https_conf
        if env is not None:
            self.env = dict(env)
        self.write_config()
        offset = self._log_size()
        cmd = [APACHE2, "-f", str(self.conf_file), "-D", "FOREGROUND"]
        if VALGRIND:
            cmd = valgrind_command(self.report_dir) + cmd
        with open(self.console_log, "a") as console:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                env=self.process_env(), cwd=self.root, start_new_session=True)
        try:
            self._wait_ready(offset, timeout, "start")
        except BaseException:
            stop_process(self.proc)
            self.proc = None  # the failure is reported here, not at stop()
            raise
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM (the parent stops its children), SIGKILL after timeout.

        A parent that had already exited by itself is a problem for the
        log policy (a crash in the parent leaves no error_log line)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.exit_problems.append(
                f"httpd (pid {self.proc.pid}) exited by itself with status "
                f"{self.proc.returncode} before stop()")
        # Under valgrind a child needs seconds for its leak check at exit:
        # a graceful stop (SIGWINCH) waits GracefulShutdownTimeout for it,
        # where SIGTERM would warn after 3 s (AH00045) and kill it after 9.
        if VALGRIND:
            rc = stop_process(self.proc, timeout, signal.SIGWINCH)
            self.proc = None
            return rc
        # Otherwise the children stop gracefully first, and SIGTERM then
        # ends the parent at once (its graceful stop would sleep 1 s per
        # check). The event MPM's ungraceful stop closes busy workers'
        # sockets from the child's main thread (close_worker_sockets) while
        # a worker may be freeing the same socket's pool: under ASan about
        # one child in several hundred segfaulted there, in httpd's own
        # code (apr_os_sock_get from close_socket_nonblocking). A child
        # still busy after GRACEFUL_STOP_WAIT gets the SIGTERM stop anyway.
        if self.running:
            try:
                self.proc.send_signal(signal.SIGWINCH)
                wait_until(lambda: not threaded_children(self.proc.pid),
                           min(GRACEFUL_STOP_WAIT, timeout),
                           "httpd's children to stop gracefully")
            except (ProcessLookupError, HarnessError):
                pass
        rc = stop_process(self.proc, timeout, signal.SIGTERM)
        self.proc = None
        return rc

    def _signal_and_wait(self, sig, what, conf, https_conf, timeout):
        if not self.running:
            raise HarnessError(f"httpd is not running (for {what})\n{self.diagnostics()}")
        if conf is not None:
            self.conf = conf
        if https_conf is not None:
            self.https_conf = https_conf
        self.write_config()
        offset = self._log_size()
        self.proc.send_signal(sig)
        try:
            self._wait_ready(offset, timeout, what)
        except BaseException:
            stop_process(self.proc)
            self.proc = None
            raise

    def graceful(self, conf=None, https_conf=None, timeout=START_TIMEOUT):
        """`apachectl graceful` (SIGUSR1), optionally with a new config."""
        self._signal_and_wait(signal.SIGUSR1, "graceful restart", conf, https_conf, timeout)

    def restart(self, conf=None, https_conf=None, timeout=START_TIMEOUT):
        """`apachectl restart` (SIGHUP), optionally with a new config."""
        self._signal_and_wait(signal.SIGHUP, "restart", conf, https_conf, timeout)

    def configtest(self, defines=(), conf=None, env=None, https_conf=None,
                   timeout=START_TIMEOUT):
        """`apache2 -t [-D X ...]` on this config (or the given one, written
        to configtest.conf) with the same environment: (rc, stdout, stderr)."""
        if isinstance(defines, str):
            defines = (defines,)
        path = self.conf_file
        if conf is not None or https_conf is not None or not self.conf_file.exists():
            path = self.write_config(conf, https_conf, self.root / "configtest.conf")
        cmd = [APACHE2, "-f", str(path), "-t"]
        for d in defines:
            cmd += ["-D", d]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             env=self.process_env(env), cwd=self.root, check=False)
        return res.returncode, res.stdout, res.stderr

    # -- error log -----------------------------------------------------------

    def log_text(self):
        return self._log_since(0)

    def log_lines(self, since=0):
        """error_log lines from byte offset since (see log_mark())."""
        return self._log_since(since).splitlines()

    def log_mark(self):
        """The error_log's current size, for log_lines(since=...)."""
        return self._log_size()

    def wait_for_log(self, pattern, timeout=10.0, since=0):
        """Poll until a line matching pattern appears; returns the line."""
        rx = re.compile(pattern)

        def found():
            for line in self.log_lines(since):
                if rx.search(line):
                    return line
            return None
        return wait_until(found, timeout, f"an error_log line matching {pattern!r}",
                          self.diagnostics)

    def expect_log(self, pattern, min_count=0, max_count=None):
        """Declare error_log lines this test expects: they pass the policy.

        pattern is a regex (re.search) matched against the whole line, e.g.
        expect_log(r"RXA00012") or expect_log(r"\\[reflex_auth:error\\].*RXA00012",
        min_count=1, max_count=1) to also require it.
        """
        e = LogExpectation(pattern, min_count, max_count)
        self.expectations.append(e)
        return e

    def log_problems(self):
        lines = self.log_lines()
        try:
            lines += self.console_log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            pass
        return (self.exit_problems + check_log_lines(lines, self.expectations)
                + self.report_problems())

    def report_problems(self):
        """Sanitizer reports and valgrind errors of this httpd's processes."""
        problems = []
        if not self.report_dir.is_dir():
            return problems
        for f in sorted(self.report_dir.iterdir()):
            text = f.read_text(errors="replace")
            if f.name.startswith("vg."):
                problems += valgrind_problems(f, text)
            elif text.strip():
                problems.append(f"sanitizer report {f}:\n{text[:20000]}")
        return problems

    def assert_log_clean(self):
        """Raise HarnessError listing every line the policy rejects."""
        problems = self.log_problems()
        if problems:
            raise HarnessError(
                f"error_log policy violated ({self.error_log}):\n  "
                + "\n  ".join(problems)
                + "\n(declare expected lines with httpd.expect_log(REGEX))\n"
                + self.diagnostics())


# --------------------------------------------------------------------------
# Scripted browsing


class TestSession(requests.Session):
    """requests.Session with a default timeout on every request.

    verify=False by default (our certificate is self-made); pass
    verify=TLSCert.ca_file to check it. The runner's environment (proxies,
    REQUESTS_CA_BUNDLE, .netrc) is ignored: it would override verify=False.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, verify=False, timeout=HTTP_TIMEOUT):
        super().__init__()
        self.trust_env = False
        self.verify = verify
        self.default_timeout = timeout
        self.headers["User-Agent"] = "rxa-integration-tests"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", self.default_timeout)
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)


def make_session(verify=False, timeout=HTTP_TIMEOUT):
    if verify is False:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return TestSession(verify=verify, timeout=timeout)


class Form:
    def __init__(self, action, method, fields, attrs):
        self.action = action
        self.method = method
        self.fields = fields  # name -> value (hidden/text inputs, first submit)
        self.attrs = attrs

    def __repr__(self):
        return f"Form({self.method} {self.action!r}, {sorted(self.fields)})"


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._current = None
        self._submit_seen = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = Form(a.get("action", ""), a.get("method", "get").upper(), {}, a)
            self._submit_seen = False
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "button", "select", "textarea"):
            name = a.get("name")
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if not name:
                return
            if kind in ("submit", "image"):
                if not self._submit_seen:  # the first submit button is "clicked"
                    self._current.fields[name] = a.get("value", "")
                    self._submit_seen = True
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._current.fields[name] = a.get("value", "on")
            else:
                self._current.fields.setdefault(name, a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(text):
    p = _FormParser()
    p.feed(text)
    p.close()
    return p.forms


def submit_form(session, response, values=None, index=0, allow_redirects=False):
    """Submit the index-th form of an HTML response with values overriding
    its fields (e.g. the IdP's login page: {"login": "bob", "password": "x"})."""
    forms = parse_forms(response.text)
    if len(forms) <= index:
        raise HarnessError(f"no form #{index} in the page from {response.url}:\n"
                           f"{response.text[:2000]}")
    form = forms[index]
    data = {**form.fields, **(values or {})}
    action = urllib.parse.urljoin(response.url, form.action or response.url)
    if form.method == "POST":
        return session.post(action, data=data, allow_redirects=allow_redirects)
    return session.get(action, params=data, allow_redirects=allow_redirects)


AUTO_SUBMIT = re.compile(r"document\.forms\[0\]\.submit\(\)")
META_REFRESH = re.compile(
    r"""<meta\s+http-equiv\s*=\s*["']?refresh["']?\s+content\s*=\s*["']\s*\d+\s*;\s*url\s*=\s*([^"']+)["']""",
    re.IGNORECASE)


def _next_hop(resp, meta_refresh, auto_forms):
    """(method, url, data) a browser would go to next, or None."""
    if resp.is_redirect and "location" in resp.headers:
        url = urllib.parse.urljoin(resp.url, resp.headers["location"])
        method = resp.request.method
        if resp.status_code in (301, 302, 303) and method != "HEAD":
            method = "GET"
        return method, url, None
    ctype = resp.headers.get("content-type", "")
    if resp.status_code != 200 or "html" not in ctype:
        return None
    if auto_forms and AUTO_SUBMIT.search(resp.text):
        forms = parse_forms(resp.text)
        if forms:
            f = forms[0]
            return f.method, urllib.parse.urljoin(resp.url, f.action or resp.url), f.fields
    if meta_refresh:
        m = META_REFRESH.search(resp.text)
        if m:
            target = html.unescape(m.group(1).strip())
            return "GET", urllib.parse.urljoin(resp.url, target), None
    return None


def follow(session, url, method="GET", *, stop=None, max_hops=25,
           meta_refresh=True, auto_forms=True, **kwargs):
    """Go to url like a browser without JavaScript would, hop by hop.

    Follows redirects, pages that submit their first form by script (the
    IdP's form_post and logout pages) when auto_forms, and
    <meta http-equiv=refresh> when meta_refresh. stop(next_url) -> True ends
    the walk before requesting next_url (e.g. a redirect_uri nobody serves).
    Returns the last response; resp.hops lists every response in order.
    """
    hops = []
    resp = session.request(method, url, allow_redirects=False, **kwargs)
    while True:
        hops.append(resp)
        resp.hops = hops
        nxt = _next_hop(resp, meta_refresh, auto_forms)
        if nxt is None:
            return resp
        m, u, data = nxt
        if stop and stop(u):
            return resp
        if len(hops) >= max_hops:
            chain = "\n  ".join(f"{r.status_code} {r.request.method} {r.url}" for r in hops)
            raise HarnessError(f"more than {max_hops} hops (a loop?):\n  {chain}")
        resp = session.request(m, u, data=data, allow_redirects=False)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_pair():
    """(code_verifier, S256 code_challenge)."""
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def jwt_parts(token):
    """(header, payload) of a JWS compact token, unverified."""
    h, p, _s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


class ScriptedClient:
    """A minimal OpenID relying party driven by requests (tests of the IdP).

    code = rp.authorize(session) walks the IdP's redirects with the
    non-interactive login and returns the code sent to the redirect_uri
    (nobody needs to listen there); rp.exchange(code) and rp.refresh(rt)
    call the token endpoint with the client's auth method.
    """

    def __init__(self, idp, client_id, redirect_uri=None):
        self.idp = idp
        self.client = idp.client(client_id)
        self.redirect_uri = redirect_uri or self.client["redirect_uris"][0]
        self.verifier = None
        self.state = None
        self.nonce = None

    def authorization_url(self, scope="openid email profile", **extra):
        self.verifier, challenge = pkce_pair()
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": self.client["client_id"],
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return self.idp.endpoint("authorization") + "?" + urllib.parse.urlencode(params)

    def authorize(self, session, scope="openid email profile", **extra):
        resp = follow(session, self.authorization_url(scope, **extra),
                      stop=lambda u: u.startswith(self.redirect_uri))
        location = resp.headers.get("location", "")
        target = urllib.parse.urljoin(resp.url, location)
        if not resp.is_redirect or not target.startswith(self.redirect_uri):
            raise HarnessError(f"the IdP did not redirect to {self.redirect_uri}: "
                               f"{resp.status_code} {resp.url}\n{resp.text[:2000]}")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        if query.get("state") != [self.state]:
            raise HarnessError(f"state mismatch in {target}")
        if "code" not in query:
            raise HarnessError(f"no code in {target}")
        return query["code"][0]

    def _token_request(self, data):
        c = self.client
        auth = None
        data = dict(data)
        method = c["token_endpoint_auth_method"]
        if method == "client_secret_basic":
            auth = (urllib.parse.quote(c["client_id"], safe=""),
                    urllib.parse.quote(c["client_secret"], safe=""))
        elif method == "client_secret_post":
            data.update(client_id=c["client_id"], client_secret=c["client_secret"])
        else:
            data["client_id"] = c["client_id"]
        return requests.post(self.idp.endpoint("token"), data=data, auth=auth,
                             timeout=HTTP_TIMEOUT, verify=False)

    def exchange(self, code):
        return self._token_request({"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": self.redirect_uri,
                                    "code_verifier": self.verifier})

    def refresh(self, refresh_token, **extra):
        return self._token_request({"grant_type": "refresh_token",
                                    "refresh_token": refresh_token, **extra})


class EchoBackend:
    """An app for mod_proxy that answers every request with what it got:
    {"method", "path", "query", "headers": [[name, value], ...], "body"}.

    Headers arrive as a list so repeated and oddly cased ones stay visible.
    """

    def __init__(self, host=LOOPBACK):
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urllib.parse.urlsplit(self.path)
                record = {
                    "method": self.command,
                    "path": split.path,
                    "query": split.query,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": body.decode("utf-8", "replace"),
                }
                backend.requests.append(record)
                out = json.dumps(record).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer
            do_OPTIONS = _answer

            def log_message(self, *args):
                pass

        self.requests = []
        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # not socketserver's 5: no SYN retries
            daemon_threads = True

        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=STOP_TIMEOUT)

    @staticmethod
    def header_values(record, name):
        """Every value of a header (any case) in an echoed record."""
        return [v for k, v in record["headers"] if k.lower() == name.lower()]
