/* Sealed cookie values: round trip, tampering, binding, rotation, limits. */
#include <apr_hash.h>
#include <apr_thread_proc.h>

#include "rxa_test.h"
#include "rxa_b64url.h"
#include "rxa_log.h"
#include "rxa_seal.h"

#define SECRET_OLD "old-secret-0123456789-abcdefghijklmnopqrstuv"
#define SECRET_NEW "new-secret-0123456789-abcdefghijklmnopqrstuv"
#define COOKIE     "__Host-reflex_demo_id_token"

static rxa_seal_keyring_t *make_ring(apr_pool_t *p, const char *s1,
                                     const char *s2)
{
    const char *secrets[2];
    rxa_seal_keyring_t *ring = NULL;
    const char *err = NULL;
    apr_status_t rv;

    secrets[0] = s1;
    secrets[1] = s2;
    rv = rxa_seal_keyring_create(p, secrets, s2 ? 2 : 1, &ring, &err);
    ck_assert_msg(rv == APR_SUCCESS, "keyring: %s", err ? err : "?");
    ck_assert_ptr_nonnull(ring);
    return ring;
}

static char *seal_str(apr_pool_t *p, const rxa_seal_keyring_t *ring,
                      const char *name, const char *binding, const char *s)
{
    char *sealed = NULL;

    ck_assert_int_eq(rxa_seal_bound(p, ring, name, binding,
                                    (const unsigned char *)s, strlen(s),
                                    &sealed), APR_SUCCESS);
    return sealed;
}

static int opens(apr_pool_t *p, const rxa_seal_keyring_t *ring,
                 const char *name, const char *binding, const char *sealed,
                 apr_size_t len)
{
    unsigned char *plain = NULL;
    apr_size_t plen = 0;
    apr_status_t rv;

    rv = rxa_unseal_bound(p, ring, name, binding, sealed, len, &plain, &plen);
    if (rv != APR_SUCCESS) {
        /* Any failure is the one generic answer. */
        ck_assert_int_eq(rv, APR_EINVAL);
        return 0;
    }
    return 1;
}

static int b64url_alphabet_only(const char *s)
{
    return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789-_")] == '\0';
}

START_TEST(round_trip)
{
    static const apr_size_t sizes[] = { 0, 1, 2, 3, 4, 15, 16, 17, 100, 1024,
                                        4000, RXA_SEAL_MAX_PLAINTEXT };
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    unsigned char *data = apr_palloc(rxa_test_pool, RXA_SEAL_MAX_PLAINTEXT);
    apr_size_t i, k;

    for (i = 0; i < RXA_SEAL_MAX_PLAINTEXT; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *sealed = NULL;
        unsigned char *plain = NULL;
        apr_size_t plen = 99;

        ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, COOKIE, data, sizes[k],
                                  &sealed), APR_SUCCESS);
        ck_assert_uint_eq(strlen(sealed), RXA_SEAL_SEALED_LEN(sizes[k]));
        ck_assert(b64url_alphabet_only(sealed));
        ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring, COOKIE, sealed,
                                    strlen(sealed), &plain, &plen),
                         APR_SUCCESS);
        ck_assert_uint_eq(plen, sizes[k]);
        ck_assert(memcmp(plain, data, plen) == 0);
        ck_assert_int_eq(plain[plen], '\0');
    }
}
END_TEST

START_TEST(empty_plaintext)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    unsigned char *plain = NULL;
    apr_size_t plen = 99;
    char *sealed = NULL;

    /* NULL with length 0 is a valid empty value. */
    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, COOKIE, NULL, 0, &sealed),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(sealed), RXA_SEAL_SEALED_LEN(0));
    ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring, COOKIE, sealed,
                                strlen(sealed), &plain, &plen), APR_SUCCESS);
    ck_assert_uint_eq(plen, 0);
    ck_assert_ptr_nonnull(plain);
    ck_assert_int_eq(plain[0], '\0');
}
END_TEST

START_TEST(seals_differ)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    apr_hash_t *seen = apr_hash_make(rxa_test_pool);
    int i;

    /* Same value, same cookie: every seal has its own nonce. */
    for (i = 0; i < 2000; i++) {
        char *sealed = seal_str(rxa_test_pool, ring, COOKIE, NULL, "same");
        unsigned char *raw;
        apr_size_t rawlen;

        ck_assert_ptr_null(apr_hash_get(seen, sealed, APR_HASH_KEY_STRING));
        apr_hash_set(seen, sealed, APR_HASH_KEY_STRING, "");
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, sealed,
                                           strlen(sealed), &raw, &rawlen),
                         APR_SUCCESS);
        /* The nonce alone (bytes 1..12) must be new, too. */
        ck_assert_ptr_null(apr_hash_get(seen, raw + 1, 12));
        apr_hash_set(seen, apr_pmemdup(rxa_test_pool, raw + 1, 12), 12, "");
    }
}
END_TEST

START_TEST(every_bit_flip_fails)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_NEW,
                                         SECRET_OLD);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, "b",
                            "eyJhbGciOiJSUzI1NiJ9.payload.sig");
    unsigned char *raw;
    apr_size_t rawlen, i;
    int bit;

    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, sealed, strlen(sealed),
                                       &raw, &rawlen), APR_SUCCESS);
    ck_assert(opens(rxa_test_pool, ring, COOKIE, "b", sealed,
                    strlen(sealed)));
    for (i = 0; i < rawlen; i++) {
        for (bit = 0; bit < 8; bit++) {
            apr_pool_t *p;
            char *bad;

            apr_pool_create(&p, rxa_test_pool);
            raw[i] ^= (unsigned char)(1u << bit);
            bad = rxa_b64url_encode(p, raw, rawlen);
            raw[i] ^= (unsigned char)(1u << bit);
            ck_assert_msg(!opens(p, ring, COOKIE, "b", bad, strlen(bad)),
                          "flip of bit %d in byte %lu opened", bit,
                          (unsigned long)i);
            apr_pool_destroy(p);
        }
    }
}
END_TEST

START_TEST(every_character_change_fails)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        "=+/. ~%\t";
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, NULL, "value");
    char *copy = apr_pstrdup(rxa_test_pool, sealed);
    apr_size_t i, len = strlen(sealed);
    const char *a;

    for (i = 0; i < len; i++) {
        for (a = alphabet; *a; a++) {
            if (*a == sealed[i])
                continue;
            copy[i] = *a;
            ck_assert_msg(!opens(rxa_test_pool, ring, COOKIE, NULL, copy, len),
                          "change at %lu opened", (unsigned long)i);
        }
        copy[i] = sealed[i];
    }
    ck_assert(opens(rxa_test_pool, ring, COOKIE, NULL, copy, len));
}
END_TEST

START_TEST(every_truncation_fails)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, NULL,
                            "a value long enough to have many prefixes");
    unsigned char *raw;
    apr_size_t rawlen, i, len = strlen(sealed);

    /* Of the cookie value as sent ... */
    for (i = 0; i < len; i++)
        ck_assert_msg(!opens(rxa_test_pool, ring, COOKIE, NULL, sealed, i),
                      "prefix of %lu characters opened", (unsigned long)i);
    /* ... of the decoded bytes, re-encoded, from either end ... */
    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, sealed, len, &raw,
                                       &rawlen), APR_SUCCESS);
    for (i = 0; i < rawlen; i++) {
        char *head = rxa_b64url_encode(rxa_test_pool, raw, i);
        char *tail = rxa_b64url_encode(rxa_test_pool, raw + i + 1,
                                       rawlen - i - 1);
        ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, head,
                         strlen(head)));
        ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, tail,
                         strlen(tail)));
    }
    /* ... and extended. */
    {
        unsigned char *longer = apr_palloc(rxa_test_pool, rawlen + 1);
        char *ext;

        memcpy(longer, raw, rawlen);
        longer[rawlen] = 0;
        ext = rxa_b64url_encode(rxa_test_pool, longer, rawlen + 1);
        ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, ext,
                         strlen(ext)));
        ext = apr_pstrcat(rxa_test_pool, sealed, "AA", NULL);
        ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, ext,
                         strlen(ext)));
    }
}
END_TEST

START_TEST(wrong_version_fails)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, NULL, "value");
    unsigned char *raw;
    apr_size_t rawlen;
    int v;

    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, sealed, strlen(sealed),
                                       &raw, &rawlen), APR_SUCCESS);
    ck_assert_int_eq(raw[0], 1);
    for (v = 0; v < 256; v++) {
        char *bad;

        if (v == 1)
            continue;
        raw[0] = (unsigned char)v;
        bad = rxa_b64url_encode(rxa_test_pool, raw, rawlen);
        ck_assert_msg(!opens(rxa_test_pool, ring, COOKIE, NULL, bad,
                             strlen(bad)), "version %d opened", v);
    }
}
END_TEST

START_TEST(bound_to_cookie_name)
{
    static const char *const others[] = {
        "__Host-reflex_demo_access_token", "__host-reflex_demo_id_token",
        "__Host-reflex_demo_id_toke", "__Host-reflex_demo_id_token_",
        "__Host-reflex_other_id_token", "", "x"
    };
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, NULL, "token");
    apr_size_t len = strlen(sealed), i;

    ck_assert(opens(rxa_test_pool, ring, COOKIE, NULL, sealed, len));
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        ck_assert_msg(!opens(rxa_test_pool, ring, others[i], NULL, sealed,
                             len), "opened as %s", others[i]);
}
END_TEST

START_TEST(bound_to_binding)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    char *sealed = seal_str(rxa_test_pool, ring, COOKIE, "sign-in-1", "tok");
    char *unbound = seal_str(rxa_test_pool, ring, COOKIE, NULL, "tok");
    char *split;

    ck_assert(opens(rxa_test_pool, ring, COOKIE, "sign-in-1", sealed,
                    strlen(sealed)));
    ck_assert(!opens(rxa_test_pool, ring, COOKIE, "sign-in-2", sealed,
                     strlen(sealed)));
    ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, sealed,
                     strlen(sealed)));
    ck_assert(!opens(rxa_test_pool, ring, COOKIE, "sign-in-1", unbound,
                     strlen(unbound)));
    /* NULL and "" are the same (no) binding. */
    ck_assert(opens(rxa_test_pool, ring, COOKIE, "", unbound,
                    strlen(unbound)));
    /* Name and binding are length-prefixed: moving the boundary fails. */
    split = seal_str(rxa_test_pool, ring, "ab", "c", "tok");
    ck_assert(opens(rxa_test_pool, ring, "ab", "c", split, strlen(split)));
    ck_assert(!opens(rxa_test_pool, ring, "a", "bc", split, strlen(split)));
    ck_assert(!opens(rxa_test_pool, ring, "abc", NULL, split, strlen(split)));
}
END_TEST

START_TEST(rotation)
{
    rxa_seal_keyring_t *old_ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    rxa_seal_keyring_t *rotated = make_ring(rxa_test_pool, SECRET_NEW,
                                            SECRET_OLD);
    rxa_seal_keyring_t *new_only = make_ring(rxa_test_pool, SECRET_NEW, NULL);
    char *by_old = seal_str(rxa_test_pool, old_ring, COOKIE, "s", "old value");
    char *by_new = seal_str(rxa_test_pool, rotated, COOKIE, "s", "new value");
    unsigned char *plain;
    apr_size_t plen;

    /* Sealed before the rotation: still opens, with the right content. */
    ck_assert_int_eq(rxa_unseal_bound(rxa_test_pool, rotated, COOKIE, "s",
                                      by_old, strlen(by_old), &plain, &plen),
                     APR_SUCCESS);
    ck_assert_str_eq((const char *)plain, "old value");
    /* The new first secret seals: the old-only ring cannot open it. */
    ck_assert(!opens(rxa_test_pool, old_ring, COOKIE, "s", by_new,
                     strlen(by_new)));
    ck_assert(opens(rxa_test_pool, new_only, COOKIE, "s", by_new,
                    strlen(by_new)));
    /* Once the old secret is dropped, its cookies stop opening. */
    ck_assert(!opens(rxa_test_pool, new_only, COOKIE, "s", by_old,
                     strlen(by_old)));
}
END_TEST

START_TEST(same_secret_same_key)
{
    /* Rings built separately (e.g. per process) from the same secret agree;
     * a different secret does not open. */
    rxa_seal_keyring_t *a = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    rxa_seal_keyring_t *b = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    rxa_seal_keyring_t *c = make_ring(rxa_test_pool,
                                      SECRET_OLD "x", NULL);
    char *sealed = seal_str(rxa_test_pool, a, COOKIE, NULL, "v");

    ck_assert(opens(rxa_test_pool, b, COOKIE, NULL, sealed, strlen(sealed)));
    ck_assert(!opens(rxa_test_pool, c, COOKIE, NULL, sealed, strlen(sealed)));
}
END_TEST

/* Made independently with python3-cryptography: HKDF-SHA256 (no salt, info
 * "mod_reflex_auth seal v1") and AES-GCM with nonce 00 01 .. 0b. Pins the
 * format: if this fails, cookies already out there would stop opening. */
START_TEST(known_answer)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool,
        "kat-secret-0123456789-abcdefghijklmnop", NULL);
    static const char v1[] =
        "AQABAgMEBQYHCAkKC4EmtYZXU7AaFwekCc01hEiZ5c7UYSn0NV-7WgFjYWjuGh4k";
    static const char v2[] = "AQABAgMEBQYHCAkKC5Q70msSpKqMJAWYpaOA0Go";
    unsigned char *plain;
    apr_size_t plen;

    ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring,
                                "__Host-reflex_demo_id_token", v1,
                                strlen(v1), &plain, &plen), APR_SUCCESS);
    ck_assert_uint_eq(plen, 19);
    ck_assert_str_eq((const char *)plain, "hello, sealed world");
    ck_assert_int_eq(rxa_unseal_bound(rxa_test_pool, ring,
                                      "__Host-reflex_demo_access_token",
                                      "sign-in-42", v2, strlen(v2), &plain,
                                      &plen), APR_SUCCESS);
    ck_assert_uint_eq(plen, 0);
}
END_TEST

START_TEST(limits)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    apr_size_t big = RXA_SEAL_MAX_PLAINTEXT + 1;
    unsigned char *data = apr_pcalloc(rxa_test_pool,
                                      big + RXA_SEAL_OVERHEAD);
    char *longname = apr_palloc(rxa_test_pool, RXA_SEAL_MAX_BINDING + 2);
    char *sealed = NULL, *huge;
    unsigned char *plain;
    apr_size_t plen, hlen;

    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, COOKIE, data, big,
                              &sealed), APR_EINVAL);
    ck_assert_ptr_null(sealed);
    /* An over-long cookie is refused before decoding, valid or not. */
    hlen = RXA_SEAL_SEALED_LEN(RXA_SEAL_MAX_PLAINTEXT) + 1;
    huge = apr_palloc(rxa_test_pool, hlen + 1);
    memset(huge, 'A', hlen);
    huge[hlen] = '\0';
    ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring, COOKIE, huge, hlen,
                                &plain, &plen), APR_EINVAL);
    huge = rxa_b64url_encode(rxa_test_pool, data, big + RXA_SEAL_OVERHEAD - 1);
    ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring, COOKIE, huge,
                                strlen(huge), &plain, &plen), APR_EINVAL);

    /* Names and bindings are bounded too. */
    memset(longname, 'n', RXA_SEAL_MAX_BINDING + 1);
    longname[RXA_SEAL_MAX_NAME + 1] = '\0';
    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, longname, data, 1,
                              &sealed), APR_EINVAL);
    longname[RXA_SEAL_MAX_NAME] = '\0';
    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, longname, data, 1,
                              &sealed), APR_SUCCESS);
    memset(longname, 'n', RXA_SEAL_MAX_BINDING + 1);
    longname[RXA_SEAL_MAX_BINDING + 1] = '\0';
    ck_assert_int_eq(rxa_seal_bound(rxa_test_pool, ring, COOKIE, longname,
                                    data, 1, &sealed), APR_EINVAL);

    /* Missing arguments. */
    ck_assert_int_eq(rxa_seal(rxa_test_pool, NULL, COOKIE, data, 1, &sealed),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, NULL, data, 1, &sealed),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_seal(rxa_test_pool, ring, COOKIE, NULL, 1, &sealed),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_unseal(rxa_test_pool, ring, COOKIE, NULL, 0, &plain,
                                &plen), APR_EINVAL);
}
END_TEST

START_TEST(garbage_fails)
{
    static const char *const junk[] = {
        "", "A", "AQ", "not a sealed value at all, just some text here",
        "AQABAgMEBQYHCAkKC4EmtYZXU7AaFwekCc01hEiZ5c7UYSn0NV-7WgFjYWjuGh4k=",
        "AQABAgMEBQYHCAkKC4EmtYZXU7AaFwekCc01hEiZ5c7UYSn0NV+7WgFjYWjuGh4k",
        "AQABAgMEBQYHCAkKC4EmtYZXU7AaFwekCc01hEiZ5c7UYSn0NV-7WgFjYWjuGh4 ",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "\"quoted\"", "a%3Db"
    };
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool,
        "kat-secret-0123456789-abcdefghijklmnop", NULL);
    apr_size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        ck_assert_msg(!opens(rxa_test_pool, ring,
                             "__Host-reflex_demo_id_token", NULL, junk[i],
                             strlen(junk[i])), "junk %lu opened",
                      (unsigned long)i);
}
END_TEST

START_TEST(short_secret_refused)
{
    const char *secrets[2];
    rxa_seal_keyring_t *ring = NULL;
    const char *err = NULL;
    char *many[RXA_SEAL_MAX_SECRETS + 1];
    int i;

    /* 31 bytes: one short. */
    secrets[0] = SECRET_NEW;
    secrets[1] = "0123456789012345678901234567890";
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool, secrets, 2, &ring,
                                             &err), APR_EINVAL);
    ck_assert_ptr_null(ring);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strncmp(err, "RXA03503: ", 10) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "openssl rand -base64 32"));
    ck_assert_ptr_nonnull(strstr(err, "secret 2 "));
    ck_assert_ptr_null(strstr(err, "0123456789"));
    /* Exactly 32 is enough. */
    secrets[1] = "01234567890123456789012345678901";
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool, secrets, 2, &ring,
                                             &err), APR_SUCCESS);

    ring = NULL;
    secrets[0] = NULL;
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool, secrets, 1, &ring,
                                             &err), APR_EINVAL);
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool, secrets, 0, &ring,
                                             &err), APR_EINVAL);
    ck_assert_msg(strncmp(err, "RXA03501: ", 10) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "openssl rand -base64 32"));
    for (i = 0; i <= RXA_SEAL_MAX_SECRETS; i++)
        many[i] = apr_psprintf(rxa_test_pool, "%s-%d", SECRET_OLD, i);
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool,
                                             (const char *const *)many,
                                             RXA_SEAL_MAX_SECRETS + 1, &ring,
                                             &err), APR_EINVAL);
    ck_assert_msg(strncmp(err, "RXA03502: ", 10) == 0, "%s", err);
    ck_assert_int_eq(rxa_seal_keyring_create(rxa_test_pool,
                                             (const char *const *)many,
                                             RXA_SEAL_MAX_SECRETS, &ring,
                                             &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(ring);
}
END_TEST

/* Log lines from failed opens: tagged, and never the cookie value. */
static char last_log[2048];
static int log_count;

static void capture_log(void *baton, const char *file, int line, int level,
                        apr_status_t rv, const char *msg)
{
    apr_cpystrn(last_log, msg, sizeof(last_log));
    log_count++;
}

START_TEST(failure_logs_say_nothing_secret)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_OLD, NULL);
    rxa_seal_keyring_t *other = make_ring(rxa_test_pool, SECRET_NEW, NULL);
    char *sealed = seal_str(rxa_test_pool, other, COOKIE, NULL, "plaintext");
    char *bad = apr_pstrcat(rxa_test_pool, sealed, "!", NULL);

    rxa_log_set(capture_log, NULL, NULL);
    log_count = 0;
    ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, sealed,
                     strlen(sealed)));
    ck_assert_int_eq(log_count, 1);
    ck_assert_msg(strncmp(last_log, "RXA03514: ", 10) == 0, "%s", last_log);
    ck_assert_ptr_null(strstr(last_log, sealed));
    ck_assert_ptr_null(strstr(last_log, "plaintext"));
    ck_assert(!opens(rxa_test_pool, ring, COOKIE, NULL, bad, strlen(bad)));
    ck_assert_int_eq(log_count, 2);
    ck_assert_msg(strncmp(last_log, "RXA03512: ", 10) == 0, "%s", last_log);
    ck_assert_ptr_null(strstr(last_log, sealed));
    rxa_log_set(NULL, NULL, NULL);
}
END_TEST

/* Many threads share one keyring, as httpd's workers do. */
#define THREADS 4
#define ROUNDS  2000

struct worker {
    const rxa_seal_keyring_t *ring;
    apr_pool_t *pool;
    int failures;
};

static void *APR_THREAD_FUNC seal_worker(apr_thread_t *t, void *arg)
{
    struct worker *w = arg;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        char value[32], *sealed;
        unsigned char *plain;
        apr_size_t plen;

        apr_snprintf(value, sizeof(value), "value %d", i);
        if (rxa_seal(w->pool, w->ring, COOKIE, (unsigned char *)value,
                     strlen(value), &sealed) != APR_SUCCESS
            || rxa_unseal(w->pool, w->ring, COOKIE, sealed, strlen(sealed),
                          &plain, &plen) != APR_SUCCESS
            || plen != strlen(value) || memcmp(plain, value, plen) != 0)
            w->failures++;
        apr_pool_clear(w->pool);
    }
    /* Return rather than apr_thread_exit(): its pthread_exit unwinding
     * trips a false stack-use-after-scope report in gcc's ASan. */
    return NULL;
}

START_TEST(threads_share_a_keyring)
{
    rxa_seal_keyring_t *ring = make_ring(rxa_test_pool, SECRET_NEW,
                                         SECRET_OLD);
    struct worker w[THREADS];
    apr_thread_t *th[THREADS];
    apr_status_t rv;
    int i;

    for (i = 0; i < THREADS; i++) {
        w[i].ring = ring;
        w[i].failures = 0;
        apr_pool_create(&w[i].pool, rxa_test_pool);
    }
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, seal_worker, &w[i],
                                           rxa_test_pool), APR_SUCCESS);
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, th[i]);
        ck_assert_int_eq(w[i].failures, 0);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = rxa_tcase("seal");

    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, empty_plaintext);
    tcase_add_test(tc, seals_differ);
    tcase_add_test(tc, every_bit_flip_fails);
    tcase_add_test(tc, every_character_change_fails);
    tcase_add_test(tc, every_truncation_fails);
    tcase_add_test(tc, wrong_version_fails);
    tcase_add_test(tc, bound_to_cookie_name);
    tcase_add_test(tc, bound_to_binding);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, same_secret_same_key);
    tcase_add_test(tc, known_answer);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, garbage_fails);
    tcase_add_test(tc, short_secret_refused);
    tcase_add_test(tc, failure_logs_say_nothing_secret);
    tcase_add_test(tc, threads_share_a_keyring);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
