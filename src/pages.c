/* The module's pages: each a template (an administrator's ReflexAuthPage,
 * else the built-in one from src/pages/), rendered by rxa_template and
 * sent under the one Content-Security-Policy of rxa_csp. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <openssl/rand.h>

#include "mod_reflex_auth.h"
#include "rxa_csp.h"
#include "rxa_query.h"

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

/* A fresh nonce and the policy naming it, or 0 when the random generator
 * failed: then no page may go out (its scripts would run under an empty
 * or guessable nonce) and the caller answers a plain 500. */
static int page_csp(request_rec *r, rxa_csp_t *csp)
{
    apr_status_t rv = rxa_csp_make(r->pool, rxa_random_openssl, NULL, csp);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, rv, r, "RXA00180: the random "
                      "generator failed: no page without its CSP nonce");
        return 0;
    }
    return 1;
}

/* The built-in templates, compiled once per configuration (post_config),
 * shared read-only by every server and request. */
static rxa_template_t *builtin_pages[RXA_PAGE_NKINDS];

int rxa_pages_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    const char *err = NULL;
    apr_status_t rv;
    int k;

    for (k = 0; k < RXA_PAGE_NKINDS; k++) {
        if ((rv = rxa_template_builtin(pconf, (rxa_page_kind_e)k,
                                       &builtin_pages[k], &err))) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                         "RXA00181: the built-in %s page cannot be used: %s",
                         rxa_page_kind_name((rxa_page_kind_e)k), err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

/* The template of KIND: the administrator's, else the built-in one. */
static const rxa_template_t *page_template(request_rec *r,
                                           rxa_page_kind_e kind)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);

    return sc->pages[kind] ? sc->pages[kind] : builtin_pages[kind];
}

/* Send the page of KIND with STATUS and VALS, plus the values every page
 * gets (nonce, the module's paths). */
static int page_send(request_rec *r, rxa_page_kind_e kind, int status,
                     rxa_tpl_values_t *vals)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);
    const rxa_template_t *tpl;
    rxa_csp_t csp;
    const char *out;
    apr_size_t len = 0;

    if (!page_csp(r, &csp) || !(tpl = page_template(r, kind)))
        return HTTP_INTERNAL_SERVER_ERROR;
    rxa_tpl_set_text(vals, RXA_TPL_CSP_NONCE, csp.nonce);
    rxa_tpl_set_text(vals, RXA_TPL_LOGIN_PATH, sc->login_path);
    rxa_tpl_set_text(vals, RXA_TPL_LOGOUT_PATH, sc->logout_path);
    rxa_tpl_set_text(vals, RXA_TPL_SYNC_PATH, sc->sync_path);
    r->status = status;
    apr_table_setn(r->headers_out, "Content-Security-Policy", csp.policy);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    ap_set_content_type(r, "text/html; charset=utf-8");
    if (r->header_only)
        return DONE;
    out = rxa_template_render_string(r->pool, tpl, vals, &len);
    ap_rwrite(out, (int)len, r);
    return DONE;
}

/* The error page: ERROR is a short message that starts with what went
 * wrong ("Login expired: ..."); ERROR_ID also stands in the log line. */
static int page_error(request_rec *r, int status, const char *error,
                      const char *error_id, const char *provider)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    rxa_tpl_set_text(&vals, RXA_TPL_ERROR, error);
    rxa_tpl_set_text(&vals, RXA_TPL_ERROR_ID, error_id);
    rxa_tpl_set_text(&vals, RXA_TPL_PROVIDER, provider);
    return page_send(r, RXA_PAGE_ERROR, status, &vals);
}

int rxa_page_error(request_rec *r, int status, const char *title,
                   const char *message, const char *error_id)
{
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
    return page_error(r, status, apr_pstrcat(r->pool, title, ": ", message,
                                             NULL), error_id, NULL);
}

int rxa_page_login(request_rec *r, const rxa_srv_conf_t *sc,
                   const char *redirect_to)
{
    const char *buttons = "";
    rxa_tpl_values_t vals;
    int i;

    for (i = 0; i < sc->providers->nelts; i++) {
        const rxa_provider_t *p = APR_ARRAY_IDX(sc->providers, i,
                                                const rxa_provider_t *);
        const char *href = apr_pstrcat(r->pool, sc->login_path, "?provider=",
                                       rxa_url_encode(r->pool, p->name),
                                       "&redirect_to=",
                                       rxa_url_encode(r->pool, redirect_to),
                                       NULL);
        buttons = apr_pstrcat(r->pool, buttons, "<a class=\"button\" href=\"",
                              rxa_html_escape(r->pool, href), "\">Login with ",
                              rxa_html_escape(r->pool, p->display_name),
                              "</a>\n", NULL);
    }
    rxa_tpl_values_init(&vals);
    /* built and escaped here, so inserted as HTML */
    rxa_tpl_set_html(&vals, RXA_TPL_PROVIDERS, buttons);
    rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
    return page_send(r, RXA_PAGE_LOGIN, HTTP_OK, &vals);
}

/* A page, not a redirect, so the browser's next navigation is started by
 * our own origin and carries the SameSite=Strict cookies; the page calls
 * the sync path first and says so when the cookies did not come back. */
int rxa_page_callback(request_rec *r, const rxa_srv_conf_t *sc,
                      const char *redirect_to)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
    return page_send(r, RXA_PAGE_CALLBACK, HTTP_OK, &vals);
}

int rxa_page_expired(request_rec *r, const rxa_srv_conf_t *sc,
                     const char *error_id)
{
    return page_error(r, HTTP_BAD_REQUEST, "Login expired: this sign-in has "
                      "expired or was already used. Please start again.",
                      error_id, NULL);
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
    return page_error(r, HTTP_BAD_REQUEST,
                      apr_pstrcat(r->pool, "Sign-in was not completed: the "
                                  "identity provider answered: ", error,
                                  description ? " - " : "",
                                  description ? description : "", NULL),
                      id, p->name);
}

int rxa_page_forbidden(request_rec *r, const rxa_srv_conf_t *sc)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    return page_send(r, RXA_PAGE_FORBIDDEN, HTTP_FORBIDDEN, &vals);
}

int rxa_page_logout(request_rec *r, const char *redirect_to)
{
    rxa_tpl_values_t vals;

    rxa_tpl_values_init(&vals);
    rxa_tpl_set_text(&vals, RXA_TPL_REDIRECT_TO, redirect_to);
    return page_send(r, RXA_PAGE_LOGOUT, HTTP_OK, &vals);
}

/* Secure cookies would be dropped over plain http; say so rather than
 * loop through the login. */
int rxa_page_https_required(request_rec *r)
{
    const char *id = rxa_error_id(r);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00071: [error id %s] "
                  "sign-in over plain http refused for host %s", id,
                  ap_escape_logitem(r->pool, r->hostname));
    return page_error(r, HTTP_FORBIDDEN, "HTTPS is required: signing in here "
                      "needs a secure (https) connection, as browsers drop "
                      "the sign-in cookies over plain http. Open this site "
                      "with https://.", id, NULL);
}
