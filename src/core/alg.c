/* The JWS algorithm table: see rxa_alg.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "rxa_alg.h"

static const struct {
    const char *name;
    rxa_jwk_kty_t kty;
    const char *digest;
} algs[RXA_JWS_ALG_COUNT] = {
    [RXA_JWS_RS256] = { "RS256", RXA_JWK_RSA, "SHA256" },
    [RXA_JWS_RS384] = { "RS384", RXA_JWK_RSA, "SHA384" },
    [RXA_JWS_RS512] = { "RS512", RXA_JWK_RSA, "SHA512" },
    [RXA_JWS_PS256] = { "PS256", RXA_JWK_RSA, "SHA256" },
    [RXA_JWS_PS384] = { "PS384", RXA_JWK_RSA, "SHA384" },
    [RXA_JWS_PS512] = { "PS512", RXA_JWK_RSA, "SHA512" },
    [RXA_JWS_ES256] = { "ES256", RXA_JWK_EC, "SHA256" },
    [RXA_JWS_ES384] = { "ES384", RXA_JWK_EC, "SHA384" },
    [RXA_JWS_ES512] = { "ES512", RXA_JWK_EC, "SHA512" },
    [RXA_JWS_EDDSA] = { "EdDSA", RXA_JWK_OKP, NULL },
};

static int alg_known(rxa_jws_alg_t alg)
{
    return alg > RXA_JWS_ALG_UNKNOWN && alg < RXA_JWS_ALG_COUNT;
}

rxa_jws_alg_t rxa_jws_alg_from_name(const char *name)
{
    int i;

    if (!name)
        return RXA_JWS_ALG_UNKNOWN;
    for (i = RXA_JWS_RS256; i < RXA_JWS_ALG_COUNT; i++) {
        if (!strcmp(name, algs[i].name))
            return (rxa_jws_alg_t)i;
    }
    return RXA_JWS_ALG_UNKNOWN;
}

const char *rxa_jws_alg_name(rxa_jws_alg_t alg)
{
    return alg_known(alg) ? algs[alg].name : NULL;
}

rxa_jwk_kty_t rxa_jws_alg_kty(rxa_jws_alg_t alg)
{
    return alg_known(alg) ? algs[alg].kty : (rxa_jwk_kty_t)0;
}

const char *rxa_jws_alg_digest(rxa_jws_alg_t alg)
{
    return alg_known(alg) ? algs[alg].digest : NULL;
}

rxa_jws_algset_t rxa_jws_algset_from_json(const json_t *names)
{
    rxa_jws_algset_t set = 0;
    size_t i;

    if (!json_is_array(names))
        return 0;
    for (i = 0; i < json_array_size(names); i++) {
        const json_t *v = json_array_get(names, i);
        rxa_jws_alg_t alg = json_is_string(v)
            ? rxa_jws_alg_from_name(json_string_value(v)) : RXA_JWS_ALG_UNKNOWN;
        if (alg != RXA_JWS_ALG_UNKNOWN)
            set |= RXA_JWS_ALGSET(alg);
    }
    return set;
}

static apr_status_t pkey_ctx_cleanup(void *data)
{
    EVP_PKEY_CTX_free(data);
    return APR_SUCCESS;
}

int rxa_jws_alg_set_padding(EVP_PKEY_CTX *pctx, rxa_jws_alg_t alg)
{
    if (alg >= RXA_JWS_RS256 && alg <= RXA_JWS_RS512)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    if (alg >= RXA_JWS_PS256 && alg <= RXA_JWS_PS512)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
               && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx,
                                                    rxa_jws_alg_digest(alg),
                                                    NULL) == 1
               && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                   RSA_PSS_SALTLEN_DIGEST) == 1;
    return 1;
}

static apr_status_t md_cleanup(void *data)
{
    EVP_MD_free(data);
    return APR_SUCCESS;
}

const char *rxa_jws_alg_prepare(apr_pool_t *pool, EVP_PKEY *pkey,
                                rxa_jws_algset_t set,
                                const struct rxa_jws_prepared **out)
{
    struct rxa_jws_prepared *prep = apr_pcalloc(pool, sizeof(*prep));
    const char *why = NULL;
    int alg, other;

    ERR_set_mark();
    for (alg = RXA_JWS_RS256; alg < RXA_JWS_ALG_COUNT && !why; alg++) {
        const char *digest = algs[alg].digest;
        EVP_PKEY_CTX *ctx;
        EVP_MD *md = NULL;

        if (!(set & RXA_JWS_ALGSET(alg)) || !digest)
            continue;
        /* RS256 and PS256 share one SHA-256, and so on. */
        for (other = RXA_JWS_RS256; other < alg && !md; other++) {
            if (prep->md[other] && !strcmp(algs[other].digest, digest))
                md = prep->md[other];
        }
        if (!md) {
            if (!(md = EVP_MD_fetch(NULL, digest, NULL))) {
                why = "RXA03207: OpenSSL could not prepare the key for "
                      "verification";
                break;
            }
            apr_pool_cleanup_register(pool, md, md_cleanup,
                                      apr_pool_cleanup_null);
        }
        prep->md[alg] = md;
        if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL))) {
            why = "RXA03219: OpenSSL could not make a verification context";
            break;
        }
        apr_pool_cleanup_register(pool, ctx, pkey_ctx_cleanup,
                                  apr_pool_cleanup_null);
        prep->ctx[alg] = ctx;
        if (EVP_PKEY_verify_init(ctx) != 1
            || !rxa_jws_alg_set_padding(ctx, (rxa_jws_alg_t)alg)
            || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
            why = "RXA03208: OpenSSL refused the verification parameters";
    }
    ERR_pop_to_mark();
    if (!why)
        *out = prep;
    return why;
}
