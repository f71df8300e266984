/* The token endpoint's answer (RFC 6749 5.1 and 5.2, OpenID Connect Core
 * 3.1.3.3), to the code exchange and to a refresh.
 *
 * The body is checked, not trusted: what comes back is what the module may
 * store in a cookie and send on in an Authorization header. Refused, with a
 * tagged reason that never quotes a token:
 * - a body over RXA_TOKEN_RESPONSE_MAX_BYTES, not JSON, or not an object;
 * - an "error" member (RFC 6749 5.2), whatever else is there:
 *   RXA_TOKEN_RESPONSE_ERROR, with the code in ->error for the log;
 * - access_token missing, not a string, empty, or holding anything but
 *   visible ASCII (it goes into an Authorization header);
 * - token_type present and not "Bearer" (in any case);
 * - expires_in not a positive integer of at most RXA_TOKEN_EXPIRES_IN_MAX
 *   seconds (a string of decimal digits counts as its number: Entra's v1
 *   endpoint and some older IdPs send one);
 * - id_token, refresh_token or scope present and not a string, or with
 *   characters no such value has (controls, non-ASCII; space only in scope).
 * A JSON null counts as absent for every optional member, and so does an
 * empty id_token, refresh_token or scope. Unknown members are ignored.
 */
#ifndef RXA_TOKEN_RESPONSE_H
#define RXA_TOKEN_RESPONSE_H

#include <apr_pools.h>

#define RXA_TOKEN_RESPONSE_MAX_BYTES (256 * 1024)
/* RFC 6749 5.1: without expires_in the lifetime is the IdP's default; an
 * hour is what IdPs use. */
#define RXA_TOKEN_EXPIRES_IN_DEFAULT 3600
/* The auth cookies' lifetime (7 days): a longer one is not believed. */
#define RXA_TOKEN_EXPIRES_IN_MAX 604800
/* Characters of the IdP's error code (and description) kept for the log. */
#define RXA_TOKEN_ERROR_MAX 64
#define RXA_TOKEN_ERROR_DESCRIPTION_MAX 200

/* Returned when the IdP answered with an OAuth error: *OUT is set, and its
 * ->error (and maybe ->error_description) say which. */
#define RXA_TOKEN_RESPONSE_ERROR APR_EACCES

typedef struct rxa_token_response {
    const char *access_token;       /* never NULL or empty on success */
    const char *token_type;         /* as sent ("Bearer", "bearer"), or NULL */
    apr_int64_t expires_in;         /* seconds, 1 .. RXA_TOKEN_EXPIRES_IN_MAX */
    int expires_in_sent;            /* 0: the default was applied */
    const char *id_token;           /* NULL when absent */
    const char *refresh_token;      /* NULL when absent */
    const char *scope;              /* NULL when absent */
    /* Only with RXA_TOKEN_RESPONSE_ERROR: the error code, printable ASCII
     * without quotes or backslashes (others become '?'), at most
     * RXA_TOKEN_ERROR_MAX characters then "..."; "(not a string)" when it
     * was not one. error_description likewise, or NULL. Safe to log. */
    const char *error;
    const char *error_description;
} rxa_token_response_t;

/* Parse LEN bytes of BODY (no NUL needed) into *OUT, allocated from POOL
 * (the strings too). APR_SUCCESS; RXA_TOKEN_RESPONSE_ERROR (with *OUT, see
 * above); APR_EINVAL for every other refusal, *OUT NULL. *PERR gets a tagged
 * reason on every failure. The HTTP status is the caller's to judge: an
 * error answer comes with 400, and is parsed the same. */
apr_status_t rxa_token_response_parse(apr_pool_t *pool, const char *body,
                                      apr_size_t len,
                                      rxa_token_response_t **out,
                                      const char **perr);

#endif
