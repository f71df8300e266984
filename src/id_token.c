/* The ID token: verified against the issuer's keys and the claims rules
 * when it arrives (sign-in, refresh) and whenever a session's cookies are
 * checked without a cache; read back without a check from the sealed
 * cookie that holds it. The signature check also serves the back-channel
 * logout token. */
#include <apr_strings.h>

#include "mod_reflex_auth.h"
#include "rxa_b64url.h"
#include "rxa_claims.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_jws.h"
#include "rxa_metadata.h"

/* The claims of an ID token this module sealed in a cookie itself (so it
 * was verified when stored): read without checking its signature or
 * claims again, which may have expired since. Also how the back-channel
 * logout learns which issuer's keys must verify a logout token. NULL when
 * it does not decode. */
json_t *rxa_id_token_claims(apr_pool_t *pool, const char *id_token)
{
    const char *dot1 = strchr(id_token, '.'), *dot2, *err;
    unsigned char *payload;
    apr_size_t len;

    if (!dot1 || !(dot2 = strchr(dot1 + 1, '.'))
        || rxa_b64url_decode(pool, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1),
                             &payload, &len) != APR_SUCCESS)
        return NULL;
    return rxa_json_parse_object(pool, (const char *)payload, len,
                                 RXA_JWS_MAX_LEN, &err);
}

const char *rxa_id_token_sub(apr_pool_t *pool, const char *id_token)
{
    return rxa_json_get_str(rxa_id_token_claims(pool, id_token), "sub");
}

const rxa_issuer_snap_t *rxa_issuer_snap_for(request_rec *r,
                                             const rxa_provider_t *p,
                                             const char *iss, apr_time_t now,
                                             const rxa_provider_t **unavailable)
{
    const rxa_issuer_snap_t *snap = p->iss ? rxa_issuer_get(p->iss, now,
                                                            r->pool) : NULL;

    if (!snap) {
        if (rxa_issuer_matches(p->issuer, iss))
            *unavailable = p;
        return NULL;
    }
    return strcmp(snap->md->issuer, iss) ? NULL : snap;
}

/* The signature with the issuer's keys and allowed algs; an unknown kid
 * refreshes the key set once (the IdP may have rotated its keys). */
apr_status_t rxa_token_signature_verify(const rxa_req_t *rq, const char *token,
                                        rxa_jws_t **jws,
                                        const rxa_issuer_snap_t **snap,
                                        const char **err)
{
    const rxa_issuer_snap_t *cur = rq->snap;
    apr_status_t rv;

    rv = rxa_jws_verify(rq->r->pool, token, strlen(token), cur->keys,
                        cur->algs, jws, err);
    if (rv == APR_NOTFOUND && rq->p->iss) {
        const rxa_issuer_snap_t *fresh = rxa_issuer_refresh_keys(rq->p->iss,
                                                                 apr_time_now(),
                                                                 rq->r->pool);
        if (fresh && fresh->serial != cur->serial) {
            cur = fresh;
            rv = rxa_jws_verify(rq->r->pool, token, strlen(token), cur->keys,
                                cur->algs, jws, err);
        }
    }
    *snap = cur;
    return rv;
}

/* The signature (rxa_token_signature_verify), then the claims: issuer,
 * audience, times, NONCE and at_hash when given. */
apr_status_t rxa_id_token_verify(const rxa_req_t *rq, const char *id_token,
                                 const char *nonce, const char *access_token,
                                 json_t **claims, const char **why)
{
    request_rec *r = rq->r;
    const rxa_provider_t *p = rq->p;
    const rxa_issuer_snap_t *snap = rq->snap;
    rxa_claims_expect_t expect;
    rxa_jws_t *jws;
    const char *err = NULL;
    apr_status_t rv;

    rv = rxa_token_signature_verify(rq, id_token, &jws, &snap, &err);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(r->pool, "ID token: %s", err);
        return rv;
    }
    memset(&expect, 0, sizeof(expect));
    expect.issuer = snap->md->issuer;
    expect.tenants = p->tenants;
    expect.client_id = p->client_id;
    expect.now = apr_time_sec(apr_time_now());
    expect.skew = apr_time_sec(rq->sc->clock_skew);
    expect.nonce = nonce;
    expect.access_token = access_token;
    expect.access_token_len = access_token ? strlen(access_token) : 0;
    expect.alg = jws->alg;
    if (rxa_claims_check(r->pool, jws->payload, &expect, &err) != RXA_CLAIMS_OK) {
        *why = apr_psprintf(r->pool, "ID token: %s", err);
        return APR_EINVAL;
    }
    *claims = jws->payload;
    return APR_SUCCESS;
}
