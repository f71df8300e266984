/* PKCE (RFC 7636), login state and nonce, constant-time comparison.
 *
 * Every random value comes from the OpenSSL CSPRNG: 32 bytes (256 bits),
 * base64url without padding, so 43 characters that need no escaping in a
 * URL or a cookie.
 */
#ifndef RXA_PKCE_H
#define RXA_PKCE_H

#include <apr_pools.h>

/* Length of a verifier, state or nonce made here (32 random bytes). */
#define RXA_RANDOM_TOKEN_LEN 43
/* Length of an S256 challenge (a SHA-256 digest in base64url). */
#define RXA_PKCE_CHALLENGE_LEN 43

/* NBYTES (16 to 256) random bytes as NUL-terminated base64url. Returns
 * APR_EINVAL for a size out of range, APR_EGENERAL (logged) when the
 * generator fails. */
apr_status_t rxa_random_b64url(apr_pool_t *pool, apr_size_t nbytes,
                               char **out);

/* A fresh code verifier: 43 characters of the RFC 7636 unreserved set. */
apr_status_t rxa_pkce_verifier_create(apr_pool_t *pool, char **verifier);

/* BASE64URL(SHA256(verifier)). Refuses (APR_EINVAL) a verifier that is not
 * 43 to 128 characters of [A-Za-z0-9._~-]. */
apr_status_t rxa_pkce_challenge_s256(apr_pool_t *pool, const char *verifier,
                                     char **challenge);

/* A fresh OAuth state and OpenID Connect nonce. */
apr_status_t rxa_state_create(apr_pool_t *pool, char **state);
apr_status_t rxa_nonce_create(apr_pool_t *pool, char **nonce);

/* 1 when A and B are equal strings, else 0 (also when either is NULL).
 * The time taken depends on the lengths but not on the content, so a
 * guessed state cannot be refined byte by byte. */
int rxa_ct_streq(const char *a, const char *b);

/* The same for byte strings. */
int rxa_ct_memeq(const void *a, apr_size_t alen, const void *b,
                 apr_size_t blen);

#endif
