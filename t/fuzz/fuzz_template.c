/* Fuzz target: page template compiler and renderer (rxa_template.h).
 *
 * Input: the template, then optionally a NUL byte and the text every value
 * is set to (a fixed hostile value when there is none). Checks: a refused
 * template gets a tagged error; a compiled one renders the same through
 * both paths, each value appears escaped exactly once per use (so values
 * add no markup character at all), and a template without placeholders
 * renders as itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len, cap;
} sink_t;

static apr_status_t sink_write(void *baton, const char *d, apr_size_t len)
{
    sink_t *s = baton;

    if (len == 0)
        abort();   /* the renderer never writes nothing */
    if (s->len + len > s->cap) {
        apr_size_t cap = (s->len + len) * 2;
        char *nb = apr_palloc(s->pool, cap);
        if (s->len)
            memcpy(nb, s->buf, s->len);
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, d, len);
    s->len += len;
    return APR_SUCCESS;
}

/* The checks below scan every output; comparisons of output bytes tell
 * the fuzzer nothing about the code under test, so they are left out of
 * its coverage tracing (which, there, cost most of each execution). */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define NMARKUP 6   /* < > " ' ` \ */

/* How often each markup character occurs in s, in one pass. */
NO_COVERAGE
static void count_markup(const char *s, apr_size_t len,
                         apr_size_t counts[NMARKUP])
{
    apr_size_t i;

    memset(counts, 0, NMARKUP * sizeof(*counts));
    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '<':  counts[0]++; break;
        case '>':  counts[1]++; break;
        case '"':  counts[2]++; break;
        case '\'': counts[3]++; break;
        case '`':  counts[4]++; break;
        case '\\': counts[5]++; break;
        default:   break;
        }
    }
}

static void check_escape(apr_pool_t *p, const char *v)
{
    const char *e = rxa_html_escape(p, v);

    if (strpbrk(e, "<>\"'`\\"))
        abort();
    if (!strpbrk(v, "&<>\"'`\\") && e != v)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    const char *src = (const char *)data, *err = NULL, *value, *out0, *out;
    const char *esc;
    apr_size_t tlen, len0, len, uses[RXA_TPL_NVARS], total_uses = 0, i;
    apr_size_t markup0[NMARKUP], markup[NMARKUP];
    const uint8_t *nul;
    rxa_template_t *t = NULL;
    rxa_tpl_values_t v;
    sink_t sink;
    apr_status_t rv;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);

    nul = memchr(data, 0, size);
    tlen = nul ? (apr_size_t)(nul - data) : size;
    value = nul ? apr_pstrmemdup(p, (const char *)nul + 1,
                                 size - tlen - 1)
                : "<script>alert(\"x\")</script>'`\\&amp;{{error}}";
    check_escape(p, value);

    rv = rxa_template_compile(p, src, tlen, "fuzz", &t, &err);
    if (rv != APR_SUCCESS) {
        if (rv != APR_EINVAL || t || !err || strncmp(err, "RXA0600", 7))
            abort();
        apr_pool_destroy(p);
        return 0;
    }
    if (!t || err)
        abort();

    rxa_tpl_values_init(&v);
    out0 = rxa_template_render_string(p, t, &v, &len0);
    if (strlen(out0) != len0)
        abort();
    if (rxa_template_vars(t) == 0 && (len0 != tlen || memcmp(out0, src, tlen)))
        abort();

    /* How often each placeholder is used: a one-byte value adds one byte
     * per use. */
    for (i = 0; i < RXA_TPL_NVARS; i++) {
        rxa_tpl_values_init(&v);
        rxa_tpl_set_text(&v, (rxa_tpl_var_e)i, "X");
        rxa_template_render_string(p, t, &v, &len);
        uses[i] = len - len0;
        total_uses += uses[i];
        if (!uses[i] != !(rxa_template_vars(t) & RXA_TPL_BIT(i)))
            abort();
    }

    /* Every value hostile and escaped. */
    rxa_tpl_values_init(&v);
    for (i = 0; i < RXA_TPL_NVARS; i++)
        rxa_tpl_set_text(&v, (rxa_tpl_var_e)i, value);
    out = rxa_template_render_string(p, t, &v, &len);
    esc = rxa_html_escape(p, value);
    if (strlen(out) != len || len != len0 + total_uses * strlen(esc))
        abort();
    count_markup(out0, len0, markup0);
    count_markup(out, len, markup);
    if (memcmp(markup, markup0, sizeof(markup)))
        abort();
    memset(&sink, 0, sizeof(sink));
    sink.pool = p;
    if (rxa_template_render(t, &v, sink_write, &sink) != APR_SUCCESS
        || sink.len != len || (len && memcmp(sink.buf, out, len)))
        abort();

    /* The caller's HTML goes in unchanged, and only where it was set. */
    rxa_tpl_set_html(&v, RXA_TPL_PROVIDERS, "<b>");
    out = rxa_template_render_string(p, t, &v, &len);
    count_markup(out, len, markup);
    if (markup[0] != markup0[0] + uses[RXA_TPL_PROVIDERS])
        abort();

    apr_pool_destroy(p);
    return 0;
}
