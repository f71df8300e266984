/* A per-process cache of session cookie sets already opened and verified,
 * so that unsealing, the ID token's signature check and the claims parse
 * happen once per session per process, not once per request.
 *
 * The key is the exact cookie bytes (the caller joins the provider name and
 * the four sealed values): a hit needs byte equality, never a hash match
 * alone, so a changed or forged cookie is a miss, not a wrong hit. An entry
 * ends at the earliest of
 *   - VALID_UNTIL given by the caller (access token and ID token expiry,
 *     capped), checked on every lookup;
 *   - a different TAG at lookup (the caller passes its issuer snapshot's serial, so
 *     a new key set makes every entry of that issuer verify again);
 *   - eviction of the least recently used entry when the cache is full.
 *
 * Entries are reference counted: a hit stays valid for the life of the pool
 * the lookup was made with, even if the entry is evicted meanwhile. The
 * session and claims returned are shared between threads: read only.
 *
 * Thread-safe (one mutex; lookups hold it for a hash probe and a memcmp).
 */
#ifndef RXA_VCACHE_H
#define RXA_VCACHE_H

#include <apr_pools.h>
#include <jansson.h>

#include "rxa_revocation.h"
#include "rxa_session.h"

typedef struct rxa_vcache rxa_vcache_t;

typedef struct rxa_vcache_stats {
    apr_uint64_t hits, misses, evictions, expired;
    apr_size_t entries;
} rxa_vcache_stats_t;

/* A cache of at most MAX_ENTRIES (>= 1) entries, destroyed with POOL. */
apr_status_t rxa_vcache_create(apr_pool_t *pool, apr_size_t max_entries,
                               rxa_vcache_t **out);

/* The entry for KEY if it is there, has TAG and NOW < its valid_until:
 * 1 with *S, *CLAIMS and *REF (when REF is not NULL; NULL when none was
 * stored) valid for POOL's life, and *VALID_UNTIL (when not NULL) the
 * entry's; 0 otherwise (an expired or re-tagged entry is dropped). */
int rxa_vcache_get(rxa_vcache_t *c, apr_pool_t *pool, const char *key,
                   apr_size_t klen, apr_uint64_t tag, apr_int64_t now,
                   const rxa_session_t **s, json_t **claims,
                   const rxa_signin_ref_t **ref, apr_int64_t *valid_until);

/* Remember S and REF (copied; REF may be NULL) and CLAIMS (a reference
 * is taken; the caller must not change CLAIMS afterwards) under KEY until
 * VALID_UNTIL, replacing an entry with the same key. Nothing happens when
 * VALID_UNTIL <= NOW. */
void rxa_vcache_put(rxa_vcache_t *c, const char *key, apr_size_t klen,
                    apr_uint64_t tag, apr_int64_t now, apr_int64_t valid_until,
                    const rxa_session_t *s, json_t *claims,
                    const rxa_signin_ref_t *ref);

void rxa_vcache_stats(rxa_vcache_t *c, rxa_vcache_stats_t *st);

#endif
