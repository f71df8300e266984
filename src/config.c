/* Directives and per-server configuration. */
#include <stddef.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_forwarded.h"
#include "rxa_shcache.h"

void *rxa_srv_conf_create(apr_pool_t *p, server_rec *s)
{
    rxa_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->http_timeout = -1;
    sc->clock_skew = -1;
    sc->login_auto_redirect = -1;
    return sc;
}

#define RXA_MERGE_PTR(field) \
    (conf->field = add->field ? add->field : base->field)

void *rxa_srv_conf_merge(apr_pool_t *p, void *basev, void *addv)
{
    const rxa_srv_conf_t *base = basev, *add = addv;
    rxa_srv_conf_t *conf = apr_pcalloc(p, sizeof(*conf));
    int i;

    RXA_MERGE_PTR(provider_specs);
    RXA_MERGE_PTR(extra_scopes);
    RXA_MERGE_PTR(cookie_secrets);
    RXA_MERGE_PTR(login_path);
    RXA_MERGE_PTR(callback_path);
    RXA_MERGE_PTR(logout_path);
    RXA_MERGE_PTR(forbidden_path);
    RXA_MERGE_PTR(sync_path);
    RXA_MERGE_PTR(backchannel_logout_path);
    RXA_MERGE_PTR(ca_file);
    conf->http_timeout = add->http_timeout >= 0 ? add->http_timeout
                                                : base->http_timeout;
    conf->clock_skew = add->clock_skew >= 0 ? add->clock_skew
                                            : base->clock_skew;
    RXA_MERGE_PTR(audit_log);
    RXA_MERGE_PTR(shared_cache_spec);
    RXA_MERGE_PTR(trusted_proxies);
    for (i = 0; i < RXA_PAGE_NKINDS; i++)
        RXA_MERGE_PTR(pages[i]);
    conf->login_auto_redirect = add->login_auto_redirect >= 0
        ? add->login_auto_redirect : base->login_auto_redirect;
    return conf;
}

void *rxa_dir_conf_create(apr_pool_t *p, char *dir)
{
    rxa_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->pass_access_token = -1;
    dc->optional = -1;
    dc->bearer = -1;
    return dc;
}

void *rxa_dir_conf_merge(apr_pool_t *p, void *basev, void *addv)
{
    const rxa_dir_conf_t *base = basev, *add = addv;
    rxa_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    RXA_MERGE_PTR(remote_user_claim);
    conf->pass_access_token = add->pass_access_token >= 0
        ? add->pass_access_token : base->pass_access_token;
    conf->optional = add->optional >= 0 ? add->optional : base->optional;
    conf->bearer = add->bearer >= 0 ? add->bearer : base->bearer;
    RXA_MERGE_PTR(bearer_audiences);
    return conf;
}

const rxa_dir_conf_t *rxa_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &reflex_auth_module);
}

rxa_srv_conf_t *rxa_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &reflex_auth_module);
}

/* httpd's process environment at start-up: where OIDC_* are read. */
const char *rxa_process_getenv(const void *baton, const char *name)
{
    return getenv(name);
}

/* The one place defaults are applied, after merging. */
void rxa_config_finalize(apr_pool_t *p, server_rec *s)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(s);
    const char *env_secret = getenv("OIDC_COOKIE_SECRET");

    if (!sc->login_path)
        sc->login_path = RXA_DEFAULT_LOGIN_PATH;
    if (!sc->callback_path)
        sc->callback_path = RXA_DEFAULT_CALLBACK_PATH;
    if (!sc->logout_path)
        sc->logout_path = RXA_DEFAULT_LOGOUT_PATH;
    if (!sc->forbidden_path)
        sc->forbidden_path = RXA_DEFAULT_FORBIDDEN_PATH;
    if (!sc->sync_path)
        sc->sync_path = RXA_DEFAULT_SYNC_PATH;
    if (!sc->backchannel_logout_path)
        sc->backchannel_logout_path = RXA_DEFAULT_BACKCHANNEL_LOGOUT_PATH;
    if (sc->http_timeout < 0)
        sc->http_timeout = RXA_DEFAULT_HTTP_TIMEOUT;
    if (sc->clock_skew < 0)
        sc->clock_skew = RXA_DEFAULT_CLOCK_SKEW;
    if (sc->login_auto_redirect < 0)
        sc->login_auto_redirect = 0;
    if (!sc->shared_cache_spec)
        rxa_shcache_spec_parse(p, "shm", &sc->shared_cache_spec);
    if (!sc->cookie_secrets && env_secret && *env_secret) {
        sc->cookie_secrets = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(sc->cookie_secrets, const char *) =
            apr_pstrdup(p, env_secret);
    }
    /* Only a provider makes a server need one: a server with none (a2enmod
     * alone, or the main server of vhosts that declare their own, with the
     * cookie secret in httpd's environment) starts, and its AuthType
     * ReflexOIDC locations answer 500. */
    sc->in_use = sc->provider_specs
        || rxa_providers_env_present(rxa_process_getenv, NULL);
}

/* --- directive handlers ------------------------------------------------- */

static const char *set_provider(cmd_parms *cmd, void *dc, const char *args)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    rxa_provider_spec_t *spec = apr_pcalloc(cmd->pool, sizeof(*spec));
    const char *err;

    if ((err = rxa_provider_spec_parse(cmd->pool, spec, args)))
        return err;
    if (!sc->provider_specs)
        sc->provider_specs = apr_array_make(cmd->pool, 2, sizeof(spec));
    APR_ARRAY_PUSH(sc->provider_specs, rxa_provider_spec_t *) = spec;
    return NULL;
}

static const char *add_extra_scope(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);

    if (!sc->extra_scopes)
        sc->extra_scopes = apr_array_make(cmd->pool, 4, sizeof(const char *));
    APR_ARRAY_PUSH(sc->extra_scopes, const char *) = arg;
    return NULL;
}

static const char *add_cookie_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);

    if (!sc->cookie_secrets)
        sc->cookie_secrets = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(sc->cookie_secrets, const char *) = arg;
    return NULL;
}

/* The paths share one handler; cmd->info is the field's offset. */
static const char *set_path(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    const char *c;

    if (arg[0] != '/' || arg[1] == '/')
        return apr_psprintf(cmd->pool, "RXA00001: %s must be a path that "
                            "starts with a single '/'", cmd->cmd->name);
    for (c = arg; *c; c++)
        if (*c == '?' || *c == '#' || *c == '\\' || apr_iscntrl(*c)
            || apr_isspace(*c))
            return apr_psprintf(cmd->pool, "RXA00002: %s must be a plain "
                                "path, without a query, fragment, backslash, "
                                "space or control character", cmd->cmd->name);
    *(const char **)((char *)sc + (apr_size_t)cmd->info) = arg;
    return NULL;
}

static const char *set_ca_file(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_REG)
        return apr_psprintf(cmd->pool, "RXA00003: ReflexAuthCAFile: '%s' is "
                            "not a readable file", arg);
    sc->ca_file = path;
    return NULL;
}

static const char *set_http_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    char *end;
    long secs = strtol(arg, &end, 10);

    if (*end || end == arg || secs < 1 || secs > 300)
        return "RXA00004: ReflexAuthHTTPTimeout takes whole seconds, 1 to 300";
    sc->http_timeout = apr_time_from_sec(secs);
    return NULL;
}

static const char *set_clock_skew(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    char *end;
    long secs = strtol(arg, &end, 10);

    if (*end || end == arg || secs < 0 || secs > 600)
        return "RXA00006: ReflexAuthClockSkew takes whole seconds, 0 to 600";
    sc->clock_skew = apr_time_from_sec(secs);
    return NULL;
}

static const char *set_login_auto_redirect(cmd_parms *cmd, void *dc, int on)
{
    rxa_srv_conf(cmd->server)->login_auto_redirect = on;
    return NULL;
}

static const char *set_trusted_proxies(cmd_parms *cmd, void *dc, int argc,
                                       char *const argv[])
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    const char *err = NULL;

    if (argc < 1)
        return "RXA00009: ReflexAuthTrustedProxies needs at least one "
               "address or CIDR";
    if (rxa_trusted_proxies_parse(cmd->pool, (const char *const *)argv, argc,
                                  &sc->trusted_proxies, &err) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "ReflexAuthTrustedProxies: %s", err);
    return NULL;
}

/* The servers may be split over several arguments ("a:1, b:2"). */
static const char *set_shared_cache(cmd_parms *cmd, void *dc, int argc,
                                    char *const argv[])
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    const char *arg = "", *err;
    int i;

    for (i = 0; i < argc; i++)
        arg = apr_pstrcat(cmd->pool, arg, i ? " " : "", argv[i], NULL);
    if ((err = rxa_shcache_spec_parse(cmd->pool, arg,
                                      &sc->shared_cache_spec)))
        return apr_psprintf(cmd->pool, "RXA00230: ReflexAuthSharedCache: %s",
                            err);
    return NULL;
}

static const char *set_audit_log(cmd_parms *cmd, void *dc, const char *arg)
{
    rxa_srv_conf(cmd->server)->audit_log = arg;
    return NULL;
}

/* Templates are read and checked here, so a bad one fails `apachectl -t`. */
static const char *set_page(cmd_parms *cmd, void *dc, const char *kind,
                            const char *file)
{
    rxa_srv_conf_t *sc = rxa_srv_conf(cmd->server);
    int k = rxa_page_kind_parse(kind);
    const char *err = NULL;
    rxa_template_t *tpl;

    if (k < 0)
        return apr_psprintf(cmd->pool, "RXA00007: ReflexAuthPage: '%s' is not "
                            "one of login, callback, logout, forbidden, error",
                            kind);
    if (rxa_template_load(cmd->pool, ap_server_root_relative(cmd->pool, file),
                          &tpl, &err) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "RXA00008: ReflexAuthPage %s: %s", kind,
                            err);
    sc->pages[k] = tpl;
    return NULL;
}

static const char *set_remote_user_claim(cmd_parms *cmd, void *dcv,
                                         const char *arg)
{
    rxa_dir_conf_t *dc = dcv;

    if (!*arg)
        return "RXA00005: ReflexAuthRemoteUserClaim needs a claim name";
    dc->remote_user_claim = arg;
    return NULL;
}

static const char *set_bearer(cmd_parms *cmd, void *dcv, const char *arg)
{
    rxa_dir_conf_t *dc = dcv;

    if (!strcasecmp(arg, "Off"))
        dc->bearer = RXA_BEARER_OFF;
    else if (!strcasecmp(arg, "On"))
        dc->bearer = RXA_BEARER_ON;
    else if (!strcasecmp(arg, "Only"))
        dc->bearer = RXA_BEARER_ONLY;
    else
        return "RXA00310: ReflexAuthBearer takes Off, On or Only";
    return NULL;
}

/* Each line replaces the list of an enclosing section (no adding up). */
static const char *add_bearer_audience(cmd_parms *cmd, void *dcv,
                                       int argc, char *const argv[])
{
    rxa_dir_conf_t *dc = dcv;
    int i;

    if (argc < 1)
        return "RXA00311: ReflexAuthBearerAudience needs at least one value";
    dc->bearer_audiences = apr_array_make(cmd->pool, argc, sizeof(char *));
    for (i = 0; i < argc; i++) {
        if (!*argv[i])
            return "RXA00323: ReflexAuthBearerAudience takes no empty value";
        APR_ARRAY_PUSH(dc->bearer_audiences, const char *) = argv[i];
    }
    return NULL;
}

#define RXA_PATH_CMD(name, field, help) \
    AP_INIT_TAKE1(name, set_path, (void *)offsetof(rxa_srv_conf_t, field), \
                  RSRC_CONF, help)

const command_rec rxa_cmds[] = {
    AP_INIT_RAW_ARGS("ReflexAuthProvider", set_provider, NULL, RSRC_CONF,
        "NAME [issuer=URL] [client_id=ID] [client_secret=S] [scopes=\"a b\"] "
        "[display_name=\"Text\"] [tenants=\"id ...\"]: declares an identity "
        "provider; values not given are read from NAME_ISSUER_URI, "
        "NAME_CLIENT_ID, NAME_CLIENT_SECRET, then OIDC_*. Without any line, "
        "one provider named 'generic' is read from the environment."),
    AP_INIT_ITERATE("ReflexAuthExtraScopes", add_extra_scope, NULL, RSRC_CONF,
        "scopes merged, de-duplicated, into every provider's scopes "
        "(offline_access for refresh tokens, groups for group claims)"),
    AP_INIT_ITERATE("ReflexAuthCookieSecret", add_cookie_secret, NULL,
        RSRC_CONF,
        "SECRET [OLD_SECRET ...]: at least 32 bytes each; the first seals "
        "cookies, all of them open cookies (rotation). Default: "
        "OIDC_COOKIE_SECRET from the environment."),
    RXA_PATH_CMD("ReflexAuthLoginPath", login_path,
        "path of the login page (default /login)"),
    RXA_PATH_CMD("ReflexAuthCallbackPath", callback_path,
        "path of the OAuth redirect URI (default /callback)"),
    RXA_PATH_CMD("ReflexAuthLogoutPath", logout_path,
        "path of logout (default /logout)"),
    RXA_PATH_CMD("ReflexAuthForbiddenPath", forbidden_path,
        "path of the forbidden page (default /forbidden)"),
    RXA_PATH_CMD("ReflexAuthSyncPath", sync_path,
        "path of the cookie sync endpoint (default /_reflex/cookies/sync)"),
    RXA_PATH_CMD("ReflexAuthBackchannelLogoutPath", backchannel_logout_path,
        "path where identity providers POST OpenID Connect back-channel "
        "logout tokens (default /_reflex/backchannel-logout)"),
    AP_INIT_TAKE1("ReflexAuthCAFile", set_ca_file, NULL, RSRC_CONF,
        "PEM file of CA certificates trusted for calls to identity providers, "
        "for private IdPs (default: the system's)"),
    AP_INIT_TAKE1("ReflexAuthHTTPTimeout", set_http_timeout, NULL, RSRC_CONF,
        "seconds (1-300) any call to an identity provider may take, "
        "connecting included (default 5)"),
    AP_INIT_TAKE1("ReflexAuthClockSkew", set_clock_skew, NULL, RSRC_CONF,
        "seconds (0-600) of clock difference allowed when checking a "
        "token's exp, iat and nbf (default 60)"),
    AP_INIT_FLAG("ReflexAuthLoginAutoRedirect", set_login_auto_redirect,
        NULL, RSRC_CONF,
        "On: with exactly one provider, the login page goes straight to it "
        "instead of showing its button (default Off)"),
    AP_INIT_TAKE_ARGV("ReflexAuthTrustedProxies", set_trusted_proxies, NULL,
        RSRC_CONF,
        "IP addresses or CIDRs of reverse proxies whose Forwarded and "
        "X-Forwarded-* headers are believed (default: none)"),
    AP_INIT_TAKE_ARGV("ReflexAuthSharedCache", set_shared_cache, NULL,
        RSRC_CONF,
        "shm | memcache:HOST:PORT[,HOST:PORT ...] | redis:HOST:PORT: where "
        "the worker processes (shm, the default) or every replica sharing "
        "memcached or Redis keep refresh locks, revocations and logout "
        "token ids"),
    AP_INIT_TAKE1("ReflexAuthAuditLog", set_audit_log, NULL, RSRC_CONF,
        "FILE or \"|program\": one JSON line per sign-in event (login_started, "
        "login_completed, logout, token_refresh, session_expired, "
        "access_denied, backchannel_logout, bearer_refused)"),
    AP_INIT_TAKE2("ReflexAuthPage", set_page, NULL, RSRC_CONF,
        "login|callback|logout|forbidden|error FILE: an HTML template with "
        "{{providers}}, {{redirect_to}}, {{error}}, {{error_id}}, "
        "{{provider}}, {{csp_nonce}}; every value is HTML-escaped"),
    AP_INIT_TAKE1("ReflexAuthRemoteUserClaim", set_remote_user_claim, NULL,
        OR_AUTHCFG,
        "the claim REMOTE_USER is set from (default sub); a user without "
        "it is not signed in here"),
    AP_INIT_FLAG("ReflexAuthPassAccessToken", ap_set_flag_slot,
        (void *)APR_OFFSETOF(rxa_dir_conf_t, pass_access_token), OR_AUTHCFG,
        "On: also pass the access token to the backend as "
        "X-Reflex-Access-Token (default Off)"),
    AP_INIT_FLAG("ReflexAuthOptional", ap_set_flag_slot,
        (void *)APR_OFFSETOF(rxa_dir_conf_t, optional), OR_AUTHCFG,
        "On: a request without a usable sign-in is served anonymously (no "
        "user, no identity headers) instead of being sent to sign in; "
        "Require reflex-* still needs a signed-in user (default Off)"),
    AP_INIT_TAKE1("ReflexAuthBearer", set_bearer, NULL, OR_AUTHCFG,
        "Off|On|Only: On, a request with Authorization: Bearer is "
        "authenticated by that JWT access token alone (cookies ignored), one "
        "without as usual; Only, a request without a valid bearer token gets "
        "401, never a sign-in (default Off)"),
    AP_INIT_TAKE_ARGV("ReflexAuthBearerAudience", add_bearer_audience, NULL,
        OR_AUTHCFG,
        "VALUE ...: a bearer token's aud must hold one of them; required "
        "where ReflexAuthBearer is On or Only"),
    { NULL, { NULL }, NULL, 0, RAW_ARGS, NULL }
};
