"""The module's pages: the CSP nonce fails closed; the default templates
and the tab-sync script as served."""

import re

from harness import COOKIE_SECRET, REPO, build_shim

# Makes RAND_bytes fail for 16-byte draws (a CSP nonce's size) while the
# file named by RXA_TEST_RAND_FAIL exists; every other call goes through.
RAND_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

int RAND_bytes(unsigned char *buf, int num);
int RAND_bytes(unsigned char *buf, int num)
{
    static int (*real)(unsigned char *, int);
    const char *flag = getenv("RXA_TEST_RAND_FAIL");

    if (num == 16 && flag && access(flag, F_OK) == 0)
        return 0;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "RAND_bytes");
    return real(buf, num);
}
"""


def rand_shim(workdir):
    return build_shim(workdir, "rand_shim", RAND_SHIM)


def test_failed_nonce_draw_sends_no_page(httpd_factory, idp_factory, http_session, workdir):
    """No page goes out with a broken nonce: a plain 500 and a tagged line."""
    httpd = httpd_factory()
    httpd.write_file(httpd.root / "login.html",
                     "<!DOCTYPE html><title>Our login</title>{{providers}}\n"
                     "<script nonce=\"{{csp_nonce}}\">var ok = 1;</script>\n")
    idp = idp_factory(rp=httpd)
    flag = workdir / "rand-fails"
    httpd.expect_log(r"RXA00180: ", min_count=2, max_count=2)
    httpd.start(conf="ReflexAuthPage login ${TEST_ROOT}/login.html\n",
                env={**idp.env("public-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET,
                     "LD_PRELOAD": rand_shim(workdir), "RXA_TEST_RAND_FAIL": flag})
    url = httpd.http_url("/login?redirect_to=%2Fx")
    r = http_session.get(url)
    assert r.status_code == 200 and "Login with Generic" in r.text
    nonce = re.search(r'<script nonce="([^"]+)">', r.text).group(1)
    assert "script-src 'nonce-%s'" % nonce in r.headers["Content-Security-Policy"]
    flag.write_text("")
    for _ in range(2):
        r = http_session.get(url)
        assert r.status_code == 500, (r.status_code, r.text[:400])
        assert "nonce" not in r.text and "Login with" not in r.text
        assert "nonce" not in r.headers.get("Content-Security-Policy", "")
    flag.unlink()
    assert http_session.get(url).status_code == 200


def test_sync_script_margin_is_the_servers(httpd_factory, idp_factory, http_session):
    """The tab-sync script refreshes as early as the server does: its margin
    is the server's RXA_REFRESH_MARGIN, every use of it goes through that
    one value."""
    header = (REPO / "src" / "mod_reflex_auth.h").read_text()
    margin = re.search(r"^#define RXA_REFRESH_MARGIN (\d+)\s*$", header, re.M).group(1)
    httpd = httpd_factory()
    idp = idp_factory(rp=httpd)
    httpd.start(conf="", env={**idp.env("public-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET})
    r = http_session.get(httpd.http_url("/_reflex/cookies/sync.js"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
    assert int(r.headers["Content-Length"]) == len(r.content)
    script = r.text
    assert re.findall(r"\bvar MARGIN = (\w+);", script) == [margin]
    assert "@" not in script
    uses = re.findall(r"\b(?:at|seen\.e|expires) - (\w+)", script)
    assert len(uses) == 3 and set(uses) == {"MARGIN"}, uses
