/* One call per key at a time, per process: while a call for a key is in
 * flight, other callers with the same key wait for it and take its result
 * (success or failure); for SHARE after it finished, late arrivals take it
 * too instead of calling again. Used for token refreshes, so that an IdP
 * that rotates refresh tokens never sees one used twice from here.
 *
 * A NULL table is valid and means no coalescing: every caller makes its
 * own call. A process whose table could not be created uses that.
 *
 * Thread-safe (one mutex and one condition per table). Results are copied
 * in and out under the lock, so the call itself runs unlocked and a
 * result outlives nothing it came from.
 */
#ifndef RXA_SINGLEFLIGHT_H
#define RXA_SINGLEFLIGHT_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct rxa_singleflight rxa_singleflight_t;

/* The call: its result in POOL as *RESULT, or a failure status and a
 * message in POOL as *ERR. *VALID_UNTIL (preset to 0, no bound) may end
 * a success's sharing before SHARE does. */
typedef apr_status_t rxa_singleflight_call_fn(void *baton, apr_pool_t *pool,
                                              void **result, const char **err,
                                              apr_time_t *valid_until);

/* A deep copy of RESULT in POOL. */
typedef void *rxa_singleflight_copy_fn(apr_pool_t *pool, const void *result);

/* A table of at most MAX_ENTRIES (>= 1) finished calls, destroyed with
 * POOL. Returns APR_SUCCESS, APR_EINVAL for a bad argument, or the status
 * of what failed (allocator, pool, mutex, condition); *OUT is NULL then. */
apr_status_t rxa_singleflight_create(apr_pool_t *pool,
                                     apr_interval_time_t share,
                                     unsigned int max_entries,
                                     rxa_singleflight_t **out);

/* CALL's result for KEY: this caller's own call, one in flight, or one
 * finished less than SHARE ago (and before its valid_until). The result
 * is copied with COPY into POOL (*RESULT), and a failure's message too
 * (*ERR). Returns the call's status. *SHARED (when not NULL) says whether
 * another caller's call was taken. */
apr_status_t rxa_singleflight_do(rxa_singleflight_t *sf, apr_pool_t *pool,
                                 const char *key,
                                 rxa_singleflight_call_fn *call, void *baton,
                                 rxa_singleflight_copy_fn *copy,
                                 void **result, const char **err,
                                 int *shared);

#endif
