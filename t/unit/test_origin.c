/* Unit tests: redirect_to, query strings, origins, percent-encoding
 * (rxa_origin.h), hostile inputs and the published open-redirect payloads
 * included. */
#include <apr_lib.h>

#include "rxa_test.h"
#include "rxa_origin.h"

#define APP "https://app.example.com"

/* What a browser does with a Location (or location.href) value R relative
 * to https://app.example.com/ (WHATWG URL parser): leading and trailing C0
 * controls and spaces are stripped and tabs and newlines removed (R holds
 * none of these here); a string starting with a scheme is absolute; after
 * the scheme-less start, '/' or '\' followed by '/' or '\' starts an
 * authority, i.e. another host. A single '/' followed by anything else is
 * a path on the base's own origin. So R stays on the origin exactly when
 * it matches ^/([^/\\]|$); on top we ask that it holds only characters a
 * Location header carries safely and that every '%' starts an escape. */
static int stays_on_origin(const char *r)
{
    const char *c;

    if (r[0] != '/' || r[1] == '/' || r[1] == '\\')
        return 0;
    for (c = r; *c; c++) {
        if (*c == '%') {
            if (!apr_isxdigit(c[1]) || !apr_isxdigit(c[2]))
                return 0;
        }
        else if (!apr_isalnum(*c) && !strchr("-._~!$&()*+,;=:@/?#", *c)) {
            return 0;
        }
    }
    return 1;
}

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

/* Every line of ../shared/testdata/open-redirect-payloads.txt, as the
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

START_TEST(origins)
{
    static const struct { const char *in, *out; } good[] = {
        { "https://App.Example.COM", "https://app.example.com" },
        { "https://app.example.com:443", "https://app.example.com" },
        { "https://app.example.com:443/x?y#z", "https://app.example.com" },
        { "http://app.example.com:80/", "http://app.example.com" },
        { "http://app.example.com:443", "http://app.example.com:443" },
        { "https://app.example.com:8443/path", "https://app.example.com:8443" },
        { "HTTP://LOCALHOST:8080", "http://localhost:8080" },
        { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
        { "http://[::1]:8080", "http://[::1]:8080" },
        { "https://[2001:DB8::1]", "https://[2001:db8::1]" },
        { "https://my_host.internal?x", "https://my_host.internal" },
    };
    static const char *const bad[] = {
        "ftp://x", "https://", "https:///x", "https://u@x", "https://u:p@x",
        "https://app.example.com:", "https://app.example.com:08443",
        "https://x:0", "https://x:65536", "https://x:123456", "https://x:8a",
        "https://x y", "https://[zz]", "https://[]", "https://[::1",
        "https://[::1]x", "https://%61.com", "https://\xc3\xa9.com", "null",
        "", "//x", "https:x", "javascript://x", "https://x\\y",
    };
    apr_pool_t *p = rxa_test_pool;
    const char *o, *err;
    apr_size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_int_eq(rxa_origin_normalize(p, good[i].in, &o, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(o, good[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ck_assert_msg(rxa_origin_normalize(p, bad[i], &o, &err) == APR_EINVAL,
                      "case %d", (int)i);
        ck_assert_ptr_null(o);
        ck_assert(!strncmp(err, "RXA041", 6));
    }
    ck_assert_int_eq(rxa_origin_normalize(p, NULL, &o, NULL), APR_EINVAL);
}
END_TEST

START_TEST(query_basic)
{
    apr_pool_t *p = rxa_test_pool;
    apr_table_t *t;
    apr_array_header_t *rep;
    const char *err = NULL;

    ck_assert_int_eq(rxa_query_parse(p, "code=abc&state=x%2Fy&"
                                     "iss=https%3A%2F%2Fidp", &t, &rep, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(t, "code"), "abc");
    ck_assert_str_eq(apr_table_get(t, "state"), "x/y");
    ck_assert_str_eq(apr_table_get(t, "iss"), "https://idp");
    ck_assert_int_eq(rep->nelts, 0);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 3);

    ck_assert_int_eq(rxa_query_parse(p, "a=%41%42+c%2B&b&c=&%61=x;d=1;;e=2",
                                     &t, &rep, &err), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(t, "a"), "AB c+");
    ck_assert_str_eq(apr_table_get(t, "b"), "");
    ck_assert_str_eq(apr_table_get(t, "c"), "");
    ck_assert_str_eq(apr_table_get(t, "d"), "1");
    ck_assert_str_eq(apr_table_get(t, "e"), "2");
    /* "%61" is "a": a repeat of "a". */
    ck_assert_int_eq(rep->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(rep, 0, const char *), "a");
    ck_assert_str_eq(apr_table_get(t, "a"), "AB c+");

    /* Decoded control characters other than NUL are data. */
    ck_assert_int_eq(rxa_query_parse(p, "error_description=a%0D%0Ab%3Cc%3E",
                                     &t, &rep, &err), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(t, "error_description"), "a\r\nb<c>");

    /* Empty queries and queries of only separators. */
    ck_assert_int_eq(rxa_query_parse(p, NULL, &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(rxa_query_parse(p, "", &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    ck_assert_int_eq(rxa_query_parse(p, "&&&;;", &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    ck_assert_int_eq(rep->nelts, 0);
    /* Empty names are skipped. */
    ck_assert_int_eq(rxa_query_parse(p, "=x&==&=&y", &t, &rep, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 1);
    ck_assert_str_eq(apr_table_get(t, "y"), "");
    ck_assert_int_eq(rxa_query_parse(p, "a==b", &t, &rep, &err), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(t, "a"), "=b");
}
END_TEST

START_TEST(query_repeated)
{
    apr_pool_t *p = rxa_test_pool;
    apr_table_t *t;
    apr_array_header_t *rep;
    const char *err;

    ck_assert_int_eq(rxa_query_parse(p, "code=a&state=s&code=b&code=c",
                                     &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(rep->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(rep, 0, const char *), "code");
    ck_assert_str_eq(apr_table_get(t, "code"), "a");
    ck_assert_int_eq(rxa_query_parse(p, "state=a;state=b&code=1&CODE=2",
                                     &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(rep->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(rep, 0, const char *), "state");
    ck_assert_str_eq(APR_ARRAY_IDX(rep, 1, const char *), "CODE");
    ck_assert_int_eq(rxa_query_parse(p, "state=&state", &t, &rep, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(rep->nelts, 1);
}
END_TEST

START_TEST(query_refused)
{
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=b%", "a=%00", "a%00=1",
        "a=%0", "a=b c", "a=b\tc", "a=\x01", "a=\x7f", "a\n=1",
    };
    apr_pool_t *p = rxa_test_pool;
    apr_table_t *t;
    apr_array_header_t *rep;
    const char *err;
    apr_size_t i;
    char *q;
    int n;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ck_assert_msg(rxa_query_parse(p, bad[i], &t, &rep, &err) == APR_EINVAL,
                      "case %d", (int)i);
        ck_assert_msg(err && !strncmp(err, "RXA041", 6), "case %d", (int)i);
    }
    ck_assert_int_eq(rxa_query_parse(p, "a=%zz", &t, &rep, NULL), APR_EINVAL);

    /* 64 parameters pass, 65 do not; separators do not count. */
    q = apr_pstrdup(p, "p0=0");
    for (n = 1; n < RXA_QUERY_MAX_PARAMS; n++)
        q = apr_psprintf(p, "%s&&;p%d=%d", q, n, n);
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, RXA_QUERY_MAX_PARAMS);
    q = apr_pstrcat(p, q, "&x", NULL);
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA04125: ", 10));
    /* 65 repeats of one name, and 65 empty names, count too. */
    q = apr_pstrdup(p, "s=1");
    for (n = 1; n <= RXA_QUERY_MAX_PARAMS; n++)
        q = apr_pstrcat(p, q, "&s=1", NULL);
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_EINVAL);
    q = apr_pstrdup(p, "=");
    for (n = 1; n <= RXA_QUERY_MAX_PARAMS; n++)
        q = apr_pstrcat(p, q, "&=", NULL);
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_EINVAL);

    /* Length: at the limit parsed (only separators), one over refused. */
    q = apr_palloc(p, RXA_QUERY_MAX_LEN + 2);
    memset(q, '&', RXA_QUERY_MAX_LEN + 1);
    q[RXA_QUERY_MAX_LEN] = '\0';
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    q[RXA_QUERY_MAX_LEN] = ';';
    q[RXA_QUERY_MAX_LEN + 1] = '\0';
    ck_assert_int_eq(rxa_query_parse(p, q, &t, &rep, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA04124: ", 10));
}
END_TEST

START_TEST(url_encode)
{
    apr_pool_t *p = rxa_test_pool;
    apr_table_t *t;
    apr_array_header_t *rep;
    const char *err;
    char all[256];
    int i;

    ck_assert_str_eq(rxa_url_encode(p, "AZaz09-._~"), "AZaz09-._~");
    ck_assert_str_eq(rxa_url_encode(p, "/a b?c=d&e+f#g%h\xc3\xa9"),
                     "%2Fa%20b%3Fc%3Dd%26e%2Bf%23g%25h%C3%A9");
    ck_assert_str_eq(rxa_url_encode(p, NULL), "");
    ck_assert_str_eq(rxa_url_encode(p, ""), "");
    /* Every byte but NUL survives encode then parse. */
    for (i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    ck_assert_int_eq(rxa_query_parse(p, apr_pstrcat(p, "v=",
                                                    rxa_url_encode(p, all),
                                                    NULL), &t, &rep, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(t, "v"), all);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("origin");
    TCase *tc = rxa_tcase("origin");

    tcase_add_test(tc, redirect_kept);
    tcase_add_test(tc, redirect_refused);
    tcase_add_test(tc, redirect_length);
    tcase_add_test(tc, redirect_payloads);
    tcase_add_test(tc, origins);
    tcase_add_test(tc, query_basic);
    tcase_add_test(tc, query_repeated);
    tcase_add_test(tc, query_refused);
    tcase_add_test(tc, url_encode);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
