/* Issuers: the state that start-up discovery fills and requests read. A
 * snapshot of an issuer's metadata and key set, replaced as a whole when
 * either is fetched again, retried with back-off while the issuer cannot
 * be reached.
 */
#ifndef RXA_ISSUER_H
#define RXA_ISSUER_H

#include <apr_pools.h>
#include <apr_thread_mutex.h>

#include "rxa_fetcher.h"
#include "rxa_jwk.h"
#include "rxa_metadata.h"

/* What one successful discovery produced; immutable once published. */
typedef struct rxa_issuer_snap {
    rxa_metadata_t *md;
    rxa_jwks_t *keys;                   /* the signing keys we can use */
    rxa_jws_algset_t algs;              /* md->signing_algs as a set */
    apr_time_t fetched;                 /* the metadata */
    apr_time_t keys_fetched;            /* the key set */
    apr_uint32_t key_gen;               /* the shared generation it reflects */
    apr_uint64_t serial;                /* unique in this process, never
                                         * reused: what caches compare */
} rxa_issuer_snap_t;

#define RXA_ISSUER_ERR_MAX 1024

/* One distinct issuer, shared by every provider (in every vhost) naming it. */
typedef struct rxa_issuer {
    const char *url;                    /* configured issuer */
    const char *ca_file;
    long timeout_ms;
    /* rxa_issuer_snap_t *: the current snapshot, on which the issuer holds
     * one reference. Each snapshot lives in a pool of its own, destroyed
     * when its last holder lets go. */
    void *volatile snap;
    /* Copies of what callers that only compare snapshots need, read with
     * no lock and no reference: the current snapshot's serial (0: none)
     * and its key generation, and when it falls due for a refresh. */
    volatile apr_uint64_t cur_serial;
    volatile apr_uint32_t cur_key_gen;
    volatile apr_time_t cur_due;
    /* Held for an instant: to replace snap, to take a reference on it, and
     * around last_err. */
    apr_thread_mutex_t *snap_lock;
    apr_pool_t *pool;                   /* parent of the fetches' scratch pools */
    apr_thread_mutex_t *lock;           /* one fetcher at a time */
    apr_time_t next_try;                /* when a failed fetch is retried */
    apr_time_t keys_tried;              /* last unknown-kid refetch */
    /* Bumped by the process that finds the key set changed; the others
     * see it and fetch too, so a rotation reaches every worker process.
     * In shared memory when rxa_issuers_share_generations succeeded. */
    volatile apr_uint32_t *key_gen;
    apr_uint32_t key_gen_private;
    apr_interval_time_t backoff;
    char last_err[RXA_ISSUER_ERR_MAX];  /* tagged, for the error page log;
                                         * empty when usable or not tried */
    rxa_fetch_job_t job;                /* for the background fetcher */
} rxa_issuer_t;

#define RXA_BACKOFF_MIN apr_time_from_sec(2)
#define RXA_BACKOFF_MAX apr_time_from_sec(300)
/* Metadata is refreshed every 24 h, the key set every hour, and at once,
 * but at most this often, when a token names an unknown kid. */
#define RXA_METADATA_MAX_AGE apr_time_from_sec(24 * 3600)
#define RXA_JWKS_MAX_AGE apr_time_from_sec(3600)
#define RXA_JWKS_MIN_INTERVAL apr_time_from_sec(10)

/* A new issuer whose memory lives until PCONF is cleared; a snapshot
 * still held then goes when its last holder lets go. */
rxa_issuer_t *rxa_issuer_create(apr_pool_t *pconf, const char *url,
                                const char *ca_file, long timeout_ms);

/* Put the issuers' key-set generations in anonymous shared memory (in
 * PCONF, inherited by the worker processes). */
apr_status_t rxa_issuers_share_generations(apr_pool_t *pconf,
                                           rxa_issuer_t *const *issuers,
                                           int n);

/* Fetch every issuer's metadata, then every JWKS, in parallel. Failed
 * issuers get last_err set and a retry time. Returns how many failed. */
int rxa_issuers_discover(apr_pool_t *ptemp, rxa_issuer_t *const *issuers,
                         int n, apr_time_t now);

/* The current snapshot; when there is none and a retry is due, or the one
 * there is due for its periodic refresh, one caller fetches (the others do
 * not wait), or, with the background fetcher running, one caller asks it
 * to and none waits. NULL while unavailable. The snapshot returned stays
 * valid until HOLDER is cleared, even when a newer one replaces it; a NULL
 * HOLDER is for single-threaded start-up code only (valid until the next
 * refresh). Compare snapshots by their serial, never by address. */
rxa_issuer_snap_t *rxa_issuer_get(rxa_issuer_t *iss, apr_time_t now,
                                  apr_pool_t *holder);

/* The serial of ISS's current snapshot, for a caller that only compares it
 * with one it remembers: while that snapshot is usable and not due for a
 * refresh, read without a lock or a reference (the request path's cost);
 * otherwise what rxa_issuer_get with HOLDER makes of it. 0 while ISS is
 * unavailable. */
apr_uint64_t rxa_issuer_serial(rxa_issuer_t *iss, apr_time_t now,
                               apr_pool_t *holder);

/* Why ISS is not usable, copied into POOL (NULL when it is, or has not been
 * tried yet). Safe while the fetcher may change it. */
const char *rxa_issuer_last_error(rxa_issuer_t *iss, apr_pool_t *pool);

/* A token named a kid the key set lacks: fetch the key set again, at most
 * once per RXA_JWKS_MIN_INTERVAL per issuer, and return the snapshot to
 * verify with (the new one, or the current one when throttled or failed). */
rxa_issuer_snap_t *rxa_issuer_refresh_keys(rxa_issuer_t *iss, apr_time_t now,
                                           apr_pool_t *holder);

/* How many snapshots are alive in this process (for tests). */
apr_uint32_t rxa_issuer_snaps_alive(void);

#endif
