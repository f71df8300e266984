/* Per-process cache of verified session cookie sets (see rxa_vcache.h).
 *
 * Entries are malloc'd, not pool-allocated: they come and go for the whole
 * life of a worker process, and a pool per entry would cost 8 KB each and
 * never give memory back. One block holds the entry, its key and the
 * session's strings. */
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_thread_mutex.h>

#include "rxa_vcache.h"

typedef struct vc_entry vc_entry_t;
struct vc_entry {
    vc_entry_t *prev, *next;    /* LRU list, most recent first */
    volatile apr_uint32_t refs; /* one for the cache while listed, one per
                                 * pool holding a hit; atomic, so letting
                                 * go of a hit takes no lock */
    apr_uint64_t tag;
    apr_int64_t valid_until;
    rxa_session_t s;
    json_t *claims;
    rxa_signin_ref_t ref;
    int has_ref;
    apr_size_t klen;
    char key[];                 /* then the session's strings */
};

struct rxa_vcache {
    apr_thread_mutex_t *lock;
    apr_hash_t *index;          /* key bytes -> vc_entry_t */
    vc_entry_t *lru;            /* sentinel: lru->next is the newest (a
                                 * pointer: an entry ends in its key) */
    apr_size_t max, count;
    rxa_vcache_stats_t st;
};

/* apr_hash's default function reads every byte of a key that is a couple
 * of kilobytes of cookie. The tail of each sealed value is its GCM tag,
 * fresh at every seal, so the last bytes and the length spread keys as
 * well; equality is still decided by comparing every byte. */
#define VC_HASH_TAIL 64

static unsigned int vc_hash(const char *key, apr_ssize_t *klen)
{
    apr_size_t n = (apr_size_t)*klen, i;
    const unsigned char *p = (const unsigned char *)key;
    apr_uint32_t h = 2166136261u ^ (apr_uint32_t)n;     /* FNV-1a */

    for (i = n > VC_HASH_TAIL ? n - VC_HASH_TAIL : 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void entry_free(vc_entry_t *e)
{
    json_decref(e->claims);
    free(e);
}

/* The entry if that was its last reference (the caller frees it, outside
 * the lock), NULL otherwise. */
static vc_entry_t *entry_drop_ref(vc_entry_t *e)
{
    return apr_atomic_dec32(&e->refs) ? NULL : e;
}

static vc_entry_t *entry_unlist(rxa_vcache_t *c, vc_entry_t *e)
{
    apr_hash_set(c->index, e->key, e->klen, NULL);
    e->prev->next = e->next;
    e->next->prev = e->prev;
    c->count--;
    return entry_drop_ref(e);
}

static void entry_push_front(rxa_vcache_t *c, vc_entry_t *e)
{
    e->next = c->lru->next;
    e->prev = c->lru;
    c->lru->next->prev = e;
    c->lru->next = e;
}

static apr_status_t entry_release(void *data)
{
    vc_entry_t *dead = entry_drop_ref(data);

    if (dead)
        entry_free(dead);
    return APR_SUCCESS;
}

static apr_status_t cache_cleanup(void *data)
{
    rxa_vcache_t *c = data;

    /* Pools holding hits are gone before the cache's own pool is. */
    while (c->lru->next != c->lru) {
        vc_entry_t *dead = entry_unlist(c, c->lru->next);
        if (dead)
            entry_free(dead);
    }
    return APR_SUCCESS;
}

apr_status_t rxa_vcache_create(apr_pool_t *pool, apr_size_t max_entries,
                               rxa_vcache_t **out)
{
    rxa_vcache_t *c = apr_pcalloc(pool, sizeof(*c));
    apr_status_t rv;

    *out = NULL;
    if (max_entries < 1)
        return APR_EINVAL;
    rv = apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv != APR_SUCCESS)
        return rv;
    c->index = apr_hash_make_custom(pool, vc_hash);
    c->lru = apr_pcalloc(pool, sizeof(*c->lru));
    c->lru->next = c->lru->prev = c->lru;
    c->max = max_entries;
    apr_pool_cleanup_register(pool, c, cache_cleanup, apr_pool_cleanup_null);
    *out = c;
    return APR_SUCCESS;
}

int rxa_vcache_get(rxa_vcache_t *c, apr_pool_t *pool, const char *key,
                   apr_size_t klen, apr_uint64_t tag, apr_int64_t now,
                   const rxa_session_t **s, json_t **claims,
                   const rxa_signin_ref_t **ref, apr_int64_t *valid_until)
{
    vc_entry_t *e, *dead = NULL;

    apr_thread_mutex_lock(c->lock);
    e = apr_hash_get(c->index, key, (apr_ssize_t)klen);
    if (e && (e->tag != tag || now >= e->valid_until)) {
        dead = entry_unlist(c, e);
        c->st.expired++;
        e = NULL;
    }
    if (e) {
        /* most recently used goes first */
        e->prev->next = e->next;
        e->next->prev = e->prev;
        entry_push_front(c, e);
        apr_atomic_inc32(&e->refs);     /* listed, so refs >= 1 */
        c->st.hits++;
    }
    else
        c->st.misses++;
    apr_thread_mutex_unlock(c->lock);
    if (dead)
        entry_free(dead);
    if (!e)
        return 0;
    apr_pool_cleanup_register(pool, e, entry_release, apr_pool_cleanup_null);
    *s = &e->s;
    *claims = e->claims;
    if (ref)
        *ref = e->has_ref ? &e->ref : NULL;
    if (valid_until)
        *valid_until = e->valid_until;
    return 1;
}

/* Copy string S to *AT, advancing it; NULL stays NULL. */
static const char *stash(char **at, const char *s)
{
    char *to = *at;
    apr_size_t n;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    memcpy(to, s, n);
    *at += n;
    return to;
}

static apr_size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

void rxa_vcache_put(rxa_vcache_t *c, const char *key, apr_size_t klen,
                    apr_uint64_t tag, apr_int64_t now, apr_int64_t valid_until,
                    const rxa_session_t *s, json_t *claims,
                    const rxa_signin_ref_t *ref)
{
    vc_entry_t *e, *old, *dead_old = NULL, *dead_lru = NULL;
    apr_size_t size;
    char *at;

    if (valid_until <= now || !claims)
        return;
    size = sizeof(*e) + klen + slen(s->provider) + slen(s->sid)
        + slen(s->access_token) + slen(s->id_token) + slen(s->refresh_token)
        + slen(s->granted_scopes);
    if (!(e = malloc(size)))
        return;                 /* a cache: going without is correct */
    memset(e, 0, sizeof(*e));
    e->refs = 1;
    e->tag = tag;
    e->valid_until = valid_until;
    e->claims = json_incref(claims);
    e->klen = klen;
    memcpy(e->key, key, klen);
    at = e->key + klen;
    if ((e->has_ref = ref != NULL))
        e->ref = *ref;
    e->s.expires_at = s->expires_at;
    e->s.started_at = s->started_at;
    e->s.provider = stash(&at, s->provider);
    e->s.sid = stash(&at, s->sid);
    e->s.access_token = stash(&at, s->access_token);
    e->s.id_token = stash(&at, s->id_token);
    e->s.refresh_token = stash(&at, s->refresh_token);
    e->s.granted_scopes = stash(&at, s->granted_scopes);

    apr_thread_mutex_lock(c->lock);
    if ((old = apr_hash_get(c->index, e->key, (apr_ssize_t)klen)))
        dead_old = entry_unlist(c, old);
    if (c->count >= c->max) {
        dead_lru = entry_unlist(c, c->lru->prev);
        c->st.evictions++;
    }
    entry_push_front(c, e);
    apr_hash_set(c->index, e->key, (apr_ssize_t)klen, e);
    c->count++;
    apr_thread_mutex_unlock(c->lock);
    if (dead_old)
        entry_free(dead_old);
    if (dead_lru)
        entry_free(dead_lru);
}

void rxa_vcache_stats(rxa_vcache_t *c, rxa_vcache_stats_t *st)
{
    apr_thread_mutex_lock(c->lock);
    *st = c->st;
    st->entries = c->count;
    apr_thread_mutex_unlock(c->lock);
}
