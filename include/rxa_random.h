/* Random values and constant-time comparison.
 *
 * Every random value comes from the OpenSSL CSPRNG, as base64url without
 * padding, so it needs no escaping in a URL or a cookie.
 */
#ifndef RXA_RANDOM_H
#define RXA_RANDOM_H

#include <apr_pools.h>

/* NBYTES (16 to 256) random bytes as NUL-terminated base64url. Returns
 * APR_EINVAL for a size out of range, APR_EGENERAL (logged) when the
 * generator fails. */
apr_status_t rxa_random_b64url(apr_pool_t *pool, apr_size_t nbytes,
                               char **out);

/* The same from OpenSSL's private generator, kept for values that must stay
 * secret (a PKCE verifier) rather than travel in URLs. */
apr_status_t rxa_random_b64url_secret(apr_pool_t *pool, apr_size_t nbytes,
                                      char **out);

/* A source of random bytes: fills BUF with LEN bytes and returns
 * APR_SUCCESS, or returns an error (BUF then holds nothing usable). Lets
 * a caller be tested with a source that fails. */
typedef apr_status_t rxa_random_fn(void *baton, unsigned char *buf,
                                   apr_size_t len);

/* OpenSSL's generator (RAND_bytes) as an rxa_random_fn; BATON unused.
 * APR_EGENERAL when it fails. */
apr_status_t rxa_random_openssl(void *baton, unsigned char *buf,
                                apr_size_t len);

/* 1 when A and B are equal strings, else 0 (also when either is NULL).
 * The time taken depends on the lengths but not on the content, so a
 * guessed state cannot be refined byte by byte. */
int rxa_ct_streq(const char *a, const char *b);

/* The same for byte strings. */
int rxa_ct_memeq(const void *a, apr_size_t alen, const void *b,
                 apr_size_t blen);

#endif
