"""ReflexAuthOptional On: a request without a usable sign-in is served
anonymously (no user, no identity headers or variables, no redirect, no
401), a signed-in one exactly as without the directive; Require reflex-*
still needs a signed-in user; broken cookies are cleared and the request
is served anonymously; public pages stay up while the IdP is down. Over
plain HTTP requests, CGI, static files with their error document, and
websocket upgrades through mod_proxy."""

import re
import urllib.parse

import pytest

import harness
import wslib
from harness import COOKIE_SECRET, EchoBackend, follow

HTML = {"Accept": "text/html,application/xhtml+xml"}
FETCH = {"Accept": "application/json", "Sec-Fetch-Mode": "cors"}
FORGED = {"X-Reflex-User-Sub": "mallory", "x-reflex-user-groups": "admins",
          "X_Reflex_Provider": "evil", "X-Reflex_Access-Token": "forged"}
EXPORTED = ("x-reflex-user-sub", "x-reflex-user-email", "x-reflex-user-name",
            "x-reflex-user-picture",
            "x-reflex-user-groups", "x-reflex-provider", "x-reflex-granted-scopes")

SESSION_COOKIES = sorted("__Host-reflex_generic_" + k for k in
                         ("access_token", "id_token", "refresh_token", "granted_scopes"))

CONF = """
ReflexAuthExtraScopes groups %(scopes)s
ProxyPass /app/ %(echo)s/app/
ProxyPass /_event ws://127.0.0.1:%(ws)d/_event
<Location /app/>
    AuthType ReflexOIDC
    ReflexAuthOptional On
    Require valid-user
</Location>
<Location /app/admins/>
    Require reflex-claim groups admins
</Location>
<Location /app/generic-only/>
    Require reflex-provider generic
</Location>
<Location /app/strict/>
    ReflexAuthOptional Off
</Location>
<Location /_event>
    AuthType ReflexOIDC
    ReflexAuthOptional On
    Require valid-user
</Location>
<Location /_event/admins>
    Require reflex-claim groups admins
</Location>
<Location /cgi-bin/>
    AuthType ReflexOIDC
    ReflexAuthOptional On
    Require valid-user
</Location>
<Location /pub/>
    AuthType ReflexOIDC
    ReflexAuthOptional On
    Require valid-user
    ErrorDocument 404 /pub/404.html
</Location>
<Directory ${TEST_DOCROOT}/team>
    AllowOverride AuthConfig
</Directory>
"""


@pytest.fixture
def ws_backend():
    with wslib.EchoServer() as srv:
        yield srv


def start(httpd_factory, idp_factory, echo, ws, scopes="", env=None, idp_kwargs=None,
          idp=None):
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http", "proxy_wstunnel"), cgi=True)
    httpd.write_doc("pub/index.html", "<p>public index</p>\n")
    httpd.write_doc("pub/404.html", "<p>not here: the app's 404</p>\n")
    httpd.write_doc("team/index.html", "<p>team</p>\n")
    httpd.write_doc("team/.htaccess", "AuthType ReflexOIDC\nReflexAuthOptional On\n"
                                      "Require valid-user\n")
    if idp is None:
        idp = idp_factory(rp=httpd, **(idp_kwargs or {}))
    httpd.start(conf=CONF % {"scopes": scopes, "echo": echo.url, "ws": ws.port},
                env=env or {**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def sign_in(session, httpd, redirect_to="/pub/"):
    url = httpd.https_url("/login?provider=generic&redirect_to=%s"
                          % urllib.parse.quote(redirect_to, safe=""))
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url(redirect_to)))
    return cookie_header(session)


def cookie_header(session):
    return "; ".join("%s=%s" % (c.name, c.value) for c in session.cookies
                     if c.name.startswith("__Host-"))


def reflex_headers(record):
    """The X-Reflex-* (any spelling) headers a backend got: {lower name:
    [values]}; RECORD is EchoBackend's record or wslib's header dict."""
    out = {}
    for k, v in record["headers"] if "method" in record else record.items():
        if re.match(r"x[-_]reflex[-_]", k, re.I):
            out.setdefault(k.lower(), []).append(v)
    return out


def set_cookies(resp):
    return resp.raw.headers.getlist("Set-Cookie")


def access_user(httpd, path):
    """The %u field of the access log's line for PATH (waits for it)."""
    pattern = re.compile(r'^\S+ \S+ (\S+) \[[^]]*\] "[A-Z]+ %s ' % re.escape(path), re.M)
    found = []

    def logged():
        text = httpd.access_log.read_text() if httpd.access_log.exists() else ""
        found[:] = pattern.findall(text)
        return bool(found)
    harness.wait_until(logged, 10, "the access log line of %s" % path)
    return found[-1]


def test_anonymous_requests_are_served_anonymously(httpd_factory, idp_factory, echo_backend,
                                                   ws_backend, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    anon = session_factory()
    for headers, method in ((HTML, "GET"), (FETCH, "GET"), (FETCH, "POST"), ({}, "GET")):
        r = anon.request(method, httpd.https_url("/app/page?x=1"),
                         headers={**headers, **FORGED}, allow_redirects=False)
        assert r.status_code == 200, (headers, method, r.status_code, r.text[:200])
        assert "WWW-Authenticate" not in r.headers and not set_cookies(r)
        record = r.json()
        assert record["method"] == method and record["path"] == "/app/page"
        assert reflex_headers(record) == {}, record["headers"]
    assert access_user(httpd, "/app/page?x=1") == "-"

    # CGI: no REMOTE_USER, no AUTH_TYPE, no REFLEX_* variable, no forged header
    env = anon.get(httpd.https_url("/cgi-bin/env"), headers={**HTML, **FORGED}).json()
    assert "REMOTE_USER" not in env and "AUTH_TYPE" not in env
    assert not [k for k in env if re.match(r"(HTTP_)?X?_?REFLEX", k)], env
    assert access_user(httpd, "/cgi-bin/env") == "-"

    # static files: DirectoryIndex (a subrequest) and the 404 error
    # document (an internal redirect) are served anonymously too
    r = anon.get(httpd.https_url("/pub/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and r.text == "<p>public index</p>\n"
    assert access_user(httpd, "/pub/") == "-"
    r = anon.get(httpd.https_url("/pub/no/such/page"), headers=HTML, allow_redirects=False)
    assert r.status_code == 404 and r.text == "<p>not here: the app's 404</p>\n"
    assert access_user(httpd, "/pub/no/such/page") == "-"

    # .htaccess may say it as well
    r = anon.get(httpd.https_url("/team/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and r.text == "<p>team</p>\n"

    # ReflexAuthOptional Off in a location below: sign-in required there
    r = anon.get(httpd.https_url("/app/strict/x"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?redirect_to=%2Fapp%2Fstrict%2Fx"
    r = anon.get(httpd.https_url("/app/strict/x"), headers=FETCH, allow_redirects=False)
    assert r.status_code == 401 and r.json()["authenticated"] is False

    # nothing was sent to sign in, nothing logged
    assert not idp.requests_log("/token")
    assert "RXA00021" not in httpd.log_text()


def test_signed_in_requests_are_served_as_without_it(httpd_factory, idp_factory, echo_backend,
                                                     ws_backend, http_session):
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    sign_in(http_session, httpd)
    r = http_session.get(httpd.https_url("/app/me"), headers={**FETCH, **FORGED},
                         allow_redirects=False)
    assert r.status_code == 200
    got = reflex_headers(r.json())
    sub = got["x-reflex-user-sub"]
    assert len(sub) == 1 and sub[0] and sub[0] != "mallory"
    assert got["x-reflex-user-email"] == ["alice@example.test"]
    assert got["x-reflex-provider"] == ["generic"]
    assert "admins" in got["x-reflex-user-groups"][0].split(",")
    assert set(got) <= set(EXPORTED), got        # the forged extras are gone
    assert access_user(httpd, "/app/me") == sub[0]

    env = http_session.get(httpd.https_url("/cgi-bin/env"), headers={**HTML, **FORGED}).json()
    assert env["REMOTE_USER"] == env["REFLEX_USER_SUB"] == sub[0]
    assert env["AUTH_TYPE"] == "ReflexOIDC" and env["REFLEX_PROVIDER"] == "generic"
    assert env["HTTP_X_REFLEX_USER_SUB"] == sub[0]
    assert "HTTP_X_REFLEX_ACCESS_TOKEN" not in env

    r = http_session.get(httpd.https_url("/pub/no/such/page"), headers=HTML)
    assert r.status_code == 404 and "the app's 404" in r.text
    assert access_user(httpd, "/pub/no/such/page") == sub[0]


def test_signed_in_session_is_refreshed(httpd_factory, idp_factory, echo_backend, ws_backend,
                                        http_session):
    # access tokens for 3 s, under the refresh margin: every request refreshes
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend,
                       scopes="offline_access", idp_kwargs={"ttl": {"AccessToken": 3}})
    sign_in(http_session, httpd)
    r = http_session.get(httpd.https_url("/app/me"), headers=FETCH, allow_redirects=False)
    assert r.status_code == 200
    assert reflex_headers(r.json())["x-reflex-provider"] == ["generic"]
    renewed = [c for c in set_cookies(r) if c.startswith("__Host-reflex_generic_")]
    assert len(renewed) == 4 and not [c for c in renewed if "Max-Age=0" in c]
    grants = [(e.get("form") or {}).get("grant_type") for e in idp.requests_log("/token")]
    assert grants.count("refresh_token") >= 1, grants


def test_require_reflex_needs_a_signed_in_user(httpd_factory, idp_factory, echo_backend,
                                               ws_backend, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    # httpd's own line for a signed-in user it denies (error level)
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=2)
    anon = session_factory()
    for path in ("/app/admins/x", "/app/generic-only/x"):
        r = anon.get(httpd.https_url(path), headers={**HTML, **FORGED}, allow_redirects=False)
        assert r.status_code == 302, (path, r.status_code)
        assert r.headers["Location"] == "/login?redirect_to=" + urllib.parse.quote(path, safe="")
        r = anon.get(httpd.https_url(path), headers={**FETCH, **FORGED}, allow_redirects=False)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "ReflexOIDC"
        assert r.json() == {"authenticated": False, "login_url": "/login?redirect_to="
                            + urllib.parse.quote(path, safe="")}
    with pytest.raises(wslib.HandshakeRefused) as refused:
        wslib.Client.connect(httpd.https_port, "/_event/admins", tls=True, headers=FORGED)
    assert refused.value.status_line.startswith("HTTP/1.1 401")
    assert refused.value.headers["www-authenticate"] == "ReflexOIDC"
    assert b'"login_url":"/login?redirect_to=%2F_event%2Fadmins"' in refused.value.body
    assert not echo_backend.requests and not ws_backend.connections

    alice = session_factory()
    sign_in(alice, httpd)
    assert alice.get(httpd.https_url("/app/admins/x"), headers=HTML).status_code == 200
    assert alice.get(httpd.https_url("/app/generic-only/x"), headers=HTML).status_code == 200
    with wslib.Client.connect(httpd.https_port, "/_event/admins", tls=True,
                              headers={"Cookie": cookie_header(alice)}) as c:
        assert c.echo(wslib.TEXT, "hi").payload == b"hi"

    idp.set_auto_login("bob")
    bob = session_factory()
    sign_in(bob, httpd)
    r = bob.get(httpd.https_url("/app/admins/x"), headers=HTML, allow_redirects=False)
    assert r.status_code == 403 and "Forbidden" in r.text
    with pytest.raises(wslib.HandshakeRefused) as refused:
        wslib.Client.connect(httpd.https_port, "/_event/admins", tls=True,
                             headers={"Cookie": cookie_header(bob)})
    assert refused.value.status_line.startswith("HTTP/1.1 403")
    # bob is let into what needs no group
    assert reflex_headers(bob.get(httpd.https_url("/app/x"), headers=FETCH).json())[
        "x-reflex-provider"] == ["generic"]


def test_broken_cookies_are_cleared_and_served_anonymously(
        httpd_factory, idp_factory, echo_backend, ws_backend, http_session, session_factory):
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    httpd.expect_log(r"RXA00062: provider generic: session cookies treated as absent",
                     min_count=4)
    sign_in(http_session, httpd)
    good = {c.name: c.value for c in http_session.cookies if c.name.startswith("__Host-")}
    at = "__Host-reflex_generic_access_token"
    idt = "__Host-reflex_generic_id_token"

    def flip(v):
        i = len(v) // 2
        return v[:i] + ("A" if v[i] != "A" else "B") + v[i + 1:]

    variants = {
        "flipped": {**good, at: flip(good[at])},
        "truncated": {**good, idt: good[idt][:-5]},
        "missing": {k: v for k, v in good.items() if k != at},
        "moved": {**good, at: good[idt]},
    }
    for name, jar in variants.items():
        cookie = "; ".join("%s=%s" % kv for kv in jar.items())
        s = session_factory()
        r = s.get(httpd.https_url("/app/page"),
                  headers={**HTML, **FORGED, "Cookie": cookie}, allow_redirects=False)
        assert r.status_code == 200, (name, r.status_code)
        assert reflex_headers(r.json()) == {}, name
        cleared = sorted(c.split("=", 1)[0] for c in set_cookies(r) if "Max-Age=0" in c)
        assert cleared == SESSION_COOKIES, (name, set_cookies(r))
    # the good set still works
    r = http_session.get(httpd.https_url("/app/page"), headers=FETCH)
    assert reflex_headers(r.json())["x-reflex-provider"] == ["generic"]


def test_websocket_upgrades(httpd_factory, idp_factory, echo_backend, ws_backend,
                            http_session):
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    origin = {"Origin": httpd.https_url("").rstrip("/")}
    # anonymous: through, without any identity header
    with wslib.Client.connect(httpd.https_port, "/_event/?EIO=4&transport=websocket",
                              tls=True, headers={**origin, **FORGED}) as c:
        assert c.echo(wslib.TEXT, "anonymous").key() == (True, wslib.TEXT, b"anonymous")
        assert c.echo(wslib.BINARY, b"\x00\x01").payload == b"\x00\x01"
    (anon,) = ws_backend.wait_connections(1)
    assert anon.request_line == "GET /_event/?EIO=4&transport=websocket HTTP/1.1"
    assert reflex_headers(anon.headers) == {}, anon.headers
    assert access_user(httpd, "/_event/?EIO=4&transport=websocket") == "-"

    # signed in: the identity headers, the forged ones gone
    sign_in(http_session, httpd)
    with wslib.Client.connect(httpd.https_port, "/_event/", tls=True,
                              headers={**origin, **FORGED,
                                       "Cookie": cookie_header(http_session)}) as c:
        assert c.echo(wslib.TEXT, "signed in").payload == b"signed in"
    signed = ws_backend.wait_connections(2)[1]
    got = reflex_headers(signed.headers)
    assert got["x-reflex-user-sub"][0] and got["x-reflex-user-sub"] != ["mallory"]
    assert got["x-reflex-provider"] == ["generic"]
    assert got["x-reflex-user-email"] == ["alice@example.test"]
    assert set(got) <= set(EXPORTED), got
    assert access_user(httpd, "/_event/") == got["x-reflex-user-sub"][0]


def test_public_pages_stay_up_while_the_idp_is_down(httpd_factory, idp_factory, echo_backend,
                                                    ws_backend, http_session,
                                                    session_factory):
    # a session made where the IdP is known, then a replica (same secret)
    # whose IdP cannot be reached
    httpd, idp = start(httpd_factory, idp_factory, echo_backend, ws_backend)
    sign_in(http_session, httpd)
    dead = "http://127.0.0.1:%d" % harness.free_port()
    replica_env = {**idp.env("basic-rs256"), "OIDC_ISSUER_URI": dead,
                   "OIDC_COOKIE_SECRET": COOKIE_SECRET}
    replica = httpd_factory(extra_modules=("proxy", "proxy_http", "proxy_wstunnel"),
                            cgi=True)
    replica.expect_log(r"RXA00011: issuer %s cannot be used yet" % re.escape(dead),
                       min_count=1, max_count=1)
    replica.expect_log(r"RXA02114: issuer .* still unavailable")
    unavailable = r"RXA00021: \[error id [0-9a-f]{12}\] no identity provider can be used"
    replica.expect_log(unavailable, min_count=3, max_count=3)
    replica.expect_log(r"RXA00062: provider generic: session cookies treated as absent",
                       min_count=1, max_count=1)
    replica.write_doc("pub/index.html", "<p>public index</p>\n")
    replica.start(conf=CONF % {"scopes": "", "echo": echo_backend.url, "ws": ws_backend.port},
                  env=replica_env)

    anon = session_factory()
    r = anon.get(replica.https_url("/app/page"), headers={**HTML, **FORGED},
                 allow_redirects=False)
    assert r.status_code == 200 and reflex_headers(r.json()) == {}
    r = anon.get(replica.https_url("/pub/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and r.text == "<p>public index</p>\n"
    with wslib.Client.connect(replica.https_port, "/_event/", tls=True, headers=FORGED) as c:
        assert c.echo(wslib.TEXT, "up").payload == b"up"
    assert reflex_headers(ws_backend.wait_connections(1)[0].headers) == {}

    # where a user is needed, or cookies that open need the IdP: 503 as
    # without the directive, never served as someone else or as nobody
    r = anon.get(replica.https_url("/app/admins/x"), headers=HTML, allow_redirects=False)
    assert r.status_code == 503 and "Sign-in is unavailable" in r.text
    r = anon.get(replica.https_url("/app/page"), allow_redirects=False,
                 headers={**HTML, "Cookie": cookie_header(http_session)})
    assert r.status_code == 503 and "Sign-in is unavailable" in r.text
    assert not set_cookies(r)
    r = anon.get(replica.https_url("/app/strict/x"), headers=HTML, allow_redirects=False)
    assert r.status_code == 503
    # cookies that do not open are stale whatever the IdP does
    r = anon.get(replica.https_url("/app/page"), allow_redirects=False,
                 headers={**HTML, "Cookie": "__Host-reflex_generic_access_token=garbage"})
    assert r.status_code == 200 and reflex_headers(r.json()) == {}
    assert [c for c in set_cookies(r) if "Max-Age=0" in c]
    assert len(echo_backend.requests) == 2   # the two served anonymously
