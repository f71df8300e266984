/* The background fetcher: one thread per process that runs the fetches
 * callers ask for, so that no caller waits for a provider.
 */
#ifndef RXA_FETCHER_H
#define RXA_FETCHER_H

#include <apr_pools.h>

/* A fetch for the fetcher's thread, embedded in what it is for. */
typedef struct rxa_fetch_job {
    void (*run)(struct rxa_fetch_job *job);
    /* Waiting for the fetcher; under its lock. */
    int queued;
    struct rxa_fetch_job *next;
} rxa_fetch_job_t;

/* Start this process's background fetcher: one thread that does the
 * retries and periodic refreshes rxa_issuer_get asks for, so no caller
 * waits for a provider. Still fetched by the caller, which needs the
 * answer: the key set when a token names an unknown kid, or when another
 * process has announced a new one. Clearing POOL stops the fetcher: a
 * fetch in flight is cancelled (RXA01106) and the thread joined. One per
 * process. */
apr_status_t rxa_issuers_fetch_in_background(apr_pool_t *pool);

/* Have the fetcher run JOB (once until it has run); 0 when no fetcher is
 * running, and the caller is to fetch itself. */
int rxa_fetcher_want(rxa_fetch_job_t *job);

/* Set while the fetcher stops: a fetch given it as its cancel flag gives
 * up (RXA01106). */
volatile apr_uint32_t *rxa_fetcher_cancel_flag(void);

#endif
