"""Self-tests of the browser layer: Chromium against the harness's httpd
(without mod_reflex_auth) and the test IdP's interactive pages."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

import browser as browser_mod
import harness
from browser import Browser, cookie_lifetime

HERE = Path(__file__).resolve().parent

PROBE_COOKIE = "rxa_probe=v1; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=600"
VISIBLE_COOKIE = "rxa_visible=v2; Path=/; SameSite=Lax"
COOKIE_CONF = f"""
<Location "/set-cookie.html">
    Header always add Set-Cookie "{PROBE_COOKIE}"
    Header always add Set-Cookie "{VISIBLE_COOKIE}"
</Location>
"""


def cookie_httpd(httpd_factory, **kwargs):
    """httpd (no module of ours) whose /set-cookie.html sets PROBE_COOKIE
    (HttpOnly; Secure; SameSite=Strict) and VISIBLE_COOKIE."""
    httpd = httpd_factory(module=None, **kwargs)
    httpd.write_doc("set-cookie.html", "<!DOCTYPE html><title>cookies</title>"
                                       "<p>cookies set</p>")
    return httpd.start(conf=COOKIE_CONF)


def chromium_command_line(b):
    """argv of the browser process (the Chromium without --type=)."""
    pgid = b.service.process.pid
    for pid in harness.group_members(pgid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode() for a in argv if a]
        if args and args[0] == browser_mod.CHROMIUM and not any(
                a.startswith("--type=") for a in args):
            return args
    raise AssertionError(f"no Chromium browser process in group {pgid}")


# --------------------------------------------------------------------------


def test_renders_over_https_and_http(browser, httpd_factory, workdir):
    httpd = httpd_factory(module=None)
    httpd.start()
    # A non-localhost name over TLS with our self-made certificate.
    url = httpd.https_url("/", host="rp.test")
    browser.open(url, text="rxa test index")
    assert browser.url == url and browser.title == "rxa test"
    # Plain http on localhost, and on rp.test (not upgraded to https: the
    # HTTPS-required page will be tested there).
    for url in (httpd.http_url("/"), httpd.http_url("/", host="rp.test")):
        browser.open(url, text="rxa test index")
        assert browser.url == url
    log = httpd.access_log.read_text()
    assert len(re.findall(r'"GET / HTTP/1.1" 200 .*HeadlessChrome', log)) == 3, log
    # Other names do not resolve: the browser stays off the network.
    with pytest.raises(browser_mod.WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
        browser.open("http://example.com/")

    # The command line, the fresh profile, and nothing left after quit().
    args = chromium_command_line(browser)
    for flag in browser_mod.CHROMIUM_FLAGS:
        assert flag in args
    profile = browser.tmp / "profile"
    assert f"--user-data-dir={profile}" in args and profile.is_dir()
    assert "--window-size=1280,900" in args
    assert browser.driver.execute_script("return [innerWidth, outerHeight]") == [1280, 900]
    # Nothing of /etc/chromium.d (the Debian wrapper is bypassed).
    assert not any(a.startswith(("--load-extension", "--enable-remote-extensions"))
                   for a in args)
    pgid, tmp = browser.service.process.pid, browser.tmp
    browser.quit()
    assert harness.group_members(pgid) == [], "a Chromium process outlived quit()"
    assert browser_mod.processes_using(tmp) == [], "a helper process outlived quit()"
    assert not tmp.exists(), "the profile was not removed"
    assert browser.artifacts_dir.parent == workdir
    assert (browser.artifacts_dir / "chromedriver.log").stat().st_size > 0
    browser.quit()  # idempotent (the fixture quits again)


def test_idp_interactive_login_logout_and_consent(browser, httpd_factory, idp_factory):
    httpd = httpd_factory(module=None)
    idp = idp_factory(rp=httpd, auto_login=None)
    # oidc-provider's consent page is never shown by the test IdP (consent
    # is implied); other IdPs show one: a stand-in with the same shape.
    httpd.write_doc("consent.html", "<!DOCTYPE html><title>Consent</title><ul><li>scopes"
                    "</li></ul><form action='/index.html' method='get'><input type=hidden"
                    " name=prompt value=consent><button type=submit>Continue</button></form>")
    # And a login form without a button.
    httpd.write_doc("login.html", "<!DOCTYPE html><title>Login</title><form"
                    " action='/index.html'><input name=login><input type=password"
                    " name=password></form>")
    httpd.start()
    redirect_uri = httpd.https_url("/callback", host="rp.test")
    verifier, challenge = harness.pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {
        "response_type": "code", "client_id": "public-rs256",
        "redirect_uri": redirect_uri, "scope": "openid email profile",
        "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
    }
    url = idp.endpoint("authorization") + "?" + urlencode(params)
    browser.open(url, element="input[name=login]")
    assert browser.url.startswith(idp.issuer + "/interaction/")

    # Without until=: done on the first page outside the IdP.
    final = browser.idp_sign_in("bob", "any password")
    assert final.startswith(redirect_uri + "?")
    q = browser.query()
    assert q["state"] == [state] and len(q["code"]) == 1
    assert q["iss"] == [idp.issuer]
    browser.wait_text("Not Found")  # httpd has no /callback: fine

    # The code is good: the IdP's Chromium request led to bob's tokens.
    r = requests.post(idp.endpoint("token"), timeout=10, data={
        "grant_type": "authorization_code", "code": q["code"][0],
        "redirect_uri": redirect_uri, "client_id": "public-rs256",
        "code_verifier": verifier})
    assert r.status_code == 200, r.text
    _, claims = harness.jwt_parts(r.json()["id_token"])
    assert (claims["sub"], claims["nonce"]) == ("bob", nonce)
    auth = idp.requests_log("/auth")
    assert auth and "HeadlessChrome" in auth[0]["user_agent"]

    # Signed in at the IdP now: a second authorization skips the login page.
    params["state"] = "second"
    browser.open(idp.endpoint("authorization") + "?" + urlencode(params))
    browser.idp_sign_in("ignored", until=redirect_uri)
    assert browser.query()["state"] == ["second"]

    # Logout at the IdP, confirmed on its page.
    idp.settings(auto_logout=False)
    back = httpd.https_url("/", host="rp.test")
    browser.open(idp.endpoint("end_session") + "?" + urlencode({
        "client_id": "public-rs256", "post_logout_redirect_uri": back, "state": "bye"}),
        text="sign out")
    assert browser.idp_confirm_logout(until=back) == back + "?state=bye"
    params["state"] = "third"
    browser.open(idp.endpoint("authorization") + "?" + urlencode(params),
                 element="input[name=login]")  # signed out: the login page again

    # An IdP error page fails at once, with what it said.
    params["client_id"] = "no-such-client"
    browser.open(idp.endpoint("authorization") + "?" + urlencode(params))
    with pytest.raises(browser_mod.BrowserError,
                       match=r"(?s)the IdP showed an error.*invalid_client"):
        browser.idp_sign_in(until=redirect_uri, timeout=5)

    browser.open(httpd.https_url("/consent.html", host="rp.test"), element="button")
    done = httpd.https_url("/index.html", host="rp.test")
    assert browser.idp_sign_in(until=done) == done + "?prompt=consent"
    assert browser.text() == "rxa test index"
    browser.open(httpd.https_url("/login.html", host="rp.test"), element="form")
    assert browser.idp_sign_in("carol", "pw", until=done) == done + "?login=carol&password=pw"


def test_cookies_with_attributes_via_cdp(browser, httpd_factory):
    httpd = cookie_httpd(httpd_factory)
    browser.open(httpd.https_url("/set-cookie.html", host="rp.test"), text="cookies set")

    c = browser.cookie("rxa_probe")
    assert (c["value"], c["domain"], c["path"]) == ("v1", "rp.test", "/")
    assert c["httpOnly"] and c["secure"] and c["sameSite"] == "Strict"
    assert not c["session"] and 590 < cookie_lifetime(c) <= 600

    v = browser.cookie("rxa_visible", domain="rp.test")
    assert v["value"] == "v2" and v["sameSite"] == "Lax"
    assert not v["httpOnly"] and not v["secure"]
    assert v["session"] and cookie_lifetime(v) is None

    # Scripts see only the one that is not HttpOnly.
    assert browser.document_cookie() == "rxa_visible=v2"
    assert browser.cookies(domain="localhost") == []
    browser.clear_cookies()
    assert browser.cookies() == []


def test_tabs_share_cookies_and_local_storage(browser, httpd_factory):
    httpd = cookie_httpd(httpd_factory, cgi=True)
    first = browser.tab
    browser.open(httpd.https_url("/set-cookie.html", host="rp.test"), text="cookies set")
    browser.local_storage_set("rxa-flag", "signed-in")
    assert browser.local_storage_get("rxa-flag") == "signed-in"

    second = browser.new_tab(httpd.https_url("/cgi-bin/env", host="rp.test"),
                             text="HTTP_COOKIE")
    assert browser.tabs == [first, second] and browser.tab == second
    env = json.loads(browser.find("pre").text if browser.find_all("pre") else browser.text())
    cookies = sorted(env["HTTP_COOKIE"].split("; "))
    assert cookies == ["rxa_probe=v1", "rxa_visible=v2"]  # the Strict one too
    assert browser.local_storage() == {"rxa-flag": "signed-in"}

    # Other origins have their own storage; the first tab sees changes.
    browser.open(httpd.https_url("/", host="localhost"), text="rxa test index")
    assert browser.local_storage() == {}
    browser.open(httpd.https_url("/", host="rp.test"), text="rxa test index")
    browser.local_storage_remove("rxa-flag")
    browser.switch_to(first)
    assert browser.local_storage_get("rxa-flag") is None
    browser.close_tab(second)
    assert browser.tabs == [first] and browser.tab == first


def test_fetch_console_and_artifacts(browser, httpd_factory, tmp_path):
    httpd = httpd_factory(module=None)
    httpd.write_doc("page.html", "<!DOCTYPE html><title>page</title><p>hello page</p>"
                                 "<script>console.error('rxa console probe')</script>")
    httpd.start()
    browser.open(httpd.https_url("/page.html", host="rp.test"), text="hello page")
    r = browser.fetch("/index.html")
    assert r["status"] == 200 and "rxa test index" in r["body"]
    assert r["headers"]["content-type"].startswith("text/html")
    assert browser.fetch("/nope")["status"] == 404
    assert "error" in browser.fetch("https://rp.test:1/")  # network error
    assert any("rxa console probe" in e["message"] for e in browser.console_log())

    browser.new_tab(httpd.https_url("/", host="rp.test"), text="rxa test index")
    saved = {p.name: p for p in browser.save_artifacts(tmp_path)}
    assert sorted(saved) == ["failure-console.log", "failure-cookies.json",
                             "failure-tab1.html", "failure-tab1.png",
                             "failure-tab2.html", "failure-tab2.png"]
    assert saved["failure-tab1.png"].read_bytes().startswith(b"\x89PNG")
    assert "hello page" in saved["failure-tab1.html"].read_text()
    assert "rxa console probe" in saved["failure-console.log"].read_text()
    assert browser.text().startswith("rxa test index")  # still on tab 2


def test_javascript_off_and_separate_profiles(browser_factory, httpd_factory):
    httpd = cookie_httpd(httpd_factory)
    httpd.write_doc("js.html", "<!DOCTYPE html><title>js</title><p id=p>static</p>"
                               "<noscript><p>no script here</p></noscript>"
                               "<script>document.getElementById('p').textContent"
                               " = 'scripted'</script>")
    one = browser_factory()
    two = browser_factory(javascript=False)
    one.open(httpd.https_url("/js.html", host="rp.test"), text="scripted")
    two.open(httpd.https_url("/js.html", host="rp.test"), text="no script here")
    assert "static" in two.text()
    one.open(httpd.https_url("/set-cookie.html", host="rp.test"), text="cookies set")
    assert one.cookie("rxa_probe") and two.cookies() == []


def test_failing_test_keeps_artifacts(tmp_path):
    """A failing test's report names a screenshot, the page source and the
    console log in its kept work directory (a pytest sub-run)."""
    if browser_mod.browser_prerequisites():
        harness.unavailable(browser_mod.browser_prerequisites())
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import importlib.util, sys
        sys.path.insert(0, {str(HERE)!r})
        spec = importlib.util.spec_from_file_location("rxa_browser_conftest",
                                                      {str(HERE / "conftest.py")!r})
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        globals().update((k, v) for k, v in vars(mod).items() if not k.startswith("__"))
    """))
    (tmp_path / "test_fails.py").write_text(textwrap.dedent("""
        def test_fails(browser):
            browser.open("data:text/html,<title>t</title><p>failing page</p>"
                         "<script>console.error('console before failure')</script>",
                         text="failing page")
            assert False, "deliberate failure"
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "RXA_KEEP_TMP")}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env=env, check=False)
    out = res.stdout + res.stderr
    kept = re.search(r"^kept (/tmp/rxa-test-\S+)$", out, re.M)
    try:
        assert res.returncode == 1 and "deliberate failure" in out, out
        m = re.search(r"browser 1 artifacts -+\nsaved in (\S+):", out)
        assert m, out
        where = Path(m.group(1))
        assert kept and where.is_relative_to(kept.group(1)), out
        assert (where / "failure-tab1.png").read_bytes().startswith(b"\x89PNG")
        assert "failing page" in (where / "failure-tab1.html").read_text()
        assert "console before failure" in (where / "failure-console.log").read_text()
        assert (where.parent / "chromedriver.log").is_file()
    finally:
        if kept:
            shutil.rmtree(kept.group(1), ignore_errors=True)


def test_missing_browser_skips_or_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_mod, "SELENIUM_ERROR", None)
    monkeypatch.setattr(browser_mod, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium .* is not installed"):
        Browser(tmp_path).start()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="is not installed"):
        Browser(tmp_path).start()
    monkeypatch.setattr(browser_mod, "CHROMIUM", "/bin/true")
    monkeypatch.setattr(browser_mod, "CHROMEDRIVER", str(tmp_path / "chromedriver"))
    with pytest.raises(pytest.fail.Exception, match="chromium-driver"):
        Browser(tmp_path).start()
    monkeypatch.setattr(browser_mod, "SELENIUM_ERROR", ImportError("no selenium"))
    with pytest.raises(pytest.fail.Exception, match="python3-selenium"):
        Browser(tmp_path).start()
