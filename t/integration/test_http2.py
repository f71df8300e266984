"""HTTP/2 (mod_http2 over TLS): a browser's requests on one connection are
streams, each on a secondary connection of its own that httpd makes anew for
every request. The identity found for the client connection must serve its
later streams as it serves later keep-alive requests over HTTP/1.1: without
opening the cookies again or taking the process cache's lock. Streams of one
connection run at once in several threads; they must all see the signed-in
user, and a stream without the cookies none.

The observable is the module's trace1 lines: RXA00221 when an identity is
remembered for a connection, RXA00220 when a request's identity comes from
a connection's memo. Needs mod_http2 and nghttp/h2load (nghttp2-client)."""

import re
import shutil
import subprocess
import urllib.parse

import pytest

import harness
from harness import COOKIE_SECRET, follow

HTML = {"Accept": "text/html,application/xhtml+xml"}
PAGE = "<p>private</p>\n"
PROTECTED = """
Protocols h2 http/1.1
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""
# One worker for all streams: they run one after another, so which stream
# finds what is certain (the first the cache, the others the memo).
ONE_WORKER = """
H2MinWorkers 1
H2MaxWorkers 1
"""
MEMO_MADE = re.compile(r"RXA00221: identity remembered for the connection from (\S+)")
MEMO_USED = re.compile(r"RXA00220: identity from the memo of the connection from (\S+)")


@pytest.fixture
def h2_tools():
    if not (harness.MODULES_DIR / "mod_http2.so").is_file():
        pytest.skip(f"mod_http2 is not installed in {harness.MODULES_DIR}")
    for tool in ("nghttp", "h2load"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (nghttp2-client)")


def start(httpd_factory, idp_factory, conf):
    httpd = httpd_factory(extra_modules=("http2",),
                          log_level="notice reflex_auth:trace1")
    httpd.write_doc("private/index.html", PAGE)
    idp = idp_factory(rp=httpd)
    httpd.start(conf=conf, env={**idp.env("basic-rs256"),
                                "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def sign_in_cookie(session, httpd):
    """Sign in over HTTP/1.1; the Cookie header a browser would send."""
    url = httpd.https_url("/login?provider=generic&redirect_to="
                          + urllib.parse.quote("/private/", safe=""))
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: not u.startswith(httpd.https_url("/"))
           and "127.0.0.1" not in u)
    jar = [(c.name, c.value) for c in session.cookies
           if c.name.startswith("__Host-reflex_")]
    assert jar, "no session cookies after sign-in"
    return "; ".join(f"{k}={v}" for k, v in jar)


def nghttp(url, times, cookie=None):
    """GET url `times` times as streams of one HTTP/2 connection; the
    status of each stream."""
    cmd = ["nghttp", "-n", "-v", "-m", str(times), "-H", f"accept: {HTML['Accept']}"]
    if cookie:
        cmd += ["-H", f"cookie: {cookie}"]
    res = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=60,
                         check=False)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    assert "The negotiated protocol: h2" in res.stdout, res.stdout[-2000:]
    return [int(s) for s in re.findall(r"recv \(stream_id=\d+\) :status: (\d+)",
                                       res.stdout)]


def memo_lines(httpd, since):
    text = "\n".join(httpd.log_lines(since))
    return MEMO_MADE.findall(text), MEMO_USED.findall(text)


def test_streams_of_one_connection_share_its_memo(h2_tools, httpd_factory,
                                                  idp_factory, http_session):
    httpd, _idp = start(httpd_factory, idp_factory, PROTECTED + ONE_WORKER)
    cookie = sign_in_cookie(http_session, httpd)
    url = httpd.https_url("/private/index.html")
    # the first request verifies the cookies in full: in the cache from then
    r = http_session.get(url, headers=HTML)
    assert r.status_code == 200 and r.text == PAGE

    mark = httpd.log_mark()
    statuses = nghttp(url, 8, cookie)
    assert statuses == [200] * 8, statuses
    made, used = memo_lines(httpd, mark)
    # the first stream that finds the identity in the process's cache
    # remembers it for the connection (the first stream of all, or the
    # second when this connection went to another process, whose first
    # stream verifies the cookies); the streams after it find it there
    assert len(made) == 1, (made, used)
    assert len(used) >= 6 and set(used) == set(made), (made, used)

    # the streams of another connection do not see this one's memo
    mark = httpd.log_mark()
    assert nghttp(url, 4, cookie) == [200] * 4
    made2, used2 = memo_lines(httpd, mark)
    assert len(made2) == 1 and made2 != made, (made, made2)
    assert len(used2) >= 2 and set(used2) == set(made2), (made2, used2)

    # nor a stream without the cookies, on a connection with a memo
    mark = httpd.log_mark()
    assert nghttp(url, 1) == [302]
    assert memo_lines(httpd, mark) == ([], [])


def test_concurrent_streams_all_signed_in(h2_tools, httpd_factory, idp_factory,
                                          http_session):
    """Many streams at once on a few connections, in many worker threads:
    every one answered as the signed-in user, at most MEMO_MAX (4) memos
    per connection, and the error_log clean (checked at teardown)."""
    httpd, _idp = start(httpd_factory, idp_factory, PROTECTED)
    cookie = sign_in_cookie(http_session, httpd)
    url = httpd.https_url("/private/index.html")
    assert http_session.get(url, headers=HTML).status_code == 200

    mark = httpd.log_mark()
    n = 2000
    res = subprocess.run(["h2load", "-n", str(n), "-c", "4", "-m", "16",
                          "-H", f"cookie: {cookie}", url],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Application protocol: h2" in res.stdout, res.stdout
    assert re.search(rf"status codes: {n} 2xx, 0 3xx, 0 4xx, 0 5xx", res.stdout), \
        res.stdout
    made, used = memo_lines(httpd, mark)
    per_conn = {c: made.count(c) for c in set(made)}
    assert len(per_conn) == 4 and max(per_conn.values()) <= 4, per_conn
    assert set(used) <= set(made)
    assert len(used) + len(made) <= n and len(used) >= n - 4 * 4 - 4 * 16, \
        (len(made), len(used))
