/* The request's origin and the URL pieces checked against it: the
 * browser-visible origin, origins of URLs, redirect_to, query strings,
 * percent-encoding.
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
 *
 * redirect_to (SPEC 4, last paragraph) must name a path on the request's
 * own origin; everything else becomes "/". The rules, each one closing a
 * known way for a browser to leave the origin:
 *   - at most RXA_REDIRECT_TO_MAX bytes, not empty;
 *   - no control character (0x00-0x1f, 0x7f), no space and no backslash,
 *     neither as sent nor after any number of percent-decodings (browsers
 *     drop tabs and newlines and read '\' as '/'; servers behind us may
 *     decode once more): "%0a", "%250a", "%5c" all fall back;
 *   - it starts with exactly one '/': not "//host", not "/\host", and that
 *     holds after every decoding too ("/%2f%2fhost");
 *   - its path part (before '?' or '#') holds no "//" at any decoding, so
 *     no dot segment ("/.//host", "/%2e//host") can collapse into a
 *     scheme-relative path when a page or the app re-resolves it;
 *   - a value that is still percent-decodable after RXA_REDIRECT_TO_ROUNDS
 *     decodings falls back (no unbounded nesting);
 *   - an absolute URL (http or https, no user info) is accepted only when
 *     its origin equals the expected origin (scheme and host compared
 *     case-insensitively, default ports 80/443 dropped); it becomes its
 *     path, query and fragment, checked as above. Any other scheme, and
 *     "javascript:", cannot start with '/' and so falls back.
 * The result is re-encoded: every byte outside
 *   A-Z a-z 0-9 - . _ ~ ! $ & ( ) * + , ; = : @ / ? #
 * and every '%' not starting a valid escape is percent-encoded, so it can
 * go into a Location header as is. It still needs HTML or JavaScript
 * escaping when placed in a page.
 *
 * Query strings (SPEC 4.4): strict application/x-www-form-urlencoded,
 * both '&' and ';' separating parameters.
 */
#ifndef RXA_ORIGIN_H
#define RXA_ORIGIN_H

#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_tables.h>

struct rxa_trusted_t;

/* Longest redirect_to kept; longer ones become "/". */
#define RXA_REDIRECT_TO_MAX    2048
/* Percent-decodings of redirect_to checked; still decodable after that
 * many, it becomes "/". */
#define RXA_REDIRECT_TO_ROUNDS 4
/* Longest query string parsed (httpd's LimitRequestLine is 8190). */
#define RXA_QUERY_MAX_LEN      8192
/* Most parameters in one query string, empty pieces ("&&") not counted. */
#define RXA_QUERY_MAX_PARAMS   64

/* A safe local target for VALUE, the redirect_to parameter as decoded once
 * by rxa_query_parse (the form a browser sends it in, and the path and
 * query of the original request). ORIGIN is the request's public origin
 * ("https://app.example.com[:port]", see rxa_origin_normalize), or NULL to
 * refuse every absolute URL. Returns a pool string that starts with '/'
 * followed by neither '/' nor '\', or "/" itself; when VALUE was refused,
 * *REASON (when given) is a tagged message that never quotes VALUE, else
 * NULL. VALUE NULL or empty gives "/" with a NULL reason. */
const char *rxa_redirect_to_sanitize(apr_pool_t *pool, const char *value,
                                     const char *origin, const char **reason);

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

/* Parse QUERY (r->args: without '?', NULL for none). '&' and ';' separate
 * parameters, empty pieces are skipped, "name" alone is "name=". Names and
 * values are percent-decoded, '+' as space. Refused with APR_EINVAL and a
 * tagged *ERR: a query over RXA_QUERY_MAX_LEN, more than
 * RXA_QUERY_MAX_PARAMS parameters, a '%' without two hex digits, an
 * encoded NUL, a raw control character or space. Pieces with an empty
 * name ("=x") are skipped. On success *PARAMS holds every parameter in
 * order (apr_table_get gives the first) and *REPEATED (never NULL) the
 * names, each once, seen more than once. apr_table keys ignore case, so
 * "state" and "STATE" count as repeated too: callers that must refuse
 * repeated parameters (SPEC 4.4) check REPEATED->nelts. Decoded values may
 * hold control characters other than NUL (an IdP's error_description):
 * escape them before use. */
apr_status_t rxa_query_parse(apr_pool_t *pool, const char *query,
                             apr_table_t **params,
                             apr_array_header_t **repeated,
                             const char **err);

/* Percent-encode S for a query component: every byte but the RFC 3986
 * unreserved set (A-Z a-z 0-9 - . _ ~) becomes %XX (upper case), space
 * included. NULL gives "". */
char *rxa_url_encode(apr_pool_t *pool, const char *s);

#endif
