/* The shared cache: a small key/value store shared by the worker processes
 * of one httpd ("shm") or by every replica of a site (memcached or Redis,
 * reached through APR-util's apr_memcache and apr_redis clients).
 *
 * It holds short-lived coordination state only: refresh locks and their
 * results, the revocation list, logout-token ids already seen. Callers
 * store sealed values under hashed keys, so a dump of the cache reveals no
 * token.
 *
 * Bounded: every operation returns within RXA_SHCACHE_OP_TIMEOUT whatever
 * the server does. Memcached and Redis are spoken to from one background
 * thread per process; a request thread hands its operation over and waits
 * at most that long, so a server that stops answering holds no worker.
 * After a failure the cache counts as down: operations fail at once with
 * APR_ECONNREFUSED until a probe from the background thread succeeds. One
 * error-log line marks an outage and one notice its end.
 *
 * The background thread also runs the periodic tasks registered with
 * rxa_shcache_every (the revocation list's sync). Operations called from a
 * task run inline.
 *
 * Thread-safe once rxa_shcache_child_init has run.
 */
#ifndef RXA_SHCACHE_H
#define RXA_SHCACHE_H

#include <apr_global_mutex.h>
#include <apr_pools.h>
#include <apr_time.h>

typedef struct rxa_shcache rxa_shcache_t;
typedef struct rxa_shcache_spec rxa_shcache_spec_t;

/* Longest key and value accepted (APR_EINVAL beyond). Keys are printable
 * ASCII without spaces. */
#define RXA_SHCACHE_MAX_KEY    200
#define RXA_SHCACHE_MAX_VALUE  32768

/* What one operation may take before it counts as failed. */
#define RXA_SHCACHE_OP_TIMEOUT apr_time_from_msec(1000)

/* "shm", "memcache:HOST:PORT[,HOST:PORT ...]" (commas, optional spaces
 * after them) or "redis:HOST:PORT"; HOST may be a bracketed IPv6 address.
 * NULL and *OUT, or an error message for the directive. */
const char *rxa_shcache_spec_parse(apr_pool_t *pool, const char *arg,
                                   const rxa_shcache_spec_t **out);

/* The spec in its canonical form ("memcache:127.0.0.1:11211,..."): equal
 * texts name the same cache. */
const char *rxa_shcache_spec_text(const rxa_shcache_spec_t *spec);

/* The cache the spec names, made in POOL in the parent at start-up. For
 * "shm", MUTEX (a global mutex the caller made, e.g. with
 * ap_global_mutex_create) guards the segment; POOL should outlive graceful
 * restarts so entries do, and so should MUTEX (children of the old and the
 * new generation share the segment for a while). MUTEX is unused (may be
 * NULL) for memcached and Redis; APR_ENOTIMPL for an IPv6 address (the
 * APR-util clients reach IPv4 addresses and host names only). Called
 * again with the same POOL and spec (the next generation), it returns the
 * same cache, its tasks forgotten (register them again). */
apr_status_t rxa_shcache_create(apr_pool_t *pool,
                                const rxa_shcache_spec_t *spec,
                                apr_global_mutex_t *mutex,
                                rxa_shcache_t **out);

/* In each child: attach (the caller has already run
 * apr_global_mutex_child_init on the mutex), connect lazily, start the
 * background thread. Stops with PCHILD. Until then, calls to memcached or
 * Redis fail with APR_EINIT. */
apr_status_t rxa_shcache_child_init(rxa_shcache_t *c, apr_pool_t *pchild);

/* A periodic task: FN(BATON) every INTERVAL on the background thread,
 * while the cache is up and also while it is down (a task's failing
 * operation is how a down cache is noticed by a process with no traffic).
 * Register before rxa_shcache_child_init. */
typedef void rxa_shcache_task_fn(void *baton);
apr_status_t rxa_shcache_every(rxa_shcache_t *c, apr_interval_time_t interval,
                               rxa_shcache_task_fn *fn, void *baton);

/* Times to live are 1 s to 30 days (APR_EINVAL beyond). A key serves one
 * kind of call: claims, values (set, get) or a counter (incr). */

/* KEY created for TTL seconds if absent: APR_SUCCESS when this caller made
 * it, APR_EEXIST when it was there (a lock, a replay check). What a claimed
 * key holds is unspecified. */
apr_status_t rxa_shcache_claim(rxa_shcache_t *c, const char *key,
                               apr_uint32_t ttl);

/* KEY holds LEN bytes of VAL for TTL seconds (TTL >= 1). */
apr_status_t rxa_shcache_set(rxa_shcache_t *c, const char *key,
                             const void *val, apr_size_t len,
                             apr_uint32_t ttl);

/* KEY's value copied into POOL (NUL-terminated, *LEN not counting it), or
 * APR_NOTFOUND. */
apr_status_t rxa_shcache_get(rxa_shcache_t *c, apr_pool_t *pool,
                             const char *key, char **val, apr_size_t *len);

/* Counter KEY incremented, made (at 1) when absent; no expiry. *VALUE is
 * the new count. */
apr_status_t rxa_shcache_incr(rxa_shcache_t *c, const char *key,
                              apr_uint64_t *value);

/* Non-zero while the cache counts as up. */
int rxa_shcache_up(const rxa_shcache_t *c);

#endif
