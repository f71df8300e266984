/* Built-in pages: self-contained HTML under a strict CSP. */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <openssl/rand.h>

#include "mod_reflex_auth.h"

/* Short random id shown on an error page and written in the matching
 * error_log line, so a user's screenshot leads to the log entry. */
const char *rxa_error_id(request_rec *r)
{
    unsigned char raw[6];
    char *hex = apr_palloc(r->pool, sizeof(raw) * 2 + 1);

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        apr_generate_random_bytes(raw, sizeof(raw));
    ap_bin2hex(raw, sizeof(raw), hex);
    return hex;
}

static void page_headers(request_rec *r)
{
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; "
                   "base-uri 'none'; form-action 'self'; "
                   "frame-ancestors 'none'");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    ap_set_content_type(r, "text/html; charset=utf-8");
}

int rxa_page_error(request_rec *r, int status, const char *title,
                   const char *message, const char *error_id)
{
    const char *t = ap_escape_html2(r->pool, title, 1);

    r->status = status;
    page_headers(r);
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(r->headers_out, "Retry-After", "10");
    if (r->header_only)
        return DONE;
    ap_rprintf(r,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>%s</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}"
        "code{background:#eee;padding:.1rem .3rem}</style></head>\n"
        "<body><h1>%s</h1><p>%s</p><p>Error id: <code>%s</code></p>"
        "</body></html>\n", t, t, ap_escape_html2(r->pool, message, 1),
        ap_escape_html2(r->pool, error_id, 1));
    return DONE;
}
