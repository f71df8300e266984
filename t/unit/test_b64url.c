/* Strict base64url, and the bounded JSON parser the JOSE core relies on. */
#include "rxa_test.h"

#include "rxa_b64url.h"
#include "rxa_json.h"

static const char *enc(const char *s)
{
    return rxa_b64url_encode(rxa_test_pool, (const unsigned char *)s,
                             strlen(s));
}

static apr_status_t dec(const char *s, unsigned char **out, apr_size_t *len)
{
    return rxa_b64url_decode(rxa_test_pool, s, strlen(s), out, len);
}

START_TEST(rfc4648_vectors)
{
    /* RFC 4648 section 10, in the URL alphabet without padding. */
    static const char *const v[][2] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
    };
    apr_size_t i, len;
    unsigned char *out;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ck_assert_str_eq(enc(v[i][0]), v[i][1]);
        ck_assert_int_eq(dec(v[i][1], &out, &len), APR_SUCCESS);
        ck_assert_uint_eq(len, strlen(v[i][0]));
        ck_assert_mem_eq(out, v[i][0], len);
        ck_assert_int_eq(out[len], '\0');
    }
    /* The two characters that differ from standard base64. */
    ck_assert_str_eq(rxa_b64url_encode(rxa_test_pool,
                                       (const unsigned char *)"\xfb\xff", 2),
                     "-_8");
}
END_TEST

START_TEST(round_trip_all_lengths)
{
    unsigned char buf[300], *out;
    apr_size_t n, i, len;

    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (n = 0; n <= sizeof(buf); n++) {
        const char *e = rxa_b64url_encode(rxa_test_pool, buf, n);
        ck_assert_uint_eq(strlen(e), (n * 4 + 2) / 3);
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, e, strlen(e), &out,
                                           &len), APR_SUCCESS);
        ck_assert_uint_eq(len, n);
        ck_assert(n == 0 || !memcmp(out, buf, n));
    }
}
END_TEST

START_TEST(refused)
{
    static const char *const bad[] = {
        "Zg==", "Zg=", "Zm9v=", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm 9v", " Zm9v",
        "Zm9v\n", "Zm9v.", "Zh", "Zm9", "Zm9vYh", "Zm\x80v", "*", "===="
    };
    apr_size_t i, len;
    unsigned char *out;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(dec(bad[i], &out, &len) == APR_EINVAL, "accepted \"%s\"",
                      bad[i]);
    /* An embedded NUL is a character like any other: refused. */
    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, "Zm\0v", 4, &out, &len),
                     APR_EINVAL);
    /* The length is what counts, not a terminator. */
    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, "Zm9vYmFy", 4, &out,
                                       &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 3);
}
END_TEST

START_TEST(one_encoding_per_value)
{
    /* Every 2- and 3-character string decodes only if it is the encoding of
     * what it decodes to: trailing bits must be zero. */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char s[4] = { 0 };
    apr_size_t a, b, c, len;
    unsigned char *out;
    int accepted = 0;

    for (a = 0; a < 64; a++) {
        for (b = 0; b < 64; b++) {
            s[0] = alphabet[a];
            s[1] = alphabet[b];
            s[2] = '\0';
            if (dec(s, &out, &len) == APR_SUCCESS) {
                ck_assert_str_eq(rxa_b64url_encode(rxa_test_pool, out, len), s);
                accepted++;
            }
            for (c = 0; c < 64; c += 7) {
                s[2] = alphabet[c];
                if (dec(s, &out, &len) == APR_SUCCESS)
                    ck_assert_str_eq(rxa_b64url_encode(rxa_test_pool, out,
                                                       len), s);
            }
        }
    }
    ck_assert_int_eq(accepted, 256);
}
END_TEST

/* --- JSON ----------------------------------------------------------------- */

START_TEST(json_limits)
{
    const char *err;
    char deep[200];
    int i;

    ck_assert_ptr_nonnull(rxa_json_parse(rxa_test_pool, "{\"a\":1}", 7, 7,
                                         &err));
    ck_assert_ptr_null(rxa_json_parse(rxa_test_pool, "{\"a\":1}", 7, 6, &err));
    ck_assert_ptr_nonnull(strstr(err, "RXA01002"));
    ck_assert_ptr_null(rxa_json_parse(rxa_test_pool, "", 0, 10, &err));
    ck_assert_ptr_null(rxa_json_parse(rxa_test_pool, NULL, 0, 10, &err));
    /* Nesting: 32 deep is fine, 33 is not; brackets in strings do not
     * count. */
    for (i = 0; i < RXA_JSON_MAX_DEPTH; i++)
        deep[i] = '[';
    for (i = 0; i < RXA_JSON_MAX_DEPTH; i++)
        deep[RXA_JSON_MAX_DEPTH + i] = ']';
    ck_assert_ptr_nonnull(rxa_json_parse(rxa_test_pool, deep,
                                         2 * RXA_JSON_MAX_DEPTH, 200, &err));
    memmove(deep + 1, deep, 2 * RXA_JSON_MAX_DEPTH);
    deep[0] = '[';
    deep[2 * RXA_JSON_MAX_DEPTH + 1] = ']';
    ck_assert_ptr_null(rxa_json_parse(rxa_test_pool, deep,
                                      2 * RXA_JSON_MAX_DEPTH + 2, 200, &err));
    ck_assert_ptr_nonnull(strstr(err, "RXA01003"));
    {
        static const char quoted[] =
            "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}";
        ck_assert_ptr_nonnull(rxa_json_parse(rxa_test_pool, quoted,
                                             strlen(quoted), 100, &err));
    }
}
END_TEST

START_TEST(json_strictness)
{
    static const char *const bad[] = {
        "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{'a':1}", "{\"a\":NaN}",
        "{\"a\":Infinity}", "[1,]", "{\"a\":\"\\u0000\"}", "\xef\xbb\xbf{}",
        "{\"a\":1e999}", "{\"a\":99999999999999999999}"
    };
    const char *err;
    apr_size_t i;
    json_t *j;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(rxa_json_parse(rxa_test_pool, bad[i], strlen(bad[i]),
                                     1000, &err) == NULL, "accepted %s",
                      bad[i]);
        ck_assert(!strncmp(err, "RXA0100", 7));
    }
    /* Errors say where, never what. */
    rxa_json_parse(rxa_test_pool, "{\"secret\":tru}", 14, 100, &err);
    ck_assert_ptr_null(strstr(err, "secret"));
    ck_assert_ptr_null(strstr(err, "tru"));
    /* Objects only where asked. */
    ck_assert_ptr_null(rxa_json_parse_object(rxa_test_pool, "[1]", 3, 10,
                                             &err));
    ck_assert_ptr_nonnull(strstr(err, "RXA01005"));
    j = rxa_json_parse_object(rxa_test_pool, "{\"s\":\"v\",\"n\":1}", 15, 100,
                              &err);
    ck_assert_str_eq(rxa_json_get_str(j, "s"), "v");
    ck_assert_ptr_null(rxa_json_get_str(j, "n"));
    ck_assert_ptr_null(rxa_json_get_str(j, "x"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("encoding");
    TCase *tc = rxa_tcase("b64url");

    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_test(tc, round_trip_all_lengths);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, one_encoding_per_value);
    suite_add_tcase(s, tc);
    tc = rxa_tcase("json");
    tcase_add_test(tc, json_limits);
    tcase_add_test(tc, json_strictness);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
