"""README's "Connecting a real identity provider" against the providers' real
discovery documents and key sets (testdata/wellknown: Google, Microsoft
Entra common and organizations, GitLab): httpd configured as the guide says,
`apache2 -t -D DUMP_REFLEX_AUTH` must print what the guide says the module
does with that provider (client authentication at the token endpoint,
accepted signing algorithms, usable keys, userinfo and end_session, the
Entra tenant template and tenants=).

What is rewritten, and why: the module fetches
<configured issuer>/.well-known/openid-configuration and requires the
document's `issuer` to equal the configured issuer (ignoring one trailing
slash; Entra's {tenantid} stands for one path segment). To serve the real
document from a loopback server, its issuer must therefore name that
server. So every string value of the document that is an https URL,
issuer and endpoints alike, becomes https://127.0.0.1:PORT/<original
host><original path>: scheme, path and query stay as published (the
{tenantid} template included), the original host becomes the first path
segment so endpoints of different hosts stay distinct, and only the
authority changes. Every other member (algorithms, auth methods, claims,
scopes) keeps its published value, and the key set is served byte for
byte as published. The server speaks https with the harness's test CA
(ReflexAuthCAFile), as the real providers do; plain http, which the
module accepts on loopback, would have changed the scheme too.

The documents are read from the directory shared/testdata/wellknown next
to the repository's directory (or $RXA_TESTDATA/wellknown); without them
every test here skips.
"""

import http.server
import json
import os
import re
import ssl
import threading
import urllib.parse
from pathlib import Path

import pytest

from harness import COOKIE_SECRET

PROTECTED = """
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def wellknown_dir():
    env = os.environ.get("RXA_TESTDATA")
    base = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "testdata"
    return base / "wellknown"


def load(name):
    d = wellknown_dir()
    disc, jwks = d / f"{name}.discovery.json", d / f"{name}.jwks.json"
    if not (disc.is_file() and jwks.is_file()):
        pytest.skip(f"{disc} or {jwks} is absent")
    return json.loads(disc.read_text()), jwks.read_bytes()


class WellKnownServer:
    """Serves rewritten discovery documents and their key sets as
    published, over https on 127.0.0.1."""

    def __init__(self, tls):
        self.files = {}
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = files.get(urllib.parse.urlsplit(self.path).path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.origin = "https://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def local(self, url):
        """https://host/path -> https://127.0.0.1:PORT/host/path"""
        return re.sub(r"^https://", self.origin + "/", url)

    def publish(self, name, configured_issuer):
        """Serve NAME's document for CONFIGURED_ISSUER (the real one, as the
        guide has it); returns (the rewritten issuer to configure, the
        rewritten document)."""
        doc, jwks = load(name)
        doc = {k: self.local(v) if isinstance(v, str) and v.startswith("https://") else v
               for k, v in doc.items()}
        issuer = self.local(configured_issuer)
        well_known = urllib.parse.urlsplit(issuer.rstrip("/")).path \
            + "/.well-known/openid-configuration"
        self.files[well_known] = json.dumps(doc).encode()
        self.files[urllib.parse.urlsplit(doc["jwks_uri"]).path] = jwks
        return issuer, doc

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def wellknown(tls_cert):
    server = WellKnownServer(tls_cert)
    yield server
    server.stop()


def provider_block(out, name):
    """The lines DUMP_REFLEX_AUTH prints for provider NAME in the main server."""
    m = re.search(r"^  provider %s .*?(?=^  \S)" % re.escape(name), out, re.S | re.M)
    assert m, out
    return m.group(0)


def guide_conf(conf, env):
    """The guide's configuration, plus the test CA the loopback server's
    certificate is signed by."""
    return ('ReflexAuthCAFile "${TEST_CA}"\n' + conf + PROTECTED,
            {"OIDC_COOKIE_SECRET": COOKIE_SECRET, **env})


def dump(httpd, conf, env):
    conf, env = guide_conf(conf, env)
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=conf, env=env)
    assert rc == 0, err
    return out


def field(block, key):
    m = re.search(r"^    %s:\s+(.*)$" % re.escape(key), block, re.M)
    assert m, (key, block)
    return m.group(1)


def check_keys_and_algs(block, doc, name):
    """Every key of these providers is an RSA signing key, and RS256 is all
    they list: the guide says so, and the module takes them all."""
    keys = json.loads((wellknown_dir() / f"{name}.jwks.json").read_text())["keys"]
    assert all(k["kty"] == "RSA" and k.get("use", "sig") == "sig" for k in keys), keys
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert field(block, "signing algorithms") == "RS256"
    assert field(block, "jwks_uri").endswith("(%d signing keys, 0 skipped)" % len(keys))


def check_provider(out, provider, data, doc, issuer, auth):
    """What the guide says of every provider: discovery ok, the client type
    and token endpoint authentication, the published issuer, userinfo and
    end_session as the document has them, and the keys and algorithms.
    Returns the provider's block."""
    block = provider_block(out, provider)
    assert "discovery:      ok" in block, block
    kind = "public" if auth == "none, PKCE only" else "confidential"
    assert "%s client" % kind in block
    assert field(block, "published issuer") == issuer
    assert field(block, "token_endpoint") == "%s (%s)" % (doc["token_endpoint"], auth)
    assert field(block, "userinfo_endpoint") == doc.get("userinfo_endpoint", "(none)")
    assert field(block, "end_session_endpoint") == doc.get("end_session_endpoint", "(none)")
    check_keys_and_algs(block, doc, data)
    return block


def test_google(httpd_factory, wellknown, http_session):
    """Google: a "Web application" client, confidential (its secret is
    needed), client_secret_basic, RS256 keys, userinfo but no
    end_session_endpoint."""
    issuer, doc = wellknown.publish("google", "https://accounts.google.com")
    httpd = httpd_factory()
    out = dump(httpd, "", {"OIDC_ISSUER_URI": issuer,
                           "OIDC_CLIENT_ID": "1234-abc.apps.googleusercontent.com",
                           "OIDC_CLIENT_SECRET": "GOCSPX-test"})
    block = check_provider(out, "generic", "google", doc, issuer, "client_secret_basic")
    assert "end_session_endpoint" not in doc  # the guide: logout stays local
    assert "tenants:" not in block
    # Google's scopes: no offline_access, no groups (the guide warns)
    assert "offline_access" not in doc["scopes_supported"]
    assert "groups" not in doc["scopes_supported"] + doc["claims_supported"]
    assert "email" in doc["claims_supported"]
    # the callback URL the guide says to register
    assert "https://localhost:%d/callback" % httpd.https_port in out
    # and httpd starts so: a login goes to Google's authorization endpoint
    conf, env = guide_conf("", {"OIDC_ISSUER_URI": issuer, "OIDC_CLIENT_ID": "1234-abc",
                                "OIDC_CLIENT_SECRET": "GOCSPX-test"})
    httpd.start(conf=conf, env=env)
    r = http_session.get(httpd.https_url("/login?provider=generic&redirect_to=%2F"),
                         headers={"Accept": "text/html"}, allow_redirects=False)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert loc.startswith(doc["authorization_endpoint"] + "?"), loc
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [httpd.https_url("/callback")]


@pytest.mark.parametrize("name", ["entra-common", "entra-organizations"])
def test_entra_multi_tenant(httpd_factory, wellknown, name):
    """Entra's common and organizations endpoints publish the {tenantid}
    template; tenants= limits the tenants, and the dump says when nothing
    does."""
    segment = name.split("-")[1]
    real = "https://login.microsoftonline.com/%s/v2.0" % segment
    issuer, doc = wellknown.publish(name, real)
    assert "{tenantid}" in doc["issuer"]
    template = wellknown.local("https://login.microsoftonline.com/{tenantid}/v2.0")
    httpd = httpd_factory()
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    conf = ('ReflexAuthProvider entra issuer=%s client_id=app-id tenants="%s"\n'
            'ReflexAuthProvider entra_any issuer=%s client_id=app-id\n'
            % (issuer, tenant, issuer))
    out = dump(httpd, conf, {"ENTRA_CLIENT_SECRET": "s3cret",
                             "ENTRA_ANY_CLIENT_SECRET": "s3cret"})
    assert doc["userinfo_endpoint"] and doc["end_session_endpoint"]
    for provider in ("entra", "entra_any"):
        check_provider(out, provider, name, doc, template, "client_secret_basic")
    assert field(provider_block(out, "entra"), "tenants") == tenant
    assert field(provider_block(out, "entra_any"), "tenants").startswith("any ")
    # no groups scope to ask for; offline_access is listed
    assert "groups" not in doc["scopes_supported"]
    assert "offline_access" in doc["scopes_supported"]
    assert "code_challenge_methods_supported" not in doc  # PKCE is sent anyway


def test_entra_single_tenant_ignores_tenants(httpd_factory, wellknown):
    """A tenant's own issuer is no template: tenants= has no effect there,
    and the dump says so. Served from the organizations document with its
    issuer filled in, as a tenant's own document publishes it."""
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    issuer, doc = wellknown.publish("entra-organizations",
                                    "https://login.microsoftonline.com/%s/v2.0" % tenant)
    doc["issuer"] = issuer
    path = urllib.parse.urlsplit(issuer).path + "/.well-known/openid-configuration"
    wellknown.files[path] = json.dumps(doc).encode()
    httpd = httpd_factory()
    out = dump(httpd, 'ReflexAuthProvider entra issuer=%s client_id=app-id '
                      'client_secret=s3cret tenants="%s"\n' % (issuer, tenant), {})
    block = provider_block(out, "entra")
    assert field(block, "published issuer") == issuer
    assert field(block, "tenants").startswith("ignored ")


def test_gitlab(httpd_factory, wellknown):
    """GitLab: a public application (Confidential unticked) signs in with
    PKCE only, a confidential one with client_secret_basic; groups is a
    claim (in claims_supported), not a scope; no end_session_endpoint."""
    issuer, doc = wellknown.publish("gitlab", "https://gitlab.com")
    httpd = httpd_factory()
    out = dump(httpd, "ReflexAuthProvider gitlab\n"
                      "ReflexAuthProvider gitlab_conf issuer=%s client_id=fedcba\n" % issuer,
               {"GITLAB_ISSUER_URI": issuer, "GITLAB_CLIENT_ID": "abcdef0123",
                "GITLAB_CONF_CLIENT_SECRET": "gloas-test"})
    # "Confidential" ticked: the secret, with client_secret_basic
    check_provider(out, "gitlab_conf", "gitlab", doc, issuer, "client_secret_basic")
    check_provider(out, "gitlab", "gitlab", doc, issuer, "none, PKCE only")
    assert doc["userinfo_endpoint"] and "end_session_endpoint" not in doc
    assert {"groups", "groups_direct"} <= set(doc["claims_supported"])
    assert "groups" not in doc["scopes_supported"]
    assert "offline_access" not in doc["scopes_supported"]
