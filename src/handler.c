/* The module's own endpoints: login, callback, logout, forbidden,
 * sync and back-channel logout (backchannel.c). They are served from quick_handler, on an exact match of the
 * request path, so they answer ahead of mod_proxy and of any
 * authentication configured for the same URL space. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_reflex_auth.h"
#include "rxa_claims.h"
#include "rxa_cookie.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_pkce.h"
#include "rxa_query.h"
#include "rxa_random.h"
#include "rxa_redirect.h"
#include "rxa_revocation.h"
#include "rxa_session.h"

/* --- shared pieces ---------------------------------------------------------- */

static rxa_issuer_snap_t *provider_snap(request_rec *r, const rxa_provider_t *p)
{
    return p->iss ? rxa_issuer_get(p->iss, apr_time_now(), r->pool) : NULL;
}

/* The query as a table; NULL (and a 400 page sent) when it is malformed or
 * repeats a parameter, so each name in it is there once. */
static apr_table_t *request_query(request_rec *r, int *status)
{
    apr_table_t *q = NULL;
    apr_array_header_t *repeated = NULL;
    const char *err = NULL, *dup = NULL;
    apr_status_t rv;

    if ((rv = rxa_query_parse(r->pool, r->args, &q, &repeated, &err))
        == APR_SUCCESS && repeated && repeated->nelts)
        dup = APR_ARRAY_IDX(repeated, 0, const char *);
    if (!q || err || dup) {
        const char *id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "RXA00040: [error id %s] "
                      "refused query string: %s", id,
                      dup ? apr_psprintf(r->pool, "parameter '%s' repeated",
                                         ap_escape_logitem(r->pool, dup))
                      : err);
        *status = rxa_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                                 "The request's parameters are malformed or "
                                 "repeated.", id);
        return NULL;
    }
    return q;
}

/* --- login ------------------------------------------------------------------ */

static int login_start(request_rec *r, rxa_srv_conf_t *sc,
                       rxa_provider_t *p, const char *origin,
                       const char *redirect_to)
{
    rxa_issuer_snap_t *snap = provider_snap(r, p);
    char *state, *nonce, *verifier, *challenge;
    const char *redirect_uri, *id, *location;
    rxa_login_state_t ls;
    apr_status_t rv;

    if (!snap) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00041: [error id %s] "
                      "login with provider %s: its issuer cannot be used: %s",
                      id, p->name, rxa_provider_error(r->pool, p));
        rxa_audit(r, RXA_AUDIT_LOGIN_STARTED, RXA_AUDIT_FAILURE,
                  RXA_AUDIT_R_PROVIDER_UNAVAILABLE, p->name, NULL, id);
        return rxa_page_error(r, HTTP_SERVICE_UNAVAILABLE,
                              "Sign-in is unavailable", "The identity provider "
                              "cannot be reached right now. Please try again "
                              "in a moment.", id);
    }
    if ((rv = rxa_state_create(r->pool, &state)) != APR_SUCCESS
        || (rv = rxa_nonce_create(r->pool, &nonce)) != APR_SUCCESS
        || (rv = rxa_pkce_verifier_create(r->pool, &verifier)) != APR_SUCCESS
        || (rv = rxa_pkce_challenge_s256(r->pool, verifier, &challenge))
           != APR_SUCCESS) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, rv, r, "RXA00042: [error id %s] "
                      "the random generator failed", id);
        return rxa_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Sign-in failed",
                              "Sign-in could not start.", id);
    }
    /* kept percent-encoded, up to three times the bytes sanitizing
     * allowed: bounded again, so the login-state cookie stays under the
     * 4096 bytes browsers store */
    if (strlen(redirect_to) > RXA_REDIRECT_TO_MAX)
        redirect_to = "/";
    redirect_uri = apr_pstrcat(r->pool, origin, sc->callback_path, NULL);
    ls.state = state;
    ls.nonce = nonce;
    ls.verifier = verifier;
    ls.provider = p->name;
    ls.redirect_uri = redirect_uri;
    ls.redirect_to = redirect_to;
    if ((rv = rxa_login_state_set(r, sc, &ls)) != APR_SUCCESS) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "RXA00043: [error id %s] "
                      "sealing the login state failed", id);
        return rxa_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Sign-in failed",
                              "Sign-in could not start.", id);
    }

    location = apr_pstrcat(r->pool, snap->md->authorization_endpoint,
        strchr(snap->md->authorization_endpoint, '?') ? "&" : "?",
        "response_type=code",
        "&client_id=", rxa_url_encode(r->pool, p->client_id),
        "&redirect_uri=", rxa_url_encode(r->pool, redirect_uri),
        "&scope=", rxa_url_encode(r->pool, p->scope),
        "&state=", state, "&nonce=", nonce,
        "&code_challenge=", challenge, "&code_challenge_method=S256", NULL);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "RXA00044: login with "
                  "provider %s started, redirect_uri %s", p->name,
                  redirect_uri);
    rxa_audit(r, RXA_AUDIT_LOGIN_STARTED, RXA_AUDIT_SUCCESS, RXA_AUDIT_R_NONE,
              p->name, NULL, NULL);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Location", location);
    return HTTP_MOVED_TEMPORARILY;
}

static int handle_login(request_rec *r, rxa_srv_conf_t *sc, const char *origin)
{
    apr_table_t *q;
    const char *name, *raw_to, *redirect_to;
    rxa_provider_t *p;
    int status = DONE;

    if (!(q = request_query(r, &status)))
        return status;
    raw_to = apr_table_get(q, "redirect_to");
    redirect_to = rxa_redirect_to_sanitize(r->pool, raw_to, origin, NULL);
    name = apr_table_get(q, "provider");
    /* never straight to the IdP, unless asked and unambiguous */
    if (!name && sc->login_auto_redirect == 1 && sc->providers->nelts == 1)
        return login_start(r, sc, APR_ARRAY_IDX(sc->providers, 0,
                                                rxa_provider_t *),
                           origin, redirect_to);
    if (!name)
        return rxa_page_login(r, sc, redirect_to);
    if (!(p = rxa_provider_find(sc->providers, name))) {
        const char *id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00045: [error id %s] "
                      "login asked for an unknown provider", id);
        rxa_audit(r, RXA_AUDIT_LOGIN_STARTED, RXA_AUDIT_FAILURE,
                  RXA_AUDIT_R_UNKNOWN_PROVIDER, NULL, NULL, id);
        return rxa_page_error(r, HTTP_NOT_FOUND, "Unknown provider",
                              "There is no such sign-in provider here.", id);
    }
    return login_start(r, sc, p, origin, redirect_to);
}

/* --- callback --------------------------------------------------------------- */

/* A failed sign-in: log and audit with the error id, answer with the
 * error page. */
static int callback_fail(request_rec *r, int status, const char *message,
                         apr_status_t rv, const char *why,
                         rxa_audit_reason_e reason, const char *provider)
{
    const char *id = rxa_error_id(r);

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, "RXA00050: [error id %s] "
                  "sign-in failed: %s", id, why);
    rxa_audit(r, RXA_AUDIT_LOGIN_COMPLETED, RXA_AUDIT_FAILURE, reason,
              provider, NULL, id);
    return rxa_page_error(r, status, "Sign-in failed", message, id);
}

static int handle_callback(request_rec *r, rxa_srv_conf_t *sc,
                           const char *origin)
{
    apr_table_t *q;
    const char *state, *code, *error, *iss, *why = NULL, *form;
    rxa_login_state_t *ls;
    rxa_provider_t *p;
    rxa_issuer_snap_t *snap;
    rxa_session_t s;
    struct rxa_token_response *resp;
    rxa_req_t rq;
    rxa_audit_reason_e reason = RXA_AUDIT_R_USERINFO_FAILED;
    json_t *claims;
    int status = DONE;
    apr_status_t rv;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (!(q = request_query(r, &status)))
        return status;
    state = apr_table_get(q, "state");
    code = apr_table_get(q, "code");
    error = apr_table_get(q, "error");
    iss = apr_table_get(q, "iss");
    if (!(ls = rxa_login_state_find(r, sc, state))) {
        const char *id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00051: [error id %s] "
                      "callback without a matching login state (expired, "
                      "already used, or from another browser)", id);
        rxa_audit(r, RXA_AUDIT_LOGIN_COMPLETED, RXA_AUDIT_FAILURE,
                  RXA_AUDIT_R_CSRF_STATE_MISMATCH, NULL, NULL, id);
        return rxa_page_expired(r, sc, id);
    }
    rxa_login_state_clear(r, sc, ls);
    if (!(p = rxa_provider_find(sc->providers, ls->provider))
        || !(snap = provider_snap(r, p)))
        return callback_fail(r, HTTP_SERVICE_UNAVAILABLE,
                             "The identity provider cannot be used right now.",
                             0, "the provider of this login is gone or its issuer "
                             "cannot be used", RXA_AUDIT_R_PROVIDER_UNAVAILABLE,
                             ls->provider);
    if (error) {
        const char *desc = NULL;
        desc = apr_table_get(q, "error_description");
        rxa_audit(r, RXA_AUDIT_LOGIN_COMPLETED, RXA_AUDIT_FAILURE,
                  RXA_AUDIT_R_IDP_ERROR, p->name, NULL, NULL);
        return rxa_page_idp_error(r, p, error, desc);
    }
    if (iss && !rxa_issuer_matches(snap->md->issuer, iss)
        && !(snap->md->issuer_is_template && rxa_issuer_matches(iss, snap->md->issuer)))
        return callback_fail(r, HTTP_BAD_REQUEST,
                             "The sign-in response came from an unexpected "
                             "identity provider.",
                             0, "the authorization response's iss names another "
                             "issuer (mix-up)", RXA_AUDIT_R_ISSUER_MISMATCH,
                             p->name);
    if (!code || !*code)
        return callback_fail(r, HTTP_BAD_REQUEST,
                             "The identity provider sent no authorization code.",
                             0, "no code in the callback",
                             RXA_AUDIT_R_INVALID_CALLBACK, p->name);
    form = apr_pstrcat(r->pool, "grant_type=authorization_code&code=",
                       rxa_url_encode(r->pool, code), "&redirect_uri=",
                       rxa_url_encode(r->pool, ls->redirect_uri),
                       "&code_verifier=", rxa_url_encode(r->pool, ls->verifier),
                       NULL);
    rq.r = r;
    rq.sc = sc;
    rq.p = p;
    rq.snap = snap;
    if ((rv = rxa_token_request(&rq, form, &resp, &why)) != APR_SUCCESS)
        return callback_fail(r, HTTP_BAD_GATEWAY,
                             "The identity provider did not accept the sign-in.",
                             rv, why, RXA_AUDIT_R_TOKEN_EXCHANGE_FAILED, p->name);
    if ((rv = rxa_session_from_tokens(&rq, resp, NULL, ls->nonce, &s, &claims,
                                      &why)) != APR_SUCCESS)
        return callback_fail(r, HTTP_BAD_GATEWAY,
                             "The identity provider's answer did not verify.",
                             rv, why, RXA_AUDIT_R_ID_TOKEN_INVALID, p->name);
    if ((rv = rxa_userinfo_check(&rq, s.access_token,
                                 rxa_json_get_str(claims, "sub"), &reason,
                                 &why)) != APR_SUCCESS)
        return callback_fail(r, HTTP_BAD_GATEWAY,
                             "The identity provider's answer did not verify.",
                             rv, why, reason, p->name);
    if ((rv = rxa_session_new_sid(r->pool, &s)) != APR_SUCCESS)
        return callback_fail(r, HTTP_INTERNAL_SERVER_ERROR,
                             "The sign-in could not be stored in cookies.",
                             rv, "no random sign-in id",
                             RXA_AUDIT_R_INTERNAL_ERROR, p->name);
    s.started_at = apr_time_sec(apr_time_now());
    if ((rv = rxa_session_set_cookies(r, sc, &s, &why)) == APR_ENOSPC)
        return callback_fail(r, HTTP_BAD_GATEWAY, "The identity provider's "
                             "tokens are too large to be kept in this "
                             "browser's cookies.", rv, why,
                             RXA_AUDIT_R_COOKIES_TOO_LARGE, p->name);
    if (rv != APR_SUCCESS)
        return callback_fail(r, HTTP_INTERNAL_SERVER_ERROR,
                             "The sign-in could not be stored in cookies.",
                             rv, why, RXA_AUDIT_R_INTERNAL_ERROR, p->name);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00052: sign-in completed: "
                  "provider %s, sub %s", p->name,
                  ap_escape_logitem(r->pool, rxa_json_get_str(claims, "sub")));
    rxa_audit(r, RXA_AUDIT_LOGIN_COMPLETED, RXA_AUDIT_SUCCESS, RXA_AUDIT_R_NONE,
              p->name, rxa_json_get_str(claims, "sub"), NULL);
    return rxa_page_callback(r, sc, ls->redirect_to);
}

/* --- logout, forbidden, sync ---------------------------------------------------- */

static int handle_logout(request_rec *r, rxa_srv_conf_t *sc, const char *origin)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *raw_to = NULL, *redirect_to, *location;
    rxa_session_t *s = NULL;
    rxa_issuer_snap_t *snap;
    rxa_provider_t *p;
    apr_table_t *q;
    int status = DONE, i;

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    /* another site cannot log our users out */
    if (site && !strcasecmp(site, "cross-site")) {
        apr_table_setn(r->headers_out, "Location", "/");
        return HTTP_MOVED_TEMPORARILY;
    }
    if (!(q = request_query(r, &status)))
        return status;
    raw_to = apr_table_get(q, "redirect_to");
    redirect_to = rxa_redirect_to_sanitize(r->pool, raw_to, origin, NULL);
    location = redirect_to;
    for (i = 0; i < sc->providers->nelts; i++) {
        rxa_session_t *si = NULL;
        apr_status_t rv;
        p = APR_ARRAY_IDX(sc->providers, i, rxa_provider_t *);
        if (rxa_session_read(r, sc, p, &si) == APR_NOTFOUND)
            continue;
        /* the sign-in ends everywhere, not only in this browser: a copy
         * of its cookies is refused too */
        if (si && (rv = rxa_revoke_signin(sc->revocation, si->sid))
                  != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "RXA00251: logout: "
                          "provider %s: the sign-in could not be revoked; "
                          "a copy of its cookies stays valid", p->name);
        rxa_session_clear_cookies(r, sc, p);
        if (si && !s)
            s = si;
    }
    if (s && (p = rxa_provider_find(sc->providers, s->provider))
        && (snap = provider_snap(r, p)) && snap->md->end_session_endpoint) {
        char *state = NULL;
        rxa_state_create(r->pool, &state);
        location = apr_pstrcat(r->pool, snap->md->end_session_endpoint,
            strchr(snap->md->end_session_endpoint, '?') ? "&" : "?",
            "id_token_hint=", rxa_url_encode(r->pool, s->id_token),
            "&post_logout_redirect_uri=",
            rxa_url_encode(r->pool, apr_pstrcat(r->pool, origin, redirect_to, NULL)),
            "&client_id=", rxa_url_encode(r->pool, p->client_id),
            "&state=", state ? state : "", NULL);
    }
    if (s) {
        const char *sub = rxa_id_token_sub(r->pool, s->id_token);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00053: logout: "
                      "provider %s, sub %s", s->provider,
                      sub ? ap_escape_logitem(r->pool, sub) : "unknown");
        rxa_audit(r, RXA_AUDIT_LOGOUT, RXA_AUDIT_SUCCESS, RXA_AUDIT_R_NONE,
                  s->provider, sub, NULL);
    }
    /* no end_session_endpoint: the administrator's logout page, if any */
    if (location == redirect_to && sc->pages[RXA_PAGE_LOGOUT])
        return rxa_page_logout(r, redirect_to);
    apr_table_setn(r->headers_out, "Location", location);
    return HTTP_MOVED_TEMPORARILY;
}

/* Only our own pages may call it: a cross-site request, or a POST whose
 * Origin is another origin, is refused. */
static int sync_same_origin(request_rec *r, const char *origin)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *from = apr_table_get(r->headers_in, "Origin");

    if (site && strcasecmp(site, "same-origin") && strcasecmp(site, "none"))
        return 0;
    if (r->method_number == M_POST && from && strcasecmp(from, origin))
        return 0;
    return 1;
}

static int handle_sync(request_rec *r, rxa_srv_conf_t *sc, const char *origin)
{
    rxa_identity_t *who = NULL;
    json_t *body;
    char *text;
    int status;

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (r->method_number != M_GET && r->method_number != M_POST)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!sync_same_origin(r, origin)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00054: sync refused: "
                      "cross-origin request");
        return HTTP_FORBIDDEN;
    }
    if ((status = rxa_identify(r, sc, &who)) == OK && who) {
        const char *why;
        apr_status_t rv;
        /* a refresh's cookies are set already (rxa_identify); otherwise
         * the browser's cookies fit, so a failure here leaves them */
        if (!who->cookies_set
            && (rv = rxa_session_set_cookies(r, sc, who->session, &why))
               != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, "RXA00131: sync "
                          "kept the browser's cookies: %s", why);
        body = json_pack("{s:b, s:s, s:s, s:I, s:s}", "authenticated", 1,
                         "provider", who->session->provider, "sub", who->sub,
                         "expires_at", (json_int_t)who->session->expires_at,
                         "granted_scopes", who->session->granted_scopes);
    }
    else if (status != OK) {
        /* the cookies open but their issuer cannot be used yet: that says
         * nothing about the session, so not a 401 (which signs every tab
         * out); the script tries again later */
        const char *id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00132: [error id %s] "
                      "sync cannot check the session: its provider's issuer "
                      "cannot be used now", id);
        r->status = status;
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
        body = json_pack("{s:s, s:s}", "error", "provider_unavailable",
                         "error_id", id);
    }
    else {
        r->status = HTTP_UNAUTHORIZED;
        body = json_pack("{s:b}", "authenticated", 0);
        /* the callback page's call: the cookies just set did not
         * come back; the page shows this id */
        if (r->args && !strcmp(r->args, "after=sign-in")) {
            const char *id = rxa_error_id(r);
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "RXA00130: [error "
                          "id %s] the session cookies set at sign-in did not "
                          "come back intact: the browser or a proxy refused, "
                          "dropped or altered them", id);
            json_object_set_new(body, "error_id", json_string(id));
        }
    }
    rxa_json_pool_own(r->pool, body);
    if (!(text = rxa_json_text(r->pool, body, JSON_COMPACT))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOMEM, r, "RXA00144: the "
                      "sync answer's JSON body could not be made");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    if (!r->header_only)
        ap_rputs(text, r);
    return DONE;
}

/* quick_handler: exact path matches only, before translation and auth. */
int rxa_quick_handler(request_rec *r, int lookup)
{
    rxa_srv_conf_t *sc;
    const char *path = r->parsed_uri.path, *origin;
    int status;

    if (lookup || !path || r->main)
        return DECLINED;
    sc = rxa_srv_conf(r->server);
    if (!sc->providers || !sc->keyring)
        return DECLINED;
    if (!strncmp(path, sc->sync_path, strlen(sc->sync_path))
        && !strcmp(path + strlen(sc->sync_path), ".js"))
        return rxa_sync_script(r);
    /* the IdP calls it server to server: no browser origin to check */
    if (!strcmp(path, sc->backchannel_logout_path))
        return rxa_backchannel_logout(r, sc);
    if (strcmp(path, sc->login_path) && strcmp(path, sc->callback_path)
        && strcmp(path, sc->logout_path) && strcmp(path, sc->forbidden_path)
        && strcmp(path, sc->sync_path))
        return DECLINED;
    if ((status = rxa_request_origin(r, sc, &origin)) != OK)
        return status;
    if (!strcmp(path, sc->forbidden_path)) {
        if ((status = rxa_authz_bearer_forbidden(r)) != DECLINED)
            return status;
        return rxa_page_forbidden(r, sc);
    }
    if (!strcmp(path, sc->sync_path))
        return handle_sync(r, sc, origin);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!strcmp(path, sc->login_path))
        return handle_login(r, sc, origin);
    if (!strcmp(path, sc->callback_path))
        return handle_callback(r, sc, origin);
    return handle_logout(r, sc, origin);
}
