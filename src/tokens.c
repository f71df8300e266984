/* Talking to the IdP on a user's behalf: the token endpoint (code exchange
 * and refresh) and userinfo. A refresh token is used once, across the
 * worker processes and replicas that share a cache: concurrent requests
 * carrying it wait for one call to the IdP and share its answer (in this
 * process through a single-flight table, elsewhere through the shared
 * cache), so an IdP that rotates refresh tokens never sees one used twice. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <http_core.h>
#include <http_protocol.h>
#include <openssl/evp.h>

#include "mod_reflex_auth.h"
#include "rxa_http.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_query.h"
#include "rxa_revocation.h"
#include "rxa_shcache.h"
#include "rxa_singleflight.h"
#include "rxa_token_response.h"

#define USERINFO_MAX (256 * 1024)

/* How long a finished refresh is handed to late arrivals (the requests
 * that were already on their way with the old cookies). */
#define REFRESH_SHARE_TIME apr_time_from_sec(10)

apr_status_t rxa_token_request(const rxa_req_t *rq, const char *form,
                               rxa_token_response_t **out, const char **why)
{
    request_rec *r = rq->r;
    const rxa_srv_conf_t *sc = rq->sc;
    const rxa_provider_t *p = rq->p;
    const rxa_issuer_snap_t *snap = rq->snap;
    rxa_http_req_t req, *reqs[1] = { &req };
    rxa_http_opts_t opts = { .ca_file = sc->ca_file,
                             .max_body = RXA_TOKEN_RESPONSE_MAX_BYTES };
    rxa_token_response_t *resp;
    const char *err;
    apr_status_t rv;

    if (!snap->md->token_endpoint) {
        *why = "the provider publishes no token_endpoint";
        return APR_NOTFOUND;
    }
    memset(&req, 0, sizeof(req));
    opts.timeout_ms = (long)apr_time_as_msec(sc->http_timeout);
    req.url = snap->md->token_endpoint;
    req.headers = apr_array_make(r->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(req.headers, const char *) =
        "Content-Type: application/x-www-form-urlencoded";
    if (!p->client_secret || snap->md->token_auth_post) {
        form = apr_pstrcat(r->pool, form, "&client_id=",
                           rxa_url_encode(r->pool, p->client_id), NULL);
        if (p->client_secret)
            form = apr_pstrcat(r->pool, form, "&client_secret=",
                               rxa_url_encode(r->pool, p->client_secret), NULL);
    }
    else {
        /* both parts form-encoded before base64 */
        char *cred = apr_pstrcat(r->pool, rxa_url_encode(r->pool, p->client_id),
                                 ":", rxa_url_encode(r->pool, p->client_secret),
                                 NULL);
        APR_ARRAY_PUSH(req.headers, const char *) =
            apr_pstrcat(r->pool, "Authorization: Basic ",
                        ap_pbase64encode(r->pool, cred), NULL);
    }
    req.post_body = form;
    req.post_len = strlen(form);
    rxa_http_run(r->pool, reqs, 1, &opts);
    if (req.rv != APR_SUCCESS) {
        *why = apr_psprintf(r->pool, "token endpoint %s: %s", req.url, req.err);
        return req.rv;
    }
    rv = rxa_token_response_parse(r->pool, req.body, req.len, &resp, &err);
    if (rv == RXA_TOKEN_RESPONSE_ERROR || req.status != 200) {
        /* the error code is sanitised by the parser; the description is
         * the IdP's prose and stays out of the log */
        *why = apr_psprintf(r->pool, "token endpoint %s answered HTTP %ld%s%s",
                            req.url, req.status,
                            rv == RXA_TOKEN_RESPONSE_ERROR ? ", error " : "",
                            rv == RXA_TOKEN_RESPONSE_ERROR ? resp->error : "");
        /* an OAuth error answer is a refusal; a 5xx is the IdP's trouble */
        return rv == RXA_TOKEN_RESPONSE_ERROR && req.status >= 400
               && req.status < 500 ? RXA_TOKEN_RESPONSE_ERROR : APR_EGENERAL;
    }
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(r->pool, "token endpoint %s: %s", req.url, err);
        return rv;
    }
    *out = resp;
    return APR_SUCCESS;
}

/* GET userinfo with the access token: the claims in *INFO, or a status
 * and *WHY. */
static apr_status_t userinfo_fetch(const rxa_req_t *rq,
                                   const char *access_token, json_t **info,
                                   const char **why)
{
    request_rec *r = rq->r;
    const rxa_srv_conf_t *sc = rq->sc;
    rxa_http_req_t req, *reqs[1] = { &req };
    rxa_http_opts_t opts = { .ca_file = sc->ca_file, .max_body = USERINFO_MAX };
    const char *err;

    memset(&req, 0, sizeof(req));
    opts.timeout_ms = (long)apr_time_as_msec(sc->http_timeout);
    req.url = rq->snap->md->userinfo_endpoint;
    req.headers = apr_array_make(r->pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(req.headers, const char *) =
        apr_pstrcat(r->pool, "Authorization: Bearer ", access_token, NULL);
    rxa_http_run(r->pool, reqs, 1, &opts);
    if (req.rv != APR_SUCCESS) {
        *why = apr_psprintf(r->pool, "userinfo %s: %s", req.url, req.err);
        return req.rv;
    }
    if (req.status != 200) {
        *why = apr_psprintf(r->pool, "userinfo %s answered HTTP %ld", req.url,
                            req.status);
        return APR_EGENERAL;
    }
    if (!(*info = rxa_json_parse_object(r->pool, req.body, req.len,
                                        USERINFO_MAX, &err))) {
        *why = apr_psprintf(r->pool, "userinfo %s: %s", req.url, err);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Whether INFO names SUB, the ID token's subject. */
static int userinfo_names(const json_t *info, const char *sub)
{
    const char *usub = rxa_json_get_str(info, "sub");

    return usub && !strcmp(usub, sub);
}

/* --- userinfo, cached per process ---------------------------------------------- */

/* Claims from userinfo are kept for at most 30 minutes,
 * keyed by the access token's digest, so a new access token (refresh, new
 * sign-in) fetches them again. */
#define USERINFO_MAX_AGE apr_time_from_sec(30 * 60)
#define USERINFO_MAX_ENTRIES 4096

/* An entry whose json is NULL is a fetch in flight (begun at FETCHED):
 * other requests for the same token wait for it (userinfo_done) rather
 * than fetch too. */
typedef struct userinfo_entry {
    char *json;                 /* the claims, serialized (malloc) */
    apr_time_t fetched;
} userinfo_entry_t;

static apr_pool_t *userinfo_pool;
static apr_thread_mutex_t *userinfo_lock;
static apr_thread_cond_t *userinfo_done;
static apr_hash_t *userinfo_table;

static const char *token_digest(apr_pool_t *pool, const char *prefix,
                                const char *token);

static apr_status_t userinfo_entry_free(void *data)
{
    free(((userinfo_entry_t *)data)->json);
    return APR_SUCCESS;
}

/* Drop expired entries; when still full, drop everything (a flood of new
 * tokens: better to fetch again than to grow). */
static void userinfo_expire(apr_time_t now)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, userinfo_table); hi; ) {
        const void *key;
        void *val;
        apr_hash_this(hi, &key, NULL, &val);
        hi = apr_hash_next(hi);
        if (now - ((userinfo_entry_t *)val)->fetched > USERINFO_MAX_AGE) {
            apr_hash_set(userinfo_table, key, APR_HASH_KEY_STRING, NULL);
            userinfo_entry_free(val);
        }
    }
    if (apr_hash_count(userinfo_table) >= USERINFO_MAX_ENTRIES) {
        for (hi = apr_hash_first(NULL, userinfo_table); hi; hi = apr_hash_next(hi)) {
            void *val;
            apr_hash_this(hi, NULL, NULL, &val);
            userinfo_entry_free(val);
        }
        apr_pool_clear(userinfo_pool);
        userinfo_table = apr_hash_make(userinfo_pool);
    }
}

/* Keep INFO for KEY in this process, or with INFO NULL forget the fetch in
 * flight for KEY; either way its waiters wake. Under userinfo_lock. */
static void userinfo_store(const char *key, json_t *info, apr_time_t now)
{
    userinfo_entry_t *e;

    userinfo_expire(now);
    e = apr_hash_get(userinfo_table, key, APR_HASH_KEY_STRING);
    if (!info) {
        if (e && !e->json)
            apr_hash_set(userinfo_table, key, APR_HASH_KEY_STRING, NULL);
    }
    else if (!e || !e->json) {
        char *json = json_dumps(info, JSON_COMPACT);
        if (json && !e) {
            e = apr_palloc(userinfo_pool, sizeof(*e));
            apr_hash_set(userinfo_table, apr_pstrdup(userinfo_pool, key),
                         APR_HASH_KEY_STRING, e);
        }
        if (json) {
            e->json = json;
            e->fetched = now;
        }
        else if (e)
            apr_hash_set(userinfo_table, key, APR_HASH_KEY_STRING, NULL);
    }
    apr_thread_cond_broadcast(userinfo_done);
}

/* Keep INFO for P's ACCESS_TOKEN in this process. */
static void userinfo_remember(apr_pool_t *pool, const rxa_provider_t *p,
                              const char *access_token, json_t *info,
                              apr_time_t now)
{
    const char *key = token_digest(pool, p->name, access_token);

    if (!userinfo_lock)
        return;
    apr_thread_mutex_lock(userinfo_lock);
    userinfo_store(key, info, now);
    apr_thread_mutex_unlock(userinfo_lock);
}

/* Userinfo at sign-in: its sub must be the ID token's. The
 * claims are kept, so this process's first protected request does not
 * fetch them again. */
apr_status_t rxa_userinfo_check(const rxa_req_t *rq, const char *access_token,
                                const char *sub, rxa_audit_reason_e *reason,
                                const char **why)
{
    json_t *info;
    apr_status_t rv;

    if (!rq->snap->md->userinfo_endpoint)
        return APR_SUCCESS;
    if ((rv = userinfo_fetch(rq, access_token, &info, why)) != APR_SUCCESS) {
        *reason = RXA_AUDIT_R_USERINFO_FAILED;
        return rv;
    }
    if (!userinfo_names(info, sub)) {
        *reason = RXA_AUDIT_R_USERINFO_SUB_MISMATCH;
        *why = "userinfo names another subject than the ID token";
        return APR_EINVAL;
    }
    userinfo_remember(rq->r->pool, rq->p, access_token, info, apr_time_now());
    return APR_SUCCESS;
}

/* Userinfo for S's access token, if it names SUB (the ID token's): the
 * claims in *INFO, or a status and *WHY (NULL when another subject was
 * logged). */
static apr_status_t userinfo_fetch_same_sub(const rxa_req_t *rq,
                                            const rxa_session_t *s,
                                            const char *sub, json_t **info,
                                            const char **why)
{
    apr_status_t rv = userinfo_fetch(rq, s->access_token, info, why);

    if (rv == APR_SUCCESS && !userinfo_names(*info, sub)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, rq->r, "RXA00092: "
                      "provider %s: userinfo names another subject than the "
                      "ID token; ignored", rq->p->name);
        *info = NULL;
        *why = NULL;
        return APR_EINVAL;
    }
    return rv;
}

/* Userinfo through this process's cache: kept claims, a fetch in flight
 * waited for, or this request's own fetch, kept for the others. The
 * claims in *INFO, or a status and *WHY. */
static apr_status_t userinfo_shared(const rxa_req_t *rq,
                                    const rxa_session_t *s, const char *sub,
                                    json_t **out, const char **why)
{
    request_rec *r = rq->r;
    const rxa_srv_conf_t *sc = rq->sc;
    const rxa_provider_t *p = rq->p;
    const char *key;
    userinfo_entry_t *e;
    apr_time_t now = apr_time_now();
    json_t *info = NULL;
    apr_status_t rv = APR_SUCCESS;
    int waited = 0, fetch = 0;

    key = token_digest(r->pool, p->name, s->access_token);
    apr_thread_mutex_lock(userinfo_lock);
    for (;;) {
        e = apr_hash_get(userinfo_table, key, APR_HASH_KEY_STRING);
        if (e && e->json && now - e->fetched <= USERINFO_MAX_AGE) {
            if (!(info = rxa_json_parse_object(r->pool, e->json,
                                               strlen(e->json), USERINFO_MAX,
                                               why)))
                rv = APR_EINVAL;
            break;
        }
        /* another request of this process is fetching them: wait for it,
         * a little longer than its fetch may take */
        if (e && !e->json && apr_time_now() - e->fetched
                             < sc->http_timeout + apr_time_from_sec(1)) {
            apr_thread_cond_timedwait(userinfo_done, userinfo_lock,
                                      apr_time_from_msec(100));
            waited = 1;
            continue;
        }
        /* the fetch waited for failed (or its entry was dropped): this
         * request goes without, as it would after a failed fetch of its own */
        if (waited && !e) {
            *why = "the fetch this request waited for brought no claims";
            rv = APR_NOTFOUND;
            break;
        }
        /* this request fetches; others for the same token wait */
        if (!e || e->json) {
            if (e)
                free(e->json);
            else {
                e = apr_palloc(userinfo_pool, sizeof(*e));
                apr_hash_set(userinfo_table, apr_pstrdup(userinfo_pool, key),
                             APR_HASH_KEY_STRING, e);
            }
        }
        e->json = NULL;
        e->fetched = apr_time_now();
        fetch = 1;
        break;
    }
    apr_thread_mutex_unlock(userinfo_lock);

    if (fetch) {
        rv = userinfo_fetch_same_sub(rq, s, sub, &info, why);
        apr_thread_mutex_lock(userinfo_lock);
        userinfo_store(key, info, now);
        apr_thread_mutex_unlock(userinfo_lock);
        if (info)
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00093: provider "
                          "%s: userinfo fetched for this process", p->name);
    }
    *out = info;
    return rv;
}

json_t *rxa_userinfo_claims(const rxa_req_t *rq, const rxa_session_t *s,
                            const char *sub)
{
    const char *why = NULL;
    json_t *info = NULL;
    apr_status_t rv;

    if (!rq->snap->md->userinfo_endpoint)
        return NULL;
    /* a process without the cache (RXA00141) fetches per request */
    rv = userinfo_lock ? userinfo_shared(rq, s, sub, &info, &why)
                       : userinfo_fetch_same_sub(rq, s, sub, &info, &why);
    if (rv != APR_SUCCESS && why)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, rq->r, "RXA00091: provider "
                      "%s: userinfo not used for this request: %s",
                      rq->p->name, why);
    return rv == APR_SUCCESS ? info : NULL;
}

/* The session a token response makes, on top of what OLD had (a refresh
 * may keep the refresh token, the ID token or the scopes). */
apr_status_t rxa_session_from_tokens(const rxa_req_t *rq,
                                     const rxa_token_response_t *resp,
                                     const rxa_session_t *old,
                                     const char *nonce, rxa_session_t *s,
                                     json_t **claims, const char **why)
{
    const char *id_token = resp->id_token;
    apr_status_t rv;

    if (!id_token && old)
        id_token = old->id_token;
    if (!id_token) {
        *why = "token response without id_token";
        return APR_EINVAL;
    }
    /* a new ID token is bound to the access token it came with */
    if ((rv = rxa_id_token_verify(rq, id_token, nonce,
                                  id_token == (old ? old->id_token : NULL)
                                  ? NULL : resp->access_token, claims, why))
        != APR_SUCCESS)
        return rv;
    memset(s, 0, sizeof(*s));
    s->provider = rq->p->name;
    s->sid = old ? old->sid : NULL;
    s->started_at = old ? old->started_at : 0;
    s->access_token = resp->access_token;
    s->expires_at = apr_time_sec(apr_time_now()) + resp->expires_in;
    s->id_token = id_token;
    s->refresh_token = resp->refresh_token ? resp->refresh_token
        : old ? old->refresh_token : NULL;
    s->granted_scopes = resp->scope ? resp->scope
        : old ? old->granted_scopes : rq->p->scope;
    return APR_SUCCESS;
}

/* --- refresh, coalesced per process ----------------------------------------- */

#define REFRESH_MAX_ENTRIES 4096

/* NULL: this process could not make its table, and refreshes each go to
 * the IdP on their own. */
static rxa_singleflight_t *refreshes;

void rxa_tokens_child_init(apr_pool_t *pchild)
{
    apr_status_t rv;

    rv = rxa_singleflight_create(pchild, REFRESH_SHARE_TIME,
                                 REFRESH_MAX_ENTRIES, &refreshes);
    if (rv != APR_SUCCESS)
        ap_log_perror(APLOG_MARK, APLOG_WARNING, rv, pchild, "RXA00140: "
                      "refreshes are not coalesced in this process: "
                      "concurrent requests with the same refresh token each "
                      "refresh it");
    /* without its lock, condition or pool, userinfo is fetched per request */
    if ((rv = apr_pool_create(&userinfo_pool, pchild)) != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&userinfo_lock,
                                         APR_THREAD_MUTEX_DEFAULT,
                                         userinfo_pool)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&userinfo_done, userinfo_pool))
           != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_WARNING, rv, pchild, "RXA00141: "
                      "userinfo is not cached in this process: each request "
                      "that needs its claims fetches them");
        userinfo_lock = NULL;
        return;
    }
    userinfo_table = apr_hash_make(userinfo_pool);
}

/* A table key for a token: a digest, so the token itself is not kept. */
static const char *token_digest(apr_pool_t *pool, const char *prefix,
                                const char *token)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char *hex;

    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    hex = apr_palloc(pool, len * 2 + 1);
    ap_bin2hex(md, len, hex);
    return apr_pstrcat(pool, prefix, ":", hex, NULL);
}

static void session_copy(apr_pool_t *pool, rxa_session_t *to,
                         const rxa_session_t *from)
{
    to->provider = apr_pstrdup(pool, from->provider);
    to->sid = apr_pstrdup(pool, from->sid);
    to->started_at = from->started_at;
    to->access_token = apr_pstrdup(pool, from->access_token);
    to->expires_at = from->expires_at;
    to->id_token = apr_pstrdup(pool, from->id_token);
    to->refresh_token = from->refresh_token
        ? apr_pstrdup(pool, from->refresh_token) : NULL;
    to->granted_scopes = apr_pstrdup(pool, from->granted_scopes);
}

/* The refresh call: *S, or a status and *WHY; *REFUSED non-zero when the
 * IdP refused the refresh token (an OAuth error answer). */
static apr_status_t refresh_call(const rxa_req_t *rq, const rxa_session_t *old,
                                 rxa_session_t *s, int *refused,
                                 const char **why)
{
    request_rec *r = rq->r;
    const char *form;
    rxa_token_response_t *resp;
    json_t *claims;
    apr_status_t rv;

    /* only the scopes granted at sign-in */
    form = apr_pstrcat(r->pool, "grant_type=refresh_token&refresh_token=",
                       rxa_url_encode(r->pool, old->refresh_token), "&scope=",
                       rxa_url_encode(r->pool, old->granted_scopes), NULL);
    rv = rxa_token_request(rq, form, &resp, why);
    *refused = rv == RXA_TOKEN_RESPONSE_ERROR;
    if (rv != APR_SUCCESS)
        return rv;
    return rxa_session_from_tokens(rq, resp, old, NULL, s, &claims, why);
}

typedef struct refresh_baton {
    const rxa_req_t *rq;
    const rxa_session_t *old;
    rxa_shcache_t *cache;           /* NULL: none */
} refresh_baton_t;

/* --- the live record -------------------------------------------------------- */

/* "rxa1:live:<hex SHA-256>" of a sign-in id holds the expiry (epoch
 * seconds, decimal) of the access token its latest refresh got: what an
 * open websocket of that sign-in, in any process or replica sharing the
 * cache, learns a refresh from. It lives until that expiry plus the clock
 * skew plus LIVE_MARGIN. */
#define LIVE_KEY    "rxa1:live"
#define LIVE_INFO   "mod_reflex_auth live\n"
#define LIVE_MARGIN 60

const char *rxa_live_key(apr_pool_t *pool, const char *signin_id)
{
    return token_digest(pool, LIVE_KEY,
                        apr_pstrcat(pool, LIVE_INFO, signin_id, NULL));
}

/* Sign-in S was refreshed by this request: its new expiry for the
 * websockets. */
static void live_store(const rxa_req_t *rq, const rxa_session_t *s)
{
    request_rec *r = rq->r;
    apr_int64_t ttl = s->expires_at + apr_time_sec(rq->sc->clock_skew)
                      + LIVE_MARGIN - apr_time_sec(apr_time_now());
    const char *val = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                   s->expires_at);
    apr_status_t rv;

    if (!rq->sc->cache || ttl < 1)
        return;
    if (ttl > 30 * 24 * 3600)
        ttl = 30 * 24 * 3600;
    rv = rxa_shcache_set(rq->sc->cache, rxa_live_key(r->pool, s->sid), val,
                         strlen(val), (apr_uint32_t)ttl);
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00285: provider %s: "
                      "the refresh is not in the shared cache: open "
                      "websockets of this sign-in end at the old expiry",
                      rq->p->name);
}

apr_status_t rxa_live_get(const rxa_srv_conf_t *sc, apr_pool_t *pool,
                          const char *key, apr_int64_t *expires_at)
{
    char *val, *end;
    apr_size_t len;
    apr_status_t rv;

    if (!sc->cache)
        return APR_NOTFOUND;
    if ((rv = rxa_shcache_get(sc->cache, pool, key, &val, &len))
        != APR_SUCCESS)
        return rv;
    *expires_at = apr_strtoi64(val, &end, 10);
    return len && !*end && *expires_at > 0 ? APR_SUCCESS : APR_EINVAL;
}

/* The call to the IdP, audited: *S or a status and *ERR. A success is
 * written to the live record; a refusal ends the sign-in everywhere (the
 * IdP will not renew it: its other cookies and sockets must not go on). */
static apr_status_t refresh_at_idp(const refresh_baton_t *b, apr_pool_t *pool,
                                   rxa_session_t **s, const char **err)
{
    const char *why = NULL;
    int refused = 0;
    apr_status_t rv, rv2;

    *s = apr_pcalloc(pool, sizeof(**s));
    rv = refresh_call(b->rq, b->old, *s, &refused, &why);
    ap_log_rerror(APLOG_MARK, rv ? APLOG_INFO : APLOG_DEBUG, rv, b->rq->r,
                  "RXA00090: provider %s: token refresh %s%s", b->rq->p->name,
                  rv ? "failed: " : "done", rv ? why : "");
    rxa_audit(b->rq->r, RXA_AUDIT_TOKEN_REFRESH, rv ? RXA_AUDIT_FAILURE
              : RXA_AUDIT_SUCCESS, rv ? RXA_AUDIT_R_REFRESH_FAILED
              : RXA_AUDIT_R_NONE, b->rq->p->name, NULL, NULL);
    if (rv == APR_SUCCESS)
        live_store(b->rq, *s);
    else if (refused && (rv2 = rxa_revoke_signin(b->rq->sc->revocation,
                                                 b->old->sid)) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv2, b->rq->r, "RXA00286: "
                      "provider %s: the refused sign-in could not be put on "
                      "the revocation list", b->rq->p->name);
    if (rv != APR_SUCCESS)
        *err = why;
    return rv;
}

/* --- refresh, once across processes and replicas ------------------------------ */

/* Keys: "rxa1:rr:<hex SHA-256>" holds the result of one refresh,
 * "rxa1:rl:<the same>" the lock of the one request making it. The digest
 * is of the refresh token and the access token it is to replace: an IdP
 * that does not rotate refresh tokens keeps one for the whole sign-in, and
 * its next refresh must find neither this one's lock nor its result.
 *
 * The value is sealed twice. Inside: SHARED_SEALED and the four cookie
 * values as the cookies carry them (sealed under the cookie secret,
 * space-separated), or SHARED_FAILED alone. Around it: a seal under a key
 * derived from the same two old tokens with another prefix (result_ring),
 * so only a request that carries them can open the result. A dump of the
 * cache, which shows the digest but not the tokens, gives no session even
 * to someone who also holds the cookie secret, and a value written into
 * the cache by anyone else does not open (a planted failure included). */
#define SHARED_RESULT_KEY "rxa1:rr"
#define SHARED_LOCK_KEY   "rxa1:rl"
#define SHARED_SEALED     "sealed"
#define SHARED_FAILED     "failed"
#define SHARED_RING_INFO  "mod_reflex_auth refresh result\n"

/* How long a result stays for the requests still carrying the old refresh
 * token (others in flight, other tabs): a success until the new access
 * token is due for refresh in turn, for those requests would refresh then
 * anyway; at least 30 s, so a burst is covered even when access tokens
 * live shorter than the refresh margin; at most 10 minutes, to bound how
 * long a sealed token set sits in the cache. A failure for 30 s: the burst
 * that carried the token fails as the first request did, and a token that
 * failed for a passing reason is tried again soon after. */
#define SHARED_KEEP_MIN 30
#define SHARED_KEEP_MAX 600

/* Polling for another request's result: the first pause, growing by half
 * each time up to the last. */
#define SHARED_POLL_FIRST apr_time_from_msec(50)
#define SHARED_POLL_MAX   apr_time_from_msec(400)

static apr_uint32_t shared_keep(const rxa_session_t *s)
{
    apr_int64_t keep = s ? s->expires_at - RXA_REFRESH_MARGIN
                           - apr_time_sec(apr_time_now())
                         : SHARED_KEEP_MIN;

    return (apr_uint32_t)(keep < SHARED_KEEP_MIN ? SHARED_KEEP_MIN
                          : keep > SHARED_KEEP_MAX ? SHARED_KEEP_MAX : keep);
}

/* Where one refresh's result is kept and the keyring it is sealed with,
 * both from the old tokens (see above). */
typedef struct shared_slot {
    const char *key;
    rxa_seal_keyring_t *ring;
} shared_slot_t;

static apr_status_t shared_slot_make(apr_pool_t *pool, const char *tokens,
                                     shared_slot_t *slot)
{
    const char *secret = token_digest(pool, "k",
                                      apr_pstrcat(pool, SHARED_RING_INFO,
                                                  tokens, NULL));
    const char *err;

    slot->key = token_digest(pool, SHARED_RESULT_KEY, tokens);
    return rxa_seal_keyring_create(pool, &secret, 1, &slot->ring, &err);
}

/* Keep the result of this request's refresh (S, or NULL: it failed) for
 * the others carrying the same refresh token. */
static void shared_store(const refresh_baton_t *b, const shared_slot_t *slot,
                         const rxa_session_t *s)
{
    request_rec *r = b->rq->r;
    const char *v[RXA_CK_COUNT], *inner = SHARED_FAILED;
    char *val = NULL;
    apr_status_t rv = APR_SUCCESS;

    if (s && (rv = rxa_session_seal(r->pool, b->rq->sc->keyring, s, v))
             == APR_SUCCESS)
        inner = apr_pstrcat(r->pool, SHARED_SEALED, " ", v[RXA_CK_ACCESS],
                            " ", v[RXA_CK_ID], " ", v[RXA_CK_REFRESH], " ",
                            v[RXA_CK_SCOPES], NULL);
    if (rv == APR_SUCCESS)
        rv = rxa_seal_bound(r->pool, slot->ring, SHARED_RESULT_KEY, NULL,
                            (const unsigned char *)inner, strlen(inner),
                            &val);
    if (rv == APR_SUCCESS)
        rv = rxa_shcache_set(b->cache, slot->key, val, strlen(val),
                             shared_keep(s));
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00262: provider %s: "
                      "the token refresh's result is not in the shared cache: "
                      "other processes and replicas with the same cookies "
                      "refresh on their own", b->rq->p->name);
}

/* The result kept in SLOT: APR_SUCCESS with *S (NULL: that refresh
 * failed), APR_NOTFOUND while there is none, or another status and *WHY
 * when the cache fails or the value does not open as this sign-in's. */
static apr_status_t shared_take(const refresh_baton_t *b,
                                const shared_slot_t *slot, rxa_session_t **s,
                                const char **why)
{
    request_rec *r = b->rq->r;
    const char *v[RXA_CK_COUNT], *form;
    char *val, *last;
    unsigned char *inner;
    apr_size_t len;
    apr_status_t rv;
    int k;

    *s = NULL;
    rv = rxa_shcache_get(b->cache, r->pool, slot->key, &val, &len);
    if (rv == APR_NOTFOUND)
        return rv;
    if (rv != APR_SUCCESS) {
        *why = "the shared cache failed";
        return rv;
    }
    if (rxa_unseal_bound(r->pool, slot->ring, SHARED_RESULT_KEY, NULL, val,
                         len, &inner, &len) != APR_SUCCESS
        || memchr(inner, '\0', len)) {
        *why = "the stored result does not open with this request's tokens";
        return APR_EINVAL;
    }
    if (!strcmp((char *)inner, SHARED_FAILED))
        return APR_SUCCESS;
    if (!(form = apr_strtok((char *)inner, " ", &last))
        || strcmp(form, SHARED_SEALED)) {
        *why = "the stored result has an unknown form";
        return APR_EINVAL;
    }
    for (k = 0; k < RXA_CK_COUNT; k++)
        v[k] = apr_strtok(NULL, " ", &last);
    rv = rxa_session_open(r->pool, b->rq->sc->keyring, b->rq->p->name, v, s);
    if (rv == APR_SUCCESS && strcmp((*s)->sid, b->old->sid))
        rv = APR_EINVAL;
    if (rv != APR_SUCCESS) {
        *s = NULL;
        *why = "the stored result does not open as this sign-in's cookies";
        return rv == APR_NOTFOUND ? APR_EINVAL : rv;
    }
    return APR_SUCCESS;
}

/* Poll for the result in SLOT until DEADLINE, as shared_take. */
static apr_status_t shared_wait(const refresh_baton_t *b,
                                const shared_slot_t *slot,
                                apr_time_t deadline, rxa_session_t **s,
                                const char **why)
{
    apr_interval_time_t pause = SHARED_POLL_FIRST;
    apr_status_t rv;

    for (;;) {
        apr_time_t now = apr_time_now();

        if (now >= deadline) {
            *why = "the request refreshing elsewhere left no result in time";
            return APR_TIMEUP;
        }
        apr_sleep(pause < deadline - now ? pause : deadline - now);
        if ((rv = shared_take(b, slot, s, why)) != APR_NOTFOUND)
            return rv;
        pause += pause / 2;
        if (pause > SHARED_POLL_MAX)
            pause = SHARED_POLL_MAX;
    }
}

/* The refresh through the shared cache: a result stored for this refresh
 * token; else this request's own call when it wins the lock; else the
 * result of the request that won it, waited for as long as that request's
 * call may take. A cache that fails, or no result in time: the call as
 * without the cache. */
static apr_status_t refresh_shared(const refresh_baton_t *b, apr_pool_t *pool,
                                   rxa_session_t **s, const char **err)
{
    request_rec *r = b->rq->r;
    const char *tokens = apr_pstrcat(r->pool, b->old->refresh_token, "\n",
                                     b->old->access_token, NULL);
    shared_slot_t slot;
    apr_interval_time_t wait = b->rq->sc->http_timeout + apr_time_from_sec(1);
    apr_time_t deadline = apr_time_now() + wait;
    const char *why = NULL;
    apr_status_t rv;

    if ((rv = shared_slot_make(r->pool, tokens, &slot)) != APR_SUCCESS)
        why = "the stored result's key could not be made";
    else if ((rv = shared_take(b, &slot, s, &why)) == APR_NOTFOUND) {
        rv = rxa_shcache_claim(b->cache,
                               token_digest(r->pool, SHARED_LOCK_KEY, tokens),
                               (apr_uint32_t)((wait + APR_USEC_PER_SEC - 1)
                                              / APR_USEC_PER_SEC));
        if (rv == APR_SUCCESS) {
            rv = refresh_at_idp(b, pool, s, err);
            shared_store(b, &slot, rv == APR_SUCCESS ? *s : NULL);
            return rv;
        }
        if (rv == APR_EEXIST)
            rv = shared_wait(b, &slot, deadline, s, &why);
        else
            why = "the shared cache failed";
    }
    if (rv == APR_SUCCESS && *s) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00260: provider %s: "
                      "token refresh made by another request, taken from the "
                      "shared cache", b->rq->p->name);
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        *err = "another request's refresh with this refresh token failed";
        return APR_EGENERAL;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00261: provider %s: "
                  "token refresh made without the shared cache: %s",
                  b->rq->p->name, why);
    return refresh_at_idp(b, pool, s, err);
}

/* The one call for a refresh token in this process
 * (rxa_singleflight_call_fn). */
static apr_status_t refresh_run(void *baton, apr_pool_t *pool, void **result,
                                const char **err, apr_time_t *valid_until)
{
    const refresh_baton_t *b = baton;
    rxa_session_t *s;
    apr_status_t rv = b->cache ? refresh_shared(b, pool, &s, err)
                                       : refresh_at_idp(b, pool, &s, err);

    if (rv != APR_SUCCESS)
        return rv;
    *result = s;
    /* a result whose access token has expired in turn is not shared: a
     * later request needs a refresh of its own */
    *valid_until = apr_time_from_sec(s->expires_at);
    return APR_SUCCESS;
}

static void *session_dup(apr_pool_t *pool, const void *from)
{
    rxa_session_t *to = apr_pcalloc(pool, sizeof(*to));

    session_copy(pool, to, from);
    return to;
}

apr_status_t rxa_refresh(const rxa_req_t *rq, const rxa_session_t *old,
                         rxa_session_t **out, const char **why)
{
    refresh_baton_t b = { rq, old, rq->sc->cache };
    void *fresh = NULL;
    apr_status_t rv;

    rv = rxa_singleflight_do(refreshes, rq->r->pool,
                             token_digest(rq->r->pool, rq->p->name,
                                          old->refresh_token),
                             refresh_run, &b, session_dup, &fresh, why, NULL);
    if (rv == APR_SUCCESS)
        *out = fresh;
    return rv;
}
