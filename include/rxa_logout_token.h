/* OpenID Connect Back-Channel Logout 1.0: the request an IdP POSTs to our
 * back-channel logout URL and the rules its logout token's claims follow
 * (sections 2.4 and 2.6). The signature is not checked here: the glue
 * verifies it with the issuer's keys as for an ID token (rxa_jws.h) and
 * hands the verified payload to rxa_logout_token_check.
 *
 * Every refusal comes with a tagged reason that never quotes the token or
 * a claim's value.
 */
#ifndef RXA_LOGOUT_TOKEN_H
#define RXA_LOGOUT_TOKEN_H

#include <apr_pools.h>
#include <apr_thread_mutex.h>
#include <jansson.h>

/* Longest request body read: a form with one logout token (a few KB signed
 * with the largest RSA keys) fits; it is also the query parser's limit. */
#define RXA_LOGOUT_BODY_MAX 8192
/* Longest jti, sid and sub accepted, in bytes. */
#define RXA_LOGOUT_JTI_MAX 256
#define RXA_LOGOUT_ID_MAX 255
/* The events member a logout token must carry. */
#define RXA_LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"
/* How long a jti is remembered when the token has no exp, seconds, and the
 * longest it is remembered at all. */
#define RXA_LOGOUT_JTI_TTL_DEFAULT 600
#define RXA_LOGOUT_JTI_TTL_MAX (24 * 3600)

/* The request body: application/x-www-form-urlencoded (LEN bytes of BODY,
 * which need not be NUL-terminated) with exactly one parameter,
 * logout_token, non-empty. Refused (APR_EINVAL, tagged *ERR): an empty or
 * over-long body, a NUL byte, a malformed form (rxa_query_parse's rules),
 * any other parameter, a repeated or empty logout_token. */
apr_status_t rxa_logout_form_parse(apr_pool_t *pool, const char *body,
                                   apr_size_t len, const char **token,
                                   const char **err);

/* What the checked logout token says. */
typedef struct rxa_logout_token {
    const char *iss;
    const char *sid;            /* NULL when absent */
    const char *sub;            /* NULL when absent; one of the two is set */
    const char *jti;
    apr_int64_t iat;            /* seconds since the epoch */
    apr_int64_t exp;            /* 0 when absent */
} rxa_logout_token_t;

typedef struct rxa_logout_expect {
    const char *issuer;         /* iss must equal it */
    const char *client_id;      /* aud must contain it */
    apr_int64_t now;            /* seconds since the epoch */
    apr_int64_t skew;           /* allowed clock difference, seconds, >= 0 */
} rxa_logout_expect_t;

/* The verified payload CLAIMS checked: iss equals the issuer; aud a string
 * or an array of strings containing the client id; iat present and not
 * after now + skew; exp, when present, not before now - skew; events an
 * object whose RXA_LOGOUT_EVENT member is an object; a sid or a sub (each,
 * when present, a non-empty string of at most RXA_LOGOUT_ID_MAX bytes
 * without control characters); no nonce; jti a non-empty string of at
 * most RXA_LOGOUT_JTI_MAX bytes. APR_SUCCESS and *OUT filled from POOL, or
 * APR_EINVAL and a tagged *ERR. */
apr_status_t rxa_logout_token_check(apr_pool_t *pool, const json_t *claims,
                                    const rxa_logout_expect_t *expect,
                                    rxa_logout_token_t *out, const char **err);

/* The shared-cache key that marks T's jti as seen: "rxa1:jti:" and the hex
 * SHA-256 of iss, a NUL and jti (a dump of the cache shows neither). NULL
 * when hashing fails. */
const char *rxa_logout_jti_key(apr_pool_t *pool, const rxa_logout_token_t *t);

/* How long, in seconds from NOW, T's jti must be remembered: until exp
 * plus SKEW, or RXA_LOGOUT_JTI_TTL_DEFAULT without exp; 1 to
 * RXA_LOGOUT_JTI_TTL_MAX. */
apr_uint32_t rxa_logout_jti_ttl(const rxa_logout_token_t *t, apr_int64_t now,
                                apr_int64_t skew);

/* A small per-process table of jti keys seen, for when the shared cache
 * cannot be used: at most N keys, the one expiring first evicted when
 * full. Thread-safe. */
typedef struct rxa_logout_seen rxa_logout_seen_t;

apr_status_t rxa_logout_seen_create(apr_pool_t *pool, apr_size_t n,
                                    rxa_logout_seen_t **out);

/* KEY remembered until NOW + TTL if not there yet (APR_SUCCESS), or
 * APR_EEXIST when it is there and not expired. */
apr_status_t rxa_logout_seen_claim(rxa_logout_seen_t *t, const char *key,
                                   apr_int64_t now, apr_uint32_t ttl);

#endif
