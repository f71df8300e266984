/* The background fetcher: see rxa_fetcher.h. */
#include <pthread.h>
#include <signal.h>

#include <apr_atomic.h>
#include <apr_thread_cond.h>
#include <apr_thread_proc.h>

#include "rxa_fetcher.h"

/* One thread per process, woken by callers that want a job run. */
static struct {
    apr_thread_t *thread;
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;
    rxa_fetch_job_t *queue;             /* linked by next */
    int stopping;
} fetcher;
static volatile apr_uint32_t fetcher_on;        /* callers never fetch */
static volatile apr_uint32_t fetches_cancelled; /* the fetcher is stopping */

volatile apr_uint32_t *rxa_fetcher_cancel_flag(void)
{
    return &fetches_cancelled;
}

int rxa_fetcher_want(rxa_fetch_job_t *job)
{
    if (!apr_atomic_read32(&fetcher_on))
        return 0;
    apr_thread_mutex_lock(fetcher.lock);
    if (!job->queued && !fetcher.stopping) {
        job->queued = 1;
        job->next = fetcher.queue;
        fetcher.queue = job;
        apr_thread_cond_signal(fetcher.wake);
    }
    apr_thread_mutex_unlock(fetcher.lock);
    return 1;
}

static void *APR_THREAD_FUNC fetcher_main(apr_thread_t *thread, void *data)
{
    (void)data;
    apr_thread_mutex_lock(fetcher.lock);
    for (;;) {
        rxa_fetch_job_t *job;

        while (!fetcher.queue && !fetcher.stopping)
            apr_thread_cond_wait(fetcher.wake, fetcher.lock);
        if (fetcher.stopping)
            break;
        job = fetcher.queue;
        fetcher.queue = job->next;
        apr_thread_mutex_unlock(fetcher.lock);
        job->run(job);
        apr_thread_mutex_lock(fetcher.lock);
        job->next = NULL;
        job->queued = 0;
    }
    apr_thread_mutex_unlock(fetcher.lock);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pre-cleanup: it runs before POOL's subpools (the thread's) go. The
 * lock stays: a thread of another module may still ask (and be refused)
 * while the rest of the process's cleanups run. */
static apr_status_t fetcher_stop(void *data)
{
    apr_status_t rv;
    rxa_fetch_job_t *job;

    (void)data;
    apr_atomic_set32(&fetcher_on, 0);
    apr_thread_mutex_lock(fetcher.lock);
    fetcher.stopping = 1;
    apr_atomic_set32(&fetches_cancelled, 1);
    apr_thread_cond_broadcast(fetcher.wake);
    apr_thread_mutex_unlock(fetcher.lock);
    apr_thread_join(&rv, fetcher.thread);
    apr_thread_mutex_lock(fetcher.lock);
    for (job = fetcher.queue; job; job = fetcher.queue) {
        fetcher.queue = job->next;
        job->next = NULL;
        job->queued = 0;
    }
    fetcher.thread = NULL;
    apr_thread_mutex_unlock(fetcher.lock);
    apr_atomic_set32(&fetches_cancelled, 0);
    return APR_SUCCESS;
}

apr_status_t rxa_issuers_fetch_in_background(apr_pool_t *pool)
{
    static apr_pool_t *process_pool;    /* the lock and the condition */
    sigset_t all, saved;
    apr_status_t rv;

    if (apr_atomic_read32(&fetcher_on))
        return APR_EEXIST;
    if (!process_pool) {
        if ((rv = apr_pool_create(&process_pool, NULL)) != APR_SUCCESS)
            return rv;
        apr_pool_tag(process_pool, "rxa_fetcher");
        if ((rv = apr_thread_mutex_create(&fetcher.lock,
                                          APR_THREAD_MUTEX_DEFAULT,
                                          process_pool)) != APR_SUCCESS
            || (rv = apr_thread_cond_create(&fetcher.wake,
                                            process_pool)) != APR_SUCCESS) {
            apr_pool_destroy(process_pool);
            process_pool = NULL;
            return rv;
        }
    }
    /* The thread takes no signal meant for the process (prefork's children
     * stop on SIGTERM and SIGHUP): it starts with every one blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    apr_thread_mutex_lock(fetcher.lock);
    fetcher.stopping = 0;
    rv = apr_thread_create(&fetcher.thread, NULL, fetcher_main, NULL, pool);
    apr_thread_mutex_unlock(fetcher.lock);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rv != APR_SUCCESS)
        return rv;
    apr_pool_pre_cleanup_register(pool, NULL, fetcher_stop);
    apr_atomic_set32(&fetcher_on, 1);
    return APR_SUCCESS;
}
