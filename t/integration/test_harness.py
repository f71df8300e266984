"""Self-tests of the integration harness: the IdP, httpd without our module,
the error-log policy and the scripted-browsing helpers."""

import json
import os
import signal
import socket
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

import harness
from harness import STANDARD_CLIENTS, ScriptedClient, follow, jwt_parts

HERE = Path(__file__).resolve().parent
RP = "http://localhost:9/callback"  # nothing listens; flows stop before it
RP_LOGOUT = "http://localhost:9/"
PROFILE = "openid email profile groups"


@pytest.fixture
def idp(idp_factory):
    return idp_factory(redirect_uris=[RP], post_logout_redirect_uris=[RP_LOGOUT])


def verify_id_token(idp, rp, token, alg):
    from jwcrypto import jwk, jwt
    keys = jwk.JWKSet.from_json(json.dumps(idp.jwks()))
    checked = jwt.JWT(jwt=token, key=keys, algs=[alg], check_claims={
        "iss": idp.issuer, "aud": rp.client["client_id"], "nonce": rp.nonce, "exp": None})
    return json.loads(checked.claims)


# --------------------------------------------------------------------------
# The IdP


def test_idp_discovery(idp):
    doc = idp.discovery()
    assert doc["issuer"] == idp.issuer
    assert idp.issuer == f"http://127.0.0.1:{idp.port}"
    for name in ("authorization", "token", "userinfo", "end_session", "revocation"):
        assert doc[f"{name}_endpoint"].startswith(idp.issuer + "/"), name
    assert doc["jwks_uri"].startswith(idp.issuer + "/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"RS256", "ES256"} <= set(doc["id_token_signing_alg_values_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        doc["token_endpoint_auth_methods_supported"])
    assert {"openid", "email", "profile", "offline_access", "groups"} <= set(
        doc["scopes_supported"])
    assert doc["response_types_supported"] == ["code"]
    assert "/__test/" not in json.dumps(doc)

    keys = idp.jwks()["keys"]
    assert sorted(k["kty"] for k in keys) == ["EC", "RSA"]
    assert all("d" not in k for k in keys), "private key material published"
    ec = next(k for k in keys if k["kty"] == "EC")
    assert ec["crv"] == "P-256"
    rsa = next(k for k in keys if k["kty"] == "RSA")
    assert len(harness.b64url_decode(rsa["n"])) == 256


@pytest.mark.parametrize("client_id", sorted(STANDARD_CLIENTS))
def test_code_flow_with_pkce(idp, http_session, client_id):
    auth, alg = STANDARD_CLIENTS[client_id]
    rp = ScriptedClient(idp, client_id)
    code = rp.authorize(http_session, scope=PROFILE)
    r = rp.exchange(code)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "Bearer"
    assert "refresh_token" not in tokens  # no offline_access asked
    header, _ = jwt_parts(tokens["id_token"])
    assert header["alg"] == alg
    claims = verify_id_token(idp, rp, tokens["id_token"], alg)
    assert claims["sub"] == "alice"
    assert claims["email"] == "alice@example.test"
    assert claims["groups"] == ["admins", "staff"]
    assert claims["name"] == "Alice Liddell"
    assert "at_hash" in claims

    info = requests.get(idp.endpoint("userinfo"), timeout=10,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == "alice"
    assert info.json()["picture"] == "https://img.example.test/alice.png"

    # The IdP saw the client authenticate the way it is registered.
    (token_req,) = idp.requests_log("/token")
    assert token_req["status"] == 200
    assert token_req["client_id"] == client_id
    assert token_req["form"]["code_verifier"] == rp.verifier
    assert token_req["authorization"] == ("Basic" if auth == "client_secret_basic" else None)
    assert ("client_secret" in token_req["form"]) == (auth == "client_secret_post")
    (auth_req,) = idp.requests_log("/auth")
    assert auth_req["query"]["code_challenge_method"] == "S256"


def test_code_is_bound_to_verifier_and_auth_method(idp, http_session):
    rp = ScriptedClient(idp, "basic-rs256")
    code = rp.authorize(http_session)
    rp.verifier = harness.pkce_pair()[0]  # not the one the challenge was made of
    r = rp.exchange(code)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

    # A client_secret_basic client may not authenticate in the body.
    rp = ScriptedClient(idp, "basic-rs256")
    code = rp.authorize(http_session)
    rp.client = {**rp.client, "token_endpoint_auth_method": "client_secret_post"}
    r = rp.exchange(code)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_pkce_is_required(idp, http_session):
    rp = ScriptedClient(idp, "basic-rs256")
    url = rp.authorization_url()
    url = url.replace("code_challenge_method=S256", "code_challenge_method=plain")
    r = follow(http_session, url, stop=lambda u: u.startswith(RP))
    location = urllib.parse.urljoin(r.url, r.headers["location"])
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["error"] == ["invalid_request"], query

    q = {k: v for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(rp.authorization_url()).query)
         if not k.startswith("code_challenge")}
    r = follow(http_session, idp.endpoint("authorization") + "?" + urllib.parse.urlencode(q),
               stop=lambda u: u.startswith(RP))
    location = urllib.parse.urljoin(r.url, r.headers["location"])
    assert "error=invalid_request" in location


@pytest.mark.parametrize("client_id", ["basic-rs256", "post-es256", "public-es256"])
def test_refresh_with_offline_access(idp, http_session, client_id):
    rp = ScriptedClient(idp, client_id)
    code = rp.authorize(http_session, scope=PROFILE + " offline_access")
    tokens = rp.exchange(code).json()
    assert "refresh_token" in tokens, tokens
    assert "offline_access" in tokens["scope"].split()
    # The request log shows the query as the client sent it (no prompt added).
    assert "prompt" not in idp.requests_log("/auth")[0]["query"]

    r = rp.refresh(tokens["refresh_token"])
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["access_token"] != tokens["access_token"]
    _, claims = jwt_parts(again["id_token"])
    assert claims["sub"] == "alice"
    assert set(again["scope"].split()) == set(tokens["scope"].split())

    # A narrower scope may be asked for on refresh.
    r = rp.refresh(again.get("refresh_token", tokens["refresh_token"]), scope="openid email")
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == {"openid", "email"}


def test_login_choices(idp, http_session, session_factory):
    # login_hint names the account.
    rp = ScriptedClient(idp, "basic-rs256")
    tokens = rp.exchange(rp.authorize(http_session, scope=PROFILE, login_hint="bob")).json()
    _, claims = jwt_parts(tokens["id_token"])
    assert (claims["sub"], claims["groups"]) == ("bob", ["staff"])

    # Changing auto_login switches the account in the same browser session
    # (the IdP logs the old one out through a self-submitting form).
    idp.set_auto_login("carol")
    tokens = rp.exchange(rp.authorize(http_session, scope=PROFILE)).json()
    _, claims = jwt_parts(tokens["id_token"])
    assert claims["sub"] == "carol" and "groups" not in claims

    # Without auto_login: the interactive page, where any name logs in.
    idp.set_auto_login(None)
    browser = session_factory()
    page = follow(browser, rp.authorization_url(scope=PROFILE), stop=lambda u: u.startswith(RP))
    assert page.status_code == 200 and "<form" in page.text
    (form,) = harness.parse_forms(page.text)
    assert {"login", "password"} <= set(form.fields)
    r = harness.submit_form(browser, page, {"login": "bob", "password": "any"})
    r = follow(browser, urllib.parse.urljoin(r.url, r.headers["location"]),
               stop=lambda u: u.startswith(RP))
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["code"][0]
    _, claims = jwt_parts(rp.exchange(code).json()["id_token"])
    assert claims["sub"] == "bob"


def test_claims_only_in_userinfo_when_configured(idp_factory, http_session):
    idp = idp_factory(redirect_uris=[RP], claims_in_id_token=False)
    rp = ScriptedClient(idp, "public-rs256")
    tokens = rp.exchange(rp.authorize(http_session, scope=PROFILE)).json()
    _, claims = jwt_parts(tokens["id_token"])
    assert "email" not in claims and claims["sub"] == "alice"
    info = requests.get(idp.endpoint("userinfo"), timeout=10,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["email"] == "alice@example.test"


def test_ttls_and_accounts_are_configurable(idp_factory, http_session):
    idp = idp_factory(redirect_uris=[RP], ttl={"AccessToken": 30, "IdToken": 45},
                      accounts={"dave": {"email": "dave@example.test", "groups": ["ops"]}})
    rp = ScriptedClient(idp, "basic-es256")
    tokens = rp.exchange(rp.authorize(http_session, scope=PROFILE, login_hint="dave")).json()
    assert tokens["expires_in"] == 30
    _, claims = jwt_parts(tokens["id_token"])
    assert claims["exp"] - claims["iat"] == 45
    assert (claims["sub"], claims["groups"]) == ("dave", ["ops"])

    idp.settings(ttl={"AccessToken": 5})
    tokens = rp.exchange(rp.authorize(http_session)).json()
    assert tokens["expires_in"] == 5


def test_restart_keeps_issuer_and_keys_unless_asked(idp, http_session):
    issuer, kids = idp.issuer, {k["kid"] for k in idp.jwks()["keys"]}
    idp.restart()
    assert idp.issuer == issuer
    assert {k["kid"] for k in idp.jwks()["keys"]} == kids

    idp.restart(new_keys="prepend")
    now = [k["kid"] for k in idp.jwks()["keys"]]
    assert kids < set(now) and len(now) == 4
    rp = ScriptedClient(idp, "basic-rs256")
    tokens = rp.exchange(rp.authorize(http_session)).json()
    kid = jwt_parts(tokens["id_token"])[0]["kid"]
    assert kid not in kids, "the new key signs"

    idp.restart(new_keys="replace")
    assert not kids & {k["kid"] for k in idp.jwks()["keys"]}
    assert idp.issuer == issuer
    assert all("d" in k for k in idp.private_jwks()["keys"])


def test_faults_and_request_log(idp, http_session):
    rp = ScriptedClient(idp, "basic-rs256")
    code = rp.authorize(http_session)
    idp.add_fault("/token", status=503, json={"error": "temporarily_unavailable"}, times=1)
    r = rp.exchange(code)
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
    r = rp.exchange(code)
    assert r.status_code == 200, r.text

    idp.add_fault("re:^/jwks$", delay_ms=300)
    t0 = time.monotonic()
    assert requests.get(idp.discovery()["jwks_uri"], timeout=10).status_code == 200
    assert time.monotonic() - t0 >= 0.3
    idp.clear_faults()
    idp.add_fault("/.well-known/openid-configuration", drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(idp.url("/.well-known/openid-configuration"), timeout=10)
    idp.clear_faults()

    assert [e["status"] for e in idp.requests_log("/token")] == [503, 200]
    idp.clear_requests()
    assert idp.requests_log() == []


def test_logout(idp, http_session):
    rp = ScriptedClient(idp, "public-rs256")
    tokens = rp.exchange(rp.authorize(http_session)).json()
    url = idp.endpoint("end_session") + "?" + urllib.parse.urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": RP_LOGOUT,
        "state": "bye"})
    r = follow(http_session, url, stop=lambda u: u.startswith(RP_LOGOUT))
    assert r.headers["location"] == RP_LOGOUT + "?state=bye"
    # Signed out at the IdP: the next login needs the login page again.
    idp.set_auto_login(None)
    page = follow(http_session, rp.authorization_url(), stop=lambda u: u.startswith(RP))
    assert page.status_code == 200 and 'name="login"' in page.text


def test_idp_missing_node_modules_skips_or_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(harness, "IDP_DIR", tmp_path)
    idp = harness.IdP(tmp_path, redirect_uris=[RP])
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node_modules is missing"):
        idp.start()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="node_modules is missing"):
        idp.start()


def test_idp_bad_config_reports_stderr(idp_factory):
    idp = idp_factory(start=False, redirect_uris=["not a url"])
    with pytest.raises(harness.HarnessError, match="exited with status 2") as e:
        idp.start()
    assert "bad configuration" in str(e.value)


# --------------------------------------------------------------------------
# httpd (without mod_reflex_auth)


def test_httpd_serves_http_and_https(httpd_factory, http_session, tls_cert):
    httpd = httpd_factory(module=None)
    httpd.start()
    for url in (httpd.http_url("/"), httpd.http_url("/", host="127.0.0.1"),
                httpd.https_url("/"), httpd.https_url("/", host="rp.test")):
        r = http_session.get(url)
        assert r.status_code == 200, url
        assert "rxa test index" in r.text
    # The certificate is valid for the test names (checked against our CA).
    for host in ("localhost", "127.0.0.1", "rp.test"):
        r = requests.get(httpd.https_url("/index.html", host=host),
                         verify=str(tls_cert.ca_file), timeout=10)
        assert r.status_code == 200
    assert http_session.get(httpd.http_url("/nope")).status_code == 404
    # httpd logs the transaction after the answer is sent: wait for it
    harness.wait_until(lambda: "GET /nope HTTP/1.1\" 404"
                       in httpd.access_log.read_text(), 10,
                       "the 404 in the access log")
    pid = httpd.pid
    httpd.stop()
    assert harness.group_members(pid) == []  # no worker left behind
    assert not harness.port_open(httpd.http_port)


def test_httpd_conf_env_graceful_restart(httpd_factory, http_session, echo_backend):
    httpd = httpd_factory(module=None, extra_modules=("proxy", "proxy_http"), cgi=True)
    conf = f"""
PassEnv RXA_HARNESS_PROBE
ProxyPass /app/ {echo_backend.url}/
<Location /app/>
    RequestHeader set X-From-Httpd "port ${{TEST_HTTP_PORT}}"
</Location>
"""
    httpd.start(conf=conf, env={"RXA_HARNESS_PROBE": "hello"},
                https_conf="Header always set X-Vhost tls")
    env = http_session.get(httpd.http_url("/cgi-bin/env")).json()
    assert env["RXA_HARNESS_PROBE"] == "hello"
    assert "OIDC_ISSUER_URI" not in env

    r = http_session.get(httpd.https_url("/app/x?y=1"), headers={"X-Test": "1"})
    rec = r.json()
    assert (rec["path"], rec["query"]) == ("/x", "y=1")
    assert echo_backend.header_values(rec, "x-test") == ["1"]
    assert echo_backend.header_values(rec, "X-From-Httpd") == [f"port {httpd.http_port}"]
    assert r.headers["X-Vhost"] == "tls"
    assert "X-Vhost" not in http_session.get(httpd.http_url("/")).headers

    pid = httpd.pid
    httpd.graceful(conf=conf + "\nHeader always set X-Generation two\n")
    assert http_session.get(httpd.http_url("/")).headers["X-Generation"] == "two"
    httpd.restart(conf=conf)
    assert "X-Generation" not in http_session.get(httpd.http_url("/")).headers
    assert httpd.pid == pid and httpd.running
    assert len(httpd.wait_for_log(r"AH00493").split()) > 0  # graceful logged


def test_httpd_configtest(httpd_factory):
    httpd = httpd_factory(module=None)
    rc, out, err = httpd.configtest()
    assert rc == 0 and "Syntax OK" in err, err
    rc, out, err = httpd.configtest(defines=["DUMP_MODULES"])
    assert rc == 0 and "ssl_module" in out and "reflex_auth_module" not in out
    httpd.start()
    rc, out, err = httpd.configtest(conf="NoSuchDirective on")
    assert rc != 0 and "NoSuchDirective" in err
    # configtest with another config leaves the running one alone.
    assert "NoSuchDirective" not in httpd.conf_file.read_text()
    assert httpd.running
    httpd.graceful()


def test_httpd_start_failure_shows_why(httpd_factory):
    httpd = httpd_factory(module=None)
    with pytest.raises(harness.HarnessError) as e:
        httpd.start(conf="NoSuchDirective on")
    assert "exited with status" in str(e.value)
    assert "Invalid command 'NoSuchDirective'" in str(e.value)
    assert not httpd.running
    httpd.expect_log(r"AH00526: Syntax error", min_count=1)
    httpd.expect_log(r"Invalid command 'NoSuchDirective'", min_count=1)


def test_httpd_default_module_missing_skips_or_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("RXA_MODULE", str(tmp_path / "mod_reflex_auth.so"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is not built"):
        harness.Httpd(tmp_path, https=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="is not built"):
        harness.Httpd(tmp_path, https=False)


def test_httpd_stop_lets_children_finish_gracefully(httpd_factory, http_session):
    # The event MPM's ungraceful stop races its own workers (a child
    # segfaulted in close_worker_sockets under ASan): stop() has the
    # children stop gracefully, an idle keep-alive connection included,
    # and only then ends the parent.
    httpd = httpd_factory(module=None, https=False)
    httpd.start()
    assert http_session.get(httpd.http_url("/")).status_code == 200  # kept alive
    assert harness.threaded_children(httpd.pid)
    pid = httpd.pid
    t0 = time.monotonic()
    httpd.stop()
    assert time.monotonic() - t0 < harness.GRACEFUL_STOP_WAIT
    assert harness.group_members(pid) == []
    log = httpd.log_text()
    assert "AH00492: caught SIGWINCH, shutting down gracefully" in log
    assert "exit signal" not in log


def test_httpd_stop_kills_a_stuck_server(httpd_factory, http_session):
    httpd = httpd_factory(module=None, https=False)
    httpd.start()
    os.kill(httpd.pid, signal.SIGSTOP)  # SIGTERM cannot be handled now
    t0 = time.monotonic()
    pid = httpd.pid
    httpd.stop(timeout=1)
    assert time.monotonic() - t0 < 5
    assert harness.group_members(pid) == []


# --------------------------------------------------------------------------
# The error-log policy


LINE = "[Thu Nov 26 20:25:00.123456 2026] [{}] [pid 10:tid 11] {}"


def test_log_policy_levels_and_allowlist():
    notice = LINE.format("mpm_event:notice", "AH00489: Apache/2.4 configured")
    info = LINE.format("reflex_auth:info", "RXA00001: fine")
    debug = LINE.format("reflex_auth:debug", "RXA00002: detail")
    warn = LINE.format("reflex_auth:warn", "RXA00012: issuer slow")
    error = LINE.format("reflex_auth:error", "[client 127.0.0.1:1] RXA00013: bad")
    crit = LINE.format("core:crit", "AH00102: something")
    assert harness.check_log_lines([notice, info, debug, ""]) == []
    assert len(harness.check_log_lines([warn])) == 1
    assert len(harness.check_log_lines([error])) == 1
    assert len(harness.check_log_lines([crit])) == 1
    assert harness.check_log_lines([warn, error], [r"RXA0001[23]"]) == []
    assert len(harness.check_log_lines([warn, error], [r"RXA00012"])) == 1
    # Text without error_log format (a child's raw stderr) is a problem.
    assert len(harness.check_log_lines(["free(): invalid pointer"])) == 1


def test_log_policy_counts_and_crashes():
    seg = LINE.format("core:notice", "AH00052: child pid 7 exit signal Segmentation fault (11)")
    asan = "==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x1"
    ubsan = "src/core/x.c:10:5: runtime error: signed integer overflow"
    for line in (seg, asan, ubsan):
        assert harness.check_log_lines([line], [r".*"]), line  # never allowed
    info = LINE.format("reflex_auth:debug", "RXA00002: detail")
    e = harness.LogExpectation(r"RXA00002", min_count=2)
    assert "matched 1 line(s)" in harness.check_log_lines([info], [e])[0]
    e = harness.LogExpectation(r"RXA00002", max_count=0)
    assert harness.check_log_lines([info], [e])
    assert harness.check_log_lines([info, info], [harness.LogExpectation("RXA00002", 2, 2)]) == []


def test_log_policy_on_a_live_httpd(httpd_factory, http_session):
    httpd = httpd_factory(module=None, https=False)
    httpd.start(conf="<Location /denied>\n    Require all denied\n</Location>")
    mark = httpd.log_mark()
    assert http_session.get(httpd.http_url("/denied")).status_code == 403
    line = httpd.wait_for_log(r"AH01630", since=mark)  # [authz_core:error]
    assert "[authz_core:error]" in line
    problems = httpd.log_problems()
    assert len(problems) == 1 and "AH01630" in problems[0]
    httpd.expect_log(r"AH01630: client denied", min_count=1, max_count=1)
    assert httpd.log_problems() == []


def test_log_policy_fails_a_test_at_teardown(pytester, monkeypatch):
    """The fixture applies the policy by itself: a test that logs an
    unexpected error fails even though its body passed."""
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    pytester.makeconftest((HERE / "conftest.py").read_text())
    pytester.makepyfile(test_injected="""
        def test_forgets(httpd_factory, http_session):
            httpd = httpd_factory(module=None, https=False)
            httpd.start(conf="<Location /denied>\\n Require all denied\\n</Location>")
            assert http_session.get(httpd.http_url("/denied")).status_code == 403
            httpd.wait_for_log("AH01630")

        def test_declares(httpd_factory, http_session):
            httpd = httpd_factory(module=None, https=False)
            httpd.start(conf="<Location /denied>\\n Require all denied\\n</Location>")
            assert http_session.get(httpd.http_url("/denied")).status_code == 403
            httpd.wait_for_log("AH01630")
            httpd.expect_log("AH01630")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*error_log policy violated*", "*unexpected [[]error[]] line*AH01630*"])


# --------------------------------------------------------------------------
# Scripted-browsing helpers


def test_follow_meta_refresh_and_loops(httpd_factory, http_session):
    httpd = httpd_factory(module=None, https=False, extra_modules=("rewrite",))
    httpd.write_doc("hop.html", '<html><head><noscript><meta http-equiv="refresh" '
                                'content="0; url=/index.html?from=hop"></noscript></head></html>')
    httpd.start(conf="RewriteEngine on\nRewriteRule ^/loop$ /loop [R=302,L]\n")
    r = follow(http_session, httpd.http_url("/hop.html"))
    assert r.url.endswith("/index.html?from=hop") and r.status_code == 200
    assert [h.status_code for h in r.hops] == [200, 200]
    with pytest.raises(harness.HarnessError, match="hops"):
        follow(http_session, httpd.http_url("/loop"), max_hops=5)


def test_forms_parser():
    forms = harness.parse_forms("""
        <form method="post" action="/a"><input type="hidden" name="x" value="1&amp;2">
        <input name="t"><button type="submit" name="go" value="yes">Y</button>
        <button type="submit" name="no" value="n">N</button></form>
        <form action="/b"><input type="checkbox" name="c" checked></form>""")
    assert [(f.method, f.action) for f in forms] == [("POST", "/a"), ("GET", "/b")]
    assert forms[0].fields == {"x": "1&2", "t": "", "go": "yes"}
    assert forms[1].fields == {"c": "on"}


def test_free_ports_are_distinct_and_bindable():
    ports = harness.free_ports(5)
    assert len(set(ports)) == 5
    assert not any(harness.port_open(p) for p in ports)


def test_free_ports_are_never_the_kernels_pick():
    """A port handed out for httpd to bind later is neither one handed out
    before nor one the kernel may give to a bind to port 0 (the IdP's)
    or to an outgoing connection meanwhile."""
    span = harness._listen_port_range()
    if span is None:
        pytest.skip("the kernel's ephemeral range leaves no room")
    low, high = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    ports = harness.free_ports(20) + harness.free_ports(20)
    assert len(set(ports)) == 40
    assert all(not low <= p <= high for p in ports), ports
    with socket.socket() as s:
        s.bind((harness.LOOPBACK, 0))
        assert low <= s.getsockname()[1] <= high


def test_memcached_keys_lists_every_key(memcached):
    """Values of several sizes: items in several slab classes."""
    keys = ["rxa1:test:%d" % i for i in range(200)]
    for i, k in enumerate(keys):
        memcached.set(k, "v" * (i % 7 * 300 + 1))
    assert sorted(memcached.keys()) == sorted(keys)


def test_idp_over_tls_and_with_trailing_slash_issuer(idp_factory, http_session, tls_cert):
    idp = idp_factory(redirect_uris=[RP], tls={"cert": str(tls_cert.cert_file),
                                               "key": str(tls_cert.key_file)})
    assert idp.issuer == f"https://127.0.0.1:{idp.port}"
    r = requests.get(idp.url("/.well-known/openid-configuration"),
                     verify=str(tls_cert.ca_file), timeout=10)
    assert r.json()["issuer"] == idp.issuer

    idp = idp_factory(redirect_uris=[RP], issuer="http://localhost:{port}/")
    assert idp.issuer == f"http://localhost:{idp.port}/"
    doc = idp.discovery()
    assert doc["issuer"] == idp.issuer
    assert doc["token_endpoint"] == f"http://localhost:{idp.port}/token"
    rp = ScriptedClient(idp, "public-es256")
    tokens = rp.exchange(rp.authorize(http_session)).json()
    assert jwt_parts(tokens["id_token"])[1]["iss"] == idp.issuer


def test_idp_error_page(idp, http_session):
    r = http_session.get(idp.endpoint("authorization"), params={
        "client_id": "nope", "response_type": "code", "scope": "openid",
        "redirect_uri": RP})
    assert r.status_code == 400
    assert 'id="error"' in r.text and "invalid_client" in r.text


def test_idp_eddsa_and_ps256_clients(idp_factory, http_session):
    clients = [harness.make_client("ed", "none", "EdDSA", [RP]),
               harness.make_client("ps", "client_secret_post", "PS256", [RP])]
    idp = idp_factory(clients=clients, key_types=["RSA", "EC", "OKP"],
                      id_token_signing_algs=["RS256", "PS256", "ES256", "EdDSA"])
    assert "EdDSA" in idp.discovery()["id_token_signing_alg_values_supported"]
    assert sorted(k["kty"] for k in idp.jwks()["keys"]) == ["EC", "OKP", "RSA"]
    for cid, alg in (("ed", "EdDSA"), ("ps", "PS256")):
        rp = ScriptedClient(idp, cid)
        tokens = rp.exchange(rp.authorize(http_session)).json()
        assert jwt_parts(tokens["id_token"])[0]["alg"] == alg
        assert verify_id_token(idp, rp, tokens["id_token"], alg)["sub"] == "alice"


def test_processes_that_die_by_themselves_are_reported(httpd_factory, idp):
    httpd = httpd_factory(module=None, https=False)
    httpd.start()
    pid = httpd.pid
    os.kill(pid, signal.SIGKILL)  # as if the parent crashed
    httpd.proc.wait(timeout=10)
    httpd.stop(timeout=2)
    assert harness.group_members(pid) == []  # orphaned workers are gone too
    (problem,) = httpd.log_problems()
    assert "exited by itself with status -9" in problem
    httpd.exit_problems.clear()

    os.kill(idp.proc.pid, signal.SIGKILL)
    idp.proc.wait(timeout=10)
    with pytest.raises(harness.HarnessError, match="IdP exited by itself"):
        idp.stop()


# --------------------------------------------------------------------------
# Cache servers (memcached, Redis)


@pytest.fixture(params=["memcached", "redis"])
def cache_server(request):
    return request.getfixturevalue(request.param)


def test_cache_server_stores_and_dumps(cache_server):
    server = cache_server
    assert server.spec == f"{server.scheme}:127.0.0.1:{server.port}"
    assert server.dump() == []
    server.set("rxa1:b", b"\x00bytes\xff")
    server.set("rxa1:a", "text", ttl=60)
    assert server.get("rxa1:a") == b"text"
    assert server.get("rxa1:none") is None
    assert server.dump() == [("rxa1:a", b"text"), ("rxa1:b", b"\x00bytes\xff")]


def test_cache_server_pause_resume_kill_restart(cache_server):
    server = cache_server
    port = server.port
    server.set("k", "v")
    server.pause()
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:  # still accepts
        s.settimeout(0.5)
        s.sendall(b"get k\r\n" if server.scheme == "memcache" else b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        with pytest.raises(socket.timeout):
            s.recv(100)  # and answers nothing
    server.resume()
    assert server.get("k") == b"v"

    pid = server.proc.pid
    server.kill()
    assert not harness.port_open(port)
    assert harness.group_members(pid) == []
    server.restart()
    assert server.port == port and server.running
    assert server.dump() == []  # nothing kept across a restart

    server.set("k", "v2")
    server.restart()  # a running server: stopped, then started
    assert server.port == port and server.dump() == []
    server.pause()
    server.stop()  # a paused server stops too
    assert not harness.port_open(port)


def test_cache_server_absent_binary_skips(monkeypatch, workdir):
    monkeypatch.setattr(harness.Memcached, "binary", "/nonexistent/memcached")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        harness.Memcached(workdir).start()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(harness.Redis, "binary", "/nonexistent/redis-server")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        harness.Redis(workdir).start()
