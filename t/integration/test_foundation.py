"""The provider registry and discovery against a real httpd and a
real OpenID provider: start-up checks, DUMP_REFLEX_AUTH, an unreachable
issuer (503, one tagged error, retry), the module loaded but unused."""

import re
import socket
import time
from pathlib import Path

import harness
from harness import COOKIE_SECRET

PROTECTED = """
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""

HTML = {"Accept": "text/html,application/xhtml+xml"}


def secret_env(**extra):
    return {"OIDC_COOKIE_SECRET": COOKIE_SECRET, **extra}


def write_private(httpd):
    httpd.write_doc("private/index.html", "<p>private</p>\n")


def package_version():
    """The version AC_INIT in configure.ac gives."""
    text = (Path(__file__).resolve().parents[2] / "configure.ac").read_text()
    return re.search(r"AC_INIT\(\[mod_reflex_auth\], \[([^]]+)\]", text).group(1)


def test_dump_lists_discovered_endpoints_and_callback(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    env = secret_env(**idp.env("basic-rs256"))
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=PROTECTED, env=env)
    assert rc == 0, err
    assert out.splitlines()[0] == "mod_reflex_auth/%s configuration:" % package_version()
    disc = idp.discovery()
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                "jwks_uri", "end_session_endpoint"):
        assert disc[key] in out, (key, out)
    assert "provider generic" in out
    assert f"issuer:         {idp.issuer}" in out
    assert "discovery:      ok" in out
    assert "confidential client" in out
    assert "client_secret_basic" in out
    # the callback URL to register, for ServerName and each ServerAlias
    assert "http://localhost:%d/callback" % httpd.http_port in out
    assert "/callback" in out and "rp.test" in out
    # the secrets themselves never appear
    assert idp.client("basic-rs256")["client_secret"] not in out + err
    assert COOKIE_SECRET not in out + err


def test_dump_shows_public_client_and_unreachable_issuer(httpd_factory):
    httpd = httpd_factory()
    dead = "http://127.0.0.1:%d" % harness.free_port()
    rc, out, err = httpd.configtest(
        defines="DUMP_REFLEX_AUTH", conf=PROTECTED,
        env=secret_env(OIDC_ISSUER_URI=dead, OIDC_CLIENT_ID="app"))
    assert rc == 0, err
    assert "public client" in out
    assert "discovery:      FAILED" in out and "RXA02108" in out


def test_two_providers_sharing_the_oidc_fallback_fail_configtest(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    conf = "ReflexAuthProvider google\nReflexAuthProvider azure\n" + PROTECTED
    rc, out, err = httpd.configtest(conf=conf, env=secret_env(**idp.env("basic-rs256")))
    assert rc != 0
    assert "RXA02006" in err
    assert "google and azure" in err
    assert "OIDC_ISSUER_URI" in err and "GOOGLE_ISSUER_URI" in err


def test_each_provider_with_its_own_issuer_passes(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    conf = ("ReflexAuthProvider google\n"
            "ReflexAuthProvider azure issuer=%s client_id=public-rs256\n" % idp.issuer
            + PROTECTED)
    env = secret_env(GOOGLE_ISSUER_URI=idp.issuer, GOOGLE_CLIENT_ID="basic-rs256")
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=conf, env=env)
    assert rc == 0, err
    assert "provider google" in out and "provider azure" in out
    assert out.index("provider google") < out.index("provider azure")
    assert "from GOOGLE_ISSUER_URI" in out


def test_missing_cookie_secret_fails_with_how_to_make_one(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    rc, out, err = httpd.configtest(conf=PROTECTED, env=idp.env("basic-rs256"))
    assert rc != 0
    assert "RXA02010" in err and "openssl rand -base64 32" in err


def test_short_cookie_secret_fails_with_how_to_make_one(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    short = "only-twenty-bytes-xx"
    rc, out, err = httpd.configtest(conf=PROTECTED, env={
        **idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": short})
    assert rc != 0
    assert "RXA02011" in err and "openssl rand -base64 32" in err
    assert short not in err
    # the directive works the same way, and a long enough one passes
    rc, out, err = httpd.configtest(
        conf='ReflexAuthCookieSecret "%s"\n%s' % (short, PROTECTED),
        env=idp.env("basic-rs256"))
    assert rc != 0 and "RXA02011" in err
    rc, out, err = httpd.configtest(
        conf='ReflexAuthCookieSecret "%s" "%s"\n%s' % (COOKIE_SECRET, "x" * 32, PROTECTED),
        env=idp.env("basic-rs256"))
    assert rc == 0, err


def test_bad_directive_values_fail_configtest(httpd_factory):
    httpd = httpd_factory()
    env = secret_env(OIDC_ISSUER_URI="https://idp.example.com", OIDC_CLIENT_ID="x")
    for line, tag in (("ReflexAuthLoginPath login", "RXA00001"),
                      ("ReflexAuthCallbackPath //evil.example/cb", "RXA00001"),
                      ("ReflexAuthLogoutPath /a?b", "RXA00002"),
                      ("ReflexAuthCAFile /nonexistent.pem", "RXA00003"),
                      ("ReflexAuthHTTPTimeout 0", "RXA00004"),
                      ("ReflexAuthHTTPTimeout soon", "RXA00004"),
                      ("ReflexAuthClockSkew -1", "RXA00006"),
                      ("ReflexAuthClockSkew 601", "RXA00006"),
                      ("ReflexAuthLoginAutoRedirect maybe", "ReflexAuthLoginAutoRedirect"),
                      ("ReflexAuthProvider google colour=red", "RXA02003"),
                      ("ReflexAuthProvider 1bad", "RXA02001"),
                      ("ReflexAuthProvider google issuer=http://idp.example.com client_id=x",
                       "RXA02009")):
        rc, out, err = httpd.configtest(conf=line + "\n" + PROTECTED, env=env)
        assert rc != 0 and tag in err, (line, err)


def test_unreachable_issuer_starts_with_one_error_then_503(httpd_factory, http_session):
    httpd = httpd_factory()
    write_private(httpd)
    dead = "http://127.0.0.1:%d" % harness.free_port()
    httpd.expect_log(r"RXA00011: issuer %s cannot be used yet" % re.escape(dead),
                     min_count=1, max_count=1)
    httpd.expect_log(r"RXA00021: \[error id [0-9a-f]{12}\]", min_count=1)
    httpd.expect_log(r"RXA02114: issuer .* still unavailable")
    httpd.start(conf=PROTECTED, env=secret_env(OIDC_ISSUER_URI=dead, OIDC_CLIENT_ID="app"))

    # the rest of the site is served
    assert http_session.get(httpd.http_url("/")).status_code == 200
    r = http_session.get(httpd.http_url("/private/"), headers=HTML)
    assert r.status_code == 503
    assert r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers.get("Retry-After")
    error_id = re.search(r"Error id: <code>([0-9a-f]{12})</code>", r.text).group(1)
    assert re.search(r"RXA00021: \[error id %s\]" % error_id, httpd.log_text())
    # one start-up error, not one per vhost or per config pass
    assert httpd.log_text().count("RXA00011") == 1


def test_issuer_that_comes_up_later_is_used_after_retry(httpd_factory, idp_factory,
                                                        http_session):
    httpd = httpd_factory()
    write_private(httpd)
    idp = idp_factory(rp=httpd, start=False)
    port = harness.free_port()
    idp.config["port"] = port
    issuer = "http://127.0.0.1:%d" % port
    httpd.expect_log(r"RXA00011: issuer", min_count=1, max_count=1)
    httpd.expect_log(r"RXA00021: ")
    httpd.expect_log(r"RXA02114: ")
    httpd.start(conf=PROTECTED, env=secret_env(OIDC_ISSUER_URI=issuer,
                                               OIDC_CLIENT_ID="basic-rs256",
                                               OIDC_CLIENT_SECRET="x"))
    assert http_session.get(httpd.http_url("/private/"), headers=HTML).status_code == 503
    idp.start()
    assert idp.issuer == issuer

    def recovered():
        r = http_session.get(httpd.http_url("/private/"), headers=HTML,
                             allow_redirects=False)
        return r.status_code == 302
    # back-off starts at 2 s and doubles; each worker process retries itself
    harness.wait_until(recovered, 40, "the issuer to be discovered after a retry")
    assert re.search(r"RXA02113: issuer %s discovered after retry" % re.escape(issuer),
                     httpd.log_text())


def test_silent_issuer_never_holds_a_request(httpd_factory, http_session):
    # An issuer that accepts connections and never answers. Its retries run
    # in each process's background fetcher, so no request waits out
    # ReflexAuthHTTPTimeout (one request per retry step used to).
    httpd = httpd_factory()
    write_private(httpd)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # never accepted
    issuer = "http://127.0.0.1:%d" % silent.getsockname()[1]
    httpd.expect_log(r"RXA00011: issuer %s cannot be used yet" % re.escape(issuer),
                     min_count=1, max_count=1)
    httpd.expect_log(r"RXA00021: ")
    httpd.expect_log(r"RXA02114: issuer %s still unavailable \(.*Timeout" % re.escape(issuer),
                     min_count=1)
    try:
        httpd.start(conf="ReflexAuthHTTPTimeout 2\n" + PROTECTED,
                    env=secret_env(OIDC_ISSUER_URI=issuer, OIDC_CLIENT_ID="app"))
        # retries are due 2 s after start-up's attempt, then 4 s after the
        # first retry's end (each takes the 2 s timeout)
        slowest, end = 0.0, time.monotonic() + 10
        while time.monotonic() < end:
            t = time.monotonic()
            r = http_session.get(httpd.http_url("/private/"), headers=HTML)
            slowest = max(slowest, time.monotonic() - t)
            assert r.status_code == 503
            time.sleep(0.05)
        assert slowest < 1.0, slowest
        assert "RXA02114" in httpd.log_text()   # retried all the same
    finally:
        httpd.stop()
        silent.close()


def test_issuer_mismatch_is_refused(httpd_factory, idp_factory, http_session):
    httpd = httpd_factory()
    write_private(httpd)
    idp = idp_factory(rp=httpd)
    # same server, other spelling: the document names 127.0.0.1
    configured = idp.issuer.replace("127.0.0.1", "localhost")
    httpd.expect_log(r"RXA00011: .*RXA02104: discovery document names issuer", min_count=1)
    httpd.expect_log(r"RXA00021: ")
    httpd.expect_log(r"RXA02114: ")
    httpd.start(conf=PROTECTED, env=secret_env(OIDC_ISSUER_URI=configured,
                                               OIDC_CLIENT_ID="public-rs256"))
    assert http_session.get(httpd.http_url("/private/"), headers=HTML).status_code == 503


def test_each_issuer_fetched_once_for_many_vhosts(httpd_factory, idp_factory, http_session):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    vhosts = "".join("""
<VirtualHost 127.0.0.1:%d>
    ServerName v%d.test
    <Location />
        AuthType ReflexOIDC
        Require valid-user
    </Location>
</VirtualHost>
""" % (httpd.http_port, i) for i in range(5))
    idp.clear_requests()
    httpd.start(conf=PROTECTED + vhosts, env=secret_env(**idp.env("basic-rs256")))
    seen = [r for r in idp.requests_log() if r["path"].endswith("/openid-configuration")]
    assert len(seen) == 1, seen
    jwks_path = idp.discovery()["jwks_uri"].split(str(idp.port), 1)[1]
    assert len([r for r in idp.requests_log() if r["path"] == jwks_path]) == 1


def test_two_issuers_one_down(httpd_factory, idp_factory, http_session):
    httpd = httpd_factory()
    write_private(httpd)
    idp = idp_factory(rp=httpd)
    dead = "http://127.0.0.1:%d" % harness.free_port()
    conf = """
ReflexAuthProvider up issuer=%s client_id=public-rs256
ReflexAuthProvider down issuer=%s client_id=app
""" % (idp.issuer, dead) + PROTECTED
    httpd.expect_log(r"RXA00011: issuer %s cannot" % re.escape(dead), min_count=1, max_count=1)
    httpd.expect_log(r"RXA02114: ")
    httpd.start(conf=conf, env=secret_env())
    assert "RXA00012: issuer %s discovered" % idp.issuer in httpd.log_text()
    # one provider can be used: the request goes on to sign-in, not 503
    r = http_session.get(httpd.http_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302


def test_navigation_redirects_and_api_calls_get_401(httpd_factory, idp_factory, http_session):
    httpd = httpd_factory()
    write_private(httpd)
    idp = idp_factory(rp=httpd)
    httpd.start(conf=PROTECTED, env=secret_env(**idp.env("public-rs256")))
    r = http_session.get(httpd.http_url("/private/?a=1&b=%2F"), headers=HTML,
                         allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?redirect_to=")
    r = http_session.get(httpd.http_url("/private/"), allow_redirects=False,
                         headers={"Sec-Fetch-Mode": "navigate", "Accept": "*/*"})
    assert r.status_code == 302
    for headers in ({"Accept": "application/json"},
                    {"Sec-Fetch-Mode": "cors", "Accept": "text/html"},
                    {"Accept": "text/html", "Upgrade": "websocket", "Connection": "Upgrade"}):
        r = http_session.get(httpd.http_url("/private/data"), headers=headers,
                             allow_redirects=False)
        assert r.status_code == 401, headers
        assert r.headers["WWW-Authenticate"] == "ReflexOIDC"
        body = r.json()
        assert body["authenticated"] is False and body["login_url"].startswith("/login")
    # unprotected paths are untouched
    assert http_session.get(httpd.http_url("/")).status_code == 200


def test_module_loaded_but_unconfigured(httpd_factory, http_session):
    httpd = httpd_factory()
    write_private(httpd)
    httpd.expect_log(r"RXA00020: \[error id [0-9a-f]{12}\]", min_count=1)
    httpd.start(conf=PROTECTED, env={})
    assert http_session.get(httpd.http_url("/")).status_code == 200
    r = http_session.get(httpd.http_url("/private/"), headers=HTML)
    assert r.status_code == 500
    assert "not configured" in r.text


def test_debug_logging_and_no_secrets(httpd_factory, idp_factory, http_session):
    httpd = httpd_factory(log_level="debug")
    write_private(httpd)
    idp = idp_factory(rp=httpd)
    secret = idp.client("basic-rs256")["client_secret"]
    httpd.start(conf=PROTECTED, env=secret_env(**idp.env("basic-rs256")))
    http_session.get(httpd.http_url("/private/"), headers=HTML)
    text = httpd.log_text()
    assert "RXA02115: issuer %s: metadata" % idp.issuer in text
    assert secret not in text and COOKIE_SECRET not in text
    # every line of ours carries its tag
    ours = [l for l in text.splitlines() if "[reflex_auth:" in l]
    # (at debug level httpd puts the source position before the message:
    # __FILE__, a path of any spelling in a VPATH build)
    tagged = re.compile(r"\] (?:\[client [^]]+\] )?(?:\S+\.c\(\d+\): )?RXA\d{5}: ")
    assert ours and all(tagged.search(l) for l in ours), ours


def test_info_level_hides_debug(httpd_factory, idp_factory):
    httpd = httpd_factory(log_level="info")
    idp = idp_factory(rp=httpd)
    httpd.start(conf=PROTECTED, env=secret_env(**idp.env("basic-rs256")))
    assert "RXA00012" in httpd.log_text()
    assert "RXA02115" not in httpd.log_text()


def test_dump_callbacks_for_aliases_and_listeners_and_locations(httpd_factory, idp_factory):
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http"))
    idp = idp_factory(rp=httpd)
    conf = """
<VirtualHost 127.0.0.1:${TEST_HTTP_PORT}>
    ServerName app.test
    ServerAlias a1.test a2.test
    <Location /private>
        AuthType ReflexOIDC
        Require reflex-claim groups admins
    </Location>
    <Location /public>
        Require all granted
    </Location>
    ProxyPass /api http://127.0.0.1:9/api
</VirtualHost>
"""
    https_conf = """
    ServerAlias a1.test a2.test
"""
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=conf,
                                    https_conf=https_conf,
                                    env={**idp.env("basic-rs256"),
                                         "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    assert rc == 0, err
    hp, sp = httpd.http_port, httpd.https_port
    for name in ("app.test", "a1.test", "a2.test"):
        assert "http://%s:%d/callback   (plain http" % (name, hp) in out, out
    for name in ("a1.test", "a2.test"):
        assert "https://%s:%d/callback\n" % (name, sp) in out, out
    assert "Location /private  GUARDED, Require reflex-claim groups admins" in out
    assert "Location /public  not guarded here, Require all granted" in out
    assert "ProxyPass /api http://127.0.0.1:9/api" in out


def test_ca_file_for_a_private_idp(httpd_factory, idp_factory, tls_cert, http_session):
    """A provider on https with a private CA: discovery fails certificate
    verification until ReflexAuthCAFile names that CA."""
    httpd = httpd_factory()
    write_private(httpd)
    idp = idp_factory(rp=httpd, tls={"cert": str(tls_cert.cert_file),
                                     "key": str(tls_cert.key_file)},
                      issuer="https://localhost:{port}")
    assert idp.issuer.startswith("https://localhost:")
    env = secret_env(OIDC_ISSUER_URI=idp.issuer, OIDC_CLIENT_ID="public-rs256")
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=PROTECTED, env=env)
    assert rc == 0 and "discovery:      FAILED" in out
    assert re.search(r"certificate|SSL", out), out
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH",
                                    conf="ReflexAuthCAFile %s\n%s" % (tls_cert.ca_file, PROTECTED),
                                    env=env)
    assert rc == 0 and "discovery:      ok" in out, out


def test_version_at_start_up(httpd_factory, idp_factory, http_session):
    """One RXA00200 line per start with the version from configure.ac; the
    Server header names the module only where ServerTokens says so."""
    version = package_version()
    line = r"\[reflex_auth:notice\].*RXA00200: mod_reflex_auth/%s configured " \
           r"\(OpenSSL/[0-9][^,]*, libcurl/[0-9][^,]*, jansson/[0-9][^)]*\)$" % re.escape(version)
    idp = idp_factory()
    for tokens, shown in (("Full", True), ("Prod", False)):
        httpd = httpd_factory(https=False)
        httpd.expect_log(line, min_count=1, max_count=1)
        httpd.start(conf="ServerTokens %s\n" % tokens + PROTECTED,
                    env=secret_env(**idp.env("basic-rs256")))
        server = http_session.get(httpd.http_url("/")).headers["Server"]
        assert ("mod_reflex_auth/%s" % version in server) is shown, (tokens, server)
        httpd.stop()
