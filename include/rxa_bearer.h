/* Bearer tokens for APIs (RFC 6750, RFC 9068, RFC 7662): the httpd-free
 * pieces.
 *
 * - The Authorization header of a request: no bearer token, a malformed
 *   one, two headers, or the token.
 * - A JWT access token told from an opaque one.
 * - The claims of a JWT access token whose signature rxa_jws_verify
 *   accepted, and the answer of an introspection endpoint for an opaque
 *   one: both give the same rxa_bearer_claims_t.
 * - The form body of an introspection request.
 *
 * Nothing here logs. Every refusal is an rxa_bearer_err_t (a short stable
 * name for the audit log) and a tagged reason that never holds the token or
 * a claim's value.
 */
#ifndef RXA_BEARER_H
#define RXA_BEARER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/* Longest token taken from an Authorization header, in bytes. */
#define RXA_BEARER_MAX_LEN (16 * 1024)
/* Longest introspection answer parsed. */
#define RXA_BEARER_INTROSPECTION_MAX_BYTES (64 * 1024)
/* Longest an introspection answer is kept, in seconds. */
#define RXA_BEARER_INTROSPECTION_TTL_MAX 300
/* Longest sub and client_id taken, in bytes (they become REMOTE_USER and
 * headers). */
#define RXA_BEARER_ID_MAX 255
/* Most scopes taken from one token, and the longest one. */
#define RXA_BEARER_SCOPES_MAX 64
#define RXA_BEARER_SCOPE_MAX 255

/* --- the Authorization header ------------------------------------------- */

typedef enum {
    RXA_BEARER_HEADER_NONE = 0,   /* no header, or another scheme (Basic) */
    RXA_BEARER_HEADER_TOKEN,      /* a well-formed bearer token */
    RXA_BEARER_HEADER_MALFORMED,  /* scheme Bearer, but no b64token after it,
                                   * an over-long one, or more after it */
    RXA_BEARER_HEADER_TWO         /* more than one Authorization header */
} rxa_bearer_header_t;

/* Read the Authorization header of a request from VALUES (const char *,
 * each the value of one header line; NULL or empty: no header).
 * Two or more values: RXA_BEARER_HEADER_TWO, whatever their schemes. One
 * value: the scheme "Bearer" (any case), one or more spaces, a b64token
 * (RFC 6750 2.1: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
 * *"=") of at most RXA_BEARER_MAX_LEN bytes, then nothing but spaces:
 * RXA_BEARER_HEADER_TOKEN and *TOKEN (from POOL). A value that httpd joined
 * from repeated header lines (", " then another "Bearer ..." element) is
 * RXA_BEARER_HEADER_TWO. Another scheme, or no value:
 * RXA_BEARER_HEADER_NONE. Anything else with the scheme Bearer (also
 * "Bearer" alone): RXA_BEARER_HEADER_MALFORMED. *TOKEN is NULL unless a
 * token is found; *REASON (when given) gets a tagged reason for MALFORMED
 * and TWO. */
rxa_bearer_header_t rxa_bearer_from_headers(apr_pool_t *pool,
                                            const apr_array_header_t *values,
                                            const char **token,
                                            const char **reason);

/* Whether TOKEN looks like a JWT: three non-empty base64url parts
 * (RFC 7515 compact form) whose first decodes to a JSON object with a
 * string "alg". Anything else (a JWE's five parts too) is opaque and goes
 * to introspection. Not a verification. */
int rxa_bearer_is_jwt(apr_pool_t *pool, const char *token);

/* --- claims ------------------------------------------------------------- */

typedef enum {
    RXA_BEARER_OK = 0,
    RXA_BEARER_MALFORMED,     /* not a JSON object (or not JSON) */
    RXA_BEARER_INACTIVE,      /* introspection: active is not true */
    RXA_BEARER_TYP,           /* JWT header typ is not an access token's */
    RXA_BEARER_ISS,           /* iss differs from the issuer */
    RXA_BEARER_AUD,           /* aud holds none of the audiences */
    RXA_BEARER_EXP,           /* expired, missing or absurd */
    RXA_BEARER_NBF,           /* not yet valid or absurd */
    RXA_BEARER_IAT,           /* issued in the future or absurd */
    RXA_BEARER_SUB,           /* sub not a short printable string */
    RXA_BEARER_CLIENT_ID,     /* client_id or azp not a short printable
                               * string, or the two differ */
    RXA_BEARER_SCOPE,         /* scope or scp malformed */
    RXA_BEARER_KIND           /* not a plain bearer access token: bound to
                               * a key (cnf), an ID token (nonce), or an
                               * introspected token_type other than
                               * Bearer */
} rxa_bearer_err_t;

typedef struct rxa_bearer_expect {
    const char *issuer;       /* iss must equal it, or a template as in
                               * rxa_claims_check_iss */
    const apr_array_header_t *tenants; /* for a template: the tids let in
                                        * (const char *); NULL: any */
    const apr_array_header_t *audiences; /* const char *: aud must hold one */
    apr_int64_t now;          /* seconds since the epoch */
    apr_int64_t skew;         /* allowed clock difference, seconds, >= 0 */
} rxa_bearer_expect_t;

/* What a checked token says; every string from POOL. */
typedef struct rxa_bearer_claims {
    const char *sub;          /* NULL when absent (client_credentials) */
    const char *client_id;    /* client_id, else azp; NULL when neither */
    apr_array_header_t *scopes; /* const char *, each once; never NULL */
    apr_int64_t exp;          /* 0 only for an introspection answer
                               * without exp */
    apr_int64_t keep_until;   /* introspection: the answer may be kept until
                               * then (exp, at most now +
                               * RXA_BEARER_INTROSPECTION_TTL_MAX); for a
                               * JWT, exp */
} rxa_bearer_claims_t;

/* Check a JWT access token after its signature was verified: HEADER (the
 * JOSE header object) and CLAIMS (the payload object). typ, when present,
 * is "at+jwt", "application/at+jwt" (RFC 9068, any case) or "JWT"; iss
 * equals the issuer (rxa_claims_check_iss: a template takes the token's
 * tid, among the tenants; those reasons are tagged RXA033xx); aud (a
 * string, or an array of strings) holds one of the audiences; exp required
 * and not before now - skew; nbf and iat, when present, not after now +
 * skew; sub, client_id and azp, when present, strings of 1 to
 * RXA_BEARER_ID_MAX bytes without control characters, client_id and azp
 * equal when both are there; scopes from "scope" (a space-separated
 * string) or else "scp" (an array of strings, or a string, as Entra and
 * Okta send); no cnf (a token bound to a key, DPoP or mTLS, is not taken
 * as a plain bearer token) and no nonce (an ID token is not an access
 * token). A JSON null counts as absent for every optional member.
 * RXA_BEARER_OK and *OUT, or the first failed check with a tagged *REASON
 * (when given). */
rxa_bearer_err_t rxa_bearer_jwt_check(apr_pool_t *pool, const json_t *header,
                                      const json_t *claims,
                                      const rxa_bearer_expect_t *expect,
                                      rxa_bearer_claims_t **out,
                                      const char **reason);

/* Parse an introspection answer (RFC 7662 2.2): LEN bytes of BODY (no NUL
 * needed), at most RXA_BEARER_INTROSPECTION_MAX_BYTES, a JSON object whose
 * "active" is true (anything else, a string "true" too, is
 * RXA_BEARER_INACTIVE). Then as rxa_bearer_jwt_check without the header,
 * except that iss is checked only when present, exp is optional, a nonce
 * is not refused, and token_type, when present, must be "Bearer" (any
 * case);
 * ->keep_until is exp, capped at now + RXA_BEARER_INTROSPECTION_TTL_MAX (and
 * that cap without exp). The HTTP status is the caller's to judge. */
rxa_bearer_err_t rxa_bearer_introspection_parse(
    apr_pool_t *pool, const char *body, apr_size_t len,
    const rxa_bearer_expect_t *expect, rxa_bearer_claims_t **out,
    const char **reason);

/* A short stable name for ERR ("aud", "inactive", ...) for audit records;
 * "ok" for RXA_BEARER_OK. */
const char *rxa_bearer_err_name(rxa_bearer_err_t err);

/* The application/x-www-form-urlencoded body of an introspection request
 * for TOKEN: "token=...&token_type_hint=access_token". The client's
 * credentials go with it as at the token endpoint. */
const char *rxa_bearer_introspection_form(apr_pool_t *pool,
                                          const char *token);

#endif
