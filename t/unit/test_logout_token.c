/* Back-Channel Logout: the form body and the logout token's claims. */
#include "rxa_test.h"
#include "rxa_claims_test.h"

#include "rxa_json.h"
#include "rxa_logout_token.h"

#define NOW APR_INT64_C(1700000000)

static rxa_logout_expect_t expect;

/* --- the form body ------------------------------------------------------------ */

static apr_status_t form(const char *body, const char **token,
                         const char **err)
{
    *err = NULL;
    return rxa_logout_form_parse(rxa_test_pool, body, strlen(body), token,
                                 err);
}

#define ck_form_ok(body, want) do {                                         \
        const char *t_, *e_;                                                \
        ck_assert_msg(form((body), &t_, &e_) == APR_SUCCESS, "%s: %s",      \
                      (body), e_);                                          \
        ck_assert_str_eq(t_, (want));                                       \
    } while (0)

#define ck_form_fail(body, tag) do {                                        \
        const char *t_, *e_;                                                \
        ck_assert_msg(form((body), &t_, &e_) == APR_EINVAL, "%s", (body));  \
        ck_assert_ptr_null(t_);                                             \
        ck_assert_msg(e_ && strstr(e_, (tag)), "%s: %s", (body), e_);       \
    } while (0)

START_TEST(form_body)
{
    const char *t, *e;
    char *big;

    ck_form_ok("logout_token=aaa.bbb.ccc", "aaa.bbb.ccc");
    ck_form_ok("logout_token=aaa.bbb.c%2Dc", "aaa.bbb.c-c");
    ck_form_ok("logout_token=a+b", "a b");
    ck_form_ok("&logout_token=x&", "x");

    ck_form_fail("", "RXA08100");
    ck_form_fail("logout_token=", "RXA08104");
    ck_form_fail("logout_token", "RXA08104");
    ck_form_fail("logout_token=a&logout_token=b", "RXA08103");
    ck_form_fail("logout_token=a&state=b", "RXA08103");
    ck_form_fail("id_token=a", "RXA08103");
    ck_form_fail("Logout_Token=a", "RXA08103");
    ck_form_fail("logout_token=a%zz", "RXA04123");
    ck_form_fail("logout_token=a%00", "RXA04121");
    ck_form_fail("logout_token=a b", "RXA04122");
    ck_form_fail("logout_token=a\r\n", "RXA04122");

    /* a NUL byte inside the counted length */
    ck_assert_int_eq(rxa_logout_form_parse(rxa_test_pool, "logout_token=a\0b",
                                           16, &t, &e), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(e, "RXA08102"));
    /* LEN is honoured: no terminator needed */
    ck_assert_int_eq(rxa_logout_form_parse(rxa_test_pool,
                                           "logout_token=abcdef", 15, &t, &e),
                     APR_SUCCESS);
    ck_assert_str_eq(t, "ab");

    /* the size bound, at the limit and just over it */
    big = apr_palloc(rxa_test_pool, RXA_LOGOUT_BODY_MAX + 2);
    memcpy(big, "logout_token=", 13);
    memset(big + 13, 'x', RXA_LOGOUT_BODY_MAX - 13);
    big[RXA_LOGOUT_BODY_MAX] = '\0';
    ck_assert_int_eq(form(big, &t, &e), APR_SUCCESS);
    ck_assert_uint_eq(strlen(t), RXA_LOGOUT_BODY_MAX - 13);
    big[RXA_LOGOUT_BODY_MAX] = 'x';
    big[RXA_LOGOUT_BODY_MAX + 1] = '\0';
    ck_form_fail(big, "RXA08101");
}
END_TEST

/* --- the claims --------------------------------------------------------------- */

/* A good claim set, changed by EXTRA (see rxa_test_claims). */
static json_t *claims(const char *extra)
{
    static const char base[] =
        "{\"iss\":\"https://idp.example\",\"aud\":\"client-1\","
        "\"iat\":1699999990,\"exp\":1700000120,\"jti\":\"bWJq\","
        "\"sid\":\"08a5019c-17e1-4977-8f42-65a12843ea02\","
        "\"sub\":\"248289761001\","
        "\"events\":{\"http://schemas.openid.net/event/backchannel-logout\":"
        "{}}}";

    return rxa_test_claims(rxa_test_pool, base, extra);
}

/* Each test starts from these and may change them. */
static void setup_expect(void)
{
    static const rxa_logout_expect_t good = {
        "https://idp.example", "client-1", NOW, 60
    };

    expect = good;
}

static apr_status_t check(const char *extra, rxa_logout_token_t *t,
                          const char **why)
{
    *why = NULL;
    return rxa_logout_token_check(rxa_test_pool, claims(extra), &expect, t,
                                  why);
}

static void ck_token_ok(const char *extra)
{
    rxa_logout_token_t t;
    const char *w;

    ck_assert_msg(check(extra, &t, &w) == APR_SUCCESS, "%s: %s",
                  extra ? extra : "", w);
}

static void ck_token_fail(const char *extra, const char *tag)
{
    rxa_logout_token_t t;
    const char *w;

    ck_assert_msg(check(extra, &t, &w) == APR_EINVAL, "%s",
                  extra ? extra : "");
    ck_assert_msg(w && strstr(w, tag), "%s: %s", extra ? extra : "",
                  w ? w : "");
}

START_TEST(good_token)
{
    rxa_logout_token_t t;
    const char *why;

    setup_expect();
    ck_assert_int_eq(check(NULL, &t, &why), APR_SUCCESS);
    ck_assert_str_eq(t.iss, "https://idp.example");
    ck_assert_str_eq(t.sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    ck_assert_str_eq(t.sub, "248289761001");
    ck_assert_str_eq(t.jti, "bWJq");
    ck_assert_int_eq(t.iat, 1699999990);
    ck_assert_int_eq(t.exp, 1700000120);

    ck_assert_int_eq(check("{\"exp\":null,\"sid\":null}", &t, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(t.exp, 0);
    ck_assert_ptr_null(t.sid);
    ck_assert_str_eq(t.sub, "248289761001");

    ck_assert_int_eq(check("{\"sub\":null}", &t, &why), APR_SUCCESS);
    ck_assert_ptr_null(t.sub);
    ck_assert_ptr_nonnull(t.sid);
}
END_TEST

START_TEST(issuer)
{
    setup_expect();
    ck_token_fail("{\"iss\":\"https://other.example\"}", "RXA08131");
    ck_token_fail("{\"iss\":\"https://idp.example/\"}", "RXA08131");
    ck_token_fail("{\"iss\":null}", "RXA08131");
    ck_token_fail("{\"iss\":[\"https://idp.example\"]}", "RXA08131");
    expect.issuer = NULL;
    ck_token_fail(NULL, "RXA08131");
}
END_TEST

START_TEST(audience)
{
    setup_expect();
    ck_token_ok("{\"aud\":[\"client-1\"]}");
    ck_token_ok("{\"aud\":[\"other\",\"client-1\"]}");
    ck_token_fail("{\"aud\":\"client-2\"}", "RXA08132");
    ck_token_fail("{\"aud\":[\"client-2\"]}", "RXA08132");
    ck_token_fail("{\"aud\":[]}", "RXA08132");
    ck_token_fail("{\"aud\":null}", "RXA08132");
    ck_token_fail("{\"aud\":{\"client-1\":1}}", "RXA08132");
    expect.client_id = NULL;
    ck_token_fail(NULL, "RXA08132");
}
END_TEST

START_TEST(times)
{
    setup_expect();
    /* iat: required, up to now + skew */
    ck_token_ok("{\"iat\":1700000060}");
    ck_token_ok("{\"iat\":1700000060.9}");
    ck_token_fail("{\"iat\":1700000061}", "RXA08112");
    ck_token_fail("{\"iat\":null}", "RXA08110");
    ck_token_fail("{\"iat\":\"1699999990\"}", "RXA08111");
    ck_token_fail("{\"iat\":-1}", "RXA08111");
    /* exp: optional, not passed beyond the skew */
    ck_token_ok("{\"exp\":1699999941}");
    ck_token_fail("{\"exp\":1699999940}", "RXA08114");
    ck_token_fail("{\"exp\":1}", "RXA08114");
    ck_token_fail("{\"exp\":\"soon\"}", "RXA08113");
    ck_token_fail("{\"exp\":1e300}", "RXA08113");
    ck_token_ok("{\"exp\":null}");
    expect.skew = 0;
    ck_token_fail("{\"iat\":1700000001}", "RXA08112");
    ck_token_fail("{\"exp\":1700000000}", "RXA08114");
    ck_token_ok("{\"iat\":1700000000,\"exp\":1700000001}");
}
END_TEST

START_TEST(events)
{
    setup_expect();
    ck_token_ok("{\"events\":{\"http://schemas.openid.net/event/"
                "backchannel-logout\":{\"x\":1},\"other\":true}}");
    ck_token_fail("{\"events\":null}", "RXA08133");
    ck_token_fail("{\"events\":[]}", "RXA08133");
    ck_token_fail("{\"events\":\"http://schemas.openid.net/event/"
                  "backchannel-logout\"}", "RXA08133");
    ck_token_fail("{\"events\":{}}", "RXA08134");
    ck_token_fail("{\"events\":{\"http://schemas.openid.net/event/"
                  "backchannel-logout/\":{}}}", "RXA08134");
    ck_token_fail("{\"events\":{\"http://schemas.openid.net/event/"
                  "backchannel-logout\":true}}", "RXA08134");
    ck_token_fail("{\"events\":{\"http://schemas.openid.net/event/"
                  "backchannel-logout\":\"\"}}", "RXA08134");
}
END_TEST

START_TEST(nonce)
{
    setup_expect();
    ck_token_fail("{\"nonce\":\"n-0S6_WzA2Mj\"}", "RXA08135");
    ck_token_fail("{\"nonce\":\"\"}", "RXA08135");
    ck_token_fail("{\"nonce\":false}", "RXA08135");
}
END_TEST

START_TEST(subject)
{
    char long_id[300], js[700];

    setup_expect();
    ck_token_ok("{\"sid\":null}");
    ck_token_ok("{\"sub\":null}");
    ck_token_fail("{\"sid\":null,\"sub\":null}", "RXA08122");
    ck_token_fail("{\"sid\":\"\"}", "RXA08120");
    ck_token_fail("{\"sid\":42}", "RXA08120");
    ck_token_fail("{\"sid\":\"a\\nb\"}", "RXA08120");
    ck_token_fail("{\"sub\":\"\"}", "RXA08121");
    ck_token_fail("{\"sub\":[\"x\"]}", "RXA08121");
    memset(long_id, 'a', 255);
    long_id[255] = '\0';
    snprintf(js, sizeof(js), "{\"sid\":\"%s\",\"sub\":\"%s\"}", long_id,
             long_id);
    ck_token_ok(js);
    long_id[255] = 'a';
    long_id[256] = '\0';
    snprintf(js, sizeof(js), "{\"sid\":\"%s\"}", long_id);
    ck_token_fail(js, "RXA08120");
}
END_TEST

START_TEST(jti)
{
    char long_jti[300], js[400];

    setup_expect();
    ck_token_fail("{\"jti\":null}", "RXA08123");
    ck_token_fail("{\"jti\":\"\"}", "RXA08123");
    ck_token_fail("{\"jti\":12345}", "RXA08123");
    ck_token_fail("{\"jti\":\"a\\u007fb\"}", "RXA08123");
    memset(long_jti, 'j', RXA_LOGOUT_JTI_MAX);
    long_jti[RXA_LOGOUT_JTI_MAX] = '\0';
    snprintf(js, sizeof(js), "{\"jti\":\"%s\"}", long_jti);
    ck_token_ok(js);
    long_jti[RXA_LOGOUT_JTI_MAX] = 'j';
    long_jti[RXA_LOGOUT_JTI_MAX + 1] = '\0';
    snprintf(js, sizeof(js), "{\"jti\":\"%s\"}", long_jti);
    ck_token_fail(js, "RXA08123");
}
END_TEST

/* A value with an embedded NUL (the JSON parser refuses \u0000, a claim set
 * built otherwise may hold one) cannot pass for its prefix. */
static apr_status_t check_nul(const char *name, const char *val,
                              apr_size_t len, const char **why)
{
    rxa_logout_token_t t;
    json_t *c = claims(NULL);

    json_object_set_new(c, name, json_stringn(val, len));
    *why = NULL;
    return rxa_logout_token_check(rxa_test_pool, c, &expect, &t, why);
}

START_TEST(embedded_nul)
{
    const char *why;

    setup_expect();
    ck_assert_int_eq(check_nul("iss", "https://idp.example\0x", 21, &why),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "RXA08131"));
    ck_assert_int_eq(check_nul("aud", "client-1\0", 9, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "RXA08132"));
    ck_assert_int_eq(check_nul("sub", "a\0b", 3, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "RXA08121"));
    ck_assert_int_eq(check_nul("jti", "a\0b", 3, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "RXA08123"));
    ck_assert_int_eq(check_nul("sub", "ab", 2, &why), APR_SUCCESS);
}
END_TEST

START_TEST(malformed)
{
    rxa_logout_token_t t;
    const char *why = NULL;
    json_t *arr = json_array();

    setup_expect();
    rxa_json_pool_own(rxa_test_pool, arr);
    ck_assert_int_eq(rxa_logout_token_check(rxa_test_pool, arr, &expect, &t,
                                            &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "RXA08130"));
    ck_assert_int_eq(rxa_logout_token_check(rxa_test_pool, NULL, &expect, &t,
                                            &why), APR_EINVAL);
}
END_TEST

/* Refusals name the rule, never a value from the token. */
START_TEST(reasons_hold_no_values)
{
    static const char *const cases[] = {
        "{\"iss\":\"SECRET\"}", "{\"aud\":\"SECRET\"}",
        "{\"sid\":\"SECRET\\n\"}", "{\"sub\":\"SECRET\\n\"}",
        "{\"jti\":\"SECRET\\n\"}", "{\"nonce\":\"SECRET\"}",
        "{\"events\":{\"SECRET\":{}}}", "{\"exp\":\"SECRET\"}",
    };
    rxa_logout_token_t t;
    const char *why;
    size_t i;

    setup_expect();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(check(cases[i], &t, &why), APR_EINVAL);
        ck_assert_ptr_null(strstr(why, "SECRET"));
        ck_assert(!strncmp(why, "RXA081", 6));
    }
}
END_TEST

/* --- replay keys and the per-process table ------------------------------------- */

START_TEST(jti_key)
{
    rxa_logout_token_t a = { "https://idp.example", NULL, "s", "j1", 1, 0 };
    rxa_logout_token_t b = a, c = a, d = a;
    const char *ka, *kb;

    b.jti = "j2";
    c.iss = "https://other.example";
    /* iss and jti cannot be shifted into each other */
    d.iss = "https://idp.examplej";
    d.jti = "1";
    ka = rxa_logout_jti_key(rxa_test_pool, &a);
    ck_assert_ptr_nonnull(ka);
    ck_assert_uint_eq(strlen(ka), 9 + 64);
    ck_assert(!strncmp(ka, "rxa1:jti:", 9));
    ck_assert_ptr_null(strstr(ka, "j1"));
    kb = rxa_logout_jti_key(rxa_test_pool, &a);
    ck_assert_str_eq(ka, kb);
    ck_assert_str_ne(ka, rxa_logout_jti_key(rxa_test_pool, &b));
    ck_assert_str_ne(ka, rxa_logout_jti_key(rxa_test_pool, &c));
    ck_assert_str_ne(ka, rxa_logout_jti_key(rxa_test_pool, &d));
    /* sha256("https://idp.example\0j1") */
    ck_assert_str_eq(ka + 9, "bd42e73c2b0dacbc3873caf13751c5dd"
                             "2213f36e8881a1af61ae8a351929ee6e");
}
END_TEST

START_TEST(jti_ttl)
{
    rxa_logout_token_t t = { "i", NULL, "s", "j", NOW, 0 };

    ck_assert_uint_eq(rxa_logout_jti_ttl(&t, NOW, 60),
                      RXA_LOGOUT_JTI_TTL_DEFAULT);
    t.exp = NOW + 120;
    ck_assert_uint_eq(rxa_logout_jti_ttl(&t, NOW, 60), 180);
    t.exp = NOW - 60;
    ck_assert_uint_eq(rxa_logout_jti_ttl(&t, NOW, 60), 1);
    t.exp = NOW - 600;
    ck_assert_uint_eq(rxa_logout_jti_ttl(&t, NOW, 60), 1);
    t.exp = NOW + 365 * 24 * 3600;
    ck_assert_uint_eq(rxa_logout_jti_ttl(&t, NOW, 60),
                      RXA_LOGOUT_JTI_TTL_MAX);
}
END_TEST

START_TEST(seen_table)
{
    rxa_logout_seen_t *seen;
    char key[32];
    int i;

    ck_assert_int_eq(rxa_logout_seen_create(rxa_test_pool, 0, &seen),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_logout_seen_create(rxa_test_pool, 4, &seen),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "a", NOW, 10), APR_SUCCESS);
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "a", NOW + 9, 10),
                     APR_EEXIST);
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "b", NOW, 100),
                     APR_SUCCESS);
    /* expired: new again */
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "a", NOW + 10, 10),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "a", NOW + 11, 10),
                     APR_EEXIST);
    /* full: the one expiring first makes room, b (latest) stays */
    for (i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_assert_int_eq(rxa_logout_seen_claim(seen, key, NOW + 11, 50),
                         APR_SUCCESS);
    }
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "b", NOW + 12, 100),
                     APR_EEXIST);
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "k2", NOW + 12, 100),
                     APR_EEXIST);
    /* too long a key */
    ck_assert_int_eq(rxa_logout_seen_claim(seen, "rxa1:jti:0123456789012345"
                                           "6789012345678901234567890123456"
                                           "78901234567890123456789", NOW, 1),
                     APR_EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("logout_token");
    TCase *tc = rxa_tcase("logout_token");

    tcase_add_test(tc, form_body);
    tcase_add_test(tc, good_token);
    tcase_add_test(tc, issuer);
    tcase_add_test(tc, audience);
    tcase_add_test(tc, times);
    tcase_add_test(tc, events);
    tcase_add_test(tc, nonce);
    tcase_add_test(tc, subject);
    tcase_add_test(tc, jti);
    tcase_add_test(tc, embedded_nul);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, reasons_hold_no_values);
    tcase_add_test(tc, jti_key);
    tcase_add_test(tc, jti_ttl);
    tcase_add_test(tc, seen_table);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
