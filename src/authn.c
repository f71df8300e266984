/* check_authn for AuthType ReflexOIDC. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_reflex_auth.h"
#include "rxa_discovery.h"

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
        if (p->iss && rxa_issuer_get(p->iss, now))
            up++;
        else if (!*why)
            *why = apr_psprintf(r->pool, "provider %s: %s", p->name,
                                p->iss && p->iss->last_err ? p->iss->last_err
                                : "not discovered");
    }
    return up;
}

static int unauthenticated(request_rec *r, const rxa_srv_conf_t *sc)
{
    const char *login = apr_pstrcat(r->pool, sc->login_path, "?redirect_to=",
                                    ap_escape_urlencoded(r->pool, r->unparsed_uri),
                                    NULL);

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (request_is_navigation(r)) {
        apr_table_setn(r->headers_out, "Location", login);
        return HTTP_MOVED_TEMPORARILY;
    }
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", RXA_AUTH_TYPE);
    r->status = HTTP_UNAUTHORIZED;
    ap_set_content_type(r, "application/json");
    if (!r->header_only) {
        json_t *body = json_pack("{s:b, s:s}", "authenticated", 0,
                                 "login_url", login);
        char *text = json_dumps(body, JSON_COMPACT);
        ap_rputs(text, r);
        free(text);
        json_decref(body);
    }
    return DONE;
}

int rxa_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why = NULL, *id;
    rxa_srv_conf_t *sc;

    if (!type || strcasecmp(type, RXA_AUTH_TYPE))
        return DECLINED;
    sc = rxa_srv_conf(r->server);
    if (!sc->in_use || !sc->providers) {
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
    if (!provider_available(r, sc, &why)) {
        id = rxa_error_id(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00021: [error id %s] "
                      "no identity provider can be used: %s", id, why);
        return rxa_page_error(r, HTTP_SERVICE_UNAVAILABLE,
                              "Sign-in is unavailable",
                              "The identity provider cannot be reached right "
                              "now. Please try again in a moment.", id);
    }
    return unauthenticated(r, sc);
}
