"""OpenID Connect Back-Channel Logout end to end: the real oidc-provider
sends a logout token when a user signs out there, and her cookies are
refused on every replica; tokens that break a rule are refused (400) and
change nothing; a token with a sub alone ends only the sign-ins begun
before it was issued."""

import base64
import json
import secrets
import time

import pytest

import harness
from harness import COOKIE_SECRET, follow
from test_signin import sign_in

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwk, jwt  # noqa: E402

HTML = {"Accept": "text/html,application/xhtml+xml"}
PATH = "/_reflex/backchannel-logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
CLIENT = "basic-rs256"
REFUSED = r"RXA00241: back-channel logout refused"

PROTECTED = """
ReflexAuthAuditLog logs/audit.jsonl
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def backchannel_uri(httpd):
    # the IdP posts server to server, over plain http on loopback
    return "http://127.0.0.1:%d%s" % (httpd.http_port, PATH)


def client(httpds, session_required=True):
    redirect_uris, post_logout = [], []
    for h in httpds:
        redirect_uris += h.redirect_uris()
        post_logout += h.post_logout_redirect_uris()
    return harness.make_client(
        CLIENT, redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout,
        backchannel_logout_uri=backchannel_uri(httpds[0]),
        backchannel_logout_session_required=session_required)


def start(httpds, idp, conf=PROTECTED):
    for h in httpds:
        h.write_doc("private/index.html", "<p>private</p>\n")
        h.start(conf=conf, env={**idp.env(CLIENT),
                                "OIDC_COOKIE_SECRET": COOKIE_SECRET})


def signed_in(session, httpd):
    r = session.get(httpd.https_url("/private/"), headers=HTML,
                    allow_redirects=False)
    return r.status_code == 200


def refused_within(session, httpd, seconds=2.0):
    """True when SESSION's cookies are refused at HTTPD within SECONDS."""
    deadline = time.monotonic() + seconds
    while True:
        if not signed_in(session, httpd):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def sign_in_as(idp, httpd, account):
    idp.set_auto_login(account)
    s = harness.make_session()
    assert sign_in(s, httpd).status_code == 200
    assert signed_in(s, httpd)
    return s


def audit(httpd):
    path = httpd.root / "logs" / "audit.jsonl"
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line]
    except FileNotFoundError:
        return []


# --- forging tokens with the IdP's own keys ---------------------------------

def b64(obj):
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_key(idp):
    k = next(k for k in idp.private_jwks()["keys"] if k["kty"] == "RSA")
    return jwk.JWK(**k), k["kid"]


def sign(idp, claims, header=None):
    key, kid = rsa_key(idp)
    tok = jwt.JWT(header={"alg": "RS256", "kid": kid, "typ": "logout+jwt",
                          **(header or {})}, claims=claims)
    tok.make_signed_token(key)
    return tok.serialize()


def claims(idp, **changes):
    """A valid logout token's claims for alice with sub alone: it would end
    every sign-in of hers begun before now (iat a second ahead, within the
    clock skew)."""
    now = int(time.time())
    c = {"iss": idp.issuer, "aud": CLIENT, "iat": now + 1, "exp": now + 120,
         "jti": secrets.token_urlsafe(16), "sub": "alice",
         "events": {EVENT: {}}}
    c.update(changes)
    return {k: v for k, v in c.items() if v is not None}


def post(httpd, token=None, data=None, method="POST"):
    return harness.make_session().request(
        method, backchannel_uri(httpd),
        data=data if data is not None else {"logout_token": token})


def assert_refused(resp):
    assert resp.status_code == 400, (resp.status_code, resp.text)
    assert resp.json() == {"error": "invalid_request"}
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store"


# --- (a) started by the IdP itself --------------------------------------------

def idp_sign_out(session, idp):
    """Sign out at the IdP's end_session endpoint (its confirmation page
    submits itself); the IdP sends its logout tokens before it answers."""
    resp = follow(session, idp.endpoint("end_session"), headers=HTML)
    assert resp.status_code == 200, resp.text


def test_idp_sign_out_ends_the_sign_in_on_every_replica(
        memcached, httpd_factory, idp_factory):
    # memcached first: it stops after the httpds that use it
    httpds = [httpd_factory(), httpd_factory()]
    idp = idp_factory(clients=[client(httpds)])
    start(httpds, idp, conf="ReflexAuthSharedCache %s\n%s" % (memcached.spec,
                                                              PROTECTED))
    alice = sign_in_as(idp, httpds[0], "alice")
    bob = sign_in_as(idp, httpds[0], "bob")
    # the same cookies work on the other replica
    assert signed_in(alice, httpds[1]) and signed_in(bob, httpds[1])

    idp_sign_out(alice, idp)
    assert "backchannel logout" not in idp.stderr_text()
    assert refused_within(alice, httpds[0])
    assert refused_within(alice, httpds[1])
    assert signed_in(bob, httpds[0]) and signed_in(bob, httpds[1])
    events = [e for e in audit(httpds[0]) if e["event"] == "backchannel_logout"]
    assert [(e["outcome"], e["provider"], e["sub"]) for e in events] == [
        ("success", "generic", "alice")]


def test_idp_sign_out_with_shm_and_sub_only_token(httpd_factory, idp_factory):
    # without backchannel_logout_session_required the IdP sends sub alone:
    # every sign-in of alice begun before it ends
    httpd = httpd_factory()
    idp = idp_factory(clients=[client([httpd], session_required=False)])
    start([httpd], idp)
    alice = sign_in_as(idp, httpd, "alice")
    bob = sign_in_as(idp, httpd, "bob")
    time.sleep(1.1)   # her sign-in began a second before the token's iat
    idp_sign_out(alice, idp)
    assert "backchannel logout" not in idp.stderr_text()
    assert refused_within(alice, httpd)
    assert signed_in(bob, httpd)


# --- (b) refused tokens --------------------------------------------------------

def test_refused_tokens_have_no_effect(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(clients=[client([httpd])])
    start([httpd], idp)
    alice = sign_in_as(idp, httpd, "alice")
    now = int(time.time())

    good = sign(idp, claims(idp))
    head, body, sig = good.split(".")
    bad_sig = "%s.%s.%s" % (head, body, ("A" if sig[0] != "A" else "B") + sig[1:])
    alg_none = "%s.%s." % (b64({"alg": "none", "typ": "logout+jwt"}),
                           b64(claims(idp)))
    other_key = jwk.JWK.generate(kty="RSA", size=2048)
    _, kid = rsa_key(idp)
    foreign = jwt.JWT(header={"alg": "RS256", "kid": kid}, claims=claims(idp))
    foreign.make_signed_token(other_key)
    secret = jwk.JWK(kty="oct", k=b64(idp.client(CLIENT)["client_secret"].encode()))
    hmac = jwt.JWT(header={"alg": "HS256"}, claims=claims(idp))
    hmac.make_signed_token(secret)
    cases = {
        "bad signature": bad_sig,
        "HS256 with the client secret": hmac.serialize(),
        "alg none": alg_none,
        "signed by another key": foreign.serialize(),
        "wrong aud": sign(idp, claims(idp, aud="another-client")),
        "wrong iss": sign(idp, claims(idp, iss="https://evil.example")),
        "no events": sign(idp, claims(idp, events=None)),
        "wrong events member": sign(idp, claims(idp, events={EVENT + "/": {}})),
        "events member not an object": sign(idp, claims(idp, events={EVENT: True})),
        "a nonce": sign(idp, claims(idp, nonce="n-0S6_WzA2Mj")),
        "neither sid nor sub": sign(idp, claims(idp, sub=None)),
        "no jti": sign(idp, claims(idp, jti=None)),
        "iat in the future": sign(idp, claims(idp, iat=now + 3600, exp=now + 7200)),
        "expired": sign(idp, claims(idp, iat=now - 7200, exp=now - 3600)),
        "not a JWT": "not-a-token",
    }
    httpd.expect_log(REFUSED, min_count=len(cases) + 3)
    for name, token in cases.items():
        resp = post(httpd, token)
        assert resp.status_code == 400, name
        assert_refused(resp)
        assert signed_in(alice, httpd), name

    # the form: two tokens, another parameter, not a form
    assert_refused(post(httpd, data=[("logout_token", good), ("logout_token", good)]))
    assert_refused(post(httpd, data={"logout_token": good, "state": "x"}))
    resp = harness.make_session().post(backchannel_uri(httpd),
                                       json={"logout_token": good})
    assert_refused(resp)
    # another method
    resp = post(httpd, good, method="GET")
    assert resp.status_code in (400, 405)
    assert resp.headers["Allow"] == "POST"
    assert resp.headers["Cache-Control"] == "no-store"
    time.sleep(0.6)   # a revocation would have been synced by now
    assert signed_in(alice, httpd)

    # a replayed jti: the second of two identical valid posts (for carol,
    # who is not signed in here)
    replayed = sign(idp, claims(idp, sub="carol"))
    resp = post(httpd, replayed)
    assert resp.status_code == 200 and resp.text == ""
    assert resp.headers["Cache-Control"] == "no-store"
    assert_refused(post(httpd, replayed))
    assert signed_in(alice, httpd)

    # the same valid token shape does end alice's sign-in
    resp = post(httpd, good)
    assert resp.status_code == 200
    assert refused_within(alice, httpd)

    reasons = [e["reason"] for e in audit(httpd)
               if e["event"] == "backchannel_logout" and e["outcome"] == "failure"]
    assert "logout_token_replayed" in reasons
    assert "issuer_mismatch" in reasons
    assert "invalid_request" in reasons
    assert "logout_token_invalid" in reasons
    # the error log names the rule, never the token
    log = httpd.log_text()
    for token in list(cases.values()) + [good, replayed]:
        if len(token) > 20:
            assert token not in log
            assert token.split(".")[1] not in log


# --- (c) sub alone: only sign-ins begun before iat ------------------------------

def test_sub_only_token_ends_only_earlier_sign_ins(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(clients=[client([httpd])])
    start([httpd], idp)
    before = sign_in_as(idp, httpd, "alice")
    bob = sign_in_as(idp, httpd, "bob")
    time.sleep(1.1)
    iat = int(time.time())
    time.sleep(1.1)
    after = sign_in_as(idp, httpd, "alice")

    resp = post(httpd, sign(idp, claims(idp, iat=iat, sid=None, sub="alice")))
    assert resp.status_code == 200
    assert refused_within(before, httpd)
    time.sleep(0.6)
    assert signed_in(after, httpd)
    assert signed_in(bob, httpd)


# --- DUMP_REFLEX_AUTH -------------------------------------------------------------

def test_dump_prints_the_backchannel_logout_uri(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    rc, out, err = httpd.configtest(
        defines="DUMP_REFLEX_AUTH", conf=PROTECTED,
        env={**idp.env(CLIENT), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    assert rc == 0, err
    assert "backchannel_logout_uri" in out
    assert "http://localhost:%d%s" % (httpd.http_port, PATH) in out
    assert "https://rp.test:%d%s" % (httpd.https_port, PATH) in out
