/* Random values and constant-time comparison (rxa_random.h). */
#include "rxa_test.h"
#include "rxa_b64url.h"
#include "rxa_random.h"

START_TEST(random_bits_spread)
{
    /* Crude check that all of each byte varies: over 256 draws of 32 bytes
     * every bit position is seen both set and clear. */
    unsigned char or_all[32], and_all[32];
    int i, k;

    memset(or_all, 0, sizeof(or_all));
    memset(and_all, 0xff, sizeof(and_all));
    for (i = 0; i < 256; i++) {
        char *s;
        unsigned char *raw;
        apr_size_t rawlen;

        ck_assert_int_eq(rxa_random_b64url(rxa_test_pool, 32, &s),
                         APR_SUCCESS);
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, s, strlen(s), &raw,
                                           &rawlen), APR_SUCCESS);
        for (k = 0; k < 32; k++) {
            or_all[k] |= raw[k];
            and_all[k] &= raw[k];
        }
    }
    for (k = 0; k < 32; k++) {
        ck_assert_int_eq(or_all[k], 0xff);
        ck_assert_int_eq(and_all[k], 0);
    }
}
END_TEST

START_TEST(random_sizes)
{
    char *s = NULL;

    ck_assert_int_eq(rxa_random_b64url(rxa_test_pool, 15, &s), APR_EINVAL);
    ck_assert_int_eq(rxa_random_b64url(rxa_test_pool, 257, &s), APR_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(rxa_random_b64url(rxa_test_pool, 16, &s), APR_SUCCESS);
    ck_assert_uint_eq(strlen(s), 22);
    ck_assert_int_eq(rxa_random_b64url(rxa_test_pool, 256, &s), APR_SUCCESS);
    ck_assert_uint_eq(strlen(s), 342);
}
END_TEST

START_TEST(ct_compare)
{
    ck_assert_int_eq(rxa_ct_streq("abc", "abc"), 1);
    ck_assert_int_eq(rxa_ct_streq("", ""), 1);
    ck_assert_int_eq(rxa_ct_streq("abc", "abd"), 0);
    ck_assert_int_eq(rxa_ct_streq("abc", "Abc"), 0);
    ck_assert_int_eq(rxa_ct_streq("abc", "abcd"), 0);
    ck_assert_int_eq(rxa_ct_streq("abcd", "abc"), 0);
    ck_assert_int_eq(rxa_ct_streq("", "a"), 0);
    ck_assert_int_eq(rxa_ct_streq(NULL, "a"), 0);
    ck_assert_int_eq(rxa_ct_streq("a", NULL), 0);
    ck_assert_int_eq(rxa_ct_streq(NULL, NULL), 0);
    ck_assert_int_eq(rxa_ct_memeq("a\0b", 3, "a\0b", 3), 1);
    ck_assert_int_eq(rxa_ct_memeq("a\0b", 3, "a\0c", 3), 0);
    ck_assert_int_eq(rxa_ct_memeq("a\0b", 3, "a\0b", 2), 0);
    ck_assert_int_eq(rxa_ct_memeq("", 0, "", 0), 1);
}
END_TEST

/* The private generator draws the same shape. */
START_TEST(random_secret)
{
    char *a = NULL, *b = NULL;

    ck_assert_int_eq(rxa_random_b64url_secret(rxa_test_pool, 15, &a),
                     APR_EINVAL);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(rxa_random_b64url_secret(rxa_test_pool, 32, &a),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_random_b64url_secret(rxa_test_pool, 32, &b),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_str_ne(a, b);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("random");
    TCase *tc = rxa_tcase("random");

    tcase_add_test(tc, random_bits_spread);
    tcase_add_test(tc, random_sizes);
    tcase_add_test(tc, random_secret);
    tcase_add_test(tc, ct_compare);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
