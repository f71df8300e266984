/* The browser-visible origin of a request, and origins of URLs: see
 * rxa_origin.h. */
#include <string.h>

#include <apr_strings.h>

#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_origin.h"

/* "scheme://host[:port]", the port dropped when it is the scheme's
 * default. */
static const char *origin_string(apr_pool_t *pool, const char *scheme,
                                 const char *host, apr_port_t port)
{
    if (!port || (port == 443 && !strcmp(scheme, "https"))
        || (port == 80 && !strcmp(scheme, "http")))
        return apr_pstrcat(pool, scheme, "://", host, NULL);
    return apr_psprintf(pool, "%s://%s:%u", scheme, host, (unsigned int)port);
}

const char *rxa_origin_split(apr_pool_t *pool, const char *s,
                             const char **origin, apr_size_t *rest)
{
    const char *scheme, *a, *end, *host, *e;
    apr_port_t port;

    if (!strncasecmp(s, "https://", 8)) {
        scheme = "https";
        a = s + 8;
    }
    else if (!strncasecmp(s, "http://", 7)) {
        scheme = "http";
        a = s + 7;
    }
    else {
        return "RXA04101: not an http or https URL";
    }
    end = a + strcspn(a, "/?#");
    if (memchr(a, '@', (apr_size_t)(end - a)))
        return "RXA04102: URL with user info refused";
    /* The host's own reason, under this file's tag. */
    if ((e = rxa_host_parse_n(pool, a, (apr_size_t)(end - a), &host, &port)))
        return apr_pstrcat(pool, "RXA04130: URL host or port refused: ",
                           strstr(e, ": ") ? strstr(e, ": ") + 2 : e, NULL);
    *origin = origin_string(pool, scheme, host, port);
    *rest = (apr_size_t)(end - s);
    return NULL;
}

apr_status_t rxa_origin_normalize(apr_pool_t *pool, const char *url,
                                  const char **origin, const char **err)
{
    const char *e;
    apr_size_t rest;

    *origin = NULL;
    if (!url || strnlen(url, RXA_ORIGIN_URL_MAX + 1) > RXA_ORIGIN_URL_MAX)
        e = "RXA04108: no URL, or an over-long one";
    else
        e = rxa_origin_split(pool, url, origin, &rest);
    if (e) {
        if (err)
            *err = e;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t rxa_origin_compute(apr_pool_t *pool,
                                const rxa_origin_input_t *in,
                                rxa_origin_t *out, const char **err)
{
    const char *e = NULL, *dummy, *scheme, *host = NULL;
    apr_port_t port = 0;
    rxa_origin_source_e source = RXA_ORIGIN_FROM_CONNECTION;

    if (!err)
        err = &dummy;
    memset(out, 0, sizeof(*out));
    if (in->host_header) {
        if (rxa_host_parse(pool, in->host_header, &host, &port, &e))
            e = apr_pstrcat(pool, e, " (Host header)", NULL);
    }
    else if (in->server_name) {
        if (rxa_host_parse(pool, in->server_name, &host, &port, &e))
            e = apr_pstrcat(pool, e, " (server name)", NULL);
        else if (!port)
            port = in->local_port;
    }
    else {
        e = "RXA05060: request without a Host header and no server name to "
            "use instead";
    }
    if (e)
        goto fail;
    scheme = in->is_tls ? "https" : "http";

    if (in->peer_trusted) {
        int used = 0;
        if (in->n_forwarded > 0) {
            apr_array_header_t *elems;
            if (rxa_forwarded_parse(pool, in->forwarded, in->n_forwarded,
                                    &elems, &e))
                goto fail;
            used = rxa_forwarded_select(pool, elems, in->trusted, &scheme,
                                        &host, &port);
            if (used)
                source = RXA_ORIGIN_FROM_FORWARDED;
        }
        if (!used) {
            rxa_x_forwarded_t xf;
            if (rxa_x_forwarded_parse(pool, in->xf_proto, in->xf_host,
                                      in->xf_port, &xf, &e))
                goto fail;
            if (xf.proto || xf.host || xf.port)
                source = RXA_ORIGIN_FROM_X_FORWARDED;
            if (xf.proto)
                scheme = xf.proto;
            if (xf.host) {
                host = xf.host;
                port = xf.host_port;
            }
            if (xf.port && !port)
                port = xf.port;
        }
    }

    if ((port == 443 && !strcmp(scheme, "https"))
        || (port == 80 && !strcmp(scheme, "http")))
        port = 0;
    out->scheme = scheme;
    out->host = host;
    out->port = port;
    out->source = source;
    out->origin = origin_string(pool, scheme, host, port);
    return APR_SUCCESS;

fail:
    *err = e;
    return APR_EINVAL;
}
