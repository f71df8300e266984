"""A websocket upgrade to a guarded /_event (a Reflex app's
backend channel), and .htaccess on shared hosting."""

import base64
import hashlib
import socket
import socketserver
import threading

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketHandshake(socketserver.StreamRequestHandler):
    """Answers a websocket upgrade with 101 and closes: enough to see the
    upgrade go through the proxy."""

    def handle(self):
        headers = {}
        self.rfile.readline()
        while True:
            line = self.rfile.readline().decode("latin-1").strip()
            if not line:
                break
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        accept = base64.b64encode(hashlib.sha1(
            (headers.get("sec-websocket-key", "") + WS_GUID).encode()).digest()).decode()
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                          % accept).encode())


def upgrade(port, cookie=None):
    req = ("GET /_event HTTP/1.1\r\nHost: localhost:%d\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://localhost:%d\r\n"
           % (port, port))
    if cookie:
        req += "Cookie: %s\r\n" % cookie
    with socket.create_connection(("127.0.0.1", port), timeout=harness.HTTP_TIMEOUT) as sock:
        sock.sendall((req + "\r\n").encode())
        return sock.recv(4096).decode("latin-1")


def test_websocket_upgrade_to_guarded_event(httpd_factory, idp_factory, session_factory):
    ws = socketserver.ThreadingTCPServer(("127.0.0.1", 0), WebSocketHandshake)
    ws.daemon_threads = True
    threading.Thread(target=ws.serve_forever, daemon=True).start()
    try:
        httpd = httpd_factory(extra_modules=("proxy", "proxy_http", "proxy_wstunnel"))
        idp = idp_factory(rp=httpd)
        httpd.start(conf="""
ProxyPass /_event ws://127.0.0.1:%d/_event
<Location /_event>
    AuthType ReflexOIDC
    Require valid-user
</Location>
""" % ws.server_address[1], env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
        answer = upgrade(httpd.http_port)
        assert answer.startswith("HTTP/1.1 401"), answer
        assert "WWW-Authenticate: ReflexOIDC" in answer
        s = session_factory()
        follow(s, httpd.https_url("/login?provider=generic&redirect_to=%2F"), headers=HTML,
               meta_refresh=False, stop=lambda u: u == httpd.https_url("/"))
        cookie = "; ".join("%s=%s" % (c.name, c.value) for c in s.cookies
                           if c.name.startswith("__Host-"))
        answer = upgrade(httpd.http_port, cookie)
        assert answer.startswith("HTTP/1.1 101"), answer
    finally:
        ws.shutdown()
        ws.server_close()


def test_htaccess_guards_like_a_location(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    httpd.write_doc("team/index.html", "<p>team</p>\n")
    httpd.write_doc("team/.htaccess", "AuthType ReflexOIDC\n"
                                      "Require reflex-claim groups admins\n")
    idp = idp_factory(rp=httpd)
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=1)
    httpd.start(conf="""
ReflexAuthExtraScopes groups
<Directory ${TEST_DOCROOT}/team>
    AllowOverride AuthConfig
</Directory>
""", env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    anon = session_factory()
    r = anon.get(httpd.https_url("/team/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    alice = session_factory()
    follow(alice, httpd.https_url("/login?provider=generic&redirect_to=%2Fteam%2F"),
           headers=HTML, meta_refresh=False, stop=lambda u: u.startswith(httpd.https_url("/team")))
    assert alice.get(httpd.https_url("/team/"), headers=HTML).text == "<p>team</p>\n"
    idp.set_auto_login("bob")
    bob = session_factory()
    follow(bob, httpd.https_url("/login?provider=generic&redirect_to=%2Fteam%2F"),
           headers=HTML, meta_refresh=False, stop=lambda u: u.startswith(httpd.https_url("/team")))
    assert bob.get(httpd.https_url("/team/"), headers=HTML).status_code == 403
