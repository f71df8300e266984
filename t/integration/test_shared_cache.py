"""ReflexAuthSharedCache against a real httpd: each backend (shm by
default, memcached, Redis, the real engines on loopback ports) starts and
serves and shows in DUMP_REFLEX_AUTH; a bad spec is a clear config error;
with memcached absent httpd starts and serves without it, logging one
error line for the outage (whatever the number of processes, and across
a graceful restart) and one notice when it answers again."""

import re
import time

import pytest

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}


def conf_with(spec=None):
    """/private protected, and a ReflexAuthSharedCache line unless None."""
    lines = [] if spec is None else [f"ReflexAuthSharedCache {spec}".rstrip()]
    lines += ["<Location /private>", "    AuthType ReflexOIDC", "    Require valid-user",
              "</Location>", ""]
    return "\n".join(lines)


def env_for(idp):
    return {**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET}


def sign_in(httpd, session):
    follow(session, httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
           headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))
    r = session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200, r.text
    return r


def dumped_caches(out):
    return re.findall(r"^  shared cache: (.*)$", out, re.M)


@pytest.fixture(params=["shm", "memcache", "redis"])
def backend(request):
    """(the directive's argument or None for the default, the canonical
    text DUMP_REFLEX_AUTH shows)."""
    if request.param == "shm":
        return None, "shm"
    server = request.getfixturevalue("memcached" if request.param == "memcache" else "redis")
    return f"{server.scheme}:127.0.0.1:{server.port}", server.spec


def test_each_backend_starts_serves_and_shows_in_dump(backend, httpd_factory, idp_factory,
                                                      session_factory):
    spec, text = backend
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd)
    rc, out, err = httpd.configtest(defines="DUMP_REFLEX_AUTH", conf=conf_with(spec),
                                    env=env_for(idp))
    assert rc == 0, err
    # the main server and the TLS vhost, which inherits the line
    assert dumped_caches(out) == [text, text], out
    httpd.start(conf=conf_with(spec), env=env_for(idp))
    sign_in(httpd, session_factory())
    assert httpd.wait_for_log(r"RXA00200") is not None
    assert "RXA08001" not in httpd.log_text()


def test_spec_canonical_per_vhost_in_dump(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    spec = "memcache:Cache-A.Example:11211,  127.0.0.1:11212"
    rc, out, err = httpd.configtest(
        defines="DUMP_REFLEX_AUTH", conf=conf_with(),
        https_conf=f"ReflexAuthSharedCache {spec}\n", env=env_for(idp))
    assert rc == 0, err
    # the main server keeps the default; the vhost shows its own, canonical
    assert dumped_caches(out) == ["shm", "memcache:cache-a.example:11211,127.0.0.1:11212"]


@pytest.mark.parametrize("spec, why", [
    ("", "needs shm, memcache:HOST:PORT"),
    ("memcached:127.0.0.1:11211", "is not shm, memcache:HOST:PORT"),
    ("memcache:127.0.0.1", "is not HOST:PORT"),
    ("memcache:127.0.0.1:0", "the port must be 1 to 65535"),
    ("memcache:127.0.0.1:70000", "the port must be 1 to 65535"),
    ("memcache:::1:11211", "an IPv6 address goes in brackets"),
    ("memcache:a:1,,b:2", "separated by commas"),
    ("redis:a:1,b:2", "exactly one HOST:PORT"),
])
def test_bad_spec_is_a_clear_config_error(spec, why, httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    rc, out, err = httpd.configtest(conf=conf_with(spec), env=env_for(idp))
    assert rc != 0
    assert "RXA00230: ReflexAuthSharedCache: " in err, err
    assert why in err, err
    assert "httpd.conf" in err or "configtest.conf" in err  # where it is


def test_ipv6_server_stops_httpd_at_start(httpd_factory, idp_factory):
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    httpd.expect_log(r"RXA00233: .*memcache:\[::1\]:11211.*IPv4", min_count=1, max_count=1)
    httpd.expect_log(r"AH00016")  # "Configuration Failed"
    with pytest.raises(harness.HarnessError):
        httpd.start(conf=conf_with("memcache:[::1]:11211"), env=env_for(idp), timeout=10)
    assert re.search(r"RXA00233", httpd.log_text())


def test_cache_absent_serves_and_logs_one_line_per_outage(memcached_factory, httpd_factory,
                                                          idp_factory, session_factory):
    cache = memcached_factory(start=False)  # its port, nothing listening yet
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd)
    httpd.expect_log(r"RXA08001: shared cache %s does not answer" % re.escape(cache.spec),
                     min_count=1, max_count=1)
    httpd.start(conf=conf_with(cache.spec), env=env_for(idp))
    httpd.wait_for_log(r"RXA08001")
    # every child has probed by now; still one line
    time.sleep(1.5)
    assert len(re.findall(r"RXA08001", httpd.log_text())) == 1

    s = session_factory()
    r = s.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code in (200, 302), r.status_code
    sign_in(httpd, s)
    for _ in range(10):
        assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200

    # a graceful restart: new children find it down too, the outage goes on
    httpd.graceful()
    time.sleep(1.5)
    assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200
    assert len(re.findall(r"RXA08001", httpd.log_text())) == 1

    # it arrives: one notice, and no new outage line
    cache.start()
    httpd.wait_for_log(r"RXA08002: shared cache %s answers again" % re.escape(cache.spec))
    time.sleep(1.5)
    assert len(re.findall(r"RXA08002", httpd.log_text())) == 1
    assert len(re.findall(r"RXA08001", httpd.log_text())) == 1
    assert s.get(httpd.https_url("/private/"), headers=HTML).status_code == 200
