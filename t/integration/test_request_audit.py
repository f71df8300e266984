"""What the request path writes to the audit log and the error log: the
logout line names the sign-in that ended, an access decision is audited
once and only when the request ends denied, and REMOTE_USER's claim is
named when a user lacks it."""

import json
import time
import urllib.parse

from harness import COOKIE_SECRET
from test_refresh import sign_in

HTML = {"Accept": "text/html"}

CONF = """
ReflexAuthAuditLog ${TEST_ROOT}/logs/audit.jsonl
ReflexAuthExtraScopes groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /either>
    AuthType ReflexOIDC
    <RequireAny>
        Require reflex-claim groups nobody-is-in-this-group
        Require reflex-provider generic
    </RequireAny>
</Location>
<Location /either-user>
    AuthType ReflexOIDC
    <RequireAny>
        Require reflex-claim groups nobody-is-in-this-group
        Require valid-user
    </RequireAny>
</Location>
<Location /admins>
    AuthType ReflexOIDC
    Require reflex-claim groups nobody-is-in-this-group
</Location>
<Location /by-nickname>
    AuthType ReflexOIDC
    ReflexAuthRemoteUserClaim nickname
    Require valid-user
</Location>
"""


def start(httpd_factory, idp_factory):
    httpd = httpd_factory()
    for d in ("private", "either", "either-user", "admins", "by-nickname"):
        httpd.write_doc("%s/index.html" % d, "<p>%s</p>\n" % d)
    idp = idp_factory(rp=httpd)
    httpd.start(conf=CONF, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def audit_lines(httpd):
    path = httpd.root / "logs" / "audit.jsonl"
    time.sleep(0.3)
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_logout_line_names_the_sign_in_that_ended(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    r = http_session.get(httpd.https_url("/logout"), allow_redirects=False)
    assert r.status_code == 302
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == idp.discovery()["end_session_endpoint"]
    logouts = [l for l in audit_lines(httpd) if l["event"] == "logout"]
    assert len(logouts) == 1, logouts
    assert logouts[0]["outcome"] == "success"
    assert logouts[0]["provider"] == "generic" and logouts[0]["sub"] == "alice", logouts[0]


def test_require_any_audits_only_the_final_denial(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    # httpd's own line for the one request that ends denied
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=1, max_count=1)
    sign_in(http_session, httpd)
    for path in ("/either/", "/either-user/"):
        r = http_session.get(httpd.https_url(path), headers=HTML)
        assert r.status_code == 200, path
    assert not [l for l in audit_lines(httpd) if l["event"] == "access_denied"]
    assert "RXA00082" not in httpd.log_text() and "RXA00083" not in httpd.log_text()
    # a real denial is audited, once, with what the user is
    r = http_session.get(httpd.https_url("/admins/"), headers=HTML)
    assert r.status_code == 403
    denied = [l for l in audit_lines(httpd) if l["event"] == "access_denied"]
    assert len(denied) == 1, denied
    assert denied[0]["reason"] == "claim_mismatch"
    assert denied[0]["provider"] == "generic" and denied[0]["sub"] == "alice"
    assert httpd.log_text().count("RXA00082") == 1


def test_missing_remote_user_claim_is_named(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    httpd.expect_log(r"RXA00063: \[error id [0-9a-f]+\] the signed-in user has no "
                     r"claim nickname for REMOTE_USER", min_count=1, max_count=1)
    sign_in(http_session, httpd)
    r = http_session.get(httpd.https_url("/by-nickname/"), headers=HTML)
    assert r.status_code == 403
    assert "(null)" not in httpd.log_text()
