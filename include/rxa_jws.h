/* JWS compact serialization (RFC 7515): verifying an IdP's signed tokens.
 *
 * One pass: split, decode and check the header, pick the key, verify the
 * signature over the bytes as received, and only then decode the payload.
 * Refused whatever the key set holds: "none", every HMAC algorithm, any
 * "crit", keys or key URLs carried in the header (jwk, jku, x5u, x5c), an
 * unencoded payload ("b64"), duplicate JSON members, the JSON serialization,
 * and a key whose type does not match "alg".
 */
#ifndef RXA_JWS_H
#define RXA_JWS_H

#include <apr_pools.h>
#include <jansson.h>

#include "rxa_jwk.h"

/* Longest token we look at; real ID tokens are a few KB. */
#define RXA_JWS_MAX_LEN (64 * 1024)
/* Longest decoded header. */
#define RXA_JWS_MAX_HEADER 4096

typedef struct rxa_jws {
    rxa_jws_alg_t alg;
    const rxa_jwk_t *key;       /* the key that verified the signature */
    const char *kid;            /* the header's kid, or NULL */
    json_t *header;             /* object, owned by the pool */
    json_t *payload;            /* object, owned by the pool; NULL from
                                 * rxa_jws_verify_raw */
    const unsigned char *payload_raw;  /* decoded, NUL-terminated */
    apr_size_t payload_len;
} rxa_jws_t;

/* Verify a compact JWS whose payload is a JSON object (a JWT), with a key
 * from JWKS and an algorithm in ALLOWED (normally the provider's discovery
 * list; it is intersected with ours). Claims are not checked here: see
 * rxa_claims.h. On success *OUT is filled from POOL. Returns APR_SUCCESS;
 * APR_NOTFOUND when no key matches the token's kid (the caller may refresh
 * the key set once and retry); APR_EINVAL for everything else, with a tagged
 * reason in *PERR that never quotes the token. */
apr_status_t rxa_jws_verify(apr_pool_t *pool, const char *token,
                            apr_size_t len, const rxa_jwks_t *jwks,
                            rxa_jws_algset_t allowed, rxa_jws_t **out,
                            const char **perr);

/* The same for any payload: ->payload stays NULL. */
apr_status_t rxa_jws_verify_raw(apr_pool_t *pool, const char *token,
                                apr_size_t len, const rxa_jwks_t *jwks,
                                rxa_jws_algset_t allowed, rxa_jws_t **out,
                                const char **perr);

/* The signature primitive: SIG (in its JWS form: RSA exactly the modulus
 * length, ECDSA the fixed-length r||s, Ed25519 64 bytes) over DATA with KEY
 * under ALG, which KEY must allow. APR_SUCCESS or APR_EINVAL. */
apr_status_t rxa_jws_verify_signature(apr_pool_t *pool, const rxa_jwk_t *key,
                                      rxa_jws_alg_t alg,
                                      const unsigned char *data,
                                      apr_size_t len,
                                      const unsigned char *sig,
                                      apr_size_t siglen, const char **perr);

#endif
