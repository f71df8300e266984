/* Fuzz target: a JWK Set from the IdP (rxa_jwks_parse). Every key that
 * imports must be usable: an OpenSSL key, at least one algorithm and its
 * verification prepared; every key that does not has a tagged reason.
 * Then the first key is selected the way a token would select it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    const char *err = NULL;
    const rxa_jwk_t *chosen;
    rxa_jwks_t *jwks;
    int i, alg;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    jwks = rxa_jwks_parse(p, (const char *)data, size, &err);
    if (!jwks) {
        if (!err || strncmp(err, "RXA0", 4))
            abort();
    }
    else {
        for (i = 0; i < jwks->keys->nelts; i++) {
            const rxa_jwk_t *k = APR_ARRAY_IDX(jwks->keys, i,
                                               const rxa_jwk_t *);
            if (!k->pkey || !k->algs || (k->algs & ~RXA_JWS_ALGSET_ALL)
                || !k->prepared)
                abort();
        }
        for (i = 0; i < jwks->skipped->nelts; i++) {
            if (strncmp(APR_ARRAY_IDX(jwks->skipped, i, const char *), "RXA03",
                        5))
                abort();
        }
        if (jwks->keys->nelts) {
            const rxa_jwk_t *k = APR_ARRAY_IDX(jwks->keys, 0,
                                               const rxa_jwk_t *);
            for (alg = RXA_JWS_RS256; alg < RXA_JWS_ALG_COUNT; alg++) {
                if (rxa_jwks_select(jwks, k->kid, (rxa_jws_alg_t)alg, &chosen,
                                    &err) == APR_SUCCESS
                    && !(chosen->algs & RXA_JWS_ALGSET(alg)))
                    abort();
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}
