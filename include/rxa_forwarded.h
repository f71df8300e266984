/* What proxies tell us about a request: the set of trusted proxies
 * (ReflexAuthTrustedProxies), the RFC 7239 Forwarded header and
 * X-Forwarded-Proto / -Host / -Port. Which of them rxa_origin_compute
 * believes, and when, is in rxa_origin.h.
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
 *     connection. With a NULL trusted set only the rightmost element is
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
 *   - Host (Forwarded host=, X-Forwarded-Host) and port: rxa_host.h.
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

#include "rxa_host.h"

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

/* From ELEMS (rxa_forwarded_parse), walking the chain as above with the
 * set TRUSTED: a proto named there replaces *SCHEME, a host *HOST and
 * *PORT (the port given with it, 0 for none). Returns whether either was
 * named; when not, nothing is changed. */
int rxa_forwarded_select(apr_pool_t *pool, const apr_array_header_t *elems,
                         const rxa_trusted_t *trusted, const char **scheme,
                         const char **host, apr_port_t *port);

/* The nearest proxy's X-Forwarded-* values: the rightmost item of each. */
typedef struct rxa_x_forwarded_t {
    const char *proto;      /* "http" or "https"; NULL when absent */
    const char *host;       /* host in normal form, as rxa_host_parse */
    apr_port_t host_port;   /* port given with the host, 0 when none */
    apr_port_t port;        /* X-Forwarded-Port, 0 when absent */
} rxa_x_forwarded_t;

/* Parse X-Forwarded-Proto, -Host and -Port (each NULL when absent), every
 * item checked. On error all of *OUT is zero. */
apr_status_t rxa_x_forwarded_parse(apr_pool_t *pool, const char *proto,
                                   const char *host, const char *port,
                                   rxa_x_forwarded_t *out, const char **err);

#endif
