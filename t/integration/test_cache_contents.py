"""What the shared cache holds reveals nothing: after sign-ins, refreshes
(parallel ones of one sign-in on two replicas too), a logout and
back-channel logouts by sid and by sub, every key and value stored in
memcached and in Redis is searched for the tokens the IdP issued (any 16
characters of an access, ID or refresh token), the sign-ins' sub, sid and
e-mail address, and their cookie values: none is found."""

import base64
import binascii
import concurrent.futures
import json
import time
import uuid

import struct

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwk, jwt

import harness
from test_cache_outage import CLIENT, COOKIE_SECRET, ENGINES, Site, cookie_header

FRAGMENT = 16
BACKCHANNEL_PATH = "/_reflex/backchannel-logout"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def fragments(text):
    """Every FRAGMENT-character piece of TEXT (TEXT itself when shorter)."""
    data = text.encode()
    if len(data) <= FRAGMENT:
        return {data}
    return {data[i:i + FRAGMENT] for i in range(len(data) - FRAGMENT + 1)}


def readable_forms(value):
    """VALUE as stored, and decoded when it is base64 or hex text."""
    forms = [value]
    stripped = value.strip()
    for decode in (lambda v: base64.urlsafe_b64decode(v + b"=" * (-len(v) % 4)),
                   base64.b64decode, binascii.unhexlify):
        try:
            forms.append(decode(stripped))
        except (ValueError, binascii.Error):
            pass
    return forms


def leaks(dump, secrets):
    """(key, what, piece) for every piece of SECRETS ({what: pieces}) in a
    key or a value of DUMP."""
    found = []
    for key, value in dump:
        for form in [key.encode()] + readable_forms(value):
            for name, pieces in secrets.items():
                hits = [p for p in pieces if p in form]
                if hits:
                    found.append((key, name, hits[0]))
    return found


def unseal(secret, name, sealed, binding=b""):
    """The plaintext of a value sealed as the module seals cookies
    (AES-256-GCM, key HKDF-SHA256(secret, info "mod_reflex_auth seal v1"),
    additional data version | be32 len | name | be32 len | binding), or
    None when it does not open."""
    try:
        raw = base64.urlsafe_b64decode(sealed + b"=" * (-len(sealed) % 4))
    except (ValueError, binascii.Error):
        return None
    if len(raw) < 29 or raw[0] != 1:
        return None
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"mod_reflex_auth seal v1").derive(secret.encode())
    name = name.encode()
    aad = (raw[:1] + struct.pack(">I", len(name)) + name
           + struct.pack(">I", len(binding)) + binding)
    try:
        return AESGCM(key).decrypt(raw[1:13], raw[13:], aad)
    except InvalidTag:
        return None


def logout_token(idp, client_id, **claims):
    """A logout token signed with the IdP's own RS256 key."""
    key = next(k for k in idp.private_jwks()["keys"] if k["kty"] == "RSA")
    now = int(time.time())
    body = {"iss": idp.issuer, "aud": client_id, "iat": now, "exp": now + 120,
            "jti": str(uuid.uuid4()), "events": {BACKCHANNEL_EVENT: {}}, **claims}
    token = jwt.JWT(header={"alg": "RS256", "kid": key["kid"], "typ": "logout+jwt"},
                    claims=body)
    token.make_signed_token(jwk.JWK(**key))
    return token.serialize()


def id_token_claims(token):
    return harness.jwt_parts(token)[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_cache_holds_no_token_or_identifier(engine, request, httpd_factory, idp_factory,
                                                session_factory):
    # the harness's started memcached or redis
    server = request.getfixturevalue({"memcache": "memcached", "redis": "redis"}[engine])
    # a client registered for back-channel logout: its ID tokens carry sid
    site = Site(httpd_factory, idp_factory, server.spec,
                backchannel_logout_uri="http://127.0.0.1:9" + BACKCHANNEL_PATH,
                backchannel_logout_session_required=True).start()
    a, b = site.replicas
    sessions = [session_factory() for _ in range(4)]
    cookies = {"cookie": [], "refreshed cookie": []}
    for s in sessions:
        site.sign_in(s, a)
        cookies["cookie"].append(cookie_header(s))
    # refreshes on both replicas, sequential and parallel (one sign-in)
    for s in sessions:
        for httpd in (a, b, a):
            assert site.get(s, httpd).status_code == 200
            cookies["refreshed cookie"].append(cookie_header(s))
    copy = cookie_header(sessions[0])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: site.get(None, site.replicas[i % 2],
                                                    cookie=copy).status_code,
                                 range(8)))
    assert statuses == [200] * 8, statuses
    issued = [e["issued"] for e in site.idp.requests_log("/token") if e.get("issued")]
    # each sign-in refreshed (requests that find a result stored for the
    # same refresh token take it instead of calling the IdP again)
    assert len(site.refreshes()) >= len(sessions)
    # a logout here, back-channel logouts by sid and by sub
    site.logout(sessions[1], a)
    claims = [id_token_claims(t["id_token"]) for t in issued if "id_token" in t]
    sid = claims[-1]["sid"]
    sub = claims[0]["sub"]
    for httpd, extra in ((a, {"sid": sid}), (b, {"sub": sub})):
        r = harness.make_session().post(
            httpd.https_url(BACKCHANNEL_PATH),
            data={"logout_token": logout_token(site.idp, CLIENT, **extra)})
        assert r.status_code == 200, (r.status_code, r.text)
    time.sleep(1.5)                # revocations written and synced
    r = site.get(None, b, cookie=copy)
    assert r.status_code == 401

    dump = server.dump()
    assert dump, "nothing was stored in the shared cache"
    assert all(k.startswith("rxa1:") for k, _v in dump), [k for k, _v in dump]
    secrets = {}
    for t in issued:
        for name, token in t.items():
            secrets[name] = secrets.get(name, set()) | fragments(token)
    for c in claims:
        for name in ("sub", "sid", "email"):
            if c.get(name):
                secrets[name] = secrets.get(name, set()) | {c[name].encode()}
    for name, headers in cookies.items():
        for header in headers:
            for pair in header.split("; "):
                secrets[name] = secrets.get(name, set()) | fragments(pair.split("=", 1)[1])
    assert {"access_token", "id_token", "refresh_token", "sub", "sid", "email",
            "cookie", "refreshed cookie"} <= set(secrets), sorted(secrets)
    assert not leaks(dump, secrets), leaks(dump, secrets)
    # the search finds what it looks for, as stored or encoded
    token = issued[-1]["refresh_token"]
    for planted in (token[3:30].encode(), base64.b64encode(token.encode()),
                    binascii.hexlify(("x" + token).encode())):
        assert leaks([("rxa1:planted", planted)], secrets)
    # no stored value opens under the cookie secret: a refresh's result is
    # sealed under the old tokens as well, so a dump of the cache, even with
    # the secret, gives no cookie (before, a result was the four cookie
    # values themselves, and they signed in on any replica)
    results = [v for k, v in dump if k.startswith("rxa1:rr:")]
    assert results, [k for k, _v in dump]
    names = {pair.split("=", 1)[0] for pair in copy.split("; ")}
    for value in results:
        for part in value.split(b" "):
            opened = [n for n in names if unseal(COOKIE_SECRET, n, part) is not None]
            assert not opened, opened
    # (the check opens what it should: a cookie of the copy)
    name, value = copy.split("; ")[0].split("=", 1)
    assert unseal(COOKIE_SECRET, name, value.encode()) is not None
    print("%d entries in %s, searched for %s" % (
        len(dump), engine, json.dumps({k: len(v) for k, v in secrets.items()})))
    site.assert_served(10)
