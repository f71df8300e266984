/* The revocation list: the three kinds of entry and a subject's `before`,
 * digests that tell kinds and fields apart, an empty list that checks
 * nothing, and the arguments refused; then two lists over one shm cache,
 * as two processes would have: what one revokes the other learns at its
 * next sync, the cache holds no clear text, an entry late in the cache is
 * read when it comes, and a counter that went back (the cache restarted)
 * is read again from the start. */
#include <unistd.h>

#include <apr_global_mutex.h>

#include "rxa_test.h"
#include "rxa_revocation.h"

#define ISS   "https://idp.example"
#define NOW   apr_time_now()
#define T0    APR_INT64_C(1765000000)

static rxa_revocation_t *local_list(void)
{
    rxa_revocation_t *rev = NULL;

    ck_assert_int_eq(rxa_revocation_create(rxa_test_pool, NULL, &rev),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(rev);
    return rev;
}

/* Whether the sign-in so described is refused by REV now. */
static int refused(rxa_revocation_t *rev, const char *signin,
                   apr_int64_t started_at, const char *iss, const char *sid,
                   const char *sub)
{
    rxa_signin_ref_t ref;

    rxa_signin_ref_make(&ref, signin, started_at, iss, sid, sub);
    return rxa_revocation_check(rev, &ref, NOW);
}

START_TEST(an_empty_list_refuses_nothing)
{
    rxa_revocation_t *rev = local_list();
    rxa_signin_ref_t ref;

    memset(&ref, 0, sizeof(ref));       /* not even looked at */
    ck_assert(!rxa_revocation_check(rev, &ref, NOW));
    ck_assert(!refused(rev, "signin-1", T0, ISS, "sid-1", "alice"));
    ck_assert(!rxa_revocation_check(NULL, &ref, NOW));
    ck_assert_int_eq(rxa_revocation_sync(rev), APR_SUCCESS);
    ck_assert(!refused(rev, "signin-1", T0, ISS, "sid-1", "alice"));
}
END_TEST

START_TEST(a_revoked_signin_id)
{
    rxa_revocation_t *rev = local_list();

    ck_assert_int_eq(rxa_revoke_signin(rev, "signin-1"), APR_SUCCESS);
    /* whatever else the sign-in has */
    ck_assert(refused(rev, "signin-1", T0, ISS, "sid-1", "alice"));
    ck_assert(refused(rev, "signin-1", 0, "https://other", NULL, "bob"));
    /* another sign-in of the same user at the same IdP session */
    ck_assert(!refused(rev, "signin-2", T0, ISS, "sid-1", "alice"));
    ck_assert(!refused(rev, "signin-10", T0, ISS, "sid-1", "alice"));
    ck_assert(!refused(rev, "signin-", T0, ISS, "sid-1", "alice"));
    /* twice is the same */
    ck_assert_int_eq(rxa_revoke_signin(rev, "signin-1"), APR_SUCCESS);
    ck_assert(refused(rev, "signin-1", T0, ISS, NULL, "alice"));
}
END_TEST

START_TEST(a_revoked_issuer_session)
{
    rxa_revocation_t *rev = local_list();

    ck_assert_int_eq(rxa_revoke_sid(rev, ISS, "sid-1"), APR_SUCCESS);
    /* every sign-in with that issuer and sid, whoever and whenever */
    ck_assert(refused(rev, "signin-1", T0, ISS, "sid-1", "alice"));
    ck_assert(refused(rev, "signin-2", T0 + 100000, ISS, "sid-1", "alice"));
    /* the same sid at another issuer, another sid, or none */
    ck_assert(!refused(rev, "signin-3", T0, "https://other", "sid-1", "alice"));
    ck_assert(!refused(rev, "signin-4", T0, ISS, "sid-2", "alice"));
    ck_assert(!refused(rev, "signin-5", T0, ISS, NULL, "alice"));
    /* a sid is not a sign-in id nor a sub */
    ck_assert(!refused(rev, "sid-1", T0, ISS, NULL, "sid-1"));
}
END_TEST

START_TEST(a_revoked_subject_before_a_time)
{
    rxa_revocation_t *rev = local_list();

    ck_assert_int_eq(rxa_revoke_sub(rev, ISS, "alice", T0), APR_SUCCESS);
    /* begun before, in the same second, or at an unknown time: refused */
    ck_assert(refused(rev, "signin-1", T0 - 3600, ISS, "sid-1", "alice"));
    ck_assert(refused(rev, "signin-2", T0, ISS, NULL, "alice"));
    ck_assert(refused(rev, "signin-3", 0, ISS, "sid-9", "alice"));
    /* begun after: kept */
    ck_assert(!refused(rev, "signin-4", T0 + 1, ISS, "sid-1", "alice"));
    /* another subject, or the same at another issuer */
    ck_assert(!refused(rev, "signin-5", T0 - 3600, ISS, "sid-1", "bob"));
    ck_assert(!refused(rev, "signin-6", T0 - 3600, "https://other", "sid-1",
                       "alice"));
    /* a later logout widens it; an earlier one does not narrow it */
    ck_assert_int_eq(rxa_revoke_sub(rev, ISS, "alice", T0 + 10), APR_SUCCESS);
    ck_assert(refused(rev, "signin-4", T0 + 1, ISS, "sid-1", "alice"));
    ck_assert_int_eq(rxa_revoke_sub(rev, ISS, "alice", T0 - 10), APR_SUCCESS);
    ck_assert(refused(rev, "signin-4", T0 + 1, ISS, "sid-1", "alice"));
    ck_assert(!refused(rev, "signin-7", T0 + 11, ISS, "sid-1", "alice"));
}
END_TEST

/* The fields are joined unambiguously: moving a boundary, or the same
 * strings in another kind, make another digest. */
START_TEST(digests_tell_fields_and_kinds_apart)
{
    rxa_signin_ref_t a, b, c;

    rxa_signin_ref_make(&a, "x", 0, "https://idp.example/a", "b", "c");
    rxa_signin_ref_make(&b, "x", 0, "https://idp.example/", "ab", "c");
    rxa_signin_ref_make(&c, "x", 0, "https://idp.example/a", "b", "c");
    ck_assert(memcmp(a.sid, b.sid, sizeof(a.sid)));
    ck_assert(!memcmp(a.sid, c.sid, sizeof(a.sid)));
    ck_assert(!memcmp(a.signin, b.signin, sizeof(a.signin)));
    ck_assert(memcmp(a.sub, b.sub, sizeof(a.sub)));     /* another iss */
    /* iss+sid and iss+sub of the same strings differ */
    rxa_signin_ref_make(&b, "x", 0, "https://idp.example/a", "c", "c");
    ck_assert(memcmp(b.sid, b.sub, sizeof(b.sid)));
    ck_assert(b.has_sid);
    rxa_signin_ref_make(&b, "x", 5, "https://idp.example/a", NULL, "c");
    ck_assert(!b.has_sid);
    ck_assert_int_eq(b.started_at, 5);
}
END_TEST

START_TEST(revocations_of_one_kind_do_not_reach_another)
{
    rxa_revocation_t *rev = local_list();

    ck_assert_int_eq(rxa_revoke_signin(rev, "alice"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revoke_sid(rev, ISS, "bob"), APR_SUCCESS);
    /* a sign-in id "alice" is not the sub alice, a sid "bob" not sub bob */
    ck_assert(!refused(rev, "signin-1", T0, ISS, "sid-1", "alice"));
    ck_assert(!refused(rev, "signin-2", T0, ISS, "sid-1", "bob"));
    ck_assert(!refused(rev, "bob", T0, ISS, "alice", "carol"));
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    rxa_revocation_t *rev = local_list();

    ck_assert_int_eq(rxa_revoke_signin(NULL, "x"), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_signin(rev, NULL), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_signin(rev, ""), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_sid(rev, NULL, "s"), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_sid(rev, ISS, ""), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_sub(rev, ISS, NULL, T0), APR_EINVAL);
    ck_assert_int_eq(rxa_revoke_sub(rev, ISS, "alice", -1), APR_EINVAL);
    /* nothing was added */
    ck_assert(!refused(rev, "x", 0, ISS, "s", "alice"));
}
END_TEST

/* Entries live RXA_REVOCATION_TTL: past it they refuse nothing. */
START_TEST(entries_end_after_their_life)
{
    rxa_revocation_t *rev = local_list();
    rxa_signin_ref_t ref;
    apr_time_t later = NOW + apr_time_from_sec(RXA_REVOCATION_TTL + 10);

    ck_assert_int_eq(rxa_revoke_signin(rev, "signin-1"), APR_SUCCESS);
    rxa_signin_ref_make(&ref, "signin-1", T0, ISS, NULL, "alice");
    ck_assert(rxa_revocation_check(rev, &ref, NOW));
    ck_assert(!rxa_revocation_check(rev, &ref, later));
}
END_TEST

/* --- two lists over one shm cache -------------------------------------------- */

static rxa_shcache_t *make_shm(void)
{
    const rxa_shcache_spec_t *spec = NULL;
    apr_global_mutex_t *m = NULL;
    rxa_shcache_t *c = NULL;
    const char *file = apr_psprintf(rxa_test_pool,
                                    "/tmp/rxa-revocation-test-%ld.lock",
                                    (long)getpid());

    ck_assert_ptr_null(rxa_shcache_spec_parse(rxa_test_pool, "shm", &spec));
    ck_assert_int_eq(apr_global_mutex_create(&m, file, APR_LOCK_DEFAULT,
                                             rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(rxa_shcache_create(rxa_test_pool, spec, m, &c),
                     APR_SUCCESS);
    return c;
}

static rxa_revocation_t *list_on(rxa_shcache_t *c)
{
    rxa_revocation_t *rev = NULL;

    ck_assert_int_eq(rxa_revocation_create(rxa_test_pool, c, &rev),
                     APR_SUCCESS);
    return rev;
}

static char *cache_get(rxa_shcache_t *c, const char *key)
{
    char *val = NULL;
    apr_size_t len;

    return rxa_shcache_get(c, rxa_test_pool, key, &val, &len) == APR_SUCCESS
        ? val : NULL;
}

/* The cache's text for a sign-in id revoked until EXPIRES, as a list
 * writes it. */
static const char *signin_entry_until(const char *signin, apr_int64_t expires)
{
    rxa_signin_ref_t ref;
    char hex[65];
    int i;

    rxa_signin_ref_make(&ref, signin, 0, NULL, NULL, NULL);
    for (i = 0; i < 32; i++)
        apr_snprintf(hex + 2 * i, 3, "%02x", ref.signin[i]);
    return apr_psprintf(rxa_test_pool, "i %s 0 %" APR_INT64_T_FMT, hex,
                        expires);
}

static const char *signin_entry(const char *signin)
{
    return signin_entry_until(signin, apr_time_sec(apr_time_now()) + 3600);
}

static void cache_put(rxa_shcache_t *c, const char *key, const char *val)
{
    ck_assert_int_eq(rxa_shcache_set(c, key, val, strlen(val), 3600),
                     APR_SUCCESS);
}

START_TEST(another_process_learns_at_its_sync)
{
    rxa_shcache_t *c = make_shm();
    rxa_revocation_t *a = list_on(c), *b = list_on(c);

    ck_assert_int_eq(rxa_revoke_signin(a, "signin-1"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revoke_sid(a, ISS, "sid-1"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revoke_sub(a, ISS, "alice", T0), APR_SUCCESS);
    /* known where it was made at once */
    ck_assert(refused(a, "signin-1", T0, ISS, NULL, "bob"));
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    ck_assert(refused(b, "signin-1", T0, ISS, NULL, "bob"));
    ck_assert(refused(b, "signin-2", T0 + 99, ISS, "sid-1", "bob"));
    ck_assert(refused(b, "signin-3", T0, ISS, "sid-2", "alice"));
    ck_assert(!refused(b, "signin-4", T0 + 1, ISS, "sid-2", "alice"));
    ck_assert(!refused(b, "signin-5", T0, ISS, "sid-2", "bob"));
    /* and back: b's revocation reaches a */
    ck_assert_int_eq(rxa_revoke_signin(b, "signin-5"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revocation_sync(a), APR_SUCCESS);
    ck_assert(refused(a, "signin-5", T0, ISS, "sid-2", "bob"));
    /* syncing again reads nothing new and changes nothing */
    ck_assert_int_eq(rxa_revocation_sync(a), APR_SUCCESS);
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    ck_assert(refused(b, "signin-5", T0, ISS, NULL, "bob"));
    ck_assert(!refused(b, "signin-6", T0, ISS, NULL, "bob"));
}
END_TEST

/* One entry per revocation under the counter, digests only. */
START_TEST(the_cache_holds_no_clear_text)
{
    rxa_shcache_t *c = make_shm();
    rxa_revocation_t *a = list_on(c);
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *v;

    ck_assert_int_eq(rxa_revoke_signin(a, "signin-secret"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revoke_sub(a, ISS, "alice@example.com", T0),
                     APR_SUCCESS);
    ck_assert_str_eq(cache_get(c, "rxa1:rev:gen"), "2");
    v = cache_get(c, "rxa1:rev:1");
    ck_assert_ptr_nonnull(v);
    /* what it refuses, and until the end of the cookies it refuses */
    ck_assert(!strcmp(v, signin_entry_until("signin-secret",
                                            now + RXA_REVOCATION_TTL))
              || !strcmp(v, signin_entry_until("signin-secret",
                                               now + 1 + RXA_REVOCATION_TTL)));
    v = cache_get(c, "rxa1:rev:2");
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_null(strstr(v, "alice"));
    ck_assert_ptr_null(strstr(v, "idp.example"));
    ck_assert_int_eq(v[0], 'u');
    ck_assert_ptr_nonnull(strstr(v, apr_psprintf(rxa_test_pool,
                                                 " %" APR_INT64_T_FMT " ",
                                                 T0)));
}
END_TEST

/* The counter names an entry the cache lacks (its writer has counted but
 * not yet written): the sync reads past it, and takes it when it comes. */
START_TEST(a_late_entry_is_read_when_it_comes)
{
    rxa_shcache_t *c = make_shm();
    rxa_revocation_t *a = list_on(c), *b = list_on(c);
    apr_uint64_t n;

    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:rev:gen", &n), APR_SUCCESS);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(rxa_revoke_signin(a, "signin-2"), APR_SUCCESS);
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    ck_assert(refused(b, "signin-2", T0, ISS, NULL, "bob"));
    ck_assert(!refused(b, "signin-late", T0, ISS, NULL, "bob"));
    cache_put(c, "rxa1:rev:1", signin_entry("signin-late"));
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    ck_assert(refused(b, "signin-late", T0, ISS, NULL, "bob"));
}
END_TEST

/* An entry that does not read is skipped, the others are taken. */
START_TEST(a_garbled_entry_is_skipped)
{
    static const char *const bad[] = {
        "", "i", "x 00 0 0", "i 00 0 99999999999",
        "i 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg "
        "0 99999999999",
        "i 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef "
        "0 -1"
    };
    rxa_shcache_t *c = make_shm();
    rxa_revocation_t *b = list_on(c);
    apr_uint64_t n;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:rev:gen", &n), APR_SUCCESS);
        if (*bad[i])
            cache_put(c, apr_psprintf(rxa_test_pool, "rxa1:rev:%d", (int)n),
                      bad[i]);
    }
    ck_assert_int_eq(rxa_shcache_incr(c, "rxa1:rev:gen", &n), APR_SUCCESS);
    cache_put(c, apr_psprintf(rxa_test_pool, "rxa1:rev:%d", (int)n),
              signin_entry("signin-ok"));
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    ck_assert(refused(b, "signin-ok", T0, ISS, NULL, "bob"));
}
END_TEST

/* REV refuses the sign-ins PREFIX1 to PREFIX<N>. */
static void knows_all(rxa_revocation_t *rev, const char *prefix, int n)
{
    int i;

    for (i = 1; i <= n; i++)
        ck_assert_msg(refused(rev, apr_psprintf(rxa_test_pool, "%s%d", prefix,
                                                i), T0, ISS, NULL, "bob"),
                      "revocation %s%d unknown", prefix, i);
}

/* B has read OLD revocations; then the cache restarts empty and counts
 * NEW ones before B's next sync, which reads them all again from the
 * start and keeps what it knew; A and B write the old ones back, each
 * once, for a list that starts later. */
static void cache_restarts(int old, int new)
{
    rxa_shcache_t *c = make_shm();
    rxa_revocation_t *a = list_on(c), *b = list_on(c), *late;
    int i;

    for (i = 1; i <= old; i++)
        ck_assert_int_eq(rxa_revoke_signin(a, apr_psprintf(rxa_test_pool,
                                                           "signin-%d", i)),
                         APR_SUCCESS);
    ck_assert_int_eq(rxa_revocation_sync(a), APR_SUCCESS);
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    cache_put(c, "rxa1:rev:gen", apr_itoa(rxa_test_pool, new));
    for (i = 1; i <= new; i++)
        cache_put(c, apr_psprintf(rxa_test_pool, "rxa1:rev:%d", i),
                  signin_entry(apr_psprintf(rxa_test_pool, "signin-new-%d",
                                            i)));
    ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    knows_all(b, "signin-new-", new);
    knows_all(b, "signin-", old);
    /* A and B write what they knew back into the cache, once between
     * them, so a process started now (a new child) learns it too */
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(rxa_revocation_sync(a), APR_SUCCESS);
        ck_assert_int_eq(rxa_revocation_sync(b), APR_SUCCESS);
    }
    ck_assert_str_eq(cache_get(c, "rxa1:rev:gen"),
                     apr_itoa(rxa_test_pool, new + old));
    late = list_on(c);
    ck_assert_int_eq(rxa_revocation_sync(late), APR_SUCCESS);
    knows_all(late, "signin-", old);
    knows_all(late, "signin-new-", new);
}

/* The counter went back, below what B had read. */
START_TEST(a_lost_counter_is_read_again_from_the_start)
{
    cache_restarts(3, 1);
}
END_TEST

/* The counter passed what B had read: the newest entry B read now holds
 * another. */
START_TEST(a_lost_cache_is_noticed_by_the_entry_read_last)
{
    cache_restarts(1, 2);
}
END_TEST

RXA_TEST_SUITE("revocation",
               an_empty_list_refuses_nothing,
               a_revoked_signin_id,
               a_revoked_issuer_session,
               a_revoked_subject_before_a_time,
               digests_tell_fields_and_kinds_apart,
               revocations_of_one_kind_do_not_reach_another,
               bad_arguments_are_refused,
               entries_end_after_their_life,
               another_process_learns_at_its_sync,
               the_cache_holds_no_clear_text,
               a_late_entry_is_read_when_it_comes,
               a_garbled_entry_is_skipped,
               a_lost_counter_is_read_again_from_the_start,
               a_lost_cache_is_noticed_by_the_entry_read_last)
