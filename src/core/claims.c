/* ID token claim checks: see rxa_claims.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <math.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "rxa_b64url.h"
#include "rxa_claims.h"
#include "rxa_json.h"
#include "rxa_query.h"

static rxa_claims_err_t claims_fail(const char **preason, rxa_claims_err_t err,
                                    const char *why)
{
    if (preason)
        *preason = why;
    return err;
}

const char *rxa_claims_err_name(rxa_claims_err_t err)
{
    static const char *const names[] = {
        "ok", "iss", "tenant", "aud", "azp", "exp", "iat", "nbf", "nonce",
        "at_hash", "sub", "malformed"
    };

    return (unsigned)err < sizeof(names) / sizeof(names[0]) ? names[err]
                                                            : "unknown";
}

apr_status_t rxa_claims_get_time(const json_t *claims, const char *name,
                                 apr_int64_t *out)
{
    const json_t *v = json_object_get(claims, name);

    if (!v)
        return APR_NOTFOUND;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > RXA_CLAIMS_MAX_TIME)
            return APR_EINVAL;
        *out = (apr_int64_t)i;
        return APR_SUCCESS;
    }
    if (json_is_real(v)) {
        /* RFC 7519 allows fractions; jansson never yields NaN or infinity
         * from text, but the value may come from elsewhere. */
        double d = json_real_value(v);
        if (!isfinite(d) || d < 0 || d > (double)RXA_CLAIMS_MAX_TIME)
            return APR_EINVAL;
        *out = (apr_int64_t)d;
        return APR_SUCCESS;
    }
    return APR_EINVAL;
}

apr_status_t rxa_claims_get_id(const json_t *claims, const char *name,
                               apr_size_t max, const char **out)
{
    const json_t *v = json_object_get(claims, name);
    const char *s;
    apr_size_t i, n;

    *out = NULL;
    if (!v)
        return APR_NOTFOUND;
    if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > max)
        return APR_EINVAL;
    s = json_string_value(v);
    for (i = 0; i < n; i++)
        if (rxa_query_is_ctl((unsigned char)s[i]))
            return APR_EINVAL;
    *out = s;
    return APR_SUCCESS;
}

const char *rxa_claims_at_hash(apr_pool_t *pool, rxa_jws_alg_t alg,
                               const char *access_token, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    const char *name;

    switch (alg) {
    case RXA_JWS_RS256: case RXA_JWS_PS256: case RXA_JWS_ES256:
        name = "SHA256";
        break;
    case RXA_JWS_RS384: case RXA_JWS_PS384: case RXA_JWS_ES384:
        name = "SHA384";
        break;
    case RXA_JWS_RS512: case RXA_JWS_PS512: case RXA_JWS_ES512:
    case RXA_JWS_EDDSA:     /* OpenID Connect Core errata: Ed25519 -> SHA-512 */
        name = "SHA512";
        break;
    default:
        return NULL;
    }
    if (!EVP_Q_digest(NULL, name, NULL, access_token, len, md, &mdlen))
        return NULL;
    return rxa_b64url_encode(pool, md, mdlen / 2);
}

/* A JSON string equal to WANT, byte for byte: a value built with an
 * embedded NUL cannot pass for its prefix. */
static int str_equals(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want)
           && !memcmp(json_string_value(v), want, json_string_length(v));
}

/* Constant-time for equal lengths; lengths are not secret. */
static int same_secret(const char *a, apr_size_t alen, const char *b,
                       apr_size_t blen)
{
    return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

/* An Entra tenant id is a GUID; anything else could bend the template. */
static int tid_ok(const char *tid)
{
    apr_size_t n = 0;

    for (; tid[n]; n++) {
        char c = tid[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z') || c == '-'))
            return 0;
    }
    return n > 0 && n <= 64;
}

rxa_claims_err_t rxa_claims_check_iss(apr_pool_t *pool, const json_t *claims,
                                      const char *issuer,
                                      const apr_array_header_t *tenants,
                                      const char **preason)
{
    const json_t *tidv = json_object_get(claims, "tid");
    const char *want = issuer;

    if (!want)
        return claims_fail(preason, RXA_CLAIMS_ISS,
                           "RXA03300: no issuer to check iss against");
    if (strstr(want, RXA_CLAIMS_TENANT_PLACEHOLDER)) {
        const char *tid = json_is_string(tidv) ? json_string_value(tidv)
                                               : NULL;
        const char *p;
        const char *filled = "";
        int i, let_in;

        if (!tid || !tid_ok(tid) || strlen(tid) != json_string_length(tidv))
            return claims_fail(preason, RXA_CLAIMS_TENANT,
                               "RXA03301: token has no well-formed tid for "
                               "the issuer template");
        let_in = !tenants || tenants->nelts == 0;
        for (i = 0; !let_in && i < tenants->nelts; i++)
            let_in = !strcasecmp(APR_ARRAY_IDX(tenants, i, const char *),
                                 tid);
        if (!let_in)
            return claims_fail(preason, RXA_CLAIMS_TENANT,
                               "RXA03302: token's tenant is not among the "
                               "provider's tenants");
        while ((p = strstr(want, RXA_CLAIMS_TENANT_PLACEHOLDER))) {
            filled = apr_pstrcat(pool, filled,
                                 apr_pstrmemdup(pool, want,
                                                (apr_size_t)(p - want)),
                                 tid, NULL);
            want = p + sizeof(RXA_CLAIMS_TENANT_PLACEHOLDER) - 1;
        }
        want = apr_pstrcat(pool, filled, want, NULL);
    }
    if (!str_equals(json_object_get(claims, "iss"), want))
        return claims_fail(preason, RXA_CLAIMS_ISS,
                           "RXA03303: iss does not equal the issuer");
    return RXA_CLAIMS_OK;
}

static rxa_claims_err_t check_aud(const json_t *claims,
                                  const rxa_claims_expect_t *x,
                                  const char **preason)
{
    const json_t *aud = json_object_get(claims, "aud");
    const json_t *azp = json_object_get(claims, "azp");
    int found = 0, several = 0;
    size_t i;

    if (!x->client_id)
        return claims_fail(preason, RXA_CLAIMS_AUD,
                           "RXA03310: no client_id to check aud against");
    if (json_is_string(aud)) {
        found = str_equals(aud, x->client_id);
    }
    else if (json_is_array(aud) && json_array_size(aud) > 0) {
        for (i = 0; i < json_array_size(aud); i++) {
            const json_t *v = json_array_get(aud, i);
            if (!json_is_string(v))
                return claims_fail(preason, RXA_CLAIMS_AUD,
                                   "RXA03311: aud holds a non-string");
            if (str_equals(v, x->client_id))
                found = 1;
        }
        several = json_array_size(aud) > 1;
    }
    else {
        return claims_fail(preason, RXA_CLAIMS_AUD,
                           "RXA03312: aud is missing, empty or not a string "
                           "or array");
    }
    if (!found)
        return claims_fail(preason, RXA_CLAIMS_AUD,
                           "RXA03313: aud does not contain the client_id");
    if (several && !azp)
        return claims_fail(preason, RXA_CLAIMS_AZP,
                           "RXA03314: several audiences and no azp");
    if (azp && !str_equals(azp, x->client_id))
        return claims_fail(preason, RXA_CLAIMS_AZP,
                           "RXA03315: azp is not the client_id");
    return RXA_CLAIMS_OK;
}

static rxa_claims_err_t check_times(const json_t *claims,
                                    const rxa_claims_expect_t *x,
                                    const char **preason)
{
    apr_int64_t skew = x->skew, t;
    apr_status_t rv;

    /* Keep the sums below far from overflow whatever the caller passes. */
    if (skew < 0)
        skew = 0;
    if (skew > RXA_CLAIMS_MAX_TIME)
        skew = RXA_CLAIMS_MAX_TIME;

    if ((rv = rxa_claims_get_time(claims, "exp", &t)) != APR_SUCCESS)
        return claims_fail(preason, RXA_CLAIMS_EXP,
                           rv == APR_NOTFOUND
                           ? "RXA03320: exp is missing"
                           : "RXA03321: exp is not a sane NumericDate");
    if (x->now >= t + skew)
        return claims_fail(preason, RXA_CLAIMS_EXP,
                           "RXA03322: token has expired");

    if ((rv = rxa_claims_get_time(claims, "iat", &t)) != APR_SUCCESS)
        return claims_fail(preason, RXA_CLAIMS_IAT,
                           rv == APR_NOTFOUND
                           ? "RXA03323: iat is missing"
                           : "RXA03324: iat is not a sane NumericDate");
    if (t > x->now + skew)
        return claims_fail(preason, RXA_CLAIMS_IAT,
                           "RXA03325: token was issued in the future");

    rv = rxa_claims_get_time(claims, "nbf", &t);
    if (rv == APR_EINVAL)
        return claims_fail(preason, RXA_CLAIMS_NBF,
                           "RXA03326: nbf is not a sane NumericDate");
    if (rv == APR_SUCCESS && t > x->now + skew)
        return claims_fail(preason, RXA_CLAIMS_NBF,
                           "RXA03327: token is not valid yet (nbf)");
    return RXA_CLAIMS_OK;
}

static rxa_claims_err_t check_nonce_at_hash(apr_pool_t *pool,
                                            const json_t *claims,
                                            const rxa_claims_expect_t *x,
                                            const char **preason)
{
    const json_t *v;

    if (x->nonce) {
        v = json_object_get(claims, "nonce");
        if (!json_is_string(v))
            return claims_fail(preason, RXA_CLAIMS_NONCE,
                               "RXA03330: nonce is missing");
        if (!same_secret(json_string_value(v), json_string_length(v),
                         x->nonce, strlen(x->nonce)))
            return claims_fail(preason, RXA_CLAIMS_NONCE,
                               "RXA03331: nonce does not match the login's");
    }
    v = json_object_get(claims, "at_hash");
    if (v && x->access_token) {
        const char *want = rxa_claims_at_hash(pool, x->alg, x->access_token,
                                              x->access_token_len);
        if (!want)
            return claims_fail(preason, RXA_CLAIMS_AT_HASH,
                               "RXA03332: no at_hash hash for the token's "
                               "alg");
        if (!json_is_string(v)
            || !same_secret(json_string_value(v), json_string_length(v),
                            want, strlen(want)))
            return claims_fail(preason, RXA_CLAIMS_AT_HASH,
                               "RXA03333: at_hash does not match the access "
                               "token");
    }
    return RXA_CLAIMS_OK;
}

/* sub becomes REMOTE_USER and headers: OpenID Connect caps it at 255 ASCII
 * characters, and control characters have no business there. */
static rxa_claims_err_t check_sub(const json_t *claims, const char **preason)
{
    const json_t *v = json_object_get(claims, "sub");
    const unsigned char *s;
    apr_size_t i, n;

    if (!json_is_string(v) || (n = json_string_length(v)) == 0)
        return claims_fail(preason, RXA_CLAIMS_SUB,
                           "RXA03340: sub is missing or empty");
    if (n > 255)
        return claims_fail(preason, RXA_CLAIMS_SUB,
                           "RXA03341: sub is longer than 255 bytes");
    s = (const unsigned char *)json_string_value(v);
    for (i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return claims_fail(preason, RXA_CLAIMS_SUB,
                               "RXA03342: sub holds control characters");
    }
    return RXA_CLAIMS_OK;
}

rxa_claims_err_t rxa_claims_check(apr_pool_t *pool, const json_t *claims,
                                  const rxa_claims_expect_t *expect,
                                  const char **preason)
{
    rxa_claims_err_t err;

    if (!json_is_object(claims) || !expect)
        return claims_fail(preason, RXA_CLAIMS_MALFORMED,
                           "RXA03350: claims are not a JSON object");
    if ((err = rxa_claims_check_iss(pool, claims, expect->issuer,
                                          expect->tenants, preason))
        || (err = check_aud(claims, expect, preason))
        || (err = check_times(claims, expect, preason))
        || (err = check_nonce_at_hash(pool, claims, expect, preason))
        || (err = check_sub(claims, preason)))
        return err;
    return RXA_CLAIMS_OK;
}
