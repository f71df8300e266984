/* Random values and constant-time comparison: see rxa_random.h. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rxa_b64url.h"
#include "rxa_log.h"
#include "rxa_random.h"

#define RANDOM_MIN_BYTES   16
#define RANDOM_MAX_BYTES   256

/* PRIV selects OpenSSL's private generator. */
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

apr_status_t rxa_random_openssl(void *baton, unsigned char *buf,
                                apr_size_t len)
{
    (void)baton;
    if (len > (apr_size_t)0x7fffffff)
        return APR_EINVAL;
    return RAND_bytes(buf, (int)len) == 1 ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t rxa_random_b64url(apr_pool_t *pool, apr_size_t nbytes,
                               char **out)
{
    return random_b64url(pool, nbytes, 0, out);
}

apr_status_t rxa_random_b64url_secret(apr_pool_t *pool, apr_size_t nbytes,
                                      char **out)
{
    return random_b64url(pool, nbytes, 1, out);
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
