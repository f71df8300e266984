"""A websocket lives no longer than its sign-in: a websocket upgraded
through httpd under a sign-in is closed (1008 "session ended" to the
browser, then both connections) within 5 s of the next frame once the
sign-in has ended -- its access token expired without a refresh, a
logout, a back-channel logout, a refresh the IdP refused -- on both
tunnel paths (mod_proxy_http's upgrade=websocket, mod_proxy_wstunnel);
frames flow unchanged until then; a sign-in the sync endpoint keeps
refreshing keeps its socket, also when the refresh happens on another
replica sharing the cache."""

import time

import pytest

import harness
from harness import COOKIE_SECRET, follow
import wslib
from wslib import BINARY, CLOSE, CONT, PING, PONG, TEXT

HTML = {"Accept": "text/html"}
SKEW = 2
# the tab-sync script's pace here: an access token shorter than the refresh
# margin is renewed at the IdP once it has expired (till then every request
# shares the last renewal), so a sync must come within the skew after it
SYNC_EVERY = 0.4
ENDED = (1008, "session ended")
MODULES = ("proxy", "proxy_http", "proxy_wstunnel")

TUNNELS = {
    "proxy_http": "ProxyPass /_event http://127.0.0.1:%d/_event upgrade=websocket\n",
    "wstunnel": "ProxyWebsocketFallbackToProxyHttp Off\n"
                "ProxyPass /_event ws://127.0.0.1:%d/_event\n",
}

CONF = """
ReflexAuthClockSkew %d
ReflexAuthExtraScopes %s
%s%s
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /_event>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


class App:
    """httpd replicas in front of an echo backend, one IdP."""

    def __init__(self, httpds, idp, echo):
        self.httpds, self.idp, self.echo = httpds, idp, echo
        self.httpd = httpds[0]


def start(request, httpd_factory, idp_factory, tunnel="proxy_http", ttl=60,
          scopes="offline_access", replicas=1, cache="", refuse=None):
    echo = wslib.EchoServer(refuse=refuse)
    request.addfinalizer(echo.stop)
    httpds = [httpd_factory(extra_modules=MODULES) for _ in range(replicas)]
    for h in httpds:
        h.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(redirect_uris=[u for h in httpds for u in h.redirect_uris()],
                      post_logout_redirect_uris=[u for h in httpds
                                                 for u in h.post_logout_redirect_uris()],
                      ttl={"AccessToken": ttl})
    conf = CONF % (SKEW, scopes, cache, TUNNELS[tunnel] % echo.port)
    for h in httpds:
        h.start(conf=conf, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return App(httpds, idp, echo)


def sign_in(session, httpd):
    url = httpd.https_url("/login?provider=generic&redirect_to=%2Fprivate%2F")
    follow(session, url, headers=HTML, meta_refresh=False,
           stop=lambda u: u.startswith(httpd.https_url("/private")))


def cookie_header(session):
    return "; ".join("%s=%s" % (c.name, c.value) for c in session.cookies
                     if c.name.startswith("__Host-"))


def origin(httpd):
    return httpd.https_url("/").rstrip("/")


def connect(httpd, session):
    return wslib.Client.connect(httpd.https_port, "/_event", tls=True,
                                headers={"Cookie": cookie_header(session),
                                         "Origin": origin(httpd)})


def sync(session, httpd):
    """The tab-sync script's call: refreshes when the token is near expiry.
    Returns the answer's expires_at."""
    r = session.post(httpd.https_url("/_reflex/cookies/sync"),
                     headers={"Origin": origin(httpd)})
    assert r.status_code == 200, r.text
    return r.json()["expires_at"]


def echoes(client, count=1):
    """COUNT text frames echo unchanged."""
    for i in range(count):
        text = "ping %d %f" % (i, time.monotonic())
        assert client.echo(TEXT, text).key() == (True, TEXT, text.encode())


def keep_refreshed(client, session, httpd, ttl):
    """Frames echo for two expiries and more while SESSION syncs at HTTPD;
    then, after the last expiry plus the skew with nobody refreshing, a
    frame is sent: the caller sees it end the socket."""
    first_expiry = time.time() + ttl
    expires_at = sync(session, httpd)
    last_sync = time.monotonic()
    while time.time() < first_expiry + 2 * (ttl + SKEW):
        echoes(client)
        if time.monotonic() - last_sync > SYNC_EVERY:
            expires_at = sync(session, httpd)
            last_sync = time.monotonic()
        time.sleep(0.1)
    time.sleep(max(0, expires_at + SKEW + 0.5 - time.time()))
    client.send_binary(b"after")


def assert_closed_by_us(client, conn, since, frames=None):
    """CLIENT got the close frame 1008 "session ended" (after FRAMES, the
    echoes still on their way), then the end of the connection, and the
    backend's side ended, each within 5 s of SINCE."""
    got = client.until_end(timeout=10)
    assert [f.key() for f in got] == (frames or []) + [
        (True, CLOSE, b"\x03\xf0session ended")], got
    assert client.close_code == ENDED
    assert client.ended_at - since < 5, client.ended_at - since
    assert conn.wait_ended(5), "the backend's side stayed open"
    assert conn.ended_at - since < 5, conn.ended_at - since


def ping_until_closed(client, limit=5.0):
    """Pings every 0.2 s (a live app's traffic) until the close frame
    comes; returns when the first ping went."""
    first = time.monotonic()
    while time.monotonic() - first < limit:
        client.ping(b"p")
        frame = client.recv()
        if frame is None or frame.opcode == CLOSE:
            return first
        assert frame.key() == (True, PONG, b"p")
        time.sleep(0.2)
    raise AssertionError("the websocket stayed open %.1f s" % limit)


def assert_closed_after(client, conn, ended_at):
    """Pinged until closed: the close frame and both ends within 5 s of
    ENDED_AT (when the sign-in ended)."""
    ping_until_closed(client)
    assert client.close_code == ENDED
    client.until_end(timeout=10)
    assert client.ended_at - ended_at < 5, client.ended_at - ended_at
    assert conn.wait_ended(5), "the backend's side stayed open"


def expiring_socket(request, httpd_factory, idp_factory, session, tunnel):
    """A sign-in without a refresh token (access tokens for 4 s) and its
    websocket: (app, client, the backend's connection, a time just after
    the access token's expiry plus the skew)."""
    app = start(request, httpd_factory, idp_factory, tunnel, ttl=4, scopes="groups")
    sign_in(session, app.httpd)
    ended = time.time() + 4 + SKEW + 0.5
    client = connect(app.httpd, session)
    request.addfinalizer(client.close)
    (conn,) = app.echo.wait_connections(1)
    return app, client, conn, ended


@pytest.mark.parametrize("tunnel", sorted(TUNNELS))
def test_frames_flow_unchanged_until_the_access_token_expires(
        request, tunnel, httpd_factory, idp_factory, http_session):
    app, client, conn, ended = expiring_socket(request, httpd_factory, idp_factory,
                                               http_session, tunnel)
    assert conn.headers["x-reflex-user-sub"] == "alice"
    assert "x-reflex-access-token" not in conn.headers
    sent = []
    for opcode, payload in [(TEXT, "héllo".encode()), (BINARY, bytes(range(256))),
                            (BINARY, b"m" * 300), (BINARY, bytes(70000))]:
        assert client.echo(opcode, payload).key() == (True, opcode, payload)
        sent.append((True, opcode, payload))
    client.send_fragmented(BINARY, [b"ab", b"", b"cd"])
    frag = [(False, BINARY, b"ab"), (False, CONT, b""), (True, CONT, b"cd")]
    assert [client.recv().key() for _ in range(3)] == frag
    assert client.echo(PING, b"are you there").key() == (True, PONG, b"are you there")
    sent += frag + [(True, PING, b"are you there")]
    assert [f.key() for f in conn.frames] == sent
    # past the access token's expiry plus the skew: the next frame ends it
    time.sleep(max(0, ended - time.time()))
    since = time.monotonic()
    client.send_text("too late")
    assert_closed_by_us(client, conn, since)
    assert [f.key() for f in conn.frames] == sent, "a frame went through after the end"
    assert "RXA00281: websocket closed with 1008" in app.httpd.log_text()


@pytest.mark.parametrize("tunnel", sorted(TUNNELS))
def test_a_frame_from_the_backend_after_expiry_ends_it_too(
        request, tunnel, httpd_factory, idp_factory, http_session):
    app, client, conn, ended = expiring_socket(request, httpd_factory, idp_factory,
                                               http_session, tunnel)
    echoes(client)
    delay = ended - time.time()
    client.send_text("later:%d:pushed" % (delay * 1000))
    client.sock.settimeout(delay + 10)
    assert_closed_by_us(client, conn, time.monotonic() + delay)


def test_refreshes_through_sync_keep_it_open_across_two_expiries(
        request, httpd_factory, idp_factory, http_session):
    ttl = 4
    app = start(request, httpd_factory, idp_factory, ttl=ttl)
    _, client, conn = signed_in_socket(request, app, http_session)
    keep_refreshed(client, http_session, app.httpd, ttl)
    assert_closed_by_us(client, conn, time.monotonic())


@pytest.mark.parametrize("tunnel", sorted(TUNNELS))
def test_logout_closes_it(request, tunnel, httpd_factory, idp_factory, http_session):
    app = start(request, httpd_factory, idp_factory, tunnel)
    _, client, conn = signed_in_socket(request, app, http_session)
    r = http_session.get(app.httpd.https_url("/logout"), allow_redirects=False)
    assert r.status_code in (302, 303), r.status_code
    assert_closed_after(client, conn, time.monotonic())


def test_backchannel_logout_closes_it(request, httpd_factory, idp_factory, http_session):
    from test_backchannel import claims, post, sign
    app = start(request, httpd_factory, idp_factory)
    _, client, conn = signed_in_socket(request, app, http_session)
    time.sleep(1.1)   # the token's iat (now + 1) is after the sign-in began
    r = post(app.httpd, sign(app.idp, claims(app.idp)))
    assert r.status_code == 200, r.text
    assert_closed_after(client, conn, time.monotonic())


def signed_in_socket(request, app, session=None, at=None):
    """SESSION (a new one by default) signed in at app.httpd and its
    websocket through AT (app.httpd by default), three frames echoed:
    (session, client, the backend's connection)."""
    if session is None:
        session = harness.make_session()
        request.addfinalizer(session.close)
    sign_in(session, app.httpd)
    client = connect(at or app.httpd, session)
    request.addfinalizer(client.close)
    conn = app.echo.wait_connections(len(app.echo.connections))[-1]
    echoes(client, 3)
    return session, client, conn


def test_a_refused_refresh_closes_it(request, httpd_factory, idp_factory):
    # access tokens for 36 s: 6 s before they are within the refresh
    # margin (30 s), the next request refreshes
    app = start(request, httpd_factory, idp_factory, ttl=36)
    # the IdP's trouble (a 5xx) is no refusal: the socket goes on
    session, client, _ = signed_in_socket(request, app)
    time.sleep(6.5)
    app.idp.add_fault("/token", times=1, status=503,
                      json={"error": "temporarily_unavailable"})
    r = session.post(app.httpd.https_url("/_reflex/cookies/sync"),
                     headers={"Origin": origin(app.httpd)})
    assert r.status_code == 401
    assert len([e for e in app.idp.requests_log("/token")
                if (e.get("form") or {}).get("grant_type") == "refresh_token"]) == 1
    time.sleep(1)
    echoes(client, 3)
    # a refusal ends the sign-in, and its socket
    session2, client2, conn2 = signed_in_socket(request, app)
    time.sleep(6.5)
    app.idp.add_fault("/token", times=1, status=400, json={"error": "invalid_grant"})
    r = session2.post(app.httpd.https_url("/_reflex/cookies/sync"),
                      headers={"Origin": origin(app.httpd)})
    assert r.status_code == 401
    assert_closed_after(client2, conn2, time.monotonic())
    assert "RXA00090: provider generic: token refresh failed" in app.httpd.log_text()
    # the first sign-in was not refused: its socket is still open
    echoes(client)


@pytest.mark.parametrize("status", [404, 403])
def test_an_upgrade_the_backend_refuses_leaves_the_connection_working(
        request, status, httpd_factory, idp_factory, http_session):
    app = start(request, httpd_factory, idp_factory, refuse=status)
    sign_in(http_session, app.httpd)
    host = "localhost:%d" % app.httpd.https_port
    with wslib.Client.open(app.httpd.https_port, tls=True) as c:
        for _ in range(2):
            with pytest.raises(wslib.HandshakeRefused) as e:
                c.handshake("/_event", host, headers={"Cookie": cookie_header(http_session)})
            assert e.value.status_line.startswith("HTTP/1.1 %d" % status)
            assert e.value.body == b"refused\n"
            c.request("/private/", host, upgrade=False,
                      headers={"Cookie": cookie_header(http_session), **HTML})
            code, _, _, body = c.response()
            assert (code, body) == (200, b"<p>private</p>\n")


def test_wstunnel_passes_a_refusal_through(request, httpd_factory, idp_factory,
                                           http_session):
    app = start(request, httpd_factory, idp_factory, "wstunnel", refuse=404)
    sign_in(http_session, app.httpd)
    with pytest.raises(wslib.HandshakeRefused) as e:
        connect(app.httpd, http_session)
    assert e.value.status_line.startswith("HTTP/1.1 404")
    assert e.value.body == b"refused\n"


def test_a_refresh_on_another_replica_keeps_it_open(request, memcached, httpd_factory,
                                                    idp_factory, http_session):
    ttl = 4
    app = start(request, httpd_factory, idp_factory, ttl=ttl, replicas=2,
                cache="ReflexAuthSharedCache %s\n" % memcached.spec)
    a, b = app.httpds
    _, client, conn = signed_in_socket(request, app, http_session, at=b)
    keep_refreshed(client, http_session, a, ttl)
    assert_closed_by_us(client, conn, time.monotonic())
    # the record under a hashed key (a metadump may miss an item that
    # moves while it walks: asked again)
    harness.wait_until(lambda: any(k.startswith("rxa1:live:") for k in memcached.keys()),
                       5, "the live record in memcached")
