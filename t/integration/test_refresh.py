"""The session lives as long as the refresh token lets
it and no longer: refresh inline and through sync, only the granted
scopes, failure ends the session cleanly, concurrent requests share one
refresh per worker process."""

import concurrent.futures
import os
import re
import time
import urllib.parse

from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html"}


def conf(extra_scopes):
    return """
ReflexAuthExtraScopes %s
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
""" % extra_scopes


def start(httpd_factory, idp_factory, scopes="offline_access", ttl=3, client="basic-rs256"):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd, ttl={"AccessToken": ttl})
    httpd.start(conf=conf(scopes), env={**idp.env(client), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def sign_in(session, httpd):
    url = httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F")
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))


def refreshes(idp):
    return [e for e in idp.requests_log("/token")
            if (e.get("form") or {}).get("grant_type") == "refresh_token"]


def start_userinfo_app(httpd_factory, idp_factory, session, echo_backend):
    """An app behind mod_proxy whose claims come only from userinfo, with
    SESSION signed in; (httpd, idp)."""
    httpd = httpd_factory(extra_modules=("proxy", "proxy_http"))
    idp = idp_factory(rp=httpd, claims_in_id_token=False, ttl={"AccessToken": 300})
    httpd.start(conf="""
ReflexAuthExtraScopes groups
ProxyPass /app/ %s/
<Location /app/>
    AuthType ReflexOIDC
    Require reflex-claim groups staff
</Location>
""" % echo_backend.url, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    url = httpd.https_url("/login?provider=generic&redirect_to=%2Fapp%2F")
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/app")))
    return httpd, idp


def session_cookie_header(session):
    """The session's __Host- cookies as one Cookie header value."""
    return "; ".join("%s=%s" % (c.name, c.value) for c in session.cookies
                     if c.name.startswith("__Host-"))


def userinfo_fetchers(httpd):
    """The pid of each RXA00093 (a process fetched userinfo), in order."""
    return re.findall(r"\[pid (\d+):[^]]*\].*RXA00093: provider generic: "
                      r"userinfo fetched for this process", httpd.log_text())


def test_stays_signed_in_across_expiries_with_offline_access(httpd_factory, idp_factory,
                                                             http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    granted = None
    for i in range(3):
        time.sleep(3.5)                      # the access token has expired
        r = http_session.get(httpd.https_url("/private/"), headers=HTML,
                             allow_redirects=False)
        assert r.status_code == 200, i
        assert len(refreshes(idp)) == i + 1
        sent = [c for c in r.raw.headers.getlist("Set-Cookie")
                if c.startswith("__Host-reflex_generic_")]
        assert len(sent) == 4              # re-issued
    for e in refreshes(idp):
        granted = granted or e["form"]["scope"]
        assert e["form"]["scope"] == granted
    assert set(granted.split()) == {"openid", "email", "profile", "offline_access"}


def test_sync_refreshes_too(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    time.sleep(3.5)
    r = http_session.post(httpd.https_url("/_reflex/cookies/sync"),
                          headers={"Origin": httpd.https_url("").rstrip("/")})
    assert r.status_code == 200 and r.json()["expires_at"] > time.time()
    assert len(refreshes(idp)) == 1
    # the refreshed cookies, each once (not the refresh's and sync's own)
    sent = [c.split("=", 1)[0] for c in r.raw.headers.getlist("Set-Cookie")
            if c.startswith("__Host-reflex_generic_")]
    assert len(sent) == 4 and len(set(sent)) == 4, sent


def test_without_refresh_token_the_session_ends(httpd_factory, idp_factory, http_session):
    httpd, idp = start(httpd_factory, idp_factory, scopes="groups")
    sign_in(http_session, httpd)
    assert http_session.get(httpd.https_url("/private/"), headers=HTML,
                            allow_redirects=False).status_code == 200
    time.sleep(3.5)
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert [c for c in r.raw.headers.getlist("Set-Cookie") if "Max-Age=0" in c]
    assert not refreshes(idp)


def test_revoked_refresh_token_ends_the_session_cleanly(httpd_factory, idp_factory,
                                                        http_session):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    idp.restart()            # in-memory grants are gone: the token is revoked
    time.sleep(3.5)
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert len([c for c in r.raw.headers.getlist("Set-Cookie") if "Max-Age=0" in c]) >= 4
    assert "RXA00090: provider generic: token refresh failed" in httpd.log_text()
    # signed out now, not looping: the next request goes to login without a refresh
    before = len(refreshes(idp))
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and len(refreshes(idp)) == before


def test_refreshed_tokens_too_large_for_cookies_end_the_session(httpd_factory,
                                                                idp_factory, http_session):
    """Tokens that would not come back (a Cookie header over
    LimitRequestFieldSize) are not stored after a refresh either: the
    session ends cleanly, with the reason, instead of cookies that make
    httpd answer 400 to every later request."""
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    # the refreshed ID token carries a 9 KB name, over LimitRequestFieldSize
    idp.settings(accounts={"alice": {"name": "A" * 9000}})
    time.sleep(3.5)
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert len(refreshes(idp)) == 1
    set_cookies = [c for c in r.raw.headers.getlist("Set-Cookie")
                   if c.startswith("__Host-reflex_generic_")]
    assert set_cookies and all("Max-Age=0" in c for c in set_cookies), set_cookies
    assert len("; ".join(c.split(";")[0] for c in set_cookies)) < 8190
    httpd.expect_log(r"RXA00062: provider generic: session cookies treated as absent "
                     r"and cleared: RXA00110: the session cookies would make a Cookie "
                     r"header of \d+ bytes, over LimitRequestFieldSize \(8190\)",
                     min_count=1, max_count=1)
    # and the browser is signed out, not stuck: the next request goes to login
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and len(refreshes(idp)) == 1


def httpd_children(httpd):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == httpd.pid:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def test_concurrent_requests_share_one_refresh_per_process(httpd_factory, idp_factory,
                                                           http_session, session_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    sign_in(http_session, httpd)
    cookie = session_cookie_header(http_session)
    time.sleep(3.5)

    def one(_):
        return session_factory().get(httpd.https_url("/private/"), allow_redirects=False,
                                     headers={**HTML, "Cookie": cookie}).status_code
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, range(20)))
    assert statuses == [200] * 20
    n = len(refreshes(idp))
    assert 1 <= n <= len(httpd_children(httpd)), (n, httpd_children(httpd))


def test_concurrent_first_requests_fetch_userinfo_once_per_process(
        httpd_factory, idp_factory, http_session, session_factory, echo_backend):
    """Requests that arrive together in a process that has not seen the
    token yet share one userinfo fetch: the others wait for it."""
    httpd, idp = start_userinfo_app(httpd_factory, idp_factory, http_session, echo_backend)
    cookie = session_cookie_header(http_session)

    def one(_):
        r = session_factory().get(httpd.https_url("/app/x"),
                                  headers={**HTML, "Cookie": cookie})
        got = {k.lower(): v for k, v in r.json()["headers"]} if r.ok else {}
        return r.status_code, got.get("x-reflex-user-groups")
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(one, range(60)))
    assert answers == [(200, "admins,staff")] * 60
    fetched_by = userinfo_fetchers(httpd)
    assert len(fetched_by) == len(set(fetched_by)), fetched_by
    assert len(fetched_by) <= len(httpd_children(httpd)) - 1


def test_key_rotation(httpd_factory, idp_factory, http_session, session_factory):
    """The provider restarts with new signing keys: new sign-ins work
    without restarting httpd (an unknown kid fetches the key set again),
    and sessions signed by the old key are sent to login."""
    httpd, idp = start(httpd_factory, idp_factory, scopes="groups", ttl=300)
    sign_in(http_session, httpd)
    old_kids = {k["kid"] for k in idp.jwks()["keys"]}
    idp.restart(new_keys="replace")
    assert not old_kids & {k["kid"] for k in idp.jwks()["keys"]}
    newcomer = session_factory()
    sign_in(newcomer, httpd)
    assert newcomer.get(httpd.https_url("/private/"), headers=HTML,
                        allow_redirects=False).status_code == 200
    assert "RXA02117: issuer %s: key set fetched again" % idp.issuer in httpd.log_text()
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_userinfo_claims_cached_per_process(httpd_factory, idp_factory, http_session,
                                            echo_backend):
    """With claims only in userinfo, the backend still sees them; userinfo
    is fetched once per access token per process, not per request, and the
    callback's fetch counts for its process."""
    httpd, idp = start_userinfo_app(httpd_factory, idp_factory, http_session, echo_backend)
    path = urllib.parse.urlsplit(idp.discovery()["userinfo_endpoint"]).path
    at_login = len(idp.requests_log(path))
    assert at_login == 1
    for _ in range(10):
        r = http_session.get(httpd.https_url("/app/x"), headers=HTML)
        assert r.status_code == 200
        got = {k.lower(): v for k, v in r.json()["headers"]}
        assert got["x-reflex-user-email"] == "alice@example.test"
        assert got["x-reflex-user-groups"] == "admins,staff"
    per_request = len(idp.requests_log(path)) - at_login
    # the process that ran the callback already has them
    assert 0 <= per_request <= len(httpd_children(httpd)) - 1, per_request
    pid = re.search(r"\[pid (\d+):[^]]*\].*RXA00052: sign-in completed",
                    httpd.log_text()).group(1)
    fetched_by = userinfo_fetchers(httpd)
    assert len(fetched_by) == per_request and pid not in fetched_by, (pid, fetched_by)
