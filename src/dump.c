/* `apachectl -t -D DUMP_REFLEX_AUTH`: what an administrator checks before
 * going live. httpd runs no post_config under -t, so discovery runs here. */
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_discovery.h"
#include "rxa_util.h"

static unsigned server_port(const server_rec *s)
{
    if (s->port)
        return s->port;
    return s->addrs ? s->addrs->host_port : 0;
}

/* The scheme browsers use to reach S: ServerName's own scheme when given,
 * https on 443, plain http only for loopback names. Behind a TLS-terminating
 * proxy, give ServerName https://name to say so. */
static const char *server_scheme(const server_rec *s, const char *host)
{
    if (s->server_scheme)
        return s->server_scheme;
    if (server_port(s) == 443)
        return "https";
    return rxa_host_is_loopback(host) ? "http" : "https";
}

static void dump_callback(apr_pool_t *p, const server_rec *s,
                          const rxa_srv_conf_t *sc, const char *host)
{
    const char *scheme = server_scheme(s, host);
    unsigned port = server_port(s);
    int default_port = port == 0 || (!strcmp(scheme, "https") && port == 443)
        || (!strcmp(scheme, "http") && port == 80)
        || (s->server_scheme && s->port == 0);

    printf("    %s://%s%s%s\n", scheme, host,
           default_port ? "" : apr_psprintf(p, ":%u", port), sc->callback_path);
}

static void dump_provider(apr_pool_t *p, const rxa_provider_t *pv)
{
    rxa_issuer_snap_t *snap = pv->iss ? rxa_issuer_get(pv->iss, 0) : NULL;

    printf("  provider %s (\"Login with %s\")\n", pv->name, pv->display_name);
    printf("    issuer:         %s  (from %s)\n", pv->issuer, pv->issuer_from);
    printf("    client_id:      %s  (from %s), %s client\n", pv->client_id,
           pv->client_id_from, pv->client_secret ? "confidential" : "public");
    printf("    scopes:         %s\n", pv->scope);
    if (!snap) {
        printf("    discovery:      FAILED: %s\n",
               pv->iss && pv->iss->last_err ? pv->iss->last_err : "not run");
        return;
    }
    printf("    discovery:      ok\n");
    printf("    published issuer:       %s\n", snap->md->issuer);
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
    printf("mod_reflex_auth configuration:\n");
    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(sv);
        const char *host = sv->server_hostname ? sv->server_hostname : "localhost";

        printf("%s %s:%u%s\n", sv->is_virtual ? "VirtualHost" : "Server",
               host, server_port(sv), sv->defn_name
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
               "sync %s\n", sc->login_path, sc->callback_path, sc->logout_path,
               sc->forbidden_path, sc->sync_path);
        printf("  callback URLs to register with each provider:\n");
        dump_callback(ptemp, sv, sc, host);
        for (i = 0; sv->names && i < sv->names->nelts; i++)
            dump_callback(ptemp, sv, sc, APR_ARRAY_IDX(sv->names, i, const char *));
    }
    fflush(stdout);
    apr_pool_destroy(ptemp);
}
