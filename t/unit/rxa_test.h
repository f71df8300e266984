/* Shared scaffolding for the Check unit tests.
 *
 * Each test program defines `static Suite *make_suite(void)` and then
 * RXA_TEST_MAIN(make_suite). The runner writes TAP (CK_TAP_LOG_FILE_NAME=-,
 * set by `make check`), initialises APR once, and offers a pool per test.
 */
#ifndef RXA_TEST_H
#define RXA_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <check.h>

static apr_pool_t *rxa_test_pool;

static void rxa_test_setup(void)
{
    apr_pool_create(&rxa_test_pool, NULL);
}

static void rxa_test_teardown(void)
{
    apr_pool_destroy(rxa_test_pool);
    rxa_test_pool = NULL;
}

/* A tcase whose tests each get a fresh rxa_test_pool. */
static inline TCase *rxa_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, rxa_test_setup, rxa_test_teardown);
    tcase_set_timeout(tc, 60);
    return tc;
}

/* Path of a file in ../shared/testdata, or NULL when the directory is not
 * there (tests then skip cleanly). */
static inline const char *rxa_testdata(apr_pool_t *p, const char *rel)
{
    const char *src = getenv("RXA_SRCDIR");
    const char *dir = getenv("RXA_TESTDATA");
    char *path;
    apr_finfo_t fi;

    if (!dir)
        dir = apr_pstrcat(p, src ? src : ".", "/../shared/testdata", NULL);
    path = apr_pstrcat(p, dir, "/", rel, NULL);
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS ? path : NULL;
}

/* Read a whole file into the pool; NUL-terminated, length in *len. */
static inline char *rxa_test_slurp(apr_pool_t *p, const char *path,
                                   apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS)
        return NULL;
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS && n == 0 && fi.size)
        return NULL;
    buf[n] = '\0';
    apr_file_close(f);
    if (len)
        *len = n;
    return buf;
}

/* A test program of one suite NAME with one test case holding the tests
 * listed (START_TEST names), in that order. */
#define RXA_TEST_SUITE(name, ...)                                          \
    static Suite *make_suite(void)                                         \
    {                                                                      \
        const TTest *const tests[] = { __VA_ARGS__ };                      \
        Suite *s = suite_create(name);                                     \
        TCase *tc = rxa_tcase(name);                                       \
        size_t i;                                                          \
        for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)             \
            tcase_add_test(tc, tests[i]);                                  \
        suite_add_tcase(s, tc);                                            \
        return s;                                                          \
    }                                                                      \
    RXA_TEST_MAIN(make_suite)

#define RXA_TEST_MAIN(make_suite)                                          \
    int main(void)                                                         \
    {                                                                      \
        SRunner *sr;                                                       \
        int failed;                                                        \
        apr_initialize();                                                  \
        sr = srunner_create(make_suite());                                 \
        if (!getenv("CK_TAP_LOG_FILE_NAME"))                               \
            srunner_set_tap(sr, "-");                                      \
        srunner_run_all(sr, CK_SILENT);                                    \
        failed = srunner_ntests_failed(sr);                                \
        srunner_free(sr);                                                  \
        apr_terminate();                                                   \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                       \
    }

#endif
