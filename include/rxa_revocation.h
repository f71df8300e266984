/* The revocation list: sign-ins that ended (a logout here, or the IdP's
 * back-channel logout) and must be refused wherever their cookies show up.
 *
 * Three kinds of entry, each a SHA-256 digest (a dump of the cache shows
 * no sign-in id, sid or sub):
 *   - a sign-in id (logout here),
 *   - an issuer and its session id, "sid" (back-channel logout with sid),
 *   - an issuer and a subject with a time: every sign-in of that sub at
 *     that issuer begun before it (back-channel logout with sub alone).
 *
 * Each process keeps the whole list in its own memory and checks requests
 * against it there (no network call per request; nothing to do at all
 * while the list is empty). A revocation is added locally at once and
 * written to the shared cache: an entry per revocation under a generation
 * counter. Every process syncs on the cache's background thread every
 * RXA_REVOCATION_SYNC_INTERVAL, reading only the entries after the last
 * generation it saw, so a revocation reaches every process of every
 * replica sharing the cache well within 2 s. Entries live
 * RXA_REVOCATION_TTL, the life of the cookies they refuse.
 *
 * With the cache down, revocations are known in the process that made
 * them, and written when it is back (kept in a bounded local queue).
 *
 * Thread-safe.
 */
#ifndef RXA_REVOCATION_H
#define RXA_REVOCATION_H

#include <apr_pools.h>
#include <apr_time.h>

#include "rxa_shcache.h"

#define RXA_REVOCATION_SYNC_INTERVAL apr_time_from_msec(500)
/* The cookies' Max-Age (7 days) plus a day. */
#define RXA_REVOCATION_TTL (8 * 24 * 3600)

typedef struct rxa_revocation rxa_revocation_t;

/* What a sign-in is checked against: its digests, made once when the
 * sign-in is read (and kept with it in the identity caches). */
typedef struct rxa_signin_ref {
    unsigned char signin[32];       /* the sign-in id */
    unsigned char sid[32];          /* issuer and the ID token's sid */
    unsigned char sub[32];          /* issuer and sub */
    int has_sid;
    apr_int64_t started_at;         /* epoch seconds; 0: unknown (counts as
                                     * begun before any time) */
} rxa_signin_ref_t;

/* REF for a sign-in: its id, when it began, the ID token's iss, sid (NULL
 * when it has none) and sub. */
void rxa_signin_ref_make(rxa_signin_ref_t *ref, const char *signin_id,
                         apr_int64_t started_at, const char *iss,
                         const char *sid, const char *sub);

/* A list synced through CACHE (which may be NULL: local only), in POOL;
 * registers its sync task with CACHE, so call before the cache's
 * child_init. */
apr_status_t rxa_revocation_create(apr_pool_t *pool, rxa_shcache_t *cache,
                                   rxa_revocation_t **out);

/* Non-zero when REF's sign-in is revoked at NOW. */
int rxa_revocation_check(rxa_revocation_t *rev, const rxa_signin_ref_t *ref,
                         apr_time_t now);

/* Revoke one sign-in (logout). */
apr_status_t rxa_revoke_signin(rxa_revocation_t *rev, const char *signin_id);
/* Revoke every sign-in with ISS's session SID. */
apr_status_t rxa_revoke_sid(rxa_revocation_t *rev, const char *iss,
                            const char *sid);
/* Revoke every sign-in of SUB at ISS begun before BEFORE (epoch seconds),
 * or in that same second: seconds cannot tell which came first, and a
 * sign-in refused by mistake only signs in again. */
apr_status_t rxa_revoke_sub(rxa_revocation_t *rev, const char *iss,
                            const char *sub, apr_int64_t before);

/* Read the entries other processes added since the last sync (the
 * periodic task; tests call it directly). */
apr_status_t rxa_revocation_sync(rxa_revocation_t *rev);

#endif
