"""The browser-visible origin. Forwarded headers count
only from a trusted proxy; a malformed Host or forwarded value gets 400."""

import socket
import urllib.parse

from harness import COOKIE_SECRET


def start(httpd_factory, idp_factory, trusted):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    conf = "ReflexAuthTrustedProxies %s\n" % trusted if trusted else ""
    httpd.start(conf=conf, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def redirect_uri(session, httpd, headers):
    r = session.get(httpd.http_url("/login?provider=generic&redirect_to=%2F"),
                    headers=headers, allow_redirects=False)
    if r.status_code != 302:
        return r.status_code
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    return q["redirect_uri"][0]


FORWARDED = [
    ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com"},
     "https://app.example.com/callback"),
    ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com",
      "X-Forwarded-Port": "8443"}, "https://app.example.com:8443/callback"),
    ({"Forwarded": 'for=192.0.2.1;proto=https;host="app.example.com"'},
     "https://app.example.com/callback"),
    ({"Forwarded": 'for=192.0.2.1;proto=https;host="APP.Example.com:443"'},
     "https://app.example.com/callback"),
    ({"Forwarded": 'for="[2001:db8::1]";proto=https;host="[2001:db8::5]:9443"'},
     "https://[2001:db8::5]:9443/callback"),
    ({"X-Forwarded-Proto": "https"}, None),          # host from Host
]


def test_trusted_proxy_headers_are_honoured(httpd_factory, idp_factory, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, "127.0.0.1")
    s = session_factory()
    for headers, expected in FORWARDED:
        got = redirect_uri(s, httpd, headers)
        assert got == (expected or "https://localhost:%d/callback" % httpd.http_port), headers


def test_untrusted_peer_changes_nothing(httpd_factory, idp_factory, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, "192.0.2.0/24 2001:db8::/32")
    s = session_factory()
    for headers, _ in FORWARDED + [({"Forwarded": 'proto=https;host="unclosed'}, None)]:
        assert redirect_uri(s, httpd, headers) == \
            "http://localhost:%d/callback" % httpd.http_port, headers


def test_no_trusted_proxies_by_default(httpd_factory, idp_factory, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, None)
    assert redirect_uri(session_factory(), httpd, FORWARDED[0][0]) == \
        "http://localhost:%d/callback" % httpd.http_port


def test_malformed_forwarded_values_from_a_trusted_proxy_get_400(httpd_factory, idp_factory,
                                                                session_factory):
    httpd, idp = start(httpd_factory, idp_factory, "127.0.0.1")
    s = session_factory()
    for headers in ({"X-Forwarded-Host": "evil.example/x"},
                    {"X-Forwarded-Host": "user@evil.example"},
                    {"X-Forwarded-Proto": "gopher"},
                    {"X-Forwarded-Port": "+443"},
                    {"Forwarded": 'proto=https;host="unclosed'},
                    {"Forwarded": "host=a b"},
                    {"Forwarded": "proto=https;host=app.example.com:443"}):   # must be quoted
        assert redirect_uri(s, httpd, headers) == 400, headers


def test_malformed_host_gets_400(httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory, None)
    for host in (b"a b", b"evil.example/x", b"[::1", b"h\x01", b"a:99999"):
        with socket.create_connection(("127.0.0.1", httpd.http_port)) as sock:
            sock.sendall(b"GET /login HTTP/1.1\r\nHost: " + host
                         + b"\r\nConnection: close\r\n\r\n")
            status = sock.recv(100).split(b" ")[1]
        assert status == b"400", host
