/* ID token claim checks (OpenID Connect Core 1.0, section 3.1.3.7).
 *
 * Run on the payload of a token rxa_jws_verify accepted. The first failed
 * check is reported as a code (for the audit log) and a tagged reason (for
 * the error log) that never holds a claim's value.
 */
#ifndef RXA_CLAIMS_H
#define RXA_CLAIMS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "rxa_jwk.h"

typedef enum {
    RXA_CLAIMS_OK = 0,
    RXA_CLAIMS_ISS,         /* iss differs from the issuer */
    RXA_CLAIMS_TENANT,      /* tid missing, malformed or not let in */
    RXA_CLAIMS_AUD,         /* aud missing, malformed or without client_id */
    RXA_CLAIMS_AZP,         /* azp differs, or missing with several aud */
    RXA_CLAIMS_EXP,         /* expired, missing or absurd */
    RXA_CLAIMS_IAT,         /* issued in the future, missing or absurd */
    RXA_CLAIMS_NBF,         /* not yet valid or absurd */
    RXA_CLAIMS_NONCE,       /* nonce differs or missing */
    RXA_CLAIMS_AT_HASH,     /* at_hash does not match the access token */
    RXA_CLAIMS_SUB,         /* sub missing, empty, too long or with controls */
    RXA_CLAIMS_MALFORMED    /* the claims are not an object */
} rxa_claims_err_t;

/* Issuers holding this are templates (Microsoft Entra multi-tenant): the
 * token's iss must equal it with the token's own tid put in. */
#define RXA_CLAIMS_TENANT_PLACEHOLDER "{tenantid}"

/* The latest NumericDate we take: 9999-12-31T23:59:59Z. */
#define RXA_CLAIMS_MAX_TIME APR_INT64_C(253402300799)

typedef struct rxa_claims_expect {
    const char *issuer;       /* exact iss, or a template (see above) */
    const apr_array_header_t *tenants; /* const char *: tids let in under a
                                        * template (case-insensitive); NULL
                                        * or empty lets in any tenant */
    const char *client_id;    /* must be in aud */
    apr_int64_t now;          /* seconds since the epoch */
    apr_int64_t skew;         /* allowed clock difference, seconds, >= 0 */
    const char *nonce;        /* expected nonce; NULL: not checked (refresh) */
    const char *access_token; /* checked against at_hash when both are there */
    apr_size_t access_token_len;
    rxa_jws_alg_t alg;        /* the ID token's alg: picks at_hash's hash */
} rxa_claims_expect_t;

/* Check CLAIMS (a JSON object) against EXPECT: iss (or the template with
 * tid, and the tenant list), aud contains client_id, azp equals client_id
 * when present and is required with several audiences, exp/iat required
 * and nbf optional within the skew, nonce when expected, at_hash when
 * present and an access token is given (constant-time compare), sub a
 * non-empty string of at most 255 bytes without control characters.
 * On failure *PREASON (when given) holds a tagged reason. */
rxa_claims_err_t rxa_claims_check(apr_pool_t *pool, const json_t *claims,
                                  const rxa_claims_expect_t *expect,
                                  const char **preason);

/* The iss check of rxa_claims_check alone, for other tokens of the same
 * issuer (access tokens): iss equals ISSUER, or ISSUER is a template and
 * iss equals it with the token's own tid put in, that tid being a GUID-like
 * string among TENANTS (const char *, case-insensitive; NULL or empty lets
 * in any). RXA_CLAIMS_OK, RXA_CLAIMS_ISS or RXA_CLAIMS_TENANT with a tagged
 * *PREASON (when given). */
rxa_claims_err_t rxa_claims_check_iss(apr_pool_t *pool, const json_t *claims,
                                      const char *issuer,
                                      const apr_array_header_t *tenants,
                                      const char **preason);

/* A short stable name for ERR ("iss", "aud", "at_hash", ...) for audit
 * records; "ok" for RXA_CLAIMS_OK. */
const char *rxa_claims_err_name(rxa_claims_err_t err);

/* Read the NumericDate claim NAME: a JSON number, finite, 0 to
 * RXA_CLAIMS_MAX_TIME, fractions dropped. APR_SUCCESS, APR_NOTFOUND when
 * absent, APR_EINVAL when present but not such a number. */
apr_status_t rxa_claims_get_time(const json_t *claims, const char *name,
                                 apr_int64_t *out);

/* Read the string claim NAME that names someone or something (sub, sid,
 * jti, client_id): 1 to MAX bytes without control characters (0x00-0x1f,
 * 0x7f; an embedded NUL included). APR_SUCCESS with *OUT pointing into
 * CLAIMS; APR_NOTFOUND when absent and APR_EINVAL otherwise, *OUT NULL. */
apr_status_t rxa_claims_get_id(const json_t *claims, const char *name,
                               apr_size_t max, const char **out);

/* at_hash for ACCESS_TOKEN under ALG (OpenID Connect Core 3.1.3.6: the left
 * half of its hash, base64url; SHA-512 for EdDSA/Ed25519). NULL for an
 * unknown ALG. For tests and callers that issue tokens. */
const char *rxa_claims_at_hash(apr_pool_t *pool, rxa_jws_alg_t alg,
                               const char *access_token, apr_size_t len);

#endif
