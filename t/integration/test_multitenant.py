"""Several sites in one httpd, each with its own providers: a cookie secret
in httpd's environment does not make a server that declares no provider
need one."""

import urllib.parse

import harness
from harness import COOKIE_SECRET

HTML = {"Accept": "text/html,application/xhtml+xml"}

VHOST = """
Listen 127.0.0.1:%(port)d
<VirtualHost 127.0.0.1:%(port)d>
    ServerName localhost
    ReflexAuthProvider %(provider)s issuer=%(issuer)s client_id=%(client_id)s
    <Location /private>
        AuthType ReflexOIDC
        Require valid-user
    </Location>
</VirtualHost>
"""


def test_vhosts_with_their_own_providers_and_a_bare_main_server(
        httpd_factory, idp_factory, http_session):
    """The main server answers the http port, each vhost a port of its own
    (plain http is let through on loopback names only, so the sites differ
    by port, not by name)."""
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    ports = harness.free_ports(2)
    sites = {ports[0]: ("one", "public-rs256"), ports[1]: ("two", "public-es256")}
    idp = idp_factory(redirect_uris=["http://localhost:%d/callback" % port
                                     for port in sites])
    conf = """
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""
    for port, (provider, client_id) in sites.items():
        conf += VHOST % {"port": port, "provider": provider,
                         "issuer": idp.issuer, "client_id": client_id}
    httpd.expect_log(r"RXA00020: \[error id [0-9a-f]{12}\].*no ReflexAuthProvider",
                     min_count=1, max_count=1)
    # the cookie secret only in the environment, as Debian's envvars puts it
    httpd.start(conf=conf, env={"OIDC_COOKIE_SECRET": COOKIE_SECRET})

    authorize = idp.discovery()["authorization_endpoint"]
    for port, (provider, client_id) in sites.items():
        base = "http://localhost:%d" % port
        r = http_session.get(base + "/private/", headers=HTML, allow_redirects=False)
        assert r.status_code == 302, (port, r.status_code, r.text)
        assert r.headers["Location"].startswith("/login?redirect_to=")
        # the login goes to this site's own provider, with its own client
        r = http_session.get(base + "/login?provider=%s&redirect_to=%%2Fprivate%%2F"
                             % provider, headers=HTML, allow_redirects=False)
        assert r.status_code == 302, (port, r.status_code, r.text)
        loc = r.headers["Location"]
        assert loc.startswith(authorize + "?"), loc
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        assert query["client_id"] == [client_id]
        assert query["redirect_uri"] == [base + "/callback"]

    # the main server has no provider: only its protected location fails
    assert http_session.get(httpd.http_url("/")).status_code == 200
    r = http_session.get(httpd.http_url("/private/"), headers=HTML)
    assert r.status_code == 500
    assert "not configured" in r.text
