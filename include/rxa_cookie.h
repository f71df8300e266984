/* Cookies: reading the Cookie request header, writing Set-Cookie values,
 * and splitting values too large for one cookie into numbered chunks.
 *
 * Reading (RFC 6265 section 5.4 syntax, as browsers send it): pairs are
 * separated by ';', optional spaces or tabs around names and values are
 * ignored, a pair without '=' (a nameless cookie) and an empty name never
 * match, and values are returned as sent (no unquoting: the module's own
 * values are base64url). Names compare exactly, case included. A name that
 * appears more than once is refused (RXA_COOKIE_DUPLICATE), never "first
 * wins": a `__Host-` name cannot legitimately reach us twice, so a second
 * copy is an injected one, and which copy a browser sends first is not
 * something to build on. Every lookup scans the header once, bounded by
 * RXA_COOKIE_MAX_HEADER, and copies only what it returns.
 *
 * Writing: one fixed attribute order,
 *   NAME=VALUE; Path=P; Max-Age=N; Secure; HttpOnly; SameSite=Strict|Lax
 * (for the auth cookies exactly `Path=/; Max-Age=604800; Secure; HttpOnly;
 * SameSite=Strict`), and deletion with the same attributes, an
 * empty value and Max-Age=0, so the browser matches the cookie it holds.
 *
 * Chunks: a value of at most RXA_COOKIE_CHUNK_SIZE bytes is stored as
 * NAME=VALUE. A longer one is stored as NAME=chunks.N (2 <= N <=
 * RXA_COOKIE_MAX_CHUNKS) and NAME_0 ... NAME_{N-1}, the pieces in order,
 * each at most RXA_COOKIE_CHUNK_SIZE bytes. '.' never occurs in base64url,
 * so a marker is never mistaken for a sealed value; a value that itself
 * starts with "chunks." is refused when written. Chunk names keep the
 * caller's prefix (`__Host-...`) and stay valid cookie names. Reading back,
 * a marker out of range, a missing, empty, repeated or unexpected chunk
 * (NAME_<digits> other than the N announced, or any chunk beside an
 * unchunked value) makes the whole value absent.
 *
 * The login-state cookie (SameSite=Lax, scoped to the callback
 * path) cannot be a `__Host-` cookie, because that prefix requires Path=/.
 * Name it `__Secure-...`: the browser then still refuses it unless Secure
 * and set from a secure origin, and what the prefix cannot give (a sibling
 * host may set a `__Secure-` cookie with Domain=) the seal gives, as the
 * value is sealed for its exact name. Attributes: { callback path,
 * RXA_COOKIE_LOGIN_MAX_AGE, RXA_SAMESITE_LAX }. rxa_cookie_format refuses a
 * `__Host-` name (in any case, as newer browsers match prefixes) with a
 * path other than "/".
 */
#ifndef RXA_COOKIE_H
#define RXA_COOKIE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* A Cookie header longer than this is refused as a whole (bounded work;
 * httpd's own LimitRequestFieldSize defaults to 8190). */
#define RXA_COOKIE_MAX_HEADER   65536
/* Value bytes per cookie: with a name of at most RXA_COOKIE_MAX_NAME
 * characters and a "_N" suffix, name=value stays within the 4096 bytes
 * every browser stores per cookie. */
#define RXA_COOKIE_CHUNK_SIZE   4000
/* Most chunks written or read back for one value. */
#define RXA_COOKIE_MAX_CHUNKS   8
#define RXA_COOKIE_MAX_VALUE    (RXA_COOKIE_CHUNK_SIZE * RXA_COOKIE_MAX_CHUNKS)
/* Longest base name accepted when writing or reading chunked values
 * ("__Host-reflex_" + a 32-character provider + "_granted_scopes" is 61). */
#define RXA_COOKIE_MAX_NAME     90
/* The auth cookies' lifetime: 7 days. */
#define RXA_COOKIE_AUTH_MAX_AGE 604800
/* A suggested lifetime for the login-state cookie: time to sign in at the
 * IdP, not more. */
#define RXA_COOKIE_LOGIN_MAX_AGE 600

/* Status returned when a name occurs more than once in the header: the
 * cookie counts as absent, and the caller may want to clear it. */
#define RXA_COOKIE_DUPLICATE    APR_EEXIST

typedef enum {
    RXA_SAMESITE_STRICT,
    RXA_SAMESITE_LAX
} rxa_samesite_e;

/* Attributes of a Set-Cookie value. Secure and HttpOnly are always set. */
typedef struct rxa_cookie_attrs_t {
    const char *path;          /* starts with '/'; "/" for `__Host-` names */
    long max_age;              /* seconds, 1 .. 2^31-1 */
    rxa_samesite_e same_site;
} rxa_cookie_attrs_t;

/* Path=/, Max-Age=604800, SameSite=Strict: the four auth cookies. */
extern const rxa_cookie_attrs_t rxa_cookie_auth_attrs;

/* A cookie found by prefix; both strings are pool copies. */
typedef struct rxa_cookie_t {
    const char *name;
    const char *value;
} rxa_cookie_t;

/* 1 when NAME is an RFC 6265 cookie-name (an HTTP token) of at most
 * RXA_COOKIE_MAX_NAME characters. */
int rxa_cookie_name_ok(const char *name);

/* 1 when LEN bytes of VALUE are all cookie-octets (no quotes, no spaces,
 * no ',', ';', '\\' or controls). An empty value is valid. */
int rxa_cookie_value_ok(const char *value, apr_size_t len);

/* Find NAME in HEADER (the Cookie request header, NULL when none).
 * APR_SUCCESS: *VALUE is a pool copy. APR_NOTFOUND: absent (also for a NULL
 * header). RXA_COOKIE_DUPLICATE: present more than once. APR_EINVAL: the
 * header is over RXA_COOKIE_MAX_HEADER. *ERR (when given) gets a tagged
 * message for the last two; it names the cookie, never a value. */
apr_status_t rxa_cookie_get(apr_pool_t *pool, const char *header,
                            const char *name, const char **value,
                            const char **err);

/* The cookies whose names start with PREFIX (non-empty), in header order,
 * appended to *FOUND (an array of rxa_cookie_t, created when *FOUND is
 * NULL). At most MAX are taken; *MORE (when given) is set to 1 when more
 * were present, else 0. Duplicates are returned as they come: the caller
 * decides. APR_EINVAL for an oversize header or a bad argument. */
apr_status_t rxa_cookie_find_prefix(apr_pool_t *pool, const char *header,
                                    const char *prefix, int max,
                                    apr_array_header_t **found, int *more,
                                    const char **err);

/* Read the value stored under NAME, reassembling chunks (see above).
 * APR_SUCCESS: *VALUE is a NUL-terminated pool string of at most
 * RXA_COOKIE_MAX_VALUE bytes. APR_NOTFOUND: NAME is absent and no chunk of
 * it is present. RXA_COOKIE_DUPLICATE: NAME or a chunk occurs twice.
 * APR_EINVAL: anything else wrong (bad marker, chunk missing, empty or
 * unexpected, oversize header, name not valid). Callers treat every status
 * but APR_SUCCESS as "absent"; for the last two the browser holds debris
 * worth clearing with rxa_cookie_delete_chunked. */
apr_status_t rxa_cookie_get_chunked(apr_pool_t *pool, const char *header,
                                    const char *name, const char **value,
                                    const char **err);

/* The same for N (at most RXA_COOKIE_SET_MAX) names in one pass over the
 * header: VALUES[i] and STATUSES[i] as rxa_cookie_get_chunked gives them
 * for NAMES[i]. Returns APR_SUCCESS, or the failure (oversize header, a
 * name not valid, N out of range) that every name shares; *ERR holds the
 * reason of the last name that failed. */
#define RXA_COOKIE_SET_MAX 8
apr_status_t rxa_cookie_get_chunked_set(apr_pool_t *pool, const char *header,
                                        const char *const *names, int n,
                                        const char **values,
                                        apr_status_t *statuses,
                                        const char **err);

/* One Set-Cookie header value. NAME must satisfy rxa_cookie_name_ok, VALUE
 * rxa_cookie_value_ok, ATTRS a path of printable characters without ';'
 * that starts with '/' (exactly "/" for a `__Host-` name) and a positive
 * Max-Age. APR_EINVAL with *ERR otherwise. */
apr_status_t rxa_cookie_format(apr_pool_t *pool, const char *name,
                               const char *value,
                               const rxa_cookie_attrs_t *attrs,
                               const char **set_cookie, const char **err);

/* The Set-Cookie value that deletes NAME set with ATTRS (same path,
 * SameSite, Secure and HttpOnly; empty value; Max-Age=0). */
apr_status_t rxa_cookie_format_delete(apr_pool_t *pool, const char *name,
                                      const rxa_cookie_attrs_t *attrs,
                                      const char **set_cookie,
                                      const char **err);

/* Append to OUT (an array of const char *) the Set-Cookie values that store
 * VALUE (at most RXA_COOKIE_MAX_VALUE bytes of cookie-octets) under NAME,
 * chunked when over RXA_COOKIE_CHUNK_SIZE, followed by deletions of the
 * stale chunks the new value does not overwrite. REQUEST_HEADER is the
 * request's Cookie header: NULL when there is none (nothing is stale);
 * otherwise the chunk names of NAME it holds are expired (a value that
 * shrinks from 3 chunks to none expires NAME_0..NAME_2, from 3 to 2
 * expires NAME_2), at most 2 * RXA_COOKIE_MAX_CHUNKS of them, odd ones
 * such as NAME_9 or NAME_01 included; when it is over RXA_COOKIE_MAX_HEADER
 * every slot up to RXA_COOKIE_MAX_CHUNKS - 1 not written is expired. On
 * APR_EINVAL nothing is appended. */
apr_status_t rxa_cookie_set_chunked(apr_pool_t *pool, const char *name,
                                    const char *value,
                                    const rxa_cookie_attrs_t *attrs,
                                    const char *request_header,
                                    apr_array_header_t *out,
                                    const char **err);

/* Append to OUT the deletion of NAME (always, sent or not) and of its
 * chunks, chosen from REQUEST_HEADER as for rxa_cookie_set_chunked: those
 * sent, or every possible chunk NAME_0 .. NAME_{RXA_COOKIE_MAX_CHUNKS-1}
 * when the header is too long to read. */
apr_status_t rxa_cookie_delete_chunked(apr_pool_t *pool, const char *name,
                                       const rxa_cookie_attrs_t *attrs,
                                       const char *request_header,
                                       apr_array_header_t *out,
                                       const char **err);

#endif
