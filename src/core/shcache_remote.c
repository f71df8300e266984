/* The memcached and Redis shared caches, through APR-util's apr_memcache
 * and apr_redis clients. One thread uses a client (shcache.c's background
 * thread): each server keeps at most one connection.
 *
 * The clients mark a server that failed as dead and, while every server
 * is, answer a lookup with APR_NOTFOUND as if the key were absent; so a
 * call here first checks that a server is live, and the probe revives
 * them. */
#include <string.h>

#include <apr_memcache.h>
#include <apr_redis.h>
#include <apr_strings.h>

#include "shcache_int.h"

/* How long an idle connection is kept (microseconds, for apr_reslist). */
#define CONN_TTL 60000000u
/* Redis's read and write timeout, seconds (apr_memcache has none). */
#define REDIS_RWTO 1

struct rxa_remote {
    rxa_shc_kind_e kind;
    int n;
    apr_memcache_t *mc;
    apr_memcache_server_t **ms;
    apr_redis_t *rc;
    apr_redis_server_t **rs;
};

/* Server I of R, from SV. */
static apr_status_t server_add(apr_pool_t *pool, rxa_remote_t *r, int i,
                               const rxa_shc_server_t *sv)
{
    apr_status_t rv;

    if (r->kind == RXA_SHC_MEMCACHE) {
        rv = apr_memcache_server_create(pool, sv->host, sv->port, 0, 1, 1,
                                        CONN_TTL, &r->ms[i]);
        return rv == APR_SUCCESS ? apr_memcache_add_server(r->mc, r->ms[i])
                                 : rv;
    }
    rv = apr_redis_server_create(pool, sv->host, sv->port, 0, 1, 1, CONN_TTL,
                                 REDIS_RWTO, &r->rs[i]);
    return rv == APR_SUCCESS ? apr_redis_add_server(r->rc, r->rs[i]) : rv;
}

apr_status_t rxa_remote_create(apr_pool_t *pool, const rxa_shcache_spec_t *spec,
                               rxa_remote_t **out)
{
    rxa_remote_t *r = apr_pcalloc(pool, sizeof(*r));
    apr_uint16_t n = (apr_uint16_t)spec->nservers;
    apr_status_t rv;
    int i;

    *out = NULL;
    r->kind = spec->kind;
    r->n = spec->nservers;
    if (r->kind == RXA_SHC_MEMCACHE) {
        r->ms = apr_pcalloc(pool, sizeof(*r->ms) * n);
        rv = apr_memcache_create(pool, n, 0, &r->mc);
    }
    else {
        r->rs = apr_pcalloc(pool, sizeof(*r->rs) * n);
        rv = apr_redis_create(pool, n, 0, &r->rc);
    }
    for (i = 0; rv == APR_SUCCESS && i < r->n; i++)
        rv = server_add(pool, r, i, &spec->servers[i]);
    if (rv != APR_SUCCESS)
        return rv;
    *out = r;
    return APR_SUCCESS;
}

static int any_live(const rxa_remote_t *r)
{
    int i;

    for (i = 0; i < r->n; i++)
        if (r->kind == RXA_SHC_MEMCACHE
            ? r->ms[i]->status == APR_MC_SERVER_LIVE
            : r->rs[i]->status == APR_RC_SERVER_LIVE)
            return 1;
    return 0;
}

/* The clients take values as char * and only read them. */
static char *writable(const void *p)
{
    union { const void *c; char *w; } u;

    u.c = p;
    return u.w;
}

apr_status_t rxa_remote_claim(rxa_remote_t *r, const char *key,
                              apr_uint32_t ttl)
{
    char one[] = "1";
    apr_uint32_t n = 0;
    apr_status_t rv;

    if (!any_live(r))
        return APR_ECONNREFUSED;
    if (r->kind == RXA_SHC_MEMCACHE)
        return apr_memcache_add(r->mc, key, one, 1, ttl, 0);
    /* apr_redis has no SET NX: the INCR that makes the key wins, then
     * gives it its time to live. */
    if ((rv = apr_redis_incr(r->rc, key, 1, &n)) != APR_SUCCESS)
        return rv;
    if (n != 1)
        return APR_EEXIST;
    return apr_redis_setex(r->rc, key, one, 1, ttl, 0);
}

apr_status_t rxa_remote_set(rxa_remote_t *r, const char *key, const void *val,
                            apr_size_t len, apr_uint32_t ttl)
{
    if (!any_live(r))
        return APR_ECONNREFUSED;
    if (r->kind == RXA_SHC_MEMCACHE)
        return apr_memcache_set(r->mc, key, writable(val), len, ttl, 0);
    return apr_redis_setex(r->rc, key, writable(val), len, ttl, 0);
}

apr_status_t rxa_remote_get(rxa_remote_t *r, apr_pool_t *pool,
                            const char *key, char **val, apr_size_t *len)
{
    apr_status_t rv;

    *val = NULL;
    *len = 0;
    if (!any_live(r))
        return APR_ECONNREFUSED;
    rv = r->kind == RXA_SHC_MEMCACHE
        ? apr_memcache_getp(r->mc, pool, key, val, len, NULL)
        : apr_redis_getp(r->rc, pool, key, val, len, NULL);
    if (rv == APR_SUCCESS && !*val)     /* an empty value */
        *val = apr_pstrdup(pool, "");
    return rv;
}

apr_status_t rxa_remote_incr(rxa_remote_t *r, const char *key,
                             apr_uint64_t *value)
{
    apr_uint32_t n = 0;
    char zero[] = "0";
    apr_status_t rv;

    if (!any_live(r))
        return APR_ECONNREFUSED;
    if (r->kind == RXA_SHC_REDIS)
        rv = apr_redis_incr(r->rc, key, 1, &n);
    else if ((rv = apr_memcache_incr(r->mc, key, 1, &n)) == APR_NOTFOUND) {
        /* memcached counts only keys that exist: make it at 0 (or let
         * whoever just did win), then count */
        rv = apr_memcache_add(r->mc, key, zero, 1, 0, 0);
        if (rv == APR_SUCCESS || rv == APR_EEXIST)
            rv = apr_memcache_incr(r->mc, key, 1, &n);
    }
    if (rv == APR_SUCCESS)
        *value = n;
    return rv;
}

void rxa_remote_revive(rxa_remote_t *r)
{
    int i;

    for (i = 0; i < r->n; i++)
        if (r->kind == RXA_SHC_MEMCACHE)
            apr_memcache_enable_server(r->mc, r->ms[i]);
        else
            apr_redis_enable_server(r->rc, r->rs[i]);
}

/* Whether the (one) Redis server answers. Not apr_redis_ping: when its
 * read times out it hands the connection back to the pool with the answer
 * still to come, and the next call on it reads that PONG for its own
 * answer, every later one the answer before its own. A GET that times
 * out drops its connection; an absent key is an answer. */
static apr_status_t redis_probe(rxa_remote_t *r, apr_pool_t *pool)
{
    char *val;
    apr_size_t len;
    apr_status_t rv = apr_redis_getp(r->rc, pool, "rxa1:probe", &val, &len,
                                     NULL);

    /* APR_NOTFOUND is also what it says when it found no live server */
    if (rv == APR_NOTFOUND)
        return any_live(r) ? APR_SUCCESS : APR_ECONNREFUSED;
    return rv;
}

apr_status_t rxa_remote_probe(rxa_remote_t *r, apr_pool_t *pool)
{
    apr_status_t rv, first = APR_ECONNREFUSED;
    int i, live = 0;
    char *version;

    rxa_remote_revive(r);
    for (i = 0; i < r->n; i++) {
        if (r->kind == RXA_SHC_MEMCACHE) {
            if ((rv = apr_memcache_version(r->ms[i], pool, &version))
                != APR_SUCCESS)
                apr_memcache_disable_server(r->mc, r->ms[i]);
        }
        else if ((rv = redis_probe(r, pool)) != APR_SUCCESS)
            apr_redis_disable_server(r->rc, r->rs[i]);
        if (rv == APR_SUCCESS)
            live++;
        else if (first == APR_ECONNREFUSED)
            first = rv;
    }
    return live ? APR_SUCCESS : first;
}
