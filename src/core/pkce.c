/* PKCE, state and nonce: see rxa_pkce.h. */
#include <openssl/evp.h>

#include "rxa_b64url.h"
#include "rxa_log.h"
#include "rxa_pkce.h"
#include "rxa_random.h"

#define RANDOM_TOKEN_BYTES 32
#define PKCE_VERIFIER_MIN  43
#define PKCE_VERIFIER_MAX  128

apr_status_t rxa_pkce_verifier_create(apr_pool_t *pool, char **verifier)
{
    return rxa_random_b64url_secret(pool, RANDOM_TOKEN_BYTES, verifier);
}

apr_status_t rxa_state_create(apr_pool_t *pool, char **state)
{
    return rxa_random_b64url(pool, RANDOM_TOKEN_BYTES, state);
}

apr_status_t rxa_nonce_create(apr_pool_t *pool, char **nonce)
{
    return rxa_random_b64url(pool, RANDOM_TOKEN_BYTES, nonce);
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
