/* The verified-cookie cache: exact-byte hits, expiry, re-tagging, LRU
 * bound, and hits that outlive their entry's eviction. */
#include <apr_thread_proc.h>

#include "rxa_test.h"
#include "rxa_vcache.h"

enum { TAG_A = 1, TAG_B = 2 };

static rxa_session_t session(const char *sub)
{
    rxa_session_t s;

    memset(&s, 0, sizeof(s));
    s.provider = "demo";
    s.sid = "sid-1";
    s.started_at = 1765000000;
    s.access_token = sub;
    s.expires_at = 5000;
    s.id_token = "header.payload.sig";
    s.refresh_token = NULL;
    s.granted_scopes = "openid email";
    return s;
}

static json_t *claims(const char *sub)
{
    return json_pack("{s:s, s:i}", "sub", sub, "exp", 5000);
}

static rxa_vcache_t *make(apr_size_t max)
{
    rxa_vcache_t *c = NULL;

    ck_assert_int_eq(rxa_vcache_create(rxa_test_pool, max, &c), APR_SUCCESS);
    return c;
}

static void put(rxa_vcache_t *c, const char *key, apr_uint64_t tag,
                apr_int64_t until, const char *sub)
{
    rxa_session_t s = session(sub);
    json_t *cl = claims(sub);

    rxa_signin_ref_t ref;

    rxa_signin_ref_make(&ref, s.sid, s.started_at, "https://idp", NULL, sub);
    rxa_vcache_put(c, key, strlen(key), tag, 1000, until, &s, cl, &ref);
    json_decref(cl);            /* the cache holds its own reference */
}

static const char *get_sub(rxa_vcache_t *c, apr_pool_t *p, const char *key,
                           apr_uint64_t tag, apr_int64_t now)
{
    const rxa_session_t *s;
    const rxa_signin_ref_t *ref;
    rxa_signin_ref_t want;
    json_t *cl;
    apr_int64_t until = 0;

    if (!rxa_vcache_get(c, p, key, strlen(key), tag, now, &s, &cl, &ref,
                        &until))
        return NULL;
    /* the sign-in and its start, and its digests, come back */
    ck_assert_str_eq(s->sid, "sid-1");
    ck_assert_int_eq(s->started_at, 1765000000);
    ck_assert_ptr_nonnull(ref);
    rxa_signin_ref_make(&want, "sid-1", 1765000000, "https://idp", NULL,
                        s->access_token);
    ck_assert(!memcmp(ref->signin, want.signin, sizeof(want.signin)));
    ck_assert(!memcmp(ref->sub, want.sub, sizeof(want.sub)));
    ck_assert_int_eq(ref->has_sid, 0);
    ck_assert_int_eq(ref->started_at, 1765000000);
    ck_assert_int_eq(until, 2000);     /* every stored entry here ends then */
    ck_assert_str_eq(s->provider, "demo");
    ck_assert_str_eq(s->granted_scopes, "openid email");
    ck_assert_ptr_null(s->refresh_token);
    ck_assert_int_eq(s->expires_at, 5000);
    ck_assert_str_eq(json_string_value(json_object_get(cl, "sub")),
                     s->access_token);
    return s->access_token;
}

START_TEST(hit_needs_exact_bytes)
{
    rxa_vcache_t *c = make(8);
    rxa_vcache_stats_t st;

    put(c, "demo\nAAAA\nBBBB", TAG_A, 2000, "alice");
    ck_assert_str_eq(get_sub(c, rxa_test_pool, "demo\nAAAA\nBBBB", TAG_A,
                             1500), "alice");
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "demo\nAAAA\nBBBC", TAG_A,
                               1500));
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "demo\nAAAA\nBBB", TAG_A,
                               1500));
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "", TAG_A, 1500));
    rxa_vcache_stats(c, &st);
    ck_assert_int_eq(st.hits, 1);
    ck_assert_int_eq(st.misses, 3);
    ck_assert_int_eq(st.entries, 1);
}
END_TEST

START_TEST(expiry_and_tag)
{
    rxa_vcache_t *c = make(8);
    rxa_vcache_stats_t st;

    put(c, "k1", TAG_A, 2000, "alice");
    ck_assert_ptr_nonnull(get_sub(c, rxa_test_pool, "k1", TAG_A, 1999));
    /* at valid_until the entry is gone, and stays gone */
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "k1", TAG_A, 2000));
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "k1", TAG_A, 1500));

    put(c, "k2", TAG_A, 2000, "bob");
    /* a new key set (another tag) means verifying again */
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "k2", TAG_B, 1500));
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "k2", TAG_A, 1500));
    rxa_vcache_stats(c, &st);
    ck_assert_int_eq(st.expired, 2);
    ck_assert_int_eq(st.entries, 0);

    /* already expired at put: not kept */
    put(c, "k3", TAG_A, 1000, "carol");
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "k3", TAG_A, 999));
}
END_TEST

START_TEST(lru_bound)
{
    rxa_vcache_t *c = make(3);
    rxa_vcache_stats_t st;

    put(c, "a", TAG_A, 2000, "a");
    put(c, "b", TAG_A, 2000, "b");
    put(c, "c", TAG_A, 2000, "c");
    ck_assert_ptr_nonnull(get_sub(c, rxa_test_pool, "a", TAG_A, 1500));
    put(c, "d", TAG_A, 2000, "d");     /* evicts b, the least recent */
    ck_assert_ptr_null(get_sub(c, rxa_test_pool, "b", TAG_A, 1500));
    ck_assert_ptr_nonnull(get_sub(c, rxa_test_pool, "a", TAG_A, 1500));
    ck_assert_ptr_nonnull(get_sub(c, rxa_test_pool, "c", TAG_A, 1500));
    ck_assert_ptr_nonnull(get_sub(c, rxa_test_pool, "d", TAG_A, 1500));
    /* the same key again replaces, it does not grow */
    put(c, "d", TAG_A, 2000, "d2");
    ck_assert_str_eq(get_sub(c, rxa_test_pool, "d", TAG_A, 1500), "d2");
    rxa_vcache_stats(c, &st);
    ck_assert_int_eq(st.entries, 3);
    ck_assert_int_eq(st.evictions, 1);
}
END_TEST

START_TEST(hit_outlives_eviction)
{
    rxa_vcache_t *c = make(1);
    apr_pool_t *req;
    const rxa_session_t *s;
    json_t *cl;

    apr_pool_create(&req, rxa_test_pool);
    put(c, "a", TAG_A, 2000, "alice");
    ck_assert(rxa_vcache_get(c, req, "a", 1, TAG_A, 1500, &s, &cl, NULL,
                             NULL));
    put(c, "b", TAG_A, 2000, "bob");   /* evicts a while req holds it */
    put(c, "a", TAG_A, 2000, "alice2");
    /* under ASan, a use after free here would be reported */
    ck_assert_str_eq(s->access_token, "alice");
    ck_assert_str_eq(json_string_value(json_object_get(cl, "sub")), "alice");
    apr_pool_destroy(req);
}
END_TEST

/* Many threads hitting, missing and evicting at once; run under ASan in
 * CI, where a race that frees an entry in use shows. */
#define THREADS 4
#define ROUNDS 20000

static rxa_vcache_t *shared;

static void *APR_THREAD_FUNC hammer(apr_thread_t *t, void *data)
{
    apr_pool_t *p;
    unsigned seed = (unsigned)(apr_uintptr_t)data;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < ROUNDS; i++) {
        char key[16];
        const rxa_session_t *s;
        json_t *cl;

        seed = seed * 1103515245u + 12345u;
        apr_snprintf(key, sizeof(key), "k%u", (seed >> 16) % 24);
        if (rxa_vcache_get(shared, p, key, strlen(key), TAG_A, 1500, &s,
                           &cl, NULL, NULL))
            ck_assert_str_eq(s->access_token, key);
        else
            put(shared, key, TAG_A, 2000, key);
        if (i % 64 == 0)
            apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    /* returning, not apr_thread_exit(): pthread_exit's unwinding confuses
     * ASan's stack bookkeeping (a false stack-use-after-scope) */
    (void)t;
    return NULL;
}

START_TEST(threads)
{
    apr_thread_t *t[THREADS];
    apr_status_t rv;
    rxa_vcache_stats_t st;
    int i;

    shared = make(16);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, hammer,
                                           (void *)(apr_uintptr_t)(i + 1),
                                           rxa_test_pool), APR_SUCCESS);
    for (i = 0; i < THREADS; i++)
        apr_thread_join(&rv, t[i]);
    rxa_vcache_stats(shared, &st);
    ck_assert_int_eq(st.hits + st.misses, THREADS * ROUNDS);
    ck_assert_int_le(st.entries, 16);
    ck_assert_int_gt(st.evictions, 0);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("vcache");
    TCase *tc = rxa_tcase("vcache");

    tcase_add_test(tc, hit_needs_exact_bytes);
    tcase_add_test(tc, expiry_and_tag);
    tcase_add_test(tc, lru_bound);
    tcase_add_test(tc, hit_outlives_eviction);
    tcase_add_test(tc, threads);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
