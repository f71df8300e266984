"""Library calls that fail inside the module: the answer is the one without
the failure, or a plain 500 with a tagged line, never a crashed child.

Each test preloads a shim built for it that makes one library call fail
only when mod_reflex_auth.so makes it (the caller's return address is in
the module), so httpd and its other modules are unaffected; every other call
goes to the real function."""

import re
import time

from harness import COOKIE_SECRET, build_shim
from test_refresh import HTML, conf, refreshes, sign_in

# apr_thread_mutex_create and apr_thread_cond_create fail (APR_ENOMEM) when
# the module calls them in a process other than the one that loaded the
# shim: httpd's children, not the parent that forked them.
LOCK_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static pid_t parent;

__attribute__((constructor)) static void remember_parent(void)
{
    parent = getpid();
}

static int from_module_in_child(void *caller)
{
    Dl_info info;

    return getpid() != parent && dladdr(caller, &info) && info.dli_fname
           && strstr(info.dli_fname, "mod_reflex_auth");
}

int apr_thread_mutex_create(void **mutex, unsigned int flags, void *pool);
int apr_thread_mutex_create(void **mutex, unsigned int flags, void *pool)
{
    static int (*real)(void **, unsigned int, void *);

    if (from_module_in_child(__builtin_return_address(0)))
        return ENOMEM;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "apr_thread_mutex_create");
    return real(mutex, flags, pool);
}

int apr_thread_cond_create(void **cond, void *pool);
int apr_thread_cond_create(void **cond, void *pool)
{
    static int (*real)(void **, void *);

    if (from_module_in_child(__builtin_return_address(0)))
        return ENOMEM;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "apr_thread_cond_create");
    return real(cond, pool);
}
"""

# json_dumps returns NULL when the module calls it while the file named by
# RXA_TEST_JSON_FAIL exists.
JSON_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *json_dumps(const void *json, size_t flags);
char *json_dumps(const void *json, size_t flags)
{
    static char *(*real)(const void *, size_t);
    const char *flag = getenv("RXA_TEST_JSON_FAIL");
    Dl_info info;

    if (flag && access(flag, F_OK) == 0
        && dladdr(__builtin_return_address(0), &info) && info.dli_fname
        && strstr(info.dli_fname, "mod_reflex_auth"))
        return NULL;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "json_dumps");
    return real(json, flags);
}
"""

# Each child logs these once at its start when its locks cannot be made:
# the refresh table, the userinfo cache, the verified-session cache, the
# background fetcher, the verified bearer-token cache (warnings); the back-channel logout's table of jtis
# seen and the shared cache's background thread (errors: without them
# logout tokens are refused while the cache is down, and the cache counts
# as down in that child).
CHILD_START_TAGS = ("RXA00140", "RXA00141", "RXA00103", "RXA00104", "RXA00312")
CHILD_START_ERRORS = ("RXA00240", "RXA00235")


def test_refresh_without_its_lock_still_refreshes(httpd_factory, idp_factory, http_session,
                                                  workdir):
    """A child whose refresh lock, condition or pool cannot be made refreshes
    without coalescing: the request that needs a refresh gets its page and
    the refreshed cookies."""
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd, ttl={"AccessToken": 3})
    for tag in CHILD_START_TAGS:
        httpd.expect_log(r"\[reflex_auth:warn\].*%s: " % tag, min_count=1)
    for tag in CHILD_START_ERRORS:
        httpd.expect_log(r"\[reflex_auth:error\].*%s: " % tag, min_count=1)
    httpd.start(conf=conf("offline_access"),
                env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET,
                     "LD_PRELOAD": build_shim(workdir, "lock_shim", LOCK_SHIM)})
    sign_in(http_session, httpd)
    time.sleep(3.5)                          # the access token has expired
    r = http_session.get(httpd.https_url("/private/"), headers=HTML, allow_redirects=False)
    assert r.status_code == 200 and "private" in r.text, (r.status_code, r.text[:400])
    assert len(refreshes(idp)) == 1
    sent = [c for c in r.raw.headers.getlist("Set-Cookie")
            if c.startswith("__Host-reflex_generic_")]
    assert len(sent) == 4                    # re-issued
    # every child that started says so once per cache, and no child other
    # than one that started does
    pids = {tag: re.findall(r"\[pid (\d+):[^]]*\].*%s: " % tag, httpd.log_text())
            for tag in CHILD_START_TAGS + CHILD_START_ERRORS}
    for tag in CHILD_START_TAGS + CHILD_START_ERRORS:
        assert sorted(pids[tag]) == sorted(set(pids[tag])) == sorted(set(pids["RXA00140"])), \
            pids


def test_unmade_json_bodies_answer_500(httpd_factory, idp_factory, http_session, workdir):
    """A 401 body or a sync answer whose JSON cannot be made is a plain 500
    with a tagged line, not an empty 401 or a crashed child."""
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    idp = idp_factory(rp=httpd)
    flag = workdir / "json-fails"
    httpd.expect_log(r"\[reflex_auth:error\].*RXA00143: ", min_count=2, max_count=2)
    httpd.expect_log(r"\[reflex_auth:error\].*RXA00144: ", min_count=2, max_count=2)
    httpd.start(conf=conf("offline_access"),
                env={**idp.env("basic-rs256"), "OIDC_COOKIE_SECRET": COOKIE_SECRET,
                     "LD_PRELOAD": build_shim(workdir, "json_shim", JSON_SHIM),
                     "RXA_TEST_JSON_FAIL": flag})
    private = httpd.https_url("/private/")
    sync = httpd.https_url("/_reflex/cookies/sync")
    origin = {"Origin": httpd.https_url("").rstrip("/")}
    api = {"Accept": "application/json"}

    r = http_session.get(private, headers=api, allow_redirects=False)
    assert r.status_code == 401 and r.json()["authenticated"] is False
    r = http_session.post(sync, headers=origin)
    assert r.status_code == 401 and r.json() == {"authenticated": False}
    flag.write_text("")
    for _ in range(2):
        r = http_session.get(private, headers=api, allow_redirects=False)
        assert r.status_code == 500, (r.status_code, r.text[:400])
        assert "login_url" not in r.text
        r = http_session.post(sync, headers=origin)
        assert r.status_code == 500, (r.status_code, r.text[:400])
        assert "authenticated" not in r.text
    flag.unlink()
    r = http_session.get(private, headers=api, allow_redirects=False)
    assert r.status_code == 401 and r.json()["authenticated"] is False
    assert http_session.post(sync, headers=origin).status_code == 401
