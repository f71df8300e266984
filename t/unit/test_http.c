/* Unit tests: outbound HTTP (rxa_http.h), the paths where curl cannot be
 * set up. rxa_http_seam makes curl_multi_init, curl_easy_init and
 * curl_multi_add_handle fail; no request reaches the network. */
#include "rxa_test.h"

#include "rxa_http.h"
#include "rxa_log.h"

static char last_log[2048];
static int log_count;

static void capture_log(void *baton, const char *file, int line, int level,
                        apr_status_t rv, const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    (void)level;
    (void)rv;
    apr_cpystrn(last_log, msg, sizeof(last_log));
    log_count++;
}

static void *fail_init(void)
{
    return NULL;
}

static int fail_add(void *multi, void *easy)
{
    (void)multi;
    (void)easy;
    return 1;                   /* CURLM_BAD_HANDLE */
}

/* Run two requests that look answered, as a caller's zeroed structs do,
 * and check that both fail with RV and an error tagged TAG, and that
 * NLOGS lines were logged, the last one tagged LOGTAG (when given). */
static void run_two_failing(apr_status_t rv, const char *tag, int nlogs,
                            const char *logtag)
{
    static const rxa_http_opts_t opts = { 1000, NULL, 65536, NULL };
    rxa_http_req_t reqs[2], *preqs[2] = { &reqs[0], &reqs[1] };
    int i;

    memset(reqs, 0, sizeof(reqs));
    reqs[0].url = "https://127.0.0.1:1/a";
    reqs[1].url = "https://127.0.0.1:1/b";
    rxa_log_set(capture_log, NULL, NULL);
    log_count = 0;
    last_log[0] = '\0';
    ck_assert_int_eq(rxa_http_run(rxa_test_pool, preqs, 2, &opts), rv);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(reqs[i].rv, rv);
        ck_assert_ptr_nonnull(reqs[i].err);
        ck_assert_msg(!strncmp(reqs[i].err, tag, strlen(tag)), "%s",
                      reqs[i].err);
        ck_assert_ptr_null(reqs[i].body);
    }
    ck_assert_int_eq(log_count, nlogs);
    if (logtag)
        ck_assert_msg(!strncmp(last_log, logtag, strlen(logtag)), "%s",
                      last_log);
    memset(&rxa_http_seam, 0, sizeof(rxa_http_seam));
    rxa_log_set(NULL, NULL, NULL);
}

START_TEST(multi_init_fails)
{
    rxa_http_seam.multi_init = fail_init;
    run_two_failing(APR_ENOMEM, "RXA01110: ", 1, "RXA01111: ");
}
END_TEST

START_TEST(easy_init_fails)
{
    rxa_http_seam.easy_init = fail_init;
    run_two_failing(APR_ENOMEM, "RXA01102: ", 0, NULL);
}
END_TEST

START_TEST(multi_add_handle_fails)
{
    rxa_http_seam.multi_add_handle = fail_add;
    run_two_failing(APR_EGENERAL, "RXA01112: ", 2, "RXA01113: ");
}
END_TEST

/* A URL that is neither https nor loopback http is refused before curl. */
START_TEST(insecure_url_refused)
{
    static const rxa_http_opts_t opts = { 1000, NULL, 65536, NULL };
    rxa_http_req_t a, *reqs[1] = { &a };

    memset(&a, 0, sizeof(a));
    a.url = "http://example.com/";
    ck_assert_int_eq(rxa_http_run(rxa_test_pool, reqs, 1, &opts), APR_EINVAL);
    ck_assert_int_eq(a.rv, APR_EINVAL);
    ck_assert_msg(a.err && !strncmp(a.err, "RXA01101: ", 10), "%s", a.err);
    ck_assert_ptr_null(a.body);
}
END_TEST

RXA_TEST_SUITE("http",
               multi_init_fails,
               easy_init_fails,
               multi_add_handle_fails,
               insecure_url_refused)
