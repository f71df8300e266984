/* One call per key at a time (see rxa_singleflight.h). */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "rxa_singleflight.h"

/* A call in flight (done 0) or finished. Its pool is a child of the
 * table's and is only touched under the table's lock. Callers waiting for
 * it hold it (waiters): an entry dropped meanwhile (orphan) is destroyed
 * by the last of them. */
typedef struct entry {
    apr_pool_t *pool;
    const char *key;
    int done, waiters, orphan;
    apr_status_t rv;
    void *result;
    const char *err;
    apr_time_t finished, valid_until;
} entry_t;

struct rxa_singleflight {
    apr_pool_t *pool;          /* its own allocator: used under lock only */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *finished;
    apr_hash_t *table;
    apr_interval_time_t share;
    unsigned int max_entries;
};

apr_status_t rxa_singleflight_create(apr_pool_t *pool,
                                     apr_interval_time_t share,
                                     unsigned int max_entries,
                                     rxa_singleflight_t **out)
{
    apr_allocator_t *alloc;
    apr_pool_t *own;
    rxa_singleflight_t *sf;
    apr_status_t rv;

    *out = NULL;
    if (!pool || share < 0 || max_entries < 1)
        return APR_EINVAL;
    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS)
        return rv;
    if ((rv = apr_pool_create_ex(&own, pool, NULL, alloc)) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, own);
    sf = apr_pcalloc(own, sizeof(*sf));
    sf->pool = own;
    sf->share = share;
    sf->max_entries = max_entries;
    sf->table = apr_hash_make(own);
    if ((rv = apr_thread_mutex_create(&sf->lock, APR_THREAD_MUTEX_DEFAULT,
                                      own)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&sf->finished, own)) != APR_SUCCESS) {
        apr_pool_destroy(own);
        return rv;
    }
    *out = sf;
    return APR_SUCCESS;
}

/* Whether a late arrival may take E's result at NOW. */
static int entry_shareable(const rxa_singleflight_t *sf, const entry_t *e,
                           apr_time_t now)
{
    return now - e->finished <= sf->share
        && (!e->valid_until || now < e->valid_until);
}

/* Out of the table; its pool goes now, or with its last waiter. */
static void entry_drop(rxa_singleflight_t *sf, entry_t *e)
{
    apr_hash_set(sf->table, e->key, APR_HASH_KEY_STRING, NULL);
    if (e->waiters)
        e->orphan = 1;
    else
        apr_pool_destroy(e->pool);
}

/* Drop finished entries no late arrival may take; when the table is still
 * full, every finished one. */
static void table_expire(rxa_singleflight_t *sf, apr_time_t now)
{
    apr_hash_index_t *hi;
    int all = 0, pass;

    for (pass = 0; pass < 2; pass++) {
        for (hi = apr_hash_first(NULL, sf->table); hi; ) {
            entry_t *e = apr_hash_this_val(hi);
            hi = apr_hash_next(hi);
            if (e->done && (all || !entry_shareable(sf, e, now)))
                entry_drop(sf, e);
        }
        if (apr_hash_count(sf->table) < sf->max_entries)
            break;
        all = 1;
    }
}

/* The caller's copy of E's outcome; under the lock. */
static apr_status_t entry_take(const entry_t *e, apr_pool_t *pool,
                               rxa_singleflight_copy_fn *copy, void **result,
                               const char **err)
{
    if (e->rv == APR_SUCCESS)
        *result = copy(pool, e->result);
    else
        *err = e->err ? apr_pstrdup(pool, e->err) : NULL;
    return e->rv;
}

apr_status_t rxa_singleflight_do(rxa_singleflight_t *sf, apr_pool_t *pool,
                                 const char *key,
                                 rxa_singleflight_call_fn *call, void *baton,
                                 rxa_singleflight_copy_fn *copy,
                                 void **result, const char **err,
                                 int *shared)
{
    apr_time_t now = apr_time_now(), until = 0;
    apr_pool_t *epool;
    entry_t *e;
    apr_status_t rv;

    *result = NULL;
    *err = NULL;
    if (shared)
        *shared = 0;
    if (!sf)
        return call(baton, pool, result, err, &until);

    apr_thread_mutex_lock(sf->lock);
    e = apr_hash_get(sf->table, key, APR_HASH_KEY_STRING);
    if (e && e->done && !entry_shareable(sf, e, now)) {
        entry_drop(sf, e);
        e = NULL;
    }
    if (e) {
        /* in flight, or finished and still to be shared */
        e->waiters++;
        while (!e->done)
            apr_thread_cond_wait(sf->finished, sf->lock);
        e->waiters--;
        rv = entry_take(e, pool, copy, result, err);
        if (e->orphan && !e->waiters)
            apr_pool_destroy(e->pool);
        apr_thread_mutex_unlock(sf->lock);
        if (shared)
            *shared = 1;
        return rv;
    }
    table_expire(sf, now);
    if (apr_pool_create(&epool, sf->pool) != APR_SUCCESS) {
        /* no entry to share through: this call is the caller's alone */
        apr_thread_mutex_unlock(sf->lock);
        return call(baton, pool, result, err, &until);
    }
    e = apr_pcalloc(epool, sizeof(*e));
    e->pool = epool;
    e->key = apr_pstrdup(epool, key);
    apr_hash_set(sf->table, e->key, APR_HASH_KEY_STRING, e);
    apr_thread_mutex_unlock(sf->lock);

    rv = call(baton, pool, result, err, &until);

    apr_thread_mutex_lock(sf->lock);
    e->rv = rv;
    if (rv == APR_SUCCESS)
        e->result = copy(e->pool, *result);
    else
        e->err = *err ? apr_pstrdup(e->pool, *err) : NULL;
    e->valid_until = until;
    e->finished = apr_time_now();
    e->done = 1;
    apr_thread_cond_broadcast(sf->finished);
    apr_thread_mutex_unlock(sf->lock);
    return rv;
}
