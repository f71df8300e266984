/* Bearer tokens for APIs (ReflexAuthBearer): a request's
 * `Authorization: Bearer` JWT access token verified with the keys of the
 * provider whose issuer is its iss, its claims checked against the
 * location's ReflexAuthBearerAudience; or the RFC 6750 answer: 401 with a
 * Bearer challenge, 400 for a malformed or repeated Authorization header.
 * Never a cookie, never a redirect; a token in the query string or a form
 * body is never read. An opaque token is not accepted (invalid_token).
 *
 * A token verified once is remembered in a per-process cache under its
 * provider and the SHA-256 of its bytes until it expires, or until the
 * provider's keys change: a repeated token costs a hash and the claims
 * checks (time and audience, which differ by location), not a parse or a
 * signature check. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <openssl/evp.h>

#include "mod_reflex_auth.h"
#include "rxa_b64url.h"
#include "rxa_bearer.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_jws.h"
#include "rxa_util.h"
#include "rxa_vcache.h"

#define TOKEN_CACHE_ENTRIES 1024

static rxa_vcache_t *verified;

void rxa_bearer_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = rxa_vcache_create(pchild, TOKEN_CACHE_ENTRIES,
                                        &verified);

    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "RXA00312: no cache "
                     "of verified bearer tokens in this process; every "
                     "token is verified in full");
}

/* --- the configuration test ------------------------------------------- */

/* Whether section I of SECS has bearer tokens on but no audience, in it
 * or in a section of the same kind whose path encloses its own. */
static int section_lacks_audience(apr_array_header_t *secs, int i)
{
    ap_conf_vector_t *sec = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
    const rxa_dir_conf_t *dc = ap_get_module_config(sec, &reflex_auth_module);
    const core_dir_config *cd = ap_get_core_module_config(sec), *od;
    const rxa_dir_conf_t *other;
    int j;

    if (!dc || dc->bearer <= RXA_BEARER_OFF || dc->bearer_audiences)
        return 0;
    for (j = 0; cd->d && j < secs->nelts; j++) {
        sec = APR_ARRAY_IDX(secs, j, ap_conf_vector_t *);
        other = ap_get_module_config(sec, &reflex_auth_module);
        od = ap_get_core_module_config(sec);
        if (j != i && other && other->bearer_audiences && od->d && !od->r
            && !strncmp(cd->d, od->d, strlen(od->d)))
            return 0;
    }
    return 1;
}

/* check_config: every <Directory> and <Location> with bearer tokens on
 * has their audience, so that `apachectl -t` fails otherwise (an
 * .htaccess, or a section the test cannot place, fails at request time:
 * a 500 there). */
int rxa_bearer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    server_rec *sv;

    for (sv = s; sv; sv = sv->next) {
        core_server_config *core = ap_get_core_module_config(sv->module_config);
        apr_array_header_t *kinds[2] = { core->sec_dir, core->sec_url };
        int k, i;

        for (k = 0; k < 2; k++) {
            for (i = 0; kinds[k] && i < kinds[k]->nelts; i++) {
                const core_dir_config *cd = ap_get_core_module_config(
                    APR_ARRAY_IDX(kinds[k], i, ap_conf_vector_t *));
                if (!section_lacks_audience(kinds[k], i))
                    continue;
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, sv,
                             "RXA00313: <%s %s>: ReflexAuthBearer On or Only "
                             "needs ReflexAuthBearerAudience there or in an "
                             "enclosing section", k ? "Location" : "Directory",
                             cd->d ? cd->d : "(regex)");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

/* --- answers ---------------------------------------------------------- */

/* RFC 6750 3: error_description holds %x20-21 / %x23-5B / %x5D-7E. */
static const char *quotable(apr_pool_t *pool, const char *s)
{
    char *out = apr_pstrdup(pool, s), *c;

    for (c = out; *c; c++)
        if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
            *c = ' ';
    return out;
}

int rxa_bearer_answer(request_rec *r, int status, const char *error,
                      const char *description, const char *scope)
{
    const char *challenge = apr_psprintf(r->pool, "Bearer realm=\"%s\"",
                                         quotable(r->pool,
                                                  ap_get_server_name(r)));
    json_t *body;
    char *text;

    if (error)
        challenge = apr_psprintf(r->pool, "%s, error=\"%s\"", challenge,
                                 error);
    if (description)
        challenge = apr_psprintf(r->pool, "%s, error_description=\"%s\"",
                                 challenge, quotable(r->pool, description));
    if (scope)
        challenge = apr_psprintf(r->pool, "%s, scope=\"%s\"", challenge,
                                 quotable(r->pool, scope));
    body = error ? json_pack("{s:s, s:s*}", "error", error,
                             "error_description", description)
                 : json_pack("{s:b}", "authenticated", 0);
    text = rxa_json_text(r->pool, rxa_json_pool_own(r->pool, body),
                         JSON_COMPACT);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", challenge);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    r->status = status;
    ap_set_content_type(r, "application/json");
    if (text && !r->header_only)
        ap_rputs(text, r);
    return DONE;
}

/* --- verification ----------------------------------------------------- */

/* Why a token was refused: the audit reason, the check that failed (for
 * the audit record), and what the client is told. */
typedef struct refusal {
    rxa_audit_reason_e reason;
    const char *check;
    const char *description;
    const char *log;            /* tagged, for the error log */
    const rxa_provider_t *p;
    const char *issuer, *client_id;
    int unavailable;            /* the issuer cannot be used now: 503 */
} refusal_t;

static const char *claims_description(rxa_bearer_err_t err)
{
    switch (err) {
    case RXA_BEARER_EXP:
        return "The access token expired";
    case RXA_BEARER_AUD:
        return "The access token is not meant for this resource";
    case RXA_BEARER_ISS:
        return "The access token's issuer is not trusted here";
    case RXA_BEARER_NBF:
    case RXA_BEARER_IAT:
        return "The access token is not valid yet";
    default:
        return "The access token is invalid";
    }
}

/* The JOSE header and the payload of TOKEN, not verified: what finds the
 * provider, and what the claims checks read once a cached signature check
 * vouches for these very bytes. */
static apr_status_t token_parts(apr_pool_t *pool, const char *token,
                                json_t **header, json_t **payload)
{
    const char *dot1 = strchr(token, '.'), *err;
    unsigned char *raw;
    apr_size_t len;

    if (!dot1 || rxa_b64url_decode(pool, token, (apr_size_t)(dot1 - token),
                                   &raw, &len) != APR_SUCCESS
        || !(*header = rxa_json_parse_object(pool, (const char *)raw, len,
                                             RXA_JWS_MAX_HEADER, &err))
        || !(*payload = rxa_id_token_claims(pool, token)))
        return APR_EINVAL;
    return APR_SUCCESS;
}

/* The SHA-256 of the token's bytes, what its cache keys are made of. */
static apr_status_t token_digest(const char *token, unsigned char *md,
                                 unsigned int *mdlen)
{
    return EVP_Digest(token, strlen(token), md, mdlen, EVP_sha256(), NULL)
        ? APR_SUCCESS : APR_EGENERAL;
}

/* The cache key of a token verified by P: its name, then the digest (two
 * providers of one issuer keep apart entries, each tagged with its own
 * issuer's serial). */
static const char *token_key(apr_pool_t *pool, const rxa_provider_t *p,
                             const unsigned char *md, unsigned int mdlen,
                             apr_size_t *klen)
{
    apr_size_t n = strlen(p->name);
    char *key = apr_palloc(pool, n + 1 + mdlen);

    memcpy(key, p->name, n);
    key[n] = '\n';
    memcpy(key + n + 1, md, mdlen);
    *klen = n + 1 + mdlen;
    return key;
}

static rxa_bearer_err_t claims_check(request_rec *r, const rxa_srv_conf_t *sc,
                                     const rxa_provider_t *p,
                                     const char *issuer, json_t *header,
                                     json_t *payload,
                                     rxa_bearer_claims_t **out,
                                     refusal_t *no)
{
    rxa_bearer_expect_t expect;
    rxa_bearer_err_t err;
    const char *why = NULL;

    memset(&expect, 0, sizeof(expect));
    expect.issuer = issuer;
    expect.tenants = p->tenants;
    expect.audiences = rxa_dir_conf(r)->bearer_audiences;
    expect.now = apr_time_sec(apr_time_now());
    expect.skew = apr_time_sec(sc->clock_skew);
    err = rxa_bearer_jwt_check(r->pool, header, payload, &expect, out, &why);
    if (err != RXA_BEARER_OK) {
        no->reason = err == RXA_BEARER_EXP ? RXA_AUDIT_R_BEARER_EXPIRED
                                           : RXA_AUDIT_R_BEARER_CLAIMS_INVALID;
        no->check = rxa_bearer_err_name(err);
        no->description = claims_description(err);
        no->log = why;
    }
    return err;
}

/* What a refusal names of the token: its issuer and client. */
static void refusal_names(refusal_t *no, const json_t *payload)
{
    no->issuer = rxa_json_get_str(payload, "iss");
    no->client_id = rxa_json_get_str(payload, "client_id");
    if (!no->client_id)
        no->client_id = rxa_json_get_str(payload, "azp");
}

/* The token's identity for P: WHO filled in. */
static void identity_of(rxa_identity_t *who, const rxa_provider_t *p,
                        rxa_bearer_claims_t *claims, json_t *payload)
{
    who->provider = p;
    who->bearer = claims;
    who->claims = payload;
    who->sub = claims->sub;
}

/* The token as P verified it before with the keys it has now: 1 and
 * *HEADER and *PAYLOAD (read only), else 0. What makes a repeated token
 * cost a hash and the claims checks, not a signature check. */
static int token_cached(request_rec *r, const rxa_provider_t *p,
                        const char *key, apr_size_t klen, json_t **header,
                        json_t **payload)
{
    apr_time_t now = apr_time_now();
    apr_uint64_t serial = p->iss ? rxa_issuer_serial(p->iss, now, r->pool)
                                 : 0;
    const rxa_session_t *none;
    json_t *cached;

    if (!verified || !serial
        || !rxa_vcache_get(verified, r->pool, key, klen, serial,
                           apr_time_sec(now), &none, &cached, NULL, NULL))
        return 0;
    *header = json_object_get(cached, "header");
    *payload = json_object_get(cached, "payload");
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "RXA00314: bearer token "
                  "of provider %s: verified before", p->name);
    return *header && *payload;
}

/* TOKEN verified with provider P's keys, then its claims checked:
 * APR_SUCCESS and *OUT (and the token kept under KEY), or the status and
 * *NO. */
static apr_status_t verify_with(request_rec *r, const rxa_srv_conf_t *sc,
                                const rxa_provider_t *p,
                                const rxa_issuer_snap_t *snap,
                                const char *token, const char *key,
                                apr_size_t klen, rxa_bearer_claims_t **out,
                                refusal_t *no)
{
    rxa_req_t rq = { r, sc, p, snap };
    rxa_session_t none;
    const char *why = NULL;
    rxa_jws_t *jws;
    json_t *kept;
    apr_status_t rv;

    rv = rxa_token_signature_verify(&rq, token, &jws, &snap, &why);
    if (rv != APR_SUCCESS) {
        no->reason = RXA_AUDIT_R_BEARER_SIGNATURE_INVALID;
        no->check = "signature";
        no->description = "The access token's signature does not verify";
        no->log = why;
        return rv;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00315: bearer token of "
                  "provider %s: signature verified", p->name);
    if (claims_check(r, sc, p, snap->md->issuer, jws->header, jws->payload,
                     out, no) != RXA_BEARER_OK)
        return APR_EINVAL;
    kept = rxa_json_pool_own(r->pool, json_pack("{s:O, s:O}", "header",
                                                 jws->header, "payload",
                                                 jws->payload));
    if (verified && kept) {
        memset(&none, 0, sizeof(none));
        rxa_vcache_put(verified, key, klen, snap->serial,
                       apr_time_sec(apr_time_now()),
                       (*out)->exp + apr_time_sec(sc->clock_skew), &none,
                       kept, NULL);
    }
    return APR_SUCCESS;
}

/* The provider whose issuer is the token's iss verifies it. Several
 * providers may share an issuer: the first that accepts the token wins. */
static apr_status_t token_verify(request_rec *r, const rxa_srv_conf_t *sc,
                                 const char *token, rxa_identity_t *who,
                                 refusal_t *no)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen;
    const char **keys;
    apr_size_t *klens;
    json_t *header, *payload;
    const rxa_provider_t *unavailable = NULL;
    rxa_bearer_claims_t *claims;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    refusal_t first;
    int i, tried = 0, n = sc->providers->nelts;

    no->reason = RXA_AUDIT_R_BEARER_MALFORMED;
    no->check = "malformed";
    no->description = "The access token is invalid";
    if ((rv = token_digest(token, md, &mdlen)) != APR_SUCCESS) {
        no->reason = RXA_AUDIT_R_INTERNAL_ERROR;
        no->log = "the token cannot be hashed";
        return rv;
    }
    keys = apr_palloc(r->pool, sizeof(*keys) * n);
    klens = apr_palloc(r->pool, sizeof(*klens) * n);
    for (i = 0; i < n; i++) {
        const rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i,
                                                const rxa_provider_t *);
        keys[i] = token_key(r->pool, p, md, mdlen, &klens[i]);
        if (!token_cached(r, p, keys[i], klens[i], &header, &payload))
            continue;
        refusal_names(no, payload);
        no->p = p;
        if (claims_check(r, sc, p, no->issuer, header, payload, &claims, no)
            != RXA_BEARER_OK)
            return APR_EINVAL;
        identity_of(who, p, claims, payload);
        return APR_SUCCESS;
    }
    if (!rxa_bearer_is_jwt(r->pool, token)
        || token_parts(r->pool, token, &header, &payload) != APR_SUCCESS) {
        no->log = "not a JWT (an opaque token is not accepted here)";
        return APR_EINVAL;
    }
    refusal_names(no, payload);
    if (!no->issuer) {
        no->log = "the token has no iss";
        return APR_EINVAL;
    }
    for (i = 0; i < n; i++) {
        const rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i,
                                                const rxa_provider_t *);
        const rxa_issuer_snap_t *snap = rxa_issuer_snap_for(r, p, no->issuer,
                                                            now, &unavailable);

        if (!snap)
            continue;
        no->p = p;
        rv = verify_with(r, sc, p, snap, token, keys[i], klens[i], &claims,
                         no);
        if (rv == APR_SUCCESS) {
            identity_of(who, p, claims, payload);
            return APR_SUCCESS;
        }
        if (!tried++)
            first = *no;
    }
    if (tried) {
        *no = first;
        return APR_EINVAL;
    }
    no->p = unavailable;
    if (unavailable) {
        no->reason = RXA_AUDIT_R_PROVIDER_UNAVAILABLE;
        no->unavailable = 1;
        no->log = "the token's issuer cannot be used now";
        return APR_EAGAIN;
    }
    no->reason = RXA_AUDIT_R_ISSUER_MISMATCH;
    no->check = "iss";
    no->description = claims_description(RXA_BEARER_ISS);
    no->log = "the token's iss is no provider's issuer on this server";
    return APR_EINVAL;
}

/* The audit record of a refusal: why, the issuer and client the token
 * names (never the token). */
static void audit_refusal(request_rec *r, const refusal_t *no)
{
    rxa_audit_event_t ev;

    memset(&ev, 0, sizeof(ev));
    ev.event = RXA_AUDIT_BEARER_REFUSED;
    ev.outcome = RXA_AUDIT_FAILURE;
    ev.reason = no->reason;
    ev.provider = no->p ? no->p->name : NULL;
    ev.field[RXA_AUDIT_F_ISSUER] = no->issuer;
    ev.field[RXA_AUDIT_F_CLIENT_ID] = no->client_id;
    ev.field[RXA_AUDIT_F_CHECK] = no->check;
    rxa_audit_event(r, &ev);
}

static int refuse(request_rec *r, apr_status_t rv, const refusal_t *no)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00316: bearer token "
                  "refused%s%s: %s", no->p ? " for provider " : "",
                  no->p ? no->p->name : "", no->log);
    audit_refusal(r, no);
    if (no->unavailable) {
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        r->status = HTTP_SERVICE_UNAVAILABLE;
        ap_set_content_type(r, "application/json");
        if (!r->header_only)
            ap_rputs("{\"error\":\"temporarily_unavailable\"}", r);
        return DONE;
    }
    return rxa_bearer_answer(r, HTTP_UNAUTHORIZED, "invalid_token",
                             no->description, NULL);
}

static int collect(void *data, const char *key, const char *val)
{
    APR_ARRAY_PUSH((apr_array_header_t *)data, const char *) = val;
    return 1;
}

int rxa_bearer_authn(request_rec *r, const rxa_srv_conf_t *sc,
                     rxa_identity_t **who)
{
    const rxa_dir_conf_t *dc = rxa_dir_conf(r);
    apr_array_header_t *values;
    const char *token, *reason = NULL;
    rxa_identity_t *id;
    refusal_t no;
    apr_status_t rv;

    if (dc->bearer <= RXA_BEARER_OFF)
        return DECLINED;
    if (!dc->bearer_audiences) {
        const char *eid = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00317: [error id %s] "
                      "ReflexAuthBearer is on here but no "
                      "ReflexAuthBearerAudience applies", eid);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    values = apr_array_make(r->pool, 1, sizeof(char *));
    apr_table_do(collect, values, r->headers_in, "Authorization", NULL);
    switch (rxa_bearer_from_headers(r->pool, values, &token, &reason)) {
    case RXA_BEARER_HEADER_NONE:
        if (dc->bearer != RXA_BEARER_ONLY)
            return DECLINED;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00318: no bearer "
                      "token where one is required");
        return rxa_bearer_answer(r, HTTP_UNAUTHORIZED, NULL, NULL, NULL);
    case RXA_BEARER_HEADER_TWO:
    case RXA_BEARER_HEADER_MALFORMED:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00319: bearer "
                      "request refused: %s", reason ? reason : "malformed");
        memset(&no, 0, sizeof(no));
        no.reason = RXA_AUDIT_R_BEARER_MALFORMED;
        no.check = "header";
        audit_refusal(r, &no);
        return rxa_bearer_answer(r, HTTP_BAD_REQUEST, "invalid_request",
                                 "The Authorization header is malformed or "
                                 "repeated", NULL);
    case RXA_BEARER_HEADER_TOKEN:
        break;
    }
    id = apr_pcalloc(r->pool, sizeof(*id));
    memset(&no, 0, sizeof(no));
    if ((rv = token_verify(r, sc, token, id, &no)) != APR_SUCCESS)
        return refuse(r, rv, &no);
    *who = id;
    return OK;
}
