/* Sealed cookie values: authenticated encryption under the cookie secrets.
 *
 * AES-256-GCM, a fresh 96-bit nonce from RAND_bytes for every seal, and one
 * key per configured secret derived by HKDF-SHA256 (info
 * "mod_reflex_auth seal v1"). The first secret seals; every secret opens,
 * so a new secret can be put first while cookies sealed under the old one
 * still open (rotation).
 *
 * Sealed form, before base64url (no padding):
 *   version (1 byte, 0x01) | nonce (12) | ciphertext (= plaintext length) |
 *   tag (16)
 * The GCM additional data is
 *   version | be32(len(name)) | name | be32(len(binding)) | binding
 * so a value sealed for one cookie name (or one binding, e.g. a sign-in id)
 * does not open as another, and the version cannot be swapped.
 *
 * Random nonces: NIST SP 800-38D bounds a key to 2^32 random-nonce seals;
 * seals happen at sign-in and refresh, not on every request, and a new
 * secret resets the count.
 *
 * A keyring is read-only once created: many threads may seal and open with
 * it at once.
 */
#ifndef RXA_SEAL_H
#define RXA_SEAL_H

#include <apr_pools.h>

typedef struct rxa_seal_keyring_t rxa_seal_keyring_t;

/* A secret shorter than this many bytes is refused. */
#define RXA_SEAL_MIN_SECRET   32
/* More secrets than this are refused: each failed open tries every key. */
#define RXA_SEAL_MAX_SECRETS  16
/* Largest plaintext sealed or opened; a cookie value longer than one cookie
 * is chunked by the caller, and browsers cap the total well below this. */
#define RXA_SEAL_MAX_PLAINTEXT 32768
/* Bytes added to the plaintext before base64url: version, nonce, tag. */
#define RXA_SEAL_OVERHEAD     29
/* Longest cookie name and binding string accepted. */
#define RXA_SEAL_MAX_NAME     256
#define RXA_SEAL_MAX_BINDING  1024

/* Base64url length of a sealed plaintext of LEN bytes (no NUL). */
#define RXA_SEAL_SEALED_LEN(len) \
    ((((len) + RXA_SEAL_OVERHEAD) * 4 + 2) / 3)

/* Build a keyring from N secrets (NUL-terminated strings, the first one
 * seals). Keys are derived here, once. The keyring lives in POOL and its
 * key material is wiped when POOL is cleared. On failure returns APR_EINVAL
 * (or APR_EGENERAL when OpenSSL fails) and sets *ERR to a tagged message
 * that never contains a secret. */
apr_status_t rxa_seal_keyring_create(apr_pool_t *pool,
                                     const char *const *secrets, int n,
                                     rxa_seal_keyring_t **ring,
                                     const char **err);

/* Seal LEN bytes of PLAIN for the cookie NAME and the optional BINDING
 * (NULL and "" are the same). *SEALED is NUL-terminated base64url, a valid
 * cookie value, of length RXA_SEAL_SEALED_LEN(LEN). Returns APR_EINVAL for
 * an oversize plaintext, name or binding, APR_ENOMEM or APR_EGENERAL when
 * OpenSSL fails (logged). */
apr_status_t rxa_seal_bound(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                            const char *name, const char *binding,
                            const unsigned char *plain, apr_size_t len,
                            char **sealed);

/* Open SEALED_LEN characters of SEALED for NAME and BINDING. On success
 * *PLAIN holds *PLAIN_LEN bytes plus a NUL not counted. Any malformed,
 * oversize, altered, foreign or wrongly bound input gives APR_EINVAL and
 * nothing else: callers treat the cookie as absent and tell the client
 * nothing. APR_ENOMEM or APR_EGENERAL mean OpenSSL itself failed. */
apr_status_t rxa_unseal_bound(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                              const char *name, const char *binding,
                              const char *sealed, apr_size_t sealed_len,
                              unsigned char **plain, apr_size_t *plain_len);

/* The same without a binding. */
apr_status_t rxa_seal(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                      const char *name, const unsigned char *plain,
                      apr_size_t len, char **sealed);
apr_status_t rxa_unseal(apr_pool_t *pool, const rxa_seal_keyring_t *ring,
                        const char *name, const char *sealed,
                        apr_size_t sealed_len, unsigned char **plain,
                        apr_size_t *plain_len);

#endif
