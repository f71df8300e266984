/* Hosts and ports: one grammar for every place a host reaches us from, the
 * Host header (RFC 9110 7.2, RFC 7230 5.4: uri-host [":" port]), Forwarded
 * host= and X-Forwarded-Host, and the authority of a URL (RFC 3986 3.2.2:
 * redirect_to, Origin), so that origins built from any of them compare
 * equal exactly when a browser treats them as one.
 *
 * The grammar, the strictest reading of those RFCs that browsers agree with.
 * Every failure is a tagged reason that never quotes the input.
 *   - A DNS name of letters, digits, '-', '_' and '.' (labels 1-63 bytes,
 *     not starting or ending with '-', at most 253 bytes, no trailing dot:
 *     "example.com." is another origin to a browser, so it is refused
 *     rather than stripped). '_' is accepted so internal names such as
 *     "app_backend" in a proxied Host are not refused. A name whose last
 *     label is numeric ("127.1", "1.2.3.4.5", "0x7f") must be a dotted-quad
 *     IPv4 address: browsers read it as IPv4.
 *   - Or a dotted-quad IPv4 address: four decimal parts 0-255, no leading
 *     zeros (browsers read "010" as octal).
 *   - Or a bracketed IPv6 address of hex digits and colons (no zone, no
 *     embedded IPv4), rewritten to its RFC 5952 form as browsers do.
 *   - Control characters, spaces, '@', '/', '\', '%', ',', quotes and
 *     non-ASCII bytes are refused (browsers send IDNs as punycode).
 *   - Then an optional ":port": 1 to 5 digits, no sign, no leading zero,
 *     1-65535. "host:" with no digits is refused too, so that no two
 *     spellings name one origin.
 *   - Lowercased on output.
 */
#ifndef RXA_HOST_H
#define RXA_HOST_H

#include <apr_network_io.h>
#include <apr_pools.h>

/* Longest value accepted for Host, each Forwarded line and each
 * X-Forwarded-* header (httpd's LimitRequestFieldSize defaults to 8190). */
#define RXA_ORIGIN_HEADER_MAX       8192

/* Parse HOSTPORT, a Host header value ("name[:port]", "a.b.c.d[:port]",
 * "[v6][:port]"), with the rules above. *HOST gets the host in normal
 * form (lowercase, IPv6 bracketed and in RFC 5952 form), *PORT the port
 * or 0 when none is given. APR_EINVAL with a tagged *ERR otherwise. */
apr_status_t rxa_host_parse(apr_pool_t *pool, const char *hostport,
                            const char **host, apr_port_t *port,
                            const char **err);

/* The same for LEN bytes at S (a list item, a URL's authority), which need
 * not be NUL-terminated. Returns NULL, or the tagged reason; *HOST and
 * *PORT mean something only on success. */
const char *rxa_host_parse_n(apr_pool_t *pool, const char *s, apr_size_t len,
                             const char **host, apr_port_t *port);

/* A port alone (LEN bytes at S) with the rules above. Returns NULL, or
 * the tagged reason with *PORT untouched. */
const char *rxa_host_port_parse(const char *s, apr_size_t len,
                                apr_port_t *port);

/* Whether LEN bytes at S are a dotted-quad IPv4 address as above. */
int rxa_host_is_ipv4(const char *s, apr_size_t len);

/* True for "localhost", "127.0.0.0/8" literals and "::1" (with or without
 * brackets): the hosts where plain http is allowed. */
int rxa_host_is_loopback(const char *host);

#endif
