/* Fuzz target: a token as the IdP (or an attacker) sends it, verified
 * against a fixed key set (the RFC 7515 A.2, A.3, A.4 and RFC 8037 keys,
 * so the published tokens in the corpus verify and mutations start from
 * valid ones), then its claims checked. Every token also goes the whole
 * way a sign-in takes it: rxa_jws_verify against a second set whose keys
 * have kids (two sharing one, an RSA key limited to RS256), so header
 * checks, the key lookup by kid, a real signature and every claim check
 * run on it; the corpus's kid-* tokens (t/fuzz/make_jws_seeds.py) verify
 * there and pass or fail one claim each. An input starting with '{' is
 * taken as a claim set and checked directly, so the claim checks see
 * arbitrary JSON too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "rxa_claims.h"
#include "rxa_json.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

/* The key set lives for the whole run; free it at exit so LeakSanitizer
 * (which cannot see into APR's mmap'ed pool memory) stays quiet. */
static void free_root(void)
{
    apr_pool_destroy(root);
}

static const char keys[] =
    "{\"keys\":["
    "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0"
    "l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_"
    "YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUs"
    "LA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5"
    "IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRW"
    "yuXpoQ\",\"e\":\"AQAB\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-521\","
    "\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLF"
    "V1jSfS9tsz4qUxcWceqwQGk\","
    "\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kk"
    "d0AZMaZmh9ubmf63e3kyMj2\"},"
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
    "]}";

/* Public halves of the test keys in t/fuzz/make_jws_seeds.py
 * (--c-keys prints this): rsa-1 (RS256 only), rsa-2, ec-1 (ES256),
 * ed-1 (Ed25519) and two P-384 keys both named "dup". */
static const char kid_keys[] =
    "{\"keys\":[{\"e\":\"AQAB\",\"kid\":\"rsa-1\",\"kty\":\"RSA\",\"n\":\"4kjG5H2hD7l_p8QI"
    "rQ3YY1eoz4hCAwuWHThBVRWb0eiwU4yl-t3C1hXtKaAKYcvfWiLn6bqhN3Hgm2NzIhCc"
    "Dy2MxskigbKrwlUEtcAJp64WUsDc9VVfMFwW7Pt1IRzSr7_g0piyvz5C1I_I8eDf49rR"
    "moC66ADKDFFNqqDT9P0peQGCmyJyvEMvH8kxKYzCikVN-jQwmpKf1XYVanRJ3vqsq4En"
    "ZMS75D1rJV5INEQlozr42X0d1D8wcFkEz9lCW8xUC4t_ZUhZL-ktG0URsc9_Co5vStk9"
    "uYAenl4j4g-pmH9uSkGfke1ojpIfNLydZmMLZkOPlXG7MO9NqPDdRw\",\"alg\":\"RS256"
    "\",\"use\":\"sig\"},{\"e\":\"AQAB\",\"kid\":\"rsa-2\",\"kty\":\"RSA\",\"n\":\"8CKcj577aX"
    "AbKJe1q8rwR3kwowTdw78IbkJrlG6BAxBVDHGU7RmLea1vhT1SeNP6QWe307Qk9u3xaW"
    "DjWJ7Q3g2FS-AHZz_lKLaoYixaDUsGSX4tR5vydcUTmTFiuajUcAAwDjlwaNjX_tk26t"
    "ojbX7yqXmpBQOf4e22w85qwRijS20qO6WeXTEpG5jJ_izelWYVr3QAqYaCUHzPZfwdjn"
    "NpUED4lBvN7LSJ8KkgI59e6lH8Cbf9Ur8XBIeBxfotzn9BOf-r_kTvwFmkBUqOQZUNFw"
    "fsYUhD6-Wob1nzAKhRmggCGf7QKWBXHU_3eGKoTibNbpag0Th5oU1Ts_oSVw\"},{\"crv"
    "\":\"P-256\",\"kid\":\"ec-1\",\"kty\":\"EC\",\"x\":\"-NW1xOBDQ_2PRd3cZ27MoJb7LA-sN"
    "NzDoOuT_kHxhFk\",\"y\":\"Vr4rTcd_qn0XrykozHOTHZ0Icm_AfDVZL4XEeXp0CY4\",\"a"
    "lg\":\"ES256\"},{\"crv\":\"Ed25519\",\"kid\":\"ed-1\",\"kty\":\"OKP\",\"x\":\"HonKp6SW"
    "vpVI1s1UwzSkjmxJz9BXVH6L70D7-onSTdQ\"},{\"crv\":\"P-384\",\"kid\":\"dup\",\"kt"
    "y\":\"EC\",\"x\":\"xxtZVxlP70ynuHTERZNMLjnyfa_NVOWulAmOFhhH4fzYh-HsoA8dLA-"
    "N1viW3ZFH\",\"y\":\"A3ZEdVZfJ3TxNnnpe9gvxmkGx8-yoTtXG9cC1N7_yPYjveppDykl"
    "tdDPX6wo96Mq\"},{\"crv\":\"P-384\",\"kid\":\"dup\",\"kty\":\"EC\",\"x\":\"-mGtTsht7V"
    "Th6QBGLSWGCFdhNNw-6y8nTyezoSH6PsJmLcxWFtcdvMLVizZkwZKl\",\"y\":\"hVx-one"
    "BvHyuNHdoXmnnld57JdLpzD2gyHBMqwwlrW6077Qrrcpkys62NFzyk_Qb\"}]}";

static void check_claims(apr_pool_t *p, const json_t *claims,
                         rxa_jws_alg_t alg, const apr_array_header_t *tenants,
                         const char *issuer)
{
    rxa_claims_expect_t x;
    const char *why = NULL;
    rxa_claims_err_t err;

    memset(&x, 0, sizeof(x));
    x.issuer = issuer;
    x.client_id = "client-1";
    x.now = 1300819300;
    x.skew = 60;
    x.nonce = "n-0S6_WzA2Mj";
    x.access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    x.access_token_len = strlen(x.access_token);
    x.alg = alg;
    err = rxa_claims_check(p, claims, &x, &why);
    if (err != RXA_CLAIMS_OK && (!why || strncmp(why, "RXA03", 5)))
        abort();
    x.issuer = "https://login.microsoftonline.com/{tenantid}/v2.0";
    x.tenants = tenants;
    x.nonce = NULL;
    rxa_claims_check(p, claims, &x, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rxa_jwks_t *jwks, *kid_jwks;
    static apr_array_header_t *tenants;
    apr_pool_t *p;
    const char *err = NULL;
    rxa_jws_t *jws;
    apr_status_t rv;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        atexit(free_root);
        jwks = rxa_jwks_parse(root, keys, strlen(keys), &err);
        if (!jwks || jwks->keys->nelts != 4)
            abort();
        kid_jwks = rxa_jwks_parse(root, kid_keys, strlen(kid_keys), &err);
        if (!kid_jwks || kid_jwks->keys->nelts != 6)
            abort();
        tenants = apr_array_make(root, 1, sizeof(const char *));
        APR_ARRAY_PUSH(tenants, const char *) =
            "9188040d-6c67-4c5b-b112-36a304b66dad";
    }
    apr_pool_create(&p, root);
    if (size > 0 && data[0] == '{') {
        json_t *claims = rxa_json_parse(p, (const char *)data, size,
                                        RXA_JWS_MAX_LEN, &err);
        if (claims)
            check_claims(p, claims, (rxa_jws_alg_t)(size % RXA_JWS_ALG_COUNT),
                         tenants, "joe");
    }
    else {
        rv = rxa_jws_verify_raw(p, (const char *)data, size, jwks,
                                RXA_JWS_ALGSET_ALL, &jws, &err);
        if (rv != APR_SUCCESS && (!err || strncmp(err, "RXA03", 5)))
            abort();
        /* The JWT entry point differs only past the signature: run it on
         * what verified (rarely anything but the corpus's own tokens). */
        if (rv == APR_SUCCESS) {
            if (!jws->key || !jws->header || jws->payload)
                abort();
            rv = rxa_jws_verify(p, (const char *)data, size, jwks,
                                RXA_JWS_ALGSET_ALL, &jws, &err);
            if (rv == APR_SUCCESS)
                check_claims(p, jws->payload, jws->alg, tenants, "joe");
        }
        rv = rxa_jws_verify(p, (const char *)data, size, kid_jwks,
                            RXA_JWS_ALGSET_ALL, &jws, &err);
        if (rv == APR_SUCCESS) {
            /* the key the kid names, and one that may verify this alg */
            if (!jws->key || !jws->payload || !json_is_object(jws->payload)
                || !(jws->key->algs & RXA_JWS_ALGSET(jws->alg))
                || (jws->kid && (!jws->key->kid
                                 || strcmp(jws->kid, jws->key->kid))))
                abort();
            check_claims(p, jws->payload, jws->alg, tenants,
                         "https://idp.example.com");
        }
        else if ((rv != APR_EINVAL && rv != APR_NOTFOUND) || !err
                 || strncmp(err, "RXA03", 5)) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
