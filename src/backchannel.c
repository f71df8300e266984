/* OpenID Connect Back-Channel Logout at ReflexAuthBackchannelLogoutPath:
 * an IdP POSTs a logout token when a user's session there ends. The token
 * is verified like an ID token (the signature with the keys and allowed
 * algorithms of the issuer it names, which must be a provider of this
 * server), its claims follow the logout token rules (rxa_logout_token.h),
 * its jti is taken once (a replay is refused), and then every sign-in it
 * names is revoked: the sign-ins with its iss and sid, or with a sub
 * alone, every sign-in of that sub at that iss begun before its iat.
 *
 * Valid: 200 with an empty body. Anything else: 400
 * {"error":"invalid_request"} (405 for another method than POST) and no
 * effect. Neither answer may be cached. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>

#include "mod_reflex_auth.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_jws.h"
#include "rxa_logout_token.h"
#include "rxa_metadata.h"
#include "rxa_revocation.h"
#include "rxa_shcache.h"

#define INVALID_REQUEST "{\"error\":\"invalid_request\"}"
/* jtis a process remembers while the shared cache cannot be asked */
#define LOCAL_JTIS 256

static rxa_logout_seen_t *local_jtis;

void rxa_backchannel_child_init(apr_pool_t *pchild)
{
    apr_status_t rv = rxa_logout_seen_create(pchild, LOCAL_JTIS, &local_jtis);

    if (rv != APR_SUCCESS)
        ap_log_perror(APLOG_MARK, APLOG_ERR, rv, pchild, "RXA00240: the "
                      "back-channel logout's table of jtis seen cannot be "
                      "made: logout tokens are refused while the shared "
                      "cache is down");
}

static int answer(request_rec *r, int status, const char *json)
{
    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!json) {
        ap_set_content_length(r, 0);
        return DONE;
    }
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(json));
    if (!r->header_only)
        ap_rputs(json, r);
    return DONE;
}

/* A refused request: one error-log line with WHY (never the token), the
 * audit record, 400. */
static int refuse(request_rec *r, apr_status_t rv, rxa_audit_reason_e reason,
                  const rxa_provider_t *p, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, "RXA00241: back-channel "
                  "logout refused%s%s: %s", p ? " for provider " : "",
                  p ? p->name : "", why);
    rxa_audit(r, RXA_AUDIT_BACKCHANNEL_LOGOUT, RXA_AUDIT_FAILURE, reason,
              p ? p->name : NULL, NULL, NULL);
    return answer(r, HTTP_BAD_REQUEST, INVALID_REQUEST);
}

static int is_form(const request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    static const char form[] = "application/x-www-form-urlencoded";

    return ct && !strncasecmp(ct, form, sizeof(form) - 1)
           && (!ct[sizeof(form) - 1] || ct[sizeof(form) - 1] == ';'
               || ct[sizeof(form) - 1] == ' ');
}

/* The body, at most RXA_LOGOUT_BODY_MAX bytes: APR_SUCCESS, or a status
 * and *WHY. A longer body is not read on: the connection closes. */
static apr_status_t read_body(request_rec *r, char **body, apr_size_t *len,
                              const char **why)
{
    char *buf = apr_palloc(r->pool, RXA_LOGOUT_BODY_MAX + 1);
    apr_size_t n = 0;
    long got;

    *body = buf;
    *len = 0;
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        *why = "the request body cannot be read";
        return APR_EGENERAL;
    }
    if (r->remaining > RXA_LOGOUT_BODY_MAX) {
        r->connection->keepalive = AP_CONN_CLOSE;
        *why = "the request body is too long";
        return APR_ENOSPC;
    }
    if (!ap_should_client_block(r))
        return APR_SUCCESS;
    while ((got = ap_get_client_block(r, buf + n,
                                      RXA_LOGOUT_BODY_MAX + 1 - n)) > 0) {
        n += (apr_size_t)got;
        if (n > RXA_LOGOUT_BODY_MAX) {
            r->connection->keepalive = AP_CONN_CLOSE;
            *why = "the request body is too long";
            return APR_ENOSPC;
        }
    }
    if (got < 0) {
        *why = "reading the request body failed";
        return APR_EGENERAL;
    }
    *len = n;
    return APR_SUCCESS;
}

/* The provider of this server whose issuer is TOKEN's iss, whose keys
 * verify its signature and whose client it is for, and the checked claims
 * in *T. Several providers may share an issuer: the first that accepts the
 * token wins. */
static apr_status_t verify_token(request_rec *r, const rxa_srv_conf_t *sc,
                                 const char *token, const rxa_provider_t **pp,
                                 rxa_logout_token_t *t,
                                 rxa_audit_reason_e *reason, const char **why)
{
    json_t *peek = rxa_id_token_claims(r->pool, token);
    const char *iss = peek ? rxa_json_get_str(peek, "iss") : NULL;
    const char *err = NULL, *first_err = NULL;
    const rxa_provider_t *unavailable = NULL;
    apr_time_t now = apr_time_now();
    apr_status_t rv, first_rv = APR_EINVAL;
    int i;

    *pp = NULL;
    *reason = RXA_AUDIT_R_LOGOUT_TOKEN_INVALID;
    if (!iss) {
        *why = "the logout token is not a JWT with an iss";
        return APR_EINVAL;
    }
    for (i = 0; i < sc->providers->nelts; i++) {
        const rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i,
                                                const rxa_provider_t *);
        const rxa_issuer_snap_t *snap = rxa_issuer_snap_for(r, p, iss, now,
                                                            &unavailable);
        rxa_logout_expect_t expect;
        rxa_req_t rq;
        rxa_jws_t *jws;

        if (!snap)
            continue;
        rq.r = r;
        rq.sc = sc;
        rq.p = p;
        rq.snap = snap;
        rv = rxa_token_signature_verify(&rq, token, &jws, &snap, &err);
        if (rv == APR_SUCCESS) {
            expect.issuer = snap->md->issuer;
            expect.client_id = p->client_id;
            expect.now = apr_time_sec(now);
            expect.skew = apr_time_sec(sc->clock_skew);
            rv = rxa_logout_token_check(r->pool, jws->payload, &expect, t,
                                        &err);
        }
        if (rv == APR_SUCCESS) {
            *pp = p;
            return APR_SUCCESS;
        }
        if (!first_err) {
            first_err = err;
            first_rv = rv;
            *pp = p;
        }
    }
    if (first_err) {
        *why = apr_pstrcat(r->pool, "logout token: ", first_err, NULL);
        return first_rv;
    }
    if (unavailable) {
        *pp = unavailable;
        *reason = RXA_AUDIT_R_PROVIDER_UNAVAILABLE;
        *why = "the issuer of the logout token cannot be used now";
        return APR_EAGAIN;
    }
    *reason = RXA_AUDIT_R_ISSUER_MISMATCH;
    *why = "the logout token's iss is no provider's issuer on this server";
    return APR_EINVAL;
}

/* T's jti taken for the first time: APR_SUCCESS; APR_EEXIST for a replay. */
static apr_status_t claim_jti(request_rec *r, const rxa_srv_conf_t *sc,
                              const rxa_logout_token_t *t)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_uint32_t ttl = rxa_logout_jti_ttl(t, now,
                                          apr_time_sec(sc->clock_skew));
    const char *key = rxa_logout_jti_key(r->pool, t);
    apr_status_t rv = APR_ENOTIMPL;

    if (!key)
        return APR_EGENERAL;
    if (sc->cache)
        rv = rxa_shcache_claim(sc->cache, key, ttl);
    if (rv == APR_SUCCESS || rv == APR_EEXIST)
        return rv;
    /* The shared cache cannot be asked (down, or none): this process's
     * own table refuses a replay sent to it; another process or replica
     * may take the same token once more, which only revokes the same
     * sign-ins again. */
    return local_jtis ? rxa_logout_seen_claim(local_jtis, key, now, ttl)
                      : APR_EGENERAL;
}

int rxa_backchannel_logout(request_rec *r, const rxa_srv_conf_t *sc)
{
    const rxa_provider_t *p = NULL;
    rxa_audit_reason_e reason;
    rxa_logout_token_t t;
    const char *token, *why = NULL;
    char *body;
    apr_size_t len;
    apr_status_t rv;

    if (r->method_number != M_POST) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00242: back-channel "
                      "logout refused: method %s, not POST",
                      ap_escape_logitem(r->pool, r->method));
        rxa_audit(r, RXA_AUDIT_BACKCHANNEL_LOGOUT, RXA_AUDIT_FAILURE,
                  RXA_AUDIT_R_INVALID_REQUEST, NULL, NULL, NULL);
        apr_table_setn(r->headers_out, "Allow", "POST");
        return answer(r, HTTP_METHOD_NOT_ALLOWED, INVALID_REQUEST);
    }
    if (!is_form(r))
        return refuse(r, 0, RXA_AUDIT_R_INVALID_REQUEST, NULL, "the body is "
                      "not application/x-www-form-urlencoded");
    if ((rv = read_body(r, &body, &len, &why)) != APR_SUCCESS)
        return refuse(r, rv, RXA_AUDIT_R_INVALID_REQUEST, NULL, why);
    if ((rv = rxa_logout_form_parse(r->pool, body, len, &token, &why))
        != APR_SUCCESS)
        return refuse(r, rv, RXA_AUDIT_R_INVALID_REQUEST, NULL, why);
    if ((rv = verify_token(r, sc, token, &p, &t, &reason, &why))
        != APR_SUCCESS)
        return refuse(r, rv, reason, p, why);
    if (!sc->revocation)
        return refuse(r, APR_ENOTIMPL, RXA_AUDIT_R_INTERNAL_ERROR, p,
                      "this server has no revocation list");
    if ((rv = claim_jti(r, sc, &t)) == APR_EEXIST)
        return refuse(r, rv, RXA_AUDIT_R_LOGOUT_TOKEN_REPLAYED, p,
                      "the logout token's jti was seen before (a replay)");
    if (rv != APR_SUCCESS)
        return refuse(r, rv, RXA_AUDIT_R_INTERNAL_ERROR, p,
                      "the logout token's jti cannot be remembered");

    rv = t.sid ? rxa_revoke_sid(sc->revocation, t.iss, t.sid)
               : rxa_revoke_sub(sc->revocation, t.iss, t.sub, t.iat);
    if (rv != APR_SUCCESS)
        return refuse(r, rv, RXA_AUDIT_R_INTERNAL_ERROR, p,
                      "the revocation could not be recorded");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00243: back-channel "
                  "logout: provider %s, sub %s, %s", p->name,
                  t.sub ? ap_escape_logitem(r->pool, t.sub) : "unknown",
                  t.sid ? "the sign-ins of its session (sid) revoked"
                  : "every sign-in begun before the token revoked");
    rxa_audit(r, RXA_AUDIT_BACKCHANNEL_LOGOUT, RXA_AUDIT_SUCCESS,
              RXA_AUDIT_R_NONE, p->name, t.sub, NULL);
    return answer(r, HTTP_OK, NULL);
}
