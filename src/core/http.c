/* Outbound HTTP with libcurl: see rxa_http.h. */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <curl/curl.h>

#include "rxa_http.h"
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

static apr_status_t http_xfer_setup(apr_pool_t *pool, http_xfer_t *x)
{
    rxa_http_req_t *req = x->req;
    int i;

    if (!rxa_url_is_secure(pool, req->url)) {
        req->err = "RXA01101: refused to call a URL that is not https "
                   "(plain http is allowed only to a loopback address)";
        return APR_EINVAL;
    }
    if (!(x->curl = curl_easy_init())) {
        req->err = "RXA01102: curl_easy_init failed";
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(pool, x, http_xfer_cleanup,
                              apr_pool_cleanup_null);
    curl_easy_setopt(x->curl, CURLOPT_URL, req->url);
    curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, x->opts->timeout_ms);
    curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, x->opts->timeout_ms);
    curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (req->ca_file || x->opts->ca_file)
        curl_easy_setopt(x->curl, CURLOPT_CAINFO,
                         req->ca_file ? req->ca_file : x->opts->ca_file);
    curl_easy_setopt(x->curl, CURLOPT_USERAGENT, "mod_reflex_auth");
    curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, http_write_cb);
    curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
    x->headers = curl_slist_append(NULL, "Accept: application/json");
    for (i = 0; req->headers && i < req->headers->nelts; i++)
        x->headers = curl_slist_append(x->headers,
                                       APR_ARRAY_IDX(req->headers, i, const char *));
    curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
    if (req->post_body) {
        curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, req->post_body);
        curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)req->post_len);
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

    if (!(multi = curl_multi_init()))
        return APR_ENOMEM;
    for (i = 0; i < n; i++) {
        http_xfer_t *x = &xs[i];
        x->pool = pool;
        x->req = reqs[i];
        x->opts = opts;
        x->req->rv = APR_EGENERAL;
        x->req->err = NULL;
        if ((x->req->rv = http_xfer_setup(pool, x)) == APR_SUCCESS) {
            x->req->rv = APR_EGENERAL;
            curl_easy_setopt(x->curl, CURLOPT_PRIVATE, x);
            curl_multi_add_handle(multi, x->curl);
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
