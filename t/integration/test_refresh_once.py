"""One refresh per sign-in across the worker processes of one httpd and
across replicas sharing a cache, with an IdP that rotates refresh tokens:
each refresh token is good once, a second use is refused and revokes the
grant. A burst of requests carrying the same expired session makes one
call to the token endpoint; every request is served as the user and sets
the new cookies; the next expiry refreshes again, once."""

import concurrent.futures
import threading
import time

import pytest

from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}
BURST = 16

# Four small worker processes to start with, so that a burst spreads over
# several (room for more: a full scoreboard logs an error); %P in the
# access log says which process served each request.
MPM_AND_LOG = """
StartServers 4
ServerLimit 8
ThreadsPerChild 8
MaxRequestWorkers 64
MinSpareThreads 4
MaxSpareThreads 64
LogFormat "%P %u %>s %U%q" pids
CustomLog "${TEST_ROOT}/logs/pid_log" pids
"""

PROTECTED = """
ReflexAuthExtraScopes offline_access
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def cache_spec(request, backend):
    """The ReflexAuthSharedCache line for BACKEND ("" for the default)."""
    if backend == "shm":
        return ""
    return "ReflexAuthSharedCache %s\n" % request.getfixturevalue(backend).spec


def start_replicas(request, httpd_factory, idp_factory, count, backend,
                   rotate=True):
    """COUNT httpd sharing a cookie secret and the cache, one IdP that
    rotates refresh tokens (unless not ROTATE) and issues access tokens for
    3 s (less than the refresh margin: every request with them
    refreshes)."""
    httpds = [httpd_factory() for _ in range(count)]
    for h in httpds:
        h.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(redirect_uris=[u for h in httpds for u in h.redirect_uris()],
                      rotate_refresh_tokens=rotate, ttl={"AccessToken": 3})
    conf = MPM_AND_LOG + cache_spec(request, backend) + PROTECTED
    for h in httpds:
        h.start(conf=conf, env={**idp.env("basic-rs256"),
                                "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpds, idp


def sign_in(session, httpd):
    url = httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F")
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))
    return "; ".join("%s=%s" % (c.name, c.value) for c in session.cookies
                     if c.name.startswith("__Host-"))


def session_cookies(response):
    """The session cookies RESPONSE sets, as a Cookie header value."""
    pairs = [c.split(";", 1)[0] for c in response.raw.headers.getlist("Set-Cookie")
             if c.startswith("__Host-reflex_generic_")]
    return "; ".join(pairs), len(pairs)


def burst(session_factory, httpds, cookies, tag):
    """BURST requests at once, request i with cookies[i] to replica
    i % len(httpds), each on a connection of its own."""
    sessions = [session_factory() for _ in range(BURST)]
    ready = threading.Barrier(BURST)

    def one(i):
        ready.wait()
        return sessions[i].get(
            httpds[i % len(httpds)].https_url("/private/?%s=%d" % (tag, i)),
            headers={**HTML, "Cookie": cookies[i]}, allow_redirects=False)
    with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(one, range(BURST)))


def served(httpd, tag):
    """(pid, user, status) of each request of burst TAG in HTTPD's log."""
    lines = (httpd.logs / "pid_log").read_text().splitlines()
    return [tuple(f[:3]) for f in map(str.split, lines)
            if f[3].startswith("/private/") and "?%s=" % tag in f[3]]


def token_calls(idp):
    return [e for e in idp.requests_log("/token")
            if (e.get("form") or {}).get("grant_type") == "refresh_token"]


def check_burst(session_factory, httpds, idp, cookies, tag, expected_calls):
    """A burst with COOKIES: all served as alice, the new cookies set by
    each answer, EXPECTED_CALLS refresh calls so far, none refused.
    Returns each answer's cookies."""
    answers = burst(session_factory, httpds, cookies, tag)
    calls = token_calls(idp)
    statuses = [r.status_code for r in answers]
    assert (len(calls), statuses) == (expected_calls, [200] * BURST), \
        "refresh calls %s: %s" % (tag, [e["status"] for e in calls])
    assert all(e["status"] == 200 for e in calls)
    for h in httpds:
        lines = served(h, tag)
        assert lines and all(user == "alice" and status == "200"
                             for _, user, status in lines), lines
    new = [session_cookies(r) for r in answers]
    assert all(n == 4 for _, n in new), [n for _, n in new]
    return [c for c, _ in new], [served(h, tag) for h in httpds]


@pytest.mark.parametrize("backend", ["shm", "memcached", "redis"])
def test_one_refresh_per_burst_across_processes(request, backend, httpd_factory,
                                                idp_factory, http_session,
                                                session_factory):
    (httpd,), idp = start_replicas(request, httpd_factory, idp_factory, 1, backend)
    cookie = sign_in(http_session, httpd)
    cookies, (served_by,) = check_burst(session_factory, [httpd], idp,
                                        [cookie] * BURST, "first", 1)
    assert len({pid for pid, _, _ in served_by}) >= 2, served_by
    # a late request with the old cookies, once no process holds the
    # result in memory any more (3 s), takes the stored one
    time.sleep(3.5)
    late = burst(session_factory, [httpd], [cookie] * BURST, "late")
    assert [r.status_code for r in late] == [200] * BURST
    assert len(token_calls(idp)) == 1
    # each answer's cookies carry the one new refresh token: the next
    # expiry refreshes once more, whichever answer's cookies are used
    check_burst(session_factory, [httpd], idp, cookies, "second", 2)


@pytest.mark.parametrize("backend", ["memcached", "redis"])
def test_one_refresh_per_burst_across_replicas(request, backend, httpd_factory,
                                               idp_factory, http_session,
                                               session_factory):
    httpds, idp = start_replicas(request, httpd_factory, idp_factory, 2, backend)
    cookie = sign_in(http_session, httpds[0])
    cookies, served_by = check_burst(session_factory, httpds, idp,
                                     [cookie] * BURST, "first", 1)
    assert all(len(s) == BURST // 2 for s in served_by), served_by
    # the second burst with the answers' cookies swapped between replicas
    check_burst(session_factory, httpds, idp, cookies[1:] + cookies[:1], "second", 2)
    # the cache holds a lock and a sealed result per refresh, under hashed
    # keys: no refresh token in clear (both were sent to the IdP)
    stored = request.getfixturevalue(backend).dump()
    keys = [k for k, _ in stored]
    assert sum(k.startswith("rxa1:rr:") for k in keys) == 2, keys
    assert sum(k.startswith("rxa1:rl:") for k in keys) == 2, keys
    for e in token_calls(idp):
        token = e["form"]["refresh_token"]
        assert not [k for k, v in stored if token in k or token.encode() in v]


def test_a_failed_refresh_fails_the_whole_burst_without_another_call(
        request, httpd_factory, idp_factory, http_session, session_factory):
    """The IdP refuses the refresh once (and would accept it after): every
    request of the burst fails as the one that called, none calls again."""
    (httpd,), idp = start_replicas(request, httpd_factory, idp_factory, 1, "shm")
    cookie = sign_in(http_session, httpd)
    idp.add_fault("/token", times=1, delay_ms=300, status=400,
                  json={"error": "invalid_grant"})
    answers = burst(session_factory, [httpd], [cookie] * BURST, "failed")
    assert len(token_calls(idp)) == 1
    assert [r.status_code for r in answers] == [302] * BURST
    for r in answers:
        assert r.headers["Location"].startswith("/login")
        assert len([c for c in r.raw.headers.getlist("Set-Cookie")
                    if c.startswith("__Host-reflex_generic_") and "Max-Age=0" in c]) == 4
    assert len({pid for pid, _, _ in served(httpd, "failed")}) >= 2


def test_with_the_cache_down_each_process_refreshes_on_its_own(
        request, httpd_factory, idp_factory, http_session, session_factory):
    """memcached gone: served as without the cache (with an IdP that does
    not rotate refresh tokens, every request), the reason logged, no 500."""
    (httpd,), idp = start_replicas(request, httpd_factory, idp_factory, 1,
                                   "memcached", rotate=None)
    cookie = sign_in(http_session, httpd)
    httpd.expect_log(r"RXA08001: shared cache memcache:\S+ does not answer",
                     min_count=1, max_count=1)
    request.getfixturevalue("memcached").stop()
    answers = burst(session_factory, [httpd], [cookie] * BURST, "down")
    assert [r.status_code for r in answers] == [200] * BURST
    assert 1 <= len(token_calls(idp)) <= len({p for p, _, _ in served(httpd, "down")})
    assert "RXA00261: provider generic: token refresh made without the shared cache" \
        in httpd.log_text()
