/* The provider registry at start-up, the httpd side of src/core/provider.c:
 * resolve every server's providers (check_config, so `apachectl -t` fails
 * on a bad configuration), then discover every distinct issuer once, in
 * parallel (post_config). */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_issuer.h"

static const char *server_label(apr_pool_t *p, const server_rec *s)
{
    return apr_psprintf(p, "%s:%u%s", s->server_hostname ? s->server_hostname
                        : "(no ServerName)", (unsigned)s->port,
                        s->is_virtual ? "" : " (main server)");
}

/* One keyring per distinct list of cookie secrets: a thousand vhosts that
 * inherit the same secrets derive their keys once, not a thousand times
 * (the key derivation was most of `apachectl -t` with 1,000 vhosts). A
 * keyring is read-only once made, so vhosts can share it like threads do. */
static apr_status_t keyring_for(apr_pool_t *pconf, apr_pool_t *ptemp,
                                apr_hash_t *rings,
                                const apr_array_header_t *secrets,
                                rxa_seal_keyring_t **ring, const char **err)
{
    const char *key = "";
    int i;

    for (i = 0; i < secrets->nelts; i++) {
        const char *secret = APR_ARRAY_IDX(secrets, i, const char *);
        key = apr_psprintf(ptemp, "%s%" APR_SIZE_T_FMT ":%s", key,
                           strlen(secret), secret);
    }
    if ((*ring = apr_hash_get(rings, key, APR_HASH_KEY_STRING)))
        return APR_SUCCESS;
    if (rxa_seal_keyring_create(pconf, (const char *const *)secrets->elts,
                                secrets->nelts, ring, err) != APR_SUCCESS)
        return APR_EGENERAL;
    apr_hash_set(rings, key, APR_HASH_KEY_STRING, *ring);
    return APR_SUCCESS;
}

int rxa_providers_check(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *reported = apr_hash_make(ptemp);
    apr_hash_t *rings = apr_hash_make(ptemp);
    server_rec *sv;
    int failed = 0;

    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc;
        const char *err = NULL;

        rxa_config_finalize(pconf, sv);
        sc = rxa_srv_conf(sv);
        if (!sc->in_use)
            continue;
        if (!(err = rxa_cookie_secrets_check(ptemp, sc->cookie_secrets))
            && keyring_for(pconf, ptemp, rings, sc->cookie_secrets,
                           &sc->keyring, &err) == APR_SUCCESS)
            rxa_providers_resolve(pconf, sc->provider_specs, sc->extra_scopes,
                                  rxa_process_getenv, NULL, &sc->providers, &err);
        if (err)
            sc->providers = NULL;
        sc->config_error = err;
        /* vhosts inherit the main server's lines: say each problem once */
        if (err && !apr_hash_get(reported, err, APR_HASH_KEY_STRING)) {
            apr_hash_set(reported, err, APR_HASH_KEY_STRING, err);
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         "RXA00010: mod_reflex_auth: %s (in %s)", err,
                         server_label(ptemp, sv));
            failed = 1;
        }
    }
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

const char *rxa_provider_error(apr_pool_t *pool, const rxa_provider_t *p)
{
    const char *err = p->iss ? rxa_issuer_last_error(p->iss, pool) : NULL;

    return err ? err : "not discovered";
}

/* One rxa_issuer_t per distinct (issuer, CA file), shared across vhosts. */
static apr_array_header_t *issuers_collect(apr_pool_t *pconf,
                                           apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *by_key = apr_hash_make(ptemp);
    apr_array_header_t *all = apr_array_make(ptemp, 4, sizeof(rxa_issuer_t *));
    server_rec *sv;
    int i;

    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(sv);

        for (i = 0; sc->providers && i < sc->providers->nelts; i++) {
            rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i, rxa_provider_t *);
            const char *key = apr_pstrcat(ptemp, p->issuer, "\n",
                                          sc->ca_file ? sc->ca_file : "", NULL);
            rxa_issuer_t *iss = apr_hash_get(by_key, key, APR_HASH_KEY_STRING);

            if (!iss) {
                iss = rxa_issuer_create(pconf, p->issuer, sc->ca_file,
                                        (long)apr_time_as_msec(sc->http_timeout));
                apr_hash_set(by_key, key, APR_HASH_KEY_STRING, iss);
                APR_ARRAY_PUSH(all, rxa_issuer_t *) = iss;
            }
            p->iss = iss;
        }
    }
    return all;
}

void rxa_providers_discover_now(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s)
{
    apr_array_header_t *all = issuers_collect(pconf, ptemp, s);
    rxa_issuer_t **issuers = (rxa_issuer_t **)all->elts;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    int i;

    if (all->nelts == 0)
        return;
    if ((rv = rxa_issuers_share_generations(pconf, issuers, all->nelts))
        != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "RXA00013: no shared "
                     "memory for key-set generations: a provider's key "
                     "rotation reaches each worker process on its own");
    rxa_issuers_discover(ptemp, issuers, all->nelts, now);
    now = apr_time_now();  /* the next try counts from the end (discovery.c) */
    for (i = 0; i < all->nelts; i++) {
        rxa_issuer_t *iss = issuers[i];
        const char *err = rxa_issuer_last_error(iss, ptemp);
        if (err)
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "RXA00011: issuer %s cannot be used yet: %s; its "
                         "protected locations answer 503 until it can "
                         "(next try in %" APR_TIME_T_FMT " s)", iss->url,
                         err, apr_time_sec(iss->next_try - now));
        else
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         "RXA00012: issuer %s discovered", iss->url);
    }
}

int rxa_providers_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    /* httpd reads its configuration twice at start-up; the first pass is
     * thrown away, so fetch nothing for it. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    rxa_providers_discover_now(pconf, ptemp, s);
    return OK;
}
