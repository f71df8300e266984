/* Page templates and HTML escaping.
 *
 * Every page the module serves is a template: an administrator's
 * (ReflexAuthPage), else the built-in one of its kind (src/pages/KIND.html,
 * built into the module, a starting point for an administrator's own).
 *
 * A template is an HTML file with placeholders written {{name}}, spaces,
 * tabs and newlines allowed inside the braces ("{{ error }}"). It is
 * compiled once at start-up into literal and placeholder segments and
 * rendered per request without parsing again.
 *
 * Placeholders, and the pages where the module fills them (a placeholder
 * is allowed in every page; where the module has no value it renders
 * empty, and rxa_page_kind_vars() lets the glue warn about that):
 *   {{providers}}    login: the login buttons, HTML the module builds and
 *                    escapes itself (set with rxa_tpl_set_html).
 *   {{redirect_to}}  login, callback, logout: the sanitized local target
 *                    (rxa_redirect_to_sanitize), HTML-escaped. The
 *                    callback page must itself sync and navigate there,
 *                    in a <script nonce="{{csp_nonce}}">, decoding the
 *                    escaped value first (see the built-in callback.html).
 *   {{error}}        error (and forbidden): a short human message.
 *   {{error_id}}     error, forbidden: the id also in the error_log line.
 *   {{provider}}     callback, logout, forbidden, error: the provider name.
 *   {{csp_nonce}}    every page: the base64url nonce of this response's
 *                    Content-Security-Policy, for <script nonce="..."> and
 *                    <style nonce="...">.
 *   {{login_path}}, {{logout_path}}, {{sync_path}}
 *                    every page: the module's paths on this site, for the
 *                    error page's "start again" link, the forbidden page's
 *                    "sign out" link, the callback page's sync call.
 *
 * Escaping: every value set with rxa_tpl_set_text is escaped with
 * rxa_html_escape, which makes it safe in element content, in single- or
 * double-quoted attribute values, and inside a JavaScript string literal
 * of an inline script (where it stays entity-encoded but cannot end the
 * string or the script). It is NOT safe in an unquoted attribute value, in
 * CSS, or as a URL of the caller's choosing: quote attributes, and the
 * module only ever supplies an already sanitized redirect_to.
 * Only the caller decides that a value is HTML (rxa_tpl_set_html); the
 * template syntax has no unescaped form, so a template cannot turn a value
 * raw.
 *
 * Not allowed (start-up error naming the line): an unknown or empty
 * placeholder, "{{" not followed by a name and "}}", a NUL byte, an empty
 * template, and more than RXA_TEMPLATE_MAX_LEN bytes. A literal "{{" cannot
 * appear in a page: write "{ {" in scripts or "&#123;&#123;" in HTML. A
 * lone "{", "}" or "}}" is literal text.
 */
#ifndef RXA_TEMPLATE_H
#define RXA_TEMPLATE_H

#include <apr_errno.h>
#include <apr_pools.h>

/* Largest template accepted: a page, not a site. */
#define RXA_TEMPLATE_MAX_LEN (256 * 1024)

/* The placeholders. */
typedef enum {
    RXA_TPL_PROVIDERS = 0,
    RXA_TPL_REDIRECT_TO,
    RXA_TPL_ERROR,
    RXA_TPL_ERROR_ID,
    RXA_TPL_PROVIDER,
    RXA_TPL_CSP_NONCE,
    RXA_TPL_LOGIN_PATH,
    RXA_TPL_LOGOUT_PATH,
    RXA_TPL_SYNC_PATH,
    RXA_TPL_NVARS
} rxa_tpl_var_e;

/* The pages a ReflexAuthPage line can replace. */
typedef enum {
    RXA_PAGE_LOGIN = 0,
    RXA_PAGE_CALLBACK,
    RXA_PAGE_LOGOUT,
    RXA_PAGE_FORBIDDEN,
    RXA_PAGE_ERROR,
    RXA_PAGE_NKINDS
} rxa_page_kind_e;

/* Bit of a placeholder in the masks below. */
#define RXA_TPL_BIT(var) (1u << (var))

/* The placeholder's name as written in a template ("redirect_to"). */
const char *rxa_tpl_var_name(rxa_tpl_var_e var);

/* The page kind named NAME ("login", ... "error", ASCII case-insensitive,
 * as on the directive line), or -1. */
int rxa_page_kind_parse(const char *name);
const char *rxa_page_kind_name(rxa_page_kind_e kind);

/* RXA_TPL_BITs of the placeholders the module fills on pages of KIND (see
 * the table above); the others render empty there. */
unsigned rxa_page_kind_vars(rxa_page_kind_e kind);

/* A compiled template: immutable, shareable between threads. */
typedef struct rxa_template_t rxa_template_t;

/* Compile LEN bytes of SRC (no NUL needed; the bytes are copied). NAME
 * (usually the file path) only appears in error messages. On failure
 * returns APR_EINVAL and *ERR is a tagged message naming NAME and the line
 * (1-based) of the problem. */
apr_status_t rxa_template_compile(apr_pool_t *pool, const char *src,
                                  apr_size_t len, const char *name,
                                  rxa_template_t **tpl, const char **err);

/* Read PATH and compile it. An unreadable file returns its APR status,
 * one over RXA_TEMPLATE_MAX_LEN APR_EINVAL, both with a tagged *ERR. */
apr_status_t rxa_template_load(apr_pool_t *pool, const char *path,
                               rxa_template_t **tpl, const char **err);

/* Compile the built-in template of KIND (named "built-in KIND.html" in
 * errors). Fails only for a KIND out of range, or if the file built in
 * were not a valid template (a unit test compiles each). */
apr_status_t rxa_template_builtin(apr_pool_t *pool, rxa_page_kind_e kind,
                                  rxa_template_t **tpl, const char **err);

/* RXA_TPL_BITs of the placeholders TPL uses (the glue can skip building a
 * value nobody renders, or warn about one that will stay empty). */
unsigned rxa_template_vars(const rxa_template_t *tpl);

/* The NAME given at compile time. */
const char *rxa_template_name(const rxa_template_t *tpl);

/* One request's values. Initialise with rxa_tpl_values_init (all empty),
 * then set each value either as text (escaped when rendered) or as HTML
 * the caller has built and escaped itself (inserted as is). The strings
 * are not copied: they must live until rendering is done. */
typedef struct {
    const char *value[RXA_TPL_NVARS];
    unsigned html;   /* RXA_TPL_BITs of values inserted without escaping */
} rxa_tpl_values_t;

void rxa_tpl_values_init(rxa_tpl_values_t *vals);

/* Plain text, escaped with rxa_html_escape; NULL renders empty. */
void rxa_tpl_set_text(rxa_tpl_values_t *vals, rxa_tpl_var_e var,
                      const char *text);

/* Trusted HTML, inserted unchanged: only for markup the module made (the
 * {{providers}} buttons), never for anything a request or IdP supplied
 * without escaping it first. */
void rxa_tpl_set_html(rxa_tpl_values_t *vals, rxa_tpl_var_e var,
                      const char *html);

/* Receives the rendered page piece by piece (e.g. ap_rwrite in the glue).
 * Anything but APR_SUCCESS stops rendering and is returned. */
typedef apr_status_t rxa_tpl_write_fn(void *baton, const char *data,
                                      apr_size_t len);

apr_status_t rxa_template_render(const rxa_template_t *tpl,
                                 const rxa_tpl_values_t *vals,
                                 rxa_tpl_write_fn *write, void *baton);

/* The whole page as one NUL-terminated pool string (one allocation of the
 * exact size); its length in *LEN when LEN is given. */
const char *rxa_template_render_string(apr_pool_t *pool,
                                       const rxa_template_t *tpl,
                                       const rxa_tpl_values_t *vals,
                                       apr_size_t *len);

/* S with & < > " ' ` \ replaced by character references (&amp; &lt; &gt;
 * &quot; &#39; &#96; &#92;), safe in element content and quoted attribute
 * values (see above). Returns S itself when nothing needs escaping, "" for
 * NULL. */
const char *rxa_html_escape(apr_pool_t *pool, const char *s);

#endif
