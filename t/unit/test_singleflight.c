/* One call per key at a time: concurrent callers share one call, late
 * arrivals take a recent result, failures are shared too, valid_until ends
 * sharing early, a bad table is refused at creation, and without a table
 * every caller calls. */
#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "rxa_test.h"
#include "rxa_singleflight.h"

static volatile apr_uint32_t calls;

typedef struct {
    apr_status_t rv;            /* what the call returns */
    apr_interval_time_t sleep;  /* how long it takes */
    apr_interval_time_t valid;  /* 0: no valid_until; else now + valid */
} behaviour_t;

static apr_status_t call(void *baton, apr_pool_t *pool, void **result,
                         const char **err, apr_time_t *valid_until)
{
    const behaviour_t *b = baton;
    apr_uint32_t n = apr_atomic_inc32(&calls) + 1;

    if (b->sleep)
        apr_sleep(b->sleep);
    if (b->valid)
        *valid_until = apr_time_now() + b->valid;
    if (b->rv != APR_SUCCESS) {
        *err = apr_psprintf(pool, "call %u failed", n);
        return b->rv;
    }
    *result = apr_psprintf(pool, "result %u", n);
    return APR_SUCCESS;
}

static void *copy(apr_pool_t *pool, const void *result)
{
    return apr_pstrdup(pool, result);
}

static rxa_singleflight_t *make(apr_interval_time_t share)
{
    rxa_singleflight_t *sf = NULL;

    ck_assert_int_eq(rxa_singleflight_create(rxa_test_pool, share, 8, &sf),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(sf);
    return sf;
}

static apr_status_t run(rxa_singleflight_t *sf, const char *key,
                        behaviour_t *b, const char **out, const char **err,
                        int *shared)
{
    void *result = NULL;
    apr_status_t rv = rxa_singleflight_do(sf, rxa_test_pool, key, call, b,
                                          copy, &result, err, shared);
    *out = result;
    return rv;
}

START_TEST(late_arrivals_share_a_recent_outcome)
{
    rxa_singleflight_t *sf = make(apr_time_from_sec(10));
    behaviour_t ok = { APR_SUCCESS, 0, 0 }, bad = { APR_EGENERAL, 0, 0 };
    const char *out, *err;
    int shared;

    calls = 0;
    ck_assert_int_eq(run(sf, "a", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 1");
    ck_assert_int_eq(shared, 0);
    ck_assert_int_eq(run(sf, "a", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 1");
    ck_assert_int_eq(shared, 1);
    ck_assert_int_eq(run(sf, "b", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 2");
    /* failures are shared too */
    ck_assert_int_eq(run(sf, "f", &bad, &out, &err, &shared), APR_EGENERAL);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "call 3 failed");
    ck_assert_int_eq(run(sf, "f", &bad, &out, &err, &shared), APR_EGENERAL);
    ck_assert_str_eq(err, "call 3 failed");
    ck_assert_int_eq(shared, 1);
    ck_assert_int_eq(calls, 3);
}
END_TEST

START_TEST(sharing_ends)
{
    rxa_singleflight_t *sf = make(apr_time_from_msec(50));
    behaviour_t ok = { APR_SUCCESS, 0, 0 };
    behaviour_t brief = { APR_SUCCESS, 0, apr_time_from_msec(1) };
    const char *out, *err;
    int shared, i;

    calls = 0;
    run(sf, "a", &ok, &out, &err, &shared);
    apr_sleep(apr_time_from_msec(80));
    ck_assert_int_eq(run(sf, "a", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 2");
    ck_assert_int_eq(shared, 0);
    /* valid_until ends a success's sharing before the share time */
    run(sf, "b", &brief, &out, &err, &shared);
    apr_sleep(apr_time_from_msec(5));
    run(sf, "b", &brief, &out, &err, &shared);
    ck_assert_str_eq(out, "result 4");
    ck_assert_int_eq(shared, 0);
    /* a full table makes room */
    for (i = 0; i < 40; i++)
        ck_assert_int_eq(run(sf, apr_psprintf(rxa_test_pool, "k%d", i), &ok,
                             &out, &err, &shared), APR_SUCCESS);
    ck_assert_int_eq(calls, 44);
}
END_TEST

#define THREADS 8

static rxa_singleflight_t *together;

static void *APR_THREAD_FUNC arrive(apr_thread_t *t, void *data)
{
    static behaviour_t slow = { APR_SUCCESS, 200000, 0 };
    apr_pool_t *p;
    void *result = NULL;
    const char *err;

    apr_pool_create(&p, NULL);
    ck_assert_int_eq(rxa_singleflight_do(together, p, "same", call, &slow,
                                         copy, &result, &err, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(result, "result 1");
    apr_pool_destroy(p);
    (void)t;
    (void)data;
    return NULL;
}

START_TEST(concurrent_callers_share_one_call)
{
    apr_thread_t *t[THREADS];
    apr_status_t rv;
    int i;

    calls = 0;
    together = make(apr_time_from_sec(10));
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, arrive, NULL,
                                           rxa_test_pool), APR_SUCCESS);
    for (i = 0; i < THREADS; i++)
        apr_thread_join(&rv, t[i]);
    ck_assert_int_eq(calls, 1);
}
END_TEST

static char not_a_table;

START_TEST(creation_failure_and_no_table)
{
    rxa_singleflight_t *sf = (rxa_singleflight_t *)&not_a_table;
    behaviour_t ok = { APR_SUCCESS, 0, 0 };
    const char *out, *err;
    int shared;

    ck_assert_int_eq(rxa_singleflight_create(rxa_test_pool, 0, 0, &sf),
                     APR_EINVAL);
    ck_assert_ptr_null(sf);
    sf = (rxa_singleflight_t *)&not_a_table;
    ck_assert_int_eq(rxa_singleflight_create(NULL, 0, 8, &sf), APR_EINVAL);
    ck_assert_ptr_null(sf);
    ck_assert_int_eq(rxa_singleflight_create(rxa_test_pool, -1, 8, &sf),
                     APR_EINVAL);
    ck_assert_ptr_null(sf);
    /* the fallback: without a table, every caller makes its own call */
    calls = 0;
    ck_assert_int_eq(run(NULL, "a", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 1");
    ck_assert_int_eq(run(NULL, "a", &ok, &out, &err, &shared), APR_SUCCESS);
    ck_assert_str_eq(out, "result 2");
    ck_assert_int_eq(shared, 0);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("singleflight");
    TCase *tc = rxa_tcase("singleflight");

    tcase_add_test(tc, late_arrivals_share_a_recent_outcome);
    tcase_add_test(tc, sharing_ends);
    tcase_add_test(tc, concurrent_callers_share_one_call);
    tcase_add_test(tc, creation_failure_and_no_table);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
