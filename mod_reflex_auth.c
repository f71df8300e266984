/* mod_reflex_auth: OpenID Connect sign-in for Apache httpd 2.4, with the
 * whole session in sealed client-side cookies (the Reflex model).
 *
 * This file is the module record and hook registration; the directives are
 * in src/config.c, the httpd-free core in src/core/ and include/.
 */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_connection.h>
#include <http_log.h>
#include <http_main.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#define RXA_MODULE_MAIN
#include "mod_reflex_auth.h"
#include "rxa_fetcher.h"
#include "rxa_http.h"
#include "rxa_log.h"

/* The core logs through httpd's error log, under this module's LogLevel. */
static void rxa_log_print(void *baton, const char *file, int line, int level,
                          apr_status_t rv, const char *msg)
{
    ap_log_error(file, line, APLOG_MODULE_INDEX, level, rv, ap_server_conf,
                 "%s", msg);
}

static int rxa_log_enabled_cb(void *baton, int level)
{
    return ap_server_conf
        && APLOG_IS_LEVEL(ap_server_conf, level);
}

static int rxa_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    apr_status_t rv;

    rxa_log_set(rxa_log_print, rxa_log_enabled_cb, NULL);
    if ((rv = rxa_http_global_init()) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, NULL,
                     "RXA00030: curl_global_init failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* "mod_reflex_auth/VERSION" in the server's description (the Server header
 * too under ServerTokens Full; httpd decides), and one line per start. */
static int rxa_post_config_version(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    ap_add_version_component(pconf, RXA_PRODUCT);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "RXA00200: %s configured "
                 "(OpenSSL/%s, libcurl/%s, jansson/%s)", RXA_PRODUCT,
                 OpenSSL_version(OPENSSL_VERSION_STRING),
                 curl_version_info(CURLVERSION_NOW)->version, JANSSON_VERSION);
    return OK;
}

static void rxa_test_config(apr_pool_t *pconf, server_rec *s)
{
    if (ap_exists_config_define("DUMP_REFLEX_AUTH"))
        rxa_dump_config(pconf, s);
}

static void rxa_child_init(apr_pool_t *pchild, server_rec *s)
{
    const server_rec *v;
    apr_status_t rv;

    rxa_tokens_child_init(pchild);
    rxa_identity_child_init(pchild, s);
    rxa_backchannel_child_init(pchild);
    rxa_bearer_child_init(pchild, s);
    /* Retries and periodic refreshes of the issuers happen in a thread of
     * their own, so no request waits for a provider that is slow or down. */
    for (v = s; v; v = v->next) {
        const rxa_srv_conf_t *sc = rxa_srv_conf(v);
        if (sc->providers && sc->providers->nelts)
            break;
    }
    if (v && (rv = rxa_issuers_fetch_in_background(pchild)) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "RXA00104: no "
                     "background fetcher in this process; a request that "
                     "finds an issuer due for a retry or refresh fetches it "
                     "itself");
}

static void rxa_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(rxa_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(rxa_shared_cache_pre_config, NULL, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_check_config(rxa_providers_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(rxa_bearer_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(rxa_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(rxa_providers_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(rxa_post_config_version, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(rxa_pages_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* the caches before the revocation lists made on them (HOOK_LAST) */
    ap_hook_post_config(rxa_shared_cache_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    /* after the shared caches are made: a revocation list for each */
    ap_hook_post_config(rxa_revocation_post_config, NULL, NULL,
                        APR_HOOK_LAST);
    ap_hook_child_init(rxa_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(rxa_shared_cache_child_init, NULL, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_open_logs(rxa_audit_open_logs, NULL, NULL, APR_HOOK_MIDDLE);
    /* the memo of identities per client connection (identity.c) */
    ap_hook_pre_connection(rxa_identity_pre_connection, NULL, NULL,
                           APR_HOOK_MIDDLE);
    /* before anything else sees the request, and on every request */
    ap_hook_post_read_request(rxa_scrub_headers, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    /* our endpoints answer ahead of mod_proxy and of auth */
    ap_hook_quick_handler(rxa_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(rxa_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(rxa_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    /* before any other fixup (mod_rewrite, mod_dir) looks at r->user */
    ap_hook_fixups(rxa_anonymous_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    rxa_authz_register(p);
    rxa_websocket_register(p);
}

AP_DECLARE_MODULE(reflex_auth) = {
    STANDARD20_MODULE_STUFF,
    rxa_dir_conf_create,
    rxa_dir_conf_merge,
    rxa_srv_conf_create,
    rxa_srv_conf_merge,
    rxa_cmds,
    rxa_register_hooks,
    AP_MODULE_FLAG_NONE
};
