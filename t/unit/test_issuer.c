/* Unit tests: issuers (discovery at start-up, retries with back-off,
 * periodic refreshes, the snapshots' memory) and the background fetcher. */
#include <malloc.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "rxa_test.h"
#include "rxa_fetcher.h"
#include "rxa_issuer.h"

/* An issuer at a port that accepts connections and never answers. */
static rxa_issuer_t *silent_issuer(long timeout_ms)
{
    apr_socket_t *sock;
    apr_sockaddr_t *sa;

    ck_assert_int_eq(apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0,
                                           rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_create(&sock, APR_INET, SOCK_STREAM,
                                       APR_PROTO_TCP, rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_bind(sock, sa), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_listen(sock, 8), APR_SUCCESS);  /* never accepted */
    ck_assert_int_eq(apr_socket_addr_get(&sa, APR_LOCAL, sock), APR_SUCCESS);
    return rxa_issuer_create(rxa_test_pool,
                             apr_psprintf(rxa_test_pool, "http://127.0.0.1:%d",
                                          (int)sa->port), NULL, timeout_ms);
}

/* A provider that accepts the connection and never answers: the back-off
 * counts from the end of the attempt, so the next try is not due the moment
 * the timeout has passed (a request would then wait the timeout out too). */
START_TEST(backoff_counts_from_the_attempts_end)
{
    const long timeout_ms = 300;
    apr_time_t now = apr_time_now();
    rxa_issuer_t *iss = silent_issuer(timeout_ms);

    ck_assert_int_eq(rxa_issuers_discover(rxa_test_pool, &iss, 1, now), 1);
    ck_assert_ptr_null(iss->snap);
    ck_assert_ptr_nonnull(strstr(iss->last_err, "RXA02108"));
    ck_assert(iss->next_try >= now + apr_time_from_msec(timeout_ms)
              + RXA_BACKOFF_MIN);
    ck_assert(iss->backoff == 2 * RXA_BACKOFF_MIN);
}
END_TEST

/* With the background fetcher, no caller waits for a provider: the one
 * that finds the retry due asks the fetcher and returns at once, and
 * stopping the fetcher cancels the fetch in flight. */
START_TEST(background_fetcher_keeps_callers_from_waiting)
{
    rxa_issuer_t *iss = silent_issuer(20000);
    apr_time_t t0, deadline;
    apr_pool_t *fp;

    apr_pool_create(&fp, rxa_test_pool);
    ck_assert_int_eq(rxa_issuers_fetch_in_background(fp), APR_SUCCESS);
    ck_assert_int_eq(rxa_issuers_fetch_in_background(fp), APR_EEXIST);

    t0 = apr_time_now();
    ck_assert_ptr_null(rxa_issuer_get(iss, t0, NULL));
    ck_assert_ptr_null(rxa_issuer_get(iss, t0, NULL));   /* asked once */
    ck_assert(apr_time_now() - t0 < apr_time_from_msec(500));

    /* the fetcher takes the issuer's lock for its fetch */
    deadline = apr_time_now() + apr_time_from_sec(5);
    while (apr_thread_mutex_trylock(iss->lock) == APR_SUCCESS) {
        apr_thread_mutex_unlock(iss->lock);
        ck_assert(apr_time_now() < deadline);
        apr_sleep(apr_time_from_msec(5));
    }
    ck_assert_ptr_null(rxa_issuer_get(iss, apr_time_now(), NULL));  /* busy: NULL */

    t0 = apr_time_now();
    apr_pool_destroy(fp);
    ck_assert(apr_time_now() - t0 < apr_time_from_msec(1000));
    ck_assert_ptr_nonnull(strstr(iss->last_err, "RXA01106"));
    ck_assert_ptr_null(iss->snap);
    ck_assert(!iss->job.queued);

    /* without it, the caller fetches (and may start another fetcher) */
    iss->next_try = 0;
    iss->timeout_ms = 200;
    t0 = apr_time_now();
    ck_assert_ptr_null(rxa_issuer_get(iss, t0, NULL));
    ck_assert(apr_time_now() - t0 >= apr_time_from_msec(150));
    ck_assert_ptr_nonnull(strstr(iss->last_err, "RXA02108"));
    apr_pool_create(&fp, rxa_test_pool);
    ck_assert_int_eq(rxa_issuers_fetch_in_background(fp), APR_SUCCESS);
    apr_pool_destroy(fp);
}
END_TEST

/* A provider in a thread on a loopback port: it answers its discovery
 * document and an (empty) key set, and counts each. */
typedef struct mini_idp {
    apr_socket_t *sock;
    const char *issuer;
    volatile apr_uint32_t discovery, jwks;
    volatile apr_uint32_t discovery_fails;  /* set: it answers 404 */
} mini_idp_t;

static void *APR_THREAD_FUNC mini_idp_serve(apr_thread_t *thread, void *data)
{
    mini_idp_t *m = data;
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    for (;;) {
        apr_socket_t *c;
        apr_size_t len = 4095;
        char *req = apr_palloc(p, len + 1);
        const char *body = NULL, *answer;

        if (apr_socket_accept(&c, m->sock, p) != APR_SUCCESS)
            break;
        if (apr_socket_recv(c, req, &len) == APR_SUCCESS) {
            req[len] = '\0';
            if (!strncmp(req, "GET /.well-known/openid-configuration ", 38)
                && !apr_atomic_read32(&m->discovery_fails)) {
                apr_atomic_inc32(&m->discovery);
                body = apr_psprintf(p, "{\"issuer\":\"%s\",\"authorization_"
                                    "endpoint\":\"%s/auth\",\"token_endpoint"
                                    "\":\"%s/token\",\"jwks_uri\":\"%s/jwks\"}",
                                    m->issuer, m->issuer, m->issuer, m->issuer);
            }
            else if (!strncmp(req, "GET /jwks ", 10)) {
                apr_atomic_inc32(&m->jwks);
                body = "{\"keys\":[]}";
            }
            answer = body
                ? apr_psprintf(p, "HTTP/1.1 200 OK\r\nContent-Type: "
                               "application/json\r\nContent-Length: %d\r\n"
                               "Connection: close\r\n\r\n%s",
                               (int)strlen(body), body)
                : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n";
            len = strlen(answer);
            apr_socket_send(c, answer, &len);
        }
        apr_socket_close(c);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    (void)thread;
    return NULL;   /* not apr_thread_exit: ASan then unwinds no frame */
}

static apr_thread_t *mini_idp_start(mini_idp_t *m)
{
    apr_sockaddr_t *sa;
    apr_thread_t *t;

    memset(m, 0, sizeof(*m));
    ck_assert_int_eq(apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0,
                                           rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_create(&m->sock, APR_INET, SOCK_STREAM,
                                       APR_PROTO_TCP, rxa_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_bind(m->sock, sa), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_listen(m->sock, 8), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_addr_get(&sa, APR_LOCAL, m->sock), APR_SUCCESS);
    m->issuer = apr_psprintf(rxa_test_pool, "http://127.0.0.1:%d", (int)sa->port);
    ck_assert_int_eq(apr_thread_create(&t, NULL, mini_idp_serve, m,
                                       rxa_test_pool), APR_SUCCESS);
    return t;
}

/* Wait (at most 5 s) until ISS publishes a snapshot other than OLD (which
 * the caller holds); the new one is held by rxa_test_pool. */
static rxa_issuer_snap_t *wait_for_new_snap(rxa_issuer_t *iss,
                                            const rxa_issuer_snap_t *old)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(5);

    while (__atomic_load_n(&iss->snap, __ATOMIC_ACQUIRE) == old) {
        ck_assert(apr_time_now() < deadline);
        apr_sleep(apr_time_from_msec(5));
    }
    /* at time 0 nothing is due: this only takes the current one */
    return rxa_issuer_get(iss, 0, rxa_test_pool);
}

/* The key set is fetched again after an hour and the metadata after a
 * day; with the fetcher, in its thread, while callers go on with
 * the snapshot they have. */
START_TEST(periodic_refresh_in_the_fetcher)
{
    mini_idp_t m;
    apr_thread_t *server = mini_idp_start(&m);
    apr_time_t now = apr_time_now();
    rxa_issuer_t *iss = rxa_issuer_create(rxa_test_pool, m.issuer, NULL, 2000);
    rxa_issuer_snap_t *snap, *fresh;
    apr_status_t rv;
    apr_pool_t *fp;

    ck_assert_int_eq(rxa_issuers_discover(rxa_test_pool, &iss, 1, now), 0);
    snap = rxa_issuer_get(iss, now, rxa_test_pool);  /* held: compared below */
    ck_assert_ptr_nonnull(snap);
    ck_assert_int_eq(apr_atomic_read32(&m.discovery), 1);
    ck_assert_int_eq(apr_atomic_read32(&m.jwks), 1);
    apr_pool_create(&fp, rxa_test_pool);
    ck_assert_int_eq(rxa_issuers_fetch_in_background(fp), APR_SUCCESS);

    /* not due yet: nothing fetched */
    ck_assert_ptr_eq(rxa_issuer_get(iss, now + RXA_JWKS_MAX_AGE / 2, NULL), snap);

    /* an hour old: the key set alone, fetched by the fetcher */
    snap->keys_fetched -= RXA_JWKS_MAX_AGE;
    ck_assert_ptr_eq(rxa_issuer_get(iss, apr_time_now(), NULL), snap);
    fresh = wait_for_new_snap(iss, snap);
    ck_assert(fresh->keys_fetched > snap->keys_fetched);
    ck_assert_ptr_eq(fresh->md, snap->md);
    ck_assert_int_eq(apr_atomic_read32(&m.discovery), 1);
    ck_assert_int_eq(apr_atomic_read32(&m.jwks), 2);

    /* a day old: the metadata and the key set */
    snap = fresh;
    snap->fetched -= RXA_METADATA_MAX_AGE;
    ck_assert_ptr_eq(rxa_issuer_get(iss, apr_time_now(), NULL), snap);
    fresh = wait_for_new_snap(iss, snap);
    ck_assert(fresh->fetched > snap->fetched);
    ck_assert_int_eq(apr_atomic_read32(&m.discovery), 2);
    ck_assert_int_eq(apr_atomic_read32(&m.jwks), 3);

    apr_pool_destroy(fp);
    apr_socket_shutdown(m.sock, APR_SHUTDOWN_READWRITE);
    apr_thread_join(&rv, server);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* This process's resident memory, in kB. */
static long resident_kb(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* What malloc has handed out and not had back, in kB. */
static long malloced_kb(void)
{
    struct mallinfo2 mi = mallinfo2();

    return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

/* A child process lives for days: the hourly key sets, the daily
 * metadata, the unknown-kid refetches and the failed attempts must not
 * pile up in memory that lives as long as the configuration. Each
 * replaced snapshot is freed once no request holds it. */
START_TEST(refreshes_free_what_they_replace)
{
    const int warm_up = 300, rounds = 5000;
    mini_idp_t m;
    apr_thread_t *server = mini_idp_start(&m);
    apr_time_t now = apr_time_now();
    rxa_issuer_t *iss = rxa_issuer_create(rxa_test_pool, m.issuer, NULL, 2000);
    apr_uint32_t alive0 = rxa_issuer_snaps_alive(), alive1 = 0;
    long rss0 = 0, heap0 = 0, rss1, heap1;
    apr_pool_t *request;
    apr_status_t rv;
    int i;

    ck_assert_int_eq(rxa_issuers_discover(rxa_test_pool, &iss, 1, now), 0);
    apr_pool_create(&request, rxa_test_pool);
    for (i = 0; i < warm_up + rounds; i++) {
        rxa_issuer_snap_t *snap;

        if (i == warm_up) {
            rss0 = resident_kb();
            heap0 = malloced_kb();
            alive1 = rxa_issuer_snaps_alive();
        }
        now += RXA_JWKS_MIN_INTERVAL;
        if (i % 10 == 0) {
            /* the daily metadata refresh; every other one fails */
            apr_atomic_set32(&m.discovery_fails, i % 20 == 0);
            now += RXA_METADATA_MAX_AGE;
            snap = rxa_issuer_get(iss, now, request);
            ck_assert_int_eq(rxa_issuer_last_error(iss, request) != NULL,
                             i % 20 == 0);
        }
        else                            /* the hourly or unknown-kid one */
            snap = rxa_issuer_refresh_keys(iss, now, request);
        ck_assert_ptr_nonnull(snap);
        ck_assert(snap->keys_fetched == now || i % 20 == 0);
        apr_pool_clear(request);
    }
    rss1 = resident_kb();
    heap1 = malloced_kb();
    fprintf(stderr, "# %d refreshes: snapshots alive %u -> %u, resident %ld "
            "-> %ld kB, malloc in use %ld -> %ld kB\n", rounds, alive1,
            rxa_issuer_snaps_alive(), rss0, rss1, heap0, heap1);
#ifndef UNDER_ASAN      /* its quarantine keeps what is freed for a while */
    ck_assert_msg(rss1 - rss0 < 1024, "resident memory grew by %ld kB",
                  rss1 - rss0);
    ck_assert_msg(heap1 - heap0 < 256, "malloc in use grew by %ld kB",
                  heap1 - heap0);
#endif
    ck_assert_uint_eq(alive1, alive0 + 1);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 1);
    apr_socket_shutdown(m.sock, APR_SHUTDOWN_READWRITE);
    apr_thread_join(&rv, server);
}
END_TEST

/* An issuer of M's, discovered at NOW, in a configuration pool of its own
 * (*CONF), with a request pool (*REQUEST) to hold its snapshots. */
static rxa_issuer_t *mini_idp_issuer(mini_idp_t *m, apr_time_t now,
                                     apr_pool_t **conf, apr_pool_t **request)
{
    rxa_issuer_t *iss;

    apr_pool_create(conf, rxa_test_pool);
    apr_pool_create(request, rxa_test_pool);
    iss = rxa_issuer_create(*conf, m->issuer, NULL, 2000);
    ck_assert_int_eq(rxa_issuers_discover(*conf, &iss, 1, now), 0);
    return iss;
}

/* A request keeps the snapshot it was given while a refresh replaces it,
 * and lets it go when its pool is cleared; the configuration's end lets
 * go of the current one. */
START_TEST(held_snapshot_outlives_its_replacement)
{
    mini_idp_t m;
    apr_thread_t *server = mini_idp_start(&m);
    apr_time_t now = apr_time_now();
    apr_uint32_t alive0 = rxa_issuer_snaps_alive();
    apr_pool_t *conf, *request;
    rxa_issuer_t *iss;
    rxa_issuer_snap_t *held, *fresh;
    apr_uint64_t serial;
    apr_status_t rv;

    iss = mini_idp_issuer(&m, now, &conf, &request);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 1);
    held = rxa_issuer_get(iss, now, request);
    ck_assert_ptr_nonnull(held);
    serial = held->serial;

    /* the key set fetched again: a new snapshot sharing the metadata */
    fresh = rxa_issuer_refresh_keys(iss, now + RXA_JWKS_MIN_INTERVAL, NULL);
    ck_assert_ptr_nonnull(fresh);
    ck_assert(fresh->serial > serial);
    ck_assert_ptr_eq(fresh->md, held->md);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 2);

    /* the metadata fetched again: the held one keeps its own */
    fresh = rxa_issuer_get(iss, now + RXA_METADATA_MAX_AGE, NULL);
    ck_assert_ptr_nonnull(fresh);
    ck_assert_ptr_ne(fresh->md, held->md);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 2);
    ck_assert_uint_eq(apr_atomic_read32(&m.discovery), 2);

    /* everything the held snapshot points to is still there */
    ck_assert(held->serial == serial);
    ck_assert_str_eq(held->md->issuer, m.issuer);
    ck_assert_str_eq(held->md->jwks_uri,
                     apr_pstrcat(rxa_test_pool, m.issuer, "/jwks", NULL));
    ck_assert_int_eq(held->keys->keys->nelts, 0);
    ck_assert(held->fetched == now);

    apr_pool_clear(request);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 1);
    /* a holder may outlive the configuration */
    ck_assert_ptr_eq(rxa_issuer_get(iss, now, request), fresh);
    apr_pool_destroy(conf);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0 + 1);
    ck_assert_str_eq(fresh->md->issuer, m.issuer);
    apr_pool_destroy(request);
    ck_assert_uint_eq(rxa_issuer_snaps_alive(), alive0);

    apr_socket_shutdown(m.sock, APR_SHUTDOWN_READWRITE);
    apr_thread_join(&rv, server);
}
END_TEST

/* rxa_issuer_serial: the current snapshot's serial without a reference
 * while it is not due; when due, the same refresh rxa_issuer_get makes. */
START_TEST(serial_follows_the_current_snapshot)
{
    mini_idp_t m;
    apr_thread_t *server = mini_idp_start(&m);
    apr_time_t now = apr_time_now();
    apr_pool_t *conf, *request;
    rxa_issuer_t *iss;
    rxa_issuer_snap_t *snap, *fresh;
    apr_status_t rv;

    iss = mini_idp_issuer(&m, now, &conf, &request);
    snap = rxa_issuer_get(iss, now, request);
    ck_assert_ptr_nonnull(snap);
    ck_assert(rxa_issuer_serial(iss, now, request) == snap->serial);
    ck_assert(rxa_issuer_serial(iss, now + RXA_JWKS_MAX_AGE / 2, request)
              == snap->serial);
    ck_assert_uint_eq(apr_atomic_read32(&m.discovery), 1);

    /* a new key set: a new serial */
    fresh = rxa_issuer_refresh_keys(iss, now + RXA_JWKS_MIN_INTERVAL, request);
    ck_assert(fresh->serial > snap->serial);
    ck_assert(rxa_issuer_serial(iss, now, request) == fresh->serial);

    /* due for the daily refresh: fetched, as by rxa_issuer_get */
    ck_assert(rxa_issuer_serial(iss, now + RXA_METADATA_MAX_AGE, request)
              > fresh->serial);
    ck_assert_uint_eq(apr_atomic_read32(&m.discovery), 2);

    /* gone with the configuration */
    apr_pool_destroy(conf);
    apr_pool_destroy(request);
    apr_socket_shutdown(m.sock, APR_SHUTDOWN_READWRITE);
    apr_thread_join(&rv, server);
}
END_TEST

/* The last error is a copy, and a long one is cut, not grown into. */
START_TEST(last_error_is_bounded)
{
    rxa_issuer_t *iss = rxa_issuer_create(rxa_test_pool, "https://a.example",
                                          NULL, 1000);
    char *long_url = apr_palloc(rxa_test_pool, 3 * RXA_ISSUER_ERR_MAX);
    const char *err;

    ck_assert_ptr_null(rxa_issuer_last_error(iss, rxa_test_pool));
    memset(long_url, 'a', 3 * RXA_ISSUER_ERR_MAX - 1);
    long_url[3 * RXA_ISSUER_ERR_MAX - 1] = '\0';
    iss->url = apr_pstrcat(rxa_test_pool, "http://", long_url, NULL);
    ck_assert_int_eq(rxa_issuers_discover(rxa_test_pool, &iss, 1,
                                          apr_time_now()), 1);
    err = rxa_issuer_last_error(iss, rxa_test_pool);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(strncmp(err, "RXA02108", 8), 0);
    ck_assert_uint_eq(strlen(err), RXA_ISSUER_ERR_MAX - 1);
    ck_assert_ptr_ne(err, iss->last_err);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("issuer");
    TCase *tc = rxa_tcase("issuer");

    tcase_add_test(tc, backoff_counts_from_the_attempts_end);
    tcase_add_test(tc, background_fetcher_keeps_callers_from_waiting);
    tcase_add_test(tc, periodic_refresh_in_the_fetcher);
    tcase_add_test(tc, refreshes_free_what_they_replace);
    tcase_add_test(tc, held_snapshot_outlives_its_replacement);
    tcase_add_test(tc, serial_follows_the_current_snapshot);
    tcase_add_test(tc, last_error_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
