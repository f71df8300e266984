/* Unit tests: query strings and percent-encoding (rxa_query.h), hostile
 * inputs included. */
#include "rxa_test.h"
#include "rxa_query.h"

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
    char all[256];
    int i;
    apr_pool_t *p = rxa_test_pool;
    apr_table_t *t;
    apr_array_header_t *rep;
    const char *err;

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
    Suite *s = suite_create("query");
    TCase *tc = rxa_tcase("query");

    tcase_add_test(tc, query_basic);
    tcase_add_test(tc, query_repeated);
    tcase_add_test(tc, query_refused);
    tcase_add_test(tc, url_encode);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
