"""In a real browser: cookies that never come back after sign-in
give a clear page, never a login loop.

- The cookies are stored, but with the site's own cookies the Cookie
  header is over LimitRequestFieldSize (the module refuses a sign-in whose
  session cookies alone are over it, RXA00110; it cannot know the site's
  other cookies): httpd answers the callback page's sync call with 400,
  and the page says so instead of navigating.
- The cookies never reach the browser (a proxy in front drops the session
  Set-Cookie headers, as some CDNs and misconfigured proxies do): the sync
  call gets 401, and the page says so, with the error id the module logged.
"""

import http.client
import http.server
import re
import ssl
import threading
import time
import urllib.parse

from harness import COOKIE_SECRET

PROTECTED = """
ReflexAuthExtraScopes groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""
# The session cookies (about 1850 bytes together) fit, and so do the
# login-state cookie (about 450) and the site's own cookie below (1300),
# but not the session cookies and the site's cookie together.
SMALL_FIELDS = PROTECTED + "LimitRequestFieldSize 2600\n"
SITE_COOKIE = ("document.cookie = 'site_prefs=' + 'x'.repeat(1300)"
               " + '; Path=/; Secure; SameSite=Lax'")


def start(httpd_factory, idp_factory, conf, extra_redirect_uris=()):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html",
                    "<!DOCTYPE html><title>private</title><p id=secret>private page</p>\n")
    idp = idp_factory(rp=httpd, auto_login=None,
                      redirect_uris=list(extra_redirect_uris) + httpd.redirect_uris())
    httpd.start(conf=conf, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def sign_in_until_callback(browser, base):
    browser.open(base + "/private/", url_prefix=base + "/login?redirect_to=")
    browser.click_and_wait(browser.find("a.button"))
    browser.idp_sign_in("alice", until=base + "/callback")


def assert_stays_on_error_page(browser, base, idp):
    """No navigation away from the callback page, one trip to the IdP."""
    browser.wait_element("#reflex-auth-failed")
    time.sleep(1.5)
    assert browser.url.startswith(base + "/callback?"), browser.url
    assert browser.find_all("#reflex-auth-failed")
    auth = urllib.parse.urlsplit(idp.endpoint("authorization")).path
    assert len(idp.requests_log(auth)) == 1, [e["path"] for e in idp.requests_log()]
    # other tabs are not told that someone signed in
    assert browser.local_storage_get("reflex_auth_sync") is None


def test_cookies_over_limit_request_field_size(browser, httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory, SMALL_FIELDS)
    base = "https://rp.test:%d" % httpd.https_port
    browser.open(base + "/", text="rxa test index")
    browser.driver.execute_script(SITE_COOKIE)
    assert browser.cookie("site_prefs")
    sign_in_until_callback(browser, base)
    assert_stays_on_error_page(browser, base, idp)
    text = browser.text()
    assert "HTTP 400" in text and "administrator" in text, text
    assert "Error id" not in text   # httpd refused the call: the module logged nothing
    # the browser holds the cookies: only the server would not read them
    assert browser.cookie("__Host-reflex_generic_id_token")


class CookieDroppingProxy:
    """An https reverse proxy in front of httpd that passes everything on
    but drops the module's session Set-Cookie headers from /callback
    answers: for the browser, cookies that were never set."""

    def __init__(self, tls, target_port):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                ctx = ssl._create_unverified_context()
                conn = http.client.HTTPSConnection("127.0.0.1", target_port, context=ctx,
                                                   timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() in ("connection", "keep-alive", "transfer-encoding",
                                     "content-length"):
                        continue
                    if (k.lower() == "set-cookie" and self.path.startswith("/callback")
                            and v.startswith("__Host-reflex_")):
                        proxy.dropped += 1
                        continue
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _relay

            def log_message(self, *args):
                pass

        self.dropped = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def test_cookies_never_stored(browser, httpd_factory, idp_factory, tls_cert):
    httpd = httpd_factory()
    proxy = CookieDroppingProxy(tls_cert, httpd.https_port)
    try:
        base = "https://rp.test:%d" % proxy.port
        httpd, idp = start(httpd_factory=lambda: httpd, idp_factory=idp_factory,
                           conf=PROTECTED, extra_redirect_uris=[base + "/callback"])
        httpd.expect_log(r"RXA00130: \[error id [0-9a-f]{12}\]", min_count=1, max_count=1)
        sign_in_until_callback(browser, base)
        assert_stays_on_error_page(browser, base, idp)
        assert proxy.dropped >= 4
        text = browser.text()
        assert "HTTP 401" in text and "blocking cookies" in text, text
        shown = re.search(r"Error id: ([0-9a-f]{12})", text).group(1)
        line = httpd.wait_for_log(r"RXA00130", timeout=5)
        assert "[error id %s]" % shown in line, (shown, line)
        assert browser.cookie("__Host-reflex_generic_id_token") is None
    finally:
        proxy.stop()
