"""Behind TLS-terminating proxies (nginx, Apache mod_proxy) and as
two replicas behind a round-robin balancer without stickiness."""

import re
import shutil
import subprocess
import time
import urllib.parse

import pytest

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}
BACKEND = """
ReflexAuthTrustedProxies 127.0.0.1
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def sign_in(session, base):
    return follow(session, base + "/login?provider=generic&redirect_to=%2Fprivate%2F",
                  headers=HTML, meta_refresh=False,
                  stop=lambda u: u.startswith(base + "/private"))


def authorization_redirect_uri(idp):
    auth = [e for e in idp.requests_log() if e["path"] == "/auth" and e["method"] == "GET"]
    return auth[0]["params"]["redirect_uri"]


class Nginx:
    def __init__(self, root, tls, port, upstream):
        self.root = root
        self.conf = root / "nginx.conf"
        harness.write_file(self.conf, """
daemon off;
worker_processes 1;
pid %(root)s/nginx.pid;
error_log %(root)s/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(root)s/tmp; proxy_temp_path %(root)s/tmp;
    fastcgi_temp_path %(root)s/tmp; uwsgi_temp_path %(root)s/tmp; scgi_temp_path %(root)s/tmp;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name rp.test;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location / {
            proxy_pass %(upstream)s;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header X-Forwarded-For $remote_addr;
        }
    }
}
""" % {"root": root, "port": port, "cert": tls.cert_file, "key": tls.key_file,
       "upstream": upstream})
        (root / "tmp").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(["nginx", "-c", str(self.conf), "-p", str(root)],
                                     stderr=open(root / "nginx.console", "w"))
        harness.wait_until(lambda: harness.port_open(port) or self.proc.poll() is not None,
                           15, "nginx to listen")
        assert self.proc.poll() is None, (root / "nginx.console").read_text()

    def stop(self):
        harness.stop_process(self.proc)


def test_behind_nginx(httpd_factory, idp_factory, session_factory, tls_cert, workdir):
    if not shutil.which("nginx"):
        harness.unavailable("nginx is not installed")
    port = harness.free_port()
    public = "https://rp.test:%d" % port
    httpd = httpd_factory(https=False)
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd, redirect_uris=[public + "/callback"],
                      post_logout_redirect_uris=[public + "/"])
    httpd.start(conf=BACKEND, env={**idp.env("basic-rs256"),
                                   "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    nginx = Nginx(harness.make_dir("nginx-", parent=workdir), tls_cert, port,
                  httpd.http_url("").rstrip("/"))
    try:
        s = session_factory()
        r = sign_in(s, public)
        assert r.status_code == 200 and r.url.startswith(public + "/callback")
        assert authorization_redirect_uri(idp) == public + "/callback"
        assert s.get(public + "/private/", headers=HTML).status_code == 200
        r = s.get(public + "/logout", allow_redirects=False)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
        assert q["post_logout_redirect_uri"] == [public + "/"]
    finally:
        nginx.stop()


def front_conf(backends, balanced):
    if balanced:
        members = "\n".join("    BalancerMember %s" % b for b in backends)
        return """
<Proxy balancer://replicas>
%s
    ProxySet lbmethod=byrequests
</Proxy>
""" % members, "balancer://replicas/"
    return "", backends[0] + "/"


def start_front(httpd_factory, backends, balanced=False):
    front = httpd_factory(module=None, extra_modules=(
        "proxy", "proxy_http", "proxy_balancer", "lbmethod_byrequests", "slotmem_shm",
        "headers"))
    pre, target = front_conf(backends, balanced)
    front.start(conf=pre, https_conf="""
    ProxyPreserveHost On
    RequestHeader set X-Forwarded-Proto https
    ProxyPass / %s
""" % target)
    return front


def test_behind_apache_mod_proxy(httpd_factory, idp_factory, session_factory):
    backend = httpd_factory(https=False)
    backend.write_doc("private/index.html", "<p>private</p>\n")
    front = start_front(httpd_factory, [backend.http_url("").rstrip("/")])
    public = front.https_url("", host="rp.test").rstrip("/")
    idp = idp_factory(rp=front)
    backend.start(conf=BACKEND, env={**idp.env("basic-rs256"),
                                     "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    sign_in(s, public)
    assert authorization_redirect_uri(idp) == public + "/callback"
    assert s.get(public + "/private/", headers=HTML).status_code == 200


def access_count(httpd, path):
    if not httpd.access_log.exists():
        return 0
    return sum(1 for l in httpd.access_log.read_text().splitlines() if path in l)


def test_two_replicas_without_sticky_sessions(httpd_factory, idp_factory, session_factory):
    replicas = [httpd_factory(https=False) for _ in range(2)]
    for rep in replicas:
        rep.write_doc("private/index.html", "<p>private</p>\n")
    front = start_front(httpd_factory, [r.http_url("").rstrip("/") for r in replicas],
                        balanced=True)
    public = front.https_url("", host="rp.test").rstrip("/")
    idp = idp_factory(rp=front)
    for rep in replicas:
        rep.start(conf=BACKEND, env={**idp.env("basic-rs256"),
                                     "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    s = session_factory()
    sign_in(s, public)
    for _ in range(6):
        assert s.get(public + "/private/", headers=HTML, allow_redirects=False).status_code == 200
    # both replicas served the signed-in user
    harness.wait_until(lambda: all(access_count(r, "GET /private/") >= 2
                                   for r in replicas), 10,
                       "both replicas' access logs")
    assert all(access_count(r, "GET /private/") >= 2 for r in replicas), \
        [access_count(r, "GET /private/") for r in replicas]
    # sync and logout through either
    for _ in range(2):
        r = s.post(public + "/_reflex/cookies/sync", headers={"Origin": public})
        assert r.status_code == 200 and r.json()["authenticated"]
    # (httpd logs a request after answering it: wait for both lines)
    harness.wait_until(lambda: all(access_count(r, "/_reflex/cookies/sync") >= 1
                                   for r in replicas), 10,
                       "a sync in each replica's access log")
    assert all(access_count(r, "/_reflex/cookies/sync") == 1 for r in replicas)
    r = s.get(public + "/logout", allow_redirects=False)
    assert r.status_code == 302
    for c in list(s.cookies):
        if c.name.startswith("__Host-reflex_generic_"):
            s.cookies.clear(c.domain, c.path, c.name)
    assert s.get(public + "/private/", headers=HTML,
                 allow_redirects=False).status_code == 302
