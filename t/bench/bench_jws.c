/* Micro-benchmark: the cost of verifying an ID token, RS256 and ES256.
 *
 * For a realistic token (Google-sized claims) it times, in alternating
 * rounds so both see the same machine state:
 *   jwt  rxa_jws_verify: split, decode and check the header, pick the key,
 *        verify, decode and parse the claims (what the module calls);
 *   jws  rxa_jws_verify_raw: the same without parsing the claims;
 *   evp  the bare OpenSSL operation as `openssl speed` times it: a
 *        prepared EVP_PKEY_verify on a precomputed digest.
 * A pool is cleared after each verification, as a request pool would be.
 * CPU time, as `openssl speed` measures it (unless given -elapsed), so
 * other load on the machine does not count. Prints one line per
 * algorithm, "ALG jwt_us=.. jws_us=.. evp_us=..", the median of the rounds.
 * t/bench/bench_jws.sh sets it beside `openssl speed`.
 * Usage: bench_jws [seconds-per-round [rounds]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_jose_test.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

typedef struct {
    apr_pool_t *scratch;
    const char *token;
    apr_size_t len;
    const rxa_jwks_t *jwks;
    EVP_PKEY_CTX *evp;
    unsigned char md[32], sig[600];
    size_t siglen;
} bench_t;

static void run_jwt(bench_t *b)
{
    rxa_jws_t *jws;
    const char *err;

    if (rxa_jws_verify(b->scratch, b->token, b->len, b->jwks,
                       RXA_JWS_ALGSET_ALL, &jws, &err) != APR_SUCCESS) {
        fprintf(stderr, "verify failed: %s\n", err);
        exit(1);
    }
    apr_pool_clear(b->scratch);
}

static void run_jws(bench_t *b)
{
    rxa_jws_t *jws;
    const char *err;

    if (rxa_jws_verify_raw(b->scratch, b->token, b->len, b->jwks,
                           RXA_JWS_ALGSET_ALL, &jws, &err) != APR_SUCCESS) {
        fprintf(stderr, "verify failed: %s\n", err);
        exit(1);
    }
    apr_pool_clear(b->scratch);
}

static void run_evp(bench_t *b)
{
    if (EVP_PKEY_verify(b->evp, b->sig, b->siglen, b->md, 32) != 1) {
        fprintf(stderr, "EVP_PKEY_verify failed\n");
        exit(1);
    }
}

/* Microseconds per call of FN over about SECONDS. */
static double time_it(void (*fn)(bench_t *), bench_t *b, double seconds)
{
    double start = now_s(), el;
    long n = 0, i;

    do {
        for (i = 0; i < 100; i++)
            fn(b);
        n += 100;
        el = now_s() - start;
    } while (el < seconds);
    return el * 1e6 / (double)n;
}

static void bench(apr_pool_t *pool, const char *alg, const char *keytype,
                  double seconds, int rounds)
{
    static const char claims[] =
        "{\"iss\":\"https://accounts.google.com\",\"azp\":\"1234987819200-okg"
        "qdl7pe5k4ssga6ud6qtpsc0snqvfd.apps.googleusercontent.com\",\"aud\":"
        "\"1234987819200-okgqdl7pe5k4ssga6ud6qtpsc0snqvfd.apps.googleusercont"
        "ent.com\",\"sub\":\"110169484474386276334\",\"hd\":\"example.com\","
        "\"email\":\"jane.doe@example.com\",\"email_verified\":true,"
        "\"at_hash\":\"HK6E_P6Dh8Y93mRNtsDB1Q\",\"nonce\":\"0394852-3190485-2"
        "490358\",\"name\":\"Jane Doe\",\"picture\":\"https://lh3.googleuserc"
        "ontent.com/a/ACg8ocJ1fS0aPQkCu5s9rJ3pL0m6Qy8w3Jh2q5aYtQk4v=s96-c\","
        "\"given_name\":\"Jane\",\"family_name\":\"Doe\",\"iat\":1700000000,"
        "\"exp\":1700003600}";
    EVP_PKEY *key = jt_keygen(pool, keytype);
    const char *hdr = apr_psprintf(pool, "{\"alg\":\"%s\",\"kid\":\"c88d809f"
                                   "4db943df53da7accfd47764d05ba391f\","
                                   "\"typ\":\"JWT\"}", alg);
    const char *doc = apr_pstrcat(pool, "{\"keys\":[",
                                  jt_jwk(pool, key, "c88d809f4db943df53da7acc"
                                         "fd47764d05ba391f", NULL), ",",
                                  jt_jwk(pool, jt_keygen(pool, keytype),
                                         "73e25f9789119c7875d58087a78ac23f5ef2"
                                         "eda3", NULL), "]}", NULL);
    const char *err, *dot;
    double *jwt = calloc((size_t)rounds, sizeof(double));
    double *jws = calloc((size_t)rounds, sizeof(double));
    double *evp = calloc((size_t)rounds, sizeof(double));
    bench_t b;
    int r;

    memset(&b, 0, sizeof(b));
    apr_pool_create(&b.scratch, pool);
    b.token = jt_sign(pool, key, alg, hdr, claims);
    b.len = strlen(b.token);
    b.jwks = rxa_jwks_parse(pool, doc, strlen(doc), &err);
    if (!b.token || !b.jwks) {
        fprintf(stderr, "setup failed\n");
        exit(1);
    }

    /* What `openssl speed` times: a ready context, a ready digest. */
    dot = strrchr(b.token, '.');
    EVP_Digest(b.token, (size_t)(dot - b.token), b.md, NULL, EVP_sha256(),
               NULL);
    {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx;
        b.siglen = sizeof(b.sig);
        EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key);
        EVP_DigestSign(ctx, b.sig, &b.siglen, (const unsigned char *)b.token,
                       (size_t)(dot - b.token));
        EVP_MD_CTX_free(ctx);
    }
    b.evp = EVP_PKEY_CTX_new(key, NULL);
    if (EVP_PKEY_verify_init(b.evp) != 1
        || EVP_PKEY_CTX_set_signature_md(b.evp, EVP_sha256()) != 1) {
        fprintf(stderr, "EVP setup failed\n");
        exit(1);
    }

    /* Warm up, then alternate. */
    time_it(run_jwt, &b, seconds / 4);
    time_it(run_evp, &b, seconds / 4);
    for (r = 0; r < rounds; r++) {
        evp[r] = time_it(run_evp, &b, seconds);
        jwt[r] = time_it(run_jwt, &b, seconds);
        jws[r] = time_it(run_jws, &b, seconds);
    }
    qsort(jwt, (size_t)rounds, sizeof(double), cmp_double);
    qsort(jws, (size_t)rounds, sizeof(double), cmp_double);
    qsort(evp, (size_t)rounds, sizeof(double), cmp_double);
    printf("%s jwt_us=%.2f jws_us=%.2f evp_us=%.2f token_bytes=%zu\n", alg,
           jwt[rounds / 2], jws[rounds / 2], evp[rounds / 2], b.len);
    fflush(stdout);
    EVP_PKEY_CTX_free(b.evp);
    free(jwt);
    free(jws);
    free(evp);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    apr_pool_t *pool;

    if (seconds <= 0 || rounds < 1) {
        fprintf(stderr, "usage: %s [seconds-per-round [rounds]]\n", argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&pool, NULL);
    bench(pool, "RS256", "RSA2048", seconds, rounds);
    bench(pool, "ES256", "P-256", seconds, rounds);
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
