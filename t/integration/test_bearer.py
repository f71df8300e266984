"""Bearer tokens for APIs (ReflexAuthBearer): JWT access tokens of the
test IdP accepted, with the headers the backend sees; every refused token
answered as RFC 6750 says (401 invalid_token, 400 invalid_request, the bare
challenge where a token is required), never a cookie or a redirect;
Require reflex-scope; a repeated token verified once; no audience, no
config."""

import json
import re
import socket
import time
import urllib.parse

import pytest
import requests

import harness
from harness import COOKIE_SECRET, HTTP_TIMEOUT, follow, make_client

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwk, jwt  # noqa: E402

API = "https://api.example.test/"
AUDIENCE = "api-audience-1"
OTHER_API = "https://other.example.test/"
SHORT_API = "https://short.example.test/"

HTML = {"Accept": "text/html,application/xhtml+xml"}
FETCH = {"Accept": "application/json", "Sec-Fetch-Mode": "cors"}

CONF = """
ReflexAuthClockSkew 0
ReflexAuthAuditLog ${TEST_ROOT}/logs/audit.jsonl
ProxyPass /api/ %(echo)s/api/
ProxyPass /only/ %(echo)s/only/
ProxyPass /narrow/ %(echo)s/narrow/
<Location /api/>
    AuthType ReflexOIDC
    Require valid-user
    ReflexAuthBearer On
    ReflexAuthBearerAudience other-api %(aud)s
</Location>
<Location /api/read/>
    Require reflex-scope api:admin api:read
</Location>
<Location /api/admin/>
    Require reflex-scope api:admin
</Location>
<Location /api/oidc/>
    Require reflex-scope openid
</Location>
<Location /only/>
    AuthType ReflexOIDC
    Require valid-user
    ReflexAuthBearer Only
    ReflexAuthBearerAudience %(aud)s
</Location>
<Location /narrow/>
    AuthType ReflexOIDC
    Require valid-user
    ReflexAuthBearer Only
    ReflexAuthBearerAudience other-api
</Location>
"""


@pytest.fixture
def site(httpd_factory, idp_factory, echo_backend):
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http"))
    clients = harness.standard_clients(httpd.redirect_uris(),
                                       httpd.post_logout_redirect_uris())
    clients.append(make_client("api-client", grant_types=["client_credentials"],
                               response_types=[]))
    idp = idp_factory(
        clients=clients,
        resource_servers={
            API: {"audience": AUDIENCE, "scope": "api:read api:write"},
            OTHER_API: {"audience": "someone-else"},
            # exp is in whole seconds: a 3 s token is good for 2 to 3 s
            SHORT_API: {"audience": AUDIENCE, "ttl": 3},
        },
        client_credentials=True)
    httpd.start(conf=CONF % {"echo": echo_backend.url, "aud": AUDIENCE},
                env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    httpd.expect_log(r"RXA00316: bearer token refused")
    return httpd, idp, echo_backend


def client_token(idp, resource=API, scope="api:read"):
    client = idp.client("api-client")
    r = requests.post(idp.discovery()["token_endpoint"],
                      data={"grant_type": "client_credentials",
                            "resource": resource, "scope": scope},
                      auth=(client["client_id"], client["client_secret"]),
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def user_token(idp):
    """alice's access token for the API through the code flow."""
    rp = harness.ScriptedClient(idp, "basic-rs256")
    code = rp.authorize(requests.Session(), scope="openid email",
                        resource=API)
    r = rp._token_request({"grant_type": "authorization_code", "code": code,
                           "redirect_uri": rp.redirect_uri,
                           "code_verifier": rp.verifier, "resource": API})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert token.count(".") == 2, "not a JWT"
    return token


def claims_of(token):
    return json.loads(jwcrypto.common.base64url_decode(token.split(".")[1]))


def forged(idp, key=None, alg="RS256", kid=None, **claims):
    """A token signed with KEY (default: a new RSA key with the IdP's kid)."""
    now = int(time.time())
    body = {"iss": idp.issuer, "aud": AUDIENCE, "sub": "mallory",
            "client_id": "api-client", "scope": "api:read",
            "iat": now, "exp": now + 300, **claims}
    if kid is None:
        kid = idp.jwks()["keys"][0]["kid"]
    if key is None:
        key = jwk.JWK.generate(kty="RSA", size=2048, kid=kid)
    tok = jwt.JWT(header={"alg": alg, "typ": "at+jwt", "kid": kid}, claims=body)
    tok.make_signed_token(key)
    return tok.serialize()


def call(session, httpd, path, token=None, headers=None):
    h = dict(FETCH)
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    return session.get(httpd.https_url(path), headers=h, allow_redirects=False)


def echoed(resp):
    record = resp.json()
    return {k.lower(): v for k, v in record["headers"]
            if k.lower().startswith("x-reflex-")}


def challenge(resp):
    """The WWW-Authenticate Bearer parameters as a dict."""
    value = resp.headers["WWW-Authenticate"]
    assert value.startswith("Bearer "), value
    return dict(re.findall(r'(\w+)="([^"]*)"', value))


def assert_refused(resp, status=401, error="invalid_token"):
    assert resp.status_code == status, resp.text
    assert "Location" not in resp.headers
    assert not resp.raw.headers.getlist("Set-Cookie")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Type"].startswith("application/json")
    params = challenge(resp)
    assert params["realm"]
    assert params.get("error") == error
    assert resp.json()["error"] == error
    return params


def audit_lines(httpd):
    path = httpd.root / "logs" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l]


def test_client_token_accepted_with_its_headers(site, http_session):
    httpd, idp, _ = site
    token = client_token(idp, scope="api:read api:write")
    forged_headers = {"X-Reflex-Token-Scopes": "api:admin",
                      "X-Reflex-Client-Id": "evil", "X_Reflex_User_Sub": "x"}
    r = call(http_session, httpd, "/api/things", token, forged_headers)
    assert r.status_code == 200, r.text
    assert not r.raw.headers.getlist("Set-Cookie")
    got = echoed(r)
    assert got["x-reflex-user-sub"] == "api-client"
    assert sorted(got["x-reflex-token-scopes"].split(" ")) == ["api:read",
                                                                "api:write"]
    assert got["x-reflex-client-id"] == "api-client"
    assert got["x-reflex-provider"] == "generic"
    assert "x-reflex-granted-scopes" not in got
    assert "x_reflex_user_sub" not in got
    httpd.assert_log_clean()


def test_user_token_from_the_code_flow_accepted(site, http_session):
    httpd, idp, _ = site
    token = user_token(idp)
    assert claims_of(token)["sub"] == "alice"
    r = call(http_session, httpd, "/only/me", token)
    assert r.status_code == 200, r.text
    got = echoed(r)
    assert got["x-reflex-user-sub"] == "alice"
    assert got["x-reflex-client-id"] == "basic-rs256"
    assert "x-reflex-token-scopes" in got
    httpd.assert_log_clean()


def test_refused_tokens(site, http_session):
    httpd, idp, _ = site
    good = client_token(idp)
    public = jwk.JWK(**idp.jwks()["keys"][0]).export_to_pem()
    own = jwk.JWK.generate(kty="RSA", size=2048, kid="own")
    cases = {
        "other audience": client_token(idp, resource=OTHER_API),
        "unknown key": forged(idp),
        "unknown kid": forged(idp, key=own, kid="own"),
        "alg none": "%s.%s." % (
            jwcrypto.common.base64url_encode(json.dumps(
                {"alg": "none", "typ": "at+jwt"})),
            good.split(".")[1]),
        "hmac with the public key": forged(
            idp, key=jwk.JWK(kty="oct", k=jwcrypto.common.base64url_encode(public)),
            alg="HS256"),
        "another issuer": forged(idp, key=own, kid="own",
                                 iss="https://evil.example.test"),
        "garbage": "garbage",
        "truncated": good[:-12],
        "opaque": "x" * 43,
    }
    for what, token in cases.items():
        r = call(http_session, httpd, "/only/x", token)
        params = assert_refused(r)
        assert params["error_description"], what
        assert token not in r.text, what
    # the audience rule names which one failed
    r = call(http_session, httpd, "/only/x", cases["other audience"])
    assert "not meant for this resource" in challenge(r)["error_description"]
    # the same on a location where bearer tokens are optional: no sign-in
    r = call(http_session, httpd, "/api/x", "garbage", HTML)
    assert_refused(r)
    log = httpd.log_text()
    for token in cases.values():
        if len(token) > 20:
            assert token not in log
    audit = [l for l in audit_lines(httpd) if l["event"] == "bearer_refused"]
    assert audit
    reasons = {l["reason"] for l in audit}
    assert {"bearer_signature_invalid", "bearer_claims_invalid",
            "bearer_malformed", "issuer_mismatch"} <= reasons
    signed = [l for l in audit if l["reason"] == "bearer_claims_invalid"][0]
    assert signed["issuer"] == idp.issuer
    assert signed["client_id"] == "api-client"
    assert signed["check"] == "aud"
    text = (httpd.root / "logs" / "audit.jsonl").read_text()
    assert good.split(".")[2] not in text
    httpd.assert_log_clean()


def test_expired_token(site, http_session):
    httpd, idp, _ = site
    token = client_token(idp, resource=SHORT_API)
    assert call(http_session, httpd, "/only/x", token).status_code == 200
    time.sleep(4.2)
    r = call(http_session, httpd, "/only/x", token)
    params = assert_refused(r)
    assert "expired" in params["error_description"]
    assert any(l["reason"] == "bearer_expired" for l in audit_lines(httpd))
    httpd.assert_log_clean()


def test_malformed_and_repeated_headers(site, http_session):
    httpd, idp, _ = site
    good = client_token(idp)
    for value in ("Bearer", "Bearer ", "Bearer a b", "Bearer " + good + ", Bearer " + good):
        r = http_session.get(httpd.https_url("/only/x"),
                             headers={**FETCH, "Authorization": value},
                             allow_redirects=False)
        assert_refused(r, 400, "invalid_request")
    # two header lines: requests would merge them, so a raw socket
    port = urllib.parse.urlsplit(httpd.http_url("/")).port
    with socket.create_connection((harness.LOOPBACK, port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(("GET /only/x HTTP/1.1\r\nHost: localhost:%d\r\n"
                   "Authorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
                   "Connection: close\r\n\r\n" % (port, good, good)).encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 400"), head
    assert 'error="invalid_request"' in head
    assert "Set-Cookie" not in head
    httpd.assert_log_clean()


def test_no_token_where_one_is_required(site, http_session):
    httpd, idp, _ = site
    good = client_token(idp)
    for headers in (FETCH, HTML):
        r = http_session.get(httpd.https_url("/only/x"), headers=headers,
                             allow_redirects=False)
        assert r.status_code == 401
        assert "Location" not in r.headers
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="%s"' % \
            challenge(r)["realm"]
        assert "error" not in challenge(r)
        assert r.headers["Cache-Control"] == "no-store"
        assert not r.raw.headers.getlist("Set-Cookie")
    # a token in the query string or a form body is never read
    r = http_session.get(httpd.https_url("/only/x?access_token=" + good),
                         headers=FETCH, allow_redirects=False)
    assert r.status_code == 401 and "error" not in challenge(r)
    r = http_session.post(httpd.https_url("/only/x"), data={"access_token": good},
                          headers=FETCH, allow_redirects=False)
    assert r.status_code == 401 and "error" not in challenge(r)
    # Basic is no bearer token
    r = http_session.get(httpd.https_url("/only/x"), auth=("a", "b"),
                         headers=FETCH, allow_redirects=False)
    assert r.status_code == 401 and "error" not in challenge(r)
    httpd.assert_log_clean()


def test_on_without_a_token_is_the_usual_sign_in(site, http_session):
    httpd, idp, _ = site
    good = client_token(idp)
    r = http_session.get(httpd.https_url("/api/x?access_token=" + good),
                         headers=HTML, allow_redirects=False)
    assert r.status_code == 302
    assert "/login?redirect_to=" in r.headers["Location"]
    r = http_session.get(httpd.https_url("/api/x"), headers=FETCH,
                         allow_redirects=False)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "ReflexOIDC"
    # a browser signs in and is served by its cookies
    follow(http_session, httpd.https_url("/login?provider=generic&redirect_to=%2Fapi%2Fx"),
           headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/api/x")))
    r = http_session.get(httpd.https_url("/api/x"), headers=FETCH,
                         allow_redirects=False)
    assert r.status_code == 200, r.text
    assert echoed(r)["x-reflex-user-sub"] == "alice"
    assert "x-reflex-token-scopes" not in echoed(r)
    # with a token, the cookies are ignored: the token decides
    r = call(http_session, httpd, "/api/x", good)
    assert r.status_code == 200
    assert echoed(r)["x-reflex-user-sub"] == "api-client"
    r = call(http_session, httpd, "/api/x", "garbage")
    assert_refused(r)
    httpd.assert_log_clean()


def test_require_reflex_scope(site, http_session):
    httpd, idp, _ = site
    token = client_token(idp, scope="api:read")
    r = call(http_session, httpd, "/api/read/x", token)
    assert r.status_code == 200, r.text
    r = call(http_session, httpd, "/api/admin/x", token)
    params = assert_refused(r, 403, "insufficient_scope")
    assert params["scope"] == "api:admin"
    # written at log_transaction, after the answer
    harness.wait_until(lambda: [l for l in audit_lines(httpd)
                                if l["event"] == "access_denied"], 5,
                       "the access_denied audit line")
    denied = [l for l in audit_lines(httpd) if l["event"] == "access_denied"]
    assert denied[-1]["reason"] == "insufficient_scope"
    # a cookie sign-in's granted scopes hold no api:admin either
    follow(http_session, httpd.https_url("/login?provider=generic&redirect_to=%2Fapi%2Fx"),
           headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/api/x")))
    r = http_session.get(httpd.https_url("/api/admin/x"), headers=HTML,
                         allow_redirects=False)
    assert r.status_code == 403
    assert "WWW-Authenticate" not in r.headers
    # ... but openid, which a token for the API lacks
    r = http_session.get(httpd.https_url("/api/oidc/x"), headers=FETCH,
                         allow_redirects=False)
    assert r.status_code == 200, r.text
    r = call(harness.make_session(), httpd, "/api/oidc/x", token)
    params = assert_refused(r, 403, "insufficient_scope")
    assert params["scope"] == "openid"
    httpd.expect_log(r"RXA00322: access denied")
    httpd.expect_log(r"AH01630|AH01631")
    httpd.assert_log_clean()


def test_a_repeated_token_is_verified_once(site):
    httpd, idp, _ = site
    token = client_token(idp)
    mark = httpd.log_mark()
    with harness.make_session() as s:    # one connection: one process
        for _ in range(5):
            r = call(s, httpd, "/only/x", token)
            assert r.status_code == 200
        # a token taken from the cache still meets each location's audience
        r = call(s, httpd, "/narrow/x", token)
        assert "not meant for this resource" in assert_refused(r)["error_description"]
    lines = [l for l in httpd.log_lines(mark) if "RXA00315" in l]
    assert len(lines) == 1, lines
    httpd.assert_log_clean()


def test_bearer_without_an_audience_fails_the_config_test(site):
    httpd, _, _ = site
    conf = CONF.replace("    ReflexAuthBearerAudience %(aud)s\n", "", 1)
    rc, out, err = httpd.configtest(conf=conf % {"echo": "http://127.0.0.1:9",
                                                 "aud": AUDIENCE})
    assert rc != 0
    assert "RXA00313" in err and "ReflexAuthBearerAudience" in err
    rc, out, err = httpd.configtest(conf=CONF % {"echo": "http://127.0.0.1:9",
                                                 "aud": AUDIENCE})
    assert rc == 0, err
    # in a <Directory> too; an enclosing section's audience serves
    directory = ("<Directory /tmp/x>\n    AuthType ReflexOIDC\n"
                 "    ReflexAuthBearer Only\n</Directory>\n")
    rc, out, err = httpd.configtest(conf=directory)
    assert rc != 0 and "RXA00313" in err and "/tmp/x" in err
    rc, out, err = httpd.configtest(
        conf="<Directory /tmp>\n    ReflexAuthBearerAudience %s\n"
             "</Directory>\n%s" % (AUDIENCE, directory))
    assert rc == 0, err
