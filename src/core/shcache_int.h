/* The shared cache's parts, private to src/core/shcache*.c: shcache.c
 * (specs, the breaker, the background thread, the public calls) drives a
 * table in shared memory (shcache_shm.c) or a memcached or Redis client
 * (shcache_remote.c). */
#ifndef RXA_SHCACHE_INT_H
#define RXA_SHCACHE_INT_H

#include <apr_network_io.h>
#include <apr_shm.h>

#include "rxa_shcache.h"

typedef enum {
    RXA_SHC_SHM,
    RXA_SHC_MEMCACHE,
    RXA_SHC_REDIS
} rxa_shc_kind_e;

typedef struct rxa_shc_server {
    const char *host;           /* IPv6 without its brackets */
    apr_port_t port;
} rxa_shc_server_t;

struct rxa_shcache_spec {
    rxa_shc_kind_e kind;
    int nservers;
    const rxa_shc_server_t *servers;
    const char *text;           /* canonical */
};

/* Longest time to live accepted: memcached reads a larger one as a date. */
#define RXA_SHC_MAX_TTL (30 * 24 * 3600)

/* --- the table in shared memory (callers hold the global mutex) -------- */

typedef struct rxa_shm_table rxa_shm_table_t;

/* An anonymous segment made in POOL (so children inherit it). */
apr_status_t rxa_shm_table_create(apr_pool_t *pool, rxa_shm_table_t **out);
apr_status_t rxa_shm_claim(rxa_shm_table_t *t, const char *key,
                           apr_uint32_t ttl, apr_time_t now);
apr_status_t rxa_shm_set(rxa_shm_table_t *t, const char *key,
                         const void *val, apr_size_t len, apr_uint32_t ttl,
                         apr_time_t now);
apr_status_t rxa_shm_get(rxa_shm_table_t *t, apr_pool_t *pool,
                         const char *key, apr_time_t now, char **val,
                         apr_size_t *len);
apr_status_t rxa_shm_incr(rxa_shm_table_t *t, const char *key,
                          apr_time_t now, apr_uint64_t *value);

/* --- a memcached or Redis client (one thread uses it) ------------------ */

typedef struct rxa_remote rxa_remote_t;

/* The client for the spec's servers, in POOL; connects on first use. */
apr_status_t rxa_remote_create(apr_pool_t *pool, const rxa_shcache_spec_t *spec,
                               rxa_remote_t **out);
apr_status_t rxa_remote_claim(rxa_remote_t *r, const char *key,
                              apr_uint32_t ttl);
apr_status_t rxa_remote_set(rxa_remote_t *r, const char *key, const void *val,
                            apr_size_t len, apr_uint32_t ttl);
/* The value in POOL (NUL-terminated). */
apr_status_t rxa_remote_get(rxa_remote_t *r, apr_pool_t *pool,
                            const char *key, char **val, apr_size_t *len);
apr_status_t rxa_remote_incr(rxa_remote_t *r, const char *key,
                             apr_uint64_t *value);
/* Every server counted as live again (before a retry). */
void rxa_remote_revive(rxa_remote_t *r);
/* Every server asked whether it answers: APR_SUCCESS when one does. */
apr_status_t rxa_remote_probe(rxa_remote_t *r, apr_pool_t *pool);

#endif
