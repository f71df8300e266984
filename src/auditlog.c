/* ReflexAuthAuditLog: one JSON line per sign-in event, to a file
 * or a piped program, opened once at start-up like httpd's own logs. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_log.h>

#include "mod_reflex_auth.h"

/* open_logs: each server's audit log, shared by vhosts naming the same one. */
int rxa_audit_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *opened = apr_hash_make(ptemp);
    server_rec *sv;

    for (sv = s; sv; sv = sv->next) {
        rxa_srv_conf_t *sc = rxa_srv_conf(sv);
        apr_file_t *f;
        apr_status_t rv;

        if (!sc->audit_log)
            continue;
        if ((f = apr_hash_get(opened, sc->audit_log, APR_HASH_KEY_STRING))) {
            sc->audit_file = f;
            continue;
        }
        if (sc->audit_log[0] == '|') {
            piped_log *pl = ap_open_piped_log(pconf, sc->audit_log + 1);
            if (!pl) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                             "RXA00100: cannot start the audit log program "
                             "%s", sc->audit_log + 1);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            f = ap_piped_log_write_fd(pl);
        }
        else {
            const char *path = ap_server_root_relative(ptemp, sc->audit_log);
            rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                               | APR_FOPEN_APPEND, APR_FPROT_OS_DEFAULT, pconf);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                             "RXA00101: cannot open the audit log %s", path);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        apr_hash_set(opened, sc->audit_log, APR_HASH_KEY_STRING, f);
        sc->audit_file = f;
    }
    return OK;
}

void rxa_audit_event(request_rec *r, rxa_audit_event_t *ev)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);
    apr_status_t rv;

    if (!sc->audit_file)
        return;
    ev->client = r->useragent_ip;
    ev->request_id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    if (!ev->request_id)
        ev->request_id = r->log_id;
    ev->field[RXA_AUDIT_F_PATH] = r->parsed_uri.path;
    if (r->user && ev->event != RXA_AUDIT_LOGOUT)
        ev->field[RXA_AUDIT_F_USER] = r->user;
    if ((rv = rxa_audit_write(r->pool, sc->audit_file, ev)) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, "RXA00102: writing "
                      "the audit log failed");
}

void rxa_audit(request_rec *r, rxa_audit_event_e event,
               rxa_audit_outcome_e outcome, rxa_audit_reason_e reason,
               const char *provider, const char *sub, const char *error_id)
{
    rxa_audit_event_t ev;

    memset(&ev, 0, sizeof(ev));
    ev.event = event;
    ev.outcome = outcome;
    ev.reason = reason;
    ev.provider = provider;
    ev.sub = sub;
    ev.field[RXA_AUDIT_F_ERROR_ID] = error_id;
    rxa_audit_event(r, &ev);
}
