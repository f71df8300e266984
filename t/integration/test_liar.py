"""A lying provider. t/liar/liar.py tells one lie per mode; the
module must refuse each with an error page (never a 500, a crash or a
sign-in), no session cookie, a tagged error_log line carrying the page's
error id, and an audit line with outcome failure and a reason. The liar's
"honest" mode signs in, which shows each refusal is the lie's doing.

One httpd and one liar serve the whole module: every mode is its own issuer
(http://127.0.0.1:PORT/<mode>) and its own ReflexAuthProvider, so the lies
told at discovery (the document's issuer, a 5 MB key set) are told at
start-up like any other."""

import collections
import shutil
import json
import os
import re
import time
import urllib.parse

import pytest

import harness
from harness import COOKIE_SECRET, Httpd, Liar, follow

HTML = {"Accept": "text/html,application/xhtml+xml"}
SLOWDOWN = getattr(harness, "SLOWDOWN", 1)    # valgrind runs are slower
HTTP_TIMEOUT = 3 * SLOWDOWN         # ReflexAuthHTTPTimeout for this httpd, seconds
SLOW_SECONDS = HTTP_TIMEOUT + 5     # how long the liar's slow token endpoint waits
ERROR_ID = re.compile(r"Error id: <code>([0-9a-f]{12})</code>")

Expect = collections.namedtuple("Expect", "status event reason log")


def id_token(tag):
    """Refused when the ID token is checked: 502, id_token_invalid."""
    return Expect(502, "login_completed", "id_token_invalid", r"ID token: (%s)" % tag)


def token_exchange(log):
    return Expect(502, "login_completed", "token_exchange_failed", log)


def at_discovery(log):
    """The provider never becomes usable: login answers 503."""
    return Expect(503, "login_started", "provider_unavailable", log)


# mode -> what the module answers; log is a regex the tagged line matches
REFUSED = {
    # an empty signature is refused before the header is even read
    "alg_none": id_token(r"RXA03224: token has an empty signature|RXA03211"),
    "hs256_secret": id_token(r"RXA03212: HMAC algorithms are refused"),
    "sig_flipped": id_token(r"RXA03206: signature does not verify"),
    "wrong_key_same_kid": id_token(r"RXA03206: signature does not verify"),
    "no_kid_many_keys": id_token(r"RXA03071: token has no kid and several keys"),
    "wrong_iss": id_token(r"RXA03303: iss does not equal the issuer"),
    "wrong_aud": id_token(r"RXA03313: aud does not contain the client_id"),
    "multi_aud_no_azp": id_token(r"RXA03314: several audiences and no azp"),
    "wrong_azp": id_token(r"RXA03315: azp is not the client_id"),
    "expired": id_token(r"RXA03322: token has expired"),
    "iat_future": id_token(r"RXA03325: token was issued in the future"),
    "nbf_future": id_token(r"RXA03327: token is not valid yet"),
    "nonce_wrong": id_token(r"RXA03331: nonce does not match"),
    "nonce_missing": id_token(r"RXA03330: nonce is missing"),
    "sub_missing": id_token(r"RXA03340: sub is missing"),
    "at_hash_wrong": id_token(r"RXA03333: at_hash does not match"),
    "crit_unknown": id_token(r"RXA03215: header has crit"),
    "header_jku": id_token(r"RXA03216: header carries a key or key URL"),
    "header_x5u": id_token(r"RXA03216: header carries a key or key URL"),
    "header_jwk": id_token(r"RXA03216: header carries a key or key URL"),
    "rs256_ec_kid": id_token(r"RXA03072: the key named by the token's kid does not fit"),
    "not_a_jwt": id_token(r"RXA03222: not a JWS in compact form"),
    "userinfo_sub": Expect(502, "login_completed", "userinfo_sub_mismatch",
                           r"userinfo names another subject than the ID token"),
    "auth_iss_other": Expect(400, "login_completed", "issuer_mismatch",
                             r"the authorization response's iss names another issuer"),
    "token_slow": token_exchange(r"token endpoint \S+/token_slow/token: RXA01104: "
                                 r"Timeout was reached"),
    "token_500": token_exchange(r"token endpoint \S+/token_500/token answered HTTP 500"
                                r", error server_error"),
    "token_not_json": token_exchange(r"token endpoint \S+/token_not_json/token: "
                                     r"RXA01004: invalid JSON"),
    "discovery_issuer": at_discovery(r"RXA02104: discovery document names issuer "
                                     r"'http://127\.0\.0\.1:\d+/somebody-else', not the "
                                     r"configured 'http://127\.0\.0\.1:\d+/discovery_issuer'"),
    "jwks_5mb": at_discovery(r"RXA02111: fetching key set \S+/jwks_5mb/jwks failed: "
                             r"RXA01103: response larger than"),
    # 20 KB of ID token sealed into cookies is ~27 KB of Cookie header, far
    # over httpd's LimitRequestFieldSize (8190): a browser would be signed
    # in and then refused on its next request. The module says so at once.
    "big_id_token": Expect(502, "login_completed", "cookies_too_large",
                           r"RXA00110: the session cookies would make a Cookie header "
                           r"of \d+ bytes, over LimitRequestFieldSize \(8190\)"),
}


class Rig:
    def __init__(self, httpd, liar, audit):
        self.httpd = httpd
        self.liar = liar
        self.audit = audit

    def audit_lines(self):
        try:
            with open(self.audit) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def audit_for(self, error_id, timeout=5.0):
        def find():
            return [a for a in self.audit_lines() if a.get("error_id") == error_id]
        return harness.wait_until(find, timeout, f"an audit line with error_id {error_id}")


@pytest.fixture(scope="module")
def rig(request, tls_cert):
    """One liar, one httpd with a provider per mode (and "switch", the
    liar's bare issuer), an audit log. The error_log policy is applied at
    the end of the module; the files are kept when anything failed."""
    failed_before = request.session.testsfailed
    root = harness.make_dir("rxa-liar-")
    liar = Liar(harness.make_dir("liar-", parent=root), slow_seconds=SLOW_SECONDS)
    httpd = Httpd(root / "httpd", tls=tls_cert)
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    ok = False
    try:
        liar.start()
        modes = ["honest"] + sorted(REFUSED)
        assert sorted(liar.modes()) == sorted(modes), "REFUSED must cover every lie"
        conf = "\n".join(
            [f"ReflexAuthHTTPTimeout {HTTP_TIMEOUT}",
             "ReflexAuthAuditLog ${TEST_ROOT}/logs/audit.jsonl"]
            + [liar.provider_line(m) for m in modes]
            + [f"ReflexAuthProvider switch issuer={liar.issuer()} "
               f"client_id={liar.client_id} client_secret={liar.client_secret}",
               "<Location /private>", "    AuthType ReflexOIDC",
               "    Require valid-user", "</Location>", ""])
        # the two issuers that lie at discovery, at start-up and on retries
        httpd.expect_log(r"\[reflex_auth:error\] .*RXA00011: issuer "
                         r"http://127\.0\.0\.1:\d+/(discovery_issuer|jwks_5mb) cannot be used",
                         min_count=2)
        httpd.expect_log(r"\[reflex_auth:error\] .*RXA02114: issuer "
                         r"http://127\.0\.0\.1:\d+/(discovery_issuer|jwks_5mb) still unavailable")
        httpd.start(conf=conf, env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})
        yield Rig(httpd, liar, httpd.root / "logs" / "audit.jsonl")
        ok = True
    finally:
        problems = []
        for what, stop in (("httpd", httpd.stop), ("liar", liar.stop)):
            try:
                stop()
            except Exception as e:  # keep stopping the other
                problems.append(f"stopping the {what}: {e}")
        try:
            httpd.assert_log_clean()
        except harness.HarnessError as e:
            problems.append(str(e))
        keep = (problems or not ok or request.session.testsfailed > failed_before
                or os.environ.get("RXA_KEEP_TMP", "0") not in ("", "0"))
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
        if problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def on_failure(request, rig):
    """Show the httpd's and the liar's logs when a test fails."""
    request.node.rxa_started = [rig.httpd, rig.liar]


def set_cookies(resp):
    return resp.raw.headers.getlist("Set-Cookie")


def login(rig, provider, redirect_to="/private/"):
    """A browser without JavaScript: login, the liar, back to the callback.
    Returns the last response (resp.hops: every response on the way)."""
    s = harness.make_session()
    url = rig.httpd.https_url("/login?provider=%s&redirect_to=%s"
                              % (provider, urllib.parse.quote(redirect_to, safe="")))
    return s, follow(s, url, headers=HTML, meta_refresh=False)


def session_cookies(resp, s):
    """Every __Host-reflex_* cookie set on the way, or kept by the session."""
    sent = [c for h in resp.hops for c in set_cookies(h) if c.startswith("__Host-reflex_")]
    kept = [c.name for c in s.cookies if c.name.startswith("__Host-reflex_")]
    return sent + kept


def test_honest_liar_signs_in(rig, on_failure):
    rig.liar.clear_requests()
    s, resp = login(rig, "honest")
    assert resp.status_code == 200, resp.text[:2000]
    assert resp.url.startswith(rig.httpd.https_url("/callback"))
    names = {c.split("=", 1)[0] for c in session_cookies(resp, s)}
    assert names >= {"__Host-reflex_honest_access_token", "__Host-reflex_honest_id_token"}
    r = s.get(rig.httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and "private" in r.text
    # what the module sent the liar, as the liar saw it
    token = rig.liar.requests_log("/token", mode="honest")
    assert [t["status"] for t in token] == [200]
    assert token[0]["authorization"] == "Basic"
    assert sorted(token[0]["form_keys"]) == ["code", "code_verifier", "grant_type",
                                             "redirect_uri"]
    userinfo = rig.liar.requests_log("/userinfo", mode="honest")
    assert userinfo and all(u["status"] == 200 for u in userinfo)
    done = [a for a in rig.audit_lines() if a["event"] == "login_completed"
            and a["provider"] == "honest"]
    assert done and done[-1]["outcome"] == "success" and done[-1]["sub"] == "liar-alice"


@pytest.mark.parametrize("mode", sorted(REFUSED))
def test_lie_is_refused(rig, on_failure, mode):
    want = REFUSED[mode]
    rig.httpd.expect_log(r"\[reflex_auth:(warn|error)\] .*\[error id [0-9a-f]{12}\] "
                         r"(sign-in failed|login with provider %s)" % mode)
    start = time.monotonic()
    s, resp = login(rig, mode)
    elapsed = time.monotonic() - start

    # an error page, never a 500 nor a sign-in
    assert resp.status_code == want.status, (resp.status_code, resp.text[:2000])
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "<h1>Sign-in" in resp.text
    assert session_cookies(resp, s) == []
    went_to_liar = any(h.url.startswith(rig.liar.issuer(mode) + "/authorize")
                       for h in resp.hops)
    if want.event == "login_completed":
        # the liar was reached and the module came back to the callback
        assert resp.url.startswith(rig.httpd.https_url("/callback"))
        assert went_to_liar
    else:
        # refused at discovery, at start-up already: nobody is sent there
        assert resp.url.startswith(rig.httpd.https_url("/login")) and not went_to_liar
        assert any(f"RXA00011: issuer {rig.liar.issuer(mode)} cannot be used" in l
                   for l in rig.httpd.log_lines())

    # the error id on the page is the one in the tagged log line ...
    error_id = ERROR_ID.search(resp.text).group(1)
    rig.httpd.expect_log(r"\[error id %s\]" % error_id, min_count=1, max_count=1)
    lines = [l for l in rig.httpd.log_lines() if f"[error id {error_id}]" in l]
    assert len(lines) == 1, lines
    tag = "RXA00050: " if want.event == "login_completed" else "RXA00041: "
    assert tag in lines[0], lines[0]
    assert re.search(want.log, lines[0]), (want.log, lines[0])
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}", lines[0])   # no token in the log

    # ... and in the audit line
    audit = rig.audit_for(error_id)
    assert len(audit) == 1, audit
    a = audit[0]
    assert (a["event"], a["outcome"], a["reason"], a["provider"], a["sub"]) == \
        (want.event, "failure", want.reason, mode, None)

    if mode == "token_slow":
        # the error page comes within the timeout (plus the rest of the
        # walk), not when the liar would have answered
        assert HTTP_TIMEOUT - 0.5 <= elapsed < HTTP_TIMEOUT + 4 * SLOWDOWN, elapsed
        assert elapsed < SLOW_SECONDS


def test_mode_switched_through_the_control_endpoint(rig, on_failure):
    """The liar's bare issuer tells the lie of the current mode."""
    try:
        assert rig.liar.set_mode("expired") == "expired"
        s, resp = login(rig, "switch")
        assert resp.status_code == 502 and session_cookies(resp, s) == []
        error_id = ERROR_ID.search(resp.text).group(1)
        rig.httpd.expect_log(r"\[reflex_auth:warn\] .*RXA00050: \[error id %s\] .*"
                             r"RXA03322: token has expired" % error_id,
                             min_count=1, max_count=1)
        rig.liar.set_mode("honest")
        s, resp = login(rig, "switch")
        assert resp.status_code == 200
        assert "__Host-reflex_switch_id_token" in {c.split("=", 1)[0]
                                                   for c in session_cookies(resp, s)}
    finally:
        rig.liar.set_mode("honest")


def test_big_id_token_signs_in_where_the_limit_allows(rig, httpd_factory, liar_factory,
                                                      session_factory):
    """The 20 KB ID token is refused above only for LimitRequestFieldSize:
    with room for its cookies it signs in, and the cookies come back."""
    liar = liar_factory(keys_file=rig.liar.keys_file)   # a liar of its own
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    httpd.start(conf="\n".join([
        "LimitRequestFieldSize 65536",
        liar.provider_line("big_id_token", name="big"),
        "<Location /private>", "    AuthType ReflexOIDC", "    Require valid-user",
        "</Location>", ""]), env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    resp = follow(s, httpd.https_url("/login?provider=big&redirect_to=%2Fprivate%2F"),
                  headers=HTML, meta_refresh=False)
    assert resp.status_code == 200, resp.text[:2000]
    chunks = [c for c in set_cookies(resp) if c.startswith("__Host-reflex_big_id_token_")]
    assert len(chunks) >= 6          # ~27 KB sealed, in 4000-byte chunks
    r = s.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and "private" in r.text
