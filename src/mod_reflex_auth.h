/* mod_reflex_auth: what the httpd glue files share.
 *
 * mod_reflex_auth.c holds the module record and hook registration;
 * config.c the directives and per-server config; registry.c builds each
 * server's providers (with src/core/provider.c) and runs discovery at
 * start-up; dump.c DUMP_REFLEX_AUTH;
 * authn.c the check_authn hook; identity.c who a request is (the trust
 * decisions and the caches around them), from session_cookies.c (the
 * session's cookies), tokens.c (token endpoint, refresh, userinfo) and
 * id_token.c (ID token verification); bearer_auth.c bearer tokens for
 * APIs; login_cookies.c the login state;
 * handler.c the module's own endpoints (backchannel.c back-channel
 * logout); authz.c Require reflex-*;
 * shared_cache.c the shared cache (ReflexAuthSharedCache);
 * revocation_list.c the lists of revoked sign-ins;
 * websocket.c the end of a websocket with its sign-in;
 * auditlog.c the audit log; pages.c the built-in pages.
 */
#ifndef MOD_REFLEX_AUTH_H
#define MOD_REFLEX_AUTH_H

/* RXA_VERSION comes from AC_INIT in configure.ac, through Makefile.am. */
#define RXA_PRODUCT "mod_reflex_auth/" RXA_VERSION

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include <jansson.h>

#include "rxa_audit.h"
#include "rxa_provider.h"
#include "rxa_template.h"
#include "rxa_seal.h"
#include "rxa_session.h"

struct rxa_issuer_snap;
struct rxa_jws;
struct rxa_token_response;

extern module AP_MODULE_DECLARE_DATA reflex_auth_module;

/* mod_reflex_auth.c declares the module (and its log index) itself. */
#ifndef RXA_MODULE_MAIN
APLOG_USE_MODULE(reflex_auth);
#endif

#define RXA_AUTH_TYPE "ReflexOIDC"

#define RXA_DEFAULT_LOGIN_PATH     "/login"
#define RXA_DEFAULT_CALLBACK_PATH  "/callback"
#define RXA_DEFAULT_LOGOUT_PATH    "/logout"
#define RXA_DEFAULT_FORBIDDEN_PATH "/forbidden"
#define RXA_DEFAULT_SYNC_PATH      "/_reflex/cookies/sync"
#define RXA_DEFAULT_BACKCHANNEL_LOGOUT_PATH "/_reflex/backchannel-logout"
#define RXA_DEFAULT_HTTP_TIMEOUT   apr_time_from_sec(5)
#define RXA_DEFAULT_CLOCK_SKEW     apr_time_from_sec(60)

/* Per-server config. Every field is unset (NULL or -1) until a directive
 * sets it; merge takes the vhost's value when set, else the base's; then
 * rxa_config_finalize applies the defaults, in that one place. */
typedef struct rxa_srv_conf {
    apr_array_header_t *provider_specs;     /* rxa_provider_spec_t * */
    apr_array_header_t *extra_scopes;       /* const char * */
    apr_array_header_t *cookie_secrets;     /* const char *, first seals */
    const char *login_path;
    const char *callback_path;
    const char *logout_path;
    const char *forbidden_path;
    const char *sync_path;
    const char *ca_file;
    apr_interval_time_t http_timeout;
    apr_interval_time_t clock_skew;
    int login_auto_redirect;                /* -1 unset, 0 off, 1 on */
    const char *audit_log;                  /* FILE or "|program" */
    struct rxa_trusted_t *trusted_proxies;  /* ReflexAuthTrustedProxies */
    rxa_template_t *pages[RXA_PAGE_NKINDS]; /* ReflexAuthPage, NULL: built-in */
    const struct rxa_shcache_spec *shared_cache_spec; /* NULL: unset (shm) */
    const char *backchannel_logout_path;

    /* Derived at start-up, not merged: */
    int in_use;                             /* anything configures us */
    apr_array_header_t *providers;          /* rxa_provider_t * */
    rxa_seal_keyring_t *keyring;            /* from cookie_secrets */
    apr_file_t *audit_file;                 /* opened at open_logs */
    const char *config_error;               /* why this server cannot work */
    struct rxa_shcache *cache;              /* the shared cache it names */
    struct rxa_revocation *revocation;      /* that cache's revocation list */
} rxa_srv_conf_t;

/* Per-directory config (<Location>, <Directory>, .htaccess). */
typedef struct rxa_dir_conf {
    const char *remote_user_claim;          /* NULL: unset ("sub") */
    int pass_access_token;                  /* -1 unset, 0 off, 1 on */
    int optional;                           /* ReflexAuthOptional: -1 unset,
                                             * 0 off, 1 on */
    int bearer;                             /* ReflexAuthBearer: -1 unset,
                                             * else RXA_BEARER_OFF/ON/ONLY */
    apr_array_header_t *bearer_audiences;   /* const char *; NULL: unset */
} rxa_dir_conf_t;

#define RXA_BEARER_OFF  0
#define RXA_BEARER_ON   1                   /* a bearer token if sent */
#define RXA_BEARER_ONLY 2                   /* a bearer token or 401 */

#define RXA_DEFAULT_REMOTE_USER_CLAIM "sub"

/* The signed-in user of a request, found once (rxa_identify). */
typedef struct rxa_identity {
    const rxa_session_t *session;           /* NULL: nobody signed in */
    const rxa_provider_t *provider;
    json_t *claims;                         /* the ID token's */
    const char *sub;
    const char *const *exported;            /* the identity headers' values,
                                             * made once (identity.c); NULL:
                                             * made per request */
    const struct rxa_signin_ref *ref;       /* what the revocation list is
                                             * checked with, made once;
                                             * NULL: none */
    int cookies_set;                        /* this answer already sets the
                                             * session's cookies (refreshed) */
    const struct rxa_bearer_claims *bearer; /* a bearer token's identity
                                             * (no session); NULL: a
                                             * cookie sign-in */
} rxa_identity_t;

/* A Require reflex-* line that failed: the claim it asked for or the
 * provider the user signed in with. */
typedef struct rxa_denial {
    rxa_audit_reason_e reason;              /* claim_ or provider_mismatch */
    const char *what;
} rxa_denial_t;

/* What the module keeps on one request_rec (its request_config); a
 * subrequest or an internal redirect has its own. */
typedef struct rxa_request_state {
    rxa_identity_t *who;                    /* NULL: not identified yet */
    rxa_audit_reason_e denied;              /* why the first Require reflex-*
                                             * line that failed did;
                                             * RXA_AUDIT_R_NONE: none did */
    apr_array_header_t *denials;            /* rxa_denial_t, in order */
    int needs_user;                         /* a Require reflex-* line was
                                             * asked with nobody signed in:
                                             * no anonymous answer */
} rxa_request_state_t;

/* One request's business with one provider: what the request path hands
 * down instead of (r, sc, p, snap, ...). SNAP is NULL until the issuer is
 * needed. */
typedef struct rxa_req {
    request_rec *r;
    const rxa_srv_conf_t *sc;
    const rxa_provider_t *p;
    const struct rxa_issuer_snap *snap;
} rxa_req_t;

/* config.c */
extern const command_rec rxa_cmds[];
void *rxa_srv_conf_create(apr_pool_t *p, server_rec *s);
void *rxa_srv_conf_merge(apr_pool_t *p, void *basev, void *addv);
void *rxa_dir_conf_create(apr_pool_t *p, char *dir);
void *rxa_dir_conf_merge(apr_pool_t *p, void *basev, void *addv);
const rxa_dir_conf_t *rxa_dir_conf(const request_rec *r);
rxa_srv_conf_t *rxa_srv_conf(const server_rec *s);
void rxa_config_finalize(apr_pool_t *p, server_rec *s);
const char *rxa_process_getenv(const void *baton, const char *name);

/* registry.c */
int rxa_providers_check(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s);
int rxa_providers_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);
void rxa_providers_discover_now(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s);
/* Why P's issuer cannot be used, in POOL: its last error, or "not
 * discovered". */
const char *rxa_provider_error(apr_pool_t *pool, const rxa_provider_t *p);

/* shared_cache.c: ReflexAuthSharedCache's caches (sc->cache), made at
 * post_config, attached in each child. */
int rxa_shared_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp);
int rxa_shared_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s);
void rxa_shared_cache_child_init(apr_pool_t *pchild, server_rec *s);

/* dump.c */
void rxa_dump_config(apr_pool_t *pconf, server_rec *s);

/* authn.c */
int rxa_check_authn(request_rec *r);
int rxa_scrub_headers(request_rec *r);
int rxa_note_auth_failure(request_rec *r, const char *auth_type);
/* fixups: an anonymous request (ReflexAuthOptional) has no user again. */
int rxa_anonymous_fixups(request_rec *r);

/* request_origin.c: the browser-visible origin of R into *ORIGIN; OK, or
 * the status of the answer already made (400 for a malformed Host or
 * forwarded header, the https-required page). */
int rxa_request_origin(request_rec *r, const rxa_srv_conf_t *sc,
                       const char **origin);
/* The identity headers' values for WHO, from POOL; NULL for a claim it
 * lacks. */
const char *const *rxa_identity_exports(apr_pool_t *pool,
                                        const rxa_identity_t *who);

/* identity.c */
void rxa_identity_child_init(apr_pool_t *pchild, server_rec *s);
/* pre_connection: the memo of identities of a client connection. */
int rxa_identity_pre_connection(conn_rec *c, void *csd);
/* R's state, made on first use. */
rxa_request_state_t *rxa_request_state(request_rec *r);
/* The signed-in identity of R in *WHO, or NULL; cookies that fail are
 * cleared. OK, or HTTP_SERVICE_UNAVAILABLE when cookies open but their
 * issuer cannot be used now. */
int rxa_identify(request_rec *r, const rxa_srv_conf_t *sc,
                 rxa_identity_t **who);

/* session_cookies.c */
/* The four cookie values of P, reassembled from their chunks: APR_NOTFOUND
 * when the request has none of them. */
apr_status_t rxa_session_values(request_rec *r, const rxa_provider_t *p,
                                const char *values[RXA_CK_COUNT]);
apr_status_t rxa_session_read(request_rec *r, const rxa_srv_conf_t *sc,
                              const rxa_provider_t *p, rxa_session_t **s);
/* Set-Cookie for S's four cookies. On failure nothing is set and *WHY
 * says what, tagged: APR_ENOSPC when they are too large (over the chunk
 * limit, or a Cookie header over LimitRequestFieldSize), another status
 * when sealing failed. */
apr_status_t rxa_session_set_cookies(request_rec *r, const rxa_srv_conf_t *sc,
                                     const rxa_session_t *s, const char **why);
void rxa_session_clear_cookies(request_rec *r, const rxa_srv_conf_t *sc,
                               const rxa_provider_t *p);

/* login_cookies.c */
typedef struct rxa_login_state {
    const char *cookie;          /* its cookie name (when read back) */
    const char *state, *nonce, *verifier, *provider, *redirect_uri;
    const char *redirect_to;
} rxa_login_state_t;
/* Set-Cookie for LS in the next slot, sealed: APR_SUCCESS, or the status
 * of what failed (nothing is set then). */
apr_status_t rxa_login_state_set(request_rec *r, const rxa_srv_conf_t *sc,
                                 const rxa_login_state_t *ls);
/* The unexpired login state whose state equals STATE, or NULL. */
rxa_login_state_t *rxa_login_state_find(request_rec *r,
                                        const rxa_srv_conf_t *sc,
                                        const char *state);
void rxa_login_state_clear(request_rec *r, const rxa_srv_conf_t *sc,
                           const rxa_login_state_t *ls);

/* id_token.c */
/* RQ's provider's ID token checked (signature, then claims; NONCE and
 * ACCESS_TOKEN when given): APR_SUCCESS and *CLAIMS, or the status and *WHY. */
apr_status_t rxa_id_token_verify(const rxa_req_t *rq, const char *id_token,
                                 const char *nonce, const char *access_token,
                                 json_t **claims, const char **why);
/* The claims, or the sub, of an ID token that this module sealed in a
 * cookie, without a second check; NULL when it does not decode. */
json_t *rxa_id_token_claims(apr_pool_t *pool, const char *id_token);
const char *rxa_id_token_sub(apr_pool_t *pool, const char *id_token);
/* P's issuer snapshot when its issuer is ISS (a token's iss), else NULL;
 * *UNAVAILABLE becomes P when its issuer may be ISS but cannot be used
 * now. */
const struct rxa_issuer_snap *rxa_issuer_snap_for(
    request_rec *r, const rxa_provider_t *p, const char *iss, apr_time_t now,
    const rxa_provider_t **unavailable);
/* TOKEN's signature checked with the keys and allowed algs of RQ's issuer
 * (RQ->snap), the key set refreshed once for an unknown kid: APR_SUCCESS
 * and *JWS, or the status and a tagged *ERR; *SNAP is the snapshot whose
 * keys were used. */
apr_status_t rxa_token_signature_verify(const rxa_req_t *rq, const char *token,
                                        struct rxa_jws **jws,
                                        const struct rxa_issuer_snap **snap,
                                        const char **err);

/* tokens.c: each call returns APR_SUCCESS, or a status and *WHY. */
/* POST FORM to the token endpoint with the client's authentication
 * (RFC 6749 2.3.1): the checked answer in *RESP; RXA_TOKEN_RESPONSE_ERROR
 * when the IdP refused (an OAuth error answer with a 4xx status). */
apr_status_t rxa_token_request(const rxa_req_t *rq, const char *form,
                               struct rxa_token_response **resp,
                               const char **why);
/* The session a token response makes (its ID token verified), on top of
 * what OLD had (a refresh may keep the refresh token, the ID token or the
 * scopes). */
apr_status_t rxa_session_from_tokens(const rxa_req_t *rq,
                                     const struct rxa_token_response *resp,
                                     const rxa_session_t *old,
                                     const char *nonce, rxa_session_t *s,
                                     json_t **claims, const char **why);
/* Userinfo at sign-in must name SUB; *REASON says how it failed. */
apr_status_t rxa_userinfo_check(const rxa_req_t *rq, const char *access_token,
                                const char *sub, rxa_audit_reason_e *reason,
                                const char **why);
/* Userinfo's claims for S when they name SUB, or NULL (logged why). */
json_t *rxa_userinfo_claims(const rxa_req_t *rq, const rxa_session_t *s,
                            const char *sub);
/* OLD renewed with its refresh token, once per process for concurrent
 * requests with the same one. */
apr_status_t rxa_refresh(const rxa_req_t *rq, const rxa_session_t *old,
                         rxa_session_t **out, const char **why);
void rxa_tokens_child_init(apr_pool_t *pchild);
/* The live record of a sign-in: the key for SIGNIN_ID, and the expiry its
 * latest refresh got, in epoch seconds (APR_NOTFOUND: none known). */
const char *rxa_live_key(apr_pool_t *pool, const char *signin_id);
apr_status_t rxa_live_get(const rxa_srv_conf_t *sc, apr_pool_t *pool,
                          const char *key, apr_int64_t *expires_at);

/* Refresh this long (seconds) before the access token expires; the
 * tab-sync script (src/pages/sync.js) gets the same value. */
#define RXA_REFRESH_MARGIN 30

/* revocation_list.c: each server's sc->revocation, one list per cache. */
int rxa_revocation_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s);

/* websocket.c: a websocket upgraded under WHO ends with its sign-in. */
void rxa_websocket_register(apr_pool_t *p);
void rxa_websocket_watch(request_rec *r, const rxa_srv_conf_t *sc,
                         const rxa_identity_t *who);

/* bearer_auth.c: ReflexAuthBearer. */
void rxa_bearer_child_init(apr_pool_t *pchild, server_rec *s);
/* check_config: bearer tokens on without an audience fail the test. */
int rxa_bearer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s);
/* R's bearer token: DECLINED when bearer tokens are off here or (On) the
 * request has none; OK and *WHO when a token is valid; else the status of
 * the answer made (400, 401, 503). */
int rxa_bearer_authn(request_rec *r, const rxa_srv_conf_t *sc,
                     rxa_identity_t **who);
/* A Bearer challenge (RFC 6750 3) with ERROR, DESCRIPTION and SCOPE when
 * given, a JSON body, no-store; returns DONE. */
int rxa_bearer_answer(request_rec *r, int status, const char *error,
                      const char *description, const char *scope);

/* authz.c */
void rxa_authz_register(apr_pool_t *p);
/* The answer to a denied bearer request at the forbidden path (403 with a
 * Bearer challenge), or DECLINED. */
int rxa_authz_bearer_forbidden(request_rec *r);

/* handler.c */
int rxa_quick_handler(request_rec *r, int lookup);

/* backchannel.c: OpenID Connect Back-Channel Logout */
void rxa_backchannel_child_init(apr_pool_t *pchild);
int rxa_backchannel_logout(request_rec *r, const rxa_srv_conf_t *sc);

/* auditlog.c */
int rxa_audit_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s);
void rxa_audit(request_rec *r, rxa_audit_event_e event,
               rxa_audit_outcome_e outcome, rxa_audit_reason_e reason,
               const char *provider, const char *sub, const char *error_id);
/* EV written with the request's client, request id, path and user filled
 * in. */
void rxa_audit_event(request_rec *r, rxa_audit_event_t *ev);

/* sync_script.c */
int rxa_sync_script(request_rec *r);

/* pages.c */
int rxa_pages_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
const char *rxa_error_id(request_rec *r);
int rxa_page_error(request_rec *r, int status, const char *title,
                   const char *message, const char *error_id);
int rxa_page_login(request_rec *r, const rxa_srv_conf_t *sc,
                   const char *redirect_to);
int rxa_page_callback(request_rec *r, const rxa_srv_conf_t *sc,
                      const char *redirect_to);
int rxa_page_expired(request_rec *r, const rxa_srv_conf_t *sc,
                     const char *error_id);
int rxa_page_idp_error(request_rec *r, const rxa_provider_t *p,
                       const char *error, const char *description);
int rxa_page_forbidden(request_rec *r, const rxa_srv_conf_t *sc);
int rxa_page_https_required(request_rec *r);
int rxa_page_logout(request_rec *r, const char *redirect_to);

#endif
