"""Fixtures for the browser tests: the integration harness's fixtures
(t/integration/conftest.py: workdir, tls_cert, httpd_factory, idp_factory,
http_session, session_factory, echo_backend; *.test resolving to 127.0.0.1
in this process) plus a real headless Chromium (browser.py).

Typical test:

    def test_sign_in(browser, httpd_factory, idp_factory):
        httpd = httpd_factory()
        idp = idp_factory(rp=httpd, auto_login=None)   # the login page shows
        httpd.start(conf=..., env=...)
        browser.open(httpd.https_url("/private/", host="rp.test"))
        browser.idp_sign_in("bob", until=httpd.https_url("/private/", host="rp.test"))
        assert browser.cookie("__Host-reflex_generic_id_token")["sameSite"] == "Strict"

The browser is quit at teardown whatever happened. When a test fails, a
screenshot and the page source of every tab, the console log and the
cookies are saved into the test's work directory (kept after a failure) and
the report names them in a "browser artifacts" section.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))

import harness  # noqa: E402  (t/integration, shared with the integration tests)

from browser import Browser  # noqa: E402


def _load_integration_conftest():
    # Under a name of its own: pytest imports every rootless conftest.py as
    # the module "conftest", so a plain import would find this file instead.
    name = "rxa_integration_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, INTEGRATION / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_integration = _load_integration_conftest()

# The integration fixtures, re-exported so they serve the tests here too.
_test_resolver = _integration._test_resolver
tls_cert = _integration.tls_cert
workdir = _integration.workdir
idp_factory = _integration.idp_factory
memcached_factory = _integration.memcached_factory
redis_factory = _integration.redis_factory
httpd_factory = _integration.httpd_factory
http_session = _integration.http_session
session_factory = _integration.session_factory
echo_backend = _integration.echo_backend


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # The integration conftest's hook (it records each phase's report, which
    # decides whether workdir is kept, and adds httpd/IdP diagnostics) is
    # driven from here: a conftest can define a hook only once.
    inner = _integration.pytest_runtest_makereport(item, call)
    next(inner)
    outcome = yield
    try:
        inner.send(outcome)
    except StopIteration:
        pass
    rep = outcome.get_result()
    if rep.when in ("setup", "call") and rep.failed:
        for i, b in enumerate(getattr(item, "rxa_browsers", []), 1):
            if not b.running:
                continue
            directory = b.artifacts_dir / "failure" if b.artifacts_dir else None
            saved = b.save_artifacts(directory)
            where = saved[0].parent if saved else directory
            rep.sections.append((f"browser {i} artifacts",
                                 f"saved in {where}:\n  "
                                 + "\n  ".join(p.name for p in saved)))


@pytest.fixture
def browser_factory(request, workdir, httpd_factory, idp_factory):
    """browser_factory(**kwargs) -> a started browser.Browser with a fresh
    profile (kwargs as for Browser: javascript=False, window_size=...,
    extra_args=...). Each is a separate "person": no shared cookies. Every
    one is quit at teardown; a missing Chromium skips (fails in CI)."""
    # Set up after the server factories, so torn down before them: the
    # browsers are gone (with their connections) when httpd and the IdP stop.
    made = []
    request.node.rxa_browsers = made

    def make(**kwargs):
        b = Browser(harness.make_dir(f"browser{len(made)}-", parent=workdir), **kwargs)
        made.append(b)
        return b.start()

    yield make
    for b in made:
        b.quit()


@pytest.fixture
def browser(browser_factory):
    """A started headless Chromium (browser.Browser), quit at teardown."""
    return browser_factory()
