/* The tab-sync script, served at <sync path>.js. Pages include it with
 * <script src="/_reflex/cookies/sync.js"></script>; it keeps the session
 * fresh through the sync endpoint shortly before the access token expires,
 * and keeps tabs in step through one LocalStorage key: the tab that
 * refreshes announces the new expiry (the others only reschedule), and a
 * tab that finds itself signed out tells the others to reload. A
 * LocalStorage lease makes one tab at a time do the refresh. The script is
 * src/pages/sync.js, built into the module; its refresh margin is the
 * server's own (RXA_REFRESH_MARGIN), written in where it says so. */
#include <apr_strings.h>
#include <http_protocol.h>

#include "mod_reflex_auth.h"
#include "rxa_embedded.h"

#define MARGIN_MARK "@RXA_REFRESH_MARGIN@"

/* The script with the server's refresh margin in it, or NULL (logged) if
 * the built-in file lacks the mark. */
static const char *sync_script_text(request_rec *r, apr_size_t *len)
{
    apr_size_t n = 0;
    const char *src = rxa_embedded_file("sync.js", &n), *mark;
    char *out;

    if (!src || !(mark = strstr(src, MARGIN_MARK))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_EINVAL, r, "RXA00183: the "
                      "built-in sync.js lacks its refresh margin mark");
        return NULL;
    }
    out = apr_psprintf(r->pool, "%.*s%d%s", (int)(mark - src), src,
                       RXA_REFRESH_MARGIN, mark + strlen(MARGIN_MARK));
    *len = strlen(out);
    return out;
}

int rxa_sync_script(request_rec *r)
{
    const char *text;
    apr_size_t len = 0;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!(text = sync_script_text(r, &len)))
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_set_content_type(r, "text/javascript; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, len);
    if (!r->header_only)
        ap_rwrite(text, (int)len, r);
    return DONE;
}
