/* ReflexAuthSharedCache: one rxa_shcache_t per distinct spec, made at
 * post_config and set in each server's sc->cache; the global mutex of the
 * "shm" cache; each child's attach (see rxa_shcache.h).
 *
 * The caches, and the shm cache's mutex, live in the process pool, so the
 * entries of "shm" outlive a graceful restart: the next generation finds
 * them again (the core keeps a cache per spec in that pool; the mutex is
 * kept here as the pool's userdata). Children of the old and the new
 * generation then share the segment under that one mutex. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>
#include <util_mutex.h>

#include "mod_reflex_auth.h"
#include "rxa_shcache.h"

#define SHM_MUTEX_TYPE "reflex-auth-shm"
#define SHM_MUTEX_KEY  "rxa_shared_cache_mutex"

/* This generation's caches, for child_init (made in pconf). */
static apr_array_header_t *caches;
static apr_global_mutex_t *shm_mutex;

int rxa_shared_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    apr_status_t rv = ap_mutex_register(pconf, SHM_MUTEX_TYPE, NULL,
                                        APR_LOCK_DEFAULT, 0);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, NULL,
                     "RXA00231: cannot register the mutex type "
                     SHM_MUTEX_TYPE);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* The mutex of the shm cache: made once, in the process pool. */
static apr_status_t shm_mutex_get(server_rec *s, apr_global_mutex_t **out)
{
    apr_pool_t *pproc = s->process->pool;
    void *found = NULL;
    apr_status_t rv;

    apr_pool_userdata_get(&found, SHM_MUTEX_KEY, pproc);
    if ((*out = found))
        return APR_SUCCESS;
    if ((rv = ap_global_mutex_create(out, NULL, SHM_MUTEX_TYPE, NULL, s,
                                     pproc, 0)) != APR_SUCCESS)
        return rv;
    apr_pool_userdata_set(*out, SHM_MUTEX_KEY, apr_pool_cleanup_null, pproc);
    return APR_SUCCESS;
}

int rxa_shared_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *by_text = apr_hash_make(ptemp);
    server_rec *sv;
    apr_status_t rv;

    caches = apr_array_make(pconf, 2, sizeof(rxa_shcache_t *));
    shm_mutex = NULL;
    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(sv);
        const rxa_shcache_spec_t *spec = sc->shared_cache_spec;
        const char *text;
        rxa_shcache_t *cache;
        int shm;

        sc->cache = NULL;
        if (!sc->in_use || !spec)
            continue;
        text = rxa_shcache_spec_text(spec);
        if ((cache = apr_hash_get(by_text, text, APR_HASH_KEY_STRING))) {
            sc->cache = cache;
            continue;
        }
        shm = !strcmp(text, "shm");
        if (shm && !shm_mutex
            && (rv = shm_mutex_get(s, &shm_mutex)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "RXA00232: cannot "
                         "create the mutex of the shared cache shm");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((rv = rxa_shcache_create(s->process->pool, spec,
                                     shm ? shm_mutex : NULL, &cache))
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "RXA00233: cannot "
                         "create the shared cache %s%s", text,
                         APR_STATUS_IS_ENOTIMPL(rv) ? ": APR-util's memcache "
                         "and redis clients reach IPv4 addresses and host "
                         "names only" : "");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_hash_set(by_text, text, APR_HASH_KEY_STRING, cache);
        APR_ARRAY_PUSH(caches, rxa_shcache_t *) = cache;
        sc->cache = cache;
    }
    return OK;
}

void rxa_shared_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;
    int i;

    if (shm_mutex
        && (rv = apr_global_mutex_child_init(
                &shm_mutex, apr_global_mutex_lockfile(shm_mutex), pchild))
           != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "RXA00234: cannot attach "
                     "the mutex of the shared cache shm in this process");
    for (i = 0; caches && i < caches->nelts; i++) {
        rxa_shcache_t *cache = APR_ARRAY_IDX(caches, i, rxa_shcache_t *);

        if ((rv = rxa_shcache_child_init(cache, pchild)) != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "RXA00235: the shared "
                         "cache has no background thread in this process; "
                         "it counts as down here");
    }
}
