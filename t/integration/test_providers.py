"""Several providers on one site (two provider instances on two
ports), and the login page's auto-redirect."""

import re
import urllib.parse

from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}

CONF = """
ReflexAuthProvider first issuer=%(a)s client_id=basic-rs256 client_secret=%(sa)s display_name="First <IdP>"
ReflexAuthProvider second issuer=%(b)s client_id=public-es256
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /only-second>
    AuthType ReflexOIDC
    Require reflex-provider second
</Location>
"""


def sign_in(session, httpd, provider):
    url = httpd.https_url("/login?provider=%s&redirect_to=%%2Fprivate%%2F" % provider)
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))


def test_two_providers(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    for d in ("private", "only-second"):
        httpd.write_doc(d + "/index.html", "<p>%s</p>\n" % d)
    a = idp_factory(rp=httpd)
    b = idp_factory(rp=httpd)
    httpd.expect_log(r"AH01631: user .* authorization failure", min_count=1)
    httpd.start(conf=CONF % {"a": a.issuer, "b": b.issuer,
                             "sa": a.client("basic-rs256")["client_secret"]},
                env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})
    page = session_factory().get(httpd.https_url("/login?redirect_to=%2Fprivate%2F")).text
    buttons = re.findall(r'href="/login\?provider=(\w+)[^"]*">Login with ([^<]*)</a>', page)
    assert buttons == [("first", "First &lt;IdP&gt;"), ("second", "Second")]

    one, two = session_factory(), session_factory()
    sign_in(one, httpd, "first")
    sign_in(two, httpd, "second")
    assert a.requests_log("/token") and b.requests_log("/token")
    names_one = {c.name for c in one.cookies if c.name.startswith("__Host-")}
    names_two = {c.name for c in two.cookies if c.name.startswith("__Host-")}
    assert names_one and all(n.startswith("__Host-reflex_first_") for n in names_one)
    assert names_two and all(n.startswith("__Host-reflex_second_") for n in names_two)
    for s in (one, two):
        assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200
    assert two.get(httpd.https_url("/only-second/"), headers=HTML).status_code == 200
    assert one.get(httpd.https_url("/only-second/"), headers=HTML).status_code == 403
    # the callback picks the provider that started the login: a state from
    # one provider's login cannot be completed by the other
    r = one.get(httpd.https_url("/login?provider=second&redirect_to=%2F"), allow_redirects=False)
    assert urllib.parse.urlsplit(r.headers["Location"]).netloc.endswith(str(b.port))
    # logout ends the one in use
    r = one.get(httpd.https_url("/logout"), allow_redirects=False)
    assert r.headers["Location"].startswith(a.discovery()["end_session_endpoint"])


def test_login_auto_redirect(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    httpd.start(conf="ReflexAuthLoginAutoRedirect On\n",
                env={**idp.env("public-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    r = session_factory().get(httpd.https_url("/login?redirect_to=%2Fx"), allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"].startswith(idp.discovery()["authorization_endpoint"])


def test_login_page_without_auto_redirect(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    httpd.start(conf="", env={**idp.env("public-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    r = session_factory().get(httpd.https_url("/login?redirect_to=%2Fx"), allow_redirects=False)
    assert r.status_code == 200 and "Login with Generic" in r.text
