/* JSON Web Keys (RFC 7517) and key sets, for verifying signatures only.
 *
 * An IdP's key set is imported once (at discovery, and again on rotation)
 * into OpenSSL keys owned by a pool. Keys that cannot verify a signature we
 * accept (encryption keys, X25519, symmetric keys, unknown types, weak RSA,
 * x5c-only keys) are skipped with a reason, never fatal for the set.
 */
#ifndef RXA_JWK_H
#define RXA_JWK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "rxa_alg.h"

struct evp_pkey_st;

typedef struct rxa_jwk {
    const char *kid;            /* NULL when the key has none */
    rxa_jwk_kty_t kty;
    int bits;                   /* RSA modulus, EC field, 255 for Ed25519 */
    rxa_jws_algset_t algs;      /* what this key may verify, never 0 */
    struct evp_pkey_st *pkey;   /* public key, freed with the import pool */
    const struct rxa_jws_prepared *prepared; /* verification set up once
                                 * at import (see rxa_jws_alg_prepare) */
} rxa_jwk_t;

typedef struct rxa_jwks {
    apr_array_header_t *keys;     /* rxa_jwk_t *: usable keys, in set order */
    apr_array_header_t *skipped;  /* const char *: a tagged reason per key
                                   * that was not imported */
} rxa_jwks_t;

/* Bounds for a key set: a larger document, or more entries, is not a key
 * set any IdP publishes. Entries past RXA_JWKS_MAX_KEYS are skipped. */
#define RXA_JWKS_MAX_LEN  (256 * 1024)
#define RXA_JWKS_MAX_KEYS 64

/* RSA moduli outside these bounds are refused: too weak, or a verification
 * cost an IdP has no business imposing. */
#define RXA_JWK_RSA_MIN_BITS 2048
#define RXA_JWK_RSA_MAX_BITS 8192

/* Import one JWK for verification. The key is immutable afterwards: any
 * number of threads may verify with it at once. Refuses (NULL, *PERR
 * tagged, naming the kid but never key material):
 * - kty other than RSA, EC (P-256, P-384, P-521) and OKP (Ed25519);
 * - "use" other than "sig", "key_ops" without "verify";
 * - an "alg" we do not support, or one that does not fit the key; an "alg"
 *   limits the key to that family with a hash at least as strong (an RS256
 *   key also verifies RS512, never PS256 or ES256);
 * - private key members; x5c without n/e; members that are not base64url
 *   (standard base64, padded or not, is taken too: some IdPs publish it);
 * - RSA modulus outside [RXA_JWK_RSA_MIN_BITS, RXA_JWK_RSA_MAX_BITS], even
 *   modulus, exponent even, < 3 or over 64 bits, ROCA-fingerprinted moduli;
 * - EC coordinates not exactly the field size, or a point not on the curve.
 * Members we do not use (x5c, x5t, issuer, ...) are ignored. */
rxa_jwk_t *rxa_jwk_from_json(apr_pool_t *pool, const json_t *jwk,
                             const char **perr);

/* Import a JWK Set document: an object with a "keys" array. Only a document
 * that is not such an object (or over RXA_JWKS_MAX_LEN) fails; each entry
 * that does not import lands in ->skipped. A set may end up with no keys. */
rxa_jwks_t *rxa_jwks_parse(apr_pool_t *pool, const char *buf, apr_size_t len,
                           const char **perr);
rxa_jwks_t *rxa_jwks_from_json(apr_pool_t *pool, const json_t *set,
                               const char **perr);

/* Choose the key for a token's KID (NULL when the header has none) and ALG.
 * With a kid: the one key with that kid that fits ALG. Without: the one key
 * in the set that fits ALG. Returns APR_SUCCESS; APR_NOTFOUND when no key
 * carries that kid (or, without a kid, none fits), which a caller may answer
 * by refreshing the key set once; APR_EINVAL when the choice is ambiguous or
 * the kid names a key of another type. */
apr_status_t rxa_jwks_select(const rxa_jwks_t *jwks, const char *kid,
                             rxa_jws_alg_t alg, const rxa_jwk_t **pkey,
                             const char **perr);

#endif
