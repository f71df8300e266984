"""Fixtures for the integration tests (see harness.py for the classes).

Typical test:

    def test_something(httpd_factory, idp_factory, http_session):
        httpd = httpd_factory()                  # ports chosen, not started
        idp = idp_factory(rp=httpd)              # started; clients know httpd's URLs
        httpd.start(conf=PROTECTED_CONF,          # COOKIE_SECRET from harness
                    env={**idp.env("public-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
        r = http_session.get(httpd.https_url("/"))
        ...
        httpd.expect_log(r"RXA00042")            # only lines the test expects

At teardown every httpd and IdP is stopped, whatever happened, and each
httpd's error_log is checked (harness.check_log_lines): an unexpected line at
warn or above fails the test. Working directories are removed after a
passing test and kept (path in the report) after a failing one, or always
with RXA_KEEP_TMP=1.
"""

import os
import shutil

import pytest

import harness
from harness import EchoBackend, Httpd, IdP, Liar, Memcached, Redis, TLSCert

# pytester: the harness tests its own fixtures in a sub-run.
pytest_plugins = ["pytester"]


def _keep(item):
    if os.environ.get("RXA_KEEP_TMP", "0") not in ("", "0"):
        return True
    if getattr(item, "rxa_keep", False):  # a server failed at teardown
        return True
    return any(getattr(item, f"rxa_rep_{w}", None) is not None
               and getattr(item, f"rxa_rep_{w}").failed for w in ("setup", "call"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rxa_rep_{rep.when}", rep)
    if rep.when in ("setup", "call") and rep.failed:
        # What the servers said is usually the explanation of a failure.
        for obj in getattr(item, "rxa_started", []):
            if isinstance(obj, Httpd):
                rep.sections.append((f"httpd {obj.root}", obj.diagnostics()))
            elif isinstance(obj, IdP):
                rep.sections.append((f"IdP {obj.dir}", obj.diagnostics()))
            elif isinstance(obj, Liar):
                rep.sections.append((f"liar {obj.dir}", obj.diagnostics()))
            elif isinstance(obj, (Memcached, Redis)):
                rep.sections.append((f"{obj.name} {obj.dir}", obj.diagnostics()))


@pytest.fixture(scope="session", autouse=True)
def _test_resolver():
    """*.test names (rp.test) resolve to 127.0.0.1 in this process."""
    harness.install_test_resolver()
    yield
    harness.uninstall_test_resolver()


@pytest.fixture(scope="session")
def tls_cert():
    """TLSCert made once per session: CA + server cert for localhost,
    127.0.0.1, ::1, rp.test (files readable by httpd)."""
    cert = TLSCert.create()
    yield cert
    shutil.rmtree(cert.dir, ignore_errors=True)


@pytest.fixture
def workdir(request):
    """A fresh 0755 directory under /tmp for this test."""
    d = harness.make_dir("rxa-test-")
    yield d
    if _keep(request.node):
        print(f"kept {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


def _server_factory(request, workdir, cls, prefix):
    """make(start=True, **kwargs) -> a cls in a fresh directory of workdir,
    started unless start=False; and the list of those made."""
    made = []
    request.node.rxa_started = getattr(request.node, "rxa_started", [])

    def make(start=True, **kwargs):
        d = harness.make_dir(f"{prefix}{len(made)}-", parent=workdir)
        server = cls(d, **kwargs)
        made.append(server)
        request.node.rxa_started.append(server)
        if start:
            server.start()
        return server

    return make, made


def _stop_all(servers):
    """Stop each (all of them, whatever fails), then fail with what did."""
    problems = []
    for server in servers:
        try:
            server.stop()
        except Exception as e:  # keep stopping the others
            problems.append(str(e))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def idp_factory(request, workdir):
    """idp_factory(**kwargs) -> a started harness.IdP (start=False: not
    started). kwargs as for harness.IdP, e.g. rp=httpd, auto_login=None,
    ttl={"AccessToken": 30}. Every IdP is stopped at teardown."""
    make, made = _server_factory(request, workdir, IdP, "idp")
    yield make
    _stop_all(made)


@pytest.fixture
def liar_factory(request, workdir):
    """liar_factory(**kwargs) -> a started harness.Liar (start=False: not
    started). kwargs as for harness.Liar, e.g. mode="expired",
    slow_seconds=5. Every liar is stopped at teardown."""
    make, made = _server_factory(request, workdir, Liar, "liar")
    yield make
    _stop_all(made)


@pytest.fixture
def memcached_factory(request, workdir):
    """memcached_factory(**kwargs) -> a started harness.Memcached on a free
    loopback port (start=False: not started; port= a given one). Skips when
    memcached is not installed (fails in CI). Stopped at teardown."""
    make, made = _server_factory(request, workdir, Memcached, "memcache")
    yield make
    _stop_all(made)


@pytest.fixture
def redis_factory(request, workdir):
    """redis_factory(**kwargs) -> a started harness.Redis (no persistence),
    as memcached_factory."""
    make, made = _server_factory(request, workdir, Redis, "redis")
    yield make
    _stop_all(made)


@pytest.fixture
def memcached(memcached_factory):
    """A started harness.Memcached; .spec for ReflexAuthSharedCache."""
    return memcached_factory()


@pytest.fixture
def redis(redis_factory):
    """A started harness.Redis; .spec for ReflexAuthSharedCache."""
    return redis_factory()


@pytest.fixture
def httpd_factory(request, workdir, tls_cert, memcached_factory, redis_factory):
    """httpd_factory(**kwargs) -> a harness.Httpd with its ports chosen, not
    yet started (call .start(conf=..., env=...)). kwargs as for harness.Httpd
    (module=None runs without mod_reflex_auth; https=False; extra_modules;
    log_level; cgi). At teardown each is stopped and its error_log must
    satisfy the policy (declare expected lines with httpd.expect_log).
    The shared-cache servers' factories come first, so their servers stop
    after every httpd (a cache stopped under a running httpd is an outage,
    logged as an error)."""
    made = []
    request.node.rxa_started = getattr(request.node, "rxa_started", [])

    def make(**kwargs):
        kwargs.setdefault("tls", tls_cert)
        d = harness.make_dir(f"httpd{len(made)}-", parent=workdir)
        httpd = Httpd(d, **kwargs)
        made.append(httpd)
        request.node.rxa_started.append(httpd)
        return httpd

    yield make
    problems = []
    for httpd in made:
        try:
            httpd.stop()
        except Exception as e:  # keep stopping the others
            problems.append(f"stopping {httpd.root}: {e}")
    for httpd in made:
        try:
            httpd.assert_log_clean()
        except harness.HarnessError as e:
            problems.append(str(e))
    if problems:
        request.node.rxa_keep = True
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def http_session():
    """A requests session that does not verify our test certificate and
    puts a timeout on every request (harness.TestSession)."""
    s = harness.make_session()
    yield s
    s.close()


@pytest.fixture
def session_factory():
    """session_factory(verify=False) -> another TestSession (one per user)."""
    made = []

    def make(**kwargs):
        s = harness.make_session(**kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def echo_backend():
    """An EchoBackend on a free port, for ProxyPass targets."""
    backend = EchoBackend().start()
    yield backend
    backend.stop()
