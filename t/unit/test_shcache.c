/* The shared cache: specs and their canonical text; the shm table (a claim
 * made once, expiry, eviction, counters, sizes refused, one segment seen
 * by several processes, kept across a second creation); periodic tasks;
 * and memcached and Redis, each started here on a loopback port when
 * installed (skipped otherwise): the same semantics, a server absent at
 * start, killed and restarted, or stopped (SIGSTOP), and one log line per
 * outage for all the processes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_global_mutex.h>

#include "rxa_test.h"
#include "rxa_log.h"
#include "rxa_shcache.h"
#include "shcache_int.h"

#define MEMCACHED "/usr/bin/memcached"
#define REDIS_SERVER "/usr/bin/redis-server"

/* What "at once" means here: far below RXA_SHCACHE_OP_TIMEOUT, with room
 * for a loaded machine. */
#define FAST apr_time_from_msec(50)

/* --- helpers ---------------------------------------------------------------- */

static const rxa_shcache_spec_t *spec_of(const char *text)
{
    const rxa_shcache_spec_t *spec = NULL;
    const char *err = rxa_shcache_spec_parse(rxa_test_pool, text, &spec);

    ck_assert_msg(err == NULL, "%s: %s", text, err);
    ck_assert_ptr_nonnull(spec);
    return spec;
}

static apr_global_mutex_t *make_mutex(apr_pool_t *pool)
{
    apr_global_mutex_t *m = NULL;
    const char *file = apr_psprintf(pool, "/tmp/rxa-shcache-test-%ld.lock",
                                    (long)getpid());

    ck_assert_int_eq(apr_global_mutex_create(&m, file, APR_LOCK_DEFAULT, pool),
                     APR_SUCCESS);
    return m;
}

static rxa_shcache_t *make_shm(void)
{
    rxa_shcache_t *c = NULL;

    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of("shm"),
                                        make_mutex(rxa_test_pool), &c),
                     APR_SUCCESS);
    return c;
}

static char *get_str(rxa_shcache_t *c, const char *key, apr_status_t *rv)
{
    char *val = NULL;
    apr_size_t len = 0;

    *rv = rxa_shcache_get(c, rxa_test_pool, key, &val, &len);
    if (*rv == APR_SUCCESS)
        ck_assert_uint_eq(strlen(val), len);
    return val;
}

static void assert_value(rxa_shcache_t *c, const char *key, const char *want)
{
    apr_status_t rv;
    char *val = get_str(c, key, &rv);

    ck_assert_msg(rv == APR_SUCCESS, "%s: get returned %d", key, rv);
    ck_assert_str_eq(val, want);
}

static void assert_absent(rxa_shcache_t *c, const char *key)
{
    apr_status_t rv;

    get_str(c, key, &rv);
    ck_assert_msg(rv == APR_NOTFOUND, "%s: get returned %d", key, rv);
}

static apr_interval_time_t elapsed_since(apr_time_t start)
{
    return apr_time_now() - start;
}

/* Log lines go to a file, so children's lines count too. */
static const char *log_file;

static void log_to_file(void *baton, const char *file, int line, int level,
                        apr_status_t rv, const char *msg)
{
    int fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT, 0600);
    char buf[2100];
    int n = snprintf(buf, sizeof(buf), "%s\n", msg);

    if (fd >= 0) {
        if (write(fd, buf, (size_t)n) != n)
            fprintf(stderr, "short log write\n");
        close(fd);
    }
}

static void log_capture(void)
{
    log_file = apr_psprintf(rxa_test_pool, "/tmp/rxa-shcache-log-%ld",
                            (long)getpid());
    unlink(log_file);
    rxa_log_set(log_to_file, NULL, NULL);
}

static int log_count(const char *tag)
{
    apr_size_t len;
    char *text = rxa_test_slurp(rxa_test_pool, log_file, &len);
    int n = 0;

    while (text && (text = strstr(text, tag))) {
        n++;
        text += strlen(tag);
    }
    return n;
}

static void log_release(void)
{
    rxa_log_set(NULL, NULL, NULL);
    unlink(log_file);
}

/* --- specs ------------------------------------------------------------------ */

START_TEST(specs_and_their_canonical_text)
{
    static const char *const good[][2] = {
        { "shm", "shm" },
        { "SHM", "shm" },
        { "memcache:127.0.0.1:11211", "memcache:127.0.0.1:11211" },
        { "memcache:Cache-1.Example:1, cache2:2,10.0.0.3:65535",
          "memcache:cache-1.example:1,cache2:2,10.0.0.3:65535" },
        { "memcache:[::1]:11211", "memcache:[::1]:11211" },
        { "memcache:[0:0:0::1]:1,[2001:DB8::1]:2",
          "memcache:[::1]:1,[2001:db8::1]:2" },
        { "Redis:Cache.Example:6379", "redis:cache.example:6379" },
        { "redis:[::1]:6379", "redis:[::1]:6379" },
    };
    static const char *const bad[] = {
        "", "memcached:h:1", "mem:h:1", "memcache:", "memcache:h",
        "memcache:h:", "memcache:h:0", "memcache:h:65536", "memcache:h:123456",
        "memcache:h:-1", "memcache:h:+1", "memcache:h:1a", "memcache::1",
        "memcache:::1:11211", "memcache:[::1]11211", "memcache:[::1:1",
        "memcache:[zz]:1", "memcache:[]:1", "memcache:h:1,,g:2",
        "memcache:h:1,", "memcache:h:1 ,g:2", "memcache:h:1,g:2 x",
        "memcache:h/x:1", "memcache:h:1,H:1", "redis:a:1,b:2", "redis:",
        "shm:x", "memcache:a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1,j:1,k:1,"
        "l:1,m:1,n:1,o:1,p:1,q:1",
    };
    const rxa_shcache_spec_t *spec;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        spec = spec_of(good[i][0]);
        ck_assert_str_eq(rxa_shcache_spec_text(spec), good[i][1]);
        /* the canonical text reads back as itself */
        ck_assert_str_eq(rxa_shcache_spec_text(spec_of(good[i][1])),
                         good[i][1]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err;

        spec = (const void *)1;
        err = rxa_shcache_spec_parse(rxa_test_pool, bad[i], &spec);
        ck_assert_msg(err != NULL, "'%s' accepted", bad[i]);
        ck_assert_ptr_null(spec);
    }
    spec = (const void *)1;
    ck_assert_ptr_nonnull(rxa_shcache_spec_parse(rxa_test_pool, NULL, &spec));
    ck_assert_ptr_null(spec);
}
END_TEST

/* APR-util's clients resolve IPv4 only: an IPv6 address is refused when
 * the cache is made, not left to fail at every call. */
START_TEST(ipv6_servers_are_refused_at_creation)
{
    rxa_shcache_t *c = (void *)1;

    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool,
                                        spec_of("memcache:h:1,[::1]:11211"),
                                        NULL, &c), APR_ENOTIMPL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool,
                                        spec_of("redis:[::1]:6379"), NULL,
                                        &c), APR_ENOTIMPL);
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of("redis:h:1"),
                                        NULL, &c), APR_SUCCESS);
    ck_assert(!rxa_shcache_up(c));      /* no thread in this process yet */
    ck_assert_int_eq(rxa_shcache_claim(c, "k", 1), APR_EINIT);
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of("shm"), NULL,
                                        &c), APR_EINVAL);
}
END_TEST

/* --- the same semantics on every backend ------------------------------------ */

static const char *key_of(const char *name)
{
    return apr_psprintf(rxa_test_pool, "rxa1:test:%s:%ld", name,
                        (long)apr_time_now());
}

/* Claim, set, get, incr and the limits; TTL when SLOW. */
static void semantics(rxa_shcache_t *c, int slow)
{
    const char *lock = key_of("lock"), *val = key_of("val");
    const char *count = key_of("count"), *big = key_of("big");
    const char binary[] = { 'a', '\0', 'b', '\r', '\n', 'c' };
    char *long_key = apr_palloc(rxa_test_pool, RXA_SHCACHE_MAX_KEY + 2);
    char *large = apr_palloc(rxa_test_pool, RXA_SHCACHE_MAX_VALUE + 1);
    apr_uint64_t n = 0;
    apr_status_t rv;
    apr_size_t len;
    char *got;

    /* a claim is made once */
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 60), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 60), APR_EEXIST);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 60), APR_EEXIST);
    get_str(c, lock, &rv);
    ck_assert_int_eq(rv, APR_SUCCESS);

    /* set and get, bytes as they are; set again replaces */
    assert_absent(c, val);
    ck_assert_int_eq(rxa_shcache_set(c, val, binary, sizeof(binary), 60),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_get(c, rxa_test_pool, val, &got, &len),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, sizeof(binary));
    ck_assert(memcmp(got, binary, len) == 0);
    ck_assert_int_eq(got[len], '\0');
    ck_assert_int_eq(rxa_shcache_set(c, val, "second", 6, 60), APR_SUCCESS);
    assert_value(c, val, "second");
    ck_assert_int_eq(rxa_shcache_set(c, val, "", 0, 60), APR_SUCCESS);
    assert_value(c, val, "");
    ck_assert_int_eq(rxa_shcache_set(c, val, "after empty", 11, 60),
                     APR_SUCCESS);
    assert_value(c, val, "after empty");

    /* the largest value, and back to a small one under the same key */
    memset(large, 'v', RXA_SHCACHE_MAX_VALUE);
    large[RXA_SHCACHE_MAX_VALUE] = '\0';
    ck_assert_int_eq(rxa_shcache_set(c, big, large, RXA_SHCACHE_MAX_VALUE, 60),
                     APR_SUCCESS);
    assert_value(c, big, large);
    ck_assert_int_eq(rxa_shcache_set(c, big, "small", 5, 60), APR_SUCCESS);
    assert_value(c, big, "small");

    /* counters start at 1 and read as their decimal text */
    ck_assert_int_eq(rxa_shcache_incr(c, count, &n), APR_SUCCESS);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(rxa_shcache_incr(c, count, &n), APR_SUCCESS);
    ck_assert_uint_eq(n, 2);
    assert_value(c, count, "2");

    /* refused before anything is asked */
    memset(long_key, 'k', RXA_SHCACHE_MAX_KEY + 1);
    long_key[RXA_SHCACHE_MAX_KEY + 1] = '\0';
    ck_assert_int_eq(rxa_shcache_claim(c, long_key, 60), APR_EINVAL);
    long_key[RXA_SHCACHE_MAX_KEY] = '\0';
    ck_assert_int_eq(rxa_shcache_claim(c, long_key, 60), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_set(c, big, large, RXA_SHCACHE_MAX_VALUE + 1,
                                     60), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_set(c, "has space", "x", 1, 60), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_set(c, "ctl\x01", "x", 1, 60), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_set(c, "", "x", 1, 60), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_set(c, val, "x", 1, 0), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 0), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 31 * 24 * 3600), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_get(c, NULL, val, &got, &len), APR_EINVAL);
    assert_value(c, big, "small");

    if (!slow)
        return;
    /* entries expire; an expired claim can be made again */
    lock = key_of("short-lock");
    val = key_of("short-val");
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 1), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_set(c, val, "soon gone", 9, 1), APR_SUCCESS);
    assert_value(c, val, "soon gone");
    apr_sleep(apr_time_from_msec(2100));    /* memcached counts whole seconds */
    assert_absent(c, val);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 60), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_claim(c, lock, 60), APR_EEXIST);
    rv = rxa_shcache_incr(c, count, &n);
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_uint_eq(n, 3);                /* counters do not expire */
}

/* --- shm --------------------------------------------------------------------- */

START_TEST(shm_semantics)
{
    rxa_shcache_t *c = make_shm();

    ck_assert(rxa_shcache_up(c));
    semantics(c, 1);
    ck_assert(rxa_shcache_up(c));
    /* a value that is no count */
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:text", "abc", 3, 60),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:text", NULL), APR_EINVAL);
    ck_assert_int_eq(rxa_shcache_claim(NULL, "k", 1), APR_EINVAL);
}
END_TEST

/* Values of 1000 bytes (one class of slots) PREFIX:0, PREFIX:1, ...,
 * each living a second longer than the one before, until the first (the
 * soonest to expire) is evicted: then PREFIX:1 to PREFIX:N fill that
 * class; N. */
static int fill_class(rxa_shcache_t *c, const char *prefix)
{
    char *large = apr_palloc(rxa_test_pool, 1000);
    const char *first = apr_pstrcat(rxa_test_pool, prefix, ":0", NULL);
    apr_status_t rv;
    int i;

    memset(large, 'x', 1000);
    for (i = 0; ; i++) {
        ck_assert_int_eq(rxa_shcache_set(c, apr_psprintf(rxa_test_pool,
                                         "%s:%d", prefix, i), large, 1000,
                                         100 + i), APR_SUCCESS);
        get_str(c, first, &rv);
        if (rv == APR_NOTFOUND)
            return i;
        ck_assert_int_lt(i, 100000);
    }
}

static apr_status_t get_status(rxa_shcache_t *c, const char *key)
{
    apr_status_t rv;

    get_str(c, key, &rv);
    return rv;
}

START_TEST(shm_evicts_what_expires_soonest)
{
    rxa_shcache_t *c = make_shm();
    int slots = fill_class(c, "rxa1:large");
    char *large = apr_palloc(rxa_test_pool, 1000);
    apr_uint64_t n;
    int i;

    memset(large, 'y', 1000);
    ck_assert_int_ge(slots, 16);
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:large:next", large, 1000, 5000),
                     APR_SUCCESS);
    ck_assert_int_eq(get_status(c, "rxa1:large:1"), APR_NOTFOUND);
    ck_assert_int_eq(get_status(c, "rxa1:large:2"), APR_SUCCESS);
    ck_assert_int_eq(get_status(c, apr_psprintf(rxa_test_pool,
                                                "rxa1:large:%d", slots)),
                     APR_SUCCESS);
    ck_assert_int_eq(get_status(c, "rxa1:large:next"), APR_SUCCESS);

    /* small entries: a counter (never expires) outlasts every claim */
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:counter", &n), APR_SUCCESS);
    for (i = 0; i < 20000; i++)
        ck_assert_int_eq(rxa_shcache_claim(c, apr_psprintf(rxa_test_pool,
                                           "rxa1:c:%d", i), 100 + i % 7),
                         APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:counter", &n), APR_SUCCESS);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:c:19999", 100), APR_EEXIST);
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:c:0", 100), APR_SUCCESS);
}
END_TEST

/* A value that shrinks leaves its slot to values of that size. */
START_TEST(shm_shrunk_value_leaves_its_slot)
{
    rxa_shcache_t *c = make_shm();
    char *large = apr_palloc(rxa_test_pool, 1000);
    int slots = fill_class(c, "rxa1:a");

    memset(large, 'z', 1000);
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:a:1", "small", 5, 5000),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:b", large, 1000, 5000),
                     APR_SUCCESS);
    /* the slot rxa1:a:1 left took rxa1:b: nothing else was evicted */
    ck_assert_int_eq(get_status(c, "rxa1:a:2"), APR_SUCCESS);
    ck_assert_int_eq(get_status(c, apr_psprintf(rxa_test_pool, "rxa1:a:%d",
                                                slots)), APR_SUCCESS);
    assert_value(c, "rxa1:a:1", "small");
}
END_TEST

/* Run FN in a child process (as an httpd child would) and return its exit
 * status: the child reopens the mutex, as apr_global_mutex_child_init. */
static int in_child(rxa_shcache_t *c, apr_global_mutex_t *m, const char *file,
                    int (*fn)(rxa_shcache_t *c, int i), int i)
{
    int status = -1;
    pid_t pid = fork();

    if (pid == 0) {
        apr_pool_t *p;

        apr_pool_create(&p, NULL);
        if (apr_global_mutex_child_init(&m, file, p) != APR_SUCCESS)
            _exit(99);
        _exit(fn(c, i));
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int child_claims(rxa_shcache_t *c, int i)
{
    apr_status_t rv = rxa_shcache_claim(c, i ? "rxa1:k2" : "rxa1:k1", 60);

    return rv == APR_SUCCESS ? 0 : rv == APR_EEXIST ? 1 : 2;
}

static int child_counts(rxa_shcache_t *c, int i)
{
    apr_uint64_t n;
    int j;

    for (j = 0; j < 500; j++)
        if (rxa_shcache_incr(c, "rxa1:shared-count", &n) != APR_SUCCESS)
            return 1;
    return 0;
}

START_TEST(shm_is_one_segment_for_all_processes)
{
    const char *file = apr_psprintf(rxa_test_pool,
                                    "/tmp/rxa-shcache-fork-%ld.lock",
                                    (long)getpid());
    apr_global_mutex_t *m = NULL;
    rxa_shcache_t *c = NULL, *again = NULL;
    pid_t pids[4];
    apr_uint64_t n = 0;
    int i, status;

    ck_assert_int_eq(apr_global_mutex_create(&m, file, APR_LOCK_DEFAULT,
                                             rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of("shm"), m, &c),
                     APR_SUCCESS);
    /* a child claims first: this process sees it taken */
    ck_assert_int_eq(in_child(c, m, file, child_claims, 0), 0);
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:k1", 60), APR_EEXIST);
    /* this process first: the child sees it taken */
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:k2", 60), APR_SUCCESS);
    ck_assert_int_eq(in_child(c, m, file, child_claims, 1), 1);

    /* four processes count at once; the mutex keeps every step */
    for (i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            apr_pool_t *p;

            apr_pool_create(&p, NULL);
            if (apr_global_mutex_child_init(&m, file, p) != APR_SUCCESS)
                _exit(99);
            _exit(child_counts(c, i));
        }
        ck_assert_int_gt(pids[i], 0);
    }
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:shared-count", &n),
                     APR_SUCCESS);
    ck_assert_uint_eq(n, 2001);

    /* made again in the same pool (the next generation after a graceful
     * restart): the same cache, entries kept */
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of("shm"), m,
                                        &again), APR_SUCCESS);
    ck_assert_ptr_eq(again, c);
    ck_assert_int_eq(rxa_shcache_claim(again, "rxa1:k1", 60), APR_EEXIST);
    unlink(file);
}
END_TEST

/* --- periodic tasks ------------------------------------------------------------ */

typedef struct tally {
    volatile apr_uint32_t runs;
    rxa_shcache_t *c;
    const char *key;
    volatile apr_uint32_t rv;    /* the task's last call (apr_status_t) */
} tally_t;

static void count_run(void *baton)
{
    tally_t *t = baton;

    apr_atomic_inc32(&t->runs);
}

/* A task that calls the cache: inline, on the thread. */
static void count_in_cache(void *baton)
{
    tally_t *t = baton;
    apr_uint64_t n;

    apr_atomic_set32(&t->rv, (apr_uint32_t)rxa_shcache_incr(t->c, t->key, &n));
    apr_atomic_inc32(&t->runs);
}

START_TEST(tasks_run_periodically_and_stop_with_the_pool)
{
    rxa_shcache_t *c = make_shm();
    tally_t a = { 0 }, b = { 0 };
    apr_pool_t *pchild;
    apr_uint32_t seen;
    int i;

    b.c = c;
    b.key = "rxa1:task-count";
    ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_msec(50), count_run,
                                       &a), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_msec(100),
                                       count_in_cache, &b), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_every(c, 0, count_run, &a), APR_EINVAL);
    apr_pool_create(&pchild, rxa_test_pool);
    ck_assert_int_eq(rxa_shcache_child_init(c, pchild), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_child_init(c, pchild), APR_EEXIST);
    ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_msec(50), count_run,
                                       &a), APR_EINIT);
    apr_sleep(apr_time_from_msec(520));
    ck_assert_uint_ge(apr_atomic_read32(&a.runs), 4);
    ck_assert_uint_le(apr_atomic_read32(&a.runs), 12);
    ck_assert_uint_ge(apr_atomic_read32(&b.runs), 3);
    ck_assert_int_eq(apr_atomic_read32(&b.rv), APR_SUCCESS);
    apr_pool_destroy(pchild);
    seen = apr_atomic_read32(&a.runs);
    apr_sleep(apr_time_from_msec(200));
    ck_assert_uint_eq(apr_atomic_read32(&a.runs), seen);

    /* at most 8 tasks */
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_sec(1), count_run,
                                           &a), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_sec(1), count_run,
                                       &a), APR_ENOSPC);
}
END_TEST

/* --- memcached and Redis ---------------------------------------------------- */

typedef struct server {
    const char *kind;           /* "memcache" or "redis" */
    int port;
    pid_t pid;
} server_t;

/* A port for a server to bind in a moment: below the kernel's ephemeral
 * range (from which it takes the local port of every outgoing connection
 * and of every bind to port 0, so nothing else takes it meanwhile), and
 * free now. */
static int free_port(void)
{
    struct sockaddr_in sa;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int low = 32768, high = 0, i;
    static int seeded;

    if (!seeded) {              /* each test runs in a process of its own */
        srandom((unsigned)getpid() ^ (unsigned)apr_time_now());
        seeded = 1;
    }
    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    if (low <= 12000)
        low = 32768;            /* no room below it: hope for the best */
    for (i = 0; i < 1000; i++) {
        int port = 10000 + (int)(random() % (low - 10000)), fd, ok;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((unsigned short)port);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        close(fd);
        if (ok)
            return port;
    }
    ck_abort_msg("no free port below %d", low);
    return 0;
}

static int port_answers(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)port);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

static void server_start(server_t *s)
{
    char port[16];
    int i;

    snprintf(port, sizeof(port), "%d", s->port);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        int null = open("/dev/null", O_RDWR);

        /* the server goes when this test does, however it ends */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (!strcmp(s->kind, "memcache"))
            execl(MEMCACHED, MEMCACHED, "-l", "127.0.0.1", "-p", port, "-U",
                  "0", "-t", "1", "-m", "64", "-u", "root", (char *)NULL);
        else
            execl(REDIS_SERVER, REDIS_SERVER, "--port", port, "--bind",
                  "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                  "/tmp", (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500 && !port_answers(s->port); i++)
        apr_sleep(apr_time_from_msec(10));
    ck_assert_msg(port_answers(s->port), "%s did not start on port %d",
                  s->kind, s->port);
}

/* SIGSTOP, and wait until it took (it is delivered asynchronously). */
static void server_pause(server_t *s)
{
    char path[64], state = '?';
    int i;

    kill(s->pid, SIGSTOP);
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)s->pid);
    for (i = 0; i < 500 && state != 'T'; i++) {
        char buf[512], *paren;
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

        if (f)
            fclose(f);
        buf[n] = '\0';
        if ((paren = strrchr(buf, ')')) && paren[1] == ' ')
            state = paren[2];
        if (state != 'T')
            apr_sleep(apr_time_from_msec(2));
    }
    ck_assert_msg(state == 'T', "%s (pid %ld) did not stop", s->kind,
                  (long)s->pid);
}

static void server_kill(server_t *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* The kinds installed here, in KINDS; their number. */
static int installed_kinds(const char *kinds[2])
{
    int n = 0;

    if (access(MEMCACHED, X_OK) == 0)
        kinds[n++] = "memcache";
    if (access(REDIS_SERVER, X_OK) == 0)
        kinds[n++] = "redis";
    if (n < 2 && getenv("CI"))
        ck_abort_msg("memcached or redis-server is missing (CI is set)");
    if (n < 2)
        fprintf(stderr, "# skipped: %s not installed\n",
                n ? "one of memcached, redis-server" : "memcached, redis-server");
    return n;
}

static rxa_shcache_t *make_remote(server_t *s, apr_pool_t *pchild)
{
    rxa_shcache_t *c = NULL;
    const char *text = apr_psprintf(rxa_test_pool, "%s:127.0.0.1:%d", s->kind,
                                    s->port);

    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec_of(text), NULL,
                                        &c), APR_SUCCESS);
    if (pchild)
        ck_assert_int_eq(rxa_shcache_child_init(c, pchild), APR_SUCCESS);
    return c;
}

static void wait_up(rxa_shcache_t *c, int up, apr_interval_time_t within)
{
    apr_time_t start = apr_time_now();

    while (!rxa_shcache_up(c) != !up && elapsed_since(start) < within)
        apr_sleep(apr_time_from_msec(10));
    ck_assert_msg(!rxa_shcache_up(c) == !up, "still %s after %" APR_TIME_T_FMT
                  " ms", up ? "down" : "up", apr_time_as_msec(within));
}

/* BODY once per installed engine, with its server (started or not, as
 * BODY likes; killed after); how many engines ran. */
static int each_server(void (*body)(server_t *s))
{
    const char *kinds[2];
    int k, n = installed_kinds(kinds);

    for (k = 0; k < n; k++) {
        server_t s = { kinds[k], free_port(), 0 };

        body(&s);
        server_kill(&s);
    }
    return n;
}

/* each_server(BODY) logs BEGUN lines of outages and ENDED of their ends
 * per server. */
static void outages_logged(void (*body)(server_t *s), int begun, int ended)
{
    int n;

    log_capture();
    n = each_server(body);
    ck_assert_int_eq(log_count("RXA08001: "), begun * n);
    ck_assert_int_eq(log_count("RXA08002: "), ended * n);
    log_release();
}

/* The server (back) on its port: the cache is up again soon. */
static void server_back(server_t *s, rxa_shcache_t *c)
{
    server_start(s);
    wait_up(c, 1, apr_time_from_msec(3000));
}

/* A call on a cache that is down fails at once. */
static void assert_fails_fast(rxa_shcache_t *c)
{
    apr_time_t start = apr_time_now();
    apr_status_t rv;

    ck_assert(!rxa_shcache_up(c));
    get_str(c, "rxa1:k", &rv);
    ck_assert_int_eq(rv, APR_ECONNREFUSED);
    ck_assert_int_lt(elapsed_since(start), FAST);
}

static void same_semantics(server_t *s)
{
    rxa_shcache_t *c;
    apr_status_t rv;

    server_start(s);
    c = make_remote(s, rxa_test_pool);
    /* before the thread's first probe, and for a key absent */
    get_str(c, "rxa1:nothing", &rv);
    ck_assert_int_eq(rv, APR_NOTFOUND);
    semantics(c, 1);
    ck_assert(rxa_shcache_up(c));
}

START_TEST(remote_semantics)
{
    each_server(same_semantics);
}
END_TEST

static void absent_at_start(server_t *s)
{
    rxa_shcache_t *c = make_remote(s, rxa_test_pool);
    apr_time_t start = apr_time_now();
    apr_status_t rv = rxa_shcache_claim(c, "rxa1:k", 10);

    ck_assert_msg(APR_STATUS_IS_ECONNREFUSED(rv), "%s: claim returned %d",
                  s->kind, rv);
    ck_assert_int_lt(elapsed_since(start), apr_time_from_msec(300));
    wait_up(c, 0, apr_time_from_msec(300));
    assert_fails_fast(c);
    /* the server arrives: the cache is used */
    server_back(s, c);
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:k", 10), APR_SUCCESS);
}

START_TEST(remote_absent_at_start_fails_fast)
{
    outages_logged(absent_at_start, 1, 1);
}
END_TEST

static void killed_and_restarted(server_t *s)
{
    rxa_shcache_t *c;
    apr_time_t start;
    apr_status_t rv;

    server_start(s);
    c = make_remote(s, rxa_test_pool);
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:k", "v", 1, 60), APR_SUCCESS);

    /* restarted between two calls: the second one just works */
    server_kill(s);
    server_start(s);
    rv = rxa_shcache_set(c, "rxa1:k", "v2", 2, 60);
    ck_assert_msg(rv == APR_SUCCESS, "%s: set after a restart returned %d",
                  s->kind, rv);
    assert_value(c, "rxa1:k", "v2");

    /* gone: a failure, then the cache is down and fails fast */
    server_kill(s);
    start = apr_time_now();
    get_str(c, "rxa1:k", &rv);
    ck_assert_msg(rv != APR_SUCCESS && rv != APR_NOTFOUND,
                  "%s: get with the server gone returned %d", s->kind, rv);
    ck_assert_int_lt(elapsed_since(start), apr_time_from_msec(300));
    assert_fails_fast(c);
    apr_sleep(apr_time_from_msec(1200));    /* probes fail meanwhile */
    ck_assert(!rxa_shcache_up(c));

    /* back (empty): up again within a probe interval or so */
    server_back(s, c);
    assert_absent(c, "rxa1:k");
    ck_assert_int_eq(rxa_shcache_claim(c, "rxa1:k", 60), APR_SUCCESS);
}

START_TEST(remote_killed_and_restarted)
{
    /* one line for the outage and one for its end, per cache */
    outages_logged(killed_and_restarted, 1, 1);
}
END_TEST

/* A claim on a stopped server: APR_TIMEUP after RXA_SHCACHE_OP_TIMEOUT
 * and no later. */
static void assert_times_out(rxa_shcache_t *c, const char *key)
{
    apr_time_t start = apr_time_now();
    apr_status_t rv = rxa_shcache_claim(c, key, 60);

    ck_assert_msg(APR_STATUS_IS_TIMEUP(rv), "claim returned %d", rv);
    ck_assert_int_lt(elapsed_since(start),
                     RXA_SHCACHE_OP_TIMEOUT + apr_time_from_msec(200));
    ck_assert_int_ge(elapsed_since(start), RXA_SHCACHE_OP_TIMEOUT);
}

static void stopped(server_t *s)
{
    rxa_shcache_t *c;
    apr_pool_t *pchild;
    apr_time_t start;

    server_start(s);
    apr_pool_create(&pchild, rxa_test_pool);
    c = make_remote(s, pchild);
    ck_assert_int_eq(rxa_shcache_set(c, "rxa1:k", "v", 1, 60), APR_SUCCESS);
    server_pause(s);
    assert_times_out(c, "rxa1:lock");
    assert_fails_fast(c);

    /* it wakes up: the cache comes back */
    kill(s->pid, SIGCONT);
    wait_up(c, 1, apr_time_from_msec(2500));
    assert_value(c, "rxa1:k", "v");

    /* stopped again at the end: the process still ends, in bounded time,
     * leaving the stuck thread behind */
    server_pause(s);
    assert_times_out(c, "rxa1:lock2");
    start = apr_time_now();
    apr_pool_destroy(pchild);
    ck_assert_int_lt(elapsed_since(start),
                     RXA_SHCACHE_OP_TIMEOUT + apr_time_from_msec(200));
    server_kill(s);
    apr_sleep(apr_time_from_msec(100));     /* the thread left goes */
}

/* A probe that timed out must not leave its answer behind for the next
 * call on the same connection: Redis stopped during a probe, then back,
 * and every answer still goes to its own question. (memcached has no
 * read timeout: nothing is ever left behind there.) */
static void probe_times_out(server_t *s)
{
    const char *text = apr_psprintf(rxa_test_pool, "redis:127.0.0.1:%d",
                                    s->port);
    rxa_remote_t *r;
    apr_status_t rv;
    char *val;
    apr_size_t len;
    int i;

    if (strcmp(s->kind, "redis"))
        return;
    server_start(s);
    ck_assert_int_eq(rxa_remote_create(rxa_test_pool, spec_of(text), &r),
                     APR_SUCCESS);
    ck_assert_int_eq(rxa_remote_set(r, "rxa1:a", "A", 1, 60), APR_SUCCESS);
    ck_assert_int_eq(rxa_remote_set(r, "rxa1:b", "B", 1, 60), APR_SUCCESS);
    server_pause(s);
    ck_assert_int_ne(rxa_remote_probe(r, rxa_test_pool), APR_SUCCESS);
    kill(s->pid, SIGCONT);
    apr_sleep(apr_time_from_msec(200));
    ck_assert_int_eq(rxa_remote_probe(r, rxa_test_pool), APR_SUCCESS);
    for (i = 0; i < 4; i++) {
        rv = rxa_remote_get(r, rxa_test_pool, i % 2 ? "rxa1:b" : "rxa1:a",
                            &val, &len);
        ck_assert_msg(rv == APR_SUCCESS && !strcmp(val, i % 2 ? "B" : "A"),
                      "call %d: status %d, value %s", i, rv,
                      rv == APR_SUCCESS ? val : "-");
    }
}

START_TEST(remote_answers_stay_in_step_after_probes_timed_out)
{
    each_server(probe_times_out);
}
END_TEST

START_TEST(remote_stopped_server_holds_nobody)
{
    outages_logged(stopped, 2, 1);
}
END_TEST

static void tasks_up_and_down(server_t *s)
{
    rxa_shcache_t *c = make_remote(s, NULL);
    tally_t t = { 0 };
    apr_uint64_t count = 0;
    apr_pool_t *pchild;

    t.c = c;
    t.key = "rxa1:task-count";
    ck_assert_int_eq(rxa_shcache_every(c, apr_time_from_msec(100),
                                       count_in_cache, &t), APR_SUCCESS);
    apr_pool_create(&pchild, rxa_test_pool);
    ck_assert_int_eq(rxa_shcache_child_init(c, pchild), APR_SUCCESS);
    /* no server: the task runs, its calls fail */
    apr_sleep(apr_time_from_msec(450));
    ck_assert_uint_ge(apr_atomic_read32(&t.runs), 3);
    ck_assert_int_ne(apr_atomic_read32(&t.rv), APR_SUCCESS);
    /* a server: its calls, made on the thread, count */
    server_back(s, c);
    apr_sleep(apr_time_from_msec(350));
    ck_assert_int_eq(apr_atomic_read32(&t.rv), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:task-count", &count),
                     APR_SUCCESS);
    ck_assert_uint_ge(count, 3);
    apr_pool_destroy(pchild);       /* the thread goes before T */
}

START_TEST(remote_tasks_run_up_and_down)
{
    each_server(tasks_up_and_down);
}
END_TEST

/* An outage seen by several processes is logged once. */
static int child_notices(rxa_shcache_t *c, int i)
{
    apr_pool_t *p;
    apr_status_t rv;

    apr_pool_create(&p, NULL);
    if (rxa_shcache_child_init(c, p) != APR_SUCCESS)
        return 3;
    rv = rxa_shcache_claim(c, "rxa1:k", 10);
    apr_sleep(apr_time_from_msec(200));
    apr_pool_destroy(p);
    return rv == APR_SUCCESS ? 1 : 0;
}

static void seen_by_three_processes(server_t *s)
{
    rxa_shcache_t *c = make_remote(s, NULL);
    pid_t pids[3];
    int i, status;

    for (i = 0; i < 3; i++) {
        if ((pids[i] = fork()) == 0)
            _exit(child_notices(c, i));
        ck_assert_int_gt(pids[i], 0);
    }
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

START_TEST(remote_outage_logged_once_for_all_processes)
{
    outages_logged(seen_by_three_processes, 1, 0);
}
END_TEST

RXA_TEST_SUITE("shcache",
               specs_and_their_canonical_text,
               ipv6_servers_are_refused_at_creation,
               shm_semantics,
               shm_evicts_what_expires_soonest,
               shm_shrunk_value_leaves_its_slot,
               shm_is_one_segment_for_all_processes,
               tasks_run_periodically_and_stop_with_the_pool,
               remote_semantics,
               remote_absent_at_start_fails_fast,
               remote_killed_and_restarted,
               remote_stopped_server_holds_nobody,
               remote_answers_stay_in_step_after_probes_timed_out,
               remote_tasks_run_up_and_down,
               remote_outage_logged_once_for_all_processes)
