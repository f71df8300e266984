/* The request's origin, and the origin of a URL.
 *
 * The browser-visible origin of a request: scheme, host and port from the
 * connection and the Host header, or, when the TCP peer is a trusted proxy
 * (ReflexAuthTrustedProxies), from the RFC 7239 Forwarded header or
 * X-Forwarded-Proto / -Host / -Port (rxa_forwarded.h). Which source, in
 * this order:
 *   1. Peer not trusted: the connection (is it TLS) and the Host header.
 *      Forwarded and X-Forwarded-* are ignored entirely, not even parsed.
 *   2. Peer trusted and Forwarded present: it is parsed (and refused when
 *      malformed). When the elements the chain walk accepts carry a proto
 *      or a host, Forwarded alone is used; X-Forwarded-* are then ignored
 *      (not parsed either). Forwarded that only says `for` gives way to 3,
 *      so a proxy that adds `Forwarded: for=...` next to X-Forwarded-Proto
 *      still works. The two are never mixed.
 *   3. Peer trusted, X-Forwarded-Proto, -Host or -Port present: those.
 *   4. Otherwise the connection, as in 1.
 * Whatever a forwarded source leaves out (no proto, no host) comes from the
 * connection and the Host header. A port travels with its host: a host
 * without a port means the scheme's default port, except that in case 3
 * X-Forwarded-Port gives the port of a host that names none. Every host,
 * wherever it comes from, is checked and normalised by rxa_host.h; every
 * failure is APR_EINVAL with a tagged *err that never quotes the input,
 * which the glue answers with 400 Bad Request.
 */
#ifndef RXA_ORIGIN_H
#define RXA_ORIGIN_H

#include <apr_network_io.h>
#include <apr_pools.h>

struct rxa_trusted_t;

/* Longest URL rxa_origin_normalize reads (no request line is longer:
 * httpd's LimitRequestLine is 8190). */
#define RXA_ORIGIN_URL_MAX     8192

typedef enum {
    RXA_ORIGIN_FROM_CONNECTION = 0,
    RXA_ORIGIN_FROM_FORWARDED,
    RXA_ORIGIN_FROM_X_FORWARDED
} rxa_origin_source_e;

typedef struct rxa_origin_input_t {
    int is_tls;                 /* the request reached us over TLS */
    const char *host_header;    /* Host as received; NULL when absent */
    /* Used only when host_header is NULL (HTTP/1.0): the vhost's
     * ServerName and the port the request came in on (0: default). */
    const char *server_name;
    apr_port_t local_port;
    int peer_trusted;           /* rxa_trusted_contains(trusted, TCP peer) */
    const struct rxa_trusted_t *trusted; /* for walking Forwarded chains;
                                 * NULL: only the nearest proxy's element */
    const char *const *forwarded; /* every Forwarded header line, in order */
    int n_forwarded;
    const char *xf_proto;       /* X-Forwarded-Proto, NULL when absent */
    const char *xf_host;        /* X-Forwarded-Host */
    const char *xf_port;        /* X-Forwarded-Port */
} rxa_origin_input_t;

typedef struct rxa_origin_t {
    const char *scheme;         /* "http" or "https" */
    const char *host;           /* lowercase; IPv6 as "[...]" */
    apr_port_t port;            /* 0: the scheme's default (80 or 443) */
    const char *origin;         /* "scheme://host[:port]", default port
                                 * omitted: rxa_origin_normalize form */
    rxa_origin_source_e source; /* where scheme or host came from */
} rxa_origin_t;

/* The browser-visible origin of a request from IN (see the top of this
 * file). The Host header is checked even when a forwarded host replaces
 * it; server_name only when it is used. APR_EINVAL with a tagged *ERR on
 * any malformed input, which the glue answers with 400. */
apr_status_t rxa_origin_compute(apr_pool_t *pool,
                                const rxa_origin_input_t *in,
                                rxa_origin_t *out, const char **err);

/* The origin of URL ("scheme://host[:port][/...]", an Origin header or an
 * absolute URL) in normal form: scheme and host lowercased (an IPv6
 * literal in RFC 5952 form), the default port (80 for http, 443 for https)
 * dropped, no trailing '/'. Only http and https; no user info; the host and
 * port as rxa_host.h says, so "https://a.example:" and "https://a.example."
 * are refused. APR_EINVAL with a tagged *ERR (not quoting URL) otherwise. */
apr_status_t rxa_origin_normalize(apr_pool_t *pool, const char *url,
                                  const char **origin, const char **err);

/* The origin of the "scheme://authority" head of URL, in the normal form
 * rxa_origin_normalize gives (the same rules, with no length limit: the
 * caller bounds URL), and in *REST the offset in URL where the rest (path,
 * query, fragment) starts. Returns NULL, or a tagged reason that does not
 * quote URL; *ORIGIN and *REST mean something only on success. */
const char *rxa_origin_split(apr_pool_t *pool, const char *url,
                             const char **origin, apr_size_t *rest);

#endif
