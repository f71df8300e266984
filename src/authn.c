/* check_authn for AuthType ReflexOIDC: the signed-in user (identity.c)
 * becomes REMOTE_USER and the identity headers and variables, or the
 * request is sent to sign in (or, under ReflexAuthOptional, served
 * anonymously); and the scrubbing of every incoming X-Reflex-* header, so
 * that only the module speaks with that voice. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_reflex_auth.h"
#include "rxa_bearer.h"
#include "rxa_forwarded.h"
#include "rxa_issuer.h"
#include "rxa_json.h"
#include "rxa_query.h"
#include "rxa_redirect.h"
#include "rxa_util.h"

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

/* What the backend learns of the user: five claims, then the
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

const char *const *rxa_identity_exports(apr_pool_t *pool,
                                        const rxa_identity_t *who)
{
    const char **v = apr_palloc(pool, sizeof(*v) * EXPORT_N);
    apr_size_t i;

    for (i = 0; i < EXPORT_N; i++)
        v[i] = export_map[i].claim
            ? claim_text(pool, json_object_get(who->claims, export_map[i].claim))
            : who->session ? header_safe(pool, who->session->granted_scopes)
            : NULL;
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
                                         : rxa_identity_exports(r->pool, who);
    apr_size_t i;

    for (i = 0; i < EXPORT_N; i++) {
        if (v[i]) {
            put(r->headers_in, export_map[i].header, v[i]);
            apr_table_setn(r->subprocess_env, export_map[i].env, v[i]);
        }
    }
    if (who->session && rxa_dir_conf(r)->pass_access_token == 1)
        put(r->headers_in, "X-Reflex-Access-Token",
            header_safe(r->pool, who->session->access_token));
    if (who->bearer) {
        const char *scopes = rxa_words_join(r->pool, who->bearer->scopes, " ");
        put(r->headers_in, "X-Reflex-Token-Scopes", scopes);
        apr_table_setn(r->subprocess_env, "REFLEX_TOKEN_SCOPES", scopes);
        if (who->bearer->client_id) {
            const char *client = header_safe(r->pool, who->bearer->client_id);
            put(r->headers_in, "X-Reflex-Client-Id", client);
            apr_table_setn(r->subprocess_env, "REFLEX_CLIENT_ID", client);
        }
    }
    put(r->headers_in, "X-Reflex-Provider", who->provider->name);
    apr_table_setn(r->subprocess_env, "REFLEX_PROVIDER", who->provider->name);
}

/* A browser navigation is sent to the login page; anything else
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
        if (p->iss && rxa_issuer_serial(p->iss, now, r->pool))
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

/* Whether R may be served with nobody signed in: ReflexAuthOptional On,
 * and no Require reflex-* line asked for a user (authz.c notes that in the
 * pass httpd makes before authentication). */
static int anonymous_allowed(request_rec *r)
{
    const rxa_request_state_t *st = ap_get_module_config(r->request_config,
                                                         &reflex_auth_module);

    return rxa_dir_conf(r)->optional == 1 && !(st && st->needs_user);
}

/* After check_authn says OK, httpd needs a user (none is a 500), and
 * Require valid-user grants any: the empty name stands in for nobody
 * until the fixups (rxa_anonymous_fixups). No identity headers or
 * variables: the incoming ones were scrubbed at post_read_request. */
static int anonymous(request_rec *r)
{
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "RXA00270: nobody signed "
                  "in; served anonymously (ReflexAuthOptional)");
    r->user = apr_pstrdup(r->pool, "");
    return OK;
}

/* The handler, CGI's REMOTE_USER, mod_proxy and the access log see no user
 * on an anonymous request. A signed-in user's name is never empty
 * (check_authn refuses one), and a subrequest or internal redirect that
 * copied its parent's empty name is anonymous too. */
int rxa_anonymous_fixups(request_rec *r)
{
    const char *type;

    if (r->user && !*r->user && (type = ap_auth_type(r))
        && !strcasecmp(type, RXA_AUTH_TYPE))
        r->user = NULL;
    return DECLINED;
}

static int provider_unavailable(request_rec *r, const char *why)
{
    const char *id = rxa_error_id(r);

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "RXA00021: [error id %s] "
                  "no identity provider can be used: %s", id, why);
    return rxa_page_error(r, HTTP_SERVICE_UNAVAILABLE, "Sign-in is unavailable",
                          "The identity provider cannot be reached right "
                          "now. Please try again in a moment.", id);
}

/* A protected page needs only to know that the browser reached it over
 * https (plain http only on loopback names), not its whole origin: a TLS connection from a peer
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

/* WHO becomes R's user: REMOTE_USER from ReflexAuthRemoteUserClaim, the
 * identity headers and variables; a cookie sign-in's websocket ends with
 * it (a bearer token has no sign-in to end). */
static int identity_accept(request_rec *r, const rxa_srv_conf_t *sc,
                           rxa_identity_t *who)
{
    const char *claim = rxa_dir_conf(r)->remote_user_claim, *user, *id;

    if (!claim)
        claim = RXA_DEFAULT_REMOTE_USER_CLAIM;
    if (who->exported && !strcmp(claim, export_map[EXPORT_SUB].claim))
        user = who->exported[EXPORT_SUB];
    else
        user = claim_text(r->pool, json_object_get(who->claims, claim));
    if ((!user || !*user) && who->bearer) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00320: bearer token "
                      "refused: it has no claim %s for REMOTE_USER", claim);
        return rxa_bearer_answer(r, HTTP_UNAUTHORIZED, "invalid_token",
                                 "The access token does not name a user",
                                 NULL);
    }
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
    if (who->session)
        rxa_websocket_watch(r, sc, who);
    return OK;
}

int rxa_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *why = NULL, *id;
    rxa_srv_conf_t *sc;
    rxa_identity_t *who;
    int status, up;

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
    /* a bearer token alone decides; no cookie is read or cleared */
    if ((status = rxa_bearer_authn(r, sc, &who)) != DECLINED) {
        if (status != OK)
            return status;
        rxa_request_state(r)->who = who;
        return identity_accept(r, sc, who);
    }
    /* Public pages stay up while the IdP is down: without cookies, or
     * with cookies that do not open, an optional request needs no IdP. */
    up = provider_available(r, sc, &why);
    if (!up && !anonymous_allowed(r))
        return provider_unavailable(r, why);
    if ((status = rxa_identify(r, sc, &who)) != OK)
        return up ? status : provider_unavailable(r, why);
    if (!who)
        return anonymous_allowed(r) ? anonymous(r) : unauthenticated(r, sc);
    return identity_accept(r, sc, who);
}

/* httpd asks the module of the AuthType to note a failed authorization;
 * ours has nothing to add (no challenge to repeat), but must say it is
 * handled. */
int rxa_note_auth_failure(request_rec *r, const char *auth_type)
{
    return strcasecmp(auth_type, RXA_AUTH_TYPE) ? DECLINED : OK;
}

/* No client may speak for us: every incoming X-Reflex-* header is removed,
 * on every request, protected or not, in any case and in the X_Reflex_*
 * spelling that CGI and some proxies fold into the same variable. */
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
