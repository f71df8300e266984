"""Browser-test helpers: a real headless Chromium driven by Selenium.

Debian's packages only (chromium, chromium-driver, python3-selenium); nothing
is fetched at run time: the driver is /usr/bin/chromedriver, given to
Selenium explicitly so its Selenium Manager never runs, and Chromium runs
with background networking, component updates and sync off.

Chromium is started without Debian's /usr/bin/chromium wrapper, whose
/etc/chromium.d snippets add flags and environment of their own (extensions,
API keys); its user data dir and $HOME are a fresh temporary directory,
removed at quit(). rp.test and every *.test name resolve to 127.0.0.1 in the
browser and no other name but localhost resolves (--host-resolver-rules),
and the self-made test certificate is accepted (--ignore-certificate-errors),
so tests reach the harness's httpd as https://rp.test:PORT/ with a real
non-localhost origin, and the browser reaches nothing off the machine.

Use it through the `browser` / `browser_factory` fixtures in conftest.py,
which quit Chromium whatever happens and save a screenshot, the page source
and the console log of a failing test into its kept work directory.
"""

import json
import os
import shutil
import signal
import tempfile
import time
import urllib.parse
from pathlib import Path

import harness
from harness import HarnessError

try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoSuchElementException,
                                            StaleElementReferenceException,
                                            WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.command import Command
    SELENIUM_ERROR = None
except ImportError as e:  # reported by browser_prerequisites()
    SELENIUM_ERROR = e

CHROMIUM = os.environ.get("RXA_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMEDRIVER = os.environ.get("RXA_CHROMEDRIVER", "/usr/bin/chromedriver")

# The fixed part of Chromium's command line (the fixture adds
# --user-data-dir and --window-size; see Browser.arguments()).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # rp.test and *.test reach loopback; every other name except localhost
    # fails to resolve, which keeps the browser's own background requests
    # (update.googleapis.com, accounts.google.com, clients2.google.com/time,
    # the default search engine: all seen in a net log despite the
    # --disable-* switches) off the network.
    "--host-resolver-rules=MAP rp.test 127.0.0.1, MAP *.test 127.0.0.1, "
    "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--ignore-certificate-errors",  # the harness's self-made certificate
)
# Chromium crashes when /dev/shm is too small for its shared memory (Docker's
# default is 64 MiB); Debian's wrapper adds this flag then, and so do we.
SMALL_SHM = 1 << 30

WINDOW_SIZE = (1280, 900)
PAGE_LOAD_TIMEOUT = 20.0  # seconds for driver.get() and navigations
SCRIPT_TIMEOUT = 15.0  # execute_async_script (fetch())
WAIT_TIMEOUT = 10.0  # default of the wait_* helpers
POLL = 0.05

# Labels of the buttons that grant consent at an IdP (oidc-provider's
# devInteractions says "Continue"; others say "Authorize", "Allow", "Accept").
CONSENT_LABELS = ("Continue", "Authorize", "Allow", "Accept", "Yes")


class BrowserError(HarnessError):
    """The browser did not get where a test expected it to."""


def browser_prerequisites():
    """None when a browser can run, else the reason it cannot."""
    if SELENIUM_ERROR is not None:
        return f"python3-selenium is not installed ({SELENIUM_ERROR})"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium ({CHROMIUM}) is not installed: apt-get install chromium"
    if not os.access(CHROMEDRIVER, os.X_OK):
        return (f"chromedriver ({CHROMEDRIVER}) is not installed: "
                "apt-get install chromium-driver")
    return None


def _shm_is_small():
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return True
    return st.f_bavail * st.f_frsize < SMALL_SHM


def processes_using(path):
    """Live processes whose command line mentions path (a profile dir)."""
    needle = str(path).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if needle in cmdline and stat[stat.rindex(")") + 2] != "Z":
            found.append(int(entry))
    return found


def query_params(url):
    """The query of url as {name: [values]} (blank values kept)."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def origin(url):
    s = urllib.parse.urlsplit(url)
    return f"{s.scheme}://{s.netloc}"


def cookie_lifetime(cookie, now=None):
    """Seconds a CDP cookie has left, or None for a session cookie."""
    if cookie.get("session") or cookie.get("expires", -1) < 0:
        return None
    return cookie["expires"] - (time.time() if now is None else now)


class Browser:
    """One headless Chromium (one profile, any number of tabs).

    Browser(artifacts_dir).start() ... quit(); or `with Browser(d) as b:`.
    artifacts_dir holds chromedriver.log and, from save_artifacts(), the
    failure evidence. javascript=False starts it with JavaScript disabled
    (the pages' <noscript> paths). The Selenium driver is .driver for
    anything the helpers do not cover.
    """

    def __init__(self, artifacts_dir=None, *, window_size=WINDOW_SIZE,
                 page_load_timeout=PAGE_LOAD_TIMEOUT, wait_timeout=WAIT_TIMEOUT,
                 javascript=True, extra_args=()):
        self.artifacts_dir = Path(artifacts_dir) if artifacts_dir else None
        self.window_size = window_size
        self.page_load_timeout = page_load_timeout
        self.wait_timeout = wait_timeout
        self.javascript = javascript
        self.extra_args = tuple(extra_args)
        self.driver = None
        self.service = None
        self.tmp = None  # user data dir + $HOME, removed at quit()
        self._console = []

    # -- process -------------------------------------------------------------

    def arguments(self):
        """Chromium's command-line switches (chromedriver adds its own
        automation switches, e.g. --remote-debugging-port)."""
        args = list(CHROMIUM_FLAGS)
        args.append(f"--user-data-dir={self.tmp / 'profile'}")
        args.append("--window-size={},{}".format(*self.window_size))
        if _shm_is_small():
            args.append("--disable-dev-shm-usage")
        args += self.extra_args
        return args

    def _environment(self):
        # Chromium reads proxy settings from the environment, which would
        # send rp.test to a developer's proxy; it gets a clean one instead.
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.tmp / "home"),
               "LANG": "C.UTF-8"}
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        return env

    def start(self):
        reason = browser_prerequisites()
        if reason:
            harness.unavailable(reason)
        if self.driver is not None:
            raise BrowserError("the browser is already running")
        self.tmp = Path(tempfile.mkdtemp(prefix="rxa-chrome-"))
        (self.tmp / "home").mkdir()
        if self.artifacts_dir:
            self.artifacts_dir.mkdir(parents=True, exist_ok=True)
            log = self.artifacts_dir / "chromedriver.log"
        else:
            log = self.tmp / "chromedriver.log"
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in self.arguments():
            options.add_argument(a)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # No speculative preconnects: an opened but unused TLS connection
        # holds an httpd worker in its first read until Timeout, and
        # stopping that httpd then stalls 10 s (AH00045/AH00046 in its log).
        prefs = {"net.network_prediction_options": 2}
        if not self.javascript:
            prefs["profile.managed_default_content_settings.javascript"] = 2
        options.add_experimental_option("prefs", prefs)
        # An explicit driver path: Selenium Manager (which would download a
        # driver) only runs when the executable is not found. Its own
        # process group lets quit() reap every Chromium process it started.
        self.service = Service(CHROMEDRIVER, service_args=[f"--log-path={log}"],
                               env=self._environment(),
                               popen_kw={"start_new_session": True})
        try:
            self.driver = webdriver.Chrome(service=self.service, options=options)
            self.driver.set_page_load_timeout(self.page_load_timeout)
            self.driver.set_script_timeout(SCRIPT_TIMEOUT)
        except BaseException:
            self.quit()
            raise
        return self

    def quit(self):
        """Close the browser and chromedriver; remove the profile. Idempotent."""
        driver, self.driver = self.driver, None
        if driver is not None:
            try:
                self._drain_console(driver)
                # The session's end closes Chromium; driver.quit() would then
                # poll chromedriver's /shutdown in 1 s steps, so it is
                # stopped below instead.
                driver.execute(Command.QUIT)
            except Exception:  # a dead driver: the group is killed below
                pass
        proc = getattr(self.service, "process", None)
        if proc is not None:
            harness.stop_process(proc, timeout=5)  # and whatever is left in its group
            self.service.process = None  # nothing left for Service.__del__ to stop
        self.service = None
        if self.tmp is not None:
            # chrome_crashpad_handler daemonizes out of the group; it exits
            # when the browser has gone, and must not outlive the profile.
            try:
                harness.wait_until(lambda: not processes_using(self.tmp), 5,
                                   "the browser's helper processes to exit")
            except HarnessError:
                for pid in processes_using(self.tmp):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    @property
    def running(self):
        return self.driver is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.quit()

    # -- waiting ----------------------------------------------------------------

    def describe(self, chars=1500):
        """Where the browser is: URL, title and the start of the visible text."""
        try:
            text = self.driver.execute_script(
                "return document.body ? document.body.innerText : ''") or ""
            return (f"at {self.driver.current_url} (title {self.driver.title!r}); "
                    f"page text:\n{text[:chars]}")
        except Exception as e:  # describing must not hide the real failure
            return f"(cannot describe the page: {e})"

    def wait(self, predicate, what, timeout=None):
        """Poll predicate() until it returns a true value, which is returned.

        Elements vanishing mid-poll (navigation) count as "not yet". On
        timeout: BrowserError naming what, with describe().
        """
        timeout = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = predicate()
            except (NoSuchElementException, StaleElementReferenceException):
                value = None
            if value:
                return value
            if time.monotonic() >= deadline:
                raise BrowserError(f"timed out after {timeout:g}s waiting for {what}; "
                                   f"{self.describe()}")
            time.sleep(POLL)

    def wait_url(self, prefix, timeout=None):
        """Wait until the current URL starts with prefix; returns the URL."""
        return self.wait(lambda: self.driver.current_url.startswith(prefix)
                         and self.driver.current_url, f"a URL starting with {prefix}", timeout)

    def wait_element(self, css, timeout=None):
        """Wait until an element matching the CSS selector is present."""
        return self.wait(lambda: self.driver.find_element(By.CSS_SELECTOR, css),
                         f"an element {css!r}", timeout)

    def wait_text(self, text, timeout=None):
        """Wait until the page's visible text contains text."""
        return self.wait(lambda: text in self.text(), f"the text {text!r}", timeout)

    def wait_loaded(self, timeout=None):
        return self.wait(lambda: self.driver.execute_script(
            "return document.readyState") == "complete", "the page to load", timeout)

    # -- navigation ---------------------------------------------------------------

    def open(self, url, *, url_prefix=None, element=None, text=None, timeout=None):
        """Navigate to url (like typing it: a same-site navigation), then
        wait for each condition given: the URL starting with url_prefix, an
        element matching the CSS selector element, the visible text text.
        Returns self."""
        self.driver.get(url)
        if url_prefix is not None:
            self.wait_url(url_prefix, timeout)
        if element is not None:
            self.wait_element(element, timeout)
        if text is not None:
            self.wait_text(text, timeout)
        return self

    def reload(self):
        self.driver.refresh()
        return self

    @property
    def url(self):
        return self.driver.current_url

    def query(self):
        """The current URL's query as {name: [values]}."""
        return query_params(self.driver.current_url)

    @property
    def title(self):
        return self.driver.title

    @property
    def source(self):
        return self.driver.page_source

    def text(self):
        """The visible text of the page."""
        return self.driver.execute_script(
            "return document.body ? document.body.innerText : ''") or ""

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click_and_wait(self, element, timeout=None):
        """Click element and wait until its page has gone (a navigation)."""
        element.click()
        self.wait(lambda: self._is_stale(element), "the page to change after a click", timeout)

    @staticmethod
    def _is_stale(element):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True

    # -- the IdP's pages ------------------------------------------------------------

    def _consent_button(self):
        for b in self.find_all("button, input[type=submit]"):
            label = (b.text or b.get_attribute("value") or "").strip()
            if label in CONSENT_LABELS and b.is_displayed():
                return b
        return None

    def idp_sign_in(self, login="alice", password="password", until=None, timeout=None):
        """Sign in through the IdP's own pages, as a person would.

        Starting anywhere in the flow (the browser was sent to the
        authorization endpoint): fills oidc-provider's devInteractions login
        form (any login name; any password) and submits it, clicks through a
        consent page (CONSENT_LABELS) if one appears, and returns the URL
        the browser ends on: the first starting with until, or (until None)
        the first outside the IdP's origin. An IdP error page fails at once.
        """
        timeout = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        idp_origin = None
        while True:
            url = self.driver.current_url
            if until is not None and url.startswith(until):
                return url
            if (until is None and idp_origin is not None and origin(url) != idp_origin
                    and not url.startswith("about:") and self._loaded()):
                return url
            try:
                if self.find_all("pre#error") and "IdP error" in self.driver.title:
                    raise BrowserError(f"the IdP showed an error: {self.describe()}")
                fields = self.find_all("input[name=login]")
                if fields:
                    idp_origin = idp_origin or origin(url)
                    fields[0].clear()
                    fields[0].send_keys(login)
                    pw = self.find("input[name=password]")
                    pw.clear()
                    pw.send_keys(password)
                    submit = fields[0].find_elements(
                        By.XPATH, "ancestor::form//*[@type='submit']")
                    if submit:
                        self.click_and_wait(submit[0], timeout)
                    else:  # no button: submit the form as Enter would
                        self.driver.execute_script(
                            "arguments[0].form.requestSubmit()", pw)
                        self.wait(lambda: self._is_stale(pw), "the login form to go", timeout)
                    continue
                button = self._consent_button()
                if button is not None:
                    idp_origin = idp_origin or origin(url)
                    self.click_and_wait(button, timeout)
                    continue
            except (NoSuchElementException, StaleElementReferenceException):
                pass  # the page changed under us: look again
            if time.monotonic() >= deadline:
                goal = until or "a page outside the IdP after its login form"
                raise BrowserError(f"timed out after {timeout:g}s signing in at the IdP "
                                   f"(waiting for {goal}); {self.describe()}")
            time.sleep(POLL)

    def idp_confirm_logout(self, until, timeout=None):
        """After a redirect to the IdP's end_session_endpoint: confirm on its
        "Do you want to sign out?" page (shown when the IdP runs with
        auto_logout=False; otherwise it submits itself) and wait for a URL
        starting with until (the post_logout_redirect_uri). Returns it."""
        def step():
            if self.driver.current_url.startswith(until):
                return self.driver.current_url
            buttons = self.find_all("#logout-yes")
            if buttons:
                self.click_and_wait(buttons[0], timeout)
            return None
        return self.wait(step, f"the IdP's logout to end at {until}", timeout)

    def _loaded(self):
        try:
            return self.driver.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False

    # -- cookies (CDP: every cookie of the profile, HttpOnly ones included) ----------

    def cookies(self, name=None, domain=None):
        """Every cookie the browser holds, as Chrome DevTools Protocol dicts:
        name, value, domain, path, expires (epoch seconds, -1 for a session
        cookie), httpOnly, secure, session, sameSite ("Strict", "Lax",
        "None"; absent when the cookie did not say), size, ...
        Optionally only those with this name and/or domain (host)."""
        try:
            found = self.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
        except WebDriverException:  # a Chromium that dropped the old command
            found = self.driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]
        return [c for c in found
                if (name is None or c["name"] == name)
                and (domain is None or c["domain"].lstrip(".") == domain.lstrip("."))]

    def cookie(self, name, domain=None):
        """The one cookie called name (and on domain), or None."""
        found = self.cookies(name, domain)
        if len(found) > 1:
            raise BrowserError(f"{len(found)} cookies named {name!r}: "
                               f"{[(c['domain'], c['path']) for c in found]}")
        return found[0] if found else None

    def clear_cookies(self):
        """Remove every cookie of the profile (all sites)."""
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})

    def document_cookie(self):
        """What the page's scripts see (HttpOnly cookies are not there)."""
        return self.driver.execute_script("return document.cookie")

    # -- tabs ------------------------------------------------------------------------

    @property
    def tabs(self):
        """Handles of the open tabs, in opening order."""
        return list(self.driver.window_handles)

    @property
    def tab(self):
        """The handle of the current tab."""
        return self.driver.current_window_handle

    def new_tab(self, url=None, **wait):
        """Open a tab of the same profile (cookies and storage shared),
        switch to it, optionally open url (wait as for open()); returns its
        handle."""
        self.driver.switch_to.new_window("tab")
        if url is not None:
            self.open(url, **wait)
        return self.driver.current_window_handle

    def switch_to(self, handle):
        self.driver.switch_to.window(handle)
        return self

    def close_tab(self, handle=None):
        """Close a tab (default: the current one) and switch to the first."""
        if handle is not None:
            self.switch_to(handle)
        self.driver.close()
        self.driver.switch_to.window(self.driver.window_handles[0])
        return self

    # -- storage and scripts ---------------------------------------------------------

    def local_storage(self):
        """The current origin's localStorage as a dict."""
        return self.driver.execute_script(
            "const o = {}; for (let i = 0; i < localStorage.length; i++) {"
            " const k = localStorage.key(i); o[k] = localStorage.getItem(k); } return o;")

    def local_storage_get(self, key):
        return self.driver.execute_script("return localStorage.getItem(arguments[0])", key)

    def local_storage_set(self, key, value):
        self.driver.execute_script("localStorage.setItem(arguments[0], arguments[1])",
                                   key, value)

    def local_storage_remove(self, key):
        self.driver.execute_script("localStorage.removeItem(arguments[0])", key)

    def fetch(self, url, method="GET", headers=None, body=None, credentials="include"):
        """fetch() from the current page (a script's request: Sec-Fetch-Mode
        cors, not navigate). Returns {"status", "url", "redirected",
        "headers" (lower-cased names), "body"} or {"error": text}."""
        return self.driver.execute_async_script("""
            const [url, init, done] = arguments;
            fetch(url, init).then(async (r) => done({
                status: r.status, url: r.url, redirected: r.redirected,
                headers: Object.fromEntries(r.headers.entries()), body: await r.text()}),
              (e) => done({error: String(e)}));
        """, url, {"method": method, "headers": headers or {}, "body": body,
                   "credentials": credentials})

    # -- diagnostics -------------------------------------------------------------------

    def _drain_console(self, driver=None):
        driver = driver or self.driver
        try:
            self._console += driver.get_log("browser")
        except Exception:  # not supported, or the browser is gone
            pass

    def console_log(self):
        """Every console message and page error so far: dicts with level,
        message, source, timestamp (ms)."""
        if self.driver is not None:
            self._drain_console()
        return list(self._console)

    def save_artifacts(self, directory=None, prefix="failure"):
        """Screenshot and page source of every tab, the console log and the
        cookies, into directory (default artifacts_dir). Returns the paths;
        never raises (a failure report must not hide the failure)."""
        directory = Path(directory or self.artifacts_dir or tempfile.mkdtemp(prefix="rxa-browser-"))
        directory.mkdir(parents=True, exist_ok=True)
        saved = []
        notes = []
        if self.driver is None:
            return saved
        try:
            current = self.driver.current_window_handle
        except Exception:
            current = None
        try:
            handles = self.driver.window_handles
        except Exception as e:
            handles = []
            notes.append(f"no window handles: {e}")
        for i, handle in enumerate(handles, 1):
            try:
                self.driver.switch_to.window(handle)
                shot = directory / f"{prefix}-tab{i}.png"
                if self.driver.save_screenshot(str(shot)):
                    saved.append(shot)
                page = directory / f"{prefix}-tab{i}.html"
                page.write_text(f"<!-- {self.driver.current_url} -->\n{self.driver.page_source}")
                saved.append(page)
            except Exception as e:
                notes.append(f"tab {i}: {e}")
        if current is not None:
            try:
                self.driver.switch_to.window(current)
            except Exception:
                pass
        console = directory / f"{prefix}-console.log"
        lines = [f"{e.get('timestamp')} {e.get('level')} {e.get('source', '')}: "
                 f"{e.get('message')}" for e in self.console_log()]
        console.write_text("\n".join(lines + notes) + "\n")
        saved.append(console)
        try:
            cookies = directory / f"{prefix}-cookies.json"
            cookies.write_text(json.dumps(self.cookies(), indent=2))
            saved.append(cookies)
        except Exception:
            pass
        return saved
