/* Audit log lines (ReflexAuthAuditLog).
 *
 * One JSON object per event on one line, compact, ending in "\n", at most
 * RXA_AUDIT_MAX_LINE bytes so that a single write to a pipe or an O_APPEND
 * file is atomic even with many httpd processes writing at once. Keys, in
 * this order:
 *   time        RFC 3339 UTC with milliseconds, "2024-05-01T12:34:56.789Z"
 *   event       login_started | login_completed | logout | token_refresh |
 *               session_expired | access_denied | backchannel_logout |
 *               bearer_refused
 *   outcome     "success" | "failure"
 *   reason      one of the RXA_AUDIT_REASONS names below, or null
 *   provider, sub, client, request_id    strings, or null when unknown
 * followed by each extra field (RXA_AUDIT_FIELDS) that was set; unset ones
 * are left out.
 *
 * No token, code, secret or cookie value can reach the log through this
 * API: every key comes from a fixed list, and none of them is meant for
 * such a value (there is no free-form name/value pair). Callers keep to
 * the documented meaning of each field; "detail" takes only tagged core
 * messages, which by the project's rule never hold one either.
 *
 * Strings are written as valid JSON whatever bytes they hold: invalid
 * UTF-8 becomes U+FFFD, control characters and non-ASCII are \u-escaped
 * (the line is printable ASCII, so a log viewer cannot be fed terminal
 * escapes), and over-long values are cut with "..." to keep the line
 * within RXA_AUDIT_MAX_LINE.
 */
#ifndef RXA_AUDIT_H
#define RXA_AUDIT_H

#include <apr_file_io.h>
#include <apr_pools.h>
#include <apr_time.h>

/* PIPE_BUF on Linux and the smallest POSIX allows for atomic pipe writes
 * (_POSIX_PIPE_BUF is 512, but every platform httpd runs on has >= 4096). */
#define RXA_AUDIT_MAX_LINE 4096

typedef enum {
    RXA_AUDIT_LOGIN_STARTED = 0,  /* GET <login>?provider=: off to the IdP */
    RXA_AUDIT_LOGIN_COMPLETED,    /* the callback's outcome */
    RXA_AUDIT_LOGOUT,
    RXA_AUDIT_TOKEN_REFRESH,      /* inline or through the sync path */
    RXA_AUDIT_SESSION_EXPIRED,    /* cookies no longer make a session */
    RXA_AUDIT_ACCESS_DENIED,      /* Require reflex-* failed: 403 */
    RXA_AUDIT_BACKCHANNEL_LOGOUT, /* an IdP's logout token: sign-ins ended */
    RXA_AUDIT_BEARER_REFUSED,     /* a request's bearer token: 400 or 401 */
    RXA_AUDIT_NEVENTS
} rxa_audit_event_e;

typedef enum {
    RXA_AUDIT_SUCCESS = 0,
    RXA_AUDIT_FAILURE
} rxa_audit_outcome_e;

/* X(enum suffix, name in the log), grouped by the events that use them
 * (any event may use any reason). RXA_AUDIT_R_NONE writes null.
 *   csrf_state_mismatch   no login-state cookie holds the callback's state
 *   invalid_callback      repeated or missing callback parameters
 *   issuer_mismatch       the callback's iss is not the provider's issuer
 *   idp_error             the IdP answered the login with error=
 *   token_exchange_failed the token endpoint refused or failed
 *   id_token_invalid      a check of the ID token failed at login
 *   userinfo_failed, userinfo_sub_mismatch
 *   unknown_provider      ?provider= names no provider
 *   provider_unavailable  discovery has not succeeded yet
 *   https_required        plain http on a non-loopback host
 *   refresh_failed        the IdP refused or failed a refresh
 *   access_token_expired  expired, and no refresh token to renew it
 *   tokens_invalid        cookies open, but a token fails a check
 *   stale_cookies         cookies do not open, or mix two sign-ins
 *   signin_revoked        the sign-in was revoked: logged out here or at
 *                         the IdP (back-channel logout)
 *   cookies_too_large     chunks missing or over the browser's limits
 *   cross_site            a cross-site logout GET, not acted on
 *   claim_mismatch        Require reflex-claim failed
 *   provider_mismatch     Require reflex-provider failed
 *   invalid_request       a back-channel logout request that is not a POST
 *                         of a form with one logout_token
 *   logout_token_invalid  its signature or a claims rule failed
 *   logout_token_replayed its jti was seen before
 *   bearer_malformed      an Authorization header that is malformed or
 *                         repeated, or a token that is no JWT
 *   bearer_signature_invalid  no key of the issuer verifies it
 *   bearer_expired        its exp has passed
 *   bearer_claims_invalid another claims rule failed (aud, typ, ...)
 *   insufficient_scope    Require reflex-scope failed
 *   internal_error        anything else on our side */
#define RXA_AUDIT_REASONS(X)                                \
    X(NONE, NULL)                                           \
    X(CSRF_STATE_MISMATCH, "csrf_state_mismatch")           \
    X(INVALID_CALLBACK, "invalid_callback")                 \
    X(ISSUER_MISMATCH, "issuer_mismatch")                   \
    X(IDP_ERROR, "idp_error")                               \
    X(TOKEN_EXCHANGE_FAILED, "token_exchange_failed")       \
    X(ID_TOKEN_INVALID, "id_token_invalid")                 \
    X(USERINFO_FAILED, "userinfo_failed")                   \
    X(USERINFO_SUB_MISMATCH, "userinfo_sub_mismatch")       \
    X(UNKNOWN_PROVIDER, "unknown_provider")                 \
    X(PROVIDER_UNAVAILABLE, "provider_unavailable")         \
    X(HTTPS_REQUIRED, "https_required")                     \
    X(REFRESH_FAILED, "refresh_failed")                     \
    X(ACCESS_TOKEN_EXPIRED, "access_token_expired")         \
    X(TOKENS_INVALID, "tokens_invalid")                     \
    X(STALE_COOKIES, "stale_cookies")                       \
    X(SIGNIN_REVOKED, "signin_revoked")                     \
    X(COOKIES_TOO_LARGE, "cookies_too_large")               \
    X(CROSS_SITE, "cross_site")                             \
    X(CLAIM_MISMATCH, "claim_mismatch")                     \
    X(PROVIDER_MISMATCH, "provider_mismatch")               \
    X(INVALID_REQUEST, "invalid_request")                   \
    X(LOGOUT_TOKEN_INVALID, "logout_token_invalid")         \
    X(LOGOUT_TOKEN_REPLAYED, "logout_token_replayed")       \
    X(BEARER_MALFORMED, "bearer_malformed")                 \
    X(BEARER_SIGNATURE_INVALID, "bearer_signature_invalid") \
    X(BEARER_EXPIRED, "bearer_expired")                     \
    X(BEARER_CLAIMS_INVALID, "bearer_claims_invalid")       \
    X(INSUFFICIENT_SCOPE, "insufficient_scope")             \
    X(INTERNAL_ERROR, "internal_error")

#define RXA_AUDIT_REASON_ENUM_(id, name) RXA_AUDIT_R_##id,
typedef enum {
    RXA_AUDIT_REASONS(RXA_AUDIT_REASON_ENUM_)
    RXA_AUDIT_NREASONS
} rxa_audit_reason_e;
#undef RXA_AUDIT_REASON_ENUM_

/* Optional extra fields, written under these keys when set. */
typedef enum {
    RXA_AUDIT_F_ERROR_ID = 0, /* "error_id": the id on the error page and in
                                 the error_log line */
    RXA_AUDIT_F_DETAIL,       /* "detail": a tagged core message ("RXA0...") */
    RXA_AUDIT_F_IDP_ERROR,    /* "idp_error": the IdP's error code
                                 (RFC 6749 4.1.2.1), not its description */
    RXA_AUDIT_F_USER,         /* "user": REMOTE_USER as set */
    RXA_AUDIT_F_ISSUER,       /* "issuer" */
    RXA_AUDIT_F_TENANT,       /* "tenant": Entra's tid */
    RXA_AUDIT_F_SCOPES,       /* "scopes": granted scopes, space-separated */
    RXA_AUDIT_F_REDIRECT_TO,  /* "redirect_to": the sanitized target */
    RXA_AUDIT_F_PATH,         /* "path": the request's path; anything from
                                 '?' or '#' on is dropped (a query may hold
                                 an application's secrets) */
    RXA_AUDIT_F_REQUIRE,      /* "require": what the failed Require asked
                                 for ("reflex-claim groups") */
    RXA_AUDIT_F_CLIENT_ID,    /* "client_id": the OAuth client a bearer
                                 token names */
    RXA_AUDIT_F_CHECK,        /* "check": the bearer token check that
                                 failed ("aud", "exp", "signature") */
    RXA_AUDIT_NFIELDS
} rxa_audit_field_e;

typedef struct {
    apr_time_t time;              /* 0: now */
    rxa_audit_event_e event;
    rxa_audit_outcome_e outcome;
    rxa_audit_reason_e reason;
    const char *provider;         /* NULL: null in the line */
    const char *sub;
    const char *client;           /* the client's address (after
                                     ReflexAuthTrustedProxies) */
    const char *request_id;       /* e.g. mod_unique_id's UNIQUE_ID */
    const char *field[RXA_AUDIT_NFIELDS]; /* NULL: left out */
} rxa_audit_event_t;

/* Names as written in the line; NULL for out-of-range values (and for
 * RXA_AUDIT_R_NONE). */
const char *rxa_audit_event_name(rxa_audit_event_e event);
const char *rxa_audit_reason_name(rxa_audit_reason_e reason);
const char *rxa_audit_field_name(rxa_audit_field_e field);

/* Format EV as one line (see above) in POOL: *LINE is NUL-terminated and
 * ends in "\n", *LEN counts that newline. Pure apart from reading the
 * clock when EV->time is 0. APR_EINVAL for an out-of-range event, outcome
 * or reason (a programming error); nothing else fails. */
apr_status_t rxa_audit_format(apr_pool_t *pool, const rxa_audit_event_t *ev,
                              const char **line, apr_size_t *len);

/* Format EV and write it to OUT in a single write (for the glue: OUT is a
 * file opened for append, or the write end of ap_open_piped_log; opening
 * either is the glue's job). Returns the formatting or write status. */
apr_status_t rxa_audit_write(apr_pool_t *pool, apr_file_t *out,
                             const rxa_audit_event_t *ev);

#endif
