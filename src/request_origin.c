/* The origin the browser sees, per request: what the redirect URI, the
 * same-origin checks and redirect_to are built from. The rules (which
 * headers count, from whom, what makes a valid host) are the core's
 * (rxa_origin_compute, rxa_host, rxa_forwarded); this file hands it the
 * request. Plain http is refused with a page on any host but a loopback
 * one: the Secure cookies would be dropped, and sign-in would loop. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>

#include "mod_reflex_auth.h"
#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_origin.h"

static int collect_forwarded(void *data, const char *key, const char *val)
{
    APR_ARRAY_PUSH((apr_array_header_t *)data, const char *) = val;
    return 1;
}

/* Scheme, host and port from the connection and Host, or from Forwarded /
 * X-Forwarded-* when the TCP peer is a trusted proxy (the peer itself, not
 * what mod_remoteip made of it). */
int rxa_request_origin(request_rec *r, const rxa_srv_conf_t *sc,
                       const char **origin)
{
    apr_array_header_t *fwd = apr_array_make(r->pool, 1, sizeof(const char *));
    rxa_origin_input_t in;
    rxa_origin_t out;
    const char *err = NULL;
    apr_status_t rv;

    memset(&in, 0, sizeof(in));
    in.is_tls = !strcmp(ap_http_scheme(r), "https");
    in.host_header = apr_table_get(r->headers_in, "Host");
    in.server_name = r->server->server_hostname;
    in.local_port = r->connection->local_addr->port;
    in.trusted = sc->trusted_proxies;
    in.peer_trusted = rxa_trusted_contains(sc->trusted_proxies,
                                           r->connection->client_addr);
    if (in.peer_trusted) {
        apr_table_do(collect_forwarded, fwd, r->headers_in, "Forwarded", NULL);
        in.forwarded = (const char *const *)fwd->elts;
        in.n_forwarded = fwd->nelts;
        in.xf_proto = apr_table_get(r->headers_in, "X-Forwarded-Proto");
        in.xf_host = apr_table_get(r->headers_in, "X-Forwarded-Host");
        in.xf_port = apr_table_get(r->headers_in, "X-Forwarded-Port");
    }
    if ((rv = rxa_origin_compute(r->pool, &in, &out, &err)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00060: request "
                      "refused: %s", err);
        return HTTP_BAD_REQUEST;
    }
    if (strcmp(out.scheme, "https") && !rxa_host_is_loopback(out.host))
        return rxa_page_https_required(r);
    *origin = out.origin;
    return OK;
}
