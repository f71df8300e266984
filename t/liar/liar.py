#!/usr/bin/python3
"""A lying OpenID provider for the integration tests.

A small provider of our own, beside the real oidc-provider (t/idp): it
speaks just enough OpenID Connect for a relying party to sign in
(discovery, JWKS, an authorization endpoint that approves at once, token,
userinfo), and in every MODE but "honest" it tells exactly one lie. The
module under test must refuse each lie; "honest" proves that the liar is
otherwise right, so a refusal is caused by the lie and by nothing else.

Every mode is its own issuer at http://HOST:PORT/<mode>, so one relying
party can hold a provider per mode and discovery-time lies are told at
discovery. The issuer http://HOST:PORT (no path) tells the lie of the
current mode: --mode, or POST /__liar/mode {"mode": NAME} while running.

    /usr/bin/python3 t/liar/liar.py [--host 127.0.0.1] [--port 0]
        [--mode honest] [--client-id ID] [--client-secret S]
        [--slow-seconds 10] [--state-file FILE] [--keys-file FILE]

Prints "READY <base URL>" on stdout once it listens (and writes
{"port", "url", "modes"} to --state-file). Control endpoints:
GET /__liar/modes, GET|POST /__liar/mode, GET|DELETE /__liar/requests
(what was served: method, mode, endpoint, status, form keys, auth scheme).

Needs only the standard library and python3-jwcrypto (Debian's
/usr/bin/python3), whose cryptography backend does the signing.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jwcrypto import jwk

# mode -> the one lie it tells (documentation, and GET /__liar/modes)
MODES = {
    "honest": "no lie: sign-in succeeds",
    "alg_none": "ID token with alg none (and no signature)",
    "hs256_secret": "ID token HS256-signed with the client secret",
    "sig_flipped": "one byte of the ID token's signature flipped",
    "wrong_key_same_kid": "signed by a key not in the JWKS, under a kid that is",
    "no_kid_many_keys": "no kid, and the JWKS has several keys for the alg",
    "wrong_iss": "iss is another issuer",
    "wrong_aud": "aud is another client",
    "multi_aud_no_azp": "several audiences and no azp",
    "wrong_azp": "several audiences and azp another client",
    "expired": "exp an hour ago",
    "iat_future": "iat an hour ahead",
    "nbf_future": "nbf an hour ahead",
    "nonce_wrong": "nonce is not the one sent",
    "nonce_missing": "no nonce",
    "sub_missing": "no sub",
    "at_hash_wrong": "at_hash of another access token",
    "userinfo_sub": "userinfo names another sub than the ID token",
    "auth_iss_other": "the authorization response's iss names another issuer",
    "discovery_issuer": "the discovery document's issuer is not its URL's",
    "crit_unknown": "header has crit naming an unknown extension",
    "header_jku": "header carries jku (a key set URL) and is signed by that key",
    "header_x5u": "header carries x5u (a certificate URL)",
    "header_jwk": "header carries its own jwk and is signed by it",
    "rs256_ec_kid": "alg RS256 with a kid naming an EC key",
    "jwks_5mb": "the JWKS is 5 MB",
    "token_slow": "the token endpoint answers after --slow-seconds",
    "token_500": "the token endpoint answers 500",
    "token_not_json": "the token endpoint answers 200 with HTML",
    "not_a_jwt": "the ID token is not a JWT at all",
    "big_id_token": "the ID token is 20 KB (valid otherwise)",
}

SUB = "liar-alice"
CODE_TTL = 120
TOKEN_TTL = 300


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


class Keys:
    """The signing material: two published RSA keys (so a token without a
    kid is ambiguous), a published EC key, and an RSA key nobody published
    (the impostor). Kept in FILE when given (made there if absent), since
    making RSA keys takes seconds on a loaded machine."""

    NAMES = ("rsa1", "rsa2", "ec1", "rogue")

    def __init__(self, file=None):
        saved = None
        if file:
            try:
                with open(file) as f:
                    saved = json.load(f)
            except FileNotFoundError:
                pass
        if saved:
            for name in self.NAMES:
                setattr(self, name, jwk.JWK(**saved[name]))
        else:
            self.rsa1 = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-1", use="sig", alg="RS256")
            self.rsa2 = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-2", use="sig", alg="RS256")
            self.ec1 = jwk.JWK.generate(kty="EC", crv="P-256", kid="ec-1", use="sig", alg="ES256")
            self.rogue = jwk.JWK.generate(kty="RSA", size=2048, kid="rogue", use="sig", alg="RS256")
            if file:
                with open(file + ".tmp", "w") as f:
                    json.dump({n: json.loads(getattr(self, n).export_private())
                               for n in self.NAMES}, f)
                os.chmod(file + ".tmp", 0o600)
                os.replace(file + ".tmp", file)
        self.published = [json.loads(k.export_public()) for k in (self.rsa1, self.rsa2, self.ec1)]
        self.rogue_public = json.loads(self.rogue.export_public())
        self.jwks = json.dumps({"keys": self.published}).encode()
        self.rogue_jwks = json.dumps({"keys": [self.rogue_public]}).encode()
        self._big = None
        self._lock = threading.Lock()

    def big_jwks(self):
        """About 5 MB of well-formed keys: the real ones, then copies."""
        with self._lock:
            if self._big is None:
                pad = dict(self.published[1])
                keys = list(self.published)
                size = len(json.dumps(pad)) + 2
                for i in range(5 * 1024 * 1024 // size + 1):
                    keys.append({**pad, "kid": "pad-%d" % i})
                self._big = json.dumps({"keys": keys}).encode()
            return self._big


class _Server(ThreadingHTTPServer):
    # httpd fetches every issuer's discovery and key set at once at start-up:
    # with socketserver's backlog of 5 the extra connections lose their SYN
    # and wait a second or more for the retry, past ReflexAuthHTTPTimeout.
    request_queue_size = 128
    daemon_threads = True


def rs256(key, data):
    return key.get_op_key("sign").sign(data, padding.PKCS1v15(), hashes.SHA256())


def jws(header, claims, sign):
    """Compact JWS: sign(signing_input) -> signature bytes."""
    signing_input = (b64url_json(header) + "." + b64url_json(claims)).encode("ascii")
    return signing_input.decode("ascii") + "." + b64url(sign(signing_input))


def at_hash(access_token):
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


class Liar:
    def __init__(self, host, port, mode, client_id, client_secret, slow_seconds,
                 keys_file=None):
        self.host = host
        self.mode = mode
        self.client_id = client_id
        self.client_secret = client_secret or None
        self.slow_seconds = slow_seconds
        self.keys = Keys(keys_file)
        self.codes = {}      # code -> grant
        self.tokens = {}     # access token -> grant
        self.requests = []
        self.lock = threading.Lock()
        self.server = _Server((host, port), self._handler_class())
        self.port = self.server.server_address[1]
        self.base = "http://%s:%d" % (host, self.port)

    # -- what each mode publishes --------------------------------------------

    def issuer(self, mode_prefix):
        return self.base + mode_prefix

    def discovery(self, mode, prefix):
        iss = self.issuer(prefix)
        doc = {
            "issuer": iss,
            "authorization_endpoint": iss + "/authorize",
            "token_endpoint": iss + "/token",
            "userinfo_endpoint": iss + "/userinfo",
            "jwks_uri": iss + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            # tempting, and to be ignored by the relying party
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256", "none"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "authorization_response_iss_parameter_supported": True,
        }
        if mode == "discovery_issuer":
            doc["issuer"] = self.base + "/somebody-else"
        return doc

    def id_token(self, mode, grant, access_token):
        now = int(time.time())
        claims = {
            "iss": grant["issuer"],
            "sub": SUB,
            "aud": self.client_id,
            "exp": now + TOKEN_TTL,
            "iat": now,
            "auth_time": now,
            "nonce": grant["nonce"],
            "at_hash": at_hash(access_token),
            "email": "alice@liar.test",
            "name": "Alice Liar",
        }
        header = {"alg": "RS256", "typ": "JWT", "kid": "rsa-1"}
        k = self.keys

        def sign_rsa1(data):
            return rs256(k.rsa1, data)

        sign = sign_rsa1
        if mode == "wrong_iss":
            claims["iss"] = self.base + "/another-issuer"
        elif mode == "wrong_aud":
            claims["aud"] = "another-client"
        elif mode == "multi_aud_no_azp":
            claims["aud"] = [self.client_id, "another-client"]
        elif mode == "wrong_azp":
            claims["aud"] = [self.client_id, "another-client"]
            claims["azp"] = "another-client"
        elif mode == "expired":
            claims.update(exp=now - 3600, iat=now - 7200, auth_time=now - 7200)
        elif mode == "iat_future":
            claims.update(iat=now + 3600, exp=now + 7200)
        elif mode == "nbf_future":
            claims["nbf"] = now + 3600
        elif mode == "nonce_wrong":
            claims["nonce"] = b64url(secrets.token_bytes(32))
        elif mode == "nonce_missing":
            del claims["nonce"]
        elif mode == "sub_missing":
            del claims["sub"]
        elif mode == "at_hash_wrong":
            claims["at_hash"] = at_hash(access_token + "x")
        elif mode == "big_id_token":
            claims["padding"] = ""
            # base64url makes 4 bytes of every 3: aim the token at 20 KB
            claims["padding"] = "x" * ((20 * 1024 - len(jws(header, claims, sign))) * 3 // 4)
        elif mode == "not_a_jwt":
            return "this-is-not-a-jwt-" + b64url(secrets.token_bytes(24))
        elif mode == "alg_none":
            return jws({"alg": "none", "typ": "JWT"}, claims, lambda data: b"")
        elif mode == "hs256_secret":
            secret = (self.client_secret or "").encode()
            return jws({"alg": "HS256", "typ": "JWT"}, claims,
                       lambda data: hmac.new(secret, data, hashlib.sha256).digest())
        elif mode == "sig_flipped":
            token = jws(header, claims, sign)
            head, _dot, sig = token.rpartition(".")
            raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
            raw[len(raw) // 2] ^= 0x01
            return head + "." + b64url(bytes(raw))
        elif mode == "wrong_key_same_kid":
            sign = lambda data: rs256(k.rogue, data)  # noqa: E731
        elif mode == "no_kid_many_keys":
            del header["kid"]
        elif mode == "crit_unknown":
            header.update(crit=["urn:liar:must-understand"], **{"urn:liar:must-understand": True})
        elif mode == "header_jku":
            header.update(kid="rogue", jku=self.base + "/rogue/jwks")
            sign = lambda data: rs256(k.rogue, data)  # noqa: E731
        elif mode == "header_x5u":
            header.update(kid="rogue", x5u=self.base + "/rogue/cert.pem")
            sign = lambda data: rs256(k.rogue, data)  # noqa: E731
        elif mode == "header_jwk":
            header.update(kid="rogue", jwk=k.rogue_public)
            sign = lambda data: rs256(k.rogue, data)  # noqa: E731
        elif mode == "rs256_ec_kid":
            header["kid"] = "ec-1"
        return jws(header, claims, sign)

    # -- bookkeeping -----------------------------------------------------------

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)
            del self.requests[:-500]

    def client_auth(self, headers, form):
        """(client_id, ok) from client_secret_basic, _post or none."""
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                raw = base64.b64decode(auth[6:], validate=True).decode()
                cid, _c, secret = raw.partition(":")
                cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
            except ValueError:
                return None, False
        else:
            cid, secret = form.get("client_id"), form.get("client_secret")
        if cid != self.client_id:
            return cid, False
        if self.client_secret is None:
            return cid, not secret
        return cid, secret is not None and hmac.compare_digest(
            secret.encode(), self.client_secret.encode())

    # -- HTTP ------------------------------------------------------------------

    def _handler_class(self):
        liar = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "liar/1"

            def log_message(self, fmt, *args):
                sys.stderr.write("liar: %s\n" % (fmt % args))

            def send(self, status, body, ctype="application/json", headers=()):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                self.status_sent = status
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Cache-Control", "no-store")
                    for k, v in headers:
                        self.send_header(k, v)
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size cap, timeout): fine

            def redirect(self, url):
                self.send(302, "", "text/plain", [("Location", url)])

            def form(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n).decode() if n else ""
                pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
                return dict(pairs), [k for k, _ in pairs]

            def route(self):
                """(mode, prefix, endpoint) from the path."""
                path = urllib.parse.urlsplit(self.path).path
                first, _s, rest = path.lstrip("/").partition("/")
                if first in MODES:
                    return first, "/" + first, "/" + rest
                return liar.mode, "", path

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_DELETE(self):
                self.handle_any("DELETE")

            def handle_any(self, method):
                self.status_sent = None
                mode, prefix, endpoint = self.route()
                entry = {"method": method, "mode": mode, "endpoint": endpoint,
                         "time": time.time()}
                try:
                    if endpoint.startswith("/__liar/"):
                        self.control(method, endpoint)
                        return
                    self.serve(method, mode, prefix, endpoint, entry)
                except Exception as e:  # a bug of ours: say so, keep serving
                    self.log_message("error: %r", e)
                    if self.status_sent is None:
                        self.send(500, {"error": "liar_bug", "detail": repr(e)})
                finally:
                    if not endpoint.startswith("/__liar/"):
                        entry["status"] = self.status_sent
                        liar.record(entry)

            def control(self, method, endpoint):
                if endpoint == "/__liar/modes":
                    self.send(200, MODES)
                elif endpoint == "/__liar/mode" and method == "POST":
                    form = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    if form.get("mode") not in MODES:
                        self.send(400, {"error": "unknown mode"})
                        return
                    liar.mode = form["mode"]
                    self.send(200, {"mode": liar.mode})
                elif endpoint == "/__liar/mode":
                    self.send(200, {"mode": liar.mode})
                elif endpoint == "/__liar/requests" and method == "DELETE":
                    with liar.lock:
                        liar.requests.clear()
                    self.send(200, {})
                elif endpoint == "/__liar/requests":
                    with liar.lock:
                        self.send(200, list(liar.requests))
                else:
                    self.send(404, {"error": "no such control endpoint"})

            def serve(self, method, mode, prefix, endpoint, entry):
                iss = liar.issuer(prefix)
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                if endpoint == "/.well-known/openid-configuration" and method == "GET":
                    self.send(200, liar.discovery(mode, prefix))
                elif endpoint == "/jwks" and method == "GET":
                    if mode == "jwks_5mb":
                        self.send(200, liar.keys.big_jwks())
                    else:
                        self.send(200, liar.keys.jwks)
                elif endpoint == "/rogue/jwks":
                    self.send(200, liar.keys.rogue_jwks)
                elif endpoint == "/authorize" and method == "GET":
                    self.authorize(mode, iss, query, entry)
                elif endpoint == "/token" and method == "POST":
                    self.token(mode, iss, entry)
                elif endpoint == "/userinfo" and method in ("GET", "POST"):
                    self.userinfo(mode)
                else:
                    self.send(404, {"error": "not_found"})

            def authorize(self, mode, iss, q, entry):
                entry["query_keys"] = sorted(q)
                problems = []
                if q.get("response_type") != "code":
                    problems.append("response_type must be code")
                if q.get("client_id") != liar.client_id:
                    problems.append("unknown client_id")
                if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                    problems.append("PKCE S256 required")
                if not q.get("state") or not q.get("nonce"):
                    problems.append("state and nonce required")
                if "openid" not in q.get("scope", "").split():
                    problems.append("scope must include openid")
                redirect_uri = q.get("redirect_uri", "")
                if not redirect_uri.startswith(("https://", "http://")):
                    problems.append("redirect_uri required")
                if problems:
                    self.send(400, "<!DOCTYPE html><title>liar: bad request</title><p>%s</p>"
                              % "; ".join(problems), "text/html")
                    return
                code = b64url(secrets.token_bytes(32))
                with liar.lock:
                    liar.codes[code] = {"issuer": iss, "nonce": q["nonce"],
                                        "redirect_uri": redirect_uri,
                                        "challenge": q["code_challenge"],
                                        "expires": time.time() + CODE_TTL}
                answer_iss = iss
                if mode == "auth_iss_other":
                    answer_iss = liar.base + "/another-issuer"
                sep = "&" if "?" in redirect_uri else "?"
                self.redirect(redirect_uri + sep + urllib.parse.urlencode(
                    {"code": code, "state": q["state"], "iss": answer_iss}))

            def token(self, mode, iss, entry):
                form, keys = self.form()
                entry["form_keys"] = keys
                entry["authorization"] = self.headers.get("Authorization", "").split(" ")[0]
                cid, ok = liar.client_auth(self.headers, form)
                if not ok:
                    self.send(401, {"error": "invalid_client"})
                    return
                if form.get("grant_type") != "authorization_code":
                    self.send(400, {"error": "unsupported_grant_type"})
                    return
                with liar.lock:
                    grant = liar.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                if (not grant or grant["expires"] < time.time()
                        or grant["issuer"] != iss
                        or form.get("redirect_uri") != grant["redirect_uri"]
                        or b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]):
                    self.send(400, {"error": "invalid_grant"})
                    return
                if mode == "token_slow":
                    time.sleep(liar.slow_seconds)
                elif mode == "token_500":
                    self.send(500, {"error": "server_error"})
                    return
                elif mode == "token_not_json":
                    self.send(200, "<!DOCTYPE html><title>Maintenance</title><p>back soon</p>",
                              "text/html")
                    return
                access_token = b64url(secrets.token_bytes(32))
                id_token = liar.id_token(mode, grant, access_token)
                with liar.lock:
                    liar.tokens[access_token] = {"mode": mode, "expires": time.time() + TOKEN_TTL}
                self.send(200, {"access_token": access_token, "token_type": "Bearer",
                                "expires_in": TOKEN_TTL, "id_token": id_token,
                                "scope": "openid email profile"})

            def userinfo(self, mode):
                auth = self.headers.get("Authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else ""
                with liar.lock:
                    t = liar.tokens.get(token)
                if not t or t["expires"] < time.time():
                    self.send(401, {"error": "invalid_token"},
                              headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')])
                    return
                sub = "liar-mallory" if mode == "userinfo_sub" else SUB
                self.send(200, {"sub": sub, "email": "alice@liar.test", "name": "Alice Liar"})

        return Handler


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="honest", choices=sorted(MODES))
    ap.add_argument("--client-id", default="liar-client")
    ap.add_argument("--client-secret", default="liar-client-secret-0123456789abcdef")
    ap.add_argument("--slow-seconds", type=float, default=10.0)
    ap.add_argument("--state-file")
    ap.add_argument("--keys-file", help="keep the keys here (made when absent)")
    args = ap.parse_args(argv)

    liar = Liar(args.host, args.port, args.mode, args.client_id, args.client_secret,
                args.slow_seconds, args.keys_file)
    # SIGTERM (the harness's stop) ends serve_forever cleanly
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=liar.server.shutdown).start())
    if args.state_file:
        with open(args.state_file, "w") as f:
            json.dump({"port": liar.port, "url": liar.base, "modes": sorted(MODES)}, f)
    # made before READY: building 5 MB of JSON on a loaded machine must
    # not eat the module's HTTP timeout (the test is about the size limit)
    liar.keys.big_jwks()
    print("READY %s" % liar.base, flush=True)
    try:
        liar.server.serve_forever(poll_interval=0.1)
    finally:
        liar.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
