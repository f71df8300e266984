/* `apachectl -t -D DUMP_REFLEX_AUTH`: what an administrator checks before
 * going live. httpd runs no post_config under -t, so discovery runs here. */
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_host.h"
#include "rxa_issuer.h"
#include "rxa_shcache.h"
#include "rxa_util.h"

/* The <VirtualHost> section that made S (NULL for the main server). */
static const ap_directive_t *vhost_section(const server_rec *s)
{
    const ap_directive_t *d;

    if (!s->is_virtual)
        return NULL;
    for (d = ap_conftree; d; d = d->next)
        if (!strcasecmp(d->directive, "<VirtualHost")
            && (unsigned)d->line_num == s->defn_line_number && d->filename
            && s->defn_name && !strcmp(d->filename, s->defn_name))
            return d;
    return NULL;
}

/* The first argument of directive NAME among the children of SECTION (the
 * top level of the main server when SECTION is NULL), or NULL. */
static const char *section_arg(const ap_directive_t *section, const char *name)
{
    const ap_directive_t *d = section ? section->first_child : ap_conftree;

    for (; d; d = d->next)
        if (!strcasecmp(d->directive, name))
            return d->args;
    return NULL;
}

static int server_tls(const server_rec *s)
{
    const char *engine = section_arg(vhost_section(s), "SSLEngine");

    return engine && !strncasecmp(engine, "on", 2);
}

/* What a plain-http URL on a name other than loopback gets after it. */
#define PLAIN_NOTE_BROWSER "   (plain http: browsers get the HTTPS-required " \
    "page; behind a TLS proxy register its public https URL)"
#define PLAIN_NOTE_SERVER "   (plain http: behind a TLS proxy register " \
    "its public https URL)"

/* One URL of PATH per listener port of S and NAME. TLS listeners are
 * https; a plain one is http, usable as is only on loopback names,
 * else only behind a TLS-terminating proxy (NOTE says so). */
static void dump_urls(apr_pool_t *p, const server_rec *s, const char *path,
                      const char *note, const char *name)
{
    const server_addr_rec *a;
    int tls = server_tls(s);

    for (a = s->addrs; a || !s->addrs; a = a ? a->next : NULL) {
        unsigned port = a ? a->host_port : s->port;
        const char *scheme = s->server_scheme ? s->server_scheme
            : tls || port == 443 ? "https" : "http";
        int deflt = port == 0 || (!strcmp(scheme, "https") && port == 443)
            || (!strcmp(scheme, "http") && port == 80);

        printf("    %s://%s%s%s%s\n", scheme, name,
               deflt ? "" : apr_psprintf(p, ":%u", port), path,
               strcmp(scheme, "http") || rxa_host_is_loopback(name) ? ""
               : note);
        if (!a)
            break;
    }
}

/* The main server answers on every Listen: one URL per listener
 * ("Listen [addr:]port [protocol]", https by protocol or port 443). */
static void dump_main_urls(apr_pool_t *p, const char *path, const char *note,
                           const char *name)
{
    const ap_directive_t *d;

    for (d = ap_conftree; d; d = d->next) {
        const char *args, *addr, *proto, *colon;
        unsigned port;
        int tls;

        if (strcasecmp(d->directive, "Listen"))
            continue;
        args = d->args;
        addr = ap_getword_conf(p, &args);
        proto = ap_getword_conf(p, &args);
        colon = strrchr(addr, ':');
        port = (unsigned)atoi(colon && !strchr(colon, ']') ? colon + 1 : addr);
        tls = !strcasecmp(proto, "https") || port == 443;
        printf("    %s://%s%s%s%s\n", tls ? "https" : "http", name,
               (tls && port == 443) || (!tls && port == 80) ? ""
               : apr_psprintf(p, ":%u", port), path,
               tls || rxa_host_is_loopback(name) ? "" : note);
    }
}

/* PATH's URL for every name of SV (ServerName, then each ServerAlias). */
static void dump_server_urls(apr_pool_t *p, const server_rec *sv,
                             const char *host, const char *path,
                             const char *note)
{
    int i;

    for (i = -1; i < (sv->names ? sv->names->nelts : 0); i++) {
        const char *name = i < 0 ? host
                                 : APR_ARRAY_IDX(sv->names, i, const char *);
        if (sv->is_virtual)
            dump_urls(p, sv, path, note, name);
        else
            dump_main_urls(p, path, note, name);
    }
}

static int section_is(const ap_directive_t *d, const char *const *names)
{
    for (; *names; names++)
        if (!strcasecmp(d->directive, *names))
            return 1;
    return 0;
}

/* Every <Location>, <Directory>, <Files>, <Proxy> section and ProxyPass in
 * SECTION, with what guards it: the guarded-surface view. */
static void dump_locations(apr_pool_t *p, const ap_directive_t *first,
                           int depth)
{
    static const char *const sections[] = {
        "<Location", "<LocationMatch", "<Directory", "<DirectoryMatch",
        "<Files", "<FilesMatch", "<Proxy", "<ProxyMatch", NULL
    };
    const ap_directive_t *d;

    for (d = first; d; d = d->next) {
        if (section_is(d, sections)) {
            const ap_directive_t *c;
            const char *type = NULL, *require = NULL;
            char *args = apr_pstrdup(p, d->args);
            apr_size_t n = strlen(args);

            if (n && args[n - 1] == '>')
                args[n - 1] = '\0';
            for (c = d->first_child; c; c = c->next) {
                if (!strcasecmp(c->directive, "AuthType"))
                    type = c->args;
                else if (!strcasecmp(c->directive, "Require"))
                    require = require ? apr_pstrcat(p, require, "; ", c->args,
                                                    NULL) : c->args;
            }
            printf("  %*s%s %s  %s%s%s%s\n", depth * 2, "", d->directive + 1,
                   args, type && !strcasecmp(type, RXA_AUTH_TYPE)
                   ? "GUARDED" : type ? "AuthType " : "not guarded here",
                   type && strcasecmp(type, RXA_AUTH_TYPE) ? type : "",
                   require ? ", Require " : "", require ? require : "");
            dump_locations(p, d->first_child, depth + 1);
        }
        else if (!strcasecmp(d->directive, "ProxyPass")
                 || !strcasecmp(d->directive, "Alias")
                 || !strcasecmp(d->directive, "ScriptAlias"))
            printf("  %*s%s %s\n", depth * 2, "", d->directive, d->args);
        else if (!strcasecmp(d->directive, "AllowOverride")
                 && ap_strcasestr(d->args, "AuthConfig"))
            printf("  %*s(.htaccess files here may add AuthType)\n",
                   depth * 2, "");
    }
}

static void dump_provider(apr_pool_t *p, const rxa_provider_t *pv)
{
    rxa_issuer_snap_t *snap = pv->iss ? rxa_issuer_get(pv->iss, 0, NULL) : NULL;

    printf("  provider %s (\"Login with %s\")\n", pv->name, pv->display_name);
    printf("    issuer:         %s  (from %s)\n", pv->issuer, pv->issuer_from);
    printf("    client_id:      %s  (from %s), %s client\n", pv->client_id,
           pv->client_id_from, pv->client_secret ? "confidential" : "public");
    printf("    scopes:         %s\n", pv->scope);
    if (!snap) {
        printf("    discovery:      FAILED: %s\n",
               pv->iss ? rxa_provider_error(p, pv) : "not run");
        return;
    }
    printf("    discovery:      ok\n");
    printf("    published issuer:       %s\n", snap->md->issuer);
    if (snap->md->issuer_is_template)
        printf("    tenants:                %s\n", pv->tenants->nelts
               ? rxa_words_join(p, pv->tenants, " ")
               : "any (no tenants=: users of every tenant can sign in)");
    else if (pv->tenants->nelts)
        printf("    tenants:                ignored (the issuer names one "
               "tenant, not {tenantid})\n");
    printf("    authorization_endpoint: %s\n", snap->md->authorization_endpoint);
    printf("    token_endpoint:         %s (%s)\n", snap->md->token_endpoint
           ? snap->md->token_endpoint : "(none: sign-in cannot complete)",
           !pv->client_secret ? "none, PKCE only"
           : snap->md->token_auth_post ? "client_secret_post"
           : "client_secret_basic");
    printf("    userinfo_endpoint:      %s\n", snap->md->userinfo_endpoint
           ? snap->md->userinfo_endpoint : "(none)");
    printf("    end_session_endpoint:   %s\n", snap->md->end_session_endpoint
           ? snap->md->end_session_endpoint : "(none)");
    printf("    jwks_uri:               %s (%d signing keys, %d skipped)\n",
           snap->md->jwks_uri, snap->keys->keys->nelts,
           snap->keys->skipped->nelts);
    printf("    signing algorithms:     %s\n",
           rxa_words_join(p, snap->md->signing_algs, " "));
}

void rxa_dump_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *ptemp;
    server_rec *sv;
    int i;

    apr_pool_create(&ptemp, pconf);
    rxa_providers_discover_now(pconf, ptemp, s);
    printf("%s configuration:\n", RXA_PRODUCT);
    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(sv);
        const char *host = sv->server_hostname ? sv->server_hostname : "localhost";

        printf("%s %s%s%s\n", sv->is_virtual ? "VirtualHost" : "Server", host,
               sv->addrs ? apr_psprintf(ptemp, ":%u", sv->addrs->host_port)
               : sv->port ? apr_psprintf(ptemp, ":%u", sv->port) : "",
               sv->defn_name
               ? apr_psprintf(ptemp, " (%s:%u)", sv->defn_name,
                              sv->defn_line_number) : "");
        if (!sc->in_use) {
            printf("  not configured (no ReflexAuthProvider, no OIDC_* "
                   "environment)\n");
            continue;
        }
        if (sc->config_error || !sc->providers) {
            printf("  configuration error: %s\n", sc->config_error);
            continue;
        }
        for (i = 0; i < sc->providers->nelts; i++)
            dump_provider(ptemp, APR_ARRAY_IDX(sc->providers, i, rxa_provider_t *));
        printf("  paths: login %s, callback %s, logout %s, forbidden %s, "
               "sync %s, back-channel logout %s\n", sc->login_path,
               sc->callback_path, sc->logout_path, sc->forbidden_path,
               sc->sync_path, sc->backchannel_logout_path);
        printf("  shared cache: %s\n", sc->shared_cache_spec
               ? rxa_shcache_spec_text(sc->shared_cache_spec) : "shm");
        printf("  callback URLs to register with each provider:\n");
        dump_server_urls(ptemp, sv, host, sc->callback_path,
                         PLAIN_NOTE_BROWSER);
        printf("  backchannel_logout_uri to register with each provider "
               "(back-channel logout):\n");
        dump_server_urls(ptemp, sv, host, sc->backchannel_logout_path,
                         PLAIN_NOTE_SERVER);
        printf("  locations%s:\n", sv->is_virtual
               ? " (besides the main server's, which apply here too)" : "");
        dump_locations(ptemp, sv->is_virtual
                       ? (vhost_section(sv) ? vhost_section(sv)->first_child : NULL)
                       : ap_conftree, 0);
    }
    fflush(stdout);
    apr_pool_destroy(ptemp);
}
