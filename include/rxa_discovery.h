/* OpenID Connect discovery (SPEC section 2): the provider metadata document,
 * its validation, and the per-issuer state that start-up fills and requests
 * read, retried with back-off while the issuer cannot be reached.
 */
#ifndef RXA_DISCOVERY_H
#define RXA_DISCOVERY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_thread_mutex.h>
#include <jansson.h>

#include "rxa_jwk.h"

#define RXA_DISCOVERY_MAX_BYTES (256 * 1024)
#define RXA_TENANT_TEMPLATE "{tenantid}"

typedef struct rxa_metadata {
    const char *issuer;                 /* as published: what `iss` must be */
    int issuer_is_template;             /* holds {tenantid} (Entra) */
    const char *authorization_endpoint;
    const char *token_endpoint;         /* NULL: the code flow cannot end */
    const char *userinfo_endpoint;      /* NULL when the IdP has none */
    const char *jwks_uri;
    const char *end_session_endpoint;   /* NULL when the IdP has none */
    apr_array_header_t *signing_algs;   /* listed and supported by us */
    int token_auth_post;                /* use client_secret_post */
    int pkce_listed;                    /* S256 advertised (informational) */
} rxa_metadata_t;

/* <issuer without a trailing slash>/.well-known/openid-configuration */
const char *rxa_discovery_url(apr_pool_t *pool, const char *issuer);

/* Whether a published issuer is the configured one: equal but for one
 * trailing slash, where {tenantid} in PUBLISHED stands for one path segment
 * of CONFIGURED. */
int rxa_issuer_matches(const char *configured, const char *published);

/* Parse and check a discovery document fetched for CONFIGURED_ISSUER. */
apr_status_t rxa_metadata_parse(apr_pool_t *pool,
                                const char *configured_issuer,
                                const char *body, apr_size_t len,
                                rxa_metadata_t **pmd, const char **perr);

/* What one successful discovery produced; immutable once published. */
typedef struct rxa_issuer_snap {
    rxa_metadata_t *md;
    rxa_jwks_t *keys;                   /* the signing keys we can use */
    rxa_jws_algset_t algs;              /* md->signing_algs as a set */
    apr_time_t fetched;
} rxa_issuer_snap_t;

/* One distinct issuer, shared by every provider (in every vhost) naming it. */
typedef struct rxa_issuer {
    const char *url;                    /* configured issuer */
    const char *ca_file;
    long timeout_ms;
    void *volatile snap;                /* rxa_issuer_snap_t *, atomic */
    apr_pool_t *pool;                   /* snapshots live here */
    apr_thread_mutex_t *lock;           /* one fetcher at a time */
    apr_time_t next_try;                /* when a failed issuer is retried */
    apr_interval_time_t backoff;
    const char *last_err;               /* tagged, for the error page log */
} rxa_issuer_t;

#define RXA_BACKOFF_MIN apr_time_from_sec(2)
#define RXA_BACKOFF_MAX apr_time_from_sec(300)

/* A new issuer whose memory lives until PCONF is cleared. */
rxa_issuer_t *rxa_issuer_create(apr_pool_t *pconf, const char *url,
                                const char *ca_file, long timeout_ms);

/* Fetch every issuer's metadata, then every JWKS, in parallel. Failed
 * issuers get last_err set and a retry time. Returns how many failed. */
int rxa_issuers_discover(apr_pool_t *ptemp, rxa_issuer_t *const *issuers,
                         int n, apr_time_t now);

/* The current snapshot; when there is none and a retry is due, one caller
 * retries (others do not wait). NULL while unavailable. */
rxa_issuer_snap_t *rxa_issuer_get(rxa_issuer_t *iss, apr_time_t now);

#endif
