/* The revocation list (see rxa_revocation.h).
 *
 * In memory: a hash of (kind, digest) -> until when the entry lives and,
 * for a subject, the time before which its sign-ins are refused; read
 * under a rwlock, and not at all while the atomic count says it is empty.
 *
 * In the shared cache: "rxa1:rev:gen", a counter, and one key per
 * revocation, "rxa1:rev:<n>" for the n the counter gave, holding
 * "<kind> <digest hex> <before> <expires>". A sync reads the counter and
 * the entries after the last one it read. */
#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_rwlock.h>

#include <openssl/evp.h>

#include "rxa_log.h"
#include "rxa_revocation.h"

#define GEN_KEY      "rxa1:rev:gen"
#define ENTRY_PREFIX "rxa1:rev:"
/* Claimed by the one process that writes an entry back after the cache
 * lost the list, followed by the entry's kind and digest. */
#define REPUBLISH_PREFIX "rxa1:rev:again:"

/* An entry the counter names but the cache does not hold (yet: its
 * writer increments, then sets) is looked for again this long. */
#define MISSING_GRACE apr_time_from_sec(5)
#define MISSING_MAX   64
/* Revocations made while the cache is down, written when it is back. */
#define PENDING_MAX   1024
/* One sync reads at most this many entries, or for this long: a process
 * catching up on a long list leaves the cache's thread to the requests. */
#define SYNC_MAX_READS 1024
#define SYNC_BUDGET    apr_time_from_msec(100)
#define PRUNE_INTERVAL apr_time_from_sec(60)

/* Kinds, as written in the cache and as the first byte of a set key. */
#define KIND_SIGNIN 'i'
#define KIND_SID    's'
#define KIND_SUB    'u'

#define DIGEST_LEN 32
#define KEY_LEN    (1 + DIGEST_LEN)
/* "<kind> <64 hex> <before> <expires>" */
#define TEXT_MAX   128

typedef struct rev_entry rev_entry_t;
struct rev_entry {
    unsigned char key[KEY_LEN];     /* kind, digest */
    apr_int64_t before;             /* KIND_SUB: sign-ins begun then or
                                     * earlier are refused */
    apr_int64_t expires;            /* epoch seconds */
    rev_entry_t *next_free;
};

typedef struct missing {
    apr_uint64_t gen;
    apr_time_t since;
} missing_t;

struct rxa_revocation {
    rxa_shcache_t *cache;

    /* the set */
    apr_pool_t *pool;               /* its own allocator; under the wrlock */
    apr_thread_rwlock_t *lock;
    apr_hash_t *set;                /* key -> rev_entry_t */
    rev_entry_t *free_entries;
    volatile apr_uint32_t count;    /* entries in SET */

    /* revocations not yet written to the cache */
    apr_thread_mutex_t *queue_lock;
    char (*pending)[TEXT_MAX];      /* a ring; NULL without a cache */
    unsigned int pending_first, pending_n;
    apr_uint64_t pending_taken;     /* how many left the ring's head */
    int overflow_logged;

    /* what the syncs read */
    apr_time_t next_prune;          /* under the rwlock */
    apr_thread_mutex_t *sync_lock;
    apr_uint64_t cursor;            /* the counter's value at the last sync */
    apr_uint64_t seen;              /* the newest entry read, 0: none... */
    char seen_text[TEXT_MAX];       /* ...what it held... */
    apr_int64_t seen_expires;       /* ...and when it ends in the cache */
    missing_t missing[MISSING_MAX];
    unsigned int nmissing;
};

/* --- digests ---------------------------------------------------------------- */

static void digest_field(EVP_MD_CTX *md, const char *s)
{
    apr_size_t len = s ? strlen(s) : 0;
    unsigned char n[4];

    n[0] = (unsigned char)(len >> 24);
    n[1] = (unsigned char)(len >> 16);
    n[2] = (unsigned char)(len >> 8);
    n[3] = (unsigned char)len;
    EVP_DigestUpdate(md, n, sizeof(n));
    EVP_DigestUpdate(md, s ? s : "", len);
}

/* SHA-256 of DOMAIN (with its NUL), then A and B (when not NULL) each
 * length-prefixed: no two inputs of one kind or of two kinds collide by
 * their joining. */
static void digest(unsigned char out[DIGEST_LEN], const char *domain,
                   const char *a, const char *b, int two)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = DIGEST_LEN;

    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        /* no digest: a value no input makes, so nothing is refused by it */
        memset(out, 0, DIGEST_LEN);
        EVP_MD_CTX_free(md);
        rxa_log(RXA_LOG_MARK, RXA_LOG_ERR, APR_EGENERAL, "RXA08200: "
                "SHA-256 is unavailable: revocations cannot be matched");
        return;
    }
    EVP_DigestUpdate(md, domain, strlen(domain) + 1);
    digest_field(md, a);
    if (two)
        digest_field(md, b);
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

#define DOMAIN_SIGNIN "rxa1 revocation: sign-in id"
#define DOMAIN_SID    "rxa1 revocation: issuer and sid"
#define DOMAIN_SUB    "rxa1 revocation: issuer and sub"

void rxa_signin_ref_make(rxa_signin_ref_t *ref, const char *signin_id,
                         apr_int64_t started_at, const char *iss,
                         const char *sid, const char *sub)
{
    digest(ref->signin, DOMAIN_SIGNIN, signin_id, NULL, 0);
    digest(ref->sid, DOMAIN_SID, iss, sid, 1);
    digest(ref->sub, DOMAIN_SUB, iss, sub, 1);
    ref->has_sid = sid != NULL;
    ref->started_at = started_at;
}

/* --- the set ---------------------------------------------------------------- */

static void key_make(unsigned char key[KEY_LEN], char kind,
                     const unsigned char d[DIGEST_LEN])
{
    key[0] = (unsigned char)kind;
    memcpy(key + 1, d, DIGEST_LEN);
}

/* Add KEY, or widen the entry there. */
static void set_add(rxa_revocation_t *rev, const unsigned char key[KEY_LEN],
                    apr_int64_t before, apr_int64_t expires)
{
    rev_entry_t *e;

    apr_thread_rwlock_wrlock(rev->lock);
    if ((e = apr_hash_get(rev->set, key, KEY_LEN))) {
        if (before > e->before)
            e->before = before;
        if (expires > e->expires)
            e->expires = expires;
    }
    else {
        if ((e = rev->free_entries))
            rev->free_entries = e->next_free;
        else
            e = apr_palloc(rev->pool, sizeof(*e));
        memcpy(e->key, key, KEY_LEN);
        e->before = before;
        e->expires = expires;
        apr_hash_set(rev->set, e->key, KEY_LEN, e);
        apr_atomic_set32(&rev->count, apr_hash_count(rev->set));
    }
    apr_thread_rwlock_unlock(rev->lock);
}

/* Drop the entries past their end, once a PRUNE_INTERVAL. */
static void set_prune(rxa_revocation_t *rev, apr_time_t now)
{
    apr_int64_t secs = apr_time_sec(now);
    apr_hash_index_t *hi;

    apr_thread_rwlock_wrlock(rev->lock);
    if (now < rev->next_prune) {
        apr_thread_rwlock_unlock(rev->lock);
        return;
    }
    rev->next_prune = now + PRUNE_INTERVAL;
    for (hi = apr_hash_first(NULL, rev->set); hi; hi = apr_hash_next(hi)) {
        rev_entry_t *e = apr_hash_this_val(hi);
        if (e->expires <= secs) {
            apr_hash_set(rev->set, e->key, KEY_LEN, NULL);
            e->next_free = rev->free_entries;
            rev->free_entries = e;
        }
    }
    apr_atomic_set32(&rev->count, apr_hash_count(rev->set));
    apr_thread_rwlock_unlock(rev->lock);
}

/* The live entry for KIND and D, under the read lock. */
static const rev_entry_t *set_find(rxa_revocation_t *rev, char kind,
                                   const unsigned char d[DIGEST_LEN],
                                   apr_int64_t now)
{
    unsigned char key[KEY_LEN];
    const rev_entry_t *e;

    key_make(key, kind, d);
    e = apr_hash_get(rev->set, key, KEY_LEN);
    return e && e->expires > now ? e : NULL;
}

int rxa_revocation_check(rxa_revocation_t *rev, const rxa_signin_ref_t *ref,
                         apr_time_t now)
{
    apr_int64_t secs = apr_time_sec(now);
    const rev_entry_t *e;
    int revoked;

    if (!rev || !apr_atomic_read32(&rev->count))
        return 0;
    apr_thread_rwlock_rdlock(rev->lock);
    revoked = set_find(rev, KIND_SIGNIN, ref->signin, secs)
        || (ref->has_sid && set_find(rev, KIND_SID, ref->sid, secs))
        || ((e = set_find(rev, KIND_SUB, ref->sub, secs))
            && ref->started_at <= e->before);
    apr_thread_rwlock_unlock(rev->lock);
    return revoked;
}

/* --- entries in the cache --------------------------------------------------- */

static void entry_text(char out[TEXT_MAX], const unsigned char key[KEY_LEN],
                       apr_int64_t before, apr_int64_t expires)
{
    static const char hex[] = "0123456789abcdef";
    char d[2 * DIGEST_LEN + 1];
    int i;

    for (i = 0; i < DIGEST_LEN; i++) {
        d[2 * i] = hex[key[1 + i] >> 4];
        d[2 * i + 1] = hex[key[1 + i] & 15];
    }
    d[2 * DIGEST_LEN] = '\0';
    apr_snprintf(out, TEXT_MAX, "%c %s %" APR_INT64_T_FMT " %"
                 APR_INT64_T_FMT, key[0], d, before, expires);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A decimal of 1 to 18 digits at *AT, followed by END_CH. */
static int parse_int(const char **at, char end_ch, apr_int64_t *v)
{
    const char *p = *at;
    int n = 0;

    *v = 0;
    while (*p >= '0' && *p <= '9' && n < 18) {
        *v = *v * 10 + (*p++ - '0');
        n++;
    }
    if (!n || *p != end_ch)
        return 0;
    *at = p + (end_ch ? 1 : 0);
    return 1;
}

static int entry_parse(const char *text, apr_size_t len,
                       unsigned char key[KEY_LEN], apr_int64_t *before,
                       apr_int64_t *expires)
{
    const char *at = text + 2;
    int i;

    if (len < 2 + 2 * DIGEST_LEN + 4 || strlen(text) != len
        || (text[0] != KIND_SIGNIN && text[0] != KIND_SID
            && text[0] != KIND_SUB) || text[1] != ' ')
        return 0;
    key[0] = (unsigned char)text[0];
    for (i = 0; i < DIGEST_LEN; i++) {
        int hi = hex_value(at[2 * i]), lo = hex_value(at[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        key[1 + i] = (unsigned char)(hi << 4 | lo);
    }
    at += 2 * DIGEST_LEN;
    if (*at++ != ' ')
        return 0;
    return parse_int(&at, ' ', before) && parse_int(&at, '\0', expires);
}

static void gen_key(char out[RXA_SHCACHE_MAX_KEY], apr_uint64_t n)
{
    apr_snprintf(out, RXA_SHCACHE_MAX_KEY, ENTRY_PREFIX "%" APR_UINT64_T_FMT,
                 n);
}

/* TEXT under the next generation, for what is left of its life. */
static apr_status_t entry_write(rxa_revocation_t *rev, const char *text,
                                apr_int64_t expires)
{
    apr_int64_t ttl = expires - apr_time_sec(apr_time_now());
    char key[RXA_SHCACHE_MAX_KEY];
    apr_uint64_t n;
    apr_status_t rv;

    if (ttl < 1)
        return APR_SUCCESS;             /* over already */
    if ((rv = rxa_shcache_incr(rev->cache, GEN_KEY, &n)) != APR_SUCCESS)
        return rv;
    gen_key(key, n);
    return rxa_shcache_set(rev->cache, key, text, strlen(text),
                           (apr_uint32_t)ttl);
}

/* The expiry written at the end of TEXT. */
static apr_int64_t text_expires(const char *text)
{
    const char *sp = strrchr(text, ' ');

    return sp ? apr_atoi64(sp + 1) : 0;
}

/* Keep TEXT for the sync to write; when the queue is full the oldest
 * goes (it is known here, and it is the nearest its end). */
static void pending_push(rxa_revocation_t *rev, const char *text)
{
    unsigned int at;

    apr_thread_mutex_lock(rev->queue_lock);
    if (rev->pending_n == PENDING_MAX) {
        rev->pending_first = (rev->pending_first + 1) % PENDING_MAX;
        rev->pending_n--;
        rev->pending_taken++;
        if (!rev->overflow_logged) {
            rev->overflow_logged = 1;
            rxa_log(RXA_LOG_MARK, RXA_LOG_WARN, APR_ENOSPC, "RXA08201: "
                    "more than %d revocations wait for the shared cache: "
                    "the oldest are known in this process only",
                    PENDING_MAX);
        }
    }
    at = (rev->pending_first + rev->pending_n) % PENDING_MAX;
    apr_cpystrn(rev->pending[at], text, TEXT_MAX);
    rev->pending_n++;
    apr_thread_mutex_unlock(rev->queue_lock);
}

/* Write the queued revocations, oldest first, until one fails. */
static apr_status_t pending_flush(rxa_revocation_t *rev)
{
    char text[TEXT_MAX];
    apr_uint64_t taken;
    apr_status_t rv;

    for (;;) {
        apr_thread_mutex_lock(rev->queue_lock);
        if (!rev->pending_n) {
            rev->overflow_logged = 0;
            apr_thread_mutex_unlock(rev->queue_lock);
            return APR_SUCCESS;
        }
        memcpy(text, rev->pending[rev->pending_first], TEXT_MAX);
        taken = rev->pending_taken;
        apr_thread_mutex_unlock(rev->queue_lock);
        if ((rv = entry_write(rev, text, text_expires(text))) != APR_SUCCESS)
            return rv;
        /* TEXT leaves the head, unless a full ring dropped it meanwhile */
        apr_thread_mutex_lock(rev->queue_lock);
        if (rev->pending_taken == taken) {
            rev->pending_first = (rev->pending_first + 1) % PENDING_MAX;
            rev->pending_n--;
            rev->pending_taken++;
        }
        apr_thread_mutex_unlock(rev->queue_lock);
    }
}

/* --- revoking --------------------------------------------------------------- */

/* Known here at once; then in the cache, or queued for it. */
static apr_status_t revoke_add(rxa_revocation_t *rev, char kind,
                               const unsigned char d[DIGEST_LEN],
                               apr_int64_t before)
{
    apr_int64_t expires = apr_time_sec(apr_time_now()) + RXA_REVOCATION_TTL;
    unsigned char key[KEY_LEN];
    char text[TEXT_MAX];

    key_make(key, kind, d);
    set_prune(rev, apr_time_now());     /* a list without sync prunes here */
    set_add(rev, key, before, expires);
    if (!rev->cache)
        return APR_SUCCESS;
    entry_text(text, key, before, expires);
    if (!rxa_shcache_up(rev->cache) || entry_write(rev, text, expires)
        != APR_SUCCESS)
        pending_push(rev, text);
    return APR_SUCCESS;
}

apr_status_t rxa_revoke_signin(rxa_revocation_t *rev, const char *signin_id)
{
    unsigned char d[DIGEST_LEN];

    if (!rev || !signin_id || !*signin_id)
        return APR_EINVAL;
    digest(d, DOMAIN_SIGNIN, signin_id, NULL, 0);
    return revoke_add(rev, KIND_SIGNIN, d, 0);
}

apr_status_t rxa_revoke_sid(rxa_revocation_t *rev, const char *iss,
                            const char *sid)
{
    unsigned char d[DIGEST_LEN];

    if (!rev || !iss || !sid || !*sid)
        return APR_EINVAL;
    digest(d, DOMAIN_SID, iss, sid, 1);
    return revoke_add(rev, KIND_SID, d, 0);
}

apr_status_t rxa_revoke_sub(rxa_revocation_t *rev, const char *iss,
                            const char *sub, apr_int64_t before)
{
    unsigned char d[DIGEST_LEN];

    if (!rev || !iss || !sub || !*sub || before < 0)
        return APR_EINVAL;
    digest(d, DOMAIN_SUB, iss, sub, 1);
    return revoke_add(rev, KIND_SUB, d, before);
}

/* --- sync ------------------------------------------------------------------- */

/* Entry N from the cache into the set: APR_SUCCESS, APR_NOTFOUND, or the
 * cache's failure. *TEXT is what it held (NULL when it does not read). */
static apr_status_t entry_read(rxa_revocation_t *rev, apr_pool_t *pool,
                               apr_uint64_t n, const char **text,
                               apr_int64_t *expires)
{
    char key[RXA_SHCACHE_MAX_KEY], *val;
    unsigned char k[KEY_LEN];
    apr_int64_t before;
    apr_size_t len;
    apr_status_t rv;

    *text = NULL;
    gen_key(key, n);
    if ((rv = rxa_shcache_get(rev->cache, pool, key, &val, &len))
        != APR_SUCCESS)
        return rv;
    if (!entry_parse(val, len, k, &before, expires)) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_WARN, APR_EINVAL, "RXA08202: the "
                "shared cache's revocation %" APR_UINT64_T_FMT " does not "
                "read: skipped", n);
        return APR_SUCCESS;
    }
    set_add(rev, k, before, *expires);
    *text = val;
    return APR_SUCCESS;
}

static void missing_add(rxa_revocation_t *rev, apr_uint64_t n, apr_time_t now)
{
    if (rev->nmissing == MISSING_MAX) {     /* the oldest is given up */
        memmove(rev->missing, rev->missing + 1,
                (MISSING_MAX - 1) * sizeof(missing_t));
        rev->nmissing--;
    }
    rev->missing[rev->nmissing].gen = n;
    rev->missing[rev->nmissing].since = now;
    rev->nmissing++;
}

/* Look again for the entries the counter named and the cache lacked. */
static apr_status_t missing_retry(rxa_revocation_t *rev, apr_pool_t *pool,
                                  apr_time_t now)
{
    unsigned int i, kept = 0;
    apr_status_t rv = APR_SUCCESS;
    apr_int64_t expires;
    const char *text;

    for (i = 0; i < rev->nmissing; i++) {
        missing_t m = rev->missing[i];
        if (rv == APR_SUCCESS || rv == APR_NOTFOUND)
            rv = entry_read(rev, pool, m.gen, &text, &expires);
        if (rv == APR_SUCCESS || (rv == APR_NOTFOUND
                                  && now - m.since > MISSING_GRACE))
            continue;                       /* found, or given up */
        rev->missing[kept++] = m;
    }
    rev->nmissing = kept;
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

/* Whether the cache lost what it held (it restarted): the counter went
 * back, or the newest entry read holds another (the counter started
 * again and passed it), or is gone well before its end. */
static int cache_lost(rxa_revocation_t *rev, apr_pool_t *pool,
                      apr_uint64_t gen, apr_int64_t now)
{
    char key[RXA_SHCACHE_MAX_KEY], *val;
    apr_size_t len;
    apr_status_t rv;

    if (gen < rev->cursor)
        return 1;
    if (!rev->seen)
        return 0;
    gen_key(key, rev->seen);
    rv = rxa_shcache_get(rev->cache, pool, key, &val, &len);
    return rv == APR_SUCCESS ? strcmp(val, rev->seen_text) != 0
        : rv == APR_NOTFOUND && rev->seen_expires > now + 60;
}

static apr_status_t gen_read(rxa_revocation_t *rev, apr_pool_t *pool,
                             apr_uint64_t *gen)
{
    char *val;
    apr_size_t len;
    apr_int64_t v;
    const char *at;
    apr_status_t rv = rxa_shcache_get(rev->cache, pool, GEN_KEY, &val, &len);

    *gen = 0;
    if (rv == APR_NOTFOUND)
        return APR_SUCCESS;
    if (rv != APR_SUCCESS)
        return rv;
    /* memcached keeps a counter's digits and may pad them with spaces */
    for (at = val; *at == ' '; at++)
        ;
    while (len && val[len - 1] == ' ')
        val[--len] = '\0';
    if (!parse_int(&at, '\0', &v)) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_WARN, APR_EINVAL, "RXA08203: the "
                "shared cache's revocation counter does not read");
        return APR_EINVAL;
    }
    *gen = (apr_uint64_t)v;
    return APR_SUCCESS;
}

/* After the cache lost the list: what this process knows goes back into
 * it, so processes started later (and replicas' new children) learn it
 * too. Every process that knew an entry tries, and a claim on its kind
 * and digest lets one of them write it: the list does not grow by the
 * number of processes. Queued (at most PENDING_MAX, the soonest to end
 * dropped first) and written by the next syncs, like revocations made
 * while the cache was down. */
static void republish(rxa_revocation_t *rev, apr_pool_t *pool)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    char (*texts)[TEXT_MAX];
    apr_hash_index_t *hi;
    unsigned int n = 0, i;

    texts = apr_palloc(pool, sizeof(*texts) * PENDING_MAX);
    apr_thread_rwlock_rdlock(rev->lock);
    for (hi = apr_hash_first(pool, rev->set); hi && n < PENDING_MAX;
         hi = apr_hash_next(hi)) {
        const rev_entry_t *e = apr_hash_this_val(hi);

        if (e->expires > now)
            entry_text(texts[n++], e->key, e->before, e->expires);
    }
    apr_thread_rwlock_unlock(rev->lock);
    for (i = 0; i < n; i++) {
        /* "<kind> <digest>" names the entry; its times may differ */
        const char *sp = strchr(texts[i] + 2, ' ');
        char *key = apr_pstrcat(pool, REPUBLISH_PREFIX,
                                apr_pstrmemdup(pool, texts[i],
                                               (apr_size_t)(sp - texts[i])),
                                NULL);

        key[strlen(REPUBLISH_PREFIX) + 1] = '-';    /* no space in keys */
        if (rxa_shcache_claim(rev->cache, key,
                              (apr_uint32_t)(text_expires(texts[i]) - now))
            != APR_EEXIST)
            pending_push(rev, texts[i]);
    }
}

/* The entries after the cursor, within this sync's budget. */
static apr_status_t sync_read(rxa_revocation_t *rev, apr_pool_t *pool)
{
    apr_time_t start = apr_time_now();
    apr_int64_t now = apr_time_sec(start), expires;
    const char *text;
    apr_uint64_t gen;
    apr_status_t rv;
    int reads = 0;

    if ((rv = gen_read(rev, pool, &gen)) != APR_SUCCESS)
        return rv;
    if (cache_lost(rev, pool, gen, now)) {
        rxa_log(RXA_LOG_MARK, RXA_LOG_NOTICE, APR_SUCCESS, "RXA08204: the "
                "shared cache lost its revocation list (restarted?): read "
                "again from the start; the %u known here are kept and "
                "written back",
                apr_atomic_read32(&rev->count));
        rev->cursor = rev->seen = 0;
        rev->nmissing = 0;
        republish(rev, pool);
    }
    while (rev->cursor < gen) {
        if (reads++ >= SYNC_MAX_READS
            || apr_time_now() - start > SYNC_BUDGET)
            break;                          /* the rest next time */
        rv = entry_read(rev, pool, rev->cursor + 1, &text, &expires);
        if (rv == APR_NOTFOUND)
            missing_add(rev, rev->cursor + 1, start);
        else if (rv != APR_SUCCESS)
            return rv;
        else if (text) {
            rev->seen = rev->cursor + 1;
            apr_cpystrn(rev->seen_text, text, TEXT_MAX);
            rev->seen_expires = expires;
        }
        rev->cursor++;
    }
    if (reads)
        rxa_log(RXA_LOG_MARK, RXA_LOG_DEBUG, APR_SUCCESS, "RXA08205: "
                "revocations read from the shared cache up to %"
                APR_UINT64_T_FMT " of %" APR_UINT64_T_FMT, rev->cursor, gen);
    return missing_retry(rev, pool, start);
}

apr_status_t rxa_revocation_sync(rxa_revocation_t *rev)
{
    apr_time_t now = apr_time_now();
    apr_pool_t *pool;
    apr_status_t rv = APR_SUCCESS;

    apr_thread_mutex_lock(rev->sync_lock);
    if (rev->cache) {
        /* operations inside a task run on the cache's own thread */
        if ((rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL))
            == APR_SUCCESS) {
            if ((rv = pending_flush(rev)) == APR_SUCCESS)
                rv = sync_read(rev, pool);
            apr_pool_destroy(pool);
        }
    }
    apr_thread_mutex_unlock(rev->sync_lock);
    set_prune(rev, now);
    return rv;
}

static void sync_task(void *baton)
{
    rxa_revocation_sync(baton);
}

static apr_status_t own_pool_end(void *own)
{
    apr_pool_destroy(own);
    return APR_SUCCESS;
}

apr_status_t rxa_revocation_create(apr_pool_t *pool, rxa_shcache_t *cache,
                                   rxa_revocation_t **out)
{
    apr_pool_t *own;
    rxa_revocation_t *rev;
    apr_status_t rv;

    *out = NULL;
    /* the set's own allocator: it grows under the list's lock only */
    if ((rv = apr_pool_create_unmanaged_ex(&own, NULL, NULL)) != APR_SUCCESS)
        return rv;
    apr_pool_cleanup_register(pool, own, own_pool_end, apr_pool_cleanup_null);
    rev = apr_pcalloc(pool, sizeof(*rev));
    rev->cache = cache;
    rev->pool = own;
    rev->set = apr_hash_make(own);
    if (cache)
        rev->pending = apr_palloc(pool, PENDING_MAX * sizeof(*rev->pending));
    if ((rv = apr_thread_rwlock_create(&rev->lock, pool)) != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&rev->queue_lock,
                                         APR_THREAD_MUTEX_DEFAULT, pool))
           != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&rev->sync_lock,
                                         APR_THREAD_MUTEX_DEFAULT, pool))
           != APR_SUCCESS
        || (cache && (rv = rxa_shcache_every(cache,
                                             RXA_REVOCATION_SYNC_INTERVAL,
                                             sync_task, rev)) != APR_SUCCESS))
        return rv;
    *out = rev;
    return APR_SUCCESS;
}
