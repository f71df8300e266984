/* Test helpers for the JOSE core: make keys, their public JWKs and signed
 * compact tokens straight with OpenSSL, so tests can build exactly the
 * tokens (odd headers, swapped algorithms, foreign keys) the core must
 * refuse. Used by the unit tests and the benchmark; never by the core.
 */
#ifndef RXA_JOSE_TEST_H
#define RXA_JOSE_TEST_H

#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "rxa_b64url.h"

static inline apr_status_t jt_pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

/* A fresh key: "RSA2048", "RSA4096", "RSA1024", "P-256", "P-384", "P-521",
 * "Ed25519", "X25519". Freed with POOL. */
static inline EVP_PKEY *jt_keygen(apr_pool_t *pool, const char *type)
{
    EVP_PKEY *k = NULL;

    if (!strncmp(type, "RSA", 3))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(type + 3));
    else if (!strcmp(type, "P-256"))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
    else if (!strcmp(type, "P-384"))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
    else if (!strcmp(type, "P-521"))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
    else if (!strcmp(type, "Ed25519"))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else if (!strcmp(type, "X25519"))
        k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    if (k)
        apr_pool_cleanup_register(pool, k, jt_pkey_cleanup,
                                  apr_pool_cleanup_null);
    return k;
}

static inline const char *jt_bn_b64(apr_pool_t *pool, const EVP_PKEY *k,
                                    const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int n;
    const char *out;

    if (!EVP_PKEY_get_bn_param(k, param, &bn))
        return NULL;
    n = pad ? pad : BN_num_bytes(bn);
    buf = apr_palloc(pool, (apr_size_t)n + 1);
    BN_bn2binpad(bn, buf, n);
    BN_free(bn);
    out = rxa_b64url_encode(pool, buf, (apr_size_t)n);
    return out;
}

/* The public JWK of K as JSON text; EXTRA (may be NULL) is spliced in as
 * more members, e.g. "\"alg\":\"RS256\",\"use\":\"sig\"". */
static inline const char *jt_jwk(apr_pool_t *pool, const EVP_PKEY *k,
                                 const char *kid, const char *extra)
{
    const char *body = NULL;
    const char *more = apr_pstrcat(pool, kid ? ",\"kid\":\"" : "",
                                   kid ? kid : "", kid ? "\"" : "",
                                   extra ? "," : "", extra ? extra : "", NULL);

    if (EVP_PKEY_is_a(k, "RSA")) {
        body = apr_psprintf(pool, "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"",
                            jt_bn_b64(pool, k, OSSL_PKEY_PARAM_RSA_N, 0),
                            jt_bn_b64(pool, k, OSSL_PKEY_PARAM_RSA_E, 0));
    }
    else if (EVP_PKEY_is_a(k, "EC")) {
        char group[32];
        int bits = EVP_PKEY_get_bits(k), len = (bits + 7) / 8;
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), NULL);
        body = apr_psprintf(pool, "\"kty\":\"EC\",\"crv\":\"%s\","
                            "\"x\":\"%s\",\"y\":\"%s\"",
                            bits == 256 ? "P-256" : bits == 384 ? "P-384"
                                                                : "P-521",
                            jt_bn_b64(pool, k, OSSL_PKEY_PARAM_EC_PUB_X, len),
                            jt_bn_b64(pool, k, OSSL_PKEY_PARAM_EC_PUB_Y, len));
    }
    else {
        unsigned char raw[64];
        size_t rawlen = sizeof(raw);
        EVP_PKEY_get_raw_public_key(k, raw, &rawlen);
        body = apr_psprintf(pool, "\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\"",
                            EVP_PKEY_is_a(k, "ED25519") ? "Ed25519" : "X25519",
                            rxa_b64url_encode(pool, raw, rawlen));
    }
    return apr_pstrcat(pool, "{", body, more, "}", NULL);
}

/* Sign INPUT with K the way ALG does, in JWS form (ECDSA as r||s). */
static inline const char *jt_sign_input(apr_pool_t *pool, EVP_PKEY *k,
                                        const char *alg, const char *input)
{
    const char *md = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig;
    size_t siglen = 0;
    const char *out = NULL;

    if (strcmp(alg, "EdDSA"))
        md = !strcmp(alg + 2, "256") ? "SHA256"
           : !strcmp(alg + 2, "384") ? "SHA384" : "SHA512";
    if (EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k, NULL) != 1)
        goto done;
    if (alg[0] == 'P') {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    if (EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
                       strlen(input)) != 1)
        goto done;
    sig = apr_palloc(pool, siglen);
    if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
                       strlen(input)) != 1)
        goto done;
    if (alg[0] == 'E' && alg[1] == 'S') {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
        int half = (EVP_PKEY_get_bits(k) + 7) / 8;
        unsigned char *rs = apr_palloc(pool, 2 * (apr_size_t)half);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, half);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + half, half);
        ECDSA_SIG_free(es);
        sig = rs;
        siglen = 2 * (size_t)half;
    }
    out = rxa_b64url_encode(pool, sig, siglen);
done:
    EVP_MD_CTX_free(ctx);
    return out;
}

/* A compact JWS over the literal HEADER and PAYLOAD texts. */
static inline const char *jt_sign(apr_pool_t *pool, EVP_PKEY *k,
                                  const char *alg, const char *header,
                                  const char *payload)
{
    const char *input = apr_pstrcat(
        pool,
        rxa_b64url_encode(pool, (const unsigned char *)header, strlen(header)),
        ".",
        rxa_b64url_encode(pool, (const unsigned char *)payload,
                          strlen(payload)),
        NULL);
    const char *sig = jt_sign_input(pool, k, alg, input);

    return sig ? apr_pstrcat(pool, input, ".", sig, NULL) : NULL;
}

#endif
