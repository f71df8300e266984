"""`apachectl graceful` and a full restart keep a signed-in
user signed in: the session lives in the cookies, the keys in the config."""

from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}
CONF = """
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def test_graceful_and_restart_keep_users_signed_in(httpd_factory, idp_factory, session_factory):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd)
    httpd.start(conf=CONF, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    follow(s, httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
           headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))
    assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200
    httpd.graceful()
    assert s.get(httpd.https_url("/private/"), headers=HTML,
                 allow_redirects=False).status_code == 200
    httpd.restart()
    assert s.get(httpd.https_url("/private/"), headers=HTML,
                 allow_redirects=False).status_code == 200
