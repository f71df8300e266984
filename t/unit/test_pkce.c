/* PKCE (RFC 7636), state and nonce. */
#include <apr_hash.h>

#include "rxa_test.h"
#include "rxa_b64url.h"
#include "rxa_pkce.h"

#define VERIFIER_CHARS \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

/* RFC 7636 appendix B. */
START_TEST(rfc7636_appendix_b)
{
    static const unsigned char octets[32] = {
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173,
        187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
        132, 141, 121
    };
    const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    char *challenge = NULL;

    ck_assert_str_eq(rxa_b64url_encode(rxa_test_pool, octets, 32), verifier);
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, verifier,
                                             &challenge), APR_SUCCESS);
    ck_assert_str_eq(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
END_TEST

START_TEST(verifier_shape)
{
    apr_hash_t *seen = apr_hash_make(rxa_test_pool);
    int i;

    for (i = 0; i < 1000; i++) {
        char *v = NULL, *c = NULL;

        ck_assert_int_eq(rxa_pkce_verifier_create(rxa_test_pool, &v),
                         APR_SUCCESS);
        ck_assert_uint_eq(strlen(v), RXA_RANDOM_TOKEN_LEN);
        ck_assert_uint_eq(strspn(v, VERIFIER_CHARS), strlen(v));
        ck_assert_ptr_null(apr_hash_get(seen, v, APR_HASH_KEY_STRING));
        apr_hash_set(seen, v, APR_HASH_KEY_STRING, "");
        ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, v, &c),
                         APR_SUCCESS);
        ck_assert_uint_eq(strlen(c), RXA_PKCE_CHALLENGE_LEN);
    }
}
END_TEST

START_TEST(verifier_checked)
{
    char *c = NULL;
    char buf[200];

    /* 42 characters: too short; 43: fine; 128: fine; 129: too long. */
    memset(buf, 'a', sizeof(buf));
    buf[42] = '\0';
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, buf, &c),
                     APR_EINVAL);
    buf[42] = '~';
    buf[43] = '\0';
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, buf, &c),
                     APR_SUCCESS);
    memset(buf, '.', sizeof(buf));
    buf[128] = '\0';
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, buf, &c),
                     APR_SUCCESS);
    buf[128] = '_';
    buf[129] = '\0';
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, buf, &c),
                     APR_EINVAL);
    /* Characters outside the unreserved set. */
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool,
        "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c), APR_EINVAL);
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool,
        "dBjftJeZ4CVP mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c), APR_EINVAL);
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool,
        "dBjftJeZ4CVP=mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c), APR_EINVAL);
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool,
        "dBjftJeZ4CVP\xc3\xa9mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c), APR_EINVAL);
    ck_assert_int_eq(rxa_pkce_challenge_s256(rxa_test_pool, NULL, &c),
                     APR_EINVAL);
}
END_TEST

START_TEST(state_and_nonce)
{
    apr_hash_t *seen = apr_hash_make(rxa_test_pool);
    int i;

    for (i = 0; i < 1000; i++) {
        char *s = NULL, *n = NULL;
        unsigned char *raw;
        apr_size_t rawlen;

        ck_assert_int_eq(rxa_state_create(rxa_test_pool, &s), APR_SUCCESS);
        ck_assert_int_eq(rxa_nonce_create(rxa_test_pool, &n), APR_SUCCESS);
        ck_assert_uint_eq(strlen(s), RXA_RANDOM_TOKEN_LEN);
        ck_assert_uint_eq(strlen(n), RXA_RANDOM_TOKEN_LEN);
        /* Strict base64url of 32 bytes: at least 128 random bits. */
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, s, strlen(s), &raw,
                                           &rawlen), APR_SUCCESS);
        ck_assert_uint_eq(rawlen, 32);
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, n, strlen(n), &raw,
                                           &rawlen), APR_SUCCESS);
        ck_assert_uint_eq(rawlen, 32);
        ck_assert_ptr_null(apr_hash_get(seen, s, APR_HASH_KEY_STRING));
        apr_hash_set(seen, s, APR_HASH_KEY_STRING, "");
        ck_assert_ptr_null(apr_hash_get(seen, n, APR_HASH_KEY_STRING));
        apr_hash_set(seen, n, APR_HASH_KEY_STRING, "");
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pkce");
    TCase *tc = rxa_tcase("pkce");

    tcase_add_test(tc, rfc7636_appendix_b);
    tcase_add_test(tc, verifier_shape);
    tcase_add_test(tc, verifier_checked);
    tcase_add_test(tc, state_and_nonce);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
