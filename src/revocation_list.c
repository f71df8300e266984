/* The revocation lists of the servers: one per shared cache, so that the
 * virtual hosts naming one cache share its list, and a sign-in revoked on
 * one of them is refused on all. Servers without a cache share one list
 * of this process alone. Made after the caches (post_config, last). */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>

#include "mod_reflex_auth.h"
#include "rxa_revocation.h"

int rxa_revocation_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *lists;
    server_rec *v;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    lists = apr_hash_make(ptemp);
    for (v = s; v; v = v->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(v);
        rxa_revocation_t *rev = apr_hash_get(lists, &sc->cache,
                                             sizeof(sc->cache));
        apr_status_t rv;

        if (!rev) {
            if ((rv = rxa_revocation_create(pconf, sc->cache, &rev))
                != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, v,
                             "RXA00250: the revocation list could not be "
                             "made: logouts could not end sign-ins");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            apr_hash_set(lists, apr_pmemdup(ptemp, &sc->cache,
                                            sizeof(sc->cache)),
                         sizeof(sc->cache), rev);
        }
        sc->revocation = rev;
    }
    return OK;
}
