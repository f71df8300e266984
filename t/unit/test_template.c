/* Unit tests: page templates and HTML escaping (rxa_template.h). */
#include "rxa_test.h"
#include "rxa_template.h"

/* Every character the escaper must handle, in one hostile value. */
#define EVIL "<script>alert(\"x\" + 'y' + `z`)</script>\\&amp;"
#define EVIL_ESC "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39; + " \
    "&#96;z&#96;)&lt;/script&gt;&#92;&amp;amp;"

static rxa_template_t *compile_ok(const char *src)
{
    rxa_template_t *t = NULL;
    const char *err = NULL;
    apr_status_t rv = rxa_template_compile(rxa_test_pool, src, strlen(src),
                                           "t.html", &t, &err);

    ck_assert_msg(rv == APR_SUCCESS, "compile failed: %s", err);
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* The compile error of SRC (LEN bytes), which must fail. */
static const char *compile_err(const char *src, apr_size_t len)
{
    rxa_template_t *t = (rxa_template_t *)1;
    const char *err = NULL;
    apr_status_t rv = rxa_template_compile(rxa_test_pool, src, len, "t.html",
                                           &t, &err);

    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(!strncmp(err, "RXA06", 5), "untagged: %s", err);
    ck_assert_msg(strstr(err, "t.html") != NULL, "no name: %s", err);
    return err;
}

/* Literals may hold NULs: their size, not strlen. */
#define CERR(lit) compile_err((lit), sizeof(lit) - 1)

#define ck_err_has(err, s) \
    ck_assert_msg(strstr((err), (s)) != NULL, "'%s' not in: %s", (s), (err))

/* Collects writer output; fails after FAIL_AFTER calls when set. */
typedef struct {
    apr_pool_t *pool;
    const char *buf;
    apr_size_t len;
    int calls;
    int fail_after;
} sink_t;

static apr_status_t sink_write(void *baton, const char *data, apr_size_t len)
{
    sink_t *s = baton;
    char *nb;

    if (s->fail_after && s->calls >= s->fail_after)
        return APR_EGENERAL;
    s->calls++;
    ck_assert_uint_gt(len, 0);
    nb = apr_palloc(s->pool, s->len + len + 1);
    memcpy(nb, s->buf, s->len);
    memcpy(nb + s->len, data, len);
    s->len += len;
    nb[s->len] = '\0';
    s->buf = nb;
    return APR_SUCCESS;
}

/* Render both ways; they must agree. */
static const char *render(const rxa_template_t *t, const rxa_tpl_values_t *v)
{
    sink_t s = { rxa_test_pool, "", 0, 0, 0 };
    apr_size_t len = 12345;
    const char *out = rxa_template_render_string(rxa_test_pool, t, v, &len);

    ck_assert_int_eq(rxa_template_render(t, v, sink_write, &s), APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(out));
    ck_assert_uint_eq(s.len, len);
    ck_assert_str_eq(s.buf, out);
    return out;
}

static void set_all(rxa_tpl_values_t *v, const char *text)
{
    int i;

    rxa_tpl_values_init(v);
    for (i = 0; i < RXA_TPL_NVARS; i++)
        rxa_tpl_set_text(v, (rxa_tpl_var_e)i, text);
}

START_TEST(every_placeholder)
{
    rxa_template_t *t = compile_ok(
        "<ul>{{providers}}</ul>\n<a href=\"{{redirect_to}}\">go</a>"
        "<p>{{error}} ({{error_id}}) {{provider}}</p>"
        "<script nonce=\"{{csp_nonce}}\"></script>"
        "<a href=\"{{login_path}}\">in</a><a href=\"{{logout_path}}\">out</a>"
        "<i data-sync=\"{{sync_path}}\"></i>");
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    rxa_tpl_set_html(&v, RXA_TPL_PROVIDERS, "<li>P</li>");
    rxa_tpl_set_text(&v, RXA_TPL_REDIRECT_TO, "/app?x=1&y=2");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "Login expired");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR_ID, "a1b2c3");
    rxa_tpl_set_text(&v, RXA_TPL_PROVIDER, "google");
    rxa_tpl_set_text(&v, RXA_TPL_CSP_NONCE, "Ab-_9zQ");
    rxa_tpl_set_text(&v, RXA_TPL_LOGIN_PATH, "/in");
    rxa_tpl_set_text(&v, RXA_TPL_LOGOUT_PATH, "/out");
    rxa_tpl_set_text(&v, RXA_TPL_SYNC_PATH, "/s\"y");
    ck_assert_str_eq(render(t, &v),
        "<ul><li>P</li></ul>\n<a href=\"/app?x=1&amp;y=2\">go</a>"
        "<p>Login expired (a1b2c3) google</p>"
        "<script nonce=\"Ab-_9zQ\"></script>"
        "<a href=\"/in\">in</a><a href=\"/out\">out</a>"
        "<i data-sync=\"/s&quot;y\"></i>");
    ck_assert_uint_eq(rxa_template_vars(t), (1u << RXA_TPL_NVARS) - 1);
    ck_assert_str_eq(rxa_template_name(t), "t.html");
}
END_TEST

START_TEST(whitespace_inside_braces)
{
    rxa_template_t *t = compile_ok(
        "[{{ error }}][{{\terror_id\t}}][{{\n provider \r\n}}][{{error  }}]");
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "E");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR_ID, "I");
    rxa_tpl_set_text(&v, RXA_TPL_PROVIDER, "P");
    ck_assert_str_eq(render(t, &v), "[E][I][P][E]");
}
END_TEST

/* Each value, in turn, is the hostile one; the others stay plain. */
START_TEST(every_value_escaped)
{
    rxa_template_t *t = compile_ok(
        "<div title='{{providers}}'>{{redirect_to}}|{{error}}|{{error_id}}|"
        "{{provider}}|{{csp_nonce}}</div>");
    int i;

    for (i = 0; i < RXA_TPL_NVARS; i++) {
        rxa_tpl_values_t v;
        const char *out, *want;

        set_all(&v, "ok");
        rxa_tpl_set_text(&v, (rxa_tpl_var_e)i, EVIL);
        out = render(t, &v);
        ck_assert_msg(!strstr(out, "<script") && !strstr(out, "\"x")
                      && !strstr(out, "'y") && !strstr(out, "\\"),
                      "%s unescaped: %s", rxa_tpl_var_name(i), out);
        want = apr_psprintf(rxa_test_pool,
            "<div title='%s'>%s|%s|%s|%s|%s</div>",
            i == 0 ? EVIL_ESC : "ok", i == 1 ? EVIL_ESC : "ok",
            i == 2 ? EVIL_ESC : "ok", i == 3 ? EVIL_ESC : "ok",
            i == 4 ? EVIL_ESC : "ok", i == 5 ? EVIL_ESC : "ok");
        ck_assert_str_eq(out, want);
    }
}
END_TEST

/* Values are inserted once, never parsed as template text again. */
START_TEST(values_not_reparsed)
{
    rxa_template_t *t = compile_ok("{{error}}");
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "{{providers}}");
    rxa_tpl_set_html(&v, RXA_TPL_PROVIDERS, "<b>raw</b>");
    ck_assert_str_eq(render(t, &v), "{{providers}}");
}
END_TEST

START_TEST(providers_raw_only_when_caller_says)
{
    rxa_template_t *t = compile_ok("<nav>{{providers}}</nav>{{ providers }}");
    const char *html = "<a class=\"button\" href=\"/login?provider=a&amp;"
                       "redirect_to=%2F\">Login with A</a>\n";
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    rxa_tpl_set_html(&v, RXA_TPL_PROVIDERS, html);
    ck_assert_str_eq(render(t, &v), apr_pstrcat(rxa_test_pool, "<nav>", html,
                                                "</nav>", html, NULL));
    /* set as text, the same markup is escaped */
    rxa_tpl_set_text(&v, RXA_TPL_PROVIDERS, "<a href=\"x\">");
    ck_assert_str_eq(render(t, &v), "<nav>&lt;a href=&quot;x&quot;&gt;</nav>"
                                    "&lt;a href=&quot;x&quot;&gt;");
    /* and html for one value does not leak to another */
    rxa_tpl_values_init(&v);
    rxa_tpl_set_html(&v, RXA_TPL_PROVIDERS, "<i>");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "<i>");
    t = compile_ok("{{providers}}{{error}}");
    ck_assert_str_eq(render(t, &v), "<i>&lt;i&gt;");
}
END_TEST

START_TEST(unknown_placeholder)
{
    const char *e;

    e = CERR("<p>\nok {{error}}\n{{nope}}</p>");
    ck_err_has(e, "RXA06004");
    ck_err_has(e, "line 3");
    ck_err_has(e, "{{nope}}");
    e = CERR("{{ERROR}}");        /* names are lower case */
    ck_err_has(e, "line 1");
    ck_err_has(e, "{{ERROR}}");
    e = CERR("{{error-id}}");
    ck_err_has(e, "{{error-id}}");
    /* an absurd name is quoted cut short */
    e = CERR("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}");
    ck_err_has(e, "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...}}");
    e = CERR("{{ }}");
    ck_err_has(e, "RXA06003");
    e = CERR("{{}}");
    ck_err_has(e, "RXA06003");
}
END_TEST

START_TEST(unclosed_and_malformed)
{
    const char *e;

    e = CERR("a\n\n\nb {{error");
    ck_err_has(e, "RXA06001");
    ck_err_has(e, "line 4");
    e = CERR("{{");
    ck_err_has(e, "RXA06001");
    ck_err_has(e, "line 1");
    e = CERR("x\n{{error}");
    ck_err_has(e, "RXA06001");
    ck_err_has(e, "line 2");
    e = CERR("x\n{{error }\n}");
    ck_err_has(e, "RXA06001");
    /* closed later, but not a placeholder */
    e = CERR("1\n2\n{{error <b>}}");
    ck_err_has(e, "RXA06002");
    ck_err_has(e, "line 3");
    e = CERR("{{{error}}}");     /* no unescaped form */
    ck_err_has(e, "RXA06002");
    e = CERR("<script>\nif (a) {{ b(); }}\n</script>");
    ck_err_has(e, "RXA06002");
    ck_err_has(e, "line 2");
    e = CERR("{{error provider}}");
    ck_err_has(e, "RXA06002");
}
END_TEST

/* Lines are counted across single braces, placeholders spanning lines and
 * CRLF endings. */
START_TEST(line_numbers)
{
    const char *e;

    e = CERR("{a\n{b\n}c\n{{bad}}");
    ck_err_has(e, "line 4");
    e = CERR("{{\nerror\n}}\n{{bad}}");
    ck_err_has(e, "line 4");
    e = CERR("{{error}}\r\n{{ error }}\r\n\r\n{{bad}}");
    ck_err_has(e, "line 4");
    e = CERR("a\nb\n{{\n\nbad}}");
    ck_err_has(e, "line 3");                 /* where the "{{" is */
}
END_TEST

START_TEST(empty_and_nul)
{
    const char *e;

    e = CERR("");
    ck_err_has(e, "RXA06005");
    e = CERR("ab\ncd\n\0ef");
    ck_err_has(e, "RXA06007");
    ck_err_has(e, "line 3");
}
END_TEST

START_TEST(literal_braces)
{
    const char *src = "a } b }} c { d {x} { { e }";
    rxa_template_t *t = compile_ok(src);
    rxa_tpl_values_t v;

    set_all(&v, "V");
    ck_assert_str_eq(render(t, &v), src);
    ck_assert_uint_eq(rxa_template_vars(t), 0);
    t = compile_ok("{");
    ck_assert_str_eq(render(t, &v), "{");
    t = compile_ok("x{{error}}{");
    ck_assert_str_eq(render(t, &v), "xV{");
}
END_TEST

START_TEST(only_placeholders)
{
    rxa_template_t *t = compile_ok("{{error}}{{error_id}}{{provider}}");
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    ck_assert_str_eq(render(t, &v), "");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "a");
    rxa_tpl_set_text(&v, RXA_TPL_PROVIDER, "<c>");
    ck_assert_str_eq(render(t, &v), "a&lt;c&gt;");
    rxa_tpl_set_text(&v, RXA_TPL_ERROR_ID, "");
    ck_assert_str_eq(render(t, &v), "a&lt;c&gt;");
    ck_assert_uint_eq(rxa_template_vars(t),
                      RXA_TPL_BIT(RXA_TPL_ERROR) | RXA_TPL_BIT(RXA_TPL_ERROR_ID)
                      | RXA_TPL_BIT(RXA_TPL_PROVIDER));
}
END_TEST

START_TEST(repeated_placeholders)
{
    rxa_template_t *t = compile_ok("{{error}}-{{error}}-{{ error }}-"
                                   "{{csp_nonce}}{{csp_nonce}}");
    rxa_tpl_values_t v;

    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "<>");
    rxa_tpl_set_text(&v, RXA_TPL_CSP_NONCE, "n");
    ck_assert_str_eq(render(t, &v), "&lt;&gt;-&lt;&gt;-&lt;&gt;-nn");
}
END_TEST

/* The size limit is exact; a large template renders in full. */
START_TEST(large_template)
{
    apr_size_t max = RXA_TEMPLATE_MAX_LEN, i, len, nph = 0;
    char *src = apr_palloc(rxa_test_pool, max + 2);
    rxa_template_t *t = NULL;
    rxa_tpl_values_t v;
    const char *err = NULL, *out;

    for (i = 0; i < max; i++)
        src[i] = (i % 80 == 79) ? '\n' : 'a' + (char)(i % 26);
    /* a placeholder every 1000 bytes */
    for (i = 500; i + 9 < max; i += 1000, nph++)
        memcpy(src + i, "{{error}}", 9);
    src[max] = src[max + 1] = '\0';
    ck_assert_int_eq(rxa_template_compile(rxa_test_pool, src, max, "big",
                                          &t, &err), APR_SUCCESS);
    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "<>");
    out = rxa_template_render_string(rxa_test_pool, t, &v, &len);
    ck_assert_uint_eq(len, max - 9 * nph + 8 * nph);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_str_eq(render(t, &v), out);

    src[max] = 'x';
    ck_assert_int_eq(rxa_template_compile(rxa_test_pool, src, max + 1, "big",
                                          &t, &err), APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_err_has(err, "RXA06006");
    /* the error of a bad placeholder far down names its line */
    memcpy(src + max - 20, "{{bad}}", 7);
    ck_assert_int_eq(rxa_template_compile(rxa_test_pool, src, max, "big",
                                          &t, &err), APR_EINVAL);
    ck_err_has(err, apr_psprintf(rxa_test_pool, "line %" APR_SIZE_T_FMT,
                                 (max - 20) / 80 + 1));
}
END_TEST

START_TEST(writer_errors_stop)
{
    rxa_template_t *t = compile_ok("a{{error}}b{{error}}c");
    rxa_tpl_values_t v;
    sink_t s = { rxa_test_pool, "", 0, 0, 2 };

    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "x<y");
    ck_assert_int_eq(rxa_template_render(t, &v, sink_write, &s), APR_EGENERAL);
    ck_assert_int_eq(s.calls, 2);
    ck_assert_str_eq(s.buf, "ax");
}
END_TEST

START_TEST(html_escape)
{
    const char *plain = "nothing to do here / ? = : ;";

    ck_assert_str_eq(rxa_html_escape(rxa_test_pool, NULL), "");
    ck_assert_str_eq(rxa_html_escape(rxa_test_pool, ""), "");
    ck_assert_ptr_eq(rxa_html_escape(rxa_test_pool, plain), plain);
    ck_assert_str_eq(rxa_html_escape(rxa_test_pool, EVIL), EVIL_ESC);
    ck_assert_str_eq(rxa_html_escape(rxa_test_pool, "&<>\"'`\\"),
                     "&amp;&lt;&gt;&quot;&#39;&#96;&#92;");
    /* UTF-8 and control bytes pass untouched */
    ck_assert_str_eq(rxa_html_escape(rxa_test_pool, "\xc3\xa9\t\n<"),
                     "\xc3\xa9\t\n&lt;");
}
END_TEST

START_TEST(page_kinds)
{
    int i;

    ck_assert_int_eq(rxa_page_kind_parse("login"), RXA_PAGE_LOGIN);
    ck_assert_int_eq(rxa_page_kind_parse("Callback"), RXA_PAGE_CALLBACK);
    ck_assert_int_eq(rxa_page_kind_parse("logout"), RXA_PAGE_LOGOUT);
    ck_assert_int_eq(rxa_page_kind_parse("FORBIDDEN"), RXA_PAGE_FORBIDDEN);
    ck_assert_int_eq(rxa_page_kind_parse("error"), RXA_PAGE_ERROR);
    ck_assert_int_eq(rxa_page_kind_parse("sync"), -1);
    ck_assert_int_eq(rxa_page_kind_parse(""), -1);
    ck_assert_int_eq(rxa_page_kind_parse(NULL), -1);
    ck_assert_str_eq(rxa_page_kind_name(RXA_PAGE_FORBIDDEN), "forbidden");
    ck_assert_ptr_null(rxa_page_kind_name(RXA_PAGE_NKINDS));
    ck_assert(rxa_page_kind_vars(RXA_PAGE_LOGIN)
              & RXA_TPL_BIT(RXA_TPL_PROVIDERS));
    ck_assert(!(rxa_page_kind_vars(RXA_PAGE_ERROR)
                & RXA_TPL_BIT(RXA_TPL_PROVIDERS)));
    ck_assert(rxa_page_kind_vars(RXA_PAGE_ERROR)
              & RXA_TPL_BIT(RXA_TPL_ERROR_ID));
    ck_assert_uint_eq(rxa_page_kind_vars(RXA_PAGE_NKINDS), 0);
    ck_assert_str_eq(rxa_tpl_var_name(RXA_TPL_CSP_NONCE), "csp_nonce");
    ck_assert_str_eq(rxa_tpl_var_name(RXA_TPL_SYNC_PATH), "sync_path");
    ck_assert_ptr_null(rxa_tpl_var_name(RXA_TPL_NVARS));
    /* the nonce and the module's paths are filled on every page */
    for (i = 0; i < RXA_PAGE_NKINDS; i++) {
        unsigned every = RXA_TPL_BIT(RXA_TPL_CSP_NONCE)
                         | RXA_TPL_BIT(RXA_TPL_LOGIN_PATH)
                         | RXA_TPL_BIT(RXA_TPL_LOGOUT_PATH)
                         | RXA_TPL_BIT(RXA_TPL_SYNC_PATH);
        ck_assert_uint_eq(rxa_page_kind_vars((rxa_page_kind_e)i) & every,
                          every);
    }
}
END_TEST

/* The built-in page of KIND rendered with every value it gets set to a
 * marker ("#name#") or, for the nonce, a fixed one. */
static const char *render_builtin(rxa_page_kind_e kind)
{
    rxa_template_t *t = NULL;
    const char *err = NULL;
    rxa_tpl_values_t v;
    unsigned vars;
    int i;

    ck_assert_int_eq(rxa_template_builtin(rxa_test_pool, kind, &t, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(rxa_template_name(t),
                     apr_pstrcat(rxa_test_pool, "built-in ",
                                 rxa_page_kind_name(kind), ".html", NULL));
    /* it uses only values the module fills on its kind of page */
    vars = rxa_template_vars(t);
    ck_assert_uint_eq(vars & ~rxa_page_kind_vars(kind), 0);
    rxa_tpl_values_init(&v);
    for (i = 0; i < RXA_TPL_NVARS; i++)
        rxa_tpl_set_text(&v, (rxa_tpl_var_e)i,
                         apr_pstrcat(rxa_test_pool, "#",
                                     rxa_tpl_var_name((rxa_tpl_var_e)i), "#",
                                     NULL));
    rxa_tpl_set_text(&v, RXA_TPL_CSP_NONCE, "N0nce");
    return render(t, &v);
}

#define ck_has(s, part) \
    ck_assert_msg(strstr((s), (part)) != NULL, "'%s' not in: %s", (part), (s))

/* Each built-in page compiles, and shows what the sign-in flow and the
 * tests of it rely on. */
START_TEST(builtin_pages)
{
    const char *login = render_builtin(RXA_PAGE_LOGIN);
    const char *callback = render_builtin(RXA_PAGE_CALLBACK);
    const char *logout = render_builtin(RXA_PAGE_LOGOUT);
    const char *forbidden = render_builtin(RXA_PAGE_FORBIDDEN);
    const char *error = render_builtin(RXA_PAGE_ERROR);
    const char *pages[] = { login, callback, logout, forbidden, error };
    rxa_template_t *t = (rxa_template_t *)1;
    const char *err = NULL;
    apr_size_t i;

    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        ck_assert_msg(!strncmp(pages[i], "<!DOCTYPE html>\n", 16), "%s",
                      pages[i]);
        /* nothing loaded from elsewhere, every style under the nonce */
        ck_assert_ptr_null(strstr(pages[i], "src="));
        ck_assert_ptr_null(strstr(pages[i], "<style>"));
        ck_has(pages[i], "<style nonce=\"N0nce\">");
    }
    ck_has(login, "<h1>Sign in</h1>\n#providers#</body>");
    ck_has(callback, "<noscript><meta http-equiv=\"refresh\" "
           "content=\"0;url=#redirect_to#\"></noscript>");
    ck_has(callback, "href=\"#redirect_to#\">Continue</a>");
    ck_has(callback, "<script nonce=\"N0nce\">");
    ck_has(callback, "var to = \"#redirect_to#\";");
    ck_has(callback, "var sync = \"#sync_path#\";");
    ck_has(callback, "'?after=sign-in'");
    ck_has(callback, "reflex-auth-failed");
    ck_has(logout, "href=\"#redirect_to#\"");
    ck_has(forbidden, "<h1>Forbidden</h1>");
    ck_has(forbidden, "href=\"#logout_path#\">Sign out</a>");
    ck_has(error, "<p>#error#</p>");
    ck_has(error, "href=\"#login_path#\">Start again</a>");
    ck_has(error, "Error id: <code>#error_id#</code>");
    /* the error page runs no script of its own */
    ck_assert_ptr_null(strstr(error, "<script"));

    ck_assert_int_eq(rxa_template_builtin(rxa_test_pool, RXA_PAGE_NKINDS, &t,
                                          &err), APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_msg(!strncmp(err, "RXA00182: ", 10), "%s", err);
}
END_TEST

static const char *write_tmp(const char *dir, const char *name,
                             const char *data, apr_size_t len)
{
    const char *path = apr_pstrcat(rxa_test_pool, dir, "/", name, NULL);
    apr_file_t *f;
    apr_size_t n;

    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                   | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                                   APR_FPROT_OS_DEFAULT, rxa_test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, data, len, &n), APR_SUCCESS);
    apr_file_close(f);
    return path;
}

START_TEST(load_files)
{
    char dir[] = "/tmp/rxa-tpl-XXXXXX";
    rxa_template_t *t = NULL;
    rxa_tpl_values_t v;
    const char *err = NULL, *path;
    char *big;
    apr_status_t rv;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    path = write_tmp(dir, "ok.html", "<p>{{ error }}</p>\n", 19);
    ck_assert_int_eq(rxa_template_load(rxa_test_pool, path, &t, &err),
                     APR_SUCCESS);
    rxa_tpl_values_init(&v);
    rxa_tpl_set_text(&v, RXA_TPL_ERROR, "<x>");
    ck_assert_str_eq(render(t, &v), "<p>&lt;x&gt;</p>\n");
    ck_assert_str_eq(rxa_template_name(t), path);

    path = write_tmp(dir, "bad.html", "<p>\n{{ eror }}</p>\n", 19);
    ck_assert_int_eq(rxa_template_load(rxa_test_pool, path, &t, &err),
                     APR_EINVAL);
    ck_err_has(err, "RXA06004");
    ck_err_has(err, path);
    ck_err_has(err, "line 2");

    path = write_tmp(dir, "empty.html", "", 0);
    ck_assert_int_eq(rxa_template_load(rxa_test_pool, path, &t, &err),
                     APR_EINVAL);
    ck_err_has(err, "RXA06005");

    big = apr_pcalloc(rxa_test_pool, RXA_TEMPLATE_MAX_LEN + 1);
    memset(big, 'a', RXA_TEMPLATE_MAX_LEN + 1);
    path = write_tmp(dir, "big.html", big, RXA_TEMPLATE_MAX_LEN + 1);
    ck_assert_int_eq(rxa_template_load(rxa_test_pool, path, &t, &err),
                     APR_EINVAL);
    ck_err_has(err, "RXA06010");
    path = write_tmp(dir, "max.html", big, RXA_TEMPLATE_MAX_LEN);
    ck_assert_int_eq(rxa_template_load(rxa_test_pool, path, &t, &err),
                     APR_SUCCESS);

    rv = rxa_template_load(rxa_test_pool, dir, &t, &err);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err, "RXA06009") || strstr(err, "RXA06011"), "%s",
                  err);

    path = apr_pstrcat(rxa_test_pool, dir, "/missing.html", NULL);
    rv = rxa_template_load(rxa_test_pool, path, &t, &err);
    ck_assert(APR_STATUS_IS_ENOENT(rv));
    ck_err_has(err, "RXA06008");
    ck_err_has(err, path);

    {
        static const char *const made[] = {
            "ok.html", "bad.html", "empty.html", "big.html", "max.html"
        };
        apr_size_t i;
        for (i = 0; i < sizeof(made) / sizeof(made[0]); i++)
            apr_file_remove(apr_pstrcat(rxa_test_pool, dir, "/", made[i],
                                        NULL), rxa_test_pool);
        ck_assert_int_eq(apr_dir_remove(dir, rxa_test_pool), APR_SUCCESS);
    }
}
END_TEST

/* A NULL error pointer is allowed. */
START_TEST(null_err)
{
    rxa_template_t *t = NULL;

    ck_assert_int_eq(rxa_template_compile(rxa_test_pool, "{{x}}", 5, NULL, &t,
                                          NULL), APR_EINVAL);
    ck_assert_int_eq(rxa_template_compile(rxa_test_pool, "x", 1, NULL, &t,
                                          NULL), APR_SUCCESS);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = rxa_tcase("template");

    tcase_add_test(tc, every_placeholder);
    tcase_add_test(tc, whitespace_inside_braces);
    tcase_add_test(tc, every_value_escaped);
    tcase_add_test(tc, values_not_reparsed);
    tcase_add_test(tc, providers_raw_only_when_caller_says);
    tcase_add_test(tc, unknown_placeholder);
    tcase_add_test(tc, unclosed_and_malformed);
    tcase_add_test(tc, line_numbers);
    tcase_add_test(tc, empty_and_nul);
    tcase_add_test(tc, literal_braces);
    tcase_add_test(tc, only_placeholders);
    tcase_add_test(tc, repeated_placeholders);
    tcase_add_test(tc, large_template);
    tcase_add_test(tc, writer_errors_stop);
    tcase_add_test(tc, html_escape);
    tcase_add_test(tc, page_kinds);
    tcase_add_test(tc, builtin_pages);
    tcase_add_test(tc, load_files);
    tcase_add_test(tc, null_err);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
