/* Outbound HTTP with libcurl: see rxa_http.h. */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <curl/curl.h>

#include "rxa_http.h"
#include "rxa_log.h"
#include "rxa_util.h"

typedef struct http_xfer {
    apr_pool_t *pool;
    rxa_http_req_t *req;
    const rxa_http_opts_t *opts;
    CURL *curl;
    struct curl_slist *headers;
    char *buf;
    apr_size_t len, cap;
    int too_big;
} http_xfer_t;

rxa_http_seam_t rxa_http_seam;

static CURLM *seam_multi_init(void)
{
    return rxa_http_seam.multi_init ? rxa_http_seam.multi_init()
                                    : curl_multi_init();
}

static CURL *seam_easy_init(void)
{
    return rxa_http_seam.easy_init ? rxa_http_seam.easy_init()
                                   : curl_easy_init();
}

static CURLMcode seam_multi_add_handle(CURLM *multi, CURL *easy)
{
    return rxa_http_seam.multi_add_handle
        ? (CURLMcode)rxa_http_seam.multi_add_handle(multi, easy)
        : curl_multi_add_handle(multi, easy);
}

apr_status_t rxa_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
        ? APR_SUCCESS : APR_EGENERAL;
}

static apr_status_t http_xfer_cleanup(void *data)
{
    http_xfer_t *x = data;

    if (x->curl)
        curl_easy_cleanup(x->curl);
    if (x->headers)
        curl_slist_free_all(x->headers);
    x->curl = NULL;
    x->headers = NULL;
    return APR_SUCCESS;
}

static size_t http_write_cb(char *data, size_t size, size_t nmemb, void *baton)
{
    http_xfer_t *x = baton;
    apr_size_t n = size * nmemb;

    if (x->len + n > x->opts->max_body) {
        x->too_big = 1;
        return 0;               /* makes curl fail the transfer */
    }
    if (x->len + n + 1 > x->cap) {
        apr_size_t cap = x->cap ? x->cap : 8192;
        char *nb;
        while (cap < x->len + n + 1)
            cap *= 2;
        nb = apr_palloc(x->pool, cap);
        if (x->len)
            memcpy(nb, x->buf, x->len);
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    return n;
}

/* Every option, each checked: a transfer that runs without one of them
 * (no certificate check, any protocol) must not run at all. Returns
 * whether curl took them all. */
static int http_xfer_options(http_xfer_t *x)
{
    rxa_http_req_t *req = x->req;
    CURL *c = x->curl;
    struct curl_slist *h;
    int ok = 1, i;

    ok &= curl_easy_setopt(c, CURLOPT_URL, req->url) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x->opts->timeout_ms)
          == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, x->opts->timeout_ms)
          == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    if (req->ca_file || x->opts->ca_file)
        ok &= curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file
                               ? req->ca_file : x->opts->ca_file) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_USERAGENT, "mod_reflex_auth") == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_cb) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEDATA, x) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_PRIVATE, x) == CURLE_OK;
    /* curl_slist_append returns NULL, the list untouched, when out of
     * memory: x->headers keeps what the cleanup must free. */
    if (!(x->headers = curl_slist_append(NULL, "Accept: application/json")))
        return 0;
    for (i = 0; req->headers && i < req->headers->nelts; i++) {
        if (!(h = curl_slist_append(x->headers,
                                    APR_ARRAY_IDX(req->headers, i,
                                                  const char *))))
            return 0;
        x->headers = h;
    }
    ok &= curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK;
    if (req->post_body) {
        ok &= curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->post_body)
              == CURLE_OK;
        ok &= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                               (curl_off_t)req->post_len) == CURLE_OK;
    }
    return ok;
}

static apr_status_t http_xfer_setup(apr_pool_t *pool, http_xfer_t *x)
{
    rxa_http_req_t *req = x->req;

    if (!rxa_url_is_secure(pool, req->url)) {
        req->err = "RXA01101: refused to call a URL that is not https "
                   "(plain http is allowed only to a loopback address)";
        return APR_EINVAL;
    }
    if (!(x->curl = seam_easy_init())) {
        req->err = "RXA01102: curl_easy_init failed";
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(pool, x, http_xfer_cleanup,
                              apr_pool_cleanup_null);
    if (!http_xfer_options(x)) {
        req->err = "RXA01114: curl refused a transfer option (or was out of "
                   "memory)";
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static void http_xfer_finish(apr_pool_t *pool, http_xfer_t *x, CURLcode cc)
{
    rxa_http_req_t *req = x->req;
    char *ct = NULL;

    if (x->too_big) {
        req->rv = APR_ENOSPC;
        req->err = apr_psprintf(pool, "RXA01103: response larger than %"
                                APR_SIZE_T_FMT " bytes", x->opts->max_body);
        return;
    }
    if (cc != CURLE_OK) {
        req->rv = cc == CURLE_OPERATION_TIMEDOUT ? APR_TIMEUP : APR_EGENERAL;
        req->err = apr_psprintf(pool, "RXA01104: %s", curl_easy_strerror(cc));
        return;
    }
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &req->status);
    curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &ct);
    req->content_type = ct ? apr_pstrdup(pool, ct) : NULL;
    req->body = x->buf ? x->buf : apr_pstrdup(pool, "");
    req->body[x->len] = '\0';
    req->len = x->len;
    req->rv = APR_SUCCESS;
}

apr_status_t rxa_http_run(apr_pool_t *pool, rxa_http_req_t *const *reqs,
                          int n, const rxa_http_opts_t *opts)
{
    http_xfer_t *xs = apr_pcalloc(pool, sizeof(*xs) * (apr_size_t)(n ? n : 1));
    apr_status_t all = APR_SUCCESS;
    CURLM *multi;
    int i, running = 0, queued, cancelled = 0;

    if (!(multi = seam_multi_init())) {
        for (i = 0; i < n; i++) {
            reqs[i]->rv = APR_ENOMEM;
            reqs[i]->err = "RXA01110: curl_multi_init failed: the request "
                           "was not made";
        }
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_ENOMEM,
                "RXA01111: curl_multi_init failed: %d outbound request(s) "
                "fail unsent", n);
        return APR_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        http_xfer_t *x = &xs[i];
        CURLMcode mc;
        x->pool = pool;
        x->req = reqs[i];
        x->opts = opts;
        x->req->rv = APR_EGENERAL;
        x->req->err = NULL;
        if ((x->req->rv = http_xfer_setup(pool, x)) != APR_SUCCESS)
            continue;
        x->req->rv = APR_EGENERAL;
        if ((mc = seam_multi_add_handle(multi, x->curl)) != CURLM_OK) {
            x->req->err = "RXA01112: curl_multi_add_handle failed: the "
                          "request was not made";
            rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_EGENERAL,
                    "RXA01113: curl_multi_add_handle failed: %s",
                    curl_multi_strerror(mc));
        }
    }
    do {
        CURLMcode mc;
        if (opts->cancel && apr_atomic_read32(opts->cancel)) {
            cancelled = 1;
            break;
        }
        mc = curl_multi_perform(multi, &running);
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(multi, NULL, 0, opts->cancel
                                 ? RXA_HTTP_CANCEL_POLL_MS : 1000, NULL);
        if (mc != CURLM_OK)
            break;
    } while (running);

    for (;;) {
        CURLMsg *msg = curl_multi_info_read(multi, &queued);
        http_xfer_t *x;
        if (!msg)
            break;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        http_xfer_finish(pool, x, msg->data.result);
    }
    for (i = 0; i < n; i++) {
        if (xs[i].curl)
            curl_multi_remove_handle(multi, xs[i].curl);
        if (xs[i].req->rv != APR_SUCCESS) {
            if (!xs[i].req->err)
                xs[i].req->err = cancelled
                    ? "RXA01106: cancelled: the process is stopping"
                    : "RXA01105: request did not complete";
            all = xs[i].req->rv;
        }
    }
    curl_multi_cleanup(multi);
    return all;
}
