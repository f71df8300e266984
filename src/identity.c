/* Who is this request? The signed-in identity from the session cookies:
 * the trust decisions in session_trust (the cookies open, an expiring
 * access token is refreshed, the ID token verifies), and around them,
 * from the nearest out, the caches that spare them: the request's own
 * answer, the client connection's memo, the process's cache of verified
 * cookie sets. */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_revocation.h"
#include "rxa_vcache.h"

/* Cookie sets already opened and verified in this process: the
 * unsealing and the ID token's signature and claims are checked once per
 * sign-in per process, not per request. */
#define VCACHE_ENTRIES 1024
/* Longest an entry is trusted without a fresh check: bounds how late a
 * change in userinfo (cached 30 min itself) or the clock is noticed. */
#define VCACHE_TTL 300

static rxa_vcache_t *vcache;

/* The identities last found on a connection: a browser sends the same
 * Cookie header with every request of a keep-alive connection, so a header
 * byte for byte one remembered, for the same server, before the cache
 * entry's end and under the same issuer snapshot, is the same identity,
 * without parsing the cookies or taking the cache's lock.
 *
 * The memo belongs to the client's connection: with HTTP/2 each stream is
 * a secondary connection of its own, new for every request, so the memo
 * is kept on its master. Streams of one master run at once in different
 * threads, and a worker thread must not allocate from the master's pool
 * nor register cleanups there; so the memo is made in pre_connection, in
 * the connection's own thread, with the cleanup that ends it. Its entries
 * are immutable once published (a compare-and-swap onto a list), each in
 * an unmanaged pool of its own holding its cache reference and header
 * values, destroyed only with the connection: a request still being
 * logged may use them after another has begun. So a connection gets at
 * most MEMO_MAX of them (cookies change at a refresh, rarely more). */
#define MEMO_MAX 4

typedef struct memo_entry {
    const struct memo_entry *next;
    apr_pool_t *pool;
    const rxa_srv_conf_t *sc;
    const char *header;
    apr_size_t hlen;
    apr_uint64_t serial;        /* of the issuer snapshot it was made under */
    apr_int64_t valid_until;
    rxa_identity_t who;
} memo_entry_t;

typedef struct conn_memo {
    volatile void *head;        /* the newest memo_entry_t */
    volatile apr_uint32_t made; /* entries begun on this connection */
} conn_memo_t;

static apr_status_t memo_end(void *data)
{
    conn_memo_t *m = data;
    const memo_entry_t *e = apr_atomic_casptr(&m->head, NULL, NULL), *next;

    for (; e; e = next) {
        next = e->next;
        apr_pool_destroy(e->pool);
    }
    return APR_SUCCESS;
}

int rxa_identity_pre_connection(conn_rec *c, void *csd)
{
    conn_memo_t *m;

    (void)csd;
    if (c->master)
        return DECLINED;
    m = apr_pcalloc(c->pool, sizeof(*m));
    ap_set_module_config(c->conn_config, &reflex_auth_module, m);
    apr_pool_cleanup_register(c->pool, m, memo_end, apr_pool_cleanup_null);
    return DECLINED;
}

void rxa_identity_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = rxa_vcache_create(pchild, VCACHE_ENTRIES, &vcache);

    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "RXA00103: no cache of "
                     "verified sessions in this process; every request is "
                     "verified in full");
}

/* The cache key: the provider and the four values exactly as sent. */
static const char *session_key(apr_pool_t *pool, const rxa_provider_t *p,
                               const char *const values[RXA_CK_COUNT],
                               apr_size_t *klen)
{
    apr_size_t len[RXA_CK_COUNT], plen = strlen(p->name), n = plen;
    char *key, *at;
    int k;

    for (k = 0; k < RXA_CK_COUNT; k++)
        n += 1 + (len[k] = values[k] ? strlen(values[k]) : 0);
    at = key = apr_palloc(pool, n);
    memcpy(at, p->name, plen);
    at += plen;
    for (k = 0; k < RXA_CK_COUNT; k++) {
        *at++ = '\n';          /* in no cookie value, nor a provider name */
        memcpy(at, values[k] ? values[k] : "", len[k]);
        at += len[k];
    }
    *klen = n;
    return key;
}

/* Until when a verified session may be taken from the cache. */
static apr_int64_t vcache_until(const rxa_srv_conf_t *sc,
                                const rxa_session_t *s, json_t *claims,
                                apr_int64_t now)
{
    json_t *exp = json_object_get(claims, "exp");
    apr_int64_t until = s->expires_at - RXA_REFRESH_MARGIN;

    if (json_is_integer(exp)
        && json_integer_value(exp) + apr_time_sec(sc->clock_skew) < until)
        until = json_integer_value(exp) + apr_time_sec(sc->clock_skew);
    return until < now + VCACHE_TTL ? until : now + VCACHE_TTL;
}

/* R's client connection: the master of an HTTP/2 stream. */
static conn_rec *memo_conn(request_rec *r)
{
    return r->connection->master ? r->connection->master : r->connection;
}

/* Whether E was made under its issuer's current snapshot. */
static int memo_snapshot_holds(request_rec *r, const memo_entry_t *e)
{
    return rxa_issuer_serial(e->who.provider->iss, apr_time_now(), r->pool)
        == e->serial;
}

/* An entry of R's connection memo that holds for R; copied into WHO. */
static int memo_get(request_rec *r, const rxa_srv_conf_t *sc, apr_int64_t now,
                    rxa_identity_t *who)
{
    conn_memo_t *m = ap_get_module_config(memo_conn(r)->conn_config,
                                          &reflex_auth_module);
    const memo_entry_t *e;
    const char *header;
    apr_size_t hlen;

    if (!m || !(e = apr_atomic_casptr(&m->head, NULL, NULL))
        || !(header = apr_table_get(r->headers_in, "Cookie")))
        return 0;
    hlen = strlen(header);
    for (; e; e = e->next) {
        if (e->sc == sc && now < e->valid_until && e->hlen == hlen
            && !memcmp(header, e->header, hlen)
            && memo_snapshot_holds(r, e)) {
            *who = e->who;
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "RXA00220: "
                          "identity from the memo of the connection from "
                          "%pI", memo_conn(r)->client_addr);
            return 1;
        }
    }
    return 0;
}

/* After a cache hit for KEY: remember it for R's connection, with a
 * reference of the memo's own. */
static void memo_put(request_rec *r, const rxa_srv_conf_t *sc,
                     const rxa_provider_t *p, const rxa_issuer_snap_t *snap,
                     const char *key, apr_size_t klen, apr_int64_t now)
{
    conn_memo_t *m = ap_get_module_config(memo_conn(r)->conn_config,
                                          &reflex_auth_module);
    const char *header = apr_table_get(r->headers_in, "Cookie");
    const rxa_session_t *s;
    const rxa_signin_ref_t *ref;
    memo_entry_t *e;
    apr_pool_t *pool;
    json_t *claims;
    apr_int64_t until;
    void *head;

    if (!m || !header || apr_atomic_inc32(&m->made) >= MEMO_MAX
        || apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS)
        return;
    if (!rxa_vcache_get(vcache, pool, key, klen, snap->serial, now, &s,
                        &claims, &ref, &until)) {
        apr_pool_destroy(pool);     /* evicted meanwhile: nothing held */
        return;
    }
    e = apr_pcalloc(pool, sizeof(*e));
    e->pool = pool;
    e->sc = sc;
    e->hlen = strlen(header);
    e->header = apr_pmemdup(pool, header, e->hlen);
    e->serial = snap->serial;
    e->valid_until = until;
    e->who.session = s;
    e->who.provider = p;
    e->who.claims = claims;
    e->who.sub = rxa_json_get_str(claims, "sub");
    e->who.ref = ref;
    e->who.exported = rxa_identity_exports(pool, &e->who);  /* once per memo */
    /* published whole: readers see the entry with every field set */
    do {
        head = apr_atomic_casptr(&m->head, NULL, NULL);
        e->next = head;
    } while (apr_atomic_casptr(&m->head, e, head) != head);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "RXA00221: identity "
                  "remembered for the connection from %pI",
                  memo_conn(r)->client_addr);
}

rxa_request_state_t *rxa_request_state(request_rec *r)
{
    rxa_request_state_t *st = ap_get_module_config(r->request_config,
                                                   &reflex_auth_module);

    if (!st) {
        st = apr_pcalloc(r->pool, sizeof(*st));
        ap_set_module_config(r->request_config, &reflex_auth_module, st);
    }
    return st;
}

#define WHY_REVOKED "the sign-in was revoked (logged out here or at the " \
    "identity provider)"

/* REF for sign-in S with the ID token's CLAIMS. */
static void signin_ref(rxa_signin_ref_t *ref, const rxa_session_t *s,
                       const json_t *claims)
{
    rxa_signin_ref_make(ref, s->sid, s->started_at,
                        rxa_json_get_str(claims, "iss"),
                        rxa_json_get_str(claims, "sid"),
                        rxa_json_get_str(claims, "sub"));
}

/* Whether sign-in S is on SC's revocation list, read from the ID token
 * sealed in its cookie (before a refresh, which a revoked sign-in must
 * not get). */
static int sealed_signin_revoked(request_rec *r, const rxa_srv_conf_t *sc,
                                 const rxa_session_t *s)
{
    rxa_signin_ref_t ref;

    signin_ref(&ref, s, rxa_id_token_claims(r->pool, s->id_token));
    return rxa_revocation_check(sc->revocation, &ref, r->request_time);
}

/* The trust decisions for the cookie VALUES of RQ's provider, in order:
 * the cookies open (sealed by us, all of one sign-in); an access token
 * about to expire is renewed with the refresh token, and an expired one
 * without it ends the session; the ID token verifies; the sign-in is not
 * revoked. Renewed tokens are set as this answer's cookies. APR_SUCCESS
 * with *OUT, *CLAIMS, *REF and *REFRESHED; otherwise a status, *WHY and
 * *REASON, which is provider_unavailable when the cookies open but the
 * issuer cannot be used now: that says nothing about the session. */
static apr_status_t session_trust(rxa_req_t *rq,
                                  const char *const values[RXA_CK_COUNT],
                                  apr_int64_t now, rxa_session_t **out,
                                  json_t **claims, rxa_signin_ref_t *ref,
                                  int *refreshed, rxa_audit_reason_e *reason,
                                  const char **why)
{
    request_rec *r = rq->r;
    rxa_session_t *s, *fresh;
    apr_status_t rv;

    *refreshed = 0;
    rv = rxa_session_open(r->pool, rq->sc->keyring, rq->p->name, values, &s);
    if (rv != APR_SUCCESS) {
        *reason = RXA_AUDIT_R_STALE_COOKIES;
        *why = "cookies do not open or belong to different sign-ins";
        return rv == APR_NOTFOUND ? APR_EINVAL : rv;
    }
    if (!rq->snap
        && !(rq->snap = rxa_issuer_get(rq->p->iss, apr_time_now(), r->pool))) {
        *reason = RXA_AUDIT_R_PROVIDER_UNAVAILABLE;
        *why = "its issuer cannot be used now";
        return APR_EAGAIN;
    }
    if (s->expires_at - RXA_REFRESH_MARGIN <= now && s->refresh_token) {
        /* about to expire, or already has: refresh */
        if (sealed_signin_revoked(r, rq->sc, s)) {
            *reason = RXA_AUDIT_R_SIGNIN_REVOKED;
            *why = WHY_REVOKED;
            return APR_EACCES;
        }
        if ((rv = rxa_refresh(rq, s, &fresh, why)) != APR_SUCCESS) {
            *reason = RXA_AUDIT_R_REFRESH_FAILED;
            return rv;
        }
        s = fresh;
        *refreshed = 1;
    }
    else if (s->expires_at <= now) {
        *reason = RXA_AUDIT_R_ACCESS_TOKEN_EXPIRED;
        *why = "the access token has expired and there is no refresh token";
        return APR_TIMEUP;
    }
    if ((rv = rxa_id_token_verify(rq, s->id_token, NULL, NULL, claims, why))
        != APR_SUCCESS) {
        *reason = RXA_AUDIT_R_TOKENS_INVALID;
        return rv;
    }
    signin_ref(ref, s, *claims);
    if (rxa_revocation_check(rq->sc->revocation, ref, r->request_time)) {
        *reason = RXA_AUDIT_R_SIGNIN_REVOKED;
        *why = WHY_REVOKED;
        return APR_EACCES;
    }
    /* the new tokens verify but do not fit in cookies: sign-in again ends
     * on the callback's error page, not in a loop */
    if (*refreshed
        && (rv = rxa_session_set_cookies(r, rq->sc, s, why)) != APR_SUCCESS) {
        *reason = RXA_AUDIT_R_COOKIES_TOO_LARGE;
        return rv;
    }
    *out = s;
    return APR_SUCCESS;
}

/* CLAIMS with what userinfo adds and the ID token lacks. */
static json_t *claims_with_userinfo(const rxa_req_t *rq,
                                    const rxa_session_t *s, json_t *claims)
{
    json_t *info = rxa_userinfo_claims(rq, s, rxa_json_get_str(claims, "sub"));

    if (!info)
        return claims;
    claims = rxa_json_pool_own(rq->r->pool, json_deep_copy(claims));
    json_object_update_missing(claims, info);
    return claims;
}

static void identity_set(rxa_identity_t *who, const rxa_provider_t *p,
                         const rxa_session_t *s, json_t *claims,
                         const rxa_signin_ref_t *ref)
{
    who->session = s;
    who->provider = p;
    who->claims = claims;
    who->sub = rxa_json_get_str(claims, "sub");
    who->ref = ref;
}

/* Whether WHO, found in a cache, has been revoked since. */
static int identity_revoked(request_rec *r, const rxa_srv_conf_t *sc,
                            const rxa_identity_t *who)
{
    return who->ref
        && rxa_revocation_check(sc->revocation, who->ref, r->request_time);
}

/* P's cookies on R no longer make a session: treated as absent, and
 * cleared. */
static void session_refused(request_rec *r, const rxa_srv_conf_t *sc,
                            const rxa_provider_t *p, apr_status_t rv,
                            rxa_audit_reason_e reason, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00062: provider %s: "
                  "session cookies treated as absent and cleared: %s",
                  p->name, why);
    rxa_audit(r, RXA_AUDIT_SESSION_EXPIRED, RXA_AUDIT_FAILURE, reason,
              p->name, NULL, NULL);
    rxa_session_clear_cookies(r, sc, p);
}

/* The signed-in identity of this request, if any; cookies that fail are
 * cleared. The trust decisions are session_trust's; around them,
 * from the nearest out: this request's answer, this connection's memo,
 * this process's cache of verified cookie sets. A sign-in from either
 * cache is checked against the revocation list again. */
int rxa_identify(request_rec *r, const rxa_srv_conf_t *sc,
                 rxa_identity_t **who)
{
    rxa_request_state_t *st = rxa_request_state(r);
    rxa_identity_t *cached = st->who;
    const rxa_provider_t *refused = NULL;
    apr_int64_t now = apr_time_sec(apr_time_now());
    int i;

    if (cached) {
        *who = cached->session ? cached : NULL;
        return OK;
    }
    cached = st->who = apr_pcalloc(r->pool, sizeof(*cached));
    *who = NULL;
    if (memo_get(r, sc, now, cached)) {
        if (!identity_revoked(r, sc, cached)) {
            *who = cached;
            return OK;
        }
        refused = cached->provider;
        session_refused(r, sc, refused, APR_SUCCESS,
                        RXA_AUDIT_R_SIGNIN_REVOKED, WHY_REVOKED);
        memset(cached, 0, sizeof(*cached));
    }
    for (i = 0; i < sc->providers->nelts; i++) {
        rxa_req_t rq = { r, sc, APR_ARRAY_IDX(sc->providers, i,
                                              rxa_provider_t *), NULL };
        rxa_session_t *s;
        const rxa_session_t *hit;
        const rxa_signin_ref_t *hit_ref;
        rxa_signin_ref_t *ref;
        const char *values[RXA_CK_COUNT], *key, *why = NULL;
        apr_size_t klen;
        rxa_audit_reason_e reason = RXA_AUDIT_R_NONE;
        json_t *claims = NULL;
        int refreshed;
        apr_status_t rv;

        if (rq.p == refused
            || rxa_session_values(r, rq.p, values) == APR_NOTFOUND)
            continue;
        key = session_key(r->pool, rq.p, values, &klen);
        if (vcache
            && (rq.snap = rxa_issuer_get(rq.p->iss, apr_time_now(), r->pool))
            && rxa_vcache_get(vcache, r->pool, key, klen, rq.snap->serial, now,
                              &hit, &claims, &hit_ref, NULL)) {
            identity_set(cached, rq.p, hit, claims, hit_ref);
            if (identity_revoked(r, sc, cached)) {
                memset(cached, 0, sizeof(*cached));
                session_refused(r, sc, rq.p, APR_SUCCESS,
                                RXA_AUDIT_R_SIGNIN_REVOKED, WHY_REVOKED);
                continue;
            }
            *who = cached;
            memo_put(r, sc, rq.p, rq.snap, key, klen, now);
            return OK;
        }
        ref = apr_palloc(r->pool, sizeof(*ref));
        rv = session_trust(&rq, values, now, &s, &claims, ref, &refreshed,
                           &reason, &why);
        if (rv == APR_SUCCESS) {
            if (refreshed)
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00252: "
                              "provider %s: the sign-in begun at %"
                              APR_INT64_T_FMT " goes on with renewed tokens",
                              rq.p->name, s->started_at);
            claims = claims_with_userinfo(&rq, s, claims);
            /* Not after a refresh: these cookie bytes are the old ones,
             * and the browser gets new ones with this answer. */
            if (vcache && !refreshed)
                rxa_vcache_put(vcache, key, klen, rq.snap->serial, now,
                               vcache_until(sc, s, claims, now), s, claims,
                               ref);
            identity_set(cached, rq.p, s, claims, ref);
            cached->cookies_set = refreshed;
            *who = cached;
            return OK;
        }
        if (reason == RXA_AUDIT_R_PROVIDER_UNAVAILABLE)
            return HTTP_SERVICE_UNAVAILABLE;
        /* a revocation is no failure of ours: no status to show */
        session_refused(r, sc, rq.p,
                        reason == RXA_AUDIT_R_SIGNIN_REVOKED ? APR_SUCCESS : rv,
                        reason, why);
    }
    return OK;
}
