/* The "shm" shared cache: a fixed table in one anonymous shared memory
 * segment, made in the parent so every child inherits it. Callers hold the
 * global mutex around each call.
 *
 * Two classes of slots: many small ones (a lock, a counter, a revocation
 * entry: key and value together up to SMALL_BYTES) and a few large ones
 * (a refresh's sealed result, up to RXA_SHCACHE_MAX_VALUE). An entry
 * lives in one slot of the smallest class it fits. A new entry takes a
 * free or expired slot of its class, else the slot that expires soonest
 * (counters, which never expire, go last).
 *
 * Each slot's head (when it expires, the key's hash, the lengths) sits in
 * a dense array apart from the data, so the scan of a class that every
 * call makes reads a few hundred kilobytes, not megabytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "shcache_int.h"

#define SMALL_SLOTS 16384
#define SMALL_BYTES 232
#define LARGE_SLOTS 128
#define LARGE_BYTES (RXA_SHCACHE_MAX_KEY + RXA_SHCACHE_MAX_VALUE)
#define NEVER APR_INT64_MAX

typedef struct head {
    apr_time_t expires;         /* 0: free */
    apr_uint32_t hash;
    apr_uint16_t klen;
    apr_uint16_t vlen;
} head_t;

typedef struct slot_class {
    head_t *heads;
    char *data;
    apr_size_t nslots, bytes;
} slot_class_t;

struct rxa_shm_table {
    apr_shm_t *shm;
    slot_class_t cls[2];        /* small, large */
};

/* A slot: its class and index. */
typedef struct slot {
    slot_class_t *cls;
    apr_size_t i;
} slot_t;

apr_status_t rxa_shm_table_create(apr_pool_t *pool, rxa_shm_table_t **out)
{
    apr_size_t small_heads = SMALL_SLOTS * sizeof(head_t);
    apr_size_t large_heads = LARGE_SLOTS * sizeof(head_t);
    apr_size_t size = small_heads + large_heads
        + (apr_size_t)SMALL_SLOTS * SMALL_BYTES
        + (apr_size_t)LARGE_SLOTS * LARGE_BYTES;
    rxa_shm_table_t *t = apr_pcalloc(pool, sizeof(*t));
    apr_status_t rv;
    char *base;

    *out = NULL;
    if ((rv = apr_shm_create(&t->shm, size, NULL, pool)) != APR_SUCCESS)
        return rv;
    base = apr_shm_baseaddr_get(t->shm);
    memset(base, 0, small_heads + large_heads);
    t->cls[0].heads = (head_t *)base;
    t->cls[1].heads = (head_t *)(base + small_heads);
    t->cls[0].data = base + small_heads + large_heads;
    t->cls[1].data = t->cls[0].data + (apr_size_t)SMALL_SLOTS * SMALL_BYTES;
    t->cls[0].nslots = SMALL_SLOTS;
    t->cls[0].bytes = SMALL_BYTES;
    t->cls[1].nslots = LARGE_SLOTS;
    t->cls[1].bytes = LARGE_BYTES;
    *out = t;
    return APR_SUCCESS;
}

/* FNV-1a: only to skip most slots without comparing keys. */
static apr_uint32_t key_hash(const char *key, apr_size_t klen)
{
    apr_uint32_t h = 2166136261u;
    apr_size_t i;

    for (i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

static int slot_live(const head_t *h, apr_time_t now)
{
    return h->expires > now;
}

static char *slot_data(slot_t s)
{
    return s.cls->data + s.i * s.cls->bytes;
}

/* The live slot holding KEY, in *S. */
static int slot_find(rxa_shm_table_t *t, const char *key, apr_size_t klen,
                     apr_uint32_t hash, apr_time_t now, slot_t *s)
{
    int c;
    apr_size_t i;

    for (c = 0; c < 2; c++)
        for (i = 0; i < t->cls[c].nslots; i++) {
            const head_t *h = &t->cls[c].heads[i];

            if (h->hash == hash && h->klen == klen && slot_live(h, now)) {
                s->cls = &t->cls[c];
                s->i = i;
                if (!memcmp(slot_data(*s), key, klen))
                    return 1;
            }
        }
    return 0;
}

/* The smallest class for NEED bytes of key and value. */
static slot_class_t *class_for(rxa_shm_table_t *t, apr_size_t need)
{
    return &t->cls[need <= SMALL_BYTES ? 0 : 1];
}

/* A slot for a new entry of NEED bytes: free or expired, else evicted. */
static slot_t slot_take(rxa_shm_table_t *t, apr_size_t need, apr_time_t now)
{
    slot_t s;
    apr_size_t i;

    s.cls = class_for(t, need);
    s.i = 0;
    for (i = 0; i < s.cls->nslots; i++) {
        const head_t *h = &s.cls->heads[i];

        if (!slot_live(h, now)) {
            s.i = i;
            return s;
        }
        if (h->expires < s.cls->heads[s.i].expires)
            s.i = i;
    }
    return s;
}

static void slot_put(slot_t s, const char *key, apr_size_t klen,
                     apr_uint32_t hash, const void *val, apr_size_t vlen,
                     apr_time_t expires)
{
    head_t *h = &s.cls->heads[s.i];
    char *d = slot_data(s);

    memcpy(d, key, klen);
    if (vlen)
        memcpy(d + klen, val, vlen);
    h->hash = hash;
    h->klen = (apr_uint16_t)klen;
    h->vlen = (apr_uint16_t)vlen;
    h->expires = expires;
}

/* KEY's slot for a value of VLEN bytes: its own when of the right class,
 * else a new one (the old one freed). */
static slot_t slot_for(rxa_shm_table_t *t, const char *key, apr_size_t klen,
                       apr_uint32_t hash, apr_size_t vlen, apr_time_t now)
{
    slot_t s;

    if (slot_find(t, key, klen, hash, now, &s)) {
        if (s.cls == class_for(t, klen + vlen))
            return s;
        s.cls->heads[s.i].expires = 0;
    }
    return slot_take(t, klen + vlen, now);
}

apr_status_t rxa_shm_claim(rxa_shm_table_t *t, const char *key,
                           apr_uint32_t ttl, apr_time_t now)
{
    apr_size_t klen = strlen(key);
    apr_uint32_t hash = key_hash(key, klen);
    slot_t s;

    if (slot_find(t, key, klen, hash, now, &s))
        return APR_EEXIST;
    /* "1", as the memcached and Redis caches store a claim */
    slot_put(slot_take(t, klen + 1, now), key, klen, hash, "1", 1,
             now + apr_time_from_sec(ttl));
    return APR_SUCCESS;
}

apr_status_t rxa_shm_set(rxa_shm_table_t *t, const char *key,
                         const void *val, apr_size_t len, apr_uint32_t ttl,
                         apr_time_t now)
{
    apr_size_t klen = strlen(key);
    apr_uint32_t hash = key_hash(key, klen);

    slot_put(slot_for(t, key, klen, hash, len, now), key, klen, hash, val,
             len, now + apr_time_from_sec(ttl));
    return APR_SUCCESS;
}

apr_status_t rxa_shm_get(rxa_shm_table_t *t, apr_pool_t *pool,
                         const char *key, apr_time_t now, char **val,
                         apr_size_t *len)
{
    apr_size_t klen = strlen(key);
    slot_t s;

    if (!slot_find(t, key, klen, key_hash(key, klen), now, &s))
        return APR_NOTFOUND;
    *len = s.cls->heads[s.i].vlen;
    *val = apr_pstrmemdup(pool, slot_data(s) + klen, *len);
    return APR_SUCCESS;
}

/* A counter is its count in decimal, as memcached and Redis keep it. */
apr_status_t rxa_shm_incr(rxa_shm_table_t *t, const char *key,
                          apr_time_t now, apr_uint64_t *value)
{
    apr_size_t klen = strlen(key);
    apr_uint32_t hash = key_hash(key, klen);
    apr_time_t expires = NEVER;
    apr_uint64_t n = 0;
    char text[24];
    int tlen;
    slot_t s;

    if (slot_find(t, key, klen, hash, now, &s)) {
        const head_t *h = &s.cls->heads[s.i];
        const char *v = slot_data(s) + klen;
        apr_size_t i;

        if (!h->vlen || h->vlen > 20)
            return APR_EINVAL;
        for (i = 0; i < h->vlen; i++) {
            if (v[i] < '0' || v[i] > '9'
                || n > (APR_UINT64_MAX - (apr_uint64_t)(v[i] - '0')) / 10)
                return APR_EINVAL;
            n = n * 10 + (apr_uint64_t)(v[i] - '0');
        }
        if (n == APR_UINT64_MAX)
            return APR_EINVAL;
        expires = h->expires;
    }
    n++;
    tlen = snprintf(text, sizeof(text), "%" APR_UINT64_T_FMT, n);
    slot_put(slot_for(t, key, klen, hash, (apr_size_t)tlen, now), key, klen,
             hash, text, (apr_size_t)tlen, expires);
    *value = n;
    return APR_SUCCESS;
}
