/* Unit tests: Cookie header parsing, Set-Cookie values, chunks
 * (rxa_cookie.h), hostile headers included. */
#include "rxa_test.h"
#include "rxa_cookie.h"

#define AUTH "__Host-reflex_test_id_token"

/* The Cookie header a browser would send back after storing every
 * Set-Cookie value in SET (deletions dropped), in the given order or
 * reversed. */
static const char *browser_header(apr_pool_t *p, const apr_array_header_t *set,
                                  int reversed)
{
    const char *h = NULL;
    int i;

    for (i = 0; i < set->nelts; i++) {
        const char *sc = APR_ARRAY_IDX(set, reversed ? set->nelts - 1 - i : i,
                                       const char *);
        const char *pair;

        if (strstr(sc, "; Max-Age=0;"))
            continue;
        pair = apr_pstrmemdup(p, sc, strcspn(sc, ";"));
        h = h ? apr_pstrcat(p, h, "; ", pair, NULL) : pair;
    }
    return h;
}

static char *filled(apr_pool_t *p, apr_size_t len)
{
    static const char b64u[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *s = apr_palloc(p, len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++)
        s[i] = b64u[(i * 7 + i / 64) % 64];
    s[len] = '\0';
    return s;
}

static int count_prefix(const apr_array_header_t *set, const char *prefix)
{
    int i, n = 0;

    for (i = 0; i < set->nelts; i++)
        n += !strncmp(APR_ARRAY_IDX(set, i, const char *), prefix,
                      strlen(prefix));
    return n;
}

START_TEST(get_basic)
{
    apr_pool_t *p = rxa_test_pool;
    const char *v, *err = NULL;

    ck_assert_int_eq(rxa_cookie_get(p, "a=1; b=2", "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "1");
    ck_assert_int_eq(rxa_cookie_get(p, "a=1; b=2", "b", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "2");
    ck_assert_int_eq(rxa_cookie_get(p, "a=1; b=2", "c", &v, &err),
                     APR_NOTFOUND);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(rxa_cookie_get(p, NULL, "a", &v, &err), APR_NOTFOUND);
    ck_assert_int_eq(rxa_cookie_get(p, "", "a", &v, &err), APR_NOTFOUND);
    ck_assert_int_eq(rxa_cookie_get(p, "a=1", "", &v, &err), APR_NOTFOUND);
    ck_assert_int_eq(rxa_cookie_get(p, "a=1", NULL, &v, &err), APR_NOTFOUND);
    /* Spaces and tabs around names and values, empty pieces. */
    ck_assert_int_eq(rxa_cookie_get(p, " ;; \t a \t= 1 ;b=2;  ", "a", &v, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "1");
    ck_assert_int_eq(rxa_cookie_get(p, "a=1;b=2", "b", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "2");
    /* Names are exact: case, prefixes, suffixes. */
    ck_assert_int_eq(rxa_cookie_get(p, "A=1; ab=2; ba=3", "a", &v, &err),
                     APR_NOTFOUND);
    /* '=' in the value, an empty value, quotes kept as sent. */
    ck_assert_int_eq(rxa_cookie_get(p, "a=b=c", "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "b=c");
    ck_assert_int_eq(rxa_cookie_get(p, "a=; b=2", "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "");
    ck_assert_int_eq(rxa_cookie_get(p, "a=\"x\"", "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "\"x\"");
}
END_TEST

START_TEST(get_hostile)
{
    apr_pool_t *p = rxa_test_pool;
    const char *v, *err = NULL;
    char *big;
    int i;

    /* Nameless cookies (no '=' or an empty name) never match. */
    ck_assert_int_eq(rxa_cookie_get(p, "=x; ; =; noeq; a=1", "a", &v, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "1");
    ck_assert_int_eq(rxa_cookie_get(p, "=x; noeq", "noeq", &v, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(rxa_cookie_get(p, ";;;;;;", "a", &v, &err), APR_NOTFOUND);
    ck_assert_int_eq(rxa_cookie_get(p, "=======", "a", &v, &err), APR_NOTFOUND);
    /* Duplicates are refused, and the message holds no value. */
    err = NULL;
    ck_assert_int_eq(rxa_cookie_get(p, "a=secret1; b=2; a=secret2", "a", &v,
                                    &err), RXA_COOKIE_DUPLICATE);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(err);
    ck_assert(!strncmp(err, "RXA040", 6));
    ck_assert_ptr_null(strstr(err, "secret"));
    ck_assert_int_eq(rxa_cookie_get(p, "a=1; a=1", "a", &v, NULL),
                     RXA_COOKIE_DUPLICATE);
    /* Thousands of cookies: the one at the end is found, one scan. */
    {
        apr_size_t n = 5000 * 12 + 16, o = 0;
        big = apr_palloc(p, n);
        for (i = 0; i < 5000; i++)
            o += (apr_size_t)snprintf(big + o, n - o, "c%04d=v; ", i);
        snprintf(big + o, n - o, "a=last");
    }
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "last");
    ck_assert_int_eq(rxa_cookie_get(p, big, "c4999", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "v");
    /* 64 KiB is the limit: at it, read; one byte over, refused. */
    big = apr_palloc(p, RXA_COOKIE_MAX_HEADER + 2);
    memset(big, 'x', RXA_COOKIE_MAX_HEADER + 1);
    memcpy(big, "a=1; b=", 7);
    big[RXA_COOKIE_MAX_HEADER] = '\0';
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "1");
    big[RXA_COOKIE_MAX_HEADER] = 'x';
    big[RXA_COOKIE_MAX_HEADER + 1] = '\0';
    err = NULL;
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA04001: ", 10));
    /* One enormous cookie of a single name. */
    memset(big, ';', RXA_COOKIE_MAX_HEADER);
    big[RXA_COOKIE_MAX_HEADER] = '\0';
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_NOTFOUND);
    memset(big, '=', RXA_COOKIE_MAX_HEADER);
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_NOTFOUND);
    big[0] = 'a';
    ck_assert_int_eq(rxa_cookie_get(p, big, "a", &v, &err), APR_SUCCESS);
    ck_assert_uint_eq(strlen(v), RXA_COOKIE_MAX_HEADER - 2);
}
END_TEST

START_TEST(find_prefix)
{
    apr_pool_t *p = rxa_test_pool;
    const char *h = "__Secure-login_a=1; x=2; __Secure-login_b=3; "
                    "__Secure-login=4; __secure-login_c=5";
    apr_array_header_t *found = NULL;
    const char *err = NULL;
    rxa_cookie_t *c;
    int more = -1;

    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "__Secure-login_", 10,
                                            &found, &more, &err), APR_SUCCESS);
    ck_assert_int_eq(found->nelts, 2);
    ck_assert_int_eq(more, 0);
    c = &APR_ARRAY_IDX(found, 0, rxa_cookie_t);
    ck_assert_str_eq(c->name, "__Secure-login_a");
    ck_assert_str_eq(c->value, "1");
    c = &APR_ARRAY_IDX(found, 1, rxa_cookie_t);
    ck_assert_str_eq(c->name, "__Secure-login_b");
    ck_assert_str_eq(c->value, "3");

    found = NULL;
    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "__Secure-login_", 1,
                                            &found, &more, &err), APR_SUCCESS);
    ck_assert_int_eq(found->nelts, 1);
    ck_assert_int_eq(more, 1);
    found = NULL;
    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "__Secure-login_", 0,
                                            &found, &more, &err), APR_SUCCESS);
    ck_assert_int_eq(found->nelts, 0);
    ck_assert_int_eq(more, 1);
    found = NULL;
    ck_assert_int_eq(rxa_cookie_find_prefix(p, NULL, "x", 4, &found, &more,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(found->nelts, 0);
    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "", 4, &found, &more, &err),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "x", -1, &found, &more,
                                            &err), APR_EINVAL);
}
END_TEST

START_TEST(find_prefix_thousands)
{
    apr_pool_t *p = rxa_test_pool;
    apr_size_t n = 4000 * 24, o = 0;
    char *h = apr_palloc(p, n);
    apr_array_header_t *found = NULL;
    int i, more = 0;

    for (i = 0; i < 4000; i++)
        o += (apr_size_t)snprintf(h + o, n - o, "%sp_%d=v", i ? "; " : "", i);
    ck_assert_int_eq(rxa_cookie_find_prefix(p, h, "p_", 8, &found, &more,
                                            NULL), APR_SUCCESS);
    ck_assert_int_eq(found->nelts, 8);
    ck_assert_int_eq(more, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(found, 7, rxa_cookie_t).name, "p_7");
}
END_TEST

START_TEST(names_and_values)
{
    char name[RXA_COOKIE_MAX_NAME + 2];

    ck_assert(rxa_cookie_name_ok("__Host-reflex_google_id_token"));
    ck_assert(rxa_cookie_name_ok("a!#$%&'*+-.^_`|~9"));
    ck_assert(!rxa_cookie_name_ok(""));
    ck_assert(!rxa_cookie_name_ok(NULL));
    ck_assert(!rxa_cookie_name_ok("a b"));
    ck_assert(!rxa_cookie_name_ok("a=b"));
    ck_assert(!rxa_cookie_name_ok("a;b"));
    ck_assert(!rxa_cookie_name_ok("a\"b"));
    ck_assert(!rxa_cookie_name_ok("a/b"));
    ck_assert(!rxa_cookie_name_ok("a\tb"));
    ck_assert(!rxa_cookie_name_ok("a\x7f"));
    ck_assert(!rxa_cookie_name_ok("\xc3\xa9"));
    memset(name, 'n', sizeof(name));
    name[RXA_COOKIE_MAX_NAME] = '\0';
    ck_assert(rxa_cookie_name_ok(name));
    name[RXA_COOKIE_MAX_NAME] = 'n';
    name[RXA_COOKIE_MAX_NAME + 1] = '\0';
    ck_assert(!rxa_cookie_name_ok(name));

    {
        const char *all = "AZaz09-_.~!#$%&'()*+/:<=>?@[]^`{|}";
        ck_assert(rxa_cookie_value_ok(all, strlen(all)));
    }
    ck_assert(rxa_cookie_value_ok("", 0));
    ck_assert(rxa_cookie_value_ok(NULL, 0));
    ck_assert(!rxa_cookie_value_ok("a b", 3));
    ck_assert(!rxa_cookie_value_ok("a;b", 3));
    ck_assert(!rxa_cookie_value_ok("a,b", 3));
    ck_assert(!rxa_cookie_value_ok("a\"b", 3));
    ck_assert(!rxa_cookie_value_ok("a\\b", 3));
    ck_assert(!rxa_cookie_value_ok("a\x01", 2));
    ck_assert(!rxa_cookie_value_ok("a\0b", 3));
    ck_assert(!rxa_cookie_value_ok("\xc3\xa9", 2));
}
END_TEST

START_TEST(format_exact)
{
    apr_pool_t *p = rxa_test_pool;
    rxa_cookie_attrs_t login = { "/callback", RXA_COOKIE_LOGIN_MAX_AGE,
                                 RXA_SAMESITE_LAX };
    rxa_cookie_attrs_t a;
    const char *sc, *err;

    ck_assert_int_eq(rxa_cookie_format(p, AUTH, "abc", &rxa_cookie_auth_attrs,
                                       &sc, &err), APR_SUCCESS);
    ck_assert_str_eq(sc, AUTH "=abc; Path=/; Max-Age=604800; Secure; "
                         "HttpOnly; SameSite=Strict");
    ck_assert_int_eq(rxa_cookie_format_delete(p, AUTH, &rxa_cookie_auth_attrs,
                                              &sc, &err), APR_SUCCESS);
    ck_assert_str_eq(sc, AUTH "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                         "SameSite=Strict");
    ck_assert_int_eq(rxa_cookie_format(p, "__Secure-reflex_login_x", "v",
                                       &login, &sc, &err), APR_SUCCESS);
    ck_assert_str_eq(sc, "__Secure-reflex_login_x=v; Path=/callback; "
                         "Max-Age=600; Secure; HttpOnly; SameSite=Lax");
    ck_assert_int_eq(rxa_cookie_format_delete(p, "__Secure-reflex_login_x",
                                              &login, &sc, &err), APR_SUCCESS);
    ck_assert_str_eq(sc, "__Secure-reflex_login_x=; Path=/callback; "
                         "Max-Age=0; Secure; HttpOnly; SameSite=Lax");

    /* __Host- needs Path=/, whatever the case of the prefix. */
    ck_assert_int_eq(rxa_cookie_format(p, "__Host-x", "v", &login, &sc, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(sc);
    ck_assert(!strncmp(err, "RXA04013: ", 10));
    ck_assert_int_eq(rxa_cookie_format(p, "__HOST-x", "v", &login, &sc, &err),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format_delete(p, "__host-x", &login, &sc,
                                              &err), APR_EINVAL);

    /* Bad values never reach a header; the message does not quote them. */
    ck_assert_int_eq(rxa_cookie_format(p, AUTH, "se cret",
                                       &rxa_cookie_auth_attrs, &sc, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(strstr(err, "cret"));
    ck_assert_int_eq(rxa_cookie_format(p, AUTH, "a;b", &rxa_cookie_auth_attrs,
                                       &sc, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format(p, AUTH, "a\r\nSet-Cookie: x=y",
                                       &rxa_cookie_auth_attrs, &sc, &err),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format(p, AUTH, NULL, &rxa_cookie_auth_attrs,
                                       &sc, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format(p, "a b", "v", &rxa_cookie_auth_attrs,
                                       &sc, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", NULL, &sc, NULL),
                     APR_EINVAL);

    a = login;
    a.path = "callback";
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a.path = "/a;b";
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a.path = "/a b";
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a.path = "/a\nb";
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a.path = NULL;
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a = login;
    a.max_age = 0;
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_format_delete(p, "a", &a, &sc, &err),
                     APR_SUCCESS);
    a.max_age = -5;
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
    a = login;
    a.same_site = (rxa_samesite_e)7;
    ck_assert_int_eq(rxa_cookie_format(p, "a", "v", &a, &sc, &err), APR_EINVAL);
}
END_TEST

/* Every size from empty to the maximum round-trips, in either cookie
 * order, with the expected number of Set-Cookie values. */
START_TEST(chunk_roundtrip)
{
    static const apr_size_t sizes[] = {
        0, 1, 3999, 4000, 4001, 7999, 8000, 8001, 12345, 27999, 28000,
        28001, 31999, 32000
    };
    apr_pool_t *p = rxa_test_pool;
    apr_size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        apr_array_header_t *set = apr_array_make(p, 4, sizeof(const char *));
        const char *v, *err = NULL, *h;
        char *val = filled(p, sizes[i]);
        int n = sizes[i] <= RXA_COOKIE_CHUNK_SIZE ? 0
              : (int)((sizes[i] + RXA_COOKIE_CHUNK_SIZE - 1)
                      / RXA_COOKIE_CHUNK_SIZE);
        int j;

        ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, val,
                                                &rxa_cookie_auth_attrs, NULL,
                                                set, &err), APR_SUCCESS);
        ck_assert_int_eq(set->nelts, n ? n + 1 : 1);
        for (j = 0; j < set->nelts; j++) {
            const char *sc = APR_ARRAY_IDX(set, j, const char *);
            const char *semi = strchr(sc, ';');
            ck_assert(!strncmp(sc, "__Host-reflex_test_id_token", 27));
            ck_assert_str_eq(semi, "; Path=/; Max-Age=604800; Secure; "
                                   "HttpOnly; SameSite=Strict");
            /* name=value within the 4096 bytes browsers keep. */
            ck_assert_uint_le((apr_size_t)(semi - sc), 4096);
        }
        if (n)
            ck_assert_str_eq(APR_ARRAY_IDX(set, 0, const char *),
                             apr_psprintf(p, AUTH "=chunks.%d; Path=/; "
                                          "Max-Age=604800; Secure; HttpOnly; "
                                          "SameSite=Strict", n));
        h = browser_header(p, set, 0);
        ck_assert_int_eq(rxa_cookie_get_chunked(p, h, AUTH, &v, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(v, val);
        h = apr_pstrcat(p, "other=1; ", browser_header(p, set, 1), "; x=y",
                        NULL);
        ck_assert_int_eq(rxa_cookie_get_chunked(p, h, AUTH, &v, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(v, val);
    }
}
END_TEST

START_TEST(chunk_write_refused)
{
    apr_pool_t *p = rxa_test_pool;
    apr_array_header_t *set = apr_array_make(p, 4, sizeof(const char *));
    const char *err = NULL;

    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH,
                                            filled(p, RXA_COOKIE_MAX_VALUE + 1),
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA04019: ", 10));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "chunks.3",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "chunks.",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "a b",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, NULL,
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_set_chunked(p, "", "v",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "v",
                                            &rxa_cookie_auth_attrs, NULL, NULL,
                                            &err), APR_EINVAL);
    ck_assert_int_eq(set->nelts, 0);
    /* "chunks" without the dot is an ordinary value. */
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "chunks",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_SUCCESS);
}
END_TEST

/* Shrinking expires exactly the chunks the browser still holds. */
START_TEST(chunk_stale)
{
    apr_pool_t *p = rxa_test_pool;
    const char *old3 = AUTH "=chunks.3; " AUTH "_0=a; " AUTH "_1=b; "
                       AUTH "_2=c; unrelated=1; " AUTH "_x=1; " AUTH "_1234=1";
    const char *del = "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                      "SameSite=Strict";
    apr_array_header_t *set;
    const char *err = NULL, *v;

    /* 3 chunks -> unchunked: NAME_0..NAME_2 expire. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "small",
                                            &rxa_cookie_auth_attrs, old3, set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(set, 0, const char *),
                     AUTH "=small; Path=/; Max-Age=604800; Secure; HttpOnly; "
                     "SameSite=Strict");
    ck_assert_str_eq(APR_ARRAY_IDX(set, 1, const char *),
                     apr_pstrcat(p, AUTH "_0", del, NULL));
    ck_assert_str_eq(APR_ARRAY_IDX(set, 2, const char *),
                     apr_pstrcat(p, AUTH "_1", del, NULL));
    ck_assert_str_eq(APR_ARRAY_IDX(set, 3, const char *),
                     apr_pstrcat(p, AUTH "_2", del, NULL));

    /* 3 -> 2 chunks: only NAME_2 expires. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, filled(p, 8000),
                                            &rxa_cookie_auth_attrs, old3, set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 4);
    ck_assert_int_eq(count_prefix(set, AUTH "_2=;"), 1);
    ck_assert_str_eq(APR_ARRAY_IDX(set, 3, const char *),
                     apr_pstrcat(p, AUTH "_2", del, NULL));

    /* 3 -> 5 chunks: nothing expires; no header: nothing expires. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, filled(p, 17000),
                                            &rxa_cookie_auth_attrs, old3, set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 6);
    ck_assert_int_eq(count_prefix(set, AUTH "=;"), 0);
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "v",
                                            &rxa_cookie_auth_attrs, NULL, set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 1);

    /* Odd chunk names the browser holds go too (they would block every
     * later read); duplicates once; the result reads back. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, "v",
                                            &rxa_cookie_auth_attrs,
                                            AUTH "=v; " AUTH "_9=1; "
                                            AUTH "_01=1; " AUTH "_9=2", set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(set, 1, const char *),
                     apr_pstrcat(p, AUTH "_9", del, NULL));
    ck_assert_str_eq(APR_ARRAY_IDX(set, 2, const char *),
                     apr_pstrcat(p, AUTH "_01", del, NULL));
    ck_assert_int_eq(rxa_cookie_get_chunked(p, browser_header(p, set, 0), AUTH,
                                            &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "v");
}
END_TEST

START_TEST(chunk_delete)
{
    apr_pool_t *p = rxa_test_pool;
    apr_array_header_t *set = apr_array_make(p, 4, sizeof(const char *));
    const char *err = NULL;
    char *big;
    int i;

    ck_assert_int_eq(rxa_cookie_delete_chunked(p, AUTH, &rxa_cookie_auth_attrs,
                                               AUTH "=chunks.2; " AUTH "_0=a; "
                                               AUTH "_1=b", set, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(set, 0, const char *),
                     AUTH "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                     "SameSite=Strict");
    ck_assert_int_eq(count_prefix(set, AUTH "_0=; Path=/; Max-Age=0;"), 1);
    ck_assert_int_eq(count_prefix(set, AUTH "_1=; Path=/; Max-Age=0;"), 1);

    /* No Cookie header: just the name. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_delete_chunked(p, AUTH, &rxa_cookie_auth_attrs,
                                               NULL, set, &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 1);

    /* A header too long to read: every possible chunk. */
    big = apr_palloc(p, RXA_COOKIE_MAX_HEADER + 2);
    memset(big, 'x', RXA_COOKIE_MAX_HEADER + 1);
    big[RXA_COOKIE_MAX_HEADER + 1] = '\0';
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_delete_chunked(p, AUTH, &rxa_cookie_auth_attrs,
                                               big, set, &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 1 + RXA_COOKIE_MAX_CHUNKS);
    for (i = 0; i < RXA_COOKIE_MAX_CHUNKS; i++)
        ck_assert_int_eq(count_prefix(set, apr_psprintf(p, AUTH "_%d=;", i)),
                         1);
    /* ...and a write with it expires the slots it does not use. */
    set = apr_array_make(p, 4, sizeof(const char *));
    ck_assert_int_eq(rxa_cookie_set_chunked(p, AUTH, filled(p, 9000),
                                            &rxa_cookie_auth_attrs, big, set,
                                            &err), APR_SUCCESS);
    ck_assert_int_eq(set->nelts, 1 + 3 + RXA_COOKIE_MAX_CHUNKS - 3);

    /* A thousand and more chunk-like names: the output stays bounded. */
    {
        apr_size_t n = 1500 * 40, o = 0;
        char *h = apr_palloc(p, n);
        for (i = 0; i < 1500; i++)
            o += (apr_size_t)snprintf(h + o, n - o, "%s%s_%d=x",
                                      i ? ";" : "", AUTH, i % 1000);
        set = apr_array_make(p, 4, sizeof(const char *));
        ck_assert_int_eq(rxa_cookie_delete_chunked(p, AUTH,
                                                   &rxa_cookie_auth_attrs, h,
                                                   set, &err), APR_SUCCESS);
        ck_assert_int_eq(set->nelts, 1 + 2 * RXA_COOKIE_MAX_CHUNKS);
    }
    ck_assert_int_eq(rxa_cookie_delete_chunked(p, "a b", &rxa_cookie_auth_attrs,
                                               NULL, set, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_delete_chunked(p, AUTH, &rxa_cookie_auth_attrs,
                                               NULL, NULL, &err), APR_EINVAL);
}
END_TEST

/* Hostile chunk sets: each one is absent, never a partial value. */
START_TEST(chunk_read_hostile)
{
    static const struct {
        const char *header;
        apr_status_t rv;
    } cases[] = {
        { "x=1", APR_NOTFOUND },
        { "", APR_NOTFOUND },
        { AUTH "_0=a; " AUTH "_1=b", APR_EINVAL },          /* no base */
        { AUTH "=chunks.2; " AUTH "_0=a", APR_EINVAL },     /* missing */
        { AUTH "=chunks.2; " AUTH "_1=b", APR_EINVAL },
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_2=c",
          APR_EINVAL },                                      /* extra */
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_7=c",
          APR_EINVAL },
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_8=c",
          APR_EINVAL },                                      /* out of range */
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_999=c",
          APR_EINVAL },
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_00=c",
          APR_EINVAL },                                      /* leading 0 */
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_01=b", APR_EINVAL },
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=", APR_EINVAL }, /* empty */
        { AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b; " AUTH "_1=b",
          RXA_COOKIE_DUPLICATE },
        { AUTH "=chunks.2; " AUTH "=chunks.2; " AUTH "_0=a; " AUTH "_1=b",
          RXA_COOKIE_DUPLICATE },
        { AUTH "=chunks.1; " AUTH "_0=a", APR_EINVAL },     /* count range */
        { AUTH "=chunks.0", APR_EINVAL },
        { AUTH "=chunks.9", APR_EINVAL },
        { AUTH "=chunks.99", APR_EINVAL },
        { AUTH "=chunks.4294967298", APR_EINVAL },
        { AUTH "=chunks.-1", APR_EINVAL },
        { AUTH "=chunks.02; " AUTH "_0=a; " AUTH "_1=b", APR_EINVAL },
        { AUTH "=chunks.2x; " AUTH "_0=a; " AUTH "_1=b", APR_EINVAL },
        { AUTH "=chunks.; " AUTH "_0=a", APR_EINVAL },
        { AUTH "=chunks.", APR_EINVAL },
        { AUTH "=plain; " AUTH "_0=a", APR_EINVAL },        /* stray chunk */
        { AUTH "=plain; " AUTH "_9=a", APR_EINVAL },
    };
    apr_pool_t *p = rxa_test_pool;
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *v = "unset", *err = NULL;
        apr_status_t rv = rxa_cookie_get_chunked(p, cases[i].header, AUTH, &v,
                                                 &err);
        ck_assert_msg(rv == cases[i].rv, "case %d: %d", (int)i, rv);
        ck_assert_ptr_null(v);
        if (rv != APR_NOTFOUND)
            ck_assert_msg(err && !strncmp(err, "RXA040", 6), "case %d", (int)i);
    }
}
END_TEST

START_TEST(chunk_read_bounds)
{
    apr_pool_t *p = rxa_test_pool;
    const char *v, *err = NULL;
    char *chunk = filled(p, RXA_COOKIE_CHUNK_SIZE + 1);
    const char *h;
    int i;

    /* A chunk over the chunk size is refused. */
    h = apr_pstrcat(p, AUTH "=chunks.2; " AUTH "_0=", chunk, "; " AUTH "_1=b",
                    NULL);
    ck_assert_int_eq(rxa_cookie_get_chunked(p, h, AUTH, &v, &err), APR_EINVAL);
    /* All eight full chunks: the largest value. */
    chunk[RXA_COOKIE_CHUNK_SIZE] = '\0';
    h = AUTH "=chunks.8";
    for (i = 0; i < 8; i++)
        h = apr_psprintf(p, "%s; %s_%d=%s", h, AUTH, i, chunk);
    ck_assert_int_eq(rxa_cookie_get_chunked(p, h, AUTH, &v, &err), APR_SUCCESS);
    ck_assert_uint_eq(strlen(v), RXA_COOKIE_MAX_VALUE);
    /* An unrelated cookie whose name extends ours. */
    ck_assert_int_eq(rxa_cookie_get_chunked(p, AUTH "=v; " AUTH "_x=1; "
                                            AUTH "_1234=1; " AUTH "x_1=1",
                                            AUTH, &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, "v");
    ck_assert_int_eq(rxa_cookie_get_chunked(p, "a=1", "bad name", &v, &err),
                     APR_EINVAL);
    ck_assert_int_eq(rxa_cookie_get_chunked(p, NULL, AUTH, &v, &err),
                     APR_NOTFOUND);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("cookie");
    TCase *tc = rxa_tcase("cookie");

    tcase_add_test(tc, get_basic);
    tcase_add_test(tc, get_hostile);
    tcase_add_test(tc, find_prefix);
    tcase_add_test(tc, find_prefix_thousands);
    tcase_add_test(tc, names_and_values);
    tcase_add_test(tc, format_exact);
    tcase_add_test(tc, chunk_roundtrip);
    tcase_add_test(tc, chunk_write_refused);
    tcase_add_test(tc, chunk_stale);
    tcase_add_test(tc, chunk_delete);
    tcase_add_test(tc, chunk_read_hostile);
    tcase_add_test(tc, chunk_read_bounds);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
