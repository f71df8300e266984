"""The test IdP as an authorization server for APIs: what bearer tokens the
module will meet, without the module.

- client_credentials for a resource configured as a JWT API: an RFC 9068
  access token (typ at+jwt) signed with a key of the IdP's JWKS, whose aud
  is the configured audience and whose scope holds only the API's scopes;
- a resource configured as opaque, and a request without a resource: an
  opaque token that the introspection endpoint (RFC 7662) calls active, with
  the client's credentials;
- a garbage token and a revoked one: inactive;
- the defaults: no introspection endpoint, no client_credentials grant, a
  resource parameter refused (invalid_target).
"""

import json
import time

import pytest
import requests

import harness
from harness import HTTP_TIMEOUT, make_client

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwk, jwt  # noqa: E402

JWT_API = "https://api.example.test/"
JWT_API_AUDIENCE = "api-audience-1"
OPAQUE_API = "https://opaque.example.test/"


def api_client(client_id="api-client", **metadata):
    return make_client(client_id, grant_types=["client_credentials"],
                       response_types=[], **metadata)


@pytest.fixture
def bearer_idp(idp_factory):
    client = api_client()
    other = api_client("other-client")
    idp = idp_factory(
        clients=[client, other],
        resource_servers={
            JWT_API: {"audience": JWT_API_AUDIENCE},
            OPAQUE_API: {"format": "opaque", "scope": "opaque:read"},
        },
        introspection=True,
        client_credentials=True)
    return idp, client, other


def token_request(idp, client, **form):
    return requests.post(idp.discovery()["token_endpoint"],
                         data={"grant_type": "client_credentials", **form},
                         auth=(client["client_id"], client["client_secret"]),
                         timeout=HTTP_TIMEOUT)


def access_token(idp, client, **form):
    r = token_request(idp, client, **form)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] > 0
    return body["access_token"]


def introspect(idp, client, token, hint="access_token"):
    endpoint = idp.discovery()["introspection_endpoint"]
    r = requests.post(endpoint,
                      data={"token": token, "token_type_hint": hint},
                      auth=(client["client_id"], client["client_secret"]),
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def segment(part):
    return json.loads(jwcrypto.common.base64url_decode(part))


def test_jwt_access_token_for_a_resource(bearer_idp):
    idp, client, _ = bearer_idp
    disco = idp.discovery()
    assert "client_credentials" in disco["grant_types_supported"]
    before = int(time.time())
    token = access_token(idp, client, resource=JWT_API,
                         scope="api:read openid")

    parts = token.split(".")
    assert len(parts) == 3
    header = segment(parts[0])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    keys = jwk.JWKSet.from_json(json.dumps(idp.jwks()))
    assert keys.get_key(header["kid"]) is not None
    verified = jwt.JWT(jwt=token, key=keys, algs=["RS256"])
    claims = json.loads(verified.claims)

    assert claims["iss"] == idp.issuer
    assert claims["aud"] == JWT_API_AUDIENCE
    assert claims["client_id"] == client["client_id"]
    # only the API's scopes, never an OpenID Connect one
    assert claims["scope"] == "api:read"
    assert before - 5 <= claims["iat"] <= time.time() + 5
    assert claims["exp"] > claims["iat"]
    assert claims["jti"]
    # RFC 9068 2.2: a token for the client itself names it as the subject
    assert claims["sub"] == client["client_id"]

    # a key the IdP does not hold fails the signature
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid=header["kid"])
    with pytest.raises(jwcrypto.jws.InvalidJWSSignature):
        jwt.JWT(jwt=token, key=stranger, algs=["RS256"])


def test_jwt_scopes_outside_the_api_are_dropped(bearer_idp):
    idp, client, other = bearer_idp
    token = access_token(idp, client, resource=JWT_API,
                         scope="api:admin api:write api:read")
    claims = json.loads(jwt.JWT(jwt=token,
                                key=jwk.JWKSet.from_json(json.dumps(idp.jwks())),
                                algs=["RS256"]).claims)
    assert sorted(claims["scope"].split(" ")) == ["api:read", "api:write"]
    # an unknown resource is an invalid target
    r = token_request(idp, other, resource="https://unknown.example.test/")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_target"


def test_opaque_token_for_a_resource_is_active(bearer_idp):
    idp, client, _ = bearer_idp
    token = access_token(idp, client, resource=OPAQUE_API,
                         scope="opaque:read api:read")
    assert token.count(".") != 2
    answer = introspect(idp, client, token)
    assert answer["active"] is True
    assert answer["aud"] == OPAQUE_API
    assert answer["client_id"] == client["client_id"]
    assert answer["scope"] == "opaque:read"
    assert answer["iss"] == idp.issuer
    assert answer["token_type"] == "Bearer"
    assert answer["exp"] > time.time()


def test_opaque_token_without_a_resource(bearer_idp):
    idp, client, other = bearer_idp
    token = access_token(idp, client, scope="api:read")
    assert token.count(".") != 2
    answer = introspect(idp, client, token)
    assert answer["active"] is True
    assert answer["client_id"] == client["client_id"]
    assert answer["exp"] > time.time()
    # a confidential client may introspect another client's token
    assert introspect(idp, other, token)["active"] is True


def test_garbage_and_revoked_tokens_are_inactive(bearer_idp):
    idp, client, _ = bearer_idp
    assert introspect(idp, client, "not-a-token") == {"active": False}
    assert introspect(idp, client, "x" * 43) == {"active": False}
    # a JWT is not introspected: oidc-provider keeps no record of it
    jwt_token = access_token(idp, client, resource=JWT_API, scope="api:read")
    assert introspect(idp, client, jwt_token) == {"active": False}

    token = access_token(idp, client, resource=OPAQUE_API, scope="opaque:read")
    assert introspect(idp, client, token)["active"] is True
    r = requests.post(idp.discovery()["revocation_endpoint"],
                      data={"token": token, "token_type_hint": "access_token"},
                      auth=(client["client_id"], client["client_secret"]),
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert introspect(idp, client, token) == {"active": False}


def test_introspection_needs_the_clients_credentials(bearer_idp):
    idp, client, _ = bearer_idp
    token = access_token(idp, client, resource=OPAQUE_API, scope="opaque:read")
    endpoint = idp.discovery()["introspection_endpoint"]
    r = requests.post(endpoint, data={"token": token}, timeout=HTTP_TIMEOUT)
    assert r.status_code in (400, 401)
    r = requests.post(endpoint, data={"token": token},
                      auth=(client["client_id"], "wrong-secret"),
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_defaults_stay_as_they_were(idp_factory):
    client = make_client("rp", redirect_uris=[f"http://{harness.LOOPBACK}/cb"])
    idp = idp_factory(clients=[client])
    disco = idp.discovery()
    assert "introspection_endpoint" not in disco
    assert "client_credentials" not in disco["grant_types_supported"]
    r = token_request(idp, client)
    assert r.status_code in (400, 401)
    assert r.json()["error"] == "unsupported_grant_type"
