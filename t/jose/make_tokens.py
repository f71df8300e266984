#!/usr/bin/python3
"""Tokens from a third-party JOSE implementation (python3-jwcrypto).

Prints one JSON document for t/unit/test_jose.c: a key set, what the relying
party expects (issuer, client_id, nonce, access token, clock), and cases,
each a compact token with the verdict our core must reach:
  "ok"      verifies and its claims pass,
  "jws"     refused by the signature layer,
  "claims"  verifies, then fails the named claim check.
Keys are fresh on every run, so nothing here is a fixture to go stale.
Exits 77 (skip) when jwcrypto is not installed.
"""
import base64
import hashlib
import json
import sys

try:
    from jwcrypto import jwk, jws
    from jwcrypto.common import base64url_encode, json_encode
except ImportError:
    sys.stderr.write("python3-jwcrypto is not installed\n")
    sys.exit(77)

NOW = 1700000000
ISS = "https://idp.example"
CLIENT = "client-1"
NONCE = "n-0S6_WzA2Mj"
ACCESS_TOKEN = "SlAV32hkKG.access-token.2YotnFZFEjr1zCsicMWpAA"

ALGS = {
    "RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
    "PS256": "rsa", "PS384": "rsa", "PS512": "rsa",
    "ES256": "p256", "ES384": "p384", "ES512": "p521",
    "EdDSA": "ed25519",
}
HASH = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def keygen(kind, kid):
    if kind == "rsa":
        return jwk.JWK.generate(kty="RSA", size=2048, kid=kid)
    if kind == "ed25519":
        return jwk.JWK.generate(kty="OKP", crv="Ed25519", kid=kid)
    crv = {"p256": "P-256", "p384": "P-384", "p521": "P-521"}[kind]
    return jwk.JWK.generate(kty="EC", crv=crv, kid=kid)


def at_hash(alg, token):
    # OpenID Connect Core 3.1.3.6; Ed25519 uses SHA-512 (Core errata 2).
    h = hashlib.sha512 if alg == "EdDSA" else HASH[alg[2:]]
    d = h(token.encode()).digest()
    return base64url_encode(d[: len(d) // 2])


def claims(alg, **changes):
    c = {
        "iss": ISS, "sub": "248289761001", "aud": CLIENT, "nonce": NONCE,
        "exp": NOW + 300, "iat": NOW - 10, "auth_time": NOW - 10,
        "at_hash": at_hash(alg, ACCESS_TOKEN), "name": "Jane Doe",
    }
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def sign(key, header, payload):
    s = jws.JWS(json_encode(payload) if isinstance(payload, dict) else payload)
    s.add_signature(key, None, header)
    return s.serialize(compact=True)


def b64(data):
    return base64url_encode(data if isinstance(data, bytes) else data.encode())


def flip_signature(token):
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return "%s.%s.%s" % (head, body, b64(bytes(raw)))


def relabel(token, header):
    """Keep payload and signature, put another header in front."""
    _, body, sig = token.split(".")
    return "%s.%s.%s" % (b64(json_encode(header)), body, sig)


def main():
    keys = {kind: keygen(kind, kind) for kind in set(ALGS.values())}
    # Keys nobody published, under the published kids.
    strangers = {kind: keygen(kind, kind) for kind in keys}
    # An RSA key whose JWK limits it to RS256.
    rs_only = keygen("rsa", "rsa-rs256")

    published = [k.export_public(as_dict=True) for k in keys.values()]
    pub_rs_only = rs_only.export_public(as_dict=True)
    pub_rs_only["alg"] = "RS256"
    pub_rs_only["use"] = "sig"
    published.append(pub_rs_only)
    # Keys a real set mixes in, which must be skipped, not fatal.
    enc = jwk.JWK.generate(kty="RSA", size=2048, kid="enc").export_public(
        as_dict=True)
    enc["use"] = "enc"
    published.append(enc)
    published.append(jwk.JWK.generate(kty="OKP", crv="X25519",
                                      kid="x25519").export_public(as_dict=True))
    published.append({"kty": "oct", "kid": "mac", "k": b64(b"s" * 32)})

    cases = []

    def case(name, token, result, claim=None, expect=None, alg=None):
        """CLAIM names the failing claim check, or for "jws" the tag of the
        reason the signature layer must give."""
        c = {"name": name, "token": token, "result": result}
        if claim:
            c["claim" if result == "claims" else "why"] = claim
        if expect:
            c["expect"] = expect
        if alg:
            c["alg"] = alg
        cases.append(c)

    for alg, kind in sorted(ALGS.items()):
        key = keys[kind]
        hdr = {"alg": alg, "kid": kind, "typ": "JWT"}
        good = sign(key, hdr, claims(alg))
        case(alg + " valid", good, "ok")
        case(alg + " bad signature", flip_signature(good), "jws", "RXA03206")
        case(alg + " wrong key", sign(strangers[kind], hdr, claims(alg)), "jws",
             "RXA03206")
        case(alg + " modified payload",
             "%s.%s.%s" % (good.split(".")[0],
                           b64(json_encode(claims(alg, sub="admin"))),
                           good.split(".")[2]), "jws", "RXA03206")
        case(alg + " unknown kid",
             sign(key, dict(hdr, kid="rotated-away"), claims(alg)), "jws",
             "RXA03073")
        case(alg + " expired",
             sign(key, hdr, claims(alg, exp=NOW - 120, iat=NOW - 3600)),
             "claims", "exp")
        case(alg + " wrong aud", sign(key, hdr, claims(alg, aud="client-2")),
             "claims", "aud")
        case(alg + " wrong iss",
             sign(key, hdr, claims(alg, iss="https://evil.example")),
             "claims", "iss")
        case(alg + " wrong nonce", sign(key, hdr, claims(alg, nonce="n-other")),
             "claims", "nonce")
        case(alg + " bad at_hash",
             sign(key, hdr, claims(alg, at_hash=at_hash(alg, "another"))),
             "claims", "at_hash")
        case(alg + " alg none",
             "%s.%s." % (b64(json_encode({"alg": "none", "kid": kind})),
                         b64(json_encode(claims(alg)))), "jws", "RXA03224")
        case(alg + " not listed by the provider", good, "jws", "RXA03214",
             alg=[a for a in ALGS if a != alg])

    rsa, ec = keys["rsa"], keys["p256"]
    rs = {"alg": "RS256", "kid": "rsa"}

    # Algorithm swaps.
    rs_tok = sign(rsa, rs, claims("RS256"))
    case("RS256 relabelled PS256", relabel(rs_tok, {"alg": "PS256",
                                                    "kid": "rsa"}), "jws",
         "RXA03206")
    case("RS256 relabelled RS512", relabel(rs_tok, {"alg": "RS512",
                                                    "kid": "rsa"}), "jws",
         "RXA03206")
    es_tok = sign(ec, {"alg": "ES256", "kid": "p256"}, claims("ES256"))
    case("ES256 relabelled ES384", relabel(es_tok, {"alg": "ES384",
                                                    "kid": "p256"}), "jws",
         "RXA03072")
    case("RS256 key signing PS256",
         sign(rs_only, {"alg": "PS256", "kid": "rsa-rs256"}, claims("PS256")),
         "jws", "RXA03072")
    case("RS256 key signing RS256",
         sign(rs_only, {"alg": "RS256", "kid": "rsa-rs256"}, claims("RS256")),
         "ok")
    case("ES256 token naming the RSA key",
         sign(ec, {"alg": "ES256", "kid": "rsa"}, claims("ES256")), "jws",
         "RXA03072")
    # HS256 keyed with the public key, as PEM and as JWK text.
    for form, secret in (("PEM", rsa.export_to_pem()),
                         ("JWK", rsa.export_public().encode())):
        mac = jwk.JWK(kty="oct", k=b64(secret))
        case("HS256 with the public key as %s secret" % form,
             sign(mac, {"alg": "HS256", "kid": "rsa"}, claims("HS256")), "jws",
             "RXA03212")
    case("HS256 with the set's own oct key",
         sign(jwk.JWK(kty="oct", k=b64(b"s" * 32)),
              {"alg": "HS256", "kid": "mac"}, claims("HS256")), "jws",
         "RXA03212")

    # Headers that bring their own key, or extensions.
    case("jwk in header",
         sign(rsa, dict(rs, jwk=rsa.export_public(as_dict=True)),
              claims("RS256")), "jws", "RXA03216")
    case("jku in header",
         sign(rsa, dict(rs, jku="https://evil.example/jwks"), claims("RS256")),
         "jws", "RXA03216")
    case("x5u in header",
         sign(rsa, dict(rs, x5u="https://evil.example/c.pem"),
              claims("RS256")), "jws", "RXA03216")
    # (Compact form allows an unencoded payload only without dots.)
    case("crit b64 unencoded payload",
         sign(rsa, dict(rs, b64=False, crit=["b64"]),
              json_encode({"sub": "248289761001", "aud": CLIENT})), "jws",
         "RXA03215")
    case("no kid, several RSA keys fit",
         sign(rsa, {"alg": "RS256"}, claims("RS256")), "jws", "RXA03071")
    case("no kid, one P-384 key fits",
         sign(keys["p384"], {"alg": "ES384"}, claims("ES384")), "ok")

    # Claims beyond the per-algorithm defects.
    case("iat in the future",
         sign(rsa, rs, claims("RS256", iat=NOW + 3600, exp=NOW + 7200)),
         "claims", "iat")
    case("nbf in the future", sign(rsa, rs, claims("RS256", nbf=NOW + 600)),
         "claims", "nbf")
    case("expired within the skew",
         sign(rsa, rs, claims("RS256", exp=NOW - 30)), "ok")
    case("several aud without azp",
         sign(rsa, rs, claims("RS256", aud=[CLIENT, "api"])), "claims", "azp")
    case("several aud with azp",
         sign(rsa, rs, claims("RS256", aud=[CLIENT, "api"], azp=CLIENT)), "ok")
    case("wrong azp", sign(rsa, rs, claims("RS256", azp="client-2")),
         "claims", "azp")
    case("no sub", sign(rsa, rs, claims("RS256", sub=None)), "claims", "sub")
    case("no exp", sign(rsa, rs, claims("RS256", exp=None)), "claims", "exp")
    case("no nonce", sign(rsa, rs, claims("RS256", nonce=None)),
         "claims", "nonce")
    case("exp as a string", sign(rsa, rs, claims("RS256", exp=str(NOW + 300))),
         "claims", "exp")
    case("exp past year 9999", sign(rsa, rs, claims("RS256", exp=2 ** 40)),
         "claims", "exp")
    case("no at_hash", sign(rsa, rs, claims("RS256", at_hash=None)), "ok")

    # Microsoft Entra multi-tenant issuer template.
    tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    entra = {"issuer": template, "tenants": [tid]}
    case("Entra template", sign(rsa, rs, claims(
        "RS256", iss=template.replace("{tenantid}", tid), tid=tid)),
        "ok", expect=entra)
    case("Entra template, other tenant's iss", sign(rsa, rs, claims(
        "RS256", iss=template.replace("{tenantid}", "other"), tid=tid)),
        "claims", "iss", expect=entra)
    other = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    case("Entra template, tenant not let in", sign(rsa, rs, claims(
        "RS256", iss=template.replace("{tenantid}", other), tid=other)),
        "claims", "tenant", expect=entra)

    json.dump({
        "jwks": {"keys": published},
        "now": NOW, "skew": 60,
        "expect": {"issuer": ISS, "client_id": CLIENT, "nonce": NONCE,
                   "access_token": ACCESS_TOKEN},
        "cases": cases,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
