"""In a real browser: a page's websocket to /_event lives no longer than
its sign-in. Before the logout the page's messages echo; after a logout in
a second tab, the page's next message is answered by close code 1008
"session ended" within 5 s, and the backend's connection ends too."""

import time

import wslib
from harness import COOKIE_SECRET

CONF = """
ProxyPass /_event %s upgrade=websocket
<Location /_event>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""

# The page records every websocket event with the page's clock (ms).
APP = """<!DOCTYPE html><title>app</title><p id=app>app page</p>
<script>
window.wsEvents = [];
const note = (e) => { e.t = performance.now(); wsEvents.push(e); };
const ws = new WebSocket("wss://" + location.host + "/_event");
ws.binaryType = "arraybuffer";
ws.onopen = () => note({type: "open"});
ws.onmessage = (m) => note({type: "message", data: typeof m.data === "string"
                            ? m.data : Array.from(new Uint8Array(m.data))});
ws.onerror = () => note({type: "error"});
ws.onclose = (c) => note({type: "close", code: c.code, reason: c.reason});
window.wsSend = (data) => { note({type: "sent", data: data}); ws.send(
    typeof data === "string" ? data : new Uint8Array(data)); };
</script>
"""
HOME = "<!DOCTYPE html><title>home</title><p id=home>home</p>\n"
# A logout reaches every process (and replica) within 2 s; the socket may
# live in another process than the one that served the logout, and a
# frame sent before that process learnt of it passes like any other.
LOGOUT_REACHES_ALL = 2.0


def events(browser, kind=None):
    found = browser.driver.execute_script("return window.wsEvents")
    return [e for e in found if kind is None or e["type"] == kind]


def send(browser, data):
    browser.driver.execute_script("wsSend(arguments[0])", data)


def wait_event(browser, what, predicate, timeout=10):
    return browser.wait(lambda: next((e for e in events(browser) if predicate(e)), None),
                        what, timeout)


def test_logout_in_another_tab_closes_the_pages_websocket(browser, httpd_factory,
                                                           idp_factory):
    with wslib.EchoServer() as echo:
        httpd = httpd_factory(extra_modules=("proxy", "proxy_http", "proxy_wstunnel"))
        httpd.write_doc("private/app.html", APP)
        httpd.write_doc("index.html", HOME)
        idp = idp_factory(rp=httpd, auto_login=None, auto_logout=True)
        httpd.start(conf=CONF % echo.url("/_event", scheme="http"),
                    env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
        base = "https://rp.test:%d" % httpd.https_port
        browser.open(base + "/private/app.html", url_prefix=base + "/login?redirect_to=")
        browser.click_and_wait(browser.find("a.button"))
        browser.idp_sign_in("alice", until=base + "/private/app.html")
        browser.wait_element("#app")
        wait_event(browser, "the websocket to open", lambda e: e["type"] in ("open", "close"))
        assert [e["type"] for e in events(browser)] == ["open"], events(browser)
        backend = echo.wait_connections(1)[0]
        assert backend.headers.get("upgrade", "").lower() == "websocket"

        # signed in: what the page sends comes back
        for data in ("first", [0, 1, 127, 128, 255], "second " * 100):
            send(browser, data)
            wait_event(browser, f"the echo of {str(data)[:20]!r}",
                       lambda e, d=data: e["type"] == "message" and e["data"] == d)
        assert not events(browser, "close"), events(browser)

        # the user logs out in a second tab
        app_tab = browser.tab
        browser.new_tab(base + "/logout")
        browser.idp_confirm_logout(until=base + "/")
        browser.wait_element("#home")
        logged_out = time.monotonic()
        browser.switch_to(app_tab)
        assert not events(browser, "close"), events(browser)
        time.sleep(max(0.0, logged_out + LOGOUT_REACHES_ALL - time.monotonic()))

        # the page's next message: close 1008 "session ended" within 5 s of it
        send(browser, "after the logout")
        sent = events(browser, "sent")[-1]
        close = wait_event(browser, "the websocket to close",
                           lambda e: e["type"] == "close", timeout=15)
        assert (close["code"], close["reason"]) == (1008, "session ended"), events(browser)
        assert close["t"] - sent["t"] <= 5000, (close["t"] - sent["t"], events(browser))
        assert backend.wait_ended(5), "the backend's connection is still open"
