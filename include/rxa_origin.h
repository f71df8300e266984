/* URL pieces of the request's origin: redirect_to, query strings, origins,
 * percent-encoding.
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

#include <apr_pools.h>
#include <apr_tables.h>

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

/* The origin of URL ("scheme://host[:port][/...]", an Origin header or an
 * absolute URL) in normal form: scheme and host lowercased, the default
 * port (80 for http, 443 for https) dropped, no trailing '/'. Only http and
 * https; no user info; host a DNS name (letters, digits, '-', '.', '_'),
 * an IPv4 address or a bracketed IPv6 literal; port 1 to 65535. APR_EINVAL
 * with a tagged *ERR (not quoting URL) otherwise. */
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
