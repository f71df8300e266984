/* Unit tests: origins of URLs (rxa_origin.h). The origin of a request is
 * tested in test_forwarded.c, host and port rules in test_host.c. */
#include "rxa_test.h"
#include "rxa_origin.h"

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

/* The origin of a URL's head and where the rest starts: the same origin
 * rxa_origin_normalize gives, and the same refusals. */
START_TEST(origin_split)
{
    static const struct { const char *in, *origin, *rest; } good[] = {
        { "https://App.Example.COM:443/x?y#z", "https://app.example.com",
          "/x?y#z" },
        { "http://a.example:8080?q=/", "http://a.example:8080", "?q=/" },
        { "HTTPS://[::1]#f", "https://[::1]", "#f" },
        { "https://a.example", "https://a.example", "" },
    };
    static const char *const bad[] = {
        "ftp://a.example/", "https://u@a.example/", "https://a.example:/x",
        "https://a.example./x", "/x", "",
    };
    apr_pool_t *p = rxa_test_pool;
    const char *o, *n, *e;
    apr_size_t i, rest;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_ptr_null(rxa_origin_split(p, good[i].in, &o, &rest));
        ck_assert_str_eq(o, good[i].origin);
        ck_assert_str_eq(good[i].in + rest, good[i].rest);
        ck_assert_int_eq(rxa_origin_normalize(p, good[i].in, &n, &e),
                         APR_SUCCESS);
        ck_assert_str_eq(n, o);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e = rxa_origin_split(p, bad[i], &o, &rest);
        ck_assert_msg(e && !strncmp(e, "RXA041", 6), "case %d", (int)i);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("origin");
    TCase *tc = rxa_tcase("origin");

    tcase_add_test(tc, origins);
    tcase_add_test(tc, origin_split);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
