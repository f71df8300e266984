/* redirect_to: where the login and logout paths send the browser once they
 * are done, the module's defence against open redirects.
 *
 * The rule: redirect_to must name a path on the request's own origin.
 * Anything else falls back to "/": another origin, "//host", "/\host",
 * backslashes, control characters or percent-encoded control characters,
 * "javascript:" and every other scheme. In detail, each check closing a
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
 *     case-insensitively, default ports 80/443 dropped: rxa_origin.h); it
 *     becomes its path, query and fragment, checked as above. Any other
 *     scheme, and "javascript:", cannot start with '/' and so falls back.
 * The result is re-encoded: every byte outside
 *   A-Z a-z 0-9 - . _ ~ ! $ & ( ) * + , ; = : @ / ? #
 * and every '%' not starting a valid escape is percent-encoded, so it can
 * go into a Location header as is. It still needs HTML or JavaScript
 * escaping when placed in a page.
 */
#ifndef RXA_REDIRECT_H
#define RXA_REDIRECT_H

#include <apr_pools.h>

/* Longest redirect_to kept; longer ones become "/". */
#define RXA_REDIRECT_TO_MAX    2048
/* Percent-decodings of redirect_to checked; still decodable after that
 * many, it becomes "/". */
#define RXA_REDIRECT_TO_ROUNDS 4

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

#endif
