/* The shared cache (see rxa_shcache.h): specs, the calls, and the
 * background thread of each process that speaks to memcached or Redis and
 * runs the periodic tasks. The table in shared memory is shcache_shm.c,
 * the clients shcache_remote.c.
 *
 * A call to memcached or Redis from a request thread becomes a job on the
 * background thread's queue; the caller waits for it at most
 * RXA_SHCACHE_OP_TIMEOUT (apr_memcache reads without a timeout, so a
 * server that stops answering would hold a worker for ever). A job whose
 * caller gave up is the thread's to free when its operation returns.
 *
 * The breaker: a failure or a timeout makes the cache down in this
 * process; calls fail at once until the thread's probe (every
 * PROBE_INTERVAL) finds a server that answers. Whether an outage has been
 * logged is kept in shared memory, so an outage gives one error line and
 * one notice per httpd, however many processes notice it. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "rxa_log.h"
#include "shcache_int.h"

#define MAX_TASKS 8
#define MAX_SERVERS 16
#define PROBE_INTERVAL apr_time_from_msec(500)
/* A failure this quick is a connection the server had closed (it
 * restarted, or dropped an idle one): retried on a new connection. */
#define QUICK_FAILURE apr_time_from_msec(100)
/* How long the thread sleeps with nothing to do. */
#define IDLE_WAIT apr_time_from_sec(60)

typedef struct task {
    apr_interval_time_t interval;
    rxa_shcache_task_fn *fn;
    void *baton;
    apr_time_t due;
} task_t;

/* In shared memory: one error line per outage for the whole httpd. */
typedef struct outage {
    volatile apr_uint32_t logged;
    apr_time_t since;
} outage_t;

typedef enum { OP_CLAIM, OP_SET, OP_GET, OP_INCR } op_e;

/* One call: what it asks, and what it got. */
typedef struct op {
    op_e kind;
    const char *key;
    const void *val;            /* OP_SET */
    apr_size_t len;             /* OP_SET in, OP_GET out */
    apr_uint32_t ttl;
    char *out;                  /* OP_GET */
    apr_uint64_t count;         /* OP_INCR */
} op_t;

/* An op handed to the thread, in malloc'ed memory held by the caller and
 * the thread (refs), freed by the last to let go, under the worker's
 * lock. */
typedef struct job {
    struct job *next;
    op_t op;                    /* key and value copied after the job */
    apr_status_t rv;
    int refs, done;
} job_t;

/* The background thread of one cache in one process. Its memory is an
 * unmanaged pool: when the thread is stuck in a read at exit, the child's
 * pool goes without it and the thread finds its memory still there. */
typedef struct worker {
    rxa_shcache_t *c;
    apr_pool_t *pool;
    apr_pool_t *scratch;        /* the thread's, cleared after each use */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;    /* the thread: a job, or stop */
    apr_thread_cond_t *done;    /* callers: a job done, or the thread out */
    apr_thread_t *thread;
    job_t *head, *tail;
    job_t *running;
    rxa_remote_t *remote;       /* NULL for shm */
    task_t tasks[MAX_TASKS];
    int ntasks;
    apr_time_t next_probe;
    int check;                  /* probe at start, down or not */
    int stopping, exited;
    int abandoned;              /* nobody joins: the thread frees it all,
                                 * and touches the cache no more (its
                                 * pool may be gone) */
} worker_t;

/* The worker whose thread this is (NULL on other threads): its tasks'
 * calls run inline. */
static __thread const worker_t *this_thread;

struct rxa_shcache {
    const rxa_shcache_spec_t *spec;
    apr_global_mutex_t *mutex;  /* shm */
    rxa_shm_table_t *shm;
    outage_t *outage;           /* memcached, Redis */
    task_t tasks[MAX_TASKS];
    int ntasks;
    volatile apr_uint32_t down; /* this process's breaker */
    worker_t *w;                /* this process's thread */
};

/* --- specs ---------------------------------------------------------------- */

static const char *const SPEC_FORMS =
    "shm, memcache:HOST:PORT[,HOST:PORT ...] or redis:HOST:PORT";

/* HOST:PORT or [IPV6]:PORT into *SRV, or an error message. */
static const char *server_parse(apr_pool_t *pool, const char *item,
                                rxa_shc_server_t *srv)
{
    const char *colon, *c;
    char *host, *end;
    long port;

    if (item[0] == '[') {
        const char *close = strchr(item, ']');
        unsigned char addr[16];
        char text[INET6_ADDRSTRLEN];

        if (!close || close[1] != ':')
            return apr_psprintf(pool, "'%s' is not [IPV6]:PORT", item);
        host = apr_pstrmemdup(pool, item + 1, (apr_size_t)(close - item - 1));
        if (inet_pton(AF_INET6, host, addr) != 1
            || !inet_ntop(AF_INET6, addr, text, sizeof(text)))
            return apr_psprintf(pool, "'%s' is not an IPv6 address", host);
        srv->host = apr_pstrdup(pool, text);
        colon = close + 1;
    }
    else {
        if (!(colon = strrchr(item, ':')) || colon == item)
            return apr_psprintf(pool, "'%s' is not HOST:PORT", item);
        host = apr_pstrmemdup(pool, item, (apr_size_t)(colon - item));
        for (c = host; *c; c++)
            if (*c == ':')
                return apr_psprintf(pool, "'%s': an IPv6 address goes in "
                                    "brackets, [ADDRESS]:PORT", item);
            else if (!apr_isalnum(*c) && *c != '.' && *c != '-' && *c != '_')
                return apr_psprintf(pool, "'%s' is not a host name or "
                                    "address", host);
        for (end = host; *end; end++)
            *end = (char)apr_tolower(*end);
        srv->host = host;
    }
    c = colon + 1;
    port = 0;
    if (!*c || strlen(c) > 5)
        port = -1;
    for (; port >= 0 && *c; c++)
        port = apr_isdigit(*c) ? port * 10 + (*c - '0') : -1;
    if (port < 1 || port > 65535)
        return apr_psprintf(pool, "'%s': the port must be 1 to 65535", item);
    srv->port = (apr_port_t)port;
    return NULL;
}

static const char *server_text(apr_pool_t *pool, const rxa_shc_server_t *s)
{
    return apr_psprintf(pool, strchr(s->host, ':') ? "[%s]:%u" : "%s:%u",
                        s->host, (unsigned)s->port);
}

const char *rxa_shcache_spec_parse(apr_pool_t *pool, const char *arg,
                                   const rxa_shcache_spec_t **out)
{
    rxa_shcache_spec_t *spec = apr_pcalloc(pool, sizeof(*spec));
    rxa_shc_server_t *servers;
    const char *list, *err;
    char *copy, *item, *last;
    int i, j;

    *out = NULL;
    if (!arg || !*arg)
        return apr_psprintf(pool, "needs %s", SPEC_FORMS);
    if (!strcasecmp(arg, "shm")) {
        spec->kind = RXA_SHC_SHM;
        spec->text = "shm";
        *out = spec;
        return NULL;
    }
    if (!strncasecmp(arg, "memcache:", 9)) {
        spec->kind = RXA_SHC_MEMCACHE;
        list = arg + 9;
    }
    else if (!strncasecmp(arg, "redis:", 6)) {
        spec->kind = RXA_SHC_REDIS;
        list = arg + 6;
    }
    else
        return apr_psprintf(pool, "'%s' is not %s", arg, SPEC_FORMS);

    servers = apr_pcalloc(pool, sizeof(*servers) * MAX_SERVERS);
    copy = apr_pstrcat(pool, list, ",", NULL);  /* so a trailing ',' shows */
    spec->text = spec->kind == RXA_SHC_MEMCACHE ? "memcache:" : "redis:";
    for (item = copy; (last = strchr(item, ',')); item = last + 1) {
        *last = '\0';
        if (item != copy)
            while (*item == ' ')
                item++;
        if (!*item || strchr(item, ' ') || strchr(item, '\t'))
            return apr_psprintf(pool, "'%s': servers are HOST:PORT, "
                                "separated by commas", list);
        if (spec->nservers == MAX_SERVERS)
            return apr_psprintf(pool, "'%s': at most %d servers", list,
                                MAX_SERVERS);
        if ((err = server_parse(pool, item, &servers[spec->nservers])))
            return err;
        spec->nservers++;
    }
    if (spec->kind == RXA_SHC_REDIS && spec->nservers != 1)
        return apr_psprintf(pool, "'%s': redis: takes exactly one HOST:PORT",
                            arg);
    for (i = 0; i < spec->nservers; i++) {
        for (j = 0; j < i; j++)
            if (servers[i].port == servers[j].port
                && !strcmp(servers[i].host, servers[j].host))
                return apr_psprintf(pool, "'%s': %s is listed twice", arg,
                                    server_text(pool, &servers[i]));
        spec->text = apr_pstrcat(pool, spec->text, i ? "," : "",
                                 server_text(pool, &servers[i]), NULL);
    }
    spec->servers = servers;
    *out = spec;
    return NULL;
}

const char *rxa_shcache_spec_text(const rxa_shcache_spec_t *spec)
{
    return spec->text;
}

/* --- outages -------------------------------------------------------------- */

static void outage_begin(rxa_shcache_t *c, apr_status_t rv)
{
    if (apr_atomic_cas32(&c->outage->logged, 1, 0) != 0)
        return;
    c->outage->since = apr_time_now();
    rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, rv, "RXA08001: shared cache %s does "
            "not answer; requests are served without it until it does",
            c->spec->text);
}

static void outage_end(rxa_shcache_t *c)
{
    if (apr_atomic_cas32(&c->outage->logged, 0, 1) != 1)
        return;
    rxa_log(RXA_LOG_MARK, RXA_LOG_NOTICE, APR_SUCCESS, "RXA08002: shared "
            "cache %s answers again, after %" APR_TIME_T_FMT " s",
            c->spec->text,
            apr_time_sec(apr_time_now() - c->outage->since));
}

/* Under the worker's lock: the next probe in PROBE_INTERVAL. */
static void mark_down(worker_t *w, apr_status_t rv)
{
    rxa_shcache_t *c = w->c;

    w->next_probe = apr_time_now() + PROBE_INTERVAL;
    if (apr_atomic_read32(&c->down))
        return;
    apr_atomic_set32(&c->down, 1);
    outage_begin(c, rv);
}

/* Under the worker's lock: a server answered. */
static void mark_up(worker_t *w)
{
    rxa_shcache_t *c = w->c;

    w->check = 0;
    apr_atomic_set32(&c->down, 0);
    if (apr_atomic_read32(&c->outage->logged))
        outage_end(c);
}

/* Whether RV says the server failed, not just what the key holds. */
static int op_failed(apr_status_t rv)
{
    return rv != APR_SUCCESS && rv != APR_EEXIST && rv != APR_NOTFOUND;
}

/* Under the worker's lock: what a call to the server (RV) says of it. */
static void note_result(worker_t *w, apr_status_t rv)
{
    if (w->abandoned || rv == APR_ENOMEM)
        return;
    if (op_failed(rv))
        mark_down(w, rv);
    else
        mark_up(w);
}

/* --- operations ----------------------------------------------------------- */

static apr_status_t remote_once(rxa_remote_t *r, apr_pool_t *pool, op_t *op)
{
    switch (op->kind) {
    case OP_CLAIM:
        return rxa_remote_claim(r, op->key, op->ttl);
    case OP_SET:
        return rxa_remote_set(r, op->key, op->val, op->len, op->ttl);
    case OP_GET:
        return rxa_remote_get(r, pool, op->key, &op->out, &op->len);
    default:
        return rxa_remote_incr(r, op->key, &op->count);
    }
}

/* On the thread, without the lock. A quick failure is retried twice:
 * apr_redis hands a connection the server closed back to its pool once
 * (an empty answer) before it drops it (the next write fails). */
static apr_status_t remote_run(worker_t *w, apr_pool_t *pool, op_t *op)
{
    apr_time_t start = apr_time_now();
    apr_status_t rv = remote_once(w->remote, pool, op);
    int retries = 2;

    while (retries-- && op_failed(rv) && !APR_STATUS_IS_TIMEUP(rv)
           && apr_time_now() - start < QUICK_FAILURE) {
        rxa_remote_revive(w->remote);
        rv = remote_once(w->remote, pool, op);
    }
    return rv;
}

static apr_status_t shm_run(rxa_shcache_t *c, apr_pool_t *pool, op_t *op)
{
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    if ((rv = apr_global_mutex_lock(c->mutex)) != APR_SUCCESS)
        return rv;
    switch (op->kind) {
    case OP_CLAIM:
        rv = rxa_shm_claim(c->shm, op->key, op->ttl, now);
        break;
    case OP_SET:
        rv = rxa_shm_set(c->shm, op->key, op->val, op->len, op->ttl, now);
        break;
    case OP_GET:
        rv = rxa_shm_get(c->shm, pool, op->key, now, &op->out, &op->len);
        break;
    default:
        rv = rxa_shm_incr(c->shm, op->key, now, &op->count);
    }
    apr_global_mutex_unlock(c->mutex);
    return rv;
}

static void job_release(job_t *job)
{
    if (--job->refs == 0) {
        if (job->op.kind == OP_GET)
            free(job->op.out);
        free(job);
    }
}

/* A task's call, on the thread itself: run here. */
static apr_status_t remote_inline(worker_t *w, apr_pool_t *pool, op_t *op)
{
    apr_status_t rv;

    if (apr_atomic_read32(&w->c->down))
        return APR_ECONNREFUSED;
    rv = remote_run(w, pool, op);
    apr_thread_mutex_lock(w->lock);
    note_result(w, rv);
    apr_thread_mutex_unlock(w->lock);
    return rv;
}

/* A request thread's call: queued for the thread, awaited at most
 * RXA_SHCACHE_OP_TIMEOUT. */
static apr_status_t remote_handoff(worker_t *w, apr_pool_t *pool, op_t *op)
{
    rxa_shcache_t *c = w->c;
    apr_size_t klen = strlen(op->key) + 1;
    apr_size_t vlen = op->kind == OP_SET ? op->len : 0;
    apr_time_t deadline = apr_time_now() + RXA_SHCACHE_OP_TIMEOUT, now;
    job_t *job, **pp;
    apr_status_t rv;

    if (apr_atomic_read32(&c->down))
        return APR_ECONNREFUSED;
    if (!(job = malloc(sizeof(*job) + klen + vlen)))
        return APR_ENOMEM;
    memset(job, 0, sizeof(*job));
    job->op = *op;
    job->op.key = memcpy((char *)(job + 1), op->key, klen);
    if (vlen)
        job->op.val = memcpy((char *)(job + 1) + klen, op->val, vlen);
    job->refs = 2;

    apr_thread_mutex_lock(w->lock);
    if (apr_atomic_read32(&c->down) || w->stopping) {
        apr_thread_mutex_unlock(w->lock);
        free(job);
        return APR_ECONNREFUSED;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    apr_thread_cond_signal(w->wake);
    while (!job->done && (now = apr_time_now()) < deadline)
        apr_thread_cond_timedwait(w->done, w->lock, deadline - now);
    if (job->done) {
        rv = job->rv;
        op->count = job->op.count;
        if (rv == APR_SUCCESS && op->kind == OP_GET) {
            op->out = apr_pstrmemdup(pool, job->op.out, job->op.len);
            op->len = job->op.len;
        }
    }
    else {
        rv = APR_TIMEUP;
        if (job != w->running) {    /* never started: out of the queue */
            for (pp = &w->head; *pp != job; pp = &(*pp)->next)
                ;
            *pp = job->next;
            if (w->tail == job)
                for (w->tail = w->head; w->tail && w->tail->next;
                     w->tail = w->tail->next)
                    ;
            job->refs--;
        }
        mark_down(w, rv);
    }
    job_release(job);
    apr_thread_mutex_unlock(w->lock);
    return rv;
}

static apr_status_t op_run(rxa_shcache_t *c, apr_pool_t *pool, op_t *op)
{
    worker_t *w;
    const char *k;

    if (!c || !op->key || !*op->key
        || strlen(op->key) > RXA_SHCACHE_MAX_KEY
        || (op->kind == OP_SET && (op->len > RXA_SHCACHE_MAX_VALUE
                                   || (op->len && !op->val)))
        || ((op->kind == OP_SET || op->kind == OP_CLAIM)
            && (op->ttl < 1 || op->ttl > RXA_SHC_MAX_TTL)))
        return APR_EINVAL;
    for (k = op->key; *k; k++)
        if (*k <= ' ' || *k > '~')
            return APR_EINVAL;
    if (c->spec->kind == RXA_SHC_SHM)
        return shm_run(c, pool, op);
    if (!(w = c->w))
        return APR_EINIT;
    if (this_thread == w)
        return remote_inline(w, pool, op);
    return remote_handoff(w, pool, op);
}

apr_status_t rxa_shcache_claim(rxa_shcache_t *c, const char *key,
                               apr_uint32_t ttl)
{
    op_t op = { OP_CLAIM, key, NULL, 0, ttl, NULL, 0 };

    return op_run(c, NULL, &op);
}

apr_status_t rxa_shcache_set(rxa_shcache_t *c, const char *key,
                             const void *val, apr_size_t len,
                             apr_uint32_t ttl)
{
    op_t op = { OP_SET, key, val, len, ttl, NULL, 0 };

    return op_run(c, NULL, &op);
}

apr_status_t rxa_shcache_get(rxa_shcache_t *c, apr_pool_t *pool,
                             const char *key, char **val, apr_size_t *len)
{
    op_t op = { OP_GET, key, NULL, 0, 0, NULL, 0 };
    apr_status_t rv;

    if (!pool || !val || !len)
        return APR_EINVAL;
    if ((rv = op_run(c, pool, &op)) == APR_SUCCESS) {
        *val = op.out;
        *len = op.len;
    }
    return rv;
}

apr_status_t rxa_shcache_incr(rxa_shcache_t *c, const char *key,
                              apr_uint64_t *value)
{
    op_t op = { OP_INCR, key, NULL, 0, 0, NULL, 0 };
    apr_status_t rv;

    if ((rv = op_run(c, NULL, &op)) == APR_SUCCESS && value)
        *value = op.count;
    return rv;
}

int rxa_shcache_up(const rxa_shcache_t *c)
{
    return c->spec->kind == RXA_SHC_SHM || (c->w && !c->down);
}

/* --- the background thread ----------------------------------------------- */

/* Under the lock: run JOB without it. */
static void thread_run_job(worker_t *w, job_t *job)
{
    apr_status_t rv;
    op_t *op = &job->op;

    if (apr_atomic_read32(&w->c->down)) {
        rv = APR_ECONNREFUSED;
    }
    else {
        w->running = job;
        apr_thread_mutex_unlock(w->lock);
        rv = remote_run(w, w->scratch, op);
        if (rv == APR_SUCCESS && op->kind == OP_GET) {
            char *copy = malloc(op->len + 1);

            if (copy) {
                memcpy(copy, op->out, op->len);
                copy[op->len] = '\0';
            }
            else
                rv = APR_ENOMEM;
            op->out = copy;
        }
        else if (op->kind == OP_GET)
            op->out = NULL;
        apr_pool_clear(w->scratch);
        apr_thread_mutex_lock(w->lock);
        w->running = NULL;
        note_result(w, rv);
    }
    job->rv = rv;
    job->done = 1;
    job_release(job);
    apr_thread_cond_broadcast(w->done);
}

/* Under the lock: the probe, without it. */
static void thread_probe(worker_t *w)
{
    apr_status_t rv;

    w->check = 0;
    apr_thread_mutex_unlock(w->lock);
    rv = rxa_remote_probe(w->remote, w->scratch);
    apr_pool_clear(w->scratch);
    apr_thread_mutex_lock(w->lock);
    note_result(w, rv);
}

/* The thread knows its worker, never c->w: a thread left behind at exit
 * still finds its own memory. */
static void *APR_THREAD_FUNC thread_main(apr_thread_t *thread, void *data)
{
    worker_t *w = data;
    rxa_shcache_t *c = w->c;
    apr_time_t now, next;
    task_t *t;
    job_t *job;
    int i, abandoned;

    this_thread = w;
    apr_thread_mutex_lock(w->lock);
    while (!w->stopping) {
        now = apr_time_now();
        if ((job = w->head)) {
            if (!(w->head = job->next))
                w->tail = NULL;
            thread_run_job(w, job);
            continue;
        }
        if (w->remote && (w->check || apr_atomic_read32(&c->down))
            && now >= w->next_probe) {
            thread_probe(w);
            continue;
        }
        next = now + IDLE_WAIT;
        for (i = 0, t = NULL; i < w->ntasks; i++) {
            if (w->tasks[i].due <= now) {
                t = &w->tasks[i];
                break;
            }
            if (w->tasks[i].due < next)
                next = w->tasks[i].due;
        }
        if (t) {
            apr_thread_mutex_unlock(w->lock);
            t->fn(t->baton);
            apr_thread_mutex_lock(w->lock);
            t->due = apr_time_now() + t->interval;
            continue;
        }
        if (w->remote && apr_atomic_read32(&c->down) && w->next_probe < next)
            next = w->next_probe;
        apr_thread_cond_timedwait(w->wake, w->lock, next - now);
    }
    /* Callers still queued are told at once. */
    while ((job = w->head)) {
        w->head = job->next;
        job->rv = APR_ECONNREFUSED;
        job->done = 1;
        job_release(job);
    }
    w->tail = NULL;
    w->exited = 1;
    apr_thread_cond_broadcast(w->done);
    abandoned = w->abandoned;
    apr_thread_mutex_unlock(w->lock);
    if (abandoned) {
        apr_thread_detach(thread);
        apr_pool_destroy(w->pool);      /* this thread's apr_thread_t too */
        pthread_exit(NULL);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pre-cleanup of the child's pool: stop the thread and let it go with
 * its memory; a thread still stuck in a read after
 * RXA_SHCACHE_OP_TIMEOUT is left behind (the process is ending), to free
 * its memory itself if it gets out. */
static apr_status_t thread_stop(void *data)
{
    rxa_shcache_t *c = data;
    worker_t *w = c->w;
    apr_time_t deadline = apr_time_now() + RXA_SHCACHE_OP_TIMEOUT, now;
    apr_status_t rv;
    int exited;

    apr_thread_mutex_lock(w->lock);
    w->stopping = 1;
    apr_thread_cond_signal(w->wake);
    while (!w->exited && (now = apr_time_now()) < deadline)
        apr_thread_cond_timedwait(w->done, w->lock, deadline - now);
    if (!(exited = w->exited))
        w->abandoned = 1;
    apr_thread_mutex_unlock(w->lock);
    c->w = NULL;
    if (!exited) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_INFO, APR_TIMEUP, "RXA08003: shared "
                "cache %s: this process ends while its thread still waits "
                "for the server", c->spec->text);
        return APR_SUCCESS;
    }
    apr_thread_join(&rv, w->thread);
    apr_pool_destroy(w->pool);
    return APR_SUCCESS;
}

apr_status_t rxa_shcache_child_init(rxa_shcache_t *c, apr_pool_t *pchild)
{
    apr_time_t now = apr_time_now();
    sigset_t all, saved;
    apr_status_t rv;
    apr_pool_t *pool;
    worker_t *w;
    int i;

    if (c->w)
        return APR_EEXIST;
    if ((rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL)) != APR_SUCCESS)
        return rv;
    apr_pool_tag(pool, "rxa_shcache");
    w = apr_pcalloc(pool, sizeof(*w));
    w->c = c;
    w->pool = pool;
    if ((rv = apr_pool_create(&w->scratch, pool)) != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&w->lock, APR_THREAD_MUTEX_DEFAULT,
                                         pool)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&w->wake, pool)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&w->done, pool)) != APR_SUCCESS
        || (c->spec->kind != RXA_SHC_SHM
            && (rv = rxa_remote_create(pool, c->spec, &w->remote))
               != APR_SUCCESS)) {
        apr_pool_destroy(pool);
        return rv;
    }
    w->ntasks = c->ntasks;
    for (i = 0; i < c->ntasks; i++) {
        w->tasks[i] = c->tasks[i];
        w->tasks[i].due = now;
    }
    w->check = 1;
    w->next_probe = now;
    apr_atomic_set32(&c->down, 0);
    c->w = w;
    /* The thread takes no signal meant for the process (prefork's children
     * stop on SIGTERM and SIGHUP): it starts with every one blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    rv = apr_thread_create(&w->thread, NULL, thread_main, w, pool);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rv != APR_SUCCESS) {
        c->w = NULL;
        apr_pool_destroy(pool);
        return rv;
    }
    apr_pool_pre_cleanup_register(pchild, c, thread_stop);
    return APR_SUCCESS;
}

apr_status_t rxa_shcache_every(rxa_shcache_t *c, apr_interval_time_t interval,
                               rxa_shcache_task_fn *fn, void *baton)
{
    task_t *t;

    if (!c || !fn || interval <= 0)
        return APR_EINVAL;
    if (c->w)
        return APR_EINIT;
    if (c->ntasks == MAX_TASKS)
        return APR_ENOSPC;
    t = &c->tasks[c->ntasks++];
    t->interval = interval;
    t->fn = fn;
    t->baton = baton;
    return APR_SUCCESS;
}

/* --- creation -------------------------------------------------------------- */

apr_status_t rxa_shcache_create(apr_pool_t *pool,
                                const rxa_shcache_spec_t *spec,
                                apr_global_mutex_t *mutex,
                                rxa_shcache_t **out)
{
    char name[512];             /* looked up without allocating (a longer
                                 * spec is not found: a new cache) */
    const char *key;
    rxa_shcache_t *c;
    apr_shm_t *shm;
    apr_status_t rv;
    void *found = NULL;
    int i;

    *out = NULL;
    if (!pool || !spec || (spec->kind == RXA_SHC_SHM && !mutex))
        return APR_EINVAL;
    /* The same POOL and spec again (the next generation, after a graceful
     * restart): the same cache, its entries kept, its tasks to register
     * anew. */
    apr_snprintf(name, sizeof(name), "rxa_shcache:%s", spec->text);
    apr_pool_userdata_get(&found, name, pool);
    if ((c = found)) {
        c->mutex = mutex;
        c->ntasks = 0;
        *out = c;
        return APR_SUCCESS;
    }
    /* apr_memcache and apr_redis resolve IPv4 only (APR_INET) */
    for (i = 0; i < spec->nservers; i++)
        if (strchr(spec->servers[i].host, ':'))
            return APR_ENOTIMPL;
    c = apr_pcalloc(pool, sizeof(*c));
    if (rxa_shcache_spec_parse(pool, spec->text, &c->spec))
        return APR_EINVAL;
    c->mutex = mutex;
    if (spec->kind == RXA_SHC_SHM)
        rv = rxa_shm_table_create(pool, &c->shm);
    else if ((rv = apr_shm_create(&shm, sizeof(outage_t), NULL, pool))
             == APR_SUCCESS) {
        c->outage = apr_shm_baseaddr_get(shm);
        memset(c->outage, 0, sizeof(*c->outage));
    }
    if (rv != APR_SUCCESS)
        return rv;
    key = apr_pstrcat(pool, "rxa_shcache:", spec->text, NULL);
    apr_pool_userdata_set(c, key, apr_pool_cleanup_null, pool);
    *out = c;
    return APR_SUCCESS;
}
