/* Unit tests: redirect_to (rxa_redirect.h), hostile inputs and the
 * published open-redirect payloads included. */
#include "rxa_test.h"
#include "rxa_query.h"
#include "rxa_redirect.h"
#include "rxa_redirect_test.h"

#define APP "https://app.example.com"

static const char *san(const char *value, const char *origin,
                       const char **reason)
{
    return rxa_redirect_to_sanitize(rxa_test_pool, value, origin, reason);
}

START_TEST(redirect_kept)
{
    static const struct { const char *in, *out; } cases[] = {
        { "/", "/" },
        { "/app", "/app" },
        { "/app/page?x=1&y=2", "/app/page?x=1&y=2" },
        { "/a%20b", "/a%20b" },
        { "/search?q=a%2Fb", "/search?q=a%2Fb" },
        { "/files/a%2Fb", "/files/a%2Fb" },
        { "/x#frag", "/x#frag" },
        { "/x?next=https://other.example/", "/x?next=https://other.example/" },
        { "/x?a=//b", "/x?a=//b" },
        { "/a/../b", "/a/../b" },
        { "/100%25", "/100%25" },
        { "/100%", "/100%25" },
        { "/%zz", "/%25zz" },
        { "/%4", "/%254" },
        { "/a'b\"<>{}|^`[]", "/a%27b%22%3C%3E%7B%7D%7C%5E%60%5B%5D" },
        { "/\xc3\xa9t\xc3\xa9", "/%C3%A9t%C3%A9" },
        { "/\xe3\x80\xb1google.com", "/%E3%80%B1google.com" },
        { "/javascript:alert(1)", "/javascript:alert(1)" },
        { "/;@evil", "/;@evil" },
        /* Four decodings are fine ("%25252541" -> "%252541" -> "%2541"
         * -> "%41" -> "A"). */
        { "/%25252541", "/%25252541" },
        /* Absolute URLs on the expected origin become their path. */
        { APP "/x?y=1#z", "/x?y=1#z" },
        { "HTTPS://APP.Example.COM:443/x", "/x" },
        { APP, "/" },
        { APP "?x=1", "/?x=1" },
        { APP "#f", "/#f" },
        { "", "/" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = "unset";
        const char *r = san(cases[i].in, APP, &reason);
        ck_assert_msg(!strcmp(r, cases[i].out), "case %d: got %s", (int)i, r);
        ck_assert_msg(reason == NULL, "case %d: %s", (int)i, reason);
        ck_assert(stays_on_origin(r));
    }
    ck_assert_str_eq(san(NULL, APP, NULL), "/");
    ck_assert_str_eq(san("http://localhost:8080/a", "http://localhost:8080",
                         NULL), "/a");
    ck_assert_str_eq(san("http://[::1]/a", "http://[::1]:80", NULL), "/a");
}
END_TEST

START_TEST(redirect_refused)
{
    static const char *const cases[] = {
        "//evil.example", "//evil.example/", "///evil.example",
        "/\\evil.example", "\\\\evil.example", "\\/evil.example",
        "/x\\y", "/%5cevil.example", "/%5Cevil.example", "/x%5c",
        "/%2f%2fevil.example", "/%2F/evil.example", "/%2f", "/x/%2f/y",
        "/%252f%252fevil.example", "/%25252f%25252fevil.example",
        "/.//evil.example", "/%2e//evil.example", "/a/..//evil.example",
        "/a//b", "/https://evil.example/",
        "https://evil.example/", "https://app.example.com.evil.example/",
        "https://app.example.com@evil.example/",
        "https://evil.example#@app.example.com",
        "https://evil.example?@app.example.com",
        "https://user:pw@app.example.com/",
        "http://app.example.com/", "https://app.example.com:8443/",
        "https://app.example.com./", "https://app%2eexample.com/",
        "https://app.example.com//evil.example",
        "https://app.example.com/\\evil.example",
        "https:/app.example.com/", "https:app.example.com/",
        "https://[::1/", "https://app.example.com:99999/",
        /* No two spellings of one origin: an empty port, a leading zero. */
        "https://app.example.com:/x", "https://app.example.com:0443/x",
        "ftp://app.example.com/",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)",
        "javascript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>", "vbscript:x",
        " /x", "/x ", "/ /evil.example", "\t/x", "\n/x",
        "/x\r\nSet-Cookie: a=b", "/x%0d%0aSet-Cookie:%20a=b",
        "/x%250d%250a", "/x%25250a", "/x%00", "/x%2500", "/x%7f", "/x%1f",
        "/x\x7f", "/\t/evil.example", "/%09/evil.example", "/x?q=%0a",
        "x", "evil.example", ".", "./x", "?x=1", "#x", "%2fx",
        "/%2525252541", "/%252525252541",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = NULL;
        const char *r = san(cases[i], APP, &reason);
        ck_assert_msg(!strcmp(r, "/"), "case %d (%s): got %s", (int)i,
                      cases[i], r);
        ck_assert_msg(reason && !strncmp(reason, "RXA041", 6), "case %d",
                      (int)i);
        ck_assert_msg(!strstr(reason, "evil"), "case %d", (int)i);
    }
    /* No origin given: every absolute URL falls back. */
    ck_assert_str_eq(san(APP "/x", NULL, NULL), "/");
    ck_assert_str_eq(san(APP "/x", "not an origin", NULL), "/");
}
END_TEST

START_TEST(redirect_length)
{
    apr_pool_t *p = rxa_test_pool;
    char *v = apr_palloc(p, RXA_REDIRECT_TO_MAX + 100);
    const char *reason;

    memset(v, 'a', RXA_REDIRECT_TO_MAX + 99);
    v[0] = '/';
    v[RXA_REDIRECT_TO_MAX] = '\0';
    ck_assert_str_eq(san(v, APP, &reason), v);
    v[RXA_REDIRECT_TO_MAX] = 'a';
    v[RXA_REDIRECT_TO_MAX + 1] = '\0';
    ck_assert_str_eq(san(v, APP, &reason), "/");
    ck_assert(!strncmp(reason, "RXA04116: ", 10));
    v[RXA_REDIRECT_TO_MAX + 99] = '\0';
    ck_assert_str_eq(san(v, APP, &reason), "/");
}
END_TEST

/* Every line of testdata/open-redirect-payloads.txt, as the
 * decoded redirect_to, as sent raw in a query string, and encoded as our
 * own login link does, against three expected origins. */
START_TEST(redirect_payloads)
{
    static const char *const origins[] = {
        APP, "https://www.whitelisteddomain.tld", NULL
    };
    apr_pool_t *p = rxa_test_pool;
    const char *path = rxa_testdata(p, "open-redirect-payloads.txt");
    char *text, *line, *next;
    int lines = 0, kept = 0;
    apr_size_t o;

    if (!path) {
        printf("# SKIP testdata/open-redirect-payloads.txt not found\n");
        fflush(stdout);
        return;
    }
    text = rxa_test_slurp(p, path, NULL);
    ck_assert_ptr_nonnull(text);
    for (line = text; *line; line = next) {
        apr_table_t *params;
        apr_array_header_t *rep;
        const char *err, *r;

        next = line + strcspn(line, "\n");
        if (*next)
            *next++ = '\0';
        if (!*line)
            continue;
        lines++;
        for (o = 0; o < sizeof(origins) / sizeof(origins[0]); o++) {
            r = san(line, origins[o], NULL);
            ck_assert_msg(stays_on_origin(r), "line %d: %s -> %s", lines,
                          line, r);
            kept += o == 0 && strcmp(r, "/");
            if (rxa_query_parse(p, apr_pstrcat(p, "redirect_to=", line, NULL),
                                &params, &rep, &err) == APR_SUCCESS) {
                r = san(apr_table_get(params, "redirect_to"), origins[o], NULL);
                ck_assert_msg(stays_on_origin(r), "line %d raw: %s -> %s",
                              lines, line, r);
            }
            ck_assert_int_eq(rxa_query_parse(p, apr_pstrcat(p, "redirect_to=",
                                             rxa_url_encode(p, line), NULL),
                                             &params, &rep, &err),
                             APR_SUCCESS);
            ck_assert_str_eq(apr_table_get(params, "redirect_to"), line);
        }
    }
    ck_assert_int_gt(lines, 800);
    printf("# open-redirect payloads: %d lines, %d kept as a local path, "
           "the rest fell back to /\n", lines, kept);
    fflush(stdout);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("redirect");
    TCase *tc = rxa_tcase("redirect");

    tcase_add_test(tc, redirect_kept);
    tcase_add_test(tc, redirect_refused);
    tcase_add_test(tc, redirect_length);
    tcase_add_test(tc, redirect_payloads);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
