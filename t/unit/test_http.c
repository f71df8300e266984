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

static void seam_reset(void)
{
    memset(&rxa_http_seam, 0, sizeof(rxa_http_seam));
    rxa_log_set(NULL, NULL, NULL);
}

/* Two requests that look answered, as a caller's zeroed struct does. */
static void run_two(rxa_http_req_t *a, rxa_http_req_t *b, apr_status_t *all)
{
    static const rxa_http_opts_t opts = { 1000, NULL, 65536, NULL };
    rxa_http_req_t *reqs[2];

    memset(a, 0, sizeof(*a));
    memset(b, 0, sizeof(*b));
    a->url = "https://127.0.0.1:1/a";
    b->url = "https://127.0.0.1:1/b";
    reqs[0] = a;
    reqs[1] = b;
    rxa_log_set(capture_log, NULL, NULL);
    log_count = 0;
    last_log[0] = '\0';
    *all = rxa_http_run(rxa_test_pool, reqs, 2, &opts);
}

static void assert_failed(const rxa_http_req_t *req, apr_status_t rv,
                          const char *tag)
{
    ck_assert_int_eq(req->rv, rv);
    ck_assert_ptr_nonnull(req->err);
    ck_assert_msg(!strncmp(req->err, tag, strlen(tag)), "%s", req->err);
    ck_assert_ptr_null(req->body);
}

START_TEST(multi_init_fails)
{
    rxa_http_req_t a, b;
    apr_status_t all;

    rxa_http_seam.multi_init = fail_init;
    run_two(&a, &b, &all);
    ck_assert_int_eq(all, APR_ENOMEM);
    assert_failed(&a, APR_ENOMEM, "RXA01110: ");
    assert_failed(&b, APR_ENOMEM, "RXA01110: ");
    ck_assert_int_eq(log_count, 1);
    ck_assert_msg(!strncmp(last_log, "RXA01111: ", 10), "%s", last_log);
    seam_reset();
}
END_TEST

START_TEST(easy_init_fails)
{
    rxa_http_req_t a, b;
    apr_status_t all;

    rxa_http_seam.easy_init = fail_init;
    run_two(&a, &b, &all);
    ck_assert_int_eq(all, APR_ENOMEM);
    assert_failed(&a, APR_ENOMEM, "RXA01102: ");
    assert_failed(&b, APR_ENOMEM, "RXA01102: ");
    seam_reset();
}
END_TEST

START_TEST(multi_add_handle_fails)
{
    rxa_http_req_t a, b;
    apr_status_t all;

    rxa_http_seam.multi_add_handle = fail_add;
    run_two(&a, &b, &all);
    ck_assert_int_ne(all, APR_SUCCESS);
    assert_failed(&a, APR_EGENERAL, "RXA01112: ");
    assert_failed(&b, APR_EGENERAL, "RXA01112: ");
    ck_assert_int_eq(log_count, 2);
    ck_assert_msg(!strncmp(last_log, "RXA01113: ", 10), "%s", last_log);
    seam_reset();
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
    assert_failed(&a, APR_EINVAL, "RXA01101: ");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = rxa_tcase("http");

    tcase_add_test(tc, multi_init_fails);
    tcase_add_test(tc, easy_init_fails);
    tcase_add_test(tc, multi_add_handle_fails);
    tcase_add_test(tc, insecure_url_refused);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
