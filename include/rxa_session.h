/* One sign-in as four sealed cookies: access token, ID token,
 * refresh token and granted scopes. Each cookie is sealed under its own
 * name, and each plaintext starts with the sign-in id and when it began,
 * so a set mixed from two sign-ins (or two users) does not open as a
 * session. */
#ifndef RXA_SESSION_H
#define RXA_SESSION_H

#include <apr_pools.h>

#include "rxa_seal.h"

typedef enum {
    RXA_CK_ACCESS = 0,
    RXA_CK_ID,
    RXA_CK_REFRESH,
    RXA_CK_SCOPES,
    RXA_CK_COUNT
} rxa_cookie_kind_t;

typedef struct rxa_session {
    const char *provider;
    const char *sid;                /* the sign-in these cookies belong to */
    apr_int64_t started_at;         /* when it began (the callback), epoch
                                     * seconds; 0: unknown */
    const char *access_token;
    apr_int64_t expires_at;         /* access token expiry, epoch seconds */
    const char *id_token;
    const char *refresh_token;      /* NULL: none was granted */
    const char *granted_scopes;     /* space-separated */
} rxa_session_t;

/* "__Host-reflex_<provider>_access_token" and its siblings. */
const char *rxa_session_cookie_name(apr_pool_t *pool, const char *provider,
                                    rxa_cookie_kind_t kind);

/* A new sign-in id for S (S->sid), from the CSPRNG. */
apr_status_t rxa_session_new_sid(apr_pool_t *pool, rxa_session_t *s);

/* Seal the four values of S into VALUES[kind] (cookie-safe base64url). */
apr_status_t rxa_session_seal(apr_pool_t *pool,
                              const rxa_seal_keyring_t *ring,
                              const rxa_session_t *s,
                              const char *values[RXA_CK_COUNT]);

/* Open the four cookie values of PROVIDER (VALUES[kind], NULL when the
 * cookie is absent). APR_NOTFOUND when no cookie of the set is there at all,
 * APR_EINVAL when any is missing, does not open, or belongs to another
 * sign-in; APR_SUCCESS with *OUT otherwise. */
apr_status_t rxa_session_open(apr_pool_t *pool,
                              const rxa_seal_keyring_t *ring,
                              const char *provider,
                              const char *const values[RXA_CK_COUNT],
                              rxa_session_t **out);

#endif
