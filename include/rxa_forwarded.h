/* The browser-visible origin of a request (SPEC 9): scheme, host and port
 * from the connection and the Host header, or, when the TCP peer is a
 * trusted proxy (ReflexAuthTrustedProxies), from the RFC 7239 Forwarded
 * header or X-Forwarded-Proto / -Host / -Port.
 *
 * Which source, in this order:
 *   1. Peer not trusted: the connection (is it TLS) and the Host header.
 *      Forwarded and X-Forwarded-* are ignored entirely, not even parsed.
 *   2. Peer trusted and Forwarded present: it is parsed (and refused when
 *      malformed). When the elements the chain walk below accepts carry a
 *      proto or a host, Forwarded alone is used; X-Forwarded-* are then
 *      ignored (not parsed either). Forwarded that only says `for` gives
 *      way to 3, so a proxy that adds `Forwarded: for=...` next to
 *      X-Forwarded-Proto still works. The two are never mixed.
 *   3. Peer trusted, X-Forwarded-Proto, -Host or -Port present: those.
 *   4. Otherwise the connection, as in 1.
 * Whatever a forwarded source leaves out (no proto, no host) comes from the
 * connection and the Host header. A port travels with its host: a host
 * without a port means the scheme's default port, except that in case 3
 * X-Forwarded-Port gives the port of a host that names none.
 *
 * Proxy chains. Every proxy appends, so the rightmost element (or list
 * item) is the one the nearest proxy, the trusted peer, added; everything
 * to its left came from further away and may have been sent by the client.
 *   - Forwarded: start at the rightmost element. While its `for` is an IP
 *     address inside the trusted set and an element stands to its left,
 *     step left: that element was added by the trusted proxy `for` names.
 *     Stop at the first element whose `for` is absent, obfuscated,
 *     "unknown" or untrusted: it describes the request the outermost
 *     trusted proxy received from the browser. Its proto and host are used;
 *     one it lacks is taken from the nearest element to its right that has
 *     it (all of those were added by trusted proxies), else from the
 *     connection. With input->trusted NULL only the rightmost element is
 *     used. This relies on every trusted proxy appending its own element
 *     (or replacing the header): a trusted proxy that passes a client's
 *     Forwarded header through untouched hands the client the origin.
 *   - X-Forwarded-*: these carry no `for` to tell the hops apart, so only
 *     the rightmost item of each list is used (the nearest proxy's). A
 *     chain of proxies must therefore set, not append, X-Forwarded-*
 *     values at the proxy nearest to us, or use Forwarded.
 *
 * Strictness. Every failure is APR_EINVAL with a tagged *err that never
 * quotes the input; the glue answers 400 Bad Request.
 *   - Host (header, Forwarded host=, X-Forwarded-Host): a DNS name of
 *     letters, digits, '-', '_' and '.' (labels 1-63 bytes, not starting or
 *     ending with '-', at most 253 bytes, no trailing dot: "example.com."
 *     is another origin to a browser, so it is refused rather than
 *     stripped); or a dotted-quad IPv4 address (four decimal parts 0-255,
 *     no leading zeros); or a bracketed IPv6 address of hex digits and
 *     colons (no zone, no embedded IPv4), rewritten to its RFC 5952 form as
 *     browsers do. A name whose last label is numeric ("127.1", "1.2.3.4.5",
 *     "0x7f") must be such a dotted quad: browsers read it as IPv4. Then an
 *     optional ":port". '_' is accepted, as rxa_origin_normalize does, so
 *     internal names such as "app_backend" in a proxied Host are not
 *     refused. Control characters, spaces, '@', '/', '\', '%', ',', quotes
 *     and non-ASCII bytes are refused (browsers send IDNs as punycode).
 *     Lowercased on output.
 *   - Port: 1 to 5 digits, no sign, no leading zero, 1-65535.
 *   - Proto: "http" or "https" in any case.
 *   - Forwarded (RFC 7239 section 4): comma-separated elements, across any
 *     number of header lines; each element ';'-separated name=value pairs;
 *     names are tokens, compared without case; values tokens or quoted
 *     strings with backslash escapes. Spaces and tabs are allowed around
 *     ',' and ';', not around '='. Empty elements and empty pairs are
 *     skipped (RFC 9110 list rules). A parameter twice in one element, an
 *     unterminated quoted string, a control character (tab aside) in a
 *     quoted string, or anything else off the grammar is refused, in every
 *     element, not only the one used. proto, host, for and by are checked
 *     in every element (for and by as RFC 7239 section 6 nodes: IPv4,
 *     bracketed IPv6, "unknown" or an obfuscated "_name", each with an
 *     optional ":port" or ":_obfport"); other parameters are ignored.
 *   - X-Forwarded-*: comma lists, spaces and tabs around items trimmed,
 *     empty items skipped, every item checked as above.
 *   - Sizes: each header value at most RXA_ORIGIN_HEADER_MAX bytes, at most
 *     RXA_FORWARDED_MAX_ELEMENTS Forwarded elements (all lines together)
 *     and as many items per X-Forwarded-* list.
 */
#ifndef RXA_FORWARDED_H
#define RXA_FORWARDED_H

#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_tables.h>

/* Longest value accepted for Host, each Forwarded line and each
 * X-Forwarded-* header (httpd's LimitRequestFieldSize defaults to 8190). */
#define RXA_ORIGIN_HEADER_MAX       8192
/* Most Forwarded elements (all lines together) and most items in one
 * X-Forwarded-* list; also the most Forwarded lines. */
#define RXA_FORWARDED_MAX_ELEMENTS  32
/* Most entries in ReflexAuthTrustedProxies. */
#define RXA_TRUSTED_MAX             256

/* The set of trusted proxy addresses. NULL is the empty set. */
typedef struct rxa_trusted_t rxa_trusted_t;

/* Parse N entries of ReflexAuthTrustedProxies: each an IPv4 or IPv6
 * address ("192.0.2.10", "2001:db8::1") or a CIDR ("10.0.0.0/8",
 * "2001:db8::/32"; host bits past the prefix are ignored, as httpd's own
 * `Require ip` does). Full addresses only (not "10.1"), prefix lengths in
 * decimal (not "255.0.0.0"). An IPv4 entry also matches the IPv4-mapped
 * IPv6 form a dual-stack listener reports. N = 0 gives an empty set. On
 * error APR_EINVAL and a tagged *ERR naming the entry (configuration text,
 * not request data). */
apr_status_t rxa_trusted_proxies_parse(apr_pool_t *pool,
                                       const char *const *cidrs, int n,
                                       rxa_trusted_t **out, const char **err);

/* Whether PEER (the TCP peer: r->connection->client_addr, not
 * r->useragent_addr, which mod_remoteip rewrites) is in T. NULL T or PEER:
 * no. */
int rxa_trusted_contains(const rxa_trusted_t *t, const apr_sockaddr_t *peer);

/* Whether the IP address literal IP ("192.0.2.1", "2001:db8::1", no
 * brackets) is in T. Anything that is not an address literal: no (never a
 * DNS lookup). POOL holds the parsed address. */
int rxa_trusted_contains_ip(apr_pool_t *pool, const rxa_trusted_t *t,
                            const char *ip);

/* Parse HOSTPORT, a Host header value ("name[:port]", "a.b.c.d[:port]",
 * "[v6][:port]"), with the rules above. *HOST gets the host in normal
 * form (lowercase, IPv6 bracketed and in RFC 5952 form), *PORT the port
 * or 0 when none is given. APR_EINVAL with a tagged *ERR otherwise. */
apr_status_t rxa_host_parse(apr_pool_t *pool, const char *hostport,
                            const char **host, apr_port_t *port,
                            const char **err);

/* One Forwarded element, values unquoted and checked. NULL when absent. */
typedef struct rxa_forwarded_elem_t {
    const char *proto;      /* "http" or "https" (lowercased) */
    const char *host;       /* host in normal form, as rxa_host_parse */
    apr_port_t host_port;   /* port given with host=, 0 when none */
    const char *for_node;   /* for= as sent (unquoted) */
    const char *for_ip;     /* its address when an IP literal, else NULL */
    const char *by_node;    /* by= as sent (unquoted) */
} rxa_forwarded_elem_t;

/* Parse N Forwarded header lines, in the order received, into *ELEMS, an
 * array of rxa_forwarded_elem_t, leftmost first (possibly empty). */
apr_status_t rxa_forwarded_parse(apr_pool_t *pool, const char *const *lines,
                                 int n, apr_array_header_t **elems,
                                 const char **err);

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
    const rxa_trusted_t *trusted; /* for walking Forwarded chains; NULL:
                                   * only the nearest proxy's element */
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
 * it; server_name only when it is used. APR_EINVAL with a tagged *ERR on any malformed input, which the glue
 * answers with 400. */
apr_status_t rxa_origin_compute(apr_pool_t *pool,
                                const rxa_origin_input_t *in,
                                rxa_origin_t *out, const char **err);

#endif
