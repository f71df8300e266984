/* Who is this request? check_authn for AuthType ReflexOIDC: the four
 * cookies opened and checked (SPEC 5, 6), REMOTE_USER, the identity headers
 * and variables (SPEC 7); the request origin (SPEC 9); and the scrubbing of
 * every incoming X-Reflex-* header. */
#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_reflex_auth.h"
#include "rxa_cookie.h"
#include "rxa_discovery.h"
#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_json.h"
#include "rxa_jws.h"
#include "rxa_origin.h"
#include "rxa_util.h"
#include "rxa_vcache.h"

/* --- the origin the browser sees ---------------------------------------------- */

static int collect_forwarded(void *data, const char *key, const char *val)
{
    APR_ARRAY_PUSH((apr_array_header_t *)data, const char *) = val;
    return 1;
}

/* SPEC 9: scheme, host and port from the connection and Host, or from
 * Forwarded / X-Forwarded-* when the TCP peer is a trusted proxy (the
 * peer itself, not what mod_remoteip made of it). */
int rxa_request_origin(request_rec *r, const rxa_srv_conf_t *sc,
                       const char **origin)
{
    apr_array_header_t *fwd = apr_array_make(r->pool, 1, sizeof(const char *));
    rxa_origin_input_t in;
    rxa_origin_t out;
    const char *err = NULL;
    apr_status_t rv;

    memset(&in, 0, sizeof(in));
    in.is_tls = !strcmp(ap_http_scheme(r), "https");
    in.host_header = apr_table_get(r->headers_in, "Host");
    in.server_name = r->server->server_hostname;
    in.local_port = r->connection->local_addr->port;
    in.trusted = sc->trusted_proxies;
    in.peer_trusted = rxa_trusted_contains(sc->trusted_proxies,
                                           r->connection->client_addr);
    if (in.peer_trusted) {
        apr_table_do(collect_forwarded, fwd, r->headers_in, "Forwarded", NULL);
        in.forwarded = (const char *const *)fwd->elts;
        in.n_forwarded = fwd->nelts;
        in.xf_proto = apr_table_get(r->headers_in, "X-Forwarded-Proto");
        in.xf_host = apr_table_get(r->headers_in, "X-Forwarded-Host");
        in.xf_port = apr_table_get(r->headers_in, "X-Forwarded-Port");
    }
    if ((rv = rxa_origin_compute(r->pool, &in, &out, &err)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00060: request "
                      "refused: %s", err);
        return HTTP_BAD_REQUEST;
    }
    if (strcmp(out.scheme, "https") && !rxa_host_is_loopback(out.host))
        return rxa_page_https_required(r);
    *origin = out.origin;
    return OK;
}

/* --- identity -------------------------------------------------------------------- */

/* Cookie sets already opened and verified in this process (issue 8): the
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

int rxa_authn_pre_connection(conn_rec *c, void *csd)
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

void rxa_authn_child_init(apr_pool_t *pchild, server_rec *s)
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

static const char *const *identity_exports(apr_pool_t *pool,
                                           const rxa_identity_t *who);

/* R's client connection: the master of an HTTP/2 stream. */
static conn_rec *memo_conn(request_rec *r)
{
    return r->connection->master ? r->connection->master : r->connection;
}

/* Whether E was made under its issuer's current snapshot. */
static int memo_snapshot_holds(request_rec *r, const memo_entry_t *e)
{
    const rxa_issuer_snap_t *snap = rxa_issuer_get(e->who.provider->iss,
                                                   apr_time_now(), r->pool);

    return snap && snap->serial == e->serial;
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
    memo_entry_t *e;
    apr_pool_t *pool;
    json_t *claims;
    apr_int64_t until;
    void *head;

    if (!m || !header || apr_atomic_inc32(&m->made) >= MEMO_MAX
        || apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS)
        return;
    if (!rxa_vcache_get(vcache, pool, key, klen, snap->serial, now, &s,
                        &claims, &until)) {
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
    e->who.exported = identity_exports(pool, &e->who);
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

/* The trust decisions for the cookie VALUES of RQ's provider, in order:
 * the cookies open (sealed by us, all of one sign-in); an access token
 * about to expire is renewed with the refresh token, and an expired one
 * without it ends the session; the ID token verifies. Renewed tokens are
 * set as this answer's cookies. APR_SUCCESS with *OUT, *CLAIMS and
 * *REFRESHED; otherwise a status, *WHY and *REASON, which is
 * provider_unavailable when the cookies open but the issuer cannot be
 * used now: that says nothing about the session. */
static apr_status_t session_trust(rxa_req_t *rq,
                                  const char *const values[RXA_CK_COUNT],
                                  apr_int64_t now, rxa_session_t **out,
                                  json_t **claims, int *refreshed,
                                  rxa_audit_reason_e *reason, const char **why)
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
        /* about to expire, or already has: refresh (SPEC 5) */
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

/* CLAIMS with what userinfo adds and the ID token lacks (SPEC 8). */
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
                         const rxa_session_t *s, json_t *claims)
{
    who->session = s;
    who->provider = p;
    who->claims = claims;
    who->sub = rxa_json_get_str(claims, "sub");
}

/* The signed-in identity of this request, if any; cookies that fail are
 * cleared (SPEC 6). The trust decisions are session_trust's; around them,
 * from the nearest out: this request's answer, this connection's memo,
 * this process's cache of verified cookie sets. */
int rxa_identify(request_rec *r, const rxa_srv_conf_t *sc,
                 rxa_identity_t **who)
{
    rxa_request_state_t *st = rxa_request_state(r);
    rxa_identity_t *cached = st->who;
    apr_int64_t now = apr_time_sec(apr_time_now());
    int i;

    if (cached) {
        *who = cached->session ? cached : NULL;
        return OK;
    }
    cached = st->who = apr_pcalloc(r->pool, sizeof(*cached));
    *who = NULL;
    if (memo_get(r, sc, now, cached)) {
        *who = cached;
        return OK;
    }
    for (i = 0; i < sc->providers->nelts; i++) {
        rxa_req_t rq = { r, sc, APR_ARRAY_IDX(sc->providers, i,
                                              rxa_provider_t *), NULL };
        rxa_session_t *s;
        const rxa_session_t *hit;
        const char *values[RXA_CK_COUNT], *key, *why = NULL;
        apr_size_t klen;
        rxa_audit_reason_e reason = RXA_AUDIT_R_NONE;
        json_t *claims = NULL;
        int refreshed;
        apr_status_t rv;

        if (rxa_session_values(r, rq.p, values) == APR_NOTFOUND)
            continue;
        key = session_key(r->pool, rq.p, values, &klen);
        if (vcache
            && (rq.snap = rxa_issuer_get(rq.p->iss, apr_time_now(), r->pool))
            && rxa_vcache_get(vcache, r->pool, key, klen, rq.snap->serial, now,
                              &hit, &claims, NULL)) {
            identity_set(cached, rq.p, hit, claims);
            *who = cached;
            memo_put(r, sc, rq.p, rq.snap, key, klen, now);
            return OK;
        }
        rv = session_trust(&rq, values, now, &s, &claims, &refreshed, &reason,
                           &why);
        if (rv == APR_SUCCESS) {
            claims = claims_with_userinfo(&rq, s, claims);
            /* Not after a refresh: these cookie bytes are the old ones,
             * and the browser gets new ones with this answer. */
            if (vcache && !refreshed)
                rxa_vcache_put(vcache, key, klen, rq.snap->serial, now,
                               vcache_until(sc, s, claims, now), s, claims);
            identity_set(cached, rq.p, s, claims);
            cached->cookies_set = refreshed;
            *who = cached;
            return OK;
        }
        if (reason == RXA_AUDIT_R_PROVIDER_UNAVAILABLE)
            return HTTP_SERVICE_UNAVAILABLE;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00062: provider %s: "
                      "session cookies treated as absent and cleared: %s",
                      rq.p->name, why);
        rxa_audit(r, RXA_AUDIT_SESSION_EXPIRED, RXA_AUDIT_FAILURE, reason,
                  rq.p->name, NULL, NULL);
        rxa_session_clear_cookies(r, sc, rq.p);
    }
    return OK;
}

/* No control characters in a header value: they would split it. */
static const char *header_safe(apr_pool_t *pool, const char *s)
{
    char *out = apr_pstrdup(pool, s), *c;

    for (c = out; *c; c++)
        if (apr_iscntrl(*c))
            *c = ' ';
    return out;
}

/* A claim as header text: strings as they are, arrays comma-joined. */
static const char *claim_text(apr_pool_t *pool, const json_t *v)
{
    const char *out = NULL;

    if (json_is_string(v))
        out = json_string_value(v);
    else if (json_is_integer(v) || json_is_boolean(v) || json_is_real(v))
        out = rxa_json_text(pool, v, JSON_ENCODE_ANY);
    else if (json_is_array(v)) {
        apr_array_header_t *parts = apr_array_make(pool, 4, sizeof(char *));
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (json_is_string(e))
                APR_ARRAY_PUSH(parts, const char *) = json_string_value(e);
        }
        out = rxa_words_join(pool, parts, ",");
    }
    return out ? header_safe(pool, out) : NULL;
}

/* What the backend learns of the user (SPEC 7): five claims, then the
 * granted scopes, in headers and variables. */
static const struct { const char *claim, *header, *env; } export_map[] = {
    { "sub", "X-Reflex-User-Sub", "REFLEX_USER_SUB" },
    { "email", "X-Reflex-User-Email", "REFLEX_USER_EMAIL" },
    { "name", "X-Reflex-User-Name", "REFLEX_USER_NAME" },
    { "picture", "X-Reflex-User-Picture", "REFLEX_USER_PICTURE" },
    { "groups", "X-Reflex-User-Groups", "REFLEX_USER_GROUPS" },
    { NULL, "X-Reflex-Granted-Scopes", "REFLEX_GRANTED_SCOPES" }
};
#define EXPORT_SUB 0
#define EXPORT_N (sizeof(export_map) / sizeof(export_map[0]))

/* The values of export_map for WHO, from POOL; NULL for a claim it lacks. */
static const char *const *identity_exports(apr_pool_t *pool,
                                           const rxa_identity_t *who)
{
    const char **v = apr_palloc(pool, sizeof(*v) * EXPORT_N);
    apr_size_t i;

    for (i = 0; i < EXPORT_N; i++)
        v[i] = export_map[i].claim
            ? claim_text(pool, json_object_get(who->claims, export_map[i].claim))
            : header_safe(pool, who->session->granted_scopes);
    return v;
}

static void identity_export(request_rec *r, const rxa_identity_t *who)
{
    /* Every X-Reflex-* header was scrubbed at post_read_request, so the
     * first pass of a request adds without looking for an old value; a
     * subrequest or an internal redirect shares or copies the headers
     * its parent already got, and replaces them. */
    void (*put)(apr_table_t *, const char *, const char *) =
        r->main || r->prev ? apr_table_setn : apr_table_addn;
    const char *const *v = who->exported ? who->exported
                                         : identity_exports(r->pool, who);
    apr_size_t i;

    for (i = 0; i < EXPORT_N; i++) {
        if (v[i]) {
            put(r->headers_in, export_map[i].header, v[i]);
            apr_table_setn(r->subprocess_env, export_map[i].env, v[i]);
        }
    }
    if (rxa_dir_conf(r)->pass_access_token == 1)
        put(r->headers_in, "X-Reflex-Access-Token",
            header_safe(r->pool, who->session->access_token));
    put(r->headers_in, "X-Reflex-Provider", who->provider->name);
    apr_table_setn(r->subprocess_env, "REFLEX_PROVIDER", who->provider->name);
}

/* SPEC 4.1: a browser navigation is sent to the login page; anything else
 * (fetch, XHR, JSON, websocket) gets a 401 it can act on. */
static int request_is_navigation(request_rec *r)
{
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");
    const char *accept;

    if (mode)
        return !strcasecmp(mode, "navigate");
    if (apr_table_get(r->headers_in, "Upgrade"))
        return 0;
    accept = apr_table_get(r->headers_in, "Accept");
    return accept && ap_strcasestr(accept, "text/html") != NULL;
}

static int provider_available(request_rec *r, const rxa_srv_conf_t *sc,
                              const char **why)
{
    apr_time_t now = apr_time_now();
    int i, up = 0;

    for (i = 0; i < sc->providers->nelts; i++) {
        rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i, rxa_provider_t *);
        if (p->iss && rxa_issuer_get(p->iss, now, r->pool))
            up++;
        else if (!*why)
            *why = apr_psprintf(r->pool, "provider %s: %s", p->name,
                                rxa_provider_error(r->pool, p));
    }
    return up;
}

static int unauthenticated(request_rec *r, const rxa_srv_conf_t *sc)
{
    /* a target longer than login would keep falls back to / there anyway;
     * encoded here it could outgrow LimitRequestLine (414, not a login) */
    const char *back = strlen(r->unparsed_uri) > RXA_REDIRECT_TO_MAX
        ? "/" : r->unparsed_uri;
    const char *login = apr_pstrcat(r->pool, sc->login_path, "?redirect_to=",
                                    rxa_url_encode(r->pool, back), NULL);
    json_t *body;
    char *text;

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (request_is_navigation(r)) {
        apr_table_setn(r->headers_out, "Location", login);
        return HTTP_MOVED_TEMPORARILY;
    }
    body = rxa_json_pool_own(r->pool, json_pack("{s:b, s:s}", "authenticated",
                                                 0, "login_url", login));
    if (!(text = rxa_json_text(r->pool, body, JSON_COMPACT))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, "RXA00143: the "
                      "401 answer's JSON body could not be made");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", RXA_AUTH_TYPE);
    r->status = HTTP_UNAUTHORIZED;
    ap_set_content_type(r, "application/json");
    if (!r->header_only)
        ap_rputs(text, r);
    return DONE;
}

/* A protected page needs only to know that the browser reached it over
 * https (SPEC 4.1, 9), not its whole origin: a TLS connection from a peer
 * that is not a trusted proxy is https whatever its Host says, and skips
 * building the origin string on every request. Anything else (plain http,
 * or a proxy that may forward another scheme) takes the full path. */
static int protected_request_secure(request_rec *r, const rxa_srv_conf_t *sc)
{
    const char *origin;

    if (!strcmp(ap_http_scheme(r), "https")
        && !rxa_trusted_contains(sc->trusted_proxies, r->connection->client_addr))
        return OK;
    return rxa_request_origin(r, sc, &origin);
}

int rxa_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why = NULL, *id;
    const char *claim, *user;
    rxa_srv_conf_t *sc;
    rxa_identity_t *who;
    int status;

    if (!type || strcasecmp(type, RXA_AUTH_TYPE))
        return DECLINED;
    sc = rxa_srv_conf(r->server);
    if (!sc->in_use || !sc->providers || !sc->keyring) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00020: [error id %s] "
                      "AuthType %s is used but mod_reflex_auth has no "
                      "provider in this server (%s)", id, RXA_AUTH_TYPE,
                      sc->config_error ? sc->config_error
                      : "no ReflexAuthProvider and no OIDC_* environment");
        return rxa_page_error(r, HTTP_INTERNAL_SERVER_ERROR,
                              "Sign-in is not configured",
                              "This site's sign-in is not configured. The "
                              "administrator can find the details in the "
                              "server's error log.", id);
    }
    if ((status = protected_request_secure(r, sc)) != OK)
        return status;
    if (!provider_available(r, sc, &why)) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00021: [error id %s] "
                      "no identity provider can be used: %s", id, why);
        return rxa_page_error(r, HTTP_SERVICE_UNAVAILABLE,
                              "Sign-in is unavailable",
                              "The identity provider cannot be reached right "
                              "now. Please try again in a moment.", id);
    }
    if ((status = rxa_identify(r, sc, &who)) != OK)
        return status;
    if (!who)
        return unauthenticated(r, sc);
    claim = rxa_dir_conf(r)->remote_user_claim;
    if (!claim)
        claim = RXA_DEFAULT_REMOTE_USER_CLAIM;
    if (who->exported && !strcmp(claim, export_map[EXPORT_SUB].claim))
        user = who->exported[EXPORT_SUB];
    else
        user = claim_text(r->pool, json_object_get(who->claims, claim));
    if (!user || !*user) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "RXA00063: [error id "
                      "%s] the signed-in user has no claim %s for "
                      "REMOTE_USER", id, claim);
        return rxa_page_error(r, HTTP_FORBIDDEN, "Forbidden", "Your account "
                              "lacks what this site needs to know who you "
                              "are.", id);
    }
    r->user = apr_pstrdup(r->pool, user);
    r->ap_auth_type = apr_pstrdup(r->pool, RXA_AUTH_TYPE);
    identity_export(r, who);
    return OK;
}

/* httpd asks the module of the AuthType to note a failed authorization;
 * ours has nothing to add (no challenge to repeat), but must say it is
 * handled. */
int rxa_note_auth_failure(request_rec *r, const char *auth_type)
{
    return strcasecmp(auth_type, RXA_AUTH_TYPE) ? DECLINED : OK;
}

/* SPEC 7: no client may speak for us. Runs for every request, protected or
 * not: X-Reflex-* in any case, and the X_Reflex_* spelling that CGI and
 * some proxies fold into the same variable. */
static int scrub_one(void *data, const char *key, const char *val)
{
    apr_array_header_t *doomed = data;

    if (!strncasecmp(key, "x-reflex-", 9) || !strncasecmp(key, "x_reflex_", 9)
        || !strncasecmp(key, "x-reflex_", 9) || !strncasecmp(key, "x_reflex-", 9))
        APR_ARRAY_PUSH(doomed, const char *) = key;
    return 1;
}

int rxa_scrub_headers(request_rec *r)
{
    apr_array_header_t *doomed = apr_array_make(r->pool, 2, sizeof(char *));
    int i;

    apr_table_do(scrub_one, doomed, r->headers_in, NULL);
    for (i = 0; i < doomed->nelts; i++)
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(doomed, i, const char *));
    return DECLINED;
}
