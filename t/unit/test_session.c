/* A sign-in's four cookies: they round-trip with the sign-in id and its
 * start, a set mixed from two sign-ins or two starts does not open,
 * cookies sealed before the start was kept still open (start 0), and a
 * malformed binding line is refused. */
#include "rxa_test.h"
#include "rxa_session.h"

#define SECRET "session-secret-0123456789-abcdefghijklmnopqr"

static rxa_seal_keyring_t *ring(void)
{
    const char *secrets[1] = { SECRET };
    rxa_seal_keyring_t *kr = NULL;
    const char *err = NULL;

    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool, secrets, 1, &kr,
                                             &err), APR_SUCCESS);
    return kr;
}

static rxa_session_t sample(const char *sid, apr_int64_t started_at)
{
    rxa_session_t s;

    memset(&s, 0, sizeof(s));
    s.provider = "demo";
    s.sid = sid;
    s.started_at = started_at;
    s.access_token = "at-123";
    s.expires_at = 1900000000;
    s.id_token = "h.p.s";
    s.refresh_token = "rt-456";
    s.granted_scopes = "openid email";
    return s;
}

static void seal(const rxa_session_t *s, const char *values[RXA_CK_COUNT])
{
    ck_assert_int_eq(rxa_session_seal(rxa_test_pool, ring(), s, values),
                     APR_SUCCESS);
}

static apr_status_t open_set(const char *const values[RXA_CK_COUNT],
                             rxa_session_t **out)
{
    *out = NULL;
    return rxa_session_open(rxa_test_pool, ring(), "demo", values, out);
}

/* Cookie values sealed from the four plaintexts given, as an older
 * module or a forger with the key would write them. */
static void seal_plain(const char *const plain[RXA_CK_COUNT],
                       const char *values[RXA_CK_COUNT])
{
    int k;

    for (k = 0; k < RXA_CK_COUNT; k++) {
        char *sealed = NULL;
        ck_assert_int_eq(rxa_seal_bound(rxa_test_pool, ring(),
                                        rxa_session_cookie_name(rxa_test_pool,
                                                                "demo", k),
                                        NULL,
                                        (const unsigned char *)plain[k],
                                        strlen(plain[k]), &sealed),
                         APR_SUCCESS);
        values[k] = sealed;
    }
}

/* The four plaintexts with BINDING as their first line. */
static void with_binding(const char *binding, const char *plain[RXA_CK_COUNT])
{
    plain[RXA_CK_ACCESS] = apr_pstrcat(rxa_test_pool, binding,
                                       "\n1900000000\nat-123", NULL);
    plain[RXA_CK_ID] = apr_pstrcat(rxa_test_pool, binding, "\nh.p.s", NULL);
    plain[RXA_CK_REFRESH] = apr_pstrcat(rxa_test_pool, binding, "\nrt-456",
                                        NULL);
    plain[RXA_CK_SCOPES] = apr_pstrcat(rxa_test_pool, binding, "\nopenid",
                                       NULL);
}

START_TEST(round_trip_keeps_the_start)
{
    rxa_session_t s = sample("sign-in-A", 1765000000), *o;
    const char *values[RXA_CK_COUNT];

    seal(&s, values);
    ck_assert_int_eq(open_set(values, &o), APR_SUCCESS);
    ck_assert_str_eq(o->sid, "sign-in-A");
    ck_assert_int_eq(o->started_at, 1765000000);
    ck_assert_str_eq(o->provider, "demo");
    ck_assert_str_eq(o->access_token, "at-123");
    ck_assert_int_eq(o->expires_at, 1900000000);
    ck_assert_str_eq(o->id_token, "h.p.s");
    ck_assert_str_eq(o->refresh_token, "rt-456");
    ck_assert_str_eq(o->granted_scopes, "openid email");
}
END_TEST

START_TEST(unknown_start_round_trips_as_zero)
{
    rxa_session_t s = sample("sign-in-A", 0), *o;
    const char *values[RXA_CK_COUNT];

    s.refresh_token = NULL;
    seal(&s, values);
    ck_assert_int_eq(open_set(values, &o), APR_SUCCESS);
    ck_assert_str_eq(o->sid, "sign-in-A");
    ck_assert_int_eq(o->started_at, 0);
    ck_assert_ptr_null(o->refresh_token);
}
END_TEST

/* Cookies sealed before the start was kept: the binding is the id alone. */
START_TEST(old_cookies_open_with_start_zero)
{
    const char *plain[RXA_CK_COUNT], *values[RXA_CK_COUNT];
    rxa_session_t *o;

    with_binding("sign-in-old", plain);
    seal_plain(plain, values);
    ck_assert_int_eq(open_set(values, &o), APR_SUCCESS);
    ck_assert_str_eq(o->sid, "sign-in-old");
    ck_assert_int_eq(o->started_at, 0);
    ck_assert_str_eq(o->access_token, "at-123");
    ck_assert_str_eq(o->granted_scopes, "openid");
}
END_TEST

/* One cookie from another sign-in, or from the same sign-in with another
 * start, or in the old format: the set does not open. */
START_TEST(mixed_sets_do_not_open)
{
    rxa_session_t a = sample("sign-in-A", 1765000000);
    rxa_session_t b = sample("sign-in-B", 1765000000);
    rxa_session_t a_later = sample("sign-in-A", 1765000001);
    const char *va[RXA_CK_COUNT], *vb[RXA_CK_COUNT], *vl[RXA_CK_COUNT];
    const char *plain[RXA_CK_COUNT], *vold[RXA_CK_COUNT];
    const char *mixed[RXA_CK_COUNT];
    rxa_session_t *o;
    int k, j;

    seal(&a, va);
    seal(&b, vb);
    seal(&a_later, vl);
    with_binding("sign-in-A", plain);
    seal_plain(plain, vold);
    for (k = 0; k < RXA_CK_COUNT; k++) {
        const char *const *other[] = { vb, vl, vold };
        for (j = 0; j < 3; j++) {
            memcpy(mixed, va, sizeof(mixed));
            mixed[k] = other[j][k];
            ck_assert_msg(open_set(mixed, &o) == APR_EINVAL,
                          "cookie %d from set %d opened", k, j);
        }
    }
}
END_TEST

START_TEST(malformed_bindings_are_refused)
{
    static const char *const bad[] = {
        "", " 1765000000", "sign-in-A ", "sign-in-A x", "sign-in-A -1",
        "sign-in-A +1", "sign-in-A 1 2", "sign-in-A 1x",
        "sign-in-A 1234567890123456789", "sign-in-A  1"
    };
    const char *plain[RXA_CK_COUNT], *values[RXA_CK_COUNT];
    rxa_session_t *o;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        with_binding(bad[i], plain);
        seal_plain(plain, values);
        ck_assert_msg(open_set(values, &o) == APR_EINVAL, "\"%s\" opened",
                      bad[i]);
    }
    /* the longest start accepted */
    with_binding("sign-in-A 123456789012345678", plain);
    seal_plain(plain, values);
    ck_assert_int_eq(open_set(values, &o), APR_SUCCESS);
    ck_assert_int_eq(o->started_at, APR_INT64_C(123456789012345678));
}
END_TEST

START_TEST(absent_and_partial_sets)
{
    rxa_session_t s = sample("sign-in-A", 1765000000), *o;
    const char *values[RXA_CK_COUNT];
    const char *none[RXA_CK_COUNT] = { NULL, NULL, NULL, NULL };

    ck_assert_int_eq(open_set(none, &o), APR_NOTFOUND);
    seal(&s, values);
    values[RXA_CK_SCOPES] = NULL;
    ck_assert_int_eq(open_set(values, &o), APR_EINVAL);
}
END_TEST

RXA_TEST_SUITE("session",
               round_trip_keeps_the_start,
               unknown_start_round_trips_as_zero,
               old_cookies_open_with_start_zero,
               mixed_sets_do_not_open,
               malformed_bindings_are_refused,
               absent_and_partial_sets)
