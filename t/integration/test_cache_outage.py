"""The shared cache down, on real memcached and Redis: absent at start,
killed mid-run and restarted on the same port, paused (SIGSTOP: slow),
and an address that never answers. Requests are served as without the
cache: no 500, no request waits longer than ReflexAuthHTTPTimeout (plus
a little for a cache that hangs), one error-log line per outage, and the
cache is used again when it is back: a logout on one replica then reaches
the other within 2 s."""

import concurrent.futures
import re
import socket
import threading
import time

import pytest

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}
# a fetch, not a navigation: refused means 401, never a redirect
FETCH = {"Accept": "application/json"}
HTTP_TIMEOUT = 3                # ReflexAuthHTTPTimeout in these tests
# a cache that accepts and never answers may hold one operation for its
# own limit (1 s) before it counts as down
HANG_SLACK = 1.5
PROPAGATION = 2.0               # a logout reaches every replica within this
ENGINES = ("memcache", "redis")
PORT = {"memcache": 11211, "redis": 6379}
# the error-log line that marks an outage's start, and the notice of its
# end: once per httpd (its processes share whether the outage was logged)
OUTAGE = r"\[reflex_auth:error\].*RXA08001: shared cache \S+ does not answer"
BACK = r"RXA08002: shared cache \S+ answers again"
# every process probes a down cache this often
PROBE = 0.5
# one access token lifetime: every request refreshes (the margin is 30 s)
TOKEN_TTL = 3
CLIENT = "basic-rs256"


def conf(spec):
    return """
ReflexAuthSharedCache %s
ReflexAuthHTTPTimeout %d
ReflexAuthExtraScopes offline_access
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
""" % (spec, HTTP_TIMEOUT)


@pytest.fixture
def cache_factory(request):
    """cache_factory(engine, start=True) -> the harness's memcached or Redis
    (memcached_factory, redis_factory)."""
    def make(engine, start=True):
        name = {"memcache": "memcached", "redis": "redis"}[engine]
        return request.getfixturevalue(f"{name}_factory")(start=start)
    return make


class Site:
    """Replicas (httpds) of one site sharing the cache named by spec, one IdP, and a
    record of every request made through them: (what, status, seconds)."""

    def __init__(self, httpd_factory, idp_factory, spec, replicas=2, **client_metadata):
        self.replicas = [httpd_factory() for _ in range(replicas)]
        for httpd in self.replicas:
            httpd.write_doc("private/index.html", "<p>private</p>\n")
        client = harness.make_client(
            CLIENT, redirect_uris=[u for h in self.replicas for u in h.redirect_uris()],
            post_logout_redirect_uris=[u for h in self.replicas
                                       for u in h.post_logout_redirect_uris()],
            **client_metadata)
        self.idp = idp_factory(clients=[client], ttl={"AccessToken": TOKEN_TTL})
        self.spec = spec
        self.timings = []
        self.lock = threading.Lock()

    def start(self):
        env = {**self.idp.env(CLIENT), "OIDC_COOKIE_SECRET": COOKIE_SECRET}
        for httpd in self.replicas:
            httpd.expect_log(OUTAGE, 0, None)
            httpd.start(conf=conf(self.spec), env=env)
        return self

    def timed(self, what, call):
        t0 = time.monotonic()
        r = call()
        elapsed = time.monotonic() - t0
        with self.lock:
            self.timings.append((what, r.status_code, elapsed))
        return r

    def sign_in(self, session, httpd):
        url = httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F")
        r = self.timed("sign-in", lambda: follow(
            session, url, headers=HTML, meta_refresh=False,
            stop=lambda u: u.startswith(httpd.https_url("/private"))))
        assert any(h.url.startswith(httpd.https_url("/callback")) and h.status_code == 200
                   for h in r.hops), [(h.status_code, h.url) for h in r.hops]

    def get(self, session, httpd, path="/private/", headers=FETCH, cookie=None):
        h = dict(headers)
        if cookie is not None:
            h["Cookie"] = cookie
        s = session if cookie is None else harness.make_session()
        try:
            return self.timed(f"GET {path}", lambda: s.get(
                httpd.https_url(path), headers=h, allow_redirects=False))
        finally:
            if cookie is not None:
                s.close()

    def logout(self, session, httpd):
        r = self.timed("logout", lambda: session.get(httpd.https_url("/logout"),
                                                     allow_redirects=False))
        assert r.status_code == 302, r.status_code
        assert [c for c in r.raw.headers.getlist("Set-Cookie") if "Max-Age=0" in c]
        return r

    def refreshes(self):
        return [e for e in self.idp.requests_log("/token")
                if (e.get("form") or {}).get("grant_type") == "refresh_token"]

    def assert_served(self, limit):
        """No 500 (nor any 5xx), no request slower than LIMIT seconds."""
        bad = [t for t in self.timings if t[1] >= 500]
        assert not bad, bad
        slow = [t for t in self.timings if t[2] > limit]
        assert not slow, slow


def cookie_header(session):
    return "; ".join("%s=%s" % (c.name, c.value) for c in session.cookies
                     if c.name.startswith("__Host-reflex_"))


def use_and_log_out(site, httpd, session):
    """Sign in, protected pages (each a refresh), log out: all work."""
    site.sign_in(session, httpd)
    before = len(site.refreshes())
    for _ in range(3):
        r = site.get(session, httpd, headers=HTML)
        assert r.status_code == 200 and "private" in r.text
    assert len(site.refreshes()) > before
    site.logout(session, httpd)
    assert site.get(session, httpd).status_code == 401


def assert_logout_propagates(site, session_factory):
    """A logout on replica 0 refuses a copy of the cookies on replica 1
    within PROPAGATION seconds of the logout's answer."""
    a, b = site.replicas[:2]
    s = session_factory()
    site.sign_in(s, a)
    copy = cookie_header(s)
    assert site.get(s, b, cookie=copy).status_code == 200
    site.logout(s, a)
    t0 = time.monotonic()
    while True:
        status = site.get(s, b, cookie=copy).status_code
        elapsed = time.monotonic() - t0
        if status == 401:
            break
        assert status == 200, status
        assert elapsed <= PROPAGATION, "the copy still works %.2f s after logout" % elapsed
        time.sleep(0.05)
    return elapsed


def count(httpd, pattern, since=0):
    return sum(1 for line in httpd.log_lines(since) if re.search(pattern, line))


def assert_one_outage(site, marks):
    """Exactly one outage line in each replica's error_log since MARKS."""
    for httpd, mark in zip(site.replicas, marks):
        assert count(httpd, OUTAGE, mark) == 1, httpd.log_lines(mark)


def wait_back(site, marks):
    """Until each replica has logged that the cache answers again since
    MARKS, and its other processes have probed it too."""
    harness.wait_until(lambda: all(count(h, BACK, m) for h, m in zip(site.replicas, marks)),
                       15, "the cache in use again")
    time.sleep(2 * PROBE)
    for httpd, mark in zip(site.replicas, marks):
        assert count(httpd, BACK, mark) == 1, httpd.log_lines(mark)


class Traffic:
    """Signed-in users on every replica, each requesting a protected page
    in a loop (every request a refresh) until stop()."""

    def __init__(self, site, session_factory, users=4):
        self.site = site
        self.stop_event = threading.Event()
        self.sessions = [session_factory() for _ in range(users)]
        for i, s in enumerate(self.sessions):
            site.sign_in(s, site.replicas[i % len(site.replicas)])
        self.pool = concurrent.futures.ThreadPoolExecutor(users)
        self.futures = [self.pool.submit(self.loop, i, s)
                        for i, s in enumerate(self.sessions)]

    def loop(self, i, session):
        n = 0
        while not self.stop_event.is_set():
            httpd = self.site.replicas[(i + n) % len(self.site.replicas)]
            r = self.site.get(session, httpd)
            # served as without the cache: signed in, or (never here) out
            assert r.status_code == 200, (r.status_code, r.text[:200])
            n += 1
            time.sleep(0.05)
        return n

    def stop(self):
        self.stop_event.set()
        counts = [f.result() for f in self.futures]
        self.pool.shutdown()
        return counts


@pytest.mark.parametrize("engine", ENGINES)
def test_cache_absent_at_start(engine, httpd_factory, idp_factory, cache_factory,
                               session_factory):
    server = cache_factory(engine, start=False)     # its port: nobody listens
    site = Site(httpd_factory, idp_factory, server.spec).start()
    for httpd in site.replicas:
        use_and_log_out(site, httpd, session_factory())
    site.assert_served(HTTP_TIMEOUT)
    assert_one_outage(site, [0, 0])
    # it comes up: used from then on
    marks = [h.log_mark() for h in site.replicas]
    server.start()
    wait_back(site, [0, 0])
    assert all(not count(h, OUTAGE, m) for h, m in zip(site.replicas, marks))
    assert_logout_propagates(site, session_factory)
    site.assert_served(HTTP_TIMEOUT)


@pytest.mark.parametrize("engine", ENGINES)
def test_cache_killed_and_restarted(engine, httpd_factory, idp_factory, cache_factory,
                                    session_factory):
    server = cache_factory(engine)
    site = Site(httpd_factory, idp_factory, server.spec).start()
    assert_logout_propagates(site, session_factory)           # in use
    traffic = Traffic(site, session_factory)
    time.sleep(2)
    marks = [h.log_mark() for h in site.replicas]
    refreshes = len(site.refreshes())
    server.kill()
    time.sleep(4)                                  # sessions in use, refreshing
    server.restart()
    time.sleep(1)
    served = traffic.stop()
    assert all(n > 10 for n in served), served
    assert len(site.refreshes()) > refreshes + 10
    assert_one_outage(site, marks)
    wait_back(site, marks)
    elapsed = assert_logout_propagates(site, session_factory)
    site.assert_served(HTTP_TIMEOUT)
    print("after the restart, a logout reached the other replica in %.2f s" % elapsed)


@pytest.mark.parametrize("engine", ENGINES)
def test_cache_paused_is_slow_not_stuck(engine, httpd_factory, idp_factory, cache_factory,
                                        session_factory):
    server = cache_factory(engine)
    site = Site(httpd_factory, idp_factory, server.spec).start()
    traffic = Traffic(site, session_factory)
    time.sleep(2)
    marks = [h.log_mark() for h in site.replicas]
    server.pause()
    try:
        time.sleep(4)
        # sign-in, refresh and logout while it hangs
        use_and_log_out(site, site.replicas[0], session_factory())
    finally:
        server.resume()
    served = traffic.stop()
    assert all(n > 10 for n in served), served
    site.assert_served(HTTP_TIMEOUT + HANG_SLACK)
    assert_one_outage(site, marks)
    wait_back(site, marks)
    assert_logout_propagates(site, session_factory)
    site.assert_served(HTTP_TIMEOUT + HANG_SLACK)


@pytest.fixture
def silent_port():
    """A loopback port that takes connections (the kernel completes them)
    and never reads or answers."""
    s = socket.socket()
    s.bind((harness.LOOPBACK, 0))
    s.listen(128)
    yield s.getsockname()[1]
    s.close()


@pytest.mark.parametrize("where", ("test-net", "silent"))
@pytest.mark.parametrize("engine", ENGINES)
def test_cache_address_never_answers(engine, where, httpd_factory, idp_factory,
                                     session_factory, silent_port):
    # TEST-NET-1 is reserved for documentation and routed nowhere: its
    # packets vanish (or, on a host without a route, are refused at once);
    # the silent port always accepts and never answers
    spec = ("%s:192.0.2.1:%d" % (engine, PORT[engine]) if where == "test-net"
            else "%s:%s:%d" % (engine, harness.LOOPBACK, silent_port))
    site = Site(httpd_factory, idp_factory, spec, replicas=1).start()
    httpd = site.replicas[0]
    use_and_log_out(site, httpd, session_factory())
    r = site.get(session_factory(), httpd, path="/")
    assert r.status_code == 200
    site.assert_served(HTTP_TIMEOUT)
    assert_one_outage(site, [0])
