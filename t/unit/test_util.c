/* Unit tests: URL policy and word lists (rxa_util.h). */
#include "rxa_test.h"
#include "rxa_util.h"

START_TEST(secure_urls)
{
    apr_pool_t *p = rxa_test_pool;

    ck_assert(rxa_url_is_secure(p, "https://idp.example.com"));
    ck_assert(rxa_url_is_secure(p, "https://idp.example.com:8443/realms/x/"));
    ck_assert(rxa_url_is_secure(p, "http://127.0.0.1:4000"));
    ck_assert(rxa_url_is_secure(p, "http://localhost/x"));
    ck_assert(rxa_url_is_secure(p, "http://[::1]:9/x"));
    ck_assert(!rxa_url_is_secure(p, "http://idp.example.com"));
    ck_assert(!rxa_url_is_secure(p, "ftp://127.0.0.1/"));
    ck_assert(!rxa_url_is_secure(p, "file:///etc/passwd"));
    ck_assert(!rxa_url_is_secure(p, "https://user:pw@idp.example.com/"));
    ck_assert(!rxa_url_is_secure(p, "/relative"));
    ck_assert(!rxa_url_is_secure(p, "https://"));
    ck_assert(!rxa_url_is_secure(p, NULL));
}
END_TEST

START_TEST(words)
{
    apr_array_header_t *w = apr_array_make(rxa_test_pool, 2, sizeof(const char *));

    rxa_words_merge(rxa_test_pool, w, "  openid email\tprofile email ");
    rxa_words_merge(rxa_test_pool, w, "groups openid");
    rxa_words_merge(rxa_test_pool, w, NULL);
    rxa_words_merge(rxa_test_pool, w, "   ");
    ck_assert_int_eq(w->nelts, 4);
    ck_assert_str_eq(rxa_words_join(rxa_test_pool, w, " "),
                     "openid email profile groups");
    ck_assert(rxa_words_contain(w, "groups"));
    ck_assert(!rxa_words_contain(w, "group"));
    ck_assert_str_eq(rxa_strip_trailing_slash(rxa_test_pool, "https://a/"),
                     "https://a");
    ck_assert_str_eq(rxa_strip_trailing_slash(rxa_test_pool, "https://a"),
                     "https://a");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = rxa_tcase("util");

    tcase_add_test(tc, secure_urls);
    tcase_add_test(tc, words);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
