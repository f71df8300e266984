/* Issuer snapshots: see rxa_issuer.h. */
#include <stddef.h>

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "rxa_fetcher.h"
#include "rxa_http.h"
#include "rxa_issuer.h"
#include "rxa_log.h"
#include "rxa_util.h"

/* A pool with a count of its users; the last to let go destroys it. It
 * has an allocator of its own: made in one thread, let go in another. */
typedef struct shared_pool {
    apr_pool_t *pool;
    apr_uint32_t refs;
} shared_pool_t;

static shared_pool_t *shared_pool_make(apr_abortfunc_t abort_fn)
{
    apr_pool_t *pool;
    shared_pool_t *sp;

    if (apr_pool_create_unmanaged_ex(&pool, abort_fn, NULL) != APR_SUCCESS)
        return NULL;
    sp = apr_palloc(pool, sizeof(*sp));
    sp->pool = pool;
    sp->refs = 1;
    return sp;
}

static void shared_pool_unref(shared_pool_t *sp)
{
    if (!apr_atomic_dec32(&sp->refs))
        apr_pool_destroy(sp->pool);
}

/* A snapshot with what keeps it alive: its own pool (the snapshot and its
 * key set) and a reference on the pool of its metadata, which the
 * snapshots made by fetching the key set again share. */
typedef struct snap_box {
    rxa_issuer_snap_t snap;             /* first: a snapshot is its box */
    shared_pool_t *own;
    shared_pool_t *md_pool;
} snap_box_t;

static volatile apr_uint32_t snaps_alive;

apr_uint32_t rxa_issuer_snaps_alive(void)
{
    return apr_atomic_read32(&snaps_alive);
}

static apr_status_t snap_box_gone(void *data)
{
    snap_box_t *box = data;

    shared_pool_unref(box->md_pool);
    apr_atomic_dec32(&snaps_alive);
    return APR_SUCCESS;
}

/* A new snapshot, holding the caller's reference on MD_POOL; NULL (and
 * that reference dropped) when no pool can be made. */
static rxa_issuer_snap_t *snap_make(shared_pool_t *md_pool)
{
    shared_pool_t *own = shared_pool_make(apr_pool_abort_get(md_pool->pool));
    snap_box_t *box;

    if (!own) {
        shared_pool_unref(md_pool);
        return NULL;
    }
    box = apr_pcalloc(own->pool, sizeof(*box));
    box->own = own;
    box->md_pool = md_pool;
    apr_atomic_inc32(&snaps_alive);
    apr_pool_cleanup_register(own->pool, box, snap_box_gone,
                              apr_pool_cleanup_null);
    return &box->snap;
}

static snap_box_t *snap_box(rxa_issuer_snap_t *snap)
{
    return (snap_box_t *)snap;
}

static apr_pool_t *snap_pool(rxa_issuer_snap_t *snap)
{
    return snap_box(snap)->own->pool;
}

static void snap_unref(rxa_issuer_snap_t *snap)
{
    shared_pool_unref(snap_box(snap)->own);
}

static apr_status_t snap_release(void *data)
{
    snap_unref(data);
    return APR_SUCCESS;
}

static rxa_issuer_snap_t *issuer_snap(rxa_issuer_t *iss)
{
    return __atomic_load_n(&iss->snap, __ATOMIC_ACQUIRE);
}

/* The current snapshot with a reference taken for the caller, or NULL. */
static rxa_issuer_snap_t *issuer_snap_ref(rxa_issuer_t *iss)
{
    rxa_issuer_snap_t *snap;

    apr_thread_mutex_lock(iss->snap_lock);
    if ((snap = issuer_snap(iss)))
        apr_atomic_inc32(&snap_box(snap)->own->refs);
    apr_thread_mutex_unlock(iss->snap_lock);
    return snap;
}

/* SNAP's reference passed to HOLDER; without one, dropped (the issuer's
 * own keeps SNAP until it is replaced). */
static rxa_issuer_snap_t *snap_hand_over(rxa_issuer_snap_t *snap,
                                         apr_pool_t *holder)
{
    if (!snap)
        return NULL;
    if (holder)
        apr_pool_cleanup_register(holder, snap, snap_release,
                                  apr_pool_cleanup_null);
    else
        snap_unref(snap);
    return snap;
}

/* The issuer's reference on its current snapshot goes with the
 * configuration; holders keep theirs. */
/* The copies rxa_issuer_serial reads of SNAP (NULL: none). Under
 * snap_lock, or at teardown; the serial is stored last, so a reader that sees it sees the
 * rest at least as new (a reader between the stores at worst takes the
 * full path once). */
static void issuer_mirror(rxa_issuer_t *iss, const rxa_issuer_snap_t *snap)
{
    apr_time_t due = 0;

    if (snap) {
        due = snap->keys_fetched + RXA_JWKS_MAX_AGE;
        if (snap->fetched + RXA_METADATA_MAX_AGE < due)
            due = snap->fetched + RXA_METADATA_MAX_AGE;
        __atomic_store_n(&iss->cur_key_gen, snap->key_gen, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&iss->cur_due, due, __ATOMIC_RELAXED);
    __atomic_store_n(&iss->cur_serial, snap ? snap->serial : 0,
                     __ATOMIC_RELEASE);
}

static apr_status_t issuer_cleanup(void *data)
{
    rxa_issuer_t *iss = data;
    rxa_issuer_snap_t *snap = issuer_snap(iss);

    __atomic_store_n(&iss->snap, NULL, __ATOMIC_RELEASE);
    issuer_mirror(iss, NULL);
    if (snap)
        snap_unref(snap);
    apr_pool_destroy(iss->pool);
    return APR_SUCCESS;
}

static void issuer_job(rxa_fetch_job_t *job);

rxa_issuer_t *rxa_issuer_create(apr_pool_t *pconf, const char *url,
                                const char *ca_file, long timeout_ms)
{
    rxa_issuer_t *iss = apr_pcalloc(pconf, sizeof(*iss));

    iss->url = url;
    iss->ca_file = ca_file;
    iss->timeout_ms = timeout_ms;
    iss->backoff = RXA_BACKOFF_MIN;
    iss->key_gen = &iss->key_gen_private;
    iss->job.run = issuer_job;
    /* Its own pool, whose allocator has a lock: scratch pools are made
     * in it from request threads. */
    apr_pool_create(&iss->pool, NULL);
    apr_pool_tag(iss->pool, "rxa_issuer");
    apr_thread_mutex_create(&iss->lock, APR_THREAD_MUTEX_DEFAULT, pconf);
    apr_thread_mutex_create(&iss->snap_lock, APR_THREAD_MUTEX_DEFAULT, pconf);
    /* after the locks: it runs before they go */
    apr_pool_cleanup_register(pconf, iss, issuer_cleanup,
                              apr_pool_cleanup_null);
    return iss;
}

apr_status_t rxa_issuers_share_generations(apr_pool_t *pconf,
                                           rxa_issuer_t *const *issuers,
                                           int n)
{
    apr_shm_t *shm;
    volatile apr_uint32_t *gens;
    apr_status_t rv;
    int i;

    if (n == 0)
        return APR_SUCCESS;
    rv = apr_shm_create(&shm, sizeof(apr_uint32_t) * (apr_size_t)n, NULL, pconf);
    if (rv != APR_SUCCESS)
        return rv;
    gens = apr_shm_baseaddr_get(shm);
    for (i = 0; i < n; i++) {
        gens[i] = 0;
        issuers[i]->key_gen = &gens[i];
    }
    return APR_SUCCESS;
}

/* Whether two key sets hold the same kids (order aside). */
static int jwks_same_kids(const rxa_jwks_t *a, const rxa_jwks_t *b)
{
    int i, j;

    if (a->keys->nelts != b->keys->nelts)
        return 0;
    for (i = 0; i < a->keys->nelts; i++) {
        const char *kid = APR_ARRAY_IDX(a->keys, i, rxa_jwk_t *)->kid;
        int found = 0;
        for (j = 0; j < b->keys->nelts && !found; j++) {
            const char *other = APR_ARRAY_IDX(b->keys, j, rxa_jwk_t *)->kid;
            found = kid && other ? !strcmp(kid, other) : kid == other;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* A fetch that failed because the fetcher is stopping is no news about
 * the provider: said at debug level, and the caller says nothing more. */
static int stopping_said(const rxa_issuer_t *iss)
{
    if (!apr_atomic_read32(rxa_fetcher_cancel_flag()))
        return 0;
    rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_SUCCESS, "RXA02120: issuer %s: "
            "fetch cancelled, the process is stopping", iss->url);
    return 1;
}

/* The next try after a failed attempt that ended at END. */
static void issuer_back_off(rxa_issuer_t *iss, apr_time_t end)
{
    iss->next_try = end + iss->backoff;
    iss->backoff = iss->backoff * 2 > RXA_BACKOFF_MAX
        ? RXA_BACKOFF_MAX : iss->backoff * 2;
}

static void issuer_set_error(rxa_issuer_t *iss, const char *err)
{
    apr_thread_mutex_lock(iss->snap_lock);
    apr_cpystrn(iss->last_err, err, sizeof(iss->last_err));
    apr_thread_mutex_unlock(iss->snap_lock);
}

static void issuer_failed(rxa_issuer_t *iss, const char *err, apr_time_t now)
{
    issuer_set_error(iss, err);
    issuer_back_off(iss, now);
}

/* When an attempt that began at NOW (the caller's clock) and at real time
 * STARTED ended. Back-off counts from there: counted from the start, a
 * provider that never answers would be due again as soon as its timeout
 * had passed, and the next request would wait the whole timeout too. */
static apr_time_t attempt_end(apr_time_t now, apr_time_t started)
{
    apr_time_t spent = apr_time_now() - started;

    return spent > 0 ? now + spent : now;
}

/* SNAP replaces the current snapshot, taking over the caller's reference;
 * the one the issuer held on the old snapshot is dropped. */
static void issuer_publish(rxa_issuer_t *iss, rxa_issuer_snap_t *snap)
{
    static apr_uint64_t serials;
    rxa_issuer_snap_t *old;

    snap->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
    iss->backoff = RXA_BACKOFF_MIN;
    apr_thread_mutex_lock(iss->snap_lock);
    iss->last_err[0] = '\0';
    old = issuer_snap(iss);
    __atomic_store_n(&iss->snap, snap, __ATOMIC_RELEASE);
    issuer_mirror(iss, snap);
    apr_thread_mutex_unlock(iss->snap_lock);
    if (old)
        snap_unref(old);
}

/* A new snapshot of the metadata in BODY, for ISS; NULL and *PERR (in
 * PTEMP) set when it cannot be used. */
static rxa_issuer_snap_t *snap_from_metadata(apr_pool_t *ptemp,
                                             rxa_issuer_t *iss,
                                             const char *body, apr_size_t len,
                                             const char **perr)
{
    shared_pool_t *md_pool = shared_pool_make(apr_pool_abort_get(iss->pool));
    rxa_issuer_snap_t *snap;
    rxa_metadata_t *md;

    if (!md_pool) {
        *perr = "RXA02130: out of memory for the metadata";
        return NULL;
    }
    if (rxa_metadata_parse(md_pool->pool, iss->url, body, len, &md,
                           perr) != APR_SUCCESS) {
        *perr = apr_pstrdup(ptemp, *perr);      /* it was in md_pool */
        shared_pool_unref(md_pool);
        return NULL;
    }
    if (!(snap = snap_make(md_pool))) {
        *perr = "RXA02131: out of memory for a snapshot";
        return NULL;
    }
    snap->md = md;
    return snap;
}

static long issuers_timeout(rxa_issuer_t *const *issuers, int n)
{
    long t = 0;
    int i;

    for (i = 0; i < n; i++)
        if (issuers[i]->timeout_ms > t)
            t = issuers[i]->timeout_ms;
    return t;
}

int rxa_issuers_discover(apr_pool_t *ptemp, rxa_issuer_t *const *issuers,
                         int n, apr_time_t now)
{
    rxa_http_req_t **reqs = apr_pcalloc(ptemp, sizeof(*reqs) * (apr_size_t)(n ? n : 1));
    rxa_issuer_snap_t **snaps = apr_pcalloc(ptemp, sizeof(*snaps) * (apr_size_t)(n ? n : 1));
    rxa_http_opts_t opts;
    const char *err;
    apr_time_t started = apr_time_now(), end;
    int i, failed = 0, todo = 0;

    memset(&opts, 0, sizeof(opts));
    opts.timeout_ms = issuers_timeout(issuers, n);
    opts.max_body = RXA_DISCOVERY_MAX_BYTES;
    opts.cancel = rxa_fetcher_cancel_flag();

    for (i = 0; i < n; i++) {
        reqs[i] = apr_pcalloc(ptemp, sizeof(**reqs));
        reqs[i]->url = rxa_discovery_url(ptemp, issuers[i]->url);
        reqs[i]->ca_file = issuers[i]->ca_file;
    }
    rxa_http_run(ptemp, reqs, n, &opts);
    end = attempt_end(now, started);

    for (i = 0; i < n; i++) {
        rxa_issuer_t *iss = issuers[i];

        if (reqs[i]->rv != APR_SUCCESS) {
            issuer_failed(iss, apr_psprintf(ptemp, "RXA02108: fetching %s "
                                            "failed: %s", reqs[i]->url,
                                            reqs[i]->err), end);
            failed++;
        }
        else if (reqs[i]->status != 200) {
            issuer_failed(iss, apr_psprintf(ptemp, "RXA02109: fetching %s "
                                            "answered HTTP %ld", reqs[i]->url,
                                            reqs[i]->status), end);
            failed++;
        }
        else if (!(snaps[i] = snap_from_metadata(ptemp, iss, reqs[i]->body,
                                                 reqs[i]->len, &err))) {
            issuer_failed(iss, apr_psprintf(ptemp, "RXA02110: %s: %s",
                                            reqs[i]->url, err), end);
            failed++;
        }
        else {
            snaps[i]->fetched = now;
            snaps[i]->keys_fetched = now;
            snaps[i]->key_gen = apr_atomic_read32(iss->key_gen);
            reqs[i]->url = snaps[i]->md->jwks_uri;
            todo++;
            continue;
        }
        reqs[i] = NULL;
    }
    if (!todo)
        return failed;

    /* Second round: every key set, again in parallel. */
    {
        rxa_http_req_t **jreqs = apr_pcalloc(ptemp, sizeof(*jreqs) * (apr_size_t)todo);
        int j = 0;

        opts.max_body = RXA_JWKS_MAX_LEN;
        for (i = 0; i < n; i++) {
            if (reqs[i]) {
                jreqs[j] = apr_pcalloc(ptemp, sizeof(**jreqs));
                jreqs[j]->ca_file = issuers[i]->ca_file;
                jreqs[j++]->url = reqs[i]->url;
            }
        }
        rxa_http_run(ptemp, jreqs, todo, &opts);
        end = attempt_end(now, started);
        for (i = 0, j = 0; i < n; i++) {
            rxa_http_req_t *r;
            rxa_issuer_t *iss = issuers[i];

            if (!reqs[i])
                continue;
            r = jreqs[j++];
            if (r->rv != APR_SUCCESS || r->status != 200) {
                issuer_failed(iss, apr_psprintf(ptemp, "RXA02111: fetching "
                                                "key set %s failed: %s",
                                                r->url, r->rv ? r->err
                                                : apr_psprintf(ptemp, "HTTP %ld",
                                                               r->status)),
                              end);
                snap_unref(snaps[i]);
                failed++;
            }
            else if (!(snaps[i]->keys = rxa_jwks_parse(snap_pool(snaps[i]),
                                                       r->body, r->len, &err))) {
                issuer_failed(iss, apr_psprintf(ptemp, "RXA02112: key set %s: "
                                                "%s", r->url, err), end);
                snap_unref(snaps[i]);
                failed++;
            }
            else {
                int k;

                for (k = 0; k < snaps[i]->md->signing_algs->nelts; k++)
                    snaps[i]->algs |= RXA_JWS_ALGSET(rxa_jws_alg_from_name(
                        APR_ARRAY_IDX(snaps[i]->md->signing_algs, k, const char *)));
                /* keys that cannot verify are skipped, not fatal */
                for (k = 0; k < snaps[i]->keys->skipped->nelts; k++)
                    rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_SUCCESS,
                            "RXA02116: issuer %s: key skipped: %s", iss->url,
                            APR_ARRAY_IDX(snaps[i]->keys->skipped, k, const char *));
                rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_SUCCESS,
                        "RXA02115: issuer %s: metadata from %s, %d keys "
                        "from %s, signing algorithms %s", iss->url,
                        rxa_discovery_url(ptemp, iss->url),
                        snaps[i]->keys->keys->nelts, r->url,
                        rxa_words_join(ptemp, snaps[i]->md->signing_algs, " "));
                issuer_publish(iss, snaps[i]);
            }
        }
    }
    return failed;
}

/* A copy of SNAP to take a new key set, sharing its metadata. */
static rxa_issuer_snap_t *snap_refetched(rxa_issuer_snap_t *snap)
{
    shared_pool_t *md_pool = snap_box(snap)->md_pool;
    rxa_issuer_snap_t *fresh;

    apr_atomic_inc32(&md_pool->refs);
    if ((fresh = snap_make(md_pool)))
        *fresh = *snap;     /* the snapshot only: the box stays fresh's */
    return fresh;
}

/* Fetch the key set of SNAP's issuer into a new snapshot; under iss->lock. */
static rxa_issuer_snap_t *issuer_fetch_keys(rxa_issuer_t *iss,
                                            rxa_issuer_snap_t *snap,
                                            apr_time_t now, int local)
{
    rxa_http_req_t req, *reqs[1] = { &req };
    rxa_http_opts_t opts;
    rxa_issuer_snap_t *fresh = NULL;
    const char *err = NULL;
    apr_pool_t *ptemp;

    apr_pool_create(&ptemp, iss->pool);
    memset(&req, 0, sizeof(req));
    memset(&opts, 0, sizeof(opts));
    opts.timeout_ms = iss->timeout_ms;
    opts.max_body = RXA_JWKS_MAX_LEN;
    opts.cancel = rxa_fetcher_cancel_flag();
    req.url = snap->md->jwks_uri;
    req.ca_file = iss->ca_file;
    rxa_http_run(ptemp, reqs, 1, &opts);
    if (req.rv != APR_SUCCESS || req.status != 200)
        err = req.rv ? req.err : apr_psprintf(ptemp, "HTTP %ld", req.status);
    else if (!(fresh = snap_refetched(snap)))
        err = "RXA02132: out of memory for a snapshot";
    else {
        fresh->keys_fetched = now;
        if (!(fresh->keys = rxa_jwks_parse(snap_pool(fresh), req.body, req.len,
                                           &err))) {
            err = apr_pstrdup(ptemp, err);      /* it was in fresh's pool */
            snap_unref(fresh);
            fresh = NULL;
        }
        /* a change found here is announced; one announced elsewhere adopted */
        else if (local && !jwks_same_kids(fresh->keys, snap->keys))
            fresh->key_gen = apr_atomic_inc32(iss->key_gen) + 1;
        else
            fresh->key_gen = apr_atomic_read32(iss->key_gen);
    }
    if (fresh) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_INFO, APR_SUCCESS, "RXA02117: issuer "
                "%s: key set fetched again, %d signing keys", iss->url,
                fresh->keys->keys->nelts);
        issuer_publish(iss, fresh);
    }
    else if (!stopping_said(iss))
        rxa_log(RXA_LOG_MARK, RXA_LOG_WARN, APR_SUCCESS, "RXA02118: issuer "
                "%s: fetching the key set %s again failed: %s", iss->url,
                snap->md->jwks_uri, err);
    apr_pool_destroy(ptemp);
    return fresh;
}

const char *rxa_issuer_last_error(rxa_issuer_t *iss, apr_pool_t *pool)
{
    const char *err = NULL;

    apr_thread_mutex_lock(iss->snap_lock);
    if (iss->last_err[0])
        err = apr_pstrdup(pool, iss->last_err);
    apr_thread_mutex_unlock(iss->snap_lock);
    return err;
}

rxa_issuer_snap_t *rxa_issuer_refresh_keys(rxa_issuer_t *iss, apr_time_t now,
                                           apr_pool_t *holder)
{
    rxa_issuer_snap_t *snap;

    apr_thread_mutex_lock(iss->lock);
    snap = issuer_snap(iss);
    /* another thread fetched while this one waited, or too soon again */
    if (snap && snap->keys_fetched < now
        && now - iss->keys_tried >= RXA_JWKS_MIN_INTERVAL) {
        iss->keys_tried = now;
        issuer_fetch_keys(iss, snap, now, 1);
    }
    snap = issuer_snap_ref(iss);
    apr_thread_mutex_unlock(iss->lock);
    return snap_hand_over(snap, holder);
}

/* Whether a working issuer's snapshot is due for its periodic refresh. */
static int refresh_due(rxa_issuer_t *iss, const rxa_issuer_snap_t *snap,
                       apr_time_t now)
{
    return now - snap->keys_fetched >= RXA_JWKS_MAX_AGE
        || now - snap->fetched >= RXA_METADATA_MAX_AGE
        || snap->key_gen != apr_atomic_read32(iss->key_gen);
}

/* Periodic refresh of a working issuer; the current snapshot stays in use
 * until a new one is published, and a failure only delays the next try.
 * Under iss->lock. */
static void refresh_locked(rxa_issuer_t *iss, rxa_issuer_snap_t *snap,
                           apr_time_t now)
{
    apr_time_t started = apr_time_now();
    apr_pool_t *ptemp;

    if (now - snap->fetched >= RXA_METADATA_MAX_AGE) {
        apr_pool_create(&ptemp, iss->pool);
        if (rxa_issuers_discover(ptemp, &iss, 1, now) && !stopping_said(iss))
            rxa_log(RXA_LOG_MARK, RXA_LOG_WARN, APR_SUCCESS, "RXA02119: "
                    "issuer %s: refreshing its metadata failed (%s); the "
                    "current metadata stays in use", iss->url,
                    rxa_issuer_last_error(iss, ptemp));
        apr_pool_destroy(ptemp);
    }
    else if (!issuer_fetch_keys(iss, snap, now,
                                snap->key_gen == apr_atomic_read32(iss->key_gen)))
        issuer_back_off(iss, attempt_end(now, started));
}

/* Retry an unavailable issuer; under iss->lock. */
static void retry_locked(rxa_issuer_t *iss, apr_time_t now)
{
    apr_time_t started = apr_time_now();
    apr_pool_t *ptemp;

    apr_pool_create(&ptemp, iss->pool);
    if (rxa_issuers_discover(ptemp, &iss, 1, now) == 0)
        rxa_log(RXA_LOG_MARK, RXA_LOG_NOTICE, APR_SUCCESS,
                "RXA02113: issuer %s discovered after retry", iss->url);
    else if (!stopping_said(iss))
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_SUCCESS,
                "RXA02114: issuer %s still unavailable (%s); next try in %"
                APR_TIME_T_FMT " s", iss->url, rxa_issuer_last_error(iss, ptemp),
                apr_time_sec(iss->next_try - attempt_end(now, started)));
    apr_pool_destroy(ptemp);
}

/* What the fetcher does for an issuer it was asked for: whatever is due
 * by now. */
static void issuer_job(rxa_fetch_job_t *job)
{
    rxa_issuer_t *iss = (rxa_issuer_t *)(void *)((char *)job
                                                 - offsetof(rxa_issuer_t, job));
    apr_time_t now = apr_time_now();
    rxa_issuer_snap_t *snap;

    apr_thread_mutex_lock(iss->lock);
    if ((snap = issuer_snap(iss))) {
        if (now >= iss->next_try && refresh_due(iss, snap, now))
            refresh_locked(iss, snap, now);
    }
    else if (now >= iss->next_try)
        retry_locked(iss, now);
    apr_thread_mutex_unlock(iss->lock);
}

/* Callers that find ISS due, when it is not being fetched already: with
 * the fetcher and unless HERE, ask it; otherwise fetch here. Whether it
 * fetched here. */
static int issuer_due(rxa_issuer_t *iss, rxa_issuer_snap_t *snap,
                      apr_time_t now, int here)
{
    int fetched = 0;

    if (apr_thread_mutex_trylock(iss->lock) != APR_SUCCESS)
        return 0;
    if (issuer_snap(iss) == snap && now >= iss->next_try
        && (here || !rxa_fetcher_want(&iss->job))) {
        if (snap)
            refresh_locked(iss, snap, now);
        else
            retry_locked(iss, now);
        fetched = 1;
    }
    apr_thread_mutex_unlock(iss->lock);
    return fetched;
}

rxa_issuer_snap_t *rxa_issuer_get(rxa_issuer_t *iss, apr_time_t now,
                                  apr_pool_t *holder)
{
    rxa_issuer_snap_t *snap = issuer_snap_ref(iss);

    /* Unavailable: one caller retries when due (or asks the fetcher to),
     * the others answer 503. A key change another process found is
     * fetched here, like an unknown kid: this caller is not to verify
     * with a key set known to be old. Due for a periodic refresh, callers
     * go on with the snapshot they have until the new one is there. */
    if (!snap || refresh_due(iss, snap, now)) {
        int here = snap && snap->key_gen != apr_atomic_read32(iss->key_gen);

        if (issuer_due(iss, snap, now, here) || !snap) {
            if (snap)
                snap_unref(snap);
            snap = issuer_snap_ref(iss);
        }
    }
    return snap_hand_over(snap, holder);
}

apr_uint64_t rxa_issuer_serial(rxa_issuer_t *iss, apr_time_t now,
                               apr_pool_t *holder)
{
    apr_uint64_t serial = __atomic_load_n(&iss->cur_serial, __ATOMIC_ACQUIRE);
    const rxa_issuer_snap_t *snap;

    if (serial && now < __atomic_load_n(&iss->cur_due, __ATOMIC_RELAXED)
        && __atomic_load_n(&iss->cur_key_gen, __ATOMIC_RELAXED)
           == apr_atomic_read32(iss->key_gen))
        return serial;
    snap = rxa_issuer_get(iss, now, holder);
    return snap ? snap->serial : 0;
}
