/* Fuzz the cookie unsealer with a fixed two-secret keyring.
 *
 * The input is tried as a sealed cookie value (it must never open unless it
 * is one of the genuinely sealed seeds), and as a plaintext, which must
 * survive a seal/unseal round trip, must not open as another cookie, and must
 * not open after one bit of its sealed form is flipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_b64url.h"
#include "rxa_seal.h"

/* The seeds in corpus/unseal/sealed-* were made with these. */
#define FUZZ_SECRET_NEW "fuzz-secret-new-0123456789abcdefghijklmnop"
#define FUZZ_SECRET_OLD "fuzz-secret-old-0123456789abcdefghijklmnop"
#define FUZZ_COOKIE     "__Host-reflex_fuzz_id_token"
#define FUZZ_BINDING    "fuzz-sign-in"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *fuzz_pool;
static rxa_seal_keyring_t *fuzz_ring;

static void fuzz_init(void)
{
    static const char *const secrets[] = { FUZZ_SECRET_NEW, FUZZ_SECRET_OLD };
    apr_pool_t *root;

    /* Debian's APR keeps pools in mmap()ed memory, which LeakSanitizer does
     * not scan: the keyring's OpenSSL objects must be freed at exit, or they
     * are reported as leaks. */
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    if (rxa_seal_keyring_create(root, secrets, 2, &fuzz_ring, NULL)
        != APR_SUCCESS)
        abort();
    apr_pool_create(&fuzz_pool, root);
}

/* libFuzzer calls this before the first input, so the keyring is not
 * counted against any input by its leak check; a plain replay of the corpus
 * may not call it, hence the lazy call below too. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!fuzz_ring)
        fuzz_init();
    return 0;
}

static void fuzz_round_trip(const uint8_t *data, size_t size)
{
    unsigned char *plain, *raw;
    apr_size_t plen, rawlen, bit;
    char *sealed, *bad;

    if (rxa_seal_bound(fuzz_pool, fuzz_ring, FUZZ_COOKIE, FUZZ_BINDING, data,
                       size, &sealed) != APR_SUCCESS)
        abort();
    if (strlen(sealed) != RXA_SEAL_SEALED_LEN(size)
        || rxa_unseal_bound(fuzz_pool, fuzz_ring, FUZZ_COOKIE, FUZZ_BINDING,
                            sealed, strlen(sealed), &plain, &plen)
               != APR_SUCCESS
        || plen != size || (size && memcmp(plain, data, size) != 0))
        abort();
    if (rxa_unseal_bound(fuzz_pool, fuzz_ring, FUZZ_COOKIE "x", FUZZ_BINDING,
                         sealed, strlen(sealed), &plain, &plen) == APR_SUCCESS
        || rxa_unseal(fuzz_pool, fuzz_ring, FUZZ_COOKIE, sealed,
                      strlen(sealed), &plain, &plen) == APR_SUCCESS)
        abort();
    /* One bit flipped, at a place the input picks. */
    if (rxa_b64url_decode(fuzz_pool, sealed, strlen(sealed), &raw, &rawlen)
        != APR_SUCCESS)
        abort();
    bit = size ? ((apr_size_t)data[0] * 257 + size) % (rawlen * 8)
               : rawlen * 4;
    raw[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    bad = rxa_b64url_encode(fuzz_pool, raw, rawlen);
    if (rxa_unseal_bound(fuzz_pool, fuzz_ring, FUZZ_COOKIE, FUZZ_BINDING, bad,
                         strlen(bad), &plain, &plen) == APR_SUCCESS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *plain;
    apr_size_t plen;

    if (!fuzz_ring)
        fuzz_init();

    /* As a cookie value: whatever it is, no crash, and what opens is
     * bounded and NUL-terminated. */
    if (rxa_unseal_bound(fuzz_pool, fuzz_ring, FUZZ_COOKIE, FUZZ_BINDING,
                         (const char *)data, size, &plain, &plen)
        == APR_SUCCESS) {
        if (plen > RXA_SEAL_MAX_PLAINTEXT || plain[plen] != '\0')
            abort();
    }

    if (size <= RXA_SEAL_MAX_PLAINTEXT)
        fuzz_round_trip(data, size);

    apr_pool_clear(fuzz_pool);
    return 0;
}
