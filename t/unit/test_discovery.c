/* Unit tests: discovery documents (SPEC section 2), including every real
 * provider's document in ../shared/testdata/wellknown/. */
#include <malloc.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "rxa_test.h"
#include "rxa_discovery.h"
#include "rxa_json.h"

static const char *const real_providers[] = {
    "apple", "battle-net", "discord", "docker", "dropbox", "entra-common",
    "entra-organizations", "facebook", "gitlab", "google", "klarna", "lego",
    "mojeid", "paypal", "slack", "spotify", "twitch", "verimi", "yahoo", NULL
};

static int has_alg(const rxa_metadata_t *md, const char *alg)
{
    int i;

    for (i = 0; i < md->signing_algs->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(md->signing_algs, i, const char *), alg))
            return 1;
    return 0;
}

/* The issuer an administrator would configure for a published one. */
static const char *configured_for(apr_pool_t *p, const char *name,
                                  const char *published)
{
    if (!strcmp(name, "entra-common"))
        return "https://login.microsoftonline.com/common/v2.0";
    if (!strcmp(name, "entra-organizations"))
        return "https://login.microsoftonline.com/organizations/v2.0";
    return published;
}

static rxa_metadata_t *parse_ok(const char *configured, const char *doc)
{
    rxa_metadata_t *md = NULL;
    const char *err = NULL;
    apr_status_t rv = rxa_metadata_parse(rxa_test_pool, configured, doc,
                                         strlen(doc), &md, &err);

    ck_assert_msg(rv == APR_SUCCESS, "parse failed: %s", err);
    return md;
}

static const char *parse_err(const char *configured, const char *doc)
{
    rxa_metadata_t *md = NULL;
    const char *err = NULL;

    ck_assert_int_ne(rxa_metadata_parse(rxa_test_pool, configured, doc,
                                        strlen(doc), &md, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(!strncmp(err, "RXA0", 4), "untagged: %s", err);
    return err;
}

#define DOC(extra) \
    "{\"issuer\":\"https://idp.example.com\"," \
    "\"authorization_endpoint\":\"https://idp.example.com/auth\"," \
    "\"token_endpoint\":\"https://idp.example.com/token\"," \
    "\"jwks_uri\":\"https://idp.example.com/jwks\"" extra "}"

START_TEST(discovery_url)
{
    ck_assert_str_eq(rxa_discovery_url(rxa_test_pool, "https://a.example/"),
                     "https://a.example/.well-known/openid-configuration");
    ck_assert_str_eq(rxa_discovery_url(rxa_test_pool, "https://a.example/realms/x"),
                     "https://a.example/realms/x/.well-known/openid-configuration");
}
END_TEST

START_TEST(issuer_matching)
{
    ck_assert(rxa_issuer_matches("https://a.example", "https://a.example"));
    ck_assert(rxa_issuer_matches("https://a.example", "https://a.example/"));
    ck_assert(rxa_issuer_matches("https://a.example/", "https://a.example"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://a.example//"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://b.example"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://a.example.evil"));
    ck_assert(!rxa_issuer_matches("https://a.example/x", "https://a.example"));
    ck_assert(!rxa_issuer_matches("https://A.example", "https://a.example"));
    ck_assert(rxa_issuer_matches("https://login.microsoftonline.com/common/v2.0",
                                 "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches("https://login.microsoftonline.com//v2.0",
                                  "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches("https://login.microsoftonline.com/a/b/v2.0",
                                  "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches(NULL, "https://a.example"));
}
END_TEST

START_TEST(minimal_document)
{
    rxa_metadata_t *md = parse_ok("https://idp.example.com", DOC(""));

    ck_assert_str_eq(md->token_endpoint, "https://idp.example.com/token");
    ck_assert_ptr_null(md->userinfo_endpoint);
    ck_assert_ptr_null(md->end_session_endpoint);
    /* no list: RS256, the OpenID default */
    ck_assert_int_eq(md->signing_algs->nelts, 1);
    ck_assert(has_alg(md, "RS256"));
    ck_assert(!md->token_auth_post);
    ck_assert(!md->pkce_listed);
}
END_TEST

START_TEST(refused_algorithms_ignored)
{
    rxa_metadata_t *md = parse_ok("https://idp.example.com",
        DOC(",\"id_token_signing_alg_values_supported\":"
            "[\"none\",\"HS256\",\"HS512\",\"ES256\",\"EdDSA\",\"XYZ\",7]"));

    ck_assert_int_eq(md->signing_algs->nelts, 2);
    ck_assert(has_alg(md, "ES256") && has_alg(md, "EdDSA"));
    ck_assert(!has_alg(md, "none") && !has_alg(md, "HS256"));
    ck_assert_ptr_nonnull(strstr(parse_err("https://idp.example.com",
        DOC(",\"id_token_signing_alg_values_supported\":[\"none\",\"HS256\"]")),
        "signing algorithm"));
}
END_TEST

START_TEST(token_auth_method)
{
    ck_assert(parse_ok("https://idp.example.com",
        DOC(",\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]"))
        ->token_auth_post);
    ck_assert(!parse_ok("https://idp.example.com",
        DOC(",\"token_endpoint_auth_methods_supported\":"
            "[\"client_secret_post\",\"client_secret_basic\"]"))->token_auth_post);
}
END_TEST

START_TEST(bad_documents)
{
    const char *c = "https://idp.example.com";

    parse_err(c, "");
    parse_err(c, "[]");
    parse_err(c, "{\"issuer\":");
    parse_err(c, "{\"authorization_endpoint\":\"https://idp.example.com/a\"}");
    ck_assert_ptr_nonnull(strstr(parse_err("https://other.example.com", DOC("")),
                                 "not the configured"));
    ck_assert_ptr_nonnull(strstr(parse_err(c,
        "{\"issuer\":\"https://idp.example.com\","
        "\"authorization_endpoint\":\"http://idp.example.com/auth\","
        "\"token_endpoint\":\"https://idp.example.com/token\","
        "\"jwks_uri\":\"https://idp.example.com/jwks\"}"), "https"));
    parse_err(c, DOC(",\"userinfo_endpoint\":\"javascript:alert(1)\""));
    parse_err(c, DOC(",\"end_session_endpoint\":42"));
    /* duplicate keys are refused: which one would win is parser-dependent */
    parse_err(c, DOC(",\"issuer\":\"https://idp.example.com\""));
    parse_err(c, "{\"issuer\":\"https://idp.example.com\",\"token_endpoint\":"
                 "\"https://idp.example.com/t\",\"jwks_uri\":\"https://idp.example.com/k\"}");
    parse_err(c, "{\"issuer\":\"https://idp.example.com\",\"authorization_endpoint\":"
                 "\"https://idp.example.com/a\",\"token_endpoint\":\"https://idp.example.com/t\"}");
    parse_err("http://127.0.0.1:9", "{\"issuer\":\"http://127.0.0.1:9\"}");
}
END_TEST

START_TEST(loopback_http_allowed)
{
    rxa_metadata_t *md = parse_ok("http://127.0.0.1:4000",
        "{\"issuer\":\"http://127.0.0.1:4000\","
        "\"authorization_endpoint\":\"http://127.0.0.1:4000/auth\","
        "\"token_endpoint\":\"http://127.0.0.1:4000/token\","
        "\"jwks_uri\":\"http://127.0.0.1:4000/jwks\","
        "\"code_challenge_methods_supported\":[\"S256\"]}");

    ck_assert(md->pkce_listed);
}
END_TEST

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
    ck_assert(!iss->queued);

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

/* SPEC 2: the key set is fetched again after an hour and the metadata
 * after a day; with the fetcher, in its thread, while callers go on with
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

    apr_pool_create(&conf, rxa_test_pool);
    apr_pool_create(&request, rxa_test_pool);
    iss = rxa_issuer_create(conf, m.issuer, NULL, 2000);
    ck_assert_int_eq(rxa_issuers_discover(conf, &iss, 1, now), 0);
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

START_TEST(size_and_depth_limits)
{
    apr_pool_t *p = rxa_test_pool;
    apr_size_t big = RXA_DISCOVERY_MAX_BYTES + 10;
    char *huge = apr_palloc(p, big + 1), *deep;
    const char *err = NULL;
    rxa_metadata_t *md;
    int i;

    memset(huge, ' ', big);
    memcpy(huge, "{}", 2);
    huge[big] = '\0';
    ck_assert_int_ne(rxa_metadata_parse(p, "https://a", huge, big, &md, &err),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err, "limit"));

    deep = apr_palloc(p, 2 * (RXA_JSON_MAX_DEPTH + 1) + 1);
    for (i = 0; i <= RXA_JSON_MAX_DEPTH; i++) {
        deep[i] = '[';
        deep[2 * (RXA_JSON_MAX_DEPTH + 1) - 1 - i] = ']';
    }
    deep[2 * (RXA_JSON_MAX_DEPTH + 1)] = '\0';
    ck_assert_ptr_null(rxa_json_parse(p, deep, strlen(deep), 1000, &err));
    ck_assert_ptr_nonnull(strstr(err, "nesting"));
    /* brackets inside strings do not count */
    ck_assert_ptr_nonnull(rxa_json_parse(p, "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
                                         46, 1000, &err));
}
END_TEST

/* Every real provider's published document loads (SPEC 2). */
START_TEST(real_provider_documents)
{
    apr_pool_t *p = rxa_test_pool;
    const char *name = real_providers[_i];
    const char *path = rxa_testdata(p, apr_pstrcat(p, "wellknown/", name,
                                                   ".discovery.json", NULL));
    apr_size_t len;
    char *doc;
    json_t *j;
    rxa_metadata_t *md;
    const char *err = NULL, *published;

    if (!path) {
        fprintf(stderr, "# SKIP %s: ../shared/testdata/wellknown absent\n", name);
        return;
    }
    doc = rxa_test_slurp(p, path, &len);
    ck_assert_ptr_nonnull(doc);
    j = rxa_json_parse_object(p, doc, len, RXA_DISCOVERY_MAX_BYTES, &err);
    ck_assert_ptr_nonnull(j);
    published = rxa_json_get_str(j, "issuer");
    ck_assert_msg(rxa_metadata_parse(p, configured_for(p, name, published),
                                     doc, len, &md, &err) == APR_SUCCESS,
                  "%s: %s", name, err);
    ck_assert_str_eq(md->issuer, published);
    ck_assert_int_ge(md->signing_algs->nelts, 1);
    ck_assert(!has_alg(md, "none") && !has_alg(md, "HS256"));
    ck_assert_int_eq(md->issuer_is_template, !strncmp(name, "entra", 5));
    /* a trailing slash in the configured issuer changes nothing */
    if (!md->issuer_is_template)
        ck_assert_int_eq(rxa_metadata_parse(p, apr_pstrcat(p, rxa_json_get_str(j,
                         "issuer"), "/", NULL), doc, len, &md, &err) == APR_SUCCESS
                         || published[strlen(published) - 1] == '/', 1);
    if (!strcmp(name, "apple"))
        ck_assert(md->token_auth_post);
    if (!strcmp(name, "facebook"))
        ck_assert_ptr_null(md->token_endpoint);
    else
        ck_assert_ptr_nonnull(md->token_endpoint);
    if (!strcmp(name, "google"))
        ck_assert(md->pkce_listed && !md->token_auth_post);
    if (!strcmp(name, "twitch") || !strcmp(name, "apple"))
        ck_assert(!md->pkce_listed);
    if (!strcmp(name, "docker") || !strcmp(name, "mojeid"))
        ck_assert_int_eq(published[strlen(published) - 1], '/');
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("discovery");
    TCase *tc = rxa_tcase("discovery");
    int n = 0;

    while (real_providers[n])
        n++;
    tcase_add_test(tc, discovery_url);
    tcase_add_test(tc, issuer_matching);
    tcase_add_test(tc, minimal_document);
    tcase_add_test(tc, refused_algorithms_ignored);
    tcase_add_test(tc, token_auth_method);
    tcase_add_test(tc, bad_documents);
    tcase_add_test(tc, loopback_http_allowed);
    tcase_add_test(tc, backoff_counts_from_the_attempts_end);
    tcase_add_test(tc, background_fetcher_keeps_callers_from_waiting);
    tcase_add_test(tc, periodic_refresh_in_the_fetcher);
    tcase_add_test(tc, refreshes_free_what_they_replace);
    tcase_add_test(tc, held_snapshot_outlives_its_replacement);
    tcase_add_test(tc, last_error_is_bounded);
    tcase_add_test(tc, size_and_depth_limits);
    tcase_add_loop_test(tc, real_provider_documents, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
