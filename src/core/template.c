/* Page templates and HTML escaping: see rxa_template.h. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_embedded.h"
#include "rxa_template.h"

/* A placeholder name longer than this is quoted cut short in errors. */
#define NAME_QUOTE_MAX 32

/* One piece of a compiled template: literal bytes, or a placeholder. */
typedef struct {
    const char *lit;     /* literal bytes (into the template's copy) */
    apr_size_t len;      /* their length; 0 for a placeholder */
    int var;             /* rxa_tpl_var_e, or -1 for a literal */
} segment_t;

struct rxa_template_t {
    const char *name;
    segment_t *segs;
    int nsegs;
    apr_size_t lit_len;  /* all literals together */
    unsigned vars;
};

static const char *const var_names[RXA_TPL_NVARS] = {
    "providers", "redirect_to", "error", "error_id", "provider", "csp_nonce",
    "login_path", "logout_path", "sync_path"
};

static const char *const kind_names[RXA_PAGE_NKINDS] = {
    "login", "callback", "logout", "forbidden", "error"
};

#define B(v) RXA_TPL_BIT(RXA_TPL_##v)
/* filled on every page */
#define ALL (B(CSP_NONCE) | B(LOGIN_PATH) | B(LOGOUT_PATH) | B(SYNC_PATH))
static const unsigned kind_vars[RXA_PAGE_NKINDS] = {
    /* login */     B(PROVIDERS) | B(REDIRECT_TO) | ALL,
    /* callback */  B(REDIRECT_TO) | B(PROVIDER) | ALL,
    /* logout */    B(REDIRECT_TO) | B(PROVIDER) | ALL,
    /* forbidden */ B(ERROR) | B(ERROR_ID) | B(PROVIDER) | ALL,
    /* error */     B(ERROR) | B(ERROR_ID) | B(PROVIDER) | ALL
};
#undef ALL
#undef B

const char *rxa_tpl_var_name(rxa_tpl_var_e var)
{
    return (unsigned)var < RXA_TPL_NVARS ? var_names[var] : NULL;
}

int rxa_page_kind_parse(const char *name)
{
    int i;

    for (i = 0; name && i < RXA_PAGE_NKINDS; i++) {
        if (!strcasecmp(name, kind_names[i]))
            return i;
    }
    return -1;
}

const char *rxa_page_kind_name(rxa_page_kind_e kind)
{
    return (unsigned)kind < RXA_PAGE_NKINDS ? kind_names[kind] : NULL;
}

unsigned rxa_page_kind_vars(rxa_page_kind_e kind)
{
    return (unsigned)kind < RXA_PAGE_NKINDS ? kind_vars[kind] : 0;
}

/* ---- escaping ----------------------------------------------------------- */

/* The replacement of each byte that needs one, NULL for the others. The
 * backslash and backtick matter inside inline-script string literals and
 * for old browsers' attribute parsing; they cost nothing elsewhere. */
static const char *esc_of(unsigned char c)
{
    switch (c) {
    case '&':  return "&amp;";
    case '<':  return "&lt;";
    case '>':  return "&gt;";
    case '"':  return "&quot;";
    case '\'': return "&#39;";
    case '`':  return "&#96;";
    case '\\': return "&#92;";
    default:   return NULL;
    }
}

/* One table lookup per byte on the render path: length of the escaped
 * form, 0 for bytes copied as they are. */
static const unsigned char esc_len[256] = {
    ['&'] = 5, ['<'] = 4, ['>'] = 4, ['"'] = 6, ['\''] = 5, ['`'] = 5,
    ['\\'] = 5
};

static apr_size_t escaped_len(const char *s)
{
    apr_size_t n = 0;
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p; p++)
        n += esc_len[*p] ? esc_len[*p] : 1;
    return n;
}

/* Copy S escaped into OUT (room for escaped_len(S) bytes); returns the
 * end. */
static char *escape_into(char *out, const char *s)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p; p++) {
        if (esc_len[*p]) {
            memcpy(out, esc_of(*p), esc_len[*p]);
            out += esc_len[*p];
        }
        else {
            *out++ = (char)*p;
        }
    }
    return out;
}

const char *rxa_html_escape(apr_pool_t *pool, const char *s)
{
    apr_size_t n;
    char *out, *end;

    if (!s)
        return "";
    n = escaped_len(s);
    if (n == strlen(s))
        return s;
    out = apr_palloc(pool, n + 1);
    end = escape_into(out, s);
    *end = '\0';
    return out;
}

/* Write S escaped: runs of plain bytes in one call each. */
static apr_status_t write_escaped(const char *s, rxa_tpl_write_fn *write,
                                  void *baton)
{
    const char *run = s, *p;
    apr_status_t rv;

    for (p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!esc_len[c])
            continue;
        if (p > run && (rv = write(baton, run, (apr_size_t)(p - run))))
            return rv;
        if ((rv = write(baton, esc_of(c), esc_len[c])))
            return rv;
        run = p + 1;
    }
    return p > run ? write(baton, run, (apr_size_t)(p - run)) : APR_SUCCESS;
}

/* ---- compiling ---------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters of a would-be placeholder name, known or not: enough to
 * quote it back in an error, nothing that needs escaping in a log. */
static int is_name_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '-' || c == '.';
}

static int var_lookup(const char *name, apr_size_t len)
{
    int i;

    for (i = 0; i < RXA_TPL_NVARS; i++) {
        if (strlen(var_names[i]) == len && !memcmp(var_names[i], name, len))
            return i;
    }
    return -1;
}

static void add_segment(apr_array_header_t *segs, const char *lit,
                        apr_size_t len, int var)
{
    segment_t *s = apr_array_push(segs);

    s->lit = lit;
    s->len = len;
    s->var = var;
}

static apr_size_t count_lines(const char *s, apr_size_t len)
{
    apr_size_t n = 0;
    const char *end = s + len, *nl;

    while (s < end && (nl = memchr(s, '\n', (apr_size_t)(end - s)))) {
        n++;
        s = nl + 1;
    }
    return n;
}

/* Whether "}}" occurs in the LEN bytes at S. */
static int closes_later(const char *s, apr_size_t len)
{
    const char *end = s + len, *c;

    while (s + 1 < end && (c = memchr(s, '}', (apr_size_t)(end - s - 1)))) {
        if (c[1] == '}')
            return 1;
        s = c + 1;
    }
    return 0;
}

/* Parse the placeholder whose "{{" is at SRC[*POS]; on success *POS is
 * past its "}}" and the variable is returned, else -1 with *ERR set.
 * *LINE is the line of the "{{" and moves past newlines inside. */
static int parse_placeholder(apr_pool_t *pool, const char *src,
                             apr_size_t len, apr_size_t *pos,
                             apr_size_t *line, const char *name,
                             const char **err)
{
    apr_size_t i = *pos + 2, start, nlen, at = *line;
    int var;

    while (i < len && is_space(src[i]))
        (*line) += src[i++] == '\n';
    start = i;
    while (i < len && is_name_char(src[i]))
        i++;
    nlen = i - start;
    while (i < len && is_space(src[i]))
        (*line) += src[i++] == '\n';
    if (!closes_later(src + i, len - i)) {
        *err = apr_psprintf(pool, "RXA06001: page template %s line %"
                            APR_SIZE_T_FMT ": '{{' is not closed by '}}'",
                            name, at);
        return -1;
    }
    if (src[i] != '}' || src[i + 1] != '}') {
        *err = apr_psprintf(pool, "RXA06002: page template %s line %"
                            APR_SIZE_T_FMT ": '{{' must be followed by a "
                            "placeholder name and '}}' (a literal '{{' "
                            "cannot appear in a page)", name, at);
        return -1;
    }
    if (nlen == 0) {
        *err = apr_psprintf(pool, "RXA06003: page template %s line %"
                            APR_SIZE_T_FMT ": empty placeholder '{{}}'",
                            name, at);
        return -1;
    }
    if ((var = var_lookup(src + start, nlen)) < 0) {
        *err = apr_psprintf(pool, "RXA06004: page template %s line %"
                            APR_SIZE_T_FMT ": unknown placeholder {{%.*s%s}}"
                            " (known: providers, redirect_to, error, "
                            "error_id, provider, csp_nonce, login_path, "
                            "logout_path, sync_path)", name, at,
                            (int)(nlen > NAME_QUOTE_MAX ? NAME_QUOTE_MAX
                                  : nlen), src + start,
                            nlen > NAME_QUOTE_MAX ? "..." : "");
        return -1;
    }
    *pos = i + 2;
    return var;
}

apr_status_t rxa_template_compile(apr_pool_t *pool, const char *src,
                                  apr_size_t len, const char *name,
                                  rxa_template_t **tpl, const char **err)
{
    rxa_template_t *t;
    apr_array_header_t *segs;
    const char *copy, *nul;
    /* LINE is the line number at offset COUNTED */
    apr_size_t pos = 0, lit_start = 0, counted = 0, line = 1;
    const char *dummy;

    if (!err)
        err = &dummy;
    *err = NULL;
    *tpl = NULL;
    if (!name)
        name = "(unnamed)";
    if (!src || len == 0) {
        *err = apr_psprintf(pool, "RXA06005: page template %s is empty",
                            name);
        return APR_EINVAL;
    }
    if (len > RXA_TEMPLATE_MAX_LEN) {
        *err = apr_psprintf(pool, "RXA06006: page template %s is larger "
                            "than %d bytes", name, RXA_TEMPLATE_MAX_LEN);
        return APR_EINVAL;
    }
    if ((nul = memchr(src, '\0', len))) {
        *err = apr_psprintf(pool, "RXA06007: page template %s line %"
                            APR_SIZE_T_FMT ": NUL byte (not a text file?)",
                            name, 1 + count_lines(src, (apr_size_t)(nul - src)));
        return APR_EINVAL;
    }

    copy = apr_pstrmemdup(pool, src, len);
    segs = apr_array_make(pool, 16, sizeof(segment_t));
    t = apr_pcalloc(pool, sizeof(*t));
    t->name = apr_pstrdup(pool, name);

    while (pos + 1 < len) {
        const char *brace = memchr(copy + pos, '{', len - pos - 1);
        apr_size_t at;
        int var;

        if (!brace)
            break;
        at = (apr_size_t)(brace - copy);
        if (copy[at + 1] != '{') {
            pos = at + 1;
            continue;
        }
        line += count_lines(copy + counted, at - counted);
        if (at > lit_start) {
            add_segment(segs, copy + lit_start, at - lit_start, -1);
            t->lit_len += at - lit_start;
        }
        pos = at;
        if ((var = parse_placeholder(pool, copy, len, &pos, &line, name,
                                     err)) < 0)
            return APR_EINVAL;
        add_segment(segs, NULL, 0, var);
        t->vars |= RXA_TPL_BIT(var);
        lit_start = counted = pos;
    }
    if (len > lit_start) {
        add_segment(segs, copy + lit_start, len - lit_start, -1);
        t->lit_len += len - lit_start;
    }
    t->segs = (segment_t *)segs->elts;
    t->nsegs = segs->nelts;
    *tpl = t;
    return APR_SUCCESS;
}

apr_status_t rxa_template_load(apr_pool_t *pool, const char *path,
                               rxa_template_t **tpl, const char **err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n = 0;
    char *buf;
    const char *dummy;

    if (!err)
        err = &dummy;
    *tpl = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, pool);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(pool, "RXA06008: cannot open page template %s",
                            path);
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        apr_file_close(f);
        *err = apr_psprintf(pool, "RXA06009: page template %s is not a "
                            "regular file", path);
        return APR_EINVAL;
    }
    if (rv == APR_SUCCESS && fi.size > RXA_TEMPLATE_MAX_LEN) {
        apr_file_close(f);
        *err = apr_psprintf(pool, "RXA06010: page template %s is larger "
                            "than %d bytes", path, RXA_TEMPLATE_MAX_LEN);
        return APR_EINVAL;
    }
    /* One byte more than allowed, so a file that grew since the stat is
     * still caught by rxa_template_compile. */
    buf = apr_palloc(pool, RXA_TEMPLATE_MAX_LEN + 1);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, buf, RXA_TEMPLATE_MAX_LEN + 1, &n);
        if (rv == APR_EOF)
            rv = APR_SUCCESS;
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(pool, "RXA06011: cannot read page template %s",
                            path);
        return rv;
    }
    return rxa_template_compile(pool, buf, n, path, tpl, err);
}

apr_status_t rxa_template_builtin(apr_pool_t *pool, rxa_page_kind_e kind,
                                  rxa_template_t **tpl, const char **err)
{
    const char *name = rxa_page_kind_name(kind), *src;
    apr_size_t len = 0;

    *tpl = NULL;
    if (!name || !(src = rxa_embedded_file(apr_pstrcat(pool, name, ".html",
                                                       NULL), &len))) {
        if (err)
            *err = apr_psprintf(pool, "RXA00182: no built-in page of kind "
                                "%d", (int)kind);
        return APR_EINVAL;
    }
    return rxa_template_compile(pool, src, len, apr_pstrcat(pool, "built-in ",
                                name, ".html", NULL), tpl, err);
}

unsigned rxa_template_vars(const rxa_template_t *tpl)
{
    return tpl->vars;
}

const char *rxa_template_name(const rxa_template_t *tpl)
{
    return tpl->name;
}

/* ---- rendering ---------------------------------------------------------- */

void rxa_tpl_values_init(rxa_tpl_values_t *vals)
{
    memset(vals, 0, sizeof(*vals));
}

void rxa_tpl_set_text(rxa_tpl_values_t *vals, rxa_tpl_var_e var,
                      const char *text)
{
    if ((unsigned)var >= RXA_TPL_NVARS)
        return;
    vals->value[var] = text;
    vals->html &= ~RXA_TPL_BIT(var);
}

void rxa_tpl_set_html(rxa_tpl_values_t *vals, rxa_tpl_var_e var,
                      const char *html)
{
    if ((unsigned)var >= RXA_TPL_NVARS)
        return;
    vals->value[var] = html;
    vals->html |= RXA_TPL_BIT(var);
}

static int is_html(const rxa_tpl_values_t *vals, int var)
{
    return (vals->html & RXA_TPL_BIT(var)) != 0;
}

apr_status_t rxa_template_render(const rxa_template_t *tpl,
                                 const rxa_tpl_values_t *vals,
                                 rxa_tpl_write_fn *write, void *baton)
{
    int i;
    apr_status_t rv;

    for (i = 0; i < tpl->nsegs; i++) {
        const segment_t *s = &tpl->segs[i];
        const char *v;

        if (s->var < 0) {
            rv = write(baton, s->lit, s->len);
        }
        else {
            if (!(v = vals->value[s->var]) || !*v)
                continue;
            rv = is_html(vals, s->var) ? write(baton, v, strlen(v))
                                       : write_escaped(v, write, baton);
        }
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

const char *rxa_template_render_string(apr_pool_t *pool,
                                       const rxa_template_t *tpl,
                                       const rxa_tpl_values_t *vals,
                                       apr_size_t *len)
{
    apr_size_t vlen[RXA_TPL_NVARS], total = tpl->lit_len;
    char *out, *o;
    int i;

    /* Each value's output length once, however often it is used. */
    for (i = 0; i < RXA_TPL_NVARS; i++) {
        const char *v = vals->value[i];
        vlen[i] = !v || !(tpl->vars & RXA_TPL_BIT(i)) ? 0
                  : is_html(vals, i) ? strlen(v) : escaped_len(v);
    }
    for (i = 0; i < tpl->nsegs; i++) {
        if (tpl->segs[i].var >= 0)
            total += vlen[tpl->segs[i].var];
    }
    o = out = apr_palloc(pool, total + 1);
    for (i = 0; i < tpl->nsegs; i++) {
        const segment_t *s = &tpl->segs[i];
        if (s->var < 0) {
            memcpy(o, s->lit, s->len);
            o += s->len;
        }
        else if (vlen[s->var]) {
            if (is_html(vals, s->var)) {
                memcpy(o, vals->value[s->var], vlen[s->var]);
                o += vlen[s->var];
            }
            else {
                o = escape_into(o, vals->value[s->var]);
            }
        }
    }
    *o = '\0';
    if (len)
        *len = total;
    return out;
}
