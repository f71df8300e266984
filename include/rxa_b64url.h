/* base64url (RFC 4648 section 5) without padding, strict both ways. */
#ifndef RXA_B64URL_H
#define RXA_B64URL_H

#include <apr_pools.h>

/* Encode LEN bytes; the result is NUL-terminated and never padded. */
char *rxa_b64url_encode(apr_pool_t *pool, const unsigned char *data,
                        apr_size_t len);

/* Decode exactly INLEN characters of IN. Refuses padding, '+', '/',
 * whitespace, any other character, an impossible length (4n+1) and
 * non-zero trailing bits, so every byte string has exactly one accepted
 * encoding. On success *OUT holds *OUTLEN bytes plus a NUL not counted in
 * *OUTLEN. Returns APR_SUCCESS or APR_EINVAL. */
apr_status_t rxa_b64url_decode(apr_pool_t *pool, const char *in,
                               apr_size_t inlen, unsigned char **out,
                               apr_size_t *outlen);

#endif
