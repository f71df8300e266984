/* JWS compact verification: see rxa_jws.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "rxa_b64url.h"
#include "rxa_json.h"
#include "rxa_jws.h"

/* --- the signature primitive ---------------------------------------------- */

static apr_status_t md_ctx_cleanup(void *data)
{
    EVP_MD_CTX_free(data);
    return APR_SUCCESS;
}

static apr_status_t pkey_ctx_cleanup(void *data)
{
    EVP_PKEY_CTX_free(data);
    return APR_SUCCESS;
}

/* One DER INTEGER from a fixed-length big-endian unsigned value: leading
 * zeros dropped (one kept for zero), a zero prepended when the top bit is
 * set. */
static unsigned char *der_integer(unsigned char *o, const unsigned char *v,
                                  apr_size_t len)
{
    while (len > 1 && v[0] == 0) {
        v++;
        len--;
    }
    *o++ = 0x02;
    if (v[0] & 0x80) {
        *o++ = (unsigned char)(len + 1);
        *o++ = 0x00;
    }
    else {
        *o++ = (unsigned char)len;
    }
    memcpy(o, v, len);
    return o + len;
}

/* JWS carries ECDSA as r||s, each exactly the curve's size (RFC 7518 3.4);
 * OpenSSL wants DER. HALF is at most 66 (P-521), so every length fits one
 * octet and the body at most 138: OUT needs 141 bytes. */
static apr_size_t ecdsa_rs_to_der(unsigned char *out, const unsigned char *sig,
                                  apr_size_t half)
{
    unsigned char body[2 * (2 + 67)], *end, *o = out;
    apr_size_t blen;

    end = der_integer(body, sig, half);
    end = der_integer(end, sig + half, half);
    blen = (apr_size_t)(end - body);
    *o++ = 0x30;
    if (blen > 127)
        *o++ = 0x81;
    *o++ = (unsigned char)blen;
    memcpy(o, body, blen);
    return (apr_size_t)(o - out) + blen;
}

/* Both paths answer a bad signature alike. */
static const char sig_mismatch[] = "RXA03206: signature does not verify";

/* Verify with the prepared context: hash, duplicate, verify. */
static int verify_prepared(apr_pool_t *pool, const struct rxa_jws_prepared *p,
                           rxa_jws_alg_t alg, const unsigned char *data,
                           apr_size_t len, const unsigned char *sig,
                           apr_size_t siglen, const char **why)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_PKEY_CTX *ctx;
    int ok;

    if (!EVP_Digest(data, len, md, &mdlen, p->md[alg], NULL)
        || !(ctx = EVP_PKEY_CTX_dup(p->ctx[alg]))) {
        *why = "RXA03205: OpenSSL could not set up the verification";
        return 0;
    }
    apr_pool_cleanup_register(pool, ctx, pkey_ctx_cleanup,
                              apr_pool_cleanup_null);
    ok = EVP_PKEY_verify(ctx, sig, siglen, md, mdlen) == 1;
    apr_pool_cleanup_run(pool, ctx, pkey_ctx_cleanup);
    if (!ok)
        *why = sig_mismatch;
    return ok;
}

/* Verify from scratch: EdDSA, and keys built without rxa_jws_prepare_key. */
static int verify_plain(apr_pool_t *pool, const rxa_jwk_t *key,
                        rxa_jws_alg_t alg, const unsigned char *data,
                        apr_size_t len, const unsigned char *sig,
                        apr_size_t siglen, const char **why)
{
    EVP_MD_CTX *ctx;
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (!(ctx = EVP_MD_CTX_new())) {
        *why = "RXA03204: out of memory verifying a signature";
        return 0;
    }
    apr_pool_cleanup_register(pool, ctx, md_ctx_cleanup,
                              apr_pool_cleanup_null);
    ok = EVP_DigestVerifyInit_ex(ctx, &pctx, rxa_jws_alg_digest(alg), NULL, NULL,
                                 key->pkey, NULL) == 1
         && rxa_jws_alg_set_padding(pctx, alg);
    if (!ok)
        *why = "RXA03209: OpenSSL could not set up the verification";
    else if (!(ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1))
        *why = sig_mismatch;
    apr_pool_cleanup_run(pool, ctx, md_ctx_cleanup);
    return ok;
}

apr_status_t rxa_jws_verify_signature(apr_pool_t *pool, const rxa_jwk_t *key,
                                      rxa_jws_alg_t alg,
                                      const unsigned char *data,
                                      apr_size_t len,
                                      const unsigned char *sig,
                                      apr_size_t siglen, const char **perr)
{
    unsigned char der[160];
    const char *why = NULL;
    int ok;

    if (!key || !key->pkey || alg <= RXA_JWS_ALG_UNKNOWN
        || alg >= RXA_JWS_ALG_COUNT || !(key->algs & RXA_JWS_ALGSET(alg))) {
        if (perr)
            *perr = "RXA03200: key type does not match the token's alg";
        return APR_EINVAL;
    }
    switch (rxa_jws_alg_kty(alg)) {
    case RXA_JWK_EC: {
        apr_size_t half = ((apr_size_t)key->bits + 7) / 8;
        if (siglen != 2 * half)
            why = "RXA03201: ECDSA signature is not r||s of the curve's size";
        else
            siglen = ecdsa_rs_to_der(der, sig, half);
        sig = der;
        break;
    }
    case RXA_JWK_OKP:
        if (siglen != 64)
            why = "RXA03202: Ed25519 signature is not 64 bytes";
        break;
    default:
        /* RFC 8017 8.2.2: the signature is exactly the modulus length. */
        if (siglen != ((apr_size_t)key->bits + 7) / 8)
            why = "RXA03203: RSA signature is not the modulus length";
        break;
    }
    if (why) {
        if (perr)
            *perr = why;
        return APR_EINVAL;
    }
    /* Keep the thread's OpenSSL error queue as we found it: httpd's mod_ssl
     * reads it, and a refused token is no OpenSSL error. */
    ERR_set_mark();
    if (key->prepared && key->prepared->ctx[alg])
        ok = verify_prepared(pool, key->prepared, alg, data, len, sig, siglen,
                             &why);
    else
        ok = verify_plain(pool, key, alg, data, len, sig, siglen, &why);
    ERR_pop_to_mark();
    if (!ok) {
        if (perr)
            *perr = why;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* --- compact serialization ------------------------------------------------ */

static apr_status_t jws_refuse(const char **perr, const char *why)
{
    if (perr)
        *perr = why;
    return APR_EINVAL;
}

/* The header's alg must be ours and allowed; nothing in it may choose the
 * key (jwk, jku, x5u, x5c), extend the rules (crit) or change what the
 * signature covers (b64). */
static const char *header_check(const json_t *header, rxa_jws_algset_t allowed,
                                rxa_jws_alg_t *palg, const char **pkid)
{
    static const char *const key_members[] = { "jwk", "jku", "x5u", "x5c" };
    const json_t *v;
    const char *name;
    apr_size_t i;

    v = json_object_get(header, "alg");
    if (!json_is_string(v))
        return "RXA03210: header has no alg string";
    name = json_string_value(v);
    *palg = rxa_jws_alg_from_name(name);
    if (*palg == RXA_JWS_ALG_UNKNOWN) {
        if (!strcasecmp(name, "none"))
            return "RXA03211: alg \"none\" is refused";
        if (!strncmp(name, "HS", 2))
            return "RXA03212: HMAC algorithms are refused";
        return "RXA03213: alg is not one we verify";
    }
    if (!(allowed & RXA_JWS_ALGSET(*palg)))
        return "RXA03214: alg is not among the provider's signing algorithms";
    if (json_object_get(header, "crit"))
        return "RXA03215: header has crit, and we understand no extension";
    for (i = 0; i < sizeof(key_members) / sizeof(key_members[0]); i++) {
        if (json_object_get(header, key_members[i]))
            return "RXA03216: header carries a key or key URL "
                   "(jwk, jku, x5u or x5c)";
    }
    /* RFC 7797: without b64 our signing input would differ from the
     * signer's; anything but the default is refused. */
    v = json_object_get(header, "b64");
    if (v && !json_is_true(v))
        return "RXA03217: header asks for an unencoded payload (b64)";
    v = json_object_get(header, "kid");
    if (v && !json_is_string(v))
        return "RXA03218: header's kid is not a string";
    *pkid = v ? json_string_value(v) : NULL;
    return NULL;
}

static apr_status_t jws_verify(apr_pool_t *pool, const char *token,
                               apr_size_t len, const rxa_jwks_t *jwks,
                               rxa_jws_algset_t allowed, int want_json,
                               rxa_jws_t **out, const char **perr)
{
    const char *dot1, *dot2, *why;
    unsigned char *hbuf, *sig, *payload;
    apr_size_t hlen, siglen, plen;
    const rxa_jwk_t *key;
    json_t *header, *claims = NULL;
    rxa_jws_alg_t alg = RXA_JWS_ALG_UNKNOWN;
    const char *kid = NULL;
    apr_status_t rv;
    rxa_jws_t *jws;

    *out = NULL;
    if (!token || len == 0)
        return jws_refuse(perr, "RXA03220: token is empty");
    if (len > RXA_JWS_MAX_LEN)
        return jws_refuse(perr, "RXA03221: token is longer than 64 KB");
    /* Exactly three parts: two dots. A JSON serialization has none, JWE
     * four. */
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (apr_size_t)(dot1 + 1 - token))
                : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (apr_size_t)(dot2 + 1 - token)))
        return jws_refuse(perr, "RXA03222: not a JWS in compact form "
                                "(three dot-separated parts)");
    if (dot1 == token)
        return jws_refuse(perr, "RXA03223: token has an empty header");
    if (dot2 + 1 == token + len)
        return jws_refuse(perr, "RXA03224: token has an empty signature");
    hlen = (apr_size_t)(dot1 - token);
    if (hlen > (RXA_JWS_MAX_HEADER / 3 + 1) * 4)
        return jws_refuse(perr, "RXA03225: token header is too long");
    if (rxa_b64url_decode(pool, token, hlen, &hbuf, &hlen) != APR_SUCCESS)
        return jws_refuse(perr, "RXA03226: token header is not base64url");
    header = rxa_json_parse_object(pool, (const char *)hbuf, hlen,
                                   RXA_JWS_MAX_HEADER, NULL);
    if (!header)
        return jws_refuse(perr, "RXA03227: token header is not a JSON object "
                                "(or repeats a member)");
    if ((why = header_check(header, allowed & RXA_JWS_ALGSET_ALL, &alg, &kid)))
        return jws_refuse(perr, why);
    if ((rv = rxa_jwks_select(jwks, kid, alg, &key, perr)) != APR_SUCCESS)
        return rv;
    if (rxa_b64url_decode(pool, dot2 + 1,
                          len - (apr_size_t)(dot2 + 1 - token), &sig, &siglen)
        != APR_SUCCESS)
        return jws_refuse(perr, "RXA03228: token signature is not base64url");
    /* The signing input is the header and payload as received. */
    if ((rv = rxa_jws_verify_signature(pool, key, alg,
                                       (const unsigned char *)token,
                                       (apr_size_t)(dot2 - token), sig, siglen,
                                       perr)) != APR_SUCCESS)
        return rv;
    if (rxa_b64url_decode(pool, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1),
                          &payload, &plen) != APR_SUCCESS)
        return jws_refuse(perr, "RXA03229: token payload is not base64url");
    if (want_json) {
        claims = rxa_json_parse_object(pool, (const char *)payload, plen,
                                       RXA_JWS_MAX_LEN, NULL);
        if (!claims)
            return jws_refuse(perr, "RXA03230: token payload is not a JSON "
                                    "object (or repeats a member)");
    }
    jws = apr_palloc(pool, sizeof(*jws));
    jws->alg = alg;
    jws->key = key;
    jws->kid = kid;
    jws->header = header;
    jws->payload = claims;
    jws->payload_raw = payload;
    jws->payload_len = plen;
    *out = jws;
    return APR_SUCCESS;
}

apr_status_t rxa_jws_verify(apr_pool_t *pool, const char *token,
                            apr_size_t len, const rxa_jwks_t *jwks,
                            rxa_jws_algset_t allowed, rxa_jws_t **out,
                            const char **perr)
{
    return jws_verify(pool, token, len, jwks, allowed, 1, out, perr);
}

apr_status_t rxa_jws_verify_raw(apr_pool_t *pool, const char *token,
                                apr_size_t len, const rxa_jwks_t *jwks,
                                rxa_jws_algset_t allowed, rxa_jws_t **out,
                                const char **perr)
{
    return jws_verify(pool, token, len, jwks, allowed, 0, out, perr);
}
