/* Unit tests: the pages' Content-Security-Policy (rxa_csp.h). */
#include "rxa_test.h"
#include "rxa_csp.h"

/* A random source that fails. */
static apr_status_t failing_random(void *baton, unsigned char *buf,
                                   apr_size_t len)
{
    int *calls = baton;

    (*calls)++;
    memset(buf, 'A', len);   /* what it wrote must not be used */
    return APR_EGENERAL;
}

/* A source that gives the same bytes every time. */
static apr_status_t fixed_random(void *baton, unsigned char *buf,
                                 apr_size_t len)
{
    memset(buf, 0xfb, len);
    return APR_SUCCESS;
}

START_TEST(nonce_in_policy)
{
    rxa_csp_t csp;
    const char *script, *style;

    ck_assert_int_eq(rxa_csp_make(rxa_test_pool, fixed_random, NULL, &csp),
                     APR_SUCCESS);
    /* 16 bytes, base64url without padding */
    ck_assert_str_eq(csp.nonce, "-_v7-_v7-_v7-_v7-_v7-w");
    script = apr_pstrcat(rxa_test_pool, "script-src 'nonce-", csp.nonce, "'",
                         NULL);
    style = apr_pstrcat(rxa_test_pool, "style-src 'self' 'nonce-", csp.nonce,
                        "'", NULL);
    ck_assert_ptr_nonnull(strstr(csp.policy, script));
    ck_assert_ptr_nonnull(strstr(csp.policy, style));
    ck_assert_msg(!strncmp(csp.policy, "default-src 'none'; ", 20), "%s",
                  csp.policy);
    ck_assert_ptr_nonnull(strstr(csp.policy, "frame-ancestors 'none'"));
    ck_assert_ptr_nonnull(strstr(csp.policy, "base-uri 'none'"));
    ck_assert_ptr_null(strstr(csp.policy, "unsafe"));
}
END_TEST

START_TEST(openssl_nonces_differ)
{
    rxa_csp_t a, b;

    ck_assert_int_eq(rxa_csp_make(rxa_test_pool, rxa_random_openssl, NULL,
                                  &a), APR_SUCCESS);
    ck_assert_int_eq(rxa_csp_make(rxa_test_pool, rxa_random_openssl, NULL,
                                  &b), APR_SUCCESS);
    ck_assert_uint_eq(strlen(a.nonce), 22);
    ck_assert_str_ne(a.nonce, b.nonce);
}
END_TEST

/* A failed draw gives neither a nonce nor a policy to send: the caller
 * cannot build a page that carries a broken nonce. */
START_TEST(failed_random_fails_closed)
{
    rxa_csp_t csp = {"stale", "stale"};
    int calls = 0;

    ck_assert_int_eq(rxa_csp_make(rxa_test_pool, failing_random, &calls,
                                  &csp), APR_EGENERAL);
    ck_assert_int_eq(calls, 1);
    ck_assert_ptr_null(csp.nonce);
    ck_assert_ptr_null(csp.policy);
}
END_TEST

RXA_TEST_SUITE("csp",
               nonce_in_policy,
               openssl_nonces_differ,
               failed_random_fails_closed)
