/* The provider registry, httpd-free.
 *
 * Directive lines become rxa_provider_spec_t; rxa_providers_resolve() fills
 * in what a line leaves out from the environment ({NAME}_KEY, then OIDC_KEY),
 * merges the scopes and checks the whole set, so the module, the unit tests
 * and `apachectl -t` all apply the same rules.
 */
#ifndef RXA_PROVIDER_H
#define RXA_PROVIDER_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "rxa_session.h"

#define RXA_GENERIC_PROVIDER "generic"
#define RXA_DEFAULT_SCOPES "openid email profile"
#define RXA_PROVIDER_NAME_MAX 32

/* One ReflexAuthProvider line; NULL fields were not on the line. */
typedef struct rxa_provider_spec {
    const char *name;
    const char *issuer;
    const char *client_id;
    const char *client_secret;
    const char *scopes;
    const char *display_name;
    const char *tenants;
} rxa_provider_spec_t;

struct rxa_issuer;

/* A resolved provider: what every later stage reads. */
typedef struct rxa_provider {
    const char *name;               /* lower case, [a-z0-9_] */
    const char *display_name;       /* "Login with <display_name>" */
    const char *issuer;             /* as configured */
    const char *client_id;
    const char *client_secret;      /* NULL: public client (PKCE only) */
    apr_array_header_t *scopes;     /* const char *, "openid" first */
    const char *scope;              /* the same, space-joined */
    apr_array_header_t *tenants;    /* const char *, Entra tenant allow-list */
    const char *issuer_from;        /* where the issuer came from, for messages */
    const char *client_id_from;
    struct rxa_issuer *iss;         /* discovery state, set by the module */
    /* the four session cookie names, by rxa_cookie_kind_t: made once
     * here, read on every request */
    const char *cookie_names[RXA_CK_COUNT];
} rxa_provider_t;

typedef const char *rxa_getenv_fn(const void *baton, const char *name);

/* Parse the arguments of a ReflexAuthProvider line, "NAME [key=value ...]",
 * into the spec it fills. A value may be double-quoted (key="a b"), with \" and \\
 * inside. Returns NULL or an error message. */
const char *rxa_provider_spec_parse(apr_pool_t *pool,
                                    rxa_provider_spec_t *spec,
                                    const char *args);

/* Resolve SPECS (rxa_provider_spec_t *; empty means the implicit "generic"
 * provider) into *PROVIDERS (rxa_provider_t *), reading missing values
 * through GETENV and merging EXTRA_SCOPES (const char *) into every
 * provider. On a configuration error returns APR_EINVAL and a message for
 * the administrator in *PERR. */
apr_status_t rxa_providers_resolve(apr_pool_t *pool,
                                   const apr_array_header_t *specs,
                                   const apr_array_header_t *extra_scopes,
                                   rxa_getenv_fn *getenv_fn, const void *baton,
                                   apr_array_header_t **providers,
                                   const char **perr);

/* Whether the environment declares the implicit provider (an issuer or a
 * client id in OIDC_* or GENERIC_*). A cookie secret alone does not: a
 * server with no ReflexAuthProvider line and none of these has no provider
 * and starts. */
int rxa_providers_env_present(rxa_getenv_fn *getenv_fn, const void *baton);

/* The provider named NAME, or NULL. */
rxa_provider_t *rxa_provider_find(const apr_array_header_t *providers,
                                  const char *name);

/* Check a list of cookie secrets: at least one, each of at least
 * RXA_SEAL_MIN_SECRET bytes (rxa_seal.h). Returns NULL or the message to
 * show. */
const char *rxa_cookie_secrets_check(apr_pool_t *pool,
                                     const apr_array_header_t *secrets);

#endif
