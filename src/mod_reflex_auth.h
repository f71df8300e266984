/* mod_reflex_auth: what the httpd glue files share.
 *
 * mod_reflex_auth.c holds the module record and hook registration;
 * config.c the directives and per-server config; providers.c the registry
 * and discovery at start-up and at request time; dump.c DUMP_REFLEX_AUTH;
 * authn.c the check_authn hook; pages.c the built-in pages.
 */
#ifndef MOD_REFLEX_AUTH_H
#define MOD_REFLEX_AUTH_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "rxa_provider.h"

extern module AP_MODULE_DECLARE_DATA reflex_auth_module;

/* mod_reflex_auth.c declares the module (and its log index) itself. */
#ifndef RXA_MODULE_MAIN
APLOG_USE_MODULE(reflex_auth);
#endif

#define RXA_AUTH_TYPE "ReflexOIDC"

#define RXA_DEFAULT_LOGIN_PATH     "/login"
#define RXA_DEFAULT_CALLBACK_PATH  "/callback"
#define RXA_DEFAULT_LOGOUT_PATH    "/logout"
#define RXA_DEFAULT_FORBIDDEN_PATH "/forbidden"
#define RXA_DEFAULT_SYNC_PATH      "/_reflex/cookies/sync"
#define RXA_DEFAULT_HTTP_TIMEOUT   apr_time_from_sec(5)

/* Per-server config. Every field is unset (NULL or -1) until a directive
 * sets it; merge takes the vhost's value when set, else the base's; then
 * rxa_config_finalize applies the defaults, in that one place. */
typedef struct rxa_srv_conf {
    apr_array_header_t *provider_specs;     /* rxa_provider_spec_t * */
    apr_array_header_t *extra_scopes;       /* const char * */
    apr_array_header_t *cookie_secrets;     /* const char *, first seals */
    const char *login_path;
    const char *callback_path;
    const char *logout_path;
    const char *forbidden_path;
    const char *sync_path;
    const char *ca_file;
    apr_interval_time_t http_timeout;

    /* Derived at start-up, not merged: */
    int in_use;                             /* anything configures us */
    apr_array_header_t *providers;          /* rxa_provider_t * */
    const char *config_error;               /* why this server cannot work */
} rxa_srv_conf_t;

/* config.c */
extern const command_rec rxa_cmds[];
void *rxa_srv_conf_create(apr_pool_t *p, server_rec *s);
void *rxa_srv_conf_merge(apr_pool_t *p, void *basev, void *addv);
rxa_srv_conf_t *rxa_srv_conf(const server_rec *s);
void rxa_config_finalize(apr_pool_t *p, server_rec *s);

/* providers.c */
int rxa_providers_check(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s);
int rxa_providers_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);
void rxa_providers_discover_now(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s);

/* dump.c */
void rxa_dump_config(apr_pool_t *pconf, server_rec *s);

/* authn.c */
int rxa_check_authn(request_rec *r);

/* pages.c */
const char *rxa_error_id(request_rec *r);
int rxa_page_error(request_rec *r, int status, const char *title,
                   const char *message, const char *error_id);

#endif
