"""The Reflex recipe end to end: conf.d/reflex-app.conf included as it is
(the backend's address and the export's directory Defined before it), a
stand-in Reflex backend behind it, each route checked anonymously and
signed in; and the README shows that very file."""

import json
import re
import socketserver
import threading

import pytest

import harness
import wslib
from harness import COOKIE_SECRET, REPO, follow

RECIPE = REPO / "conf.d" / "reflex-app.conf"
HTML = {"Accept": "text/html,application/xhtml+xml"}
FETCH = {"Accept": "application/json", "Sec-Fetch-Mode": "cors"}
FORGED = {"X-Reflex-User-Sub": "mallory", "X_Reflex_Provider": "evil",
          "x-reflex-user-groups": "admins"}


class StandIn(socketserver.StreamRequestHandler):
    """A Reflex backend for the routes the recipe proxies: every HTTP
    request answered 200 with what it got as JSON; a websocket upgrade
    answered 101 and its frames echoed. Both recorded."""

    def handle(self):
        backend = self.server.backend
        while True:
            try:
                line, headers = wslib.read_head(self.rfile)
            except (EOFError, OSError):
                return
            method, target, _ = line.split(" ", 2)
            body = self.rfile.read(int(headers.get("content-length") or 0))
            record = {"method": method, "target": target, "headers": headers,
                      "body": body.decode("utf-8", "replace")}
            with backend.lock:
                backend.requests.append(record)
            if "websocket" in headers.get("upgrade", "").lower():
                self.websocket(headers)
                return
            out = json.dumps(record).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(out), out))
            self.wfile.flush()

    def websocket(self, headers):
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                          % wslib.accept_key(headers.get("sec-websocket-key", ""))).encode())
        self.wfile.flush()
        try:
            while True:
                frame = wslib.read_frame(self.rfile)
                if frame.opcode == wslib.CLOSE:
                    self.wfile.write(wslib.encode_frame(wslib.CLOSE, frame.payload[:2],
                                                        mask=False))
                    return
                self.wfile.write(wslib.encode_frame(frame.opcode, frame.payload,
                                                    fin=frame.fin, mask=False))
                self.wfile.flush()
        except (EOFError, OSError):
            return


class Backend:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.port = harness.free_port()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
        self.server = Server((harness.LOOPBACK, self.port), StandIn)
        self.server.backend = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self):
        """The requests recorded since the last take()."""
        with self.lock:
            got, self.requests[:] = list(self.requests), []
        return got

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def backend():
    b = Backend()
    yield b
    b.stop()


def reflex_headers(headers):
    return {k: v for k, v in headers.items() if re.match(r"x[-_]reflex[-_]", k, re.I)}


def start(httpd_factory, idp_factory, backend):
    # mod_proxy_http alone: upgrade=websocket needs no mod_proxy_wstunnel
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http"))
    export = httpd.root / "reflex-export"
    harness.write_file(export / "index.html", "<p>reflex index</p>\n")
    harness.write_file(export / "about" / "index.html", "<p>reflex about</p>\n")
    harness.write_file(export / "404.html", "<p>reflex 404 router</p>\n")
    harness.write_file(export / "_next" / "static" / "app.js", "console.log(1);\n")
    idp = idp_factory(rp=httpd)
    httpd.start(conf='Define REFLEX_BACKEND %s:%d\nDefine REFLEX_DOCROOT "%s"\n'
                % (harness.LOOPBACK, backend.port, export),
                https_conf='Include "%s"' % RECIPE,
                env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def upgrade(httpd, path, headers):
    return wslib.Client.connect(httpd.https_port, path, tls=True,
                                headers={"Origin": httpd.https_url("").rstrip("/"), **headers})


def test_frontend_and_open_routes(httpd_factory, idp_factory, backend, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, backend)
    anon = session_factory()
    for path, status, text in (("/", 200, "<p>reflex index</p>\n"),
                               ("/about/", 200, "<p>reflex about</p>\n"),
                               ("/_next/static/app.js", 200, "console.log(1);\n"),
                               ("/blog/some-post", 404, "<p>reflex 404 router</p>\n"),
                               # the guarded prefixes end at a segment
                               ("/apix", 404, "<p>reflex 404 router</p>\n"),
                               ("/_uploads", 404, "<p>reflex 404 router</p>\n")):
        r = anon.get(httpd.https_url(path), headers=HTML, allow_redirects=False)
        assert (r.status_code, r.text) == (status, text), path
    assert not backend.take()
    for path in ("/ping", "/_health"):
        r = anon.get(httpd.https_url(path), headers={**FETCH, **FORGED})
        assert r.status_code == 200, path
        record = r.json()
        assert record["target"] == path and reflex_headers(record["headers"]) == {}


def test_anonymous_event_channel_and_guarded_routes(httpd_factory, idp_factory, backend,
                                                    session_factory):
    httpd, idp = start(httpd_factory, idp_factory, backend)
    # the event websocket opens for everyone, with no identity
    with upgrade(httpd, "/_event/?EIO=4&transport=websocket", FORGED) as c:
        assert c.echo(wslib.TEXT, '42["event"]').payload == b'42["event"]'
    (record,) = backend.take()
    assert record["target"] == "/_event/?EIO=4&transport=websocket"
    assert reflex_headers(record["headers"]) == {}
    # socket.io's polling, a plain request on the same path
    anon = session_factory()
    r = anon.get(httpd.https_url("/_event/?EIO=4&transport=polling"),
                 headers={**FETCH, **FORGED})
    assert r.status_code == 200 and reflex_headers(r.json()["headers"]) == {}
    backend.take()

    # uploads and the API: 401 for fetch, the login page for a navigation
    for method, path in (("POST", "/_upload"), ("GET", "/api/items"), ("GET", "/api")):
        r = anon.request(method, httpd.https_url(path), headers=FETCH, data=b"x" * 10,
                         allow_redirects=False)
        assert r.status_code == 401, (method, path)
        assert r.headers["WWW-Authenticate"] == "ReflexOIDC"
        assert r.json()["login_url"].startswith("/login?redirect_to=")
    r = anon.get(httpd.https_url("/api/items?a=1"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?redirect_to=%2Fapi%2Fitems%3Fa%3D1"
    assert not backend.take()


def test_signed_in_routes_carry_the_user(httpd_factory, idp_factory, backend, http_session):
    httpd, idp = start(httpd_factory, idp_factory, backend)
    follow(http_session, httpd.https_url("/login?provider=generic&redirect_to=%2F"),
           headers=HTML, meta_refresh=False, stop=lambda u: u == httpd.https_url("/"))
    cookie = "; ".join("%s=%s" % (c.name, c.value) for c in http_session.cookies
                       if c.name.startswith("__Host-"))
    assert cookie
    with upgrade(httpd, "/_event/?EIO=4&transport=websocket",
                 {**FORGED, "Cookie": cookie}) as c:
        assert c.echo(wslib.BINARY, b"\x01\x02").payload == b"\x01\x02"
    r = http_session.post(httpd.https_url("/_upload"), headers={**FETCH, **FORGED},
                          data=b"file bytes")
    assert r.status_code == 200 and r.json()["body"] == "file bytes"
    r = http_session.get(httpd.https_url("/api/items?a=1"), headers={**FETCH, **FORGED})
    assert r.status_code == 200 and r.json()["target"] == "/api/items?a=1"
    event, upload, api = backend.take()
    for record in (event, upload, api):
        got = reflex_headers(record["headers"])
        assert got["x-reflex-user-sub"] == "alice", record["target"]
        assert got["x-reflex-user-email"] == "alice@example.test"
        assert got["x-reflex-provider"] == "generic"
        assert not [k for k in got if "_" in k], got
    # open routes are no business of the module's: no identity, forged gone
    r = http_session.get(httpd.https_url("/ping"), headers={**FETCH, **FORGED})
    assert reflex_headers(r.json()["headers"]) == {}
    r = http_session.get(httpd.https_url("/"), headers=HTML)
    assert r.text == "<p>reflex index</p>\n"


def test_recipe_defaults_parse(httpd_factory):
    # without the Defines the file stands alone (backend 127.0.0.1:8000)
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http"))
    rc, out, err = httpd.configtest(https_conf='Include "%s"' % RECIPE,
                                    env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})
    assert rc == 0, err
    assert "Syntax OK" in out + err


def test_readme_shows_the_recipe_as_tested():
    readme = (REPO / "README").read_text()
    section = re.search(r"\n\nReflex apps\n-----------\n(.*?)\n\n\n\S[^\n]*\n---", readme,
                        re.S)
    assert section, "README has no Reflex apps section"
    section = section.group(1)
    recipe = RECIPE.read_text()
    block = "\n".join("    " + line if line else "" for line in recipe.rstrip("\n").split("\n"))
    assert "\n\n" + block + "\n\n" in section, "README's recipe differs from " + str(RECIPE)
    for route in ("/_event", "/_upload", "/api", "/ping", "/_health"):
        assert "ProxyPass %s " % route in recipe, route
    # the event handler example is Python that reads the scrubbed headers
    example = re.search(r"\n((?:    import reflex as rx\n)(?:(?:    .*)?\n)+)", section)
    assert example, "README has no Python example"
    code = "\n".join(line[4:] for line in example.group(1).split("\n"))
    compile(code, "README", "exec")
    assert "self.router.headers" in code and '"x-reflex-user-sub"' in code
