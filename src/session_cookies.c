/* A session's four cookies on the wire: read from the Cookie header
 * (reassembled from their chunks), set with Set-Cookie, cleared. */
#include <apr_strings.h>

#include "mod_reflex_auth.h"
#include "rxa_cookie.h"

apr_status_t rxa_session_values(request_rec *r, const rxa_provider_t *p,
                                const char *values[RXA_CK_COUNT])
{
    const char *header = apr_table_get(r->headers_in, "Cookie"), *err;
    apr_status_t st[RXA_CK_COUNT];
    int k;

    if (!header)
        return APR_NOTFOUND;
    /* A cookie that does not read (bad chunks, repeated, a header over
     * the cookie layer's bound) may still be there, as debris to clear. */
    if (rxa_cookie_get_chunked_set(r->pool, header, p->cookie_names,
                                   RXA_CK_COUNT, values, st, &err)
        != APR_SUCCESS)
        return APR_SUCCESS;
    for (k = 0; k < RXA_CK_COUNT; k++)
        if (st[k] != APR_NOTFOUND)
            return APR_SUCCESS;
    return APR_NOTFOUND;
}

apr_status_t rxa_session_read(request_rec *r, const rxa_srv_conf_t *sc,
                              const rxa_provider_t *p, rxa_session_t **s)
{
    const char *values[RXA_CK_COUNT];
    apr_status_t rv;

    *s = NULL;
    if (rxa_session_values(r, p, values) != APR_SUCCESS)
        return APR_NOTFOUND;
    rv = rxa_session_open(r->pool, sc->keyring, p->name, values, s);
    return rv == APR_NOTFOUND ? APR_EINVAL : rv;
}

/* The Cookie header a browser would send back for the Set-Cookie lines in
 * OUT: "Cookie: " and "name=value; " for each that is not a deletion. */
static apr_size_t returned_cookie_len(const apr_array_header_t *out)
{
    apr_size_t n = sizeof("Cookie: ") - 1, len;
    int i;

    for (i = 0; i < out->nelts; i++) {
        const char *line = APR_ARRAY_IDX(out, i, const char *), *eq;
        len = strcspn(line, ";");
        eq = memchr(line, '=', len);
        if (eq && eq + 1 < line + len)
            n += len + 2;
    }
    return n;
}

apr_status_t rxa_session_set_cookies(request_rec *r, const rxa_srv_conf_t *sc,
                                     const rxa_session_t *s, const char **why)
{
    const char *values[RXA_CK_COUNT], *err;
    const char *header = apr_table_get(r->headers_in, "Cookie");
    apr_array_header_t *out = apr_array_make(r->pool, 8, sizeof(const char *));
    apr_size_t len;
    apr_status_t rv;
    int k, i;

    if ((rv = rxa_session_seal(r->pool, sc->keyring, s, values)) != APR_SUCCESS) {
        *why = "RXA00064: the session could not be sealed";
        return rv;
    }
    for (k = 0; k < RXA_CK_COUNT; k++) {
        rv = rxa_cookie_set_chunked(r->pool,
                                    rxa_session_cookie_name(r->pool, s->provider, k),
                                    values[k], &rxa_cookie_auth_attrs, header,
                                    out, &err);
        if (rv != APR_SUCCESS) {
            *why = apr_pstrcat(r->pool, "RXA00061: session cookie not set: ",
                               err, NULL);
            return APR_ENOSPC;  /* its checks pass for a sealed value */
        }
    }
    /* Cookies httpd would refuse to read back would fail every later
     * request with a 400: better an error page now. */
    if ((len = returned_cookie_len(out)) > (apr_size_t)r->server->limit_req_fieldsize) {
        *why = apr_psprintf(r->pool, "RXA00110: the session cookies would make "
                            "a Cookie header of %" APR_SIZE_T_FMT " bytes, over "
                            "LimitRequestFieldSize (%d)", len,
                            r->server->limit_req_fieldsize);
        return APR_ENOSPC;
    }
    for (i = 0; i < out->nelts; i++)
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       APR_ARRAY_IDX(out, i, const char *));
    return APR_SUCCESS;
}

void rxa_session_clear_cookies(request_rec *r, const rxa_srv_conf_t *sc,
                               const rxa_provider_t *p)
{
    const char *header = apr_table_get(r->headers_in, "Cookie"), *err;
    apr_array_header_t *out = apr_array_make(r->pool, 8, sizeof(const char *));
    int k, i;

    for (k = 0; k < RXA_CK_COUNT; k++)
        rxa_cookie_delete_chunked(r->pool, p->cookie_names[k],
                                  &rxa_cookie_auth_attrs, header, out, &err);
    for (i = 0; i < out->nelts; i++)
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       APR_ARRAY_IDX(out, i, const char *));
}
