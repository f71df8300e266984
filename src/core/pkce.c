/* PKCE, state, nonce and constant-time comparison: see rxa_pkce.h. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rxa_b64url.h"
#include "rxa_log.h"
#include "rxa_pkce.h"

#define RANDOM_TOKEN_BYTES 32
#define RANDOM_MIN_BYTES   16
#define RANDOM_MAX_BYTES   256
#define PKCE_VERIFIER_MIN  43
#define PKCE_VERIFIER_MAX  128

/* PRIV selects OpenSSL's private generator, kept for values that must stay
 * secret (the verifier); state and nonce travel in URLs. */
static apr_status_t random_b64url(apr_pool_t *pool, apr_size_t nbytes,
                                  int priv, char **out)
{
    unsigned char buf[RANDOM_MAX_BYTES];
    int ok;

    if (!out || nbytes < RANDOM_MIN_BYTES || nbytes > RANDOM_MAX_BYTES)
        return APR_EINVAL;
    ok = priv ? RAND_priv_bytes(buf, (int)nbytes)
              : RAND_bytes(buf, (int)nbytes);
    if (ok != 1) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_EGENERAL,
                "RXA03701: the OpenSSL random generator failed");
        return APR_EGENERAL;
    }
    *out = rxa_b64url_encode(pool, buf, nbytes);
    OPENSSL_cleanse(buf, nbytes);
    return APR_SUCCESS;
}

apr_status_t rxa_random_b64url(apr_pool_t *pool, apr_size_t nbytes,
                               char **out)
{
    return random_b64url(pool, nbytes, 0, out);
}

apr_status_t rxa_pkce_verifier_create(apr_pool_t *pool, char **verifier)
{
    return random_b64url(pool, RANDOM_TOKEN_BYTES, 1, verifier);
}

apr_status_t rxa_state_create(apr_pool_t *pool, char **state)
{
    return random_b64url(pool, RANDOM_TOKEN_BYTES, 0, state);
}

apr_status_t rxa_nonce_create(apr_pool_t *pool, char **nonce)
{
    return random_b64url(pool, RANDOM_TOKEN_BYTES, 0, nonce);
}

/* RFC 7636 section 4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static int pkce_verifier_ok(const char *v, apr_size_t *plen)
{
    apr_size_t i;

    for (i = 0; v[i]; i++) {
        unsigned char c = (unsigned char)v[i];
        if (i >= PKCE_VERIFIER_MAX)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
              || c == '~'))
            return 0;
    }
    *plen = i;
    return i >= PKCE_VERIFIER_MIN;
}

apr_status_t rxa_pkce_challenge_s256(apr_pool_t *pool, const char *verifier,
                                     char **challenge)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    apr_size_t len;

    if (!verifier || !challenge || !pkce_verifier_ok(verifier, &len))
        return APR_EINVAL;
    if (EVP_Digest(verifier, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_EGENERAL,
                "RXA03702: SHA-256 of the PKCE verifier failed");
        return APR_EGENERAL;
    }
    *challenge = rxa_b64url_encode(pool, md, mdlen);
    return APR_SUCCESS;
}

int rxa_ct_memeq(const void *a, apr_size_t alen, const void *b,
                 apr_size_t blen)
{
    if (!a || !b || alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

int rxa_ct_streq(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    return rxa_ct_memeq(a, strlen(a), b, strlen(b));
}
