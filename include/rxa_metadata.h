/* OpenID Connect discovery documents: the provider metadata a discovery
 * URL answers, parsed and checked. Pure: no fetching, no state.
 */
#ifndef RXA_METADATA_H
#define RXA_METADATA_H

#include <apr_pools.h>
#include <apr_tables.h>

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

#endif
