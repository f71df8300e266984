/* Sealed cookie values: see rxa_seal.h. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "rxa_b64url.h"
#include "rxa_log.h"
#include "rxa_seal.h"

#define SEAL_VERSION   0x01
#define SEAL_KEY_LEN   32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN   16
#define SEAL_AAD_MAX   (1 + 4 + RXA_SEAL_MAX_NAME + 4 + RXA_SEAL_MAX_BINDING)

struct rxa_seal_keyring_t {
    EVP_CIPHER *cipher;       /* fetched once; shared read-only by threads */
    int nkeys;
    unsigned char keys[RXA_SEAL_MAX_SECRETS][SEAL_KEY_LEN];
};

/* Not const: OSSL_PARAM takes a non-const pointer. Changing the label
 * changes every key, so it names the format version. */
static char seal_kdf_info[] = "mod_reflex_auth seal v1";
static char seal_kdf_digest[] = "SHA256";

static apr_status_t keyring_cleanup(void *data)
{
    rxa_seal_keyring_t *ring = data;

    OPENSSL_cleanse(ring->keys, sizeof(ring->keys));
    EVP_CIPHER_free(ring->cipher);
    ring->cipher = NULL;
    return APR_SUCCESS;
}

static apr_status_t kdf_ctx_cleanup(void *data)
{
    EVP_KDF_CTX_free(data);
    return APR_SUCCESS;
}

/* HKDF-SHA256(ikm = secret, no salt, info = label) -> 32-byte key. */
static int seal_derive_key(EVP_KDF_CTX *kctx, apr_pool_t *pool,
                           const char *secret, apr_size_t len,
                           unsigned char *key)
{
    /* A writable copy, because OSSL_PARAM wants a non-const pointer; wiped
     * right after use. */
    unsigned char *ikm = apr_pmemdup(pool, secret, len);
    OSSL_PARAM params[4];
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 seal_kdf_digest, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm,
                                                  len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  seal_kdf_info,
                                                  sizeof(seal_kdf_info) - 1);
    params[3] = OSSL_PARAM_construct_end();
    ok = EVP_KDF_derive(kctx, key, SEAL_KEY_LEN, params) == 1;
    OPENSSL_cleanse(ikm, len);
    return ok;
}

apr_status_t rxa_seal_keyring_create(apr_pool_t *pool,
                                     const char *const *secrets, int n,
                                     rxa_seal_keyring_t **pring,
                                     const char **err)
{
    rxa_seal_keyring_t *ring;
    EVP_KDF *kdf;
    EVP_KDF_CTX *kctx;
    const char *dummy;
    int i;

    if (!err)
        err = &dummy;
    if (!secrets || n <= 0) {
        *err = "RXA03501: no cookie secret is configured; make one with "
               "`openssl rand -base64 32`";
        return APR_EINVAL;
    }
    if (n > RXA_SEAL_MAX_SECRETS) {
        *err = apr_psprintf(pool, "RXA03502: %d cookie secrets given, at "
                            "most %d are allowed", n, RXA_SEAL_MAX_SECRETS);
        return APR_EINVAL;
    }
    for (i = 0; i < n; i++) {
        apr_size_t len = secrets[i] ? strlen(secrets[i]) : 0;
        if (len < RXA_SEAL_MIN_SECRET) {
            *err = apr_psprintf(pool, "RXA03503: cookie secret %d is %"
                                APR_SIZE_T_FMT " bytes long, at least %d "
                                "are needed; make one with `openssl rand "
                                "-base64 32`", i + 1, len,
                                RXA_SEAL_MIN_SECRET);
            return APR_EINVAL;
        }
    }

    ring = apr_pcalloc(pool, sizeof(*ring));
    apr_pool_cleanup_register(pool, ring, keyring_cleanup,
                              apr_pool_cleanup_null);
    ring->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!ring->cipher) {
        *err = "RXA03504: OpenSSL offers no AES-256-GCM";
        return APR_EGENERAL;
    }

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!kctx) {
        *err = "RXA03505: OpenSSL offers no HKDF";
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pool, kctx, kdf_ctx_cleanup,
                              apr_pool_cleanup_null);
    for (i = 0; i < n; i++) {
        if (!seal_derive_key(kctx, pool, secrets[i], strlen(secrets[i]),
                             ring->keys[i])) {
            *err = "RXA03506: HKDF key derivation failed";
            apr_pool_cleanup_run(pool, kctx, kdf_ctx_cleanup);
            return APR_EGENERAL;
        }
    }
    apr_pool_cleanup_run(pool, kctx, kdf_ctx_cleanup);
    ring->nkeys = n;
    *pring = ring;
    return APR_SUCCESS;
}

static void put_be32(unsigned char *p, apr_size_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* version | be32 len | name | be32 len | binding: length prefixes keep
 * ("a", "bc") and ("ab", "c") apart. Returns 0 when either is too long. */
static apr_size_t seal_aad(unsigned char *aad, const char *name,
                           const char *binding)
{
    apr_size_t nlen = strlen(name), blen = binding ? strlen(binding) : 0;
    unsigned char *p = aad;

    if (nlen > RXA_SEAL_MAX_NAME || blen > RXA_SEAL_MAX_BINDING)
        return 0;
    *p++ = SEAL_VERSION;
    put_be32(p, nlen);
    memcpy(p + 4, name, nlen);
    p += 4 + nlen;
    put_be32(p, blen);
    if (blen)
        memcpy(p + 4, binding, blen);
    p += 4 + blen;
    return (apr_size_t)(p - aad);
}

/* RAW already holds version and nonce; fills ciphertext and tag. */
static apr_status_t seal_encrypt(EVP_CIPHER_CTX *ctx,
                                 const rxa_seal_keyring_t *ring,
                                 const unsigned char *aad, apr_size_t aadlen,
                                 const unsigned char *plain, apr_size_t len,
                                 unsigned char *raw)
{
    unsigned char *ct = raw + 1 + SEAL_NONCE_LEN;
    int outl = 0, finl = 0;

    if (EVP_EncryptInit_ex2(ctx, ring->cipher, ring->keys[0], raw + 1,
                            NULL) != 1
        || EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
        return APR_EGENERAL;
    outl = 0;
    if (len > 0 && EVP_EncryptUpdate(ctx, ct, &outl, plain, (int)len) != 1)
        return APR_EGENERAL;
    if (EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1
        || (apr_size_t)outl + (apr_size_t)finl != len
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_LEN,
                               ct + len) != 1)
        return APR_EGENERAL;
    return APR_SUCCESS;
}

apr_status_t rxa_seal_bound(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                            const char *name, const char *binding,
                            const unsigned char *plain, apr_size_t len,
                            char **sealed)
{
    unsigned char aad[SEAL_AAD_MAX], *raw;
    apr_size_t aadlen;
    EVP_CIPHER_CTX *ctx;
    apr_status_t rv;

    if (!ring || !name || !sealed || (len && !plain)
        || len > RXA_SEAL_MAX_PLAINTEXT)
        return APR_EINVAL;
    aadlen = seal_aad(aad, name, binding);
    if (!aadlen)
        return APR_EINVAL;

    raw = apr_palloc(pool, len + RXA_SEAL_OVERHEAD);
    raw[0] = SEAL_VERSION;
    /* A fresh random nonce every time: a repeated (key, nonce) pair would
     * give away the GCM authentication key. */
    if (RAND_bytes(raw + 1, SEAL_NONCE_LEN) != 1) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_EGENERAL,
                "RXA03510: the OpenSSL random generator failed");
        return APR_EGENERAL;
    }
    /* The context is freed on every path right here; a pool cleanup per
     * call would only cost an allocation. */
    ctx = EVP_CIPHER_CTX_new();
    rv = ctx ? seal_encrypt(ctx, ring, aad, aadlen, plain, len, raw)
             : APR_ENOMEM;
    EVP_CIPHER_CTX_free(ctx);
    if (rv != APR_SUCCESS) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, rv,
                "RXA03511: AES-256-GCM encryption failed");
        return rv;
    }
    *sealed = rxa_b64url_encode(pool, raw, len + RXA_SEAL_OVERHEAD);
    return APR_SUCCESS;
}

/* Try one key. APR_EINVAL: the tag did not verify; APR_EGENERAL: OpenSSL
 * failed. OUT receives the plaintext only when the tag verifies. */
static apr_status_t seal_decrypt(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher,
                                 const unsigned char *key,
                                 const unsigned char *aad, apr_size_t aadlen,
                                 unsigned char *raw, apr_size_t rawlen,
                                 unsigned char *out)
{
    apr_size_t ctlen = rawlen - RXA_SEAL_OVERHEAD;
    unsigned char *ct = raw + 1 + SEAL_NONCE_LEN;
    int outl = 0, finl = 0;

    if (EVP_DecryptInit_ex2(ctx, cipher, key, raw + 1, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_LEN,
                               ct + ctlen) != 1
        || EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
        return APR_EGENERAL;
    outl = 0;
    if (ctlen > 0 && EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen) != 1)
        return APR_EGENERAL;
    if (EVP_DecryptFinal_ex(ctx, out + outl, &finl) != 1
        || (apr_size_t)outl + (apr_size_t)finl != ctlen)
        return APR_EINVAL;
    return APR_SUCCESS;
}

static apr_status_t seal_open(const rxa_seal_keyring_t *ring,
                              const unsigned char *aad, apr_size_t aadlen,
                              unsigned char *raw, apr_size_t rawlen,
                              unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    apr_status_t rv = APR_EINVAL;
    int i;

    if (!ctx)
        return APR_ENOMEM;
    /* First key first: it sealed everything since the last rotation. */
    for (i = 0; i < ring->nkeys; i++) {
        rv = seal_decrypt(ctx, ring->cipher, ring->keys[i], aad, aadlen,
                          raw, rawlen, out);
        if (rv != APR_EINVAL)
            break;
    }
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

apr_status_t rxa_unseal_bound(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                              const char *name, const char *binding,
                              const char *sealed, apr_size_t sealed_len,
                              unsigned char **plain, apr_size_t *plain_len)
{
    unsigned char aad[SEAL_AAD_MAX], *raw, *out;
    apr_size_t aadlen, rawlen, outlen;
    apr_status_t rv;

    if (!ring || !name || !sealed || !plain || !plain_len)
        return APR_EINVAL;
    /* Bounded before decoding, so an attacker's cookie costs at most one
     * maximal decode. */
    if (sealed_len < RXA_SEAL_SEALED_LEN(0)
        || sealed_len > RXA_SEAL_SEALED_LEN(RXA_SEAL_MAX_PLAINTEXT)
        || rxa_b64url_decode(pool, sealed, sealed_len, &raw, &rawlen)
               != APR_SUCCESS
        || rawlen < RXA_SEAL_OVERHEAD) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_EINVAL,
                "RXA03512: sealed value of cookie %s is malformed", name);
        return APR_EINVAL;
    }
    if (raw[0] != SEAL_VERSION) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_EINVAL,
                "RXA03513: sealed value of cookie %s has an unknown format "
                "version", name);
        return APR_EINVAL;
    }
    aadlen = seal_aad(aad, name, binding);
    if (!aadlen)
        return APR_EINVAL;

    outlen = rawlen - RXA_SEAL_OVERHEAD;
    out = apr_palloc(pool, outlen + 1);
    rv = seal_open(ring, aad, aadlen, raw, rawlen, out);
    if (rv != APR_SUCCESS) {
        /* Unauthenticated plaintext never leaves this function. */
        OPENSSL_cleanse(out, outlen);
        if (rv == APR_EINVAL)
            rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, rv,
                    "RXA03514: sealed value of cookie %s opens under no "
                    "cookie secret, or belongs to another cookie", name);
        else
            rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, rv,
                    "RXA03515: AES-256-GCM decryption failed");
        return rv;
    }
    out[outlen] = '\0';
    *plain = out;
    *plain_len = outlen;
    return APR_SUCCESS;
}

apr_status_t rxa_seal(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                      const char *name, const unsigned char *plain,
                      apr_size_t len, char **sealed)
{
    return rxa_seal_bound(pool, ring, name, NULL, plain, len, sealed);
}

apr_status_t rxa_unseal(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                        const char *name, const char *sealed,
                        apr_size_t sealed_len, unsigned char **plain,
                        apr_size_t *plain_len)
{
    return rxa_unseal_bound(pool, ring, name, NULL, sealed, sealed_len, plain,
                            plain_len);
}
