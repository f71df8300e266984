/* PKCE (RFC 7636), login state and nonce.
 *
 * Each is 32 random bytes (256 bits, see rxa_random.h) in base64url
 * without padding, so 43 characters that need no escaping in a URL or a
 * cookie.
 */
#ifndef RXA_PKCE_H
#define RXA_PKCE_H

#include <apr_pools.h>

/* Length of a verifier, state or nonce made here (32 random bytes). */
#define RXA_RANDOM_TOKEN_LEN 43
/* Length of an S256 challenge (a SHA-256 digest in base64url). */
#define RXA_PKCE_CHALLENGE_LEN 43

/* A fresh code verifier: 43 characters of the RFC 7636 unreserved set. */
apr_status_t rxa_pkce_verifier_create(apr_pool_t *pool, char **verifier);

/* BASE64URL(SHA256(verifier)). Refuses (APR_EINVAL) a verifier that is not
 * 43 to 128 characters of [A-Za-z0-9._~-]. */
apr_status_t rxa_pkce_challenge_s256(apr_pool_t *pool, const char *verifier,
                                     char **challenge);

/* A fresh OAuth state and OpenID Connect nonce. */
apr_status_t rxa_state_create(apr_pool_t *pool, char **state);
apr_status_t rxa_nonce_create(apr_pool_t *pool, char **nonce);

#endif
