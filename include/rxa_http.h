/* Outbound HTTP to identity providers, through libcurl.
 *
 * Every call has a deadline, follows no redirects, speaks only https (or
 * http to a loopback host), verifies certificates and caps the response
 * size. Several requests run in parallel in one call (curl multi), which is
 * how start-up discovery fetches every issuer at once.
 */
#ifndef RXA_HTTP_H
#define RXA_HTTP_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct rxa_http_opts {
    long timeout_ms;        /* whole request, connect included */
    const char *ca_file;    /* extra CA bundle, or NULL */
    apr_size_t max_body;    /* larger responses fail */
    /* When set and *cancel becomes non-zero (from another thread), the
     * requests still running end within RXA_HTTP_CANCEL_POLL_MS with
     * RXA01106. NULL: they run to completion or timeout. */
    volatile apr_uint32_t *cancel;
} rxa_http_opts_t;

#define RXA_HTTP_CANCEL_POLL_MS 100

typedef struct rxa_http_req {
    /* in */
    const char *url;
    const char *post_body;          /* NULL: GET */
    apr_size_t post_len;
    apr_array_header_t *headers;    /* const char * "Name: value", or NULL */
    const char *ca_file;            /* overrides opts->ca_file when set */
    /* out */
    apr_status_t rv;                /* APR_SUCCESS when a response came */
    long status;                    /* HTTP status */
    const char *content_type;
    char *body;                     /* NUL-terminated */
    apr_size_t len;
    const char *err;                /* tagged, carries no secret */
} rxa_http_req_t;

/* Test seam: a unit test points these at functions that fail, to reach
 * the error paths of curl's set-up calls. NULL members, the default and
 * the only production setting, call curl_multi_init, curl_easy_init and
 * curl_multi_add_handle (whose CURLMcode the third returns as an int). */
typedef struct rxa_http_seam {
    void *(*multi_init)(void);
    void *(*easy_init)(void);
    int (*multi_add_handle)(void *multi, void *easy);
} rxa_http_seam_t;
extern rxa_http_seam_t rxa_http_seam;

/* Once per process, before threads: curl_global_init. */
apr_status_t rxa_http_global_init(void);

/* Run N requests in parallel and return when all are done or timed out;
 * results land in each request. Returns APR_SUCCESS when every request got
 * a response (of any status). When curl cannot be set up (no multi handle,
 * no easy handle, a handle it will not add), every request concerned fails
 * with APR_ENOMEM or APR_EGENERAL, a tagged ->err and a log line: ->rv is
 * never left at APR_SUCCESS without a response. */
apr_status_t rxa_http_run(apr_pool_t *pool, rxa_http_req_t *const *reqs,
                          int n, const rxa_http_opts_t *opts);

#endif
