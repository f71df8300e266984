"""In a real browser: headless Chromium signs in through the IdP's
own pages and lands signed in, although it enforces Secure and
SameSite=Strict; reload, a second tab and logout behave."""

from harness import COOKIE_SECRET

PROTECTED = """
ReflexAuthExtraScopes groups
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""


def start(httpd_factory, idp_factory, client="basic-rs256"):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html",
                    "<!DOCTYPE html><title>private</title><p id=secret>private page</p>\n")
    httpd.write_doc("index.html", "<!DOCTYPE html><title>home</title><p id=home>home</p>\n")
    idp = idp_factory(rp=httpd, auto_login=None, auto_logout=True)
    httpd.start(conf=PROTECTED, env={**idp.env(client), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    return httpd, idp


def sign_in(browser, base, path="/private/?tab=1"):
    """From a protected page, through our login page and the IdP's."""
    browser.open(base + path, url_prefix=base + "/login?redirect_to=")
    browser.click_and_wait(browser.find("a.button"))
    browser.idp_sign_in("alice", until=base + path)
    browser.wait_element("#secret")


def check_signed_in_everywhere(browser, base):
    sign_in(browser, base)
    cookies = {c["name"]: c for c in browser.cookies() if c["name"].startswith("__Host-")}
    assert sorted(cookies) == sorted("__Host-reflex_generic_" + k for k in
                                     ("access_token", "id_token", "refresh_token",
                                      "granted_scopes"))
    for c in cookies.values():
        assert c["httpOnly"] and c["secure"] and c["sameSite"] == "Strict"
        assert c["path"] == "/"
    assert browser.local_storage_get("reflex_auth_sync")
    # reload stays signed in
    browser.reload()
    browser.wait_element("#secret")
    # a second tab is signed in too
    first = browser.tab
    second = browser.new_tab(base + "/private/?tab=2", element="#secret")
    # logout in one tab signs both out
    browser.switch_to(first)
    browser.open(base + "/logout")
    browser.idp_confirm_logout(until=base + "/")
    browser.wait_element("#home")
    assert not [c for c in browser.cookies() if c["name"].startswith("__Host-reflex")]
    browser.switch_to(second)
    browser.open(base + "/private/?tab=2", url_prefix=base + "/login?redirect_to=")


def test_https_on_a_public_name(browser, httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    base = "https://rp.test:%d" % httpd.https_port
    check_signed_in_everywhere(browser, base)


def test_http_on_localhost(browser, httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory, client="public-es256")
    base = "http://localhost:%d" % httpd.http_port
    check_signed_in_everywhere(browser, base)


def test_plain_http_on_a_public_name_shows_https_required(browser, httpd_factory, idp_factory):
    httpd, idp = start(httpd_factory, idp_factory)
    base = "http://rp.test:%d" % httpd.http_port
    browser.open(base + "/private/", text="HTTPS is required")
    assert browser.url.startswith(base + "/private/")   # no redirect, no loop
