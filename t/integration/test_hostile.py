"""Hostile browsers and failing providers, end to end.

Hostile browsers: redirect_to with controls and over-long values, callbacks
with repeated parameters or nothing but separators, Cookie headers that
flood, lie about chunks or carry garbage, IdP error text with markup, and
sealing that never repeats itself. Failing providers: an IdP that stops in
the middle of a login, and a token endpoint slower than
ReflexAuthHTTPTimeout on an httpd with four workers.

For speed the module shares one IdP and two httpds between its tests:
`site` (raised LimitRequestLine / LimitRequestFieldSize, so long inputs
reach the module itself) and `few` (four worker threads, a 2 s
ReflexAuthHTTPTimeout, httpd's default limits). The log policy still holds
per test: the error_log lines a test caused are checked when it ends,
against what that test declared with expect_log.
"""

import http.cookiejar
import random
import re
import shutil
import socket
import ssl
import string
import threading
import time
import urllib.parse
from types import SimpleNamespace

import pytest

import harness
from harness import COOKIE_SECRET, Httpd, IdP, follow

HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Accept": "application/json"}
AUTH_COOKIES = ("access_token", "id_token", "refresh_token", "granted_scopes")
NAMES = ["__Host-reflex_generic_%s" % k for k in AUTH_COOKIES]

PROTECTED = """
ReflexAuthExtraScopes groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""
# Long request lines and Cookie headers reach the module instead of being
# refused by httpd first (the module's own bounds are what is tested).
SITE_CONF = PROTECTED + """
LimitRequestLine 16384
LimitRequestFieldSize 131072
"""
# Four workers, one process: a stuck worker would show at once.
FEW_CONF = PROTECTED + """
ReflexAuthHTTPTimeout 2
StartServers 1
ServerLimit 1
ThreadLimit 4
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 8
"""
HTTP_TIMEOUT = 2.0
# On this loaded machine an answer "within the timeout" gets this margin.
MARGIN = 3.0

# An account whose ID token is large enough to be stored in chunks.
DAVE = {"email": "dave@example.test", "name": "Dave",
        "groups": ["a-group-with-a-rather-long-name-%03d" % i for i in range(160)]}

SAFE_TARGET = re.compile(r"^/(?![/\\])[^\x00-\x20\x7f\\]*$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ERROR_ID = re.compile(r"Error id: <code>([0-9a-f]{12})</code>")


# --------------------------------------------------------------------------
# Shared servers and the per-test log policy


@pytest.fixture(scope="module")
def _servers(tls_cert, request):
    root = harness.make_dir("rxa-hostile-")
    site = Httpd(harness.make_dir("site-", parent=root), tls=tls_cert)
    few = Httpd(harness.make_dir("few-", parent=root), tls=tls_cert)
    for h in (site, few):
        h.write_doc("private/index.html", "<p>private</p>\n")
    idp = IdP(harness.make_dir("idp-", parent=root),
              redirect_uris=site.redirect_uris() + few.redirect_uris(),
              post_logout_redirect_uris=(site.post_logout_redirect_uris()
                                         + few.post_logout_redirect_uris()),
              accounts={"dave": DAVE})
    started = []
    failed_before = request.session.testsfailed
    try:
        idp.start()
        started.append(idp)
        env = {**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET}
        site.start(conf=SITE_CONF, env=env)
        started.append(site)
        few.start(conf=FEW_CONF, env=env)
        started.append(few)
        yield SimpleNamespace(site=site, few=few, idp=idp, httpds=(site, few))
    finally:
        problems = []
        for obj in reversed(started):
            try:
                obj.stop()
            except Exception as e:  # keep stopping the others
                problems.append(str(e))
        for h in (site, few):
            # per-test windows checked the rest; crashes anywhere count
            problems += h.exit_problems
            problems += [p for p in harness.check_log_lines(h.log_lines())
                         if p.startswith("crash")]
        keep = harness.os.environ.get("RXA_KEEP_TMP", "0") not in ("", "0")
        if keep or problems or request.session.testsfailed != failed_before:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def srv(_servers, request):
    """The shared servers; at the end of the test, the error_log lines it
    caused must satisfy the policy with the expectations it declared."""
    s = _servers
    request.node.rxa_started = [*s.httpds, s.idp]
    if not s.idp.running:
        s.idp.start()
    marks = [(h, h.log_mark(), len(h.expectations)) for h in s.httpds]
    yield s
    problems = []
    if s.idp.running:
        s.idp.clear_faults()
        s.idp.set_auto_login("alice")
    time.sleep(0.1)  # lines of the last request may trail its answer
    for h, mark, n in marks:
        mine = h.expectations[n:]
        del h.expectations[n:]
        problems += [f"{h.root}: {p}" for p in harness.check_log_lines(h.log_lines(mark), mine)]
    if problems:
        pytest.fail("error_log policy violated:\n  " + "\n  ".join(problems), pytrace=False)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False


def bare_session():
    """A session that never stores a cookie: every request sends exactly
    the Cookie header the test gives."""
    s = harness.make_session()
    s.cookies.set_policy(_NoCookies())
    return s


def set_cookies(resp):
    return resp.raw.headers.getlist("Set-Cookie")


def sign_in(session, httpd, redirect_to="/private/", raw_redirect_to=None):
    """Walk a sign-in with a scripted browser; returns the callback page."""
    q = raw_redirect_to if raw_redirect_to is not None else urllib.parse.quote(redirect_to, safe="")
    resp = follow(session, httpd.https_url("/login?provider=generic&redirect_to=" + q),
                  headers=HTML, meta_refresh=False,
                  stop=lambda u: u.startswith(httpd.https_url("/private")))
    cb = [h for h in resp.hops if h.url.startswith(httpd.https_url("/callback"))]
    assert cb and cb[-1].status_code == 200, [(h.status_code, h.url) for h in resp.hops]
    return cb[-1]


def code_at_callback(session, httpd):
    """Start a login and walk the IdP up to (not into) our callback: the
    callback URL with a fresh code and state, as the browser would load it."""
    resp = follow(session, httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
                  headers=HTML, stop=lambda u: u.startswith(httpd.https_url("/callback")))
    assert resp.is_redirect, (resp.status_code, resp.url)
    url = urllib.parse.urljoin(resp.url, resp.headers["Location"])
    assert url.startswith(httpd.https_url("/callback?")), url
    return url


def login_state(session, httpd):
    """Start a login; the state the IdP would send back."""
    r = session.get(httpd.https_url("/login?provider=generic&redirect_to=%2F"),
                    allow_redirects=False)
    assert r.status_code == 302
    return urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)["state"][0]


def jar(session):
    return {c.name: c.value for c in session.cookies if c.name.startswith("__Host-reflex_")}


def cookie_header(pairs):
    return "; ".join("%s=%s" % kv for kv in pairs)


def assert_tagged_line(httpd, since, page):
    """The page's error id stands in a tagged error_log line."""
    m = ERROR_ID.search(page)
    assert m, page[:500]
    line = httpd.wait_for_log(r"\[error id %s\]" % m.group(1), since=since, timeout=5)
    assert re.search(r"RXA\d{5}: ", line), line
    return line


def assert_anonymous(resp, sent_names=()):
    """What an anonymous request gets, and every sent auth cookie cleared."""
    assert resp.status_code in (302, 401), (resp.status_code, resp.text[:300])
    if resp.status_code == 302:
        loc = resp.headers["Location"]
        assert loc.startswith("/login?redirect_to="), loc
    else:
        assert resp.headers["WWW-Authenticate"] == "ReflexOIDC"
        body = resp.json()
        assert body["authenticated"] is False and body["login_url"].startswith("/login")
    cleared = {c.split("=", 1)[0] for c in set_cookies(resp) if "; Max-Age=0;" in c}
    missing = [n for n in sent_names if n not in cleared]
    assert not missing, (missing, set_cookies(resp))
    assert not [c for c in set_cookies(resp)
                if c.startswith("__Host-reflex_") and "Max-Age=0" not in c]


def decodes_safely(target):
    """No control character or backslash at any percent-decoding."""
    for _ in range(6):
        if CONTROL.search(target) or "\\" in target:
            return False
        nxt = urllib.parse.unquote(target)
        if nxt == target:
            return True
        target = nxt
    return True


def raw_request(port, request_line, headers=b"", tls=True):
    """Send bytes no HTTP library would send; (status, head bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    with sock:
        sock.sendall(request_line + b"\r\nHost: localhost\r\nAccept: text/html\r\n"
                     + headers + b"Connection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    return int(head.split(b" ")[1]), head


# --------------------------------------------------------------------------
# redirect_to


# As they appear in the query string (already percent-encoded where meant).
REDIRECT_PAYLOADS = [
    "%0d%0aSet-Cookie:%20evil=1",
    "/%0d%0aLocation:%20https://evil.example/",
    "/ok%0d%0a",
    "/a%0ab",
    "/a%00b",
    "%00",
    "/%00/evil.example",
    "/%09/evil.example",
    "%09/evil.example",
    "/%250d%250aX:%20y",
    "/%25250a",
    "/x%2509y",
    "%2f%0d%0a",
    "/%5c%5cevil.example",
    "/private/%e2%80%a8",
    "/private/%c0%8a",
    "/private/%ff%fe",
    "//evil.example/%0d%0a",
    "javascript:alert(1)%0a",
    "/" + "a" * 2100,                 # over RXA_REDIRECT_TO_MAX: falls back
    "/" + "%C3%A9" * 1000,            # 2000 bytes, three times that encoded
    "/private/?q=" + "%22" * 2000,
    "/" + "%0a" * 700,
    "/" + "b" * 10 * 1024,            # 10 KB: over the module's query bound
    "/" + "c" * 100 * 1024,           # 100 KB: over LimitRequestLine
]


def check_location(resp, idp):
    loc = resp.headers.get("Location")
    if loc is None:
        return
    assert not CONTROL.search(loc), repr(loc)
    if loc.startswith(idp.endpoint("authorization") + "?"):
        return
    assert SAFE_TARGET.match(loc) and decodes_safely(loc), repr(loc)


def test_redirect_to_hostile_values(srv):
    site, idp = srv.site, srv.idp
    s = bare_session()
    for p in REDIRECT_PAYLOADS:
        what = p[:60]
        # the login page: its buttons carry a safe redirect_to
        r = s.get(site.https_url("/login?redirect_to=" + p))
        assert r.status_code in (200, 400, 414), (what, r.status_code)
        if r.status_code == 200:
            hrefs = re.findall(r'href="([^"]*)"', r.text)
            assert hrefs, what
            for h in hrefs:
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(
                    h.replace("&amp;", "&")).query)
                target = q["redirect_to"][0]
                assert SAFE_TARGET.match(target) and decodes_safely(target), (what, target)
        elif r.status_code == 400:
            assert ERROR_ID.search(r.text), what
        # starting a login: to the IdP, never elsewhere
        r = s.get(site.https_url("/login?provider=generic&redirect_to=" + p),
                  allow_redirects=False)
        assert r.status_code in (302, 400, 414), (what, r.status_code)
        check_location(r, idp)
        for c in set_cookies(r):
            # name=value over 4096 bytes: browsers drop the cookie
            assert not CONTROL.search(c) and len(c.split(";")[0]) <= 4096, (what, c[:100])
        # logout: back on our origin
        r = s.get(site.https_url("/logout?redirect_to=" + p), allow_redirects=False)
        assert r.status_code in (302, 400, 414), (what, r.status_code)
        check_location(r, idp)
        if r.status_code == 302:
            assert SAFE_TARGET.match(r.headers["Location"]), what
    # The same values through whole sign-ins: the callback page sends the
    # browser to a safe place (meta refresh and script alike).
    for p in ("/ok%0d%0aSet-Cookie:%20x=1", "/a%0a%0db", "/%09/evil.example",
              "/" + "a" * 2100, "/private/?q=%e2%80%a8&x=%3Cscript%3E"):
        cb = sign_in(harness.make_session(), site, raw_redirect_to=p)
        target = re.search(r'content="0;url=([^"]*)"', cb.text).group(1)
        target = target.replace("&amp;", "&")
        assert SAFE_TARGET.match(target) and decodes_safely(target), (p[:60], target)
        script_to = re.search(r"var to = (\"[^\"]*\");", cb.text).group(1)
        assert "<" not in script_to and not CONTROL.search(script_to), script_to
        assert "<script>" not in cb.text.split("<script nonce=")[0]


def test_raw_control_bytes_in_request_line(srv):
    """Bytes a browser never sends raw: httpd or the module refuse them
    with a 400, never a 500 and never a Location built from them."""
    site = srv.site
    # httpd's own refusals of malformed request lines (AH02430 etc. at
    # info or debug) are not the module's.
    for value in (b"/a\rX-Injected:%20y", b"/a\nb", b"/a\x00b", b"/a\tb",
                  b"/a\x7fb", b"/a\x01b", b"/a\x1bb", b"/a b"):
        for path in (b"/login?redirect_to=", b"/logout?redirect_to=",
                     b"/login?provider=generic&redirect_to="):
            status, head = raw_request(site.https_port,
                                       b"GET " + path + value + b" HTTP/1.1")
            assert status in (400, 404), (path, value, head[:200])
            assert b"X-Injected" not in head and b"\nLocation" not in head, head


# --------------------------------------------------------------------------
# the callback's query


def test_callback_repeated_parameters_and_separators(srv):
    site, idp = srv.site, srv.idp
    s = harness.make_session()
    r = s.get(site.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F"),
              allow_redirects=False)
    authorize = r.headers["Location"]
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)["state"][0]
    idp.clear_requests()
    since = site.log_mark()
    queries = [
        "code=a&code=b&state=%s" % state,
        "code=a&state=%s&state=%s" % (state, state),
        "code=a&state=%s&STATE=x" % state,
        "code=a;state=%s;state=%s" % (state, state),
        "code=a&state=%s&code=a" % state,
        "state=%s&error=x&error=y" % state,
        "code=a&state=%s&iss=a&iss=b" % state,
    ]
    for q in queries:
        r = s.get(site.https_url("/callback?" + q), headers=HTML, allow_redirects=False)
        assert r.status_code == 400, q
        assert "malformed or repeated" in r.text, q
        line = assert_tagged_line(site, since, r.text)
        assert "RXA00040" in line and "repeated" in line, line
        assert not [c for c in set_cookies(r) if c.startswith("__Host-reflex_")], q
    for q in ("&&&", "&=&=", "=", ";;;", "&;=;&", "=&=&=&", "&" * 500, "=" * 500):
        r = s.get(site.https_url("/callback?" + q), headers=HTML, allow_redirects=False)
        assert r.status_code == 400, q
        assert "expired" in r.text and 'href="/login"' in r.text, q
        assert_tagged_line(site, since, r.text)
        assert not [c for c in set_cookies(r) if c.startswith("__Host-reflex_")], q
    # nothing reached the token endpoint and nobody is signed in
    assert not idp.requests_log("/token")
    assert not jar(s)
    r = s.get(site.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 302
    # the login in flight was not spent by the refusals: it completes
    resp = follow(s, authorize, headers=HTML,
                  stop=lambda u: u.startswith(site.https_url("/private")))
    assert resp.status_code == 200 and resp.url.startswith(site.https_url("/callback?"))
    assert sorted(jar(s)) == sorted(NAMES)


# --------------------------------------------------------------------------
# Cookie headers


@pytest.fixture(scope="module")
def alice(_servers):
    """alice's four cookies from a real sign-in on `site`."""
    s = harness.make_session()
    sign_in(s, _servers.site)
    cookies = jar(s)
    assert sorted(cookies) == sorted(NAMES)
    s.close()
    return cookies


def fetch(s, httpd, pairs, accept=HTML, path="/private/"):
    return s.get(httpd.https_url(path), headers={**accept, "Cookie": cookie_header(pairs)},
                 allow_redirects=False)


def test_cookie_floods_and_empty_names(srv, alice):
    site = srv.site
    s = bare_session()
    valid = list(alice.items())
    many = [("c%d" % i, "v%d" % i) for i in range(3000)]
    # thousands of cookies, ours among them: still signed in
    for pairs in (many[:1500] + valid + many[1500:], valid + many, many + valid):
        r = fetch(s, site, pairs)
        assert r.status_code == 200, r.status_code
    # thousands of cookies and none of ours: anonymous, nothing to clear
    for accept in (HTML, JSON):
        r = fetch(s, site, many, accept)
        assert_anonymous(r)
        assert not set_cookies(r)
    # empty names, nameless pieces, stray separators around a valid set
    odd = "=; =x; ;;; ; =%s; %s; ==; =; __Host-reflex_generic_id_token" % (
        alice[NAMES[0]], NAMES[0])
    r = s.get(site.https_url("/private/"), allow_redirects=False,
              headers={**HTML, "Cookie": odd + "; " + cookie_header(valid) + "; ;="})
    assert r.status_code == 200
    # only nameless junk: anonymous
    r = s.get(site.https_url("/private/"), allow_redirects=False,
              headers={**JSON, "Cookie": "=; =x; ;;; ==" + "; =y" * 2000})
    assert_anonymous(r)
    # thousands of chunk-like names of one cookie: anonymous, and the
    # clearing stays bounded
    chunks = [("%s_%d" % (NAMES[1], i), "x") for i in range(1000)]
    r = fetch(s, site, valid + chunks, JSON)
    assert_anonymous(r, NAMES)
    assert len(set_cookies(r)) <= 4 * (1 + 16), len(set_cookies(r))


def test_cookie_header_size_bounds(srv, alice):
    """The module's own 64 KiB bound (httpd here accepts 128 KiB)."""
    site = srv.site
    s = bare_session()
    valid = list(alice.items())
    filler = lambda n: [("f%05d" % i, "y" * 90) for i in range(n // 100)]  # noqa: E731
    r = fetch(s, site, filler(60 * 1024) + valid)
    assert r.status_code == 200
    big = filler(70 * 1024) + valid
    assert len(cookie_header(big)) > 65536
    for accept in (HTML, JSON):
        # (that the cookies are cleared too: test_debris_only_cookies_are_cleared)
        assert_anonymous(fetch(s, site, big, accept))


def test_cookie_header_over_httpd_limit(srv, alice):
    """httpd's default LimitRequestFieldSize answers 400, never a 500."""
    few = srv.few
    s = bare_session()
    for size in (9 * 1024, 64 * 1024):
        pairs = [("g%05d" % i, "z" * 90) for i in range(size // 100)] + list(alice.items())
        r = fetch(s, few, pairs)
        assert r.status_code == 400, r.status_code
        assert "Set-Cookie" not in r.headers


def garbage_values(rng):
    octets = "".join(chr(c) for c in range(0x21, 0x7f) if chr(c) not in '";,\\')
    b64 = string.ascii_letters + string.digits + "-_"
    yield ""
    yield "chunks."
    yield "chunks.0"
    yield "chunks.1"
    yield "chunks.-1"
    yield "chunks.99999999999999999999"
    yield "chunks.9"
    yield "chunks.8"
    yield "AQ"
    yield "A" * 4000
    yield "\"quoted\""
    yield "%00%0a"
    for _ in range(60):
        n = rng.choice([1, 2, 3, 16, 40, 41, 42, 43, 100, 500, 1500, 3999, 4000])
        yield "".join(rng.choice(b64) for _ in range(n))
    for _ in range(30):
        n = rng.randrange(1, 600)
        yield "".join(rng.choice(octets) for _ in range(n))


def test_garbage_in_the_four_cookies(srv, alice):
    site = srv.site
    s = bare_session()
    rng = random.Random(7)
    count = 0
    for value in garbage_values(rng):
        # one garbage cookie among good ones, or all four garbage (values
        # the cookie layer itself refuses only beside good ones: see
        # test_debris_only_cookies_are_cleared)
        k = rng.randrange(4)
        pairs = [(n, value if i == k else alice[n]) for i, n in enumerate(NAMES)]
        if count % 3 == 0 and not value.startswith("chunks."):
            pairs = [(n, value) for n in NAMES]
        accept = HTML if count % 2 else JSON
        r = fetch(s, site, pairs, accept)
        assert_anonymous(r, NAMES)
        count += 1
    # a valid value under another of the four names is garbage too
    moved = [(NAMES[0], alice[NAMES[1]])] + [(n, alice[n]) for n in NAMES[1:]]
    assert_anonymous(fetch(s, site, moved), NAMES)
    # the same name twice, one copy good: refused, not "first wins"
    twice = list(alice.items()) + [(NAMES[2], "AAAA")]
    assert_anonymous(fetch(s, site, twice, JSON), NAMES)
    twice = [(NAMES[2], alice[NAMES[2]])] + list(alice.items())
    assert_anonymous(fetch(s, site, twice, JSON), NAMES)
    # garbage of other names around a valid set is no one's business
    def word(chars, lo, hi):
        return "".join(rng.choice(chars) for _ in range(rng.randrange(lo, hi)))
    others = [(word(string.ascii_letters, 1, 30), word(string.ascii_letters + "-_.%", 0, 300))
              for _ in range(80)]
    others += [("__Host-reflex_other_access_token", "junk"), ("__Host-reflex_", "x"),
               ("__Host-reflex_generic_access_tokenX", "y"), ("__host-reflex_generic_id_token", "z"),
               ("__Secure-reflex_login_0", "q")]
    r = fetch(s, site, others[:40] + list(alice.items()) + others[40:])
    assert r.status_code == 200
    assert not [c for c in set_cookies(r) if "Max-Age=0" in c]


def test_debris_only_cookies_are_cleared(srv, alice):
    """Cookies that fail at the cookie layer, with no readable cookie of
    the set beside them, are debris to clear all the same: a cookie that does not
    open is treated as absent and cleared."""
    site = srv.site
    s = bare_session()
    big = [("f%05d" % i, "y" * 90) for i in range(700)] + list(alice.items())
    cases = {
        "four bad chunk markers": [(n, "chunks.9") for n in NAMES],
        "one bad chunk marker alone": [(NAMES[1], "chunks.3")],
        "a lone chunk": [(NAMES[1] + "_0", "AAAA")],
        "all four twice": list(alice.items()) * 2,
        "a header over 64 KiB": big,
    }
    for what, pairs in cases.items():
        r = fetch(s, site, pairs, JSON)
        assert r.status_code == 401, what
        cleared = {c.split("=", 1)[0] for c in set_cookies(r) if "; Max-Age=0;" in c}
        sent = {k for k, _ in pairs if k.startswith("__Host-reflex_")}
        if what == "a header over 64 KiB":   # unreadable: every slot
            sent |= {"%s_%d" % (n, i) for n in NAMES for i in range(8)}
        assert sent <= cleared, (what, sorted(sent - cleared))


def test_chunked_session_cookies(srv, alice):
    """A sign-in large enough to be chunked; chunks reordered in the header
    are fine, missing, extra, repeated or swapped ones are not."""
    site, idp = srv.site, srv.idp
    idp.set_auto_login("dave")
    s = harness.make_session()
    cb = sign_in(s, site)
    idp.set_auto_login("alice")
    sent = [tuple(c.split(";", 1)[0].split("=", 1)) for c in set_cookies(cb)
            if c.startswith("__Host-reflex_") and "Max-Age=0" not in c]
    values = dict(sent)
    idt = NAMES[1]
    n = int(values[idt].split(".")[1])
    assert values[idt] == "chunks.%d" % n and n >= 2
    assert all(len(values["%s_%d" % (idt, i)]) <= 4000 for i in range(n))
    b = bare_session()
    assert fetch(b, site, sent).status_code == 200
    assert fetch(b, site, list(reversed(sent))).status_code == 200
    chunk = lambda i: "%s_%d" % (idt, i)  # noqa: E731
    without = lambda *drop: [p for p in sent if p[0] not in drop]  # noqa: E731
    variants = {
        "a chunk missing": without(chunk(1)),
        "the first chunk missing": without(chunk(0)),
        "the marker missing": without(idt),
        "every chunk missing": without(*[chunk(i) for i in range(n)]),
        "one more chunk": sent + [(chunk(n), "AAAA")],
        "a far chunk": sent + [(chunk(7), "AAAA")],
        "a chunk 999": sent + [(idt + "_999", "AAAA")],
        "a chunk 01": sent + [(idt + "_01", "AAAA")],
        "a chunk repeated": sent + [(chunk(0), values[chunk(0)])],
        "chunks swapped": [(k, values[chunk(1)] if k == chunk(0) else
                            values[chunk(0)] if k == chunk(1) else v) for k, v in sent],
        "a chunk empty": [(k, "" if k == chunk(1) else v) for k, v in sent],
        "count too high": [(k, "chunks.%d" % (n + 1) if k == idt else v) for k, v in sent],
        "count too low": [(k, "chunks.%d" % (n - 1) if k == idt else v) for k, v in sent],
        "count enormous": [(k, "chunks.4294967297" if k == idt else v) for k, v in sent],
        "count of 8, chunks of 4000": [(k, "chunks.8" if k == idt else v) for k, v in sent]
        + [(chunk(i), "A" * 4000) for i in range(n, 8)],
        "a 4001-byte chunk": [(k, v + "A" * (4001 - len(v)) if k == chunk(0) else v)
                              for k, v in sent],
        "unchunked value beside chunks": [(k, values[chunk(0)] if k == idt else v)
                                          for k, v in sent],
    }
    for what, pairs in variants.items():
        r = fetch(b, site, pairs, JSON)
        assert r.status_code == 401, (what, r.status_code)
        cleared = {c.split("=", 1)[0] for c in set_cookies(r) if "; Max-Age=0;" in c}
        sent_chunks = {k for k, _ in pairs if k.startswith(idt)}
        assert sent_chunks <= cleared, (what, sent_chunks - cleared)
    # chunking is framing only: alice's unchunked cookie, re-chunked by
    # hand (chunks in reverse order), opens the same
    v = alice[idt]
    half = len(v) // 2
    rechunked = [(k, x) for k, x in alice.items() if k != idt] + [
        (idt + "_1", v[half:]), (idt, "chunks.2"), (idt + "_0", v[:half])]
    assert fetch(b, site, rechunked).status_code == 200

# --------------------------------------------------------------------------
# The IdP's error, reflected


def test_idp_error_markup_is_escaped(srv):
    site = srv.site
    s = harness.make_session()
    markup = [
        ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"),
        ("access_denied\"><svg onload=alert(1)>", "</code><script>alert(2)</script>"),
        ("x'onmouseover='alert(1)", "<a href=javascript:alert(1)>click</a>&amp;"),
        ("a\r\n[Thu Jan 01 00:00:00 2026] [reflex_auth:emerg] forged",
         "line1\nline2\x1b[31mred"),
        ("e" * 3000, "d" * 3000),
    ]
    for error, desc in markup:
        state = login_state(s, site)
        since = site.log_mark()
        r = s.get(site.https_url("/callback?" + urllib.parse.urlencode(
            {"error": error, "error_description": desc, "state": state})), headers=HTML)
        assert r.status_code == 400, error[:40]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        body = r.text
        # the built-in error page has no markup of these kinds of its own
        for piece in ("<script", "<img", "<svg", "<a href=javascript", "\x1b", "\r"):
            assert piece not in body, (piece, body[:800])
        for raw in (error, desc):
            assert not ("<" in raw and raw in body), "raw markup echoed: %r" % raw
        if "<script>" in error + desc:
            assert "&lt;script&gt;" in body, body[:800]
        line = assert_tagged_line(site, since, body)
        assert "RXA00070" in line
        # the log line is one line, controls escaped, bounded, no markup of
        # the description in it
        new = site.log_lines(since)
        assert not [l for l in new if "forged" in l and not l.startswith("[")], new
        assert not [l for l in new if l.startswith("[Thu Jan 01")], new
        assert len(line) < 1500, len(line)
        assert "onerror" not in line and "<img" not in line and "\x1b" not in line
        # and no session came of it
        assert not jar(s)


# --------------------------------------------------------------------------
# Sealing


def test_sealing_never_repeats(srv, alice):
    site = srv.site
    s1, s2 = harness.make_session(), harness.make_session()
    sign_in(s1, site)
    sign_in(s2, site)
    a, b = jar(s1), jar(s2)
    for n in NAMES:
        assert a[n] != b[n] and a[n] != alice[n], n
        # fresh nonces (bytes 1..12 of the sealed form)
        assert harness.b64url_decode(a[n])[1:13] != harness.b64url_decode(b[n])[1:13], n
    # the same sign-in re-issued by sync: same contents, new seals
    url = site.https_url("/_reflex/cookies/sync")
    r = s1.post(url, headers={"Origin": site.https_url("").rstrip("/")})
    assert r.status_code == 200
    c = {x.split("=", 1)[0]: x.split("=", 1)[1].split(";", 1)[0] for x in set_cookies(r)}
    for n in NAMES:
        assert c[n] != a[n], n
    # the re-sealed set still opens
    assert fetch(bare_session(), site, c.items()).status_code == 200


# --------------------------------------------------------------------------
# Failing providers (on `few`: four workers, ReflexAuthHTTPTimeout 2)


def timed_get(session, url, out, key, **kw):
    t0 = time.monotonic()
    try:
        r = session.get(url, allow_redirects=False, timeout=30, **kw)
        out[key] = (time.monotonic() - t0, r.status_code, r.text)
    except Exception as e:  # reported by the assertions
        out[key] = (time.monotonic() - t0, None, repr(e))


def test_slow_token_endpoint_frees_the_workers(srv):
    few, idp = srv.few, srv.idp
    sessions = [harness.make_session() for _ in range(4)]
    urls = [code_at_callback(s, few) for s in sessions]
    idp.add_fault("/token", delay_ms=20000)
    since = few.log_mark()
    out = {}
    threads = [threading.Thread(target=timed_get, args=(s, u, out, i), kwargs={"headers": HTML})
               for i, (s, u) in enumerate(zip(sessions, urls))]
    for t in threads:
        t.start()
    time.sleep(0.5)
    # every worker is waiting for the IdP now; this one waits for a worker
    late = harness.make_session()
    timed_get(late, few.https_url("/index.html"), out, "late")
    for t in threads:
        t.join(30)
    for i in range(4):
        elapsed, status, text = out[i]
        assert status == 502, (i, status, text[:300])
        assert "did not accept the sign-in" in text and ERROR_ID.search(text)
        assert HTTP_TIMEOUT - 0.3 <= elapsed <= HTTP_TIMEOUT + MARGIN, (i, elapsed)
    elapsed, status, _ = out["late"]
    assert status == 200 and elapsed <= HTTP_TIMEOUT + MARGIN, out["late"]
    # the workers are free again: a quick answer, and signing in works
    idp.clear_faults()
    t0 = time.monotonic()
    assert late.get(few.https_url("/index.html")).status_code == 200
    assert time.monotonic() - t0 < 2.0    # not the IdP's 20 s
    sign_in(harness.make_session(), few)
    lines = [l for l in few.log_lines(since) if "RXA00050" in l]
    assert len(lines) == 4 and all("timed out" in l.lower() or "timeout" in l.lower()
                                   for l in lines), lines
    few.expect_log(r"RXA00050: .*token endpoint", min_count=4, max_count=4)
    # httpd notes that all four workers were busy (event MPM)
    few.expect_log(r"AH00484|AH03093")


def test_provider_stops_mid_login(srv):
    few, idp = srv.few, srv.idp
    s = harness.make_session()
    url = code_at_callback(s, few)   # the user is at the IdP, code in hand
    idp.stop()
    try:
        since = few.log_mark()
        t0 = time.monotonic()
        r = s.get(url, headers=HTML, allow_redirects=False)
        elapsed = time.monotonic() - t0
        assert r.status_code == 502 and elapsed < HTTP_TIMEOUT + MARGIN, (r.status_code, elapsed)
        assert "did not accept the sign-in" in r.text
        line = assert_tagged_line(few, since, r.text)
        assert "RXA00050" in line
        assert not jar(s)
        # the same callback again: the login state is spent, a clear 400
        r = s.get(url, headers=HTML, allow_redirects=False)
        assert r.status_code == 400 and "expired" in r.text
        # anonymous visitors still get to the login, no worker is stuck
        for _ in range(6):
            r = s.get(few.https_url("/private/"), headers=HTML, allow_redirects=False)
            assert r.status_code == 302
            assert r.headers["Location"].startswith("/login?redirect_to=")
        few.expect_log(r"RXA00050: .*token endpoint", min_count=1, max_count=1)
    finally:
        idp.start()
    # the provider is back: signing in works again
    sign_in(harness.make_session(), few)
