"""ReflexAuthPage templates (escaped, under the CSP) and
ReflexAuthAuditLog (one JSON line per event, no token)."""

import json
import re
import time

from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}


def test_custom_login_and_error_templates(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    httpd.write_file(httpd.root / "login.html",
                     "<!DOCTYPE html><title>Our login</title><h1>Welcome</h1>\n"
                     "<nav>{{ providers }}</nav><p data-to=\"{{redirect_to}}\">back</p>\n"
                     "<script nonce=\"{{csp_nonce}}\">var ok = 1;</script>\n")
    httpd.write_file(httpd.root / "error.html",
                     "<!DOCTYPE html><title>Oops</title><p class=e>{{error}}</p>"
                     "<p class=id>{{error_id}}</p>\n")
    idp = idp_factory(rp=httpd)
    conf = """
ReflexAuthProvider evil issuer=%s client_id=public-rs256 display_name="<script>alert(1)</script>"
ReflexAuthPage login ${TEST_ROOT}/login.html
ReflexAuthPage error ${TEST_ROOT}/error.html
""" % idp.issuer
    httpd.start(conf=conf, env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    r = s.get(httpd.https_url('/login?redirect_to=%2Fa%22%3E%3Cscript%3E'))
    assert r.status_code == 200 and "<h1>Welcome</h1>" in r.text
    assert "Login with &lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>alert" not in r.text
    # redirect_to is made safe before it reaches the template
    assert 'data-to="/a%22%3E%3Cscript%3E"' in r.text and '"><script>' not in r.text
    nonce = re.search(r'<script nonce="([^"]+)">', r.text).group(1)
    assert "'nonce-%s'" % nonce in r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    r = s.get(httpd.https_url("/callback?state=x&code=y"))
    assert r.status_code == 400 and "<title>Oops</title>" in r.text
    error_id = re.search(r"<p class=id>([0-9a-f]{12})</p>", r.text).group(1)
    assert "[error id %s]" % error_id in httpd.log_text()


def test_bad_template_fails_configtest(httpd_factory):
    httpd = httpd_factory()
    httpd.write_file(httpd.root / "bad.html", "<p>{{ whoami }}</p>\n")
    env = {"OIDC_COOKIE_SECRET": COOKIE_SECRET, "OIDC_ISSUER_URI": "https://idp.example.com",
           "OIDC_CLIENT_ID": "x"}
    rc, out, err = httpd.configtest(conf="ReflexAuthPage login ${TEST_ROOT}/bad.html\n", env=env)
    assert rc != 0 and "RXA00008" in err and "whoami" in err
    rc, out, err = httpd.configtest(conf="ReflexAuthPage nosuch ${TEST_ROOT}/bad.html\n", env=env)
    assert rc != 0 and "RXA00007" in err


def read_audit(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def test_audit_log_events(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    httpd.write_doc("admins/index.html", "<p>admins</p>\n")
    idp = idp_factory(rp=httpd, ttl={"AccessToken": 3})
    audit = httpd.root / "logs" / "audit.jsonl"
    piped = httpd.root / "logs" / "audit-piped.jsonl"
    conf = """
ReflexAuthAuditLog ${TEST_ROOT}/logs/audit.jsonl
ReflexAuthExtraScopes offline_access groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /admins>
    AuthType ReflexOIDC
    Require reflex-claim groups nobody-is-in-this-group
</Location>
<VirtualHost 127.0.0.1:${TEST_HTTP_PORT}>
    ServerName 127.0.0.2
    ReflexAuthAuditLog "|/bin/sh -c 'cat >> %s'"
</VirtualHost>
""" % piped
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=1)
    httpd.start(conf=conf, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    follow(s, httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
           headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))
    assert s.get(httpd.https_url("/admins/"), headers=HTML).status_code == 403
    time.sleep(3.5)
    assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200   # refresh
    bad = session_factory()
    bad.get(httpd.https_url("/private/"), headers={**HTML, "Cookie":
            "__Host-reflex_generic_access_token=AAAA; __Host-reflex_generic_id_token=BBBB; "
            "__Host-reflex_generic_refresh_token=CCCC; __Host-reflex_generic_granted_scopes=DDDD"},
            allow_redirects=False)
    s.get(httpd.https_url("/logout"), allow_redirects=False)
    bad.get(httpd.https_url("/callback?state=forged&code=x"))
    time.sleep(0.5)
    lines = read_audit(audit)
    events = [(l["event"], l["outcome"], l.get("reason")) for l in lines]
    assert ("login_started", "success", None) in events
    assert ("login_completed", "success", None) in events
    assert ("access_denied", "failure", "claim_mismatch") in events
    assert ("token_refresh", "success", None) in events
    assert ("session_expired", "failure", "stale_cookies") in events
    assert ("logout", "success", None) in events
    assert ("login_completed", "failure", "csrf_state_mismatch") in events
    # one line per event: as many as happened, no more
    for kind in ("login_started", "login_completed", "logout", "access_denied"):
        assert len([e for e in events if e[0] == kind and (e[1] == "success"
                    or kind == "access_denied")]) == 1, kind
    idp_refreshes = [e for e in idp.requests_log("/token")
                     if (e.get("form") or {}).get("grant_type") == "refresh_token"]
    assert len([e for e in events if e[0] == "token_refresh"]) == len(idp_refreshes)
    done = [l for l in lines if l["event"] == "login_completed" and l["outcome"] == "success"][0]
    assert done["provider"] == "generic" and done["sub"] and done["client"] == "127.0.0.1"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", done["time"])
    text = audit.read_text()
    assert "eyJ" not in text and COOKIE_SECRET not in text
    assert idp.client("basic-rs256")["client_secret"] not in text
    # the piped log of the other vhost works too
    r = session_factory().get("http://127.0.0.1:%d/login?provider=generic" % httpd.http_port,
                              headers={"Host": "127.0.0.2:%d" % httpd.http_port},
                              allow_redirects=False)
    assert r.status_code == 302
    deadline = time.time() + 5
    while time.time() < deadline and not (piped.exists() and piped.read_text()):
        time.sleep(0.1)
    assert read_audit(piped)[0]["event"] == "login_started"
