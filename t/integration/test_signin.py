"""Sign-in end to end with a scripted client against the real
oidc-provider: the authorization request, the callback, the four cookies,
the per-request check, identity headers, authorization, sync and logout."""

import json
import os
import re
import urllib.parse

import pytest

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html,application/xhtml+xml"}
AUTH_COOKIES = ("access_token", "id_token", "refresh_token", "granted_scopes")
AUTH_ATTRS = "; Path=/; Max-Age=604800; Secure; HttpOnly; SameSite=Strict"

PROTECTED = """
ReflexAuthExtraScopes groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /admins>
    AuthType ReflexOIDC
    Require reflex-claim groups admins
</Location>
"""


def start(httpd_factory, idp_factory, client="basic-rs256", conf=PROTECTED,
          idp_kwargs=None, **httpd_kwargs):
    httpd = httpd_factory(**httpd_kwargs)
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    httpd.write_doc("admins/index.html", "<p>admins only</p>\n")
    idp_kwargs = dict(idp_kwargs or {})
    for c in idp_kwargs.get("clients", ()):
        c["redirect_uris"] = [u.replace("{port}", str(httpd.https_port))
                              for u in c["redirect_uris"]]
    idp = idp_factory(rp=httpd, **idp_kwargs)
    httpd.start(conf=conf, env={**idp.env(client), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def set_cookies(resp):
    """Every Set-Cookie header of a response, as sent."""
    return resp.raw.headers.getlist("Set-Cookie")


def sign_in(session, httpd, provider="generic", redirect_to="/private/"):
    """Walk a sign-in; returns the callback response (the 200 page)."""
    url = httpd.https_url("/login?provider=%s&redirect_to=%s"
                          % (provider, urllib.parse.quote(redirect_to, safe="")))
    resp = follow(session, url, headers=HTML, meta_refresh=False,
                  stop=lambda u: not u.startswith(httpd.https_url("/"))
                  and "127.0.0.1" not in u)
    callback = [h for h in resp.hops if h.url.startswith(httpd.https_url("/callback"))]
    assert callback, [h.url for h in resp.hops]
    return callback[-1]


def auth_cookie_names(provider="generic"):
    return ["__Host-reflex_%s_%s" % (provider, k) for k in AUTH_COOKIES]


@pytest.mark.parametrize("client,methods", [
    ("basic-rs256", None),
    ("basic-es256", None),
    ("post-rs256", ["client_secret_post", "none"]),
    ("public-rs256", None),
    ("public-es256", None),
])
def test_sign_in_each_client_type(httpd_factory, idp_factory, http_session, client, methods):
    kwargs = {}
    if methods:
        # an IdP that lists only client_secret_post: the module must use it
        kwargs = {"client_auth_methods": methods, "clients": [
            harness.make_client(client, auth="client_secret_post",
                                redirect_uris=["https://localhost:{port}/callback"])]}
    httpd, idp = start(httpd_factory, idp_factory, client, idp_kwargs=kwargs)
    cb = sign_in(http_session, httpd)
    assert cb.status_code == 200
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and "private" in r.text
    token = idp.requests_log("/token")
    assert token and token[-1]["status"] == 200
    expected = {"basic": "basic", "post": "client_secret_post", "public": "none"}[client.split("-")[0]]
    if expected == "basic":
        assert token[-1]["authorization"] == "Basic"
        assert "client_secret" not in token[-1]["form"]
    elif expected == "client_secret_post":
        assert token[-1]["form"]["client_secret"]
        assert not token[-1]["authorization"]
    else:
        assert "client_secret" not in token[-1]["form"] and not token[-1]["authorization"]
        assert token[-1]["form"]["client_id"] == client
    assert token[-1]["form"]["code_verifier"]
    assert token[-1]["form"]["redirect_uri"] == httpd.https_url("/callback")


def test_authorization_request_is_exact(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    r = http_session.get(httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
                         allow_redirects=False)
    assert r.status_code == 302
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == idp.discovery()["authorization_endpoint"]
    q = urllib.parse.parse_qs(loc.query, strict_parsing=True)
    assert all(len(v) == 1 for v in q.values())
    q = {k: v[0] for k, v in q.items()}
    assert set(q) == {"response_type", "client_id", "redirect_uri", "scope", "state",
                      "nonce", "code_challenge", "code_challenge_method"}
    assert q["response_type"] == "code" and q["client_id"] == "basic-rs256"
    assert q["redirect_uri"] == httpd.https_url("/callback")
    assert q["scope"] == "openid email profile groups"   # ExtraScopes merged
    assert q["code_challenge_method"] == "S256"
    for k in ("state", "nonce", "code_challenge"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q[k]), k   # 256 bits
    # the login-state cookie: sealed, Lax, scoped to the callback path
    state_cookies = [c for c in set_cookies(r) if c.startswith("__Secure-reflex_login_0=")]
    assert len(state_cookies) == 1
    assert state_cookies[0].endswith("; Path=/callback; Max-Age=600; Secure; HttpOnly; SameSite=Lax")
    value = state_cookies[0].split("=", 1)[1].split(";")[0]
    for secret in (q["state"], q["nonce"]):
        assert secret not in value


def test_four_cookies_exact_and_sealed(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    cb = sign_in(http_session, httpd)
    sent = {c.split("=", 1)[0]: c for c in set_cookies(cb)}
    for name in auth_cookie_names():
        assert name in sent, sent.keys()
        value = sent[name].split("=", 1)[1].split(";", 1)[0]
        assert sent[name] == "%s=%s%s" % (name, value, AUTH_ATTRS)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
        assert not value.startswith("eyJ")      # not a raw JWT
    # the callback page gets the browser to redirect_to; no token leaks in it
    assert "/private/" in cb.text and "eyJ" not in cb.text
    assert "script-src 'nonce-" in cb.headers["Content-Security-Policy"]
    assert cb.headers["Cache-Control"] == "no-store"
    # the login-state cookie is cleared
    assert any(c.startswith("__Secure-reflex_login_0=; Path=/callback; Max-Age=0")
               for c in set_cookies(cb))


def test_second_login_keeps_first_in_flight(httpd_factory, idp_factory, http_session):
    """Two tabs: two logins started, both callbacks work."""
    httpd, idp = start(httpd_factory, idp_factory)
    s = http_session
    firsts = []
    for _ in range(2):
        r = s.get(httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
                  allow_redirects=False)
        firsts.append(r.headers["Location"])
    for loc in reversed(firsts):
        r = follow(s, loc, stop=lambda u: u.startswith(httpd.https_url("/private")))
        assert r.status_code == 200, [h.url for h in r.hops]
        assert r.url.startswith(httpd.https_url("/callback"))


def test_expired_login_state_gives_400_with_a_way_back(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    r = http_session.get(httpd.https_url("/callback?code=abc&state=nope"))
    assert r.status_code == 400
    assert "expired" in r.text and 'href="/login"' in r.text
    assert re.search(r"Error id: <code>[0-9a-f]{12}</code>", r.text)


def test_repeated_callback_parameters_refused(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    for q in ("code=a&code=b&state=s", "code=a&state=s&state=t", "&&&;;", "code=%zz&state=s"):
        r = http_session.get(httpd.https_url("/callback?" + q))
        assert r.status_code == 400, q


def test_idp_error_is_shown_escaped(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    r = http_session.get(httpd.https_url("/login?provider=generic&redirect_to=%2F"),
                         allow_redirects=False)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)["state"][0]
    r = http_session.get(httpd.https_url(
        "/callback?state=%s&error=access_denied%%3Cb%%3E&error_description=%%3Cscript%%3Ealert(1)%%3C/script%%3E"
        % state))
    assert r.status_code == 400
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "access_denied&lt;b&gt;" in r.text


def test_identity_headers_and_scrubbing_through_proxy(httpd_factory, idp_factory,
                                                       http_session, echo_backend):
    conf = """
ReflexAuthExtraScopes groups
ProxyPass /app/ %s/
<Location /app/>
    AuthType ReflexOIDC
    Require valid-user
</Location>
ProxyPass /open/ %s/
""" % (echo_backend.url, echo_backend.url)
    httpd, idp = start(httpd_factory, idp_factory, conf=conf,
                       extra_modules=("proxy", "proxy_http"))
    spoof = {"X-Reflex-User-Sub": "mallory", "x-reflex-user-email": "m@evil",
             "X_Reflex_User_Groups": "admins", "X-REFLEX-PROVIDER": "evil",
             "X-Reflex-Anything": "1", "X-Reflex-Token-Scopes": "api:admin",
             "x-reflex-client-id": "evil"}
    # not signed in: spoofed headers never reach the backend
    r = http_session.get(httpd.https_url("/open/x"), headers=spoof)
    assert r.status_code == 200
    names = [h[0].lower().replace("_", "-") for h in r.json()["headers"]]
    assert not [n for n in names if n.startswith("x-reflex")], names
    # signed in: ours arrive, theirs do not
    sign_in(http_session, httpd, redirect_to="/app/")
    r = http_session.get(httpd.https_url("/app/x"), headers={**spoof, **HTML})
    assert r.status_code == 200
    got = {}
    for k, v in r.json()["headers"]:
        got.setdefault(k.lower(), []).append(v)
    assert got["x-reflex-user-sub"] != ["mallory"] and len(got["x-reflex-user-sub"]) == 1
    assert got["x-reflex-user-email"] == ["alice@example.test"]
    assert got["x-reflex-user-name"] == ["Alice Liddell"]
    assert got["x-reflex-user-groups"] == ["admins,staff"]
    assert got["x-reflex-provider"] == ["generic"]
    assert got["x-reflex-granted-scopes"][0].startswith("openid")
    assert "x-reflex-anything" not in got and "x_reflex_user_groups" not in got
    # a bearer token's headers come only with a bearer token
    assert "x-reflex-token-scopes" not in got and "x-reflex-client-id" not in got


def test_one_connection_carrying_several_users(httpd_factory, idp_factory,
                                               session_factory, echo_backend):
    """A reverse proxy in front may send many users' requests over one
    keep-alive connection: each request is the user of its own cookies,
    whatever the connection carried before (the per-connection memo of
    the per-connection memo holds only for a byte-identical Cookie header)."""
    import http.client
    import ssl
    conf = """
ProxyPass /app/ %s/
<Location /app/>
    AuthType ReflexOIDC
    Require valid-user
</Location>
""" % echo_backend.url
    httpd, idp = start(httpd_factory, idp_factory, conf=conf,
                       extra_modules=("proxy", "proxy_http"))
    cookies = {}
    for account in ("alice", "bob"):
        idp.set_auto_login(account)
        s = session_factory()
        sign_in(s, httpd, redirect_to="/app/")
        cookies[account] = "; ".join("%s=%s" % (c.name, c.value) for c in s.cookies
                                     if c.name.startswith("__Host-reflex_"))
    conn = http.client.HTTPSConnection("localhost", httpd.https_port,
                                       context=ssl._create_unverified_context())

    def who(cookie):
        conn.request("GET", "/app/x", headers={"Cookie": cookie, **HTML} if cookie else HTML)
        r = conn.getresponse()
        body = r.read()
        assert not r.will_close             # still the same connection
        if r.status != 200:
            return r.status
        got = {k.lower(): v for k, v in json.loads(body)["headers"]}
        return got["x-reflex-user-sub"], got.get("x-reflex-user-email")
    alice = ("alice", "alice@example.test")
    bob = ("bob", "bob@example.test")
    # each twice in a row (the second from the connection's memo), then back
    for cookie, want in ((cookies["alice"], alice), (cookies["alice"], alice),
                         (cookies["bob"], bob), (cookies["bob"], bob),
                         (cookies["alice"], alice), (None, 302),
                         (cookies["alice"] + "; other=1", alice),
                         (cookies["alice"].replace("=", "=x", 1), 302),
                         (cookies["bob"], bob)):
        assert who(cookie) == want, (cookie and cookie[:40], want)
    httpd.expect_log(r"RXA00062: provider generic: session cookies treated as absent")
    conn.close()


def test_environment_variables_for_cgi(httpd_factory, idp_factory, http_session):
    conf = """
<Location /cgi-bin/>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""
    httpd, idp = start(httpd_factory, idp_factory, conf=conf, cgi=True)
    sign_in(http_session, httpd, redirect_to="/cgi-bin/env")
    env = http_session.get(httpd.https_url("/cgi-bin/env"), headers=HTML).json()
    assert env["REMOTE_USER"] == env["REFLEX_USER_SUB"]
    assert env["REFLEX_USER_EMAIL"] == "alice@example.test"
    assert env["REFLEX_PROVIDER"] == "generic"
    assert env["AUTH_TYPE"] == "ReflexOIDC"


def test_require_claim(httpd_factory, idp_factory, http_session, session_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    # httpd's own line for an authenticated user it denies (error level)
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=1)
    sign_in(http_session, httpd, redirect_to="/admins/")
    assert http_session.get(httpd.https_url("/admins/"), headers=HTML).status_code == 200
    idp.set_auto_login("bob")
    bob = session_factory()
    sign_in(bob, httpd, redirect_to="/admins/")
    r = bob.get(httpd.https_url("/admins/"), headers=HTML)
    assert r.status_code == 403 and "Forbidden" in r.text
    assert bob.get(httpd.https_url("/private/"), headers=HTML).status_code == 200


def test_bad_cookies_mean_signed_out(httpd_factory, idp_factory, http_session, session_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    good = {c.name: c.value for c in http_session.cookies if c.name.startswith("__Host-")}
    idp.set_auto_login("bob")
    bob = session_factory()
    sign_in(bob, httpd)
    bobs = {c.name: c.value for c in bob.cookies if c.name.startswith("__Host-")}
    names = auth_cookie_names()

    def flip(v, i):
        ch = "A" if v[i] != "A" else "B"
        return v[:i] + ch + v[i + 1:]

    variants = {"none": {}}
    for n in names:
        variants["missing " + n] = {k: v for k, v in good.items() if k != n}
        variants["truncated " + n] = {**good, n: good[n][:-5]}
        variants["flipped " + n] = {**good, n: flip(good[n], len(good[n]) // 2)}
        variants["swapped " + n] = {**good, n: bobs[n]}
        variants["empty " + n] = {**good, n: ""}
    other = names[0].replace("access_token", "id_token")
    variants["moved"] = {**good, names[0]: good[other]}
    for what, jar in variants.items():
        header = "; ".join("%s=%s" % kv for kv in jar.items())
        for accept in (HTML, {"Accept": "application/json"}):
            r = session_factory().get(httpd.https_url("/private/"), allow_redirects=False,
                                      headers={**accept, "Cookie": header} if header else accept)
            assert r.status_code in (302, 401), (what, r.status_code)
        if jar:
            cleared = [c for c in set_cookies(r) if "Max-Age=0" in c]
            assert cleared, what
    # the good set still works
    header = "; ".join("%s=%s" % kv for kv in good.items())
    r = session_factory().get(httpd.https_url("/private/"), headers={**HTML, "Cookie": header})
    assert r.status_code == 200


def test_open_redirect_corpus(httpd_factory, idp_factory, http_session):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                        "testdata", "open-redirect-payloads.txt")
    if not os.path.exists(path):
        pytest.skip("../shared/testdata/open-redirect-payloads.txt is absent")
    httpd, idp = start(httpd_factory, idp_factory)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        payloads = [l.rstrip("\n") for l in f if l.strip()]
    assert len(payloads) > 800
    safe = re.compile(r"^/(?![/\\])[^\x00-\x20\x7f\\]*$")
    for p in payloads:
        q = urllib.parse.quote(p, safe="", errors="surrogateescape")
        r = http_session.get(httpd.https_url("/login?redirect_to=" + q))
        assert r.status_code in (200, 400), p
        if r.status_code == 200:
            href = re.search(r'href="/login\?provider=generic&amp;redirect_to=([^"]*)"', r.text).group(1)
            target = urllib.parse.unquote(href)
            assert safe.match(target), (p, target)
        r = http_session.get(httpd.https_url("/logout?redirect_to=" + q), allow_redirects=False)
        assert r.status_code in (302, 400), p
        if r.status_code == 302:
            assert safe.match(r.headers["Location"]), (p, r.headers["Location"])
    # and one whole sign-in with a hostile redirect_to ends on our origin
    cb = sign_in(http_session, httpd, redirect_to="//evil.example/x")
    assert 'content="0;url=/"' in cb.text


def test_sync_endpoint(httpd_factory, idp_factory, http_session, session_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    url = httpd.https_url("/_reflex/cookies/sync")
    r = session_factory().get(url)
    assert r.status_code == 401 and r.json() == {"authenticated": False}
    assert r.headers["Cache-Control"] == "no-store"
    sign_in(http_session, httpd)
    for method in ("GET", "POST"):
        r = http_session.request(method, url, headers={"Origin": httpd.https_url("").rstrip("/")}
                                 if method == "POST" else {})
        assert r.status_code == 200, method
        body = r.json()
        assert body["authenticated"] is True and body["provider"] == "generic"
        assert body["sub"] and body["expires_at"] > 0
        assert body["granted_scopes"].startswith("openid")
        assert r.headers["Cache-Control"] == "no-store"
        assert len([c for c in set_cookies(r) if c.startswith("__Host-reflex_generic_")]) == 4
    assert http_session.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert http_session.post(url, headers={"Origin": "https://evil.example"}).status_code == 403


def test_sync_when_the_issuer_cannot_be_used_is_503_not_signed_out(
        httpd_factory, idp_factory, http_session):
    """A replica that has not discovered the issuer yet cannot check the
    session: sync says so with a 503 (which the tab script retries later),
    not a 401, which would sign every tab out, and clears nothing."""
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    replica = httpd_factory()
    dead = "http://127.0.0.1:%d" % harness.free_port()
    replica.expect_log(r"RXA00011: issuer %s cannot be used yet" % re.escape(dead),
                       min_count=1, max_count=1)
    replica.expect_log(r"RXA02114: issuer .* still unavailable")
    sync_error = (r"\[reflex_auth:error\].*RXA00132: \[error id [0-9a-f]{12}\] "
                  r"sync cannot check the session")
    replica.expect_log(sync_error, min_count=1, max_count=1)
    replica.start(conf=PROTECTED, env={**idp.env("basic-rs256"), "OIDC_ISSUER_URI": dead,
                                       "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    # the same browser's cookies (the jar ignores ports)
    r = http_session.post(replica.https_url("/_reflex/cookies/sync"),
                          headers={"Origin": replica.https_url("").rstrip("/")})
    assert r.status_code == 503, (r.status_code, r.text)
    body = r.json()
    assert body["error"] == "provider_unavailable" and "authenticated" not in body
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Retry-After"]
    assert not set_cookies(r)
    assert body["error_id"] in replica.wait_for_log(sync_error)
    # the script takes only a 401 as signed out
    script = http_session.get(replica.https_url("/_reflex/cookies/sync.js")).text
    assert "r.status !== 200 && r.status !== 401" in script
    # and the first replica still knows the session
    assert http_session.get(httpd.https_url("/private/"), headers=HTML,
                            allow_redirects=False).status_code == 200


def test_logout(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    # a cross-site GET does not log out
    r = http_session.get(httpd.https_url("/logout"), allow_redirects=False,
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert not [c for c in set_cookies(r) if "Max-Age=0" in c]
    assert http_session.get(httpd.https_url("/private/"), headers=HTML,
                            allow_redirects=False).status_code == 200
    r = http_session.get(httpd.https_url("/logout"), allow_redirects=False)
    assert r.status_code == 302
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == idp.discovery()["end_session_endpoint"]
    q = {k: v[0] for k, v in urllib.parse.parse_qs(loc.query).items()}
    assert q["id_token_hint"].startswith("eyJ")
    assert q["post_logout_redirect_uri"] == httpd.https_url("/")
    assert q["state"]
    cleared = {c.split("=", 1)[0]: c for c in set_cookies(r)}
    for name in auth_cookie_names():
        assert cleared[name] == "%s=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict" % name
    follow(http_session, r.headers["Location"], stop=lambda u: u.startswith(httpd.https_url("/")))
    assert http_session.get(httpd.https_url("/private/"), headers=HTML,
                            allow_redirects=False).status_code == 302


def test_plain_http_on_a_public_name_gets_the_https_page(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    url = "http://rp.test:%d/private/" % httpd.http_port
    r = http_session.get(url, headers=HTML, allow_redirects=False)
    assert r.status_code == 403 and "HTTPS is required" in r.text
    r = http_session.get("http://rp.test:%d/login?provider=generic" % httpd.http_port,
                         allow_redirects=False)
    assert r.status_code == 403 and "HTTPS is required" in r.text
    # localhost over plain http is fine
    r = http_session.get(httpd.http_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302


def test_malformed_host_gets_400(httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    import socket
    for host in ("a b", "evil.example/x", "[::1", "h\x01"):
        with socket.create_connection(("127.0.0.1", httpd.http_port)) as sock:
            sock.sendall(b"GET /private/ HTTP/1.1\r\nHost: " + host.encode("latin-1")
                         + b"\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
            status = sock.recv(100).split(b" ")[1]
        assert status == b"400", host


def test_remote_user_claim_and_pass_access_token(httpd_factory, idp_factory, http_session,
                                                 echo_backend):
    conf = """
ProxyPass /plain/ %(b)s/
ProxyPass /bytoken/ %(b)s/
<Location /plain/>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /bytoken/>
    AuthType ReflexOIDC
    ReflexAuthRemoteUserClaim email
    ReflexAuthPassAccessToken On
    Require user alice@example.test
</Location>
""" % {"b": echo_backend.url}
    httpd, idp = start(httpd_factory, idp_factory, conf=conf,
                       extra_modules=("proxy", "proxy_http", "headers"))
    sign_in(http_session, httpd, redirect_to="/plain/")

    def headers(path):
        r = http_session.get(httpd.https_url(path), headers={**HTML, "X-Reflex-Access-Token": "forged"})
        assert r.status_code == 200, path
        return {k.lower(): v for k, v in r.json()["headers"]}
    plain = headers("/plain/x")
    assert "x-reflex-access-token" not in plain
    tok = headers("/bytoken/x")
    assert tok["x-reflex-access-token"] not in ("", "forged")
    # REMOTE_USER from the email claim is what `Require user` saw
    assert tok["x-reflex-user-email"] == "alice@example.test"
