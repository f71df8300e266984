/* Content-Security-Policy of the module's pages: see rxa_csp.h. */
#include <openssl/crypto.h>

#include <apr_strings.h>

#include "rxa_b64url.h"
#include "rxa_csp.h"

apr_status_t rxa_csp_make(apr_pool_t *pool, rxa_random_fn *random,
                          void *baton, rxa_csp_t *csp)
{
    unsigned char raw[RXA_CSP_NONCE_BYTES];
    apr_status_t rv;
    const char *nonce;

    csp->nonce = NULL;
    csp->policy = NULL;
    if ((rv = random(baton, raw, sizeof(raw))) != APR_SUCCESS) {
        OPENSSL_cleanse(raw, sizeof(raw));
        return rv;
    }
    nonce = rxa_b64url_encode(pool, raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    csp->nonce = nonce;
    csp->policy = apr_pstrcat(pool, "default-src 'none'; script-src 'nonce-",
                              nonce, "'; style-src 'self' 'nonce-", nonce,
                              "'; img-src 'self' data:; connect-src 'self'; "
                              "base-uri 'none'; form-action 'self'; "
                              "frame-ancestors 'none'", NULL);
    return APR_SUCCESS;
}
