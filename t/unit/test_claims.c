/* ID token claim checks. */
#include "rxa_test.h"
#include "rxa_claims_test.h"

#include <math.h>

#include "rxa_claims.h"
#include "rxa_json.h"

#define NOW APR_INT64_C(1700000000)

static rxa_claims_expect_t expect;

/* A good claim set, changed by EXTRA (see rxa_test_claims). */
static json_t *claims(const char *extra)
{
    static const char base[] =
        "{\"iss\":\"https://idp.example\",\"sub\":\"248289761001\","
        "\"aud\":\"client-1\",\"nonce\":\"n-0S6_WzA2Mj\",\"exp\":1700000300,"
        "\"iat\":1699999990,\"auth_time\":1699999990}";

    return rxa_test_claims(rxa_test_pool, base, extra);
}

static void setup_expect(void)
{
    memset(&expect, 0, sizeof(expect));
    expect.issuer = "https://idp.example";
    expect.client_id = "client-1";
    expect.now = NOW;
    expect.skew = 60;
    expect.nonce = "n-0S6_WzA2Mj";
    expect.alg = RXA_JWS_RS256;
}

static rxa_claims_err_t check(const char *extra, const char **why)
{
    *why = NULL;
    return rxa_claims_check(rxa_test_pool, claims(extra), &expect, why);
}

#define ck_claims_ok(extra) do {                                            \
        const char *w_;                                                     \
        rxa_claims_err_t e_ = check((extra), &w_);                          \
        ck_assert_msg(e_ == RXA_CLAIMS_OK, "%s: %s", (extra) ? (extra) : "",\
                      w_);                                                  \
    } while (0)

#define ck_claims_fail(extra, code, tag) do {                               \
        const char *w_;                                                     \
        rxa_claims_err_t e_ = check((extra), &w_);                          \
        ck_assert_msg(e_ == (code), "%s: got %s (%s)", (extra),             \
                      rxa_claims_err_name(e_), w_ ? w_ : "");               \
        ck_assert_msg(w_ && strstr(w_, (tag)), "%s: %s", (extra), w_);      \
    } while (0)

START_TEST(good_claims)
{
    setup_expect();
    ck_claims_ok(NULL);
    ck_claims_ok("{\"aud\":[\"client-1\"]}");
    ck_claims_ok("{\"aud\":[\"client-1\",\"api\"],\"azp\":\"client-1\"}");
    ck_claims_ok("{\"azp\":\"client-1\"}");
    ck_claims_ok("{\"nbf\":1699999990}");
    ck_claims_ok("{\"exp\":1700000300.75,\"iat\":1699999990.5}");
    /* Refresh: no nonce expected, none needed. */
    expect.nonce = NULL;
    ck_claims_ok("{\"nonce\":null}");
    ck_claims_ok("{\"nonce\":\"whatever\"}");
}
END_TEST

START_TEST(issuer)
{
    setup_expect();
    ck_claims_fail("{\"iss\":\"https://idp.example/\"}", RXA_CLAIMS_ISS,
                   "RXA03303");
    ck_claims_fail("{\"iss\":\"https://IDP.example\"}", RXA_CLAIMS_ISS,
                   "RXA03303");
    ck_claims_fail("{\"iss\":\"https://idp.example.evil\"}", RXA_CLAIMS_ISS,
                   "RXA03303");
    ck_claims_fail("{\"iss\":null}", RXA_CLAIMS_ISS, "RXA03303");
    ck_claims_fail("{\"iss\":[\"https://idp.example\"]}", RXA_CLAIMS_ISS,
                   "RXA03303");
    expect.issuer = NULL;
    ck_claims_fail("{}", RXA_CLAIMS_ISS, "RXA03300");
}
END_TEST

START_TEST(entra_template)
{
    static const char tid[] = "9188040d-6c67-4c5b-b112-36a304b66dad";
    apr_array_header_t *tenants = apr_array_make(rxa_test_pool, 2,
                                                 sizeof(const char *));
    const char *good = apr_psprintf(rxa_test_pool,
                                    "{\"iss\":\"https://login.microsoftonline"
                                    ".com/%s/v2.0\",\"tid\":\"%s\"}", tid, tid);

    setup_expect();
    expect.issuer = "https://login.microsoftonline.com/{tenantid}/v2.0";
    ck_claims_ok(good);
    /* iss must be the template filled with the token's own tid. */
    ck_claims_fail(apr_psprintf(rxa_test_pool,
                                "{\"iss\":\"https://login.microsoftonline.com/"
                                "%s/v2.0\",\"tid\":\"72f988bf-86f1-41af-91ab-"
                                "2d7cd011db47\"}", tid),
                   RXA_CLAIMS_ISS, "RXA03303");
    ck_claims_fail("{\"iss\":\"https://login.microsoftonline.com/{tenantid}/"
                   "v2.0\",\"tid\":\"{tenantid}\"}", RXA_CLAIMS_TENANT,
                   "RXA03301");
    ck_claims_fail(apr_psprintf(rxa_test_pool,
                                "{\"iss\":\"https://login.microsoftonline.com/"
                                "%s/v2.0\"}", tid),
                   RXA_CLAIMS_TENANT, "RXA03301");
    /* A tid that could bend the template. */
    ck_claims_fail("{\"iss\":\"https://login.microsoftonline.com/x/v2.0/"
                   "v2.0\",\"tid\":\"x/v2.0\"}", RXA_CLAIMS_TENANT, "RXA03301");
    ck_claims_fail("{\"tid\":\"\"}", RXA_CLAIMS_TENANT, "RXA03301");
    ck_claims_fail("{\"tid\":42}", RXA_CLAIMS_TENANT, "RXA03301");
    /* The tenant list. */
    APR_ARRAY_PUSH(tenants, const char *) = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    expect.tenants = tenants;
    ck_claims_fail(good, RXA_CLAIMS_TENANT, "RXA03302");
    APR_ARRAY_PUSH(tenants, const char *) = "9188040D-6C67-4C5B-B112-36A304B66DAD";
    ck_claims_ok(good);
    /* A plain issuer ignores tid and the tenant list. */
    expect.issuer = "https://idp.example";
    ck_claims_ok("{\"tid\":\"x/y\"}");
    /* More than one placeholder: each is filled. */
    expect.issuer = "https://{tenantid}.example/{tenantid}";
    ck_claims_ok("{\"iss\":\"https://9188040d-6c67-4c5b-b112-36a304b66dad"
                 ".example/9188040d-6c67-4c5b-b112-36a304b66dad\","
                 "\"tid\":\"9188040d-6c67-4c5b-b112-36a304b66dad\"}");
}
END_TEST

START_TEST(audience)
{
    setup_expect();
    ck_claims_fail("{\"aud\":\"client-2\"}", RXA_CLAIMS_AUD, "RXA03313");
    ck_claims_fail("{\"aud\":\"client-1 \"}", RXA_CLAIMS_AUD, "RXA03313");
    ck_claims_fail("{\"aud\":[\"client-2\",\"api\"],\"azp\":\"client-1\"}",
                   RXA_CLAIMS_AUD, "RXA03313");
    ck_claims_fail("{\"aud\":[]}", RXA_CLAIMS_AUD, "RXA03312");
    ck_claims_fail("{\"aud\":null}", RXA_CLAIMS_AUD, "RXA03312");
    ck_claims_fail("{\"aud\":7}", RXA_CLAIMS_AUD, "RXA03312");
    ck_claims_fail("{\"aud\":[\"client-1\",7]}", RXA_CLAIMS_AUD, "RXA03311");
    ck_claims_fail("{\"aud\":[\"client-1\",\"api\"]}", RXA_CLAIMS_AZP,
                   "RXA03314");
    ck_claims_fail("{\"aud\":[\"client-1\",\"api\"],\"azp\":\"api\"}",
                   RXA_CLAIMS_AZP, "RXA03315");
    ck_claims_fail("{\"azp\":\"client-2\"}", RXA_CLAIMS_AZP, "RXA03315");
    ck_claims_fail("{\"azp\":[\"client-1\"]}", RXA_CLAIMS_AZP, "RXA03315");
    expect.client_id = NULL;
    ck_claims_fail("{}", RXA_CLAIMS_AUD, "RXA03310");
}
END_TEST

START_TEST(times)
{
    setup_expect();
    /* exp: valid strictly before exp + skew. */
    ck_claims_ok("{\"exp\":1699999941}");
    ck_claims_fail("{\"exp\":1699999940}", RXA_CLAIMS_EXP, "RXA03322");
    ck_claims_fail("{\"exp\":1600000000}", RXA_CLAIMS_EXP, "RXA03322");
    ck_claims_fail("{\"exp\":null}", RXA_CLAIMS_EXP, "RXA03320");
    /* iat: not after now + skew. */
    ck_claims_ok("{\"iat\":1700000060}");
    ck_claims_fail("{\"iat\":1700000061}", RXA_CLAIMS_IAT, "RXA03325");
    ck_claims_fail("{\"iat\":null}", RXA_CLAIMS_IAT, "RXA03323");
    /* nbf: optional, not after now + skew. */
    ck_claims_ok("{\"nbf\":1700000060}");
    ck_claims_fail("{\"nbf\":1700000061}", RXA_CLAIMS_NBF, "RXA03327");
    /* Zero skew. */
    expect.skew = 0;
    ck_claims_ok("{\"exp\":1700000001,\"iat\":1700000000,\"nbf\":1700000000}");
    ck_claims_fail("{\"exp\":1700000000}", RXA_CLAIMS_EXP, "RXA03322");
    ck_claims_fail("{\"nbf\":1700000001}", RXA_CLAIMS_NBF, "RXA03327");
    /* A negative skew counts as none; an absurd one cannot overflow. */
    expect.skew = -1000;
    ck_claims_fail("{\"exp\":1700000000}", RXA_CLAIMS_EXP, "RXA03322");
    ck_claims_ok("{\"exp\":1700000010,\"iat\":1700000000}");
    expect.skew = APR_INT64_MAX;
    ck_claims_ok("{\"exp\":0}");
}
END_TEST

START_TEST(absurd_numbers)
{
    static const char *const bad[] = {
        "-1", "-0.5", "253402300800", "1e300", "9223372036854775807",
        "\"1700000300\"", "true", "null", "[1700000300]", "{}",
        "253402300799.5"
    };
    apr_size_t i;

    setup_expect();
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *exp = apr_psprintf(rxa_test_pool, "{\"exp\":%s}", bad[i]);
        const char *iat = apr_psprintf(rxa_test_pool, "{\"iat\":%s}", bad[i]);
        const char *nbf = apr_psprintf(rxa_test_pool, "{\"nbf\":%s}", bad[i]);
        if (strcmp(bad[i], "null")) {
            ck_claims_fail(exp, RXA_CLAIMS_EXP, "RXA03321");
            ck_claims_fail(iat, RXA_CLAIMS_IAT, "RXA03324");
            ck_claims_fail(nbf, RXA_CLAIMS_NBF, "RXA03326");
        }
    }
    /* The last second of year 9999 is still a date. */
    ck_claims_ok("{\"exp\":253402300799}");
    ck_claims_ok("{\"nbf\":0}");
}
END_TEST

START_TEST(get_time)
{
    json_t *c = json_object();
    apr_int64_t t = 0;

    json_object_set_new(c, "a", json_integer(5));
    json_object_set_new(c, "b", json_real(5.9));
    json_object_set_new(c, "nan", json_real(NAN));
    json_object_set_new(c, "inf", json_real(INFINITY));
    json_object_set_new(c, "s", json_string("5"));
    ck_assert_int_eq(rxa_claims_get_time(c, "a", &t), APR_SUCCESS);
    ck_assert_int_eq(t, 5);
    ck_assert_int_eq(rxa_claims_get_time(c, "b", &t), APR_SUCCESS);
    ck_assert_int_eq(t, 5);
    ck_assert_int_eq(rxa_claims_get_time(c, "x", &t), APR_NOTFOUND);
    ck_assert_int_eq(rxa_claims_get_time(c, "s", &t), APR_EINVAL);
    /* jansson makes no NaN or infinity from text, but guard anyway
     * (json_real() itself refuses them: the members may be missing). */
    ck_assert_int_ne(rxa_claims_get_time(c, "nan", &t), APR_SUCCESS);
    ck_assert_int_ne(rxa_claims_get_time(c, "inf", &t), APR_SUCCESS);
    json_decref(c);
}
END_TEST

START_TEST(get_id)
{
    json_t *c = json_object();
    const char *out = "unset";

    json_object_set_new(c, "id", json_string("client-1"));
    json_object_set_new(c, "empty", json_string(""));
    json_object_set_new(c, "num", json_integer(5));
    json_object_set_new(c, "null", json_null());
    json_object_set_new(c, "ctl", json_string("a\x7f"));
    json_object_set_new(c, "nl", json_string("a\nb"));
    json_object_set_new(c, "nul", json_stringn("a\0b", 3));
    ck_assert_int_eq(rxa_claims_get_id(c, "id", 8, &out), APR_SUCCESS);
    ck_assert_str_eq(out, "client-1");
    ck_assert_int_eq(rxa_claims_get_id(c, "id", 7, &out), APR_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(rxa_claims_get_id(c, "x", 8, &out), APR_NOTFOUND);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(rxa_claims_get_id(c, "empty", 8, &out), APR_EINVAL);
    ck_assert_int_eq(rxa_claims_get_id(c, "num", 8, &out), APR_EINVAL);
    ck_assert_int_eq(rxa_claims_get_id(c, "null", 8, &out), APR_EINVAL);
    ck_assert_int_eq(rxa_claims_get_id(c, "ctl", 8, &out), APR_EINVAL);
    ck_assert_int_eq(rxa_claims_get_id(c, "nl", 8, &out), APR_EINVAL);
    ck_assert_int_eq(rxa_claims_get_id(c, "nul", 8, &out), APR_EINVAL);
    ck_assert_ptr_null(out);
    json_decref(c);
}
END_TEST

START_TEST(nonce)
{
    setup_expect();
    ck_claims_fail("{\"nonce\":\"n-0S6_WzA2Mk\"}", RXA_CLAIMS_NONCE,
                   "RXA03331");
    ck_claims_fail("{\"nonce\":\"n-0S6_WzA2Mj \"}", RXA_CLAIMS_NONCE,
                   "RXA03331");
    ck_claims_fail("{\"nonce\":\"n-0S6_WzA2M\"}", RXA_CLAIMS_NONCE,
                   "RXA03331");
    ck_claims_fail("{\"nonce\":\"\"}", RXA_CLAIMS_NONCE, "RXA03331");
    ck_claims_fail("{\"nonce\":null}", RXA_CLAIMS_NONCE, "RXA03330");
    ck_claims_fail("{\"nonce\":7}", RXA_CLAIMS_NONCE, "RXA03330");
    /* A NUL inside (jansson refuses it in text; built here) cannot
     * shorten the comparison. */
    {
        json_t *c = claims(NULL);
        const char *why;
        json_object_set_new(c, "nonce", json_stringn("n-0S6_WzA2Mj\0x", 14));
        ck_assert_int_eq(rxa_claims_check(rxa_test_pool, c, &expect, &why),
                         RXA_CLAIMS_NONCE);
    }
}
END_TEST

START_TEST(at_hash)
{
    /* OpenID Connect Core A.3/A.4: this access token's at_hash under
     * RS256 is "77QmUPtjPfzWtF2AnpK9RQ". */
    static const char at[] = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    const char *ok256 = "{\"at_hash\":\"77QmUPtjPfzWtF2AnpK9RQ\"}";

    setup_expect();
    ck_assert_str_eq(rxa_claims_at_hash(rxa_test_pool, RXA_JWS_RS256, at,
                                        strlen(at)), "77QmUPtjPfzWtF2AnpK9RQ");
    ck_assert_ptr_null(rxa_claims_at_hash(rxa_test_pool, RXA_JWS_ALG_UNKNOWN,
                                          at, strlen(at)));
    /* Not checked without an access token. */
    ck_claims_ok("{\"at_hash\":\"wrong\"}");
    expect.access_token = at;
    expect.access_token_len = strlen(at);
    ck_claims_ok(ok256);
    ck_claims_ok(NULL);     /* optional in the code flow */
    ck_claims_fail("{\"at_hash\":\"77QmUPtjPfzWtF2AnpK9RR\"}",
                   RXA_CLAIMS_AT_HASH, "RXA03333");
    ck_claims_fail("{\"at_hash\":\"77QmUPtjPfzWtF2AnpK9RQ==\"}",
                   RXA_CLAIMS_AT_HASH, "RXA03333");
    ck_claims_fail("{\"at_hash\":\"77QmUPtjPfzWtF2AnpK9\"}",
                   RXA_CLAIMS_AT_HASH, "RXA03333");
    ck_claims_fail("{\"at_hash\":1}", RXA_CLAIMS_AT_HASH, "RXA03333");
    /* The hash follows the alg: same value under ES256 and PS256, another
     * under RS384 and EdDSA. */
    expect.alg = RXA_JWS_ES256;
    ck_claims_ok(ok256);
    expect.alg = RXA_JWS_PS256;
    ck_claims_ok(ok256);
    expect.alg = RXA_JWS_RS384;
    ck_claims_fail(ok256, RXA_CLAIMS_AT_HASH, "RXA03333");
    ck_assert_uint_eq(strlen(rxa_claims_at_hash(rxa_test_pool, RXA_JWS_ES384,
                                                at, strlen(at))), 32);
    ck_assert_uint_eq(strlen(rxa_claims_at_hash(rxa_test_pool, RXA_JWS_EDDSA,
                                                at, strlen(at))), 43);
    ck_claims_ok(apr_psprintf(rxa_test_pool, "{\"at_hash\":\"%s\"}",
                              rxa_claims_at_hash(rxa_test_pool, RXA_JWS_RS384,
                                                 at, strlen(at))));
    expect.alg = RXA_JWS_ALG_UNKNOWN;
    ck_claims_fail(ok256, RXA_CLAIMS_AT_HASH, "RXA03332");
}
END_TEST

START_TEST(subject)
{
    char *long_sub = apr_palloc(rxa_test_pool, 300);

    setup_expect();
    ck_claims_fail("{\"sub\":null}", RXA_CLAIMS_SUB, "RXA03340");
    ck_claims_fail("{\"sub\":\"\"}", RXA_CLAIMS_SUB, "RXA03340");
    ck_claims_fail("{\"sub\":12345}", RXA_CLAIMS_SUB, "RXA03340");
    ck_claims_fail("{\"sub\":\"alice\\r\\nX-Admin: 1\"}", RXA_CLAIMS_SUB,
                   "RXA03342");
    {
        json_t *c = claims(NULL);
        const char *why;
        json_object_set_new(c, "sub", json_stringn("a\0b", 3));
        ck_assert_int_eq(rxa_claims_check(rxa_test_pool, c, &expect, &why),
                         RXA_CLAIMS_SUB);
    }
    ck_claims_fail("{\"sub\":\"a\\u007fb\"}", RXA_CLAIMS_SUB, "RXA03342");
    memset(long_sub, 'a', 256);
    long_sub[256] = '\0';
    ck_claims_fail(apr_psprintf(rxa_test_pool, "{\"sub\":\"%s\"}", long_sub),
                   RXA_CLAIMS_SUB, "RXA03341");
    long_sub[255] = '\0';
    ck_claims_ok(apr_psprintf(rxa_test_pool, "{\"sub\":\"%s\"}", long_sub));
    ck_claims_ok("{\"sub\":\"J\\u00fcrgen \\u65e5\\u672c\"}");
}
END_TEST

START_TEST(embedded_nul)
{
    /* Claims built in memory (not parsed from text, where jansson refuses
     * \u0000) cannot pass for a prefix. */
    static const char *const members[] = { "iss", "aud", "azp", "tid" };
    apr_size_t i;

    setup_expect();
    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *c = claims(NULL);
        const char *why, *val = "https://idp.example\0.evil";
        apr_size_t len = 25;

        if (!strcmp(members[i], "aud") || !strcmp(members[i], "azp")) {
            val = "client-1\0x";
            len = 10;
        }
        expect.issuer = strcmp(members[i], "tid")
                        ? "https://idp.example" : "https://{tenantid}.example";
        if (!strcmp(members[i], "tid")) {
            json_object_set_new(c, "iss",
                                json_string("https://abc.example"));
            val = "abc\0def";
            len = 7;
        }
        json_object_set_new(c, members[i], json_stringn(val, len));
        ck_assert_msg(rxa_claims_check(rxa_test_pool, c, &expect, &why)
                      != RXA_CLAIMS_OK, "%s with a NUL accepted",
                      members[i]);
    }
}
END_TEST

START_TEST(malformed_and_names)
{
    const char *why;

    setup_expect();
    ck_assert_int_eq(rxa_claims_check(rxa_test_pool, NULL, &expect, &why),
                     RXA_CLAIMS_MALFORMED);
    ck_assert_int_eq(rxa_claims_check(rxa_test_pool,
                                      rxa_json_pool_own(rxa_test_pool,
                                                        json_array()), &expect,
                                      &why), RXA_CLAIMS_MALFORMED);
    ck_assert_int_eq(rxa_claims_check(rxa_test_pool, claims(NULL), NULL,
                                      &why), RXA_CLAIMS_MALFORMED);
    ck_assert_int_eq(rxa_claims_check(rxa_test_pool, claims(NULL), &expect,
                                      NULL), RXA_CLAIMS_OK);
    ck_assert_str_eq(rxa_claims_err_name(RXA_CLAIMS_OK), "ok");
    ck_assert_str_eq(rxa_claims_err_name(RXA_CLAIMS_AT_HASH), "at_hash");
    ck_assert_str_eq(rxa_claims_err_name(RXA_CLAIMS_MALFORMED), "malformed");
    ck_assert_str_eq(rxa_claims_err_name((rxa_claims_err_t)99), "unknown");
}
END_TEST

START_TEST(reasons_hold_no_values)
{
    /* Every failure's reason is a fixed tagged text: no claim value. */
    static const char *const cases[] = {
        "{\"iss\":\"SECRETVALUE\"}", "{\"aud\":\"SECRETVALUE\"}",
        "{\"azp\":\"SECRETVALUE\"}", "{\"nonce\":\"SECRETVALUE\"}",
        "{\"sub\":\"SECRETVALUE\\n\"}", "{\"exp\":\"SECRETVALUE\"}"
    };
    apr_size_t i;

    setup_expect();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why;
        ck_assert_int_ne(check(cases[i], &why), RXA_CLAIMS_OK);
        ck_assert_ptr_null(strstr(why, "SECRET"));
        ck_assert(!strncmp(why, "RXA033", 6));
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = rxa_tcase("claims");

    tcase_add_test(tc, good_claims);
    tcase_add_test(tc, issuer);
    tcase_add_test(tc, entra_template);
    tcase_add_test(tc, audience);
    tcase_add_test(tc, times);
    tcase_add_test(tc, absurd_numbers);
    tcase_add_test(tc, get_time);
    tcase_add_test(tc, get_id);
    tcase_add_test(tc, nonce);
    tcase_add_test(tc, at_hash);
    tcase_add_test(tc, subject);
    tcase_add_test(tc, embedded_nul);
    tcase_add_test(tc, malformed_and_names);
    tcase_add_test(tc, reasons_hold_no_values);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
