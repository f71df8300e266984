/* The JWS algorithms (RFC 7518, RFC 8037) we verify: their names, the key
 * type and hash each one uses, and the OpenSSL set-up a key needs to verify
 * under them. Both the key import (rxa_jwk.h) and the token check
 * (rxa_jws.h) build on this table.
 */
#ifndef RXA_ALG_H
#define RXA_ALG_H

#include <apr_pools.h>
#include <jansson.h>

struct evp_pkey_st;
struct evp_pkey_ctx_st;
struct evp_md_st;

typedef enum {
    RXA_JWS_ALG_UNKNOWN = 0,
    RXA_JWS_RS256, RXA_JWS_RS384, RXA_JWS_RS512,
    RXA_JWS_PS256, RXA_JWS_PS384, RXA_JWS_PS512,
    RXA_JWS_ES256, RXA_JWS_ES384, RXA_JWS_ES512,
    RXA_JWS_EDDSA,
    RXA_JWS_ALG_COUNT
} rxa_jws_alg_t;

/* A set of algorithms as a bit mask, so "allowed for this provider" and
 * "usable with this key" are one AND apart. */
typedef unsigned int rxa_jws_algset_t;
#define RXA_JWS_ALGSET(alg) (1u << (unsigned)(alg))
#define RXA_JWS_ALGSET_ALL \
    (((1u << (unsigned)RXA_JWS_ALG_COUNT) - 1u) \
     & ~RXA_JWS_ALGSET(RXA_JWS_ALG_UNKNOWN))

/* The JWK key types (RFC 7517 "kty") our algorithms verify with. */
typedef enum {
    RXA_JWK_RSA = 1,
    RXA_JWK_EC,
    RXA_JWK_OKP
} rxa_jwk_kty_t;

/* "RS256" -> RXA_JWS_RS256; RXA_JWS_ALG_UNKNOWN for anything else,
 * "none" and every HMAC algorithm included. Case-sensitive. */
rxa_jws_alg_t rxa_jws_alg_from_name(const char *name);

/* The registered name of ALG, or NULL. */
const char *rxa_jws_alg_name(rxa_jws_alg_t alg);

/* The key type ALG verifies with; 0 for no algorithm of ours. */
rxa_jwk_kty_t rxa_jws_alg_kty(rxa_jws_alg_t alg);

/* The OpenSSL name of the hash ALG signs ("SHA256"), or NULL: EdDSA hashes
 * inside the algorithm, and so does no algorithm of ours. */
const char *rxa_jws_alg_digest(rxa_jws_alg_t alg);

/* The algorithms a discovery document lists (its
 * id_token_signing_alg_values_supported array) that we support; names we do
 * not support, and non-strings, are ignored. 0 when NAMES is not an array. */
rxa_jws_algset_t rxa_jws_algset_from_json(const json_t *names);

/* Set the RSA padding ALG uses on a verification context (RFC 7518 3.5:
 * PSS with MGF1 over the same hash and a salt as long as the hash); other
 * algorithms need none. Returns whether OpenSSL took it. */
int rxa_jws_alg_set_padding(struct evp_pkey_ctx_st *pctx, rxa_jws_alg_t alg);

/* Per key, per algorithm: the digest, and an EVP_PKEY_CTX set up for
 * EVP_PKEY_verify (padding, salt, digest). Built once at import and never
 * touched again; each verification works on its own EVP_PKEY_CTX_dup, which
 * only reads the template, so threads may share it. Building a context
 * from scratch fetches the algorithm implementations each time, which in
 * OpenSSL 3 costs a sizeable share of an RSA verification. EdDSA hashes
 * inside the algorithm and has no entry. */
struct rxa_jws_prepared {
    struct evp_pkey_ctx_st *ctx[RXA_JWS_ALG_COUNT];
    struct evp_md_st *md[RXA_JWS_ALG_COUNT];
};

/* Set up, once, what verifying with PKEY under each algorithm of ALGS
 * needs, owned by POOL, into *OUT. Returns NULL, or a tagged reason with
 * *OUT untouched. The OpenSSL error queue is left as it was found. */
const char *rxa_jws_alg_prepare(apr_pool_t *pool, struct evp_pkey_st *pkey,
                                rxa_jws_algset_t algs,
                                const struct rxa_jws_prepared **out);

#endif
