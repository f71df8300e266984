/* Fuzz target: a token as the IdP (or an attacker) sends it, verified
 * against a fixed key set (the RFC 7515 A.2, A.3, A.4 and RFC 8037 keys,
 * so the published tokens in the corpus verify and mutations start from
 * valid ones), then its claims checked. An input starting with '{' is
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

static void check_claims(apr_pool_t *p, const json_t *claims,
                         rxa_jws_alg_t alg, const apr_array_header_t *tenants)
{
    rxa_claims_expect_t x;
    const char *why = NULL;
    rxa_claims_err_t err;

    memset(&x, 0, sizeof(x));
    x.issuer = "joe";
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
    static rxa_jwks_t *jwks;
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
                         tenants);
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
                check_claims(p, jws->payload, jws->alg, tenants);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
