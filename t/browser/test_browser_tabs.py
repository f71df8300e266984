"""In a real browser: the tab-sync script served by the module
keeps two tabs signed in across an access-token expiry with one refresh."""

import time

from harness import COOKIE_SECRET

CONF = """
ReflexAuthExtraScopes offline_access
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
"""

APP = """<!DOCTYPE html><title>app</title><p id=app>app page</p>
<script src="/_reflex/cookies/sync.js"></script>
"""


def refreshes(idp):
    return [e for e in idp.requests_log("/token")
            if (e.get("form") or {}).get("grant_type") == "refresh_token"]


def test_two_tabs_one_refresh(browser, httpd_factory, idp_factory):
    httpd = httpd_factory()
    httpd.write_doc("private/app.html", APP)
    # refreshed 30 s before expiry: the first refresh is due ~10 s in
    idp = idp_factory(rp=httpd, auto_login=None, ttl={"AccessToken": 40})
    httpd.start(conf=CONF, env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    base = "https://rp.test:%d" % httpd.https_port
    browser.open(base + "/private/app.html", url_prefix=base + "/login?redirect_to=")
    browser.click_and_wait(browser.find("a.button"))
    browser.idp_sign_in("alice", until=base + "/private/app.html")
    browser.wait_element("#app")
    first = browser.tab
    second = browser.new_tab(base + "/private/app.html", element="#app")
    assert not refreshes(idp)
    deadline = time.time() + 30
    while not refreshes(idp) and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(4)           # let the other tab see it and not follow up
    assert len(refreshes(idp)) == 1, refreshes(idp)
    for tab in (first, second):
        browser.switch_to(tab)
        assert browser.local_storage_get("reflex_auth_sync")
        r = browser.fetch(base + "/private/app.html", headers={"Accept": "text/html"})
        assert r["status"] == 200, r
    # the script itself is served by the module
    r = browser.fetch(base + "/_reflex/cookies/sync.js")
    assert r["status"] == 200
