/* Built-in pages: self-contained HTML under a strict CSP. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <openssl/rand.h>

#include "mod_reflex_auth.h"
#include "rxa_origin.h"
#include "rxa_random.h"

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

#define PAGE_STYLE \
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;" \
    "margin:4rem auto;padding:0 1rem;color:#222}code{background:#eee;" \
    "padding:.1rem .3rem}a.button{display:block;margin:.6rem 0;padding:.7rem " \
    "1rem;border:1px solid #888;border-radius:.4rem;text-decoration:none;" \
    "color:#222}</style>"

#define PAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static void page_headers(request_rec *r)
{
    apr_table_setn(r->headers_out, "Content-Security-Policy", PAGE_CSP);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    ap_set_content_type(r, "text/html; charset=utf-8");
}

/* An administrator's template (ReflexAuthPage) for KIND, rendered with
 * VALS under a CSP that lets its own nonce-marked scripts and styles, and
 * same-origin styles and images, in. */
static int page_from_template(request_rec *r, rxa_page_kind_e kind, int status,
                              rxa_tpl_values_t *vals)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);
    char *nonce = NULL;
    const char *out;
    apr_size_t len = 0;

    rxa_random_b64url(r->pool, 16, &nonce);
    rxa_tpl_set_text(vals, RXA_TPL_CSP_NONCE, nonce);
    r->status = status;
    page_headers(r);
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool, "default-src 'none'; script-src 'nonce-",
                               nonce, "'; style-src 'self' 'nonce-", nonce,
                               "'; img-src 'self' data:; connect-src 'self'; "
                               "base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'", NULL));
    if (r->header_only)
        return DONE;
    out = rxa_template_render_string(r->pool, sc->pages[kind], vals, &len);
    if (out)
        ap_rwrite(out, (int)len, r);
    return DONE;
}

static int page_custom(request_rec *r, rxa_page_kind_e kind)
{
    return rxa_srv_conf(r->server)->pages[kind] != NULL;
}

/* The error template with one message and error id. */
static int page_error_template(request_rec *r, int status, const char *error,
                               const char *error_id, const char *provider)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    rxa_tpl_set_text(&vals, RXA_TPL_ERROR, error);
    rxa_tpl_set_text(&vals, RXA_TPL_ERROR_ID, error_id);
    rxa_tpl_set_text(&vals, RXA_TPL_PROVIDER, provider);
    return page_from_template(r, RXA_PAGE_ERROR, status, &vals);
}

static int page_begin(request_rec *r, int status, const char *title,
                      const char *head_extra);

int rxa_page_error(request_rec *r, int status, const char *title,
                   const char *message, const char *error_id)
{
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
    if (page_custom(r, RXA_PAGE_ERROR))
        return page_error_template(r, status, apr_pstrcat(r->pool, title, ": ",
                                                          message, NULL),
                                   error_id, NULL);
    if (page_begin(r, status, title, NULL))
        ap_rprintf(r, "<h1>%s</h1><p>%s</p><p>Error id: <code>%s</code></p>"
                   "</body></html>\n", ap_escape_html2(r->pool, title, 1),
                   ap_escape_html2(r->pool, message, 1),
                   ap_escape_html2(r->pool, error_id, 1));
    return DONE;
}

static const char *esc(request_rec *r, const char *s)
{
    return ap_escape_html2(r->pool, s ? s : "", 1);
}

/* The start of a page and its headers; the caller writes the body. */
static int page_begin(request_rec *r, int status, const char *title,
                      const char *head_extra)
{
    r->status = status;
    page_headers(r);
    if (r->header_only)
        return 0;
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
               "charset=\"utf-8\"><meta name=\"viewport\" content=\""
               "width=device-width, initial-scale=1\"><title>%s</title>"
               PAGE_STYLE "%s</head>\n<body>", esc(r, title),
               head_extra ? head_extra : "");
    return 1;
}

int rxa_page_login(request_rec *r, const rxa_srv_conf_t *sc,
                   const char *redirect_to)
{
    const char *buttons = "";
    int i;

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    for (i = 0; i < sc->providers->nelts; i++) {
        const rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i,
                                                const rxa_provider_t *);
        const char *href = apr_pstrcat(r->pool, sc->login_path, "?provider=",
                                       rxa_url_encode(r->pool, p->name),
                                       "&redirect_to=",
                                       rxa_url_encode(r->pool, redirect_to),
                                       NULL);
        buttons = apr_psprintf(r->pool, "%s<a class=\"button\" href=\"%s\">"
                               "Login with %s</a>\n", buttons, esc(r, href),
                               esc(r, p->display_name));
    }
    if (page_custom(r, RXA_PAGE_LOGIN)) {
        rxa_tpl_values_t vals;
        rxa_tpl_values_init(&vals);
        /* built and escaped here, so inserted as HTML */
        rxa_tpl_set_html(&vals, RXA_TPL_PROVIDERS, buttons);
        rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
        return page_from_template(r, RXA_PAGE_LOGIN, HTTP_OK, &vals);
    }
    if (page_begin(r, HTTP_OK, "Sign in", NULL))
        ap_rprintf(r, "<h1>Sign in</h1>\n%s</body></html>\n", buttons);
    return DONE;
}

/* S as a JavaScript string literal safe inside <script>: JSON, with '<'
 * escaped so no "</script>" can appear. */
static const char *js_string(request_rec *r, const char *s)
{
    json_t *j = json_string(s);
    char *dump = json_dumps(j, JSON_ENCODE_ANY);
    const char *c;
    char *out, *o;

    json_decref(j);
    if (!dump)
        return "\"/\"";
    out = o = apr_palloc(r->pool, strlen(dump) * 6 + 1);
    for (c = dump; *c; c++) {
        if (*c == '<') {
            memcpy(o, "\\u003c", 6);
            o += 6;
        }
        else
            *o++ = *c;
    }
    *o = '\0';
    free(dump);
    return out;
}

/* SPEC 4.4: a page, not a redirect, so the browser's next navigation is
 * started by our own origin and carries the SameSite=Strict cookies.
 * SPEC 5: a 4xx from the sync call means the cookies just set were not
 * stored or not sent back (blocked, dropped on the way, over a size
 * limit); going on would only lead back to the login, so the page says so,
 * with the error id the sync endpoint logged (none when httpd itself
 * refused the call, e.g. over LimitRequestFieldSize). A 5xx, or no answer
 * at all, proves nothing about the cookies: the page goes on. */
int rxa_page_callback(request_rec *r, const rxa_srv_conf_t *sc,
                      const char *redirect_to)
{
    char *nonce = NULL;

    if (page_custom(r, RXA_PAGE_CALLBACK)) {
        rxa_tpl_values_t vals;
        rxa_tpl_values_init(&vals);
        rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
        return page_from_template(r, RXA_PAGE_CALLBACK, HTTP_OK, &vals);
    }
    rxa_random_b64url(r->pool, 16, &nonce);
    r->status = HTTP_OK;
    page_headers(r);
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool, "default-src 'none'; script-src "
                               "'nonce-", nonce, "'; connect-src 'self'; "
                               "style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
                               NULL));
    if (r->header_only)
        return DONE;
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
               "charset=\"utf-8\"><title>Signing in</title>" PAGE_STYLE
               "<noscript><meta http-equiv=\"refresh\" content=\"0;url=%s\">"
               "</noscript></head>\n<body><p>Signing you in&hellip; "
               "<a href=\"%s\">Continue</a></p>\n<script nonce=\"%s\">\n"
               "(function () {\n"
               "  var to = %s;\n"
               "  function go() {\n"
               "    try { localStorage.setItem('reflex_auth_sync', "
               "JSON.stringify({t: Date.now(), s: 'in'})); } catch (e) {}\n"
               "    location.replace(to);\n"
               "  }\n"
               "  function add(parent, tag, text) {\n"
               "    var e = document.createElement(tag);\n"
               "    e.textContent = text;\n"
               "    parent.appendChild(e);\n"
               "    return e;\n"
               "  }\n"
               "  function fail(status, id) {\n"
               "    var b = document.body;\n"
               "    while (b.firstChild) b.removeChild(b.firstChild);\n"
               "    document.title = 'Sign-in could not be completed';\n"
               "    add(b, 'h1', document.title).id = 'reflex-auth-failed';\n"
               "    add(b, 'p', 'You signed in, but the sign-in cookies did "
               "not come back to this site (HTTP ' + status + '). '\n"
               "      + (status === 401 ? 'Your browser may be blocking "
               "cookies for this site: allow them and sign in again.'\n"
               "         : 'The server refused them, perhaps as too large: "
               "please tell the site\\'s administrator.'));\n"
               "    if (id) add(add(b, 'p', 'Error id: '), 'code', id);\n"
               "    var a = add(add(b, 'p', ''), 'a', 'Back to the site');\n"
               "    a.href = '/';\n"
               "    a.className = 'button';\n"
               "  }\n"
               "  fetch(%s, {method: 'POST', credentials: 'same-origin', "
               "headers: {'Accept': 'application/json'}}).then(function (r) {\n"
               "    if (r.ok || r.status >= 500) return go();\n"
               "    return r.json().then(function (j) { fail(r.status, "
               "j && j.error_id); },\n"
               "                         function () { fail(r.status); });\n"
               "  }, go);\n"
               "})();\n</script></body></html>\n",
               esc(r, redirect_to), esc(r, redirect_to), nonce,
               js_string(r, redirect_to),
               js_string(r, apr_pstrcat(r->pool, sc->sync_path,
                                        "?after=sign-in", NULL)));
    return DONE;
}

int rxa_page_expired(request_rec *r, const rxa_srv_conf_t *sc,
                     const char *error_id)
{
    if (page_custom(r, RXA_PAGE_ERROR))
        return page_error_template(r, HTTP_BAD_REQUEST, "Login expired: this "
                                   "sign-in has expired or was already used. "
                                   "Please start again.", error_id, NULL);
    if (!page_begin(r, HTTP_BAD_REQUEST, "Login expired", NULL))
        return DONE;
    ap_rprintf(r, "<h1>Login expired</h1><p>This sign-in has expired or was "
               "already used. Please start again.</p><p><a class=\"button\" "
               "href=\"%s\">Start again</a></p><p>Error id: <code>%s</code>"
               "</p></body></html>\n", esc(r, sc->login_path),
               esc(r, error_id));
    return DONE;
}

/* Text from the IdP's error response, fit to show and log: at most MAX
 * bytes (cut on a UTF-8 boundary; nothing bounds what arrives), control
 * characters as spaces (they could only garble a page or a terminal). */
static const char *idp_text(request_rec *r, const char *s, apr_size_t max)
{
    apr_size_t len;
    char *out, *c;

    if (!s)
        return NULL;
    len = strlen(s);
    if (len > max) {
        len = max;
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    out = apr_pstrmemdup(r->pool, s, len);
    for (c = out; *c; c++)
        if (apr_iscntrl((unsigned char)*c))
            *c = ' ';
    return out;
}

int rxa_page_idp_error(request_rec *r, const rxa_provider_t *p,
                       const char *error, const char *description)
{
    const char *id = rxa_error_id(r);

    error = idp_text(r, error, 128);
    description = idp_text(r, description, 512);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00070: [error id %s] "
                  "provider %s answered the login with error '%s'", id,
                  p->name, ap_escape_logitem(r->pool, error));
    if (page_custom(r, RXA_PAGE_ERROR))
        return page_error_template(r, HTTP_BAD_REQUEST,
                                   apr_pstrcat(r->pool, "The identity provider "
                                               "answered: ", error,
                                               description ? " - " : "",
                                               description ? description : "",
                                               NULL), id, p->name);
    if (!page_begin(r, HTTP_BAD_REQUEST, "Sign-in was not completed", NULL))
        return DONE;
    ap_rprintf(r, "<h1>Sign-in was not completed</h1><p>The identity "
               "provider answered: <code>%s</code></p>%s%s%s"
               "<p><a class=\"button\" href=\"/\">Back to the site</a></p>"
               "<p>Error id: <code>%s</code></p></body></html>\n",
               esc(r, error), description ? "<p>" : "",
               description ? esc(r, description) : "",
               description ? "</p>" : "", esc(r, id));
    return DONE;
}

int rxa_page_forbidden(request_rec *r, const rxa_srv_conf_t *sc)
{
    if (page_custom(r, RXA_PAGE_FORBIDDEN)) {
        rxa_tpl_values_t vals;
        rxa_tpl_values_init(&vals);
        return page_from_template(r, RXA_PAGE_FORBIDDEN, HTTP_FORBIDDEN, &vals);
    }
    if (!page_begin(r, HTTP_FORBIDDEN, "Forbidden", NULL))
        return DONE;
    ap_rprintf(r, "<h1>Forbidden</h1><p>You are signed in, but this page is "
               "not open to you.</p><p><a class=\"button\" href=\"%s\">"
               "Sign out</a></p></body></html>\n", esc(r, sc->logout_path));
    return DONE;
}

/* SPEC 9: Secure cookies would be dropped over plain http; say so rather
 * than loop through the login. */
int rxa_page_logout(request_rec *r, const char *redirect_to)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
    return page_from_template(r, RXA_PAGE_LOGOUT, HTTP_OK, &vals);
}

int rxa_page_https_required(request_rec *r)
{
    const char *id = rxa_error_id(r);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00071: [error id %s] "
                  "sign-in over plain http refused for host %s", id,
                  ap_escape_logitem(r->pool, r->hostname));
    if (page_custom(r, RXA_PAGE_ERROR))
        return page_error_template(r, HTTP_FORBIDDEN, "HTTPS is required: "
                                   "signing in here needs a secure (https) "
                                   "connection.", id, NULL);
    if (!page_begin(r, HTTP_FORBIDDEN, "HTTPS is required", NULL))
        return DONE;
    ap_rprintf(r, "<h1>HTTPS is required</h1><p>Signing in here needs a "
               "secure (https) connection: browsers drop the sign-in cookies "
               "over plain http. Open this site with https://.</p>"
               "<p>Error id: <code>%s</code></p></body></html>\n", esc(r, id));
    return DONE;
}
