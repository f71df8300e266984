/* Unit tests: ReflexAuthProvider lines, environment precedence, scopes and
 * the start-up errors of the provider registry. */
#include "rxa_test.h"
#include "rxa_provider.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_getenv(const void *baton, const char *name)
{
    const char *const *env = baton;
    int i;

    for (i = 0; env && env[i]; i += 2)
        if (!strcmp(env[i], name))
            return env[i + 1];
    return NULL;
}

static apr_array_header_t *specs_of(apr_pool_t *p, const char *const *lines)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(rxa_provider_spec_t *));
    int i;

    for (i = 0; lines[i]; i++) {
        rxa_provider_spec_t *spec = apr_pcalloc(p, sizeof(*spec));
        const char *err = rxa_provider_spec_parse(p, spec, lines[i]);
        ck_assert_msg(err == NULL, "line %s: %s", lines[i], err);
        APR_ARRAY_PUSH(a, rxa_provider_spec_t *) = spec;
    }
    return a;
}

static apr_status_t resolve(const char *const *lines, const char *const *env,
                            const char *extra, apr_array_header_t **out,
                            const char **err)
{
    apr_pool_t *p = rxa_test_pool;
    apr_array_header_t *ex = NULL;

    if (extra) {
        ex = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(ex, const char *) = extra;
    }
    *err = NULL;
    return rxa_providers_resolve(p, lines ? specs_of(p, lines) : NULL, ex,
                                 fake_getenv, env, out, err);
}

#define PROVIDER(arr, i) APR_ARRAY_IDX(arr, i, rxa_provider_t *)

START_TEST(spec_line_parsing)
{
    apr_pool_t *p = rxa_test_pool;
    rxa_provider_spec_t spec;

    ck_assert_ptr_null(rxa_provider_spec_parse(p, &spec,
        "Google issuer=https://accounts.google.com client_id=abc "
        "scopes=\"openid email groups\" display_name=\"Google \\\"Work\\\"\""));
    ck_assert_str_eq(spec.name, "google");
    ck_assert_str_eq(spec.issuer, "https://accounts.google.com");
    ck_assert_str_eq(spec.client_id, "abc");
    ck_assert_str_eq(spec.scopes, "openid email groups");
    ck_assert_str_eq(spec.display_name, "Google \"Work\"");
    ck_assert_ptr_null(spec.client_secret);

    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, ""));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, "9lives"));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, "a-b"));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec,
        "abcdefghijabcdefghijabcdefghijabc"));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, "x colour=red"));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, "x issuer=a issuer=b"));
    ck_assert_ptr_nonnull(rxa_provider_spec_parse(p, &spec, "x scopes=\"a b"));
}
END_TEST

START_TEST(spec_error_does_not_echo_a_value)
{
    rxa_provider_spec_t spec;
    const char *err = rxa_provider_spec_parse(rxa_test_pool, &spec,
                                              "google s3cr3t-value");

    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_null(strstr(err, "s3cr3t"));
    ck_assert(!strncmp(err, "RXA0", 4));
}
END_TEST

START_TEST(generic_from_environment)
{
    static const char *const env[] = {
        "OIDC_ISSUER_URI", "https://idp.example.com",
        "OIDC_CLIENT_ID", "cid", "OIDC_CLIENT_SECRET", "sec", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(NULL, env, NULL, &ps, &err), APR_SUCCESS);
    ck_assert_int_eq(ps->nelts, 1);
    ck_assert_str_eq(PROVIDER(ps, 0)->name, "generic");
    ck_assert_str_eq(PROVIDER(ps, 0)->display_name, "Generic");
    ck_assert_str_eq(PROVIDER(ps, 0)->issuer, "https://idp.example.com");
    ck_assert_str_eq(PROVIDER(ps, 0)->issuer_from, "OIDC_ISSUER_URI");
    ck_assert_str_eq(PROVIDER(ps, 0)->client_secret, "sec");
    ck_assert_str_eq(PROVIDER(ps, 0)->scope, "openid email profile");
}
END_TEST

START_TEST(name_variable_wins_over_oidc)
{
    static const char *const env[] = {
        "OIDC_ISSUER_URI", "https://shared.example.com",
        "GENERIC_ISSUER_URI", "https://own.example.com",
        "OIDC_CLIENT_ID", "shared", "GENERIC_CLIENT_ID", "own", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(NULL, env, NULL, &ps, &err), APR_SUCCESS);
    ck_assert_str_eq(PROVIDER(ps, 0)->issuer, "https://own.example.com");
    ck_assert_str_eq(PROVIDER(ps, 0)->issuer_from, "GENERIC_ISSUER_URI");
    ck_assert_str_eq(PROVIDER(ps, 0)->client_id, "own");
    /* no secret anywhere: a public client */
    ck_assert_ptr_null(PROVIDER(ps, 0)->client_secret);
}
END_TEST

START_TEST(line_wins_over_environment)
{
    static const char *const lines[] = {
        "corp issuer=https://line.example.com client_id=line-id client_secret=", NULL
    };
    static const char *const env[] = {
        "CORP_ISSUER_URI", "https://env.example.com", "CORP_CLIENT_ID", "env",
        "CORP_CLIENT_SECRET", "env-secret", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, env, NULL, &ps, &err), APR_SUCCESS);
    ck_assert_str_eq(PROVIDER(ps, 0)->issuer, "https://line.example.com");
    ck_assert_str_eq(PROVIDER(ps, 0)->client_id, "line-id");
    /* an empty client_secret= on the line makes a public client */
    ck_assert_ptr_null(PROVIDER(ps, 0)->client_secret);
}
END_TEST

START_TEST(shared_fallback_names_both)
{
    static const char *const lines[] = { "google", "azure client_id=x", NULL };
    static const char *const env[] = {
        "OIDC_ISSUER_URI", "https://idp.example.com",
        "GOOGLE_CLIENT_ID", "g", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, env, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "google and azure"));
    ck_assert_ptr_nonnull(strstr(err, "OIDC_ISSUER_URI"));
    ck_assert_ptr_nonnull(strstr(err, "GOOGLE_ISSUER_URI"));
    ck_assert_ptr_nonnull(strstr(err, "AZURE_ISSUER_URI"));
}
END_TEST

START_TEST(shared_client_id_fallback)
{
    static const char *const lines[] = {
        "a issuer=https://a.example.com", "b issuer=https://b.example.com",
        "c issuer=https://c.example.com client_id=c", NULL
    };
    static const char *const env[] = { "OIDC_CLIENT_ID", "x", NULL };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, env, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "a and b"));
    ck_assert_ptr_nonnull(strstr(err, "OIDC_CLIENT_ID"));
}
END_TEST

START_TEST(one_provider_may_use_the_fallback)
{
    static const char *const lines[] = {
        "primary", "second issuer=https://b.example.com client_id=b", NULL
    };
    static const char *const env[] = {
        "OIDC_ISSUER_URI", "https://a.example.com", "OIDC_CLIENT_ID", "a", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, env, NULL, &ps, &err), APR_SUCCESS);
    ck_assert_int_eq(ps->nelts, 2);
    /* declaration order is login-page order */
    ck_assert_str_eq(PROVIDER(ps, 0)->name, "primary");
    ck_assert_str_eq(PROVIDER(ps, 1)->name, "second");
    ck_assert_ptr_eq(rxa_provider_find(ps, "second"), PROVIDER(ps, 1));
    ck_assert_ptr_null(rxa_provider_find(ps, "third"));
}
END_TEST

START_TEST(missing_and_insecure_issuers)
{
    static const char *const none[] = { NULL };
    static const char *const no_client[] = {
        "OIDC_ISSUER_URI", "https://idp.example.com", NULL
    };
    static const char *const plain[] = {
        "OIDC_ISSUER_URI", "http://idp.example.com", "OIDC_CLIENT_ID", "x", NULL
    };
    static const char *const dup[] = { "a", "A", NULL };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(NULL, none, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "GENERIC_ISSUER_URI"));
    ck_assert_int_eq(resolve(NULL, no_client, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "client id"));
    ck_assert_int_eq(resolve(NULL, plain, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "https"));
    ck_assert_int_eq(resolve(dup, no_client, NULL, &ps, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
}
END_TEST

START_TEST(scopes_merge_and_dedupe)
{
    static const char *const lines[] = {
        "a issuer=https://a.example.com client_id=a",
        "b issuer=https://b.example.com client_id=b scopes=\"email groups email\"",
        NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, NULL, "offline_access groups  openid",
                             &ps, &err), APR_SUCCESS);
    ck_assert_str_eq(PROVIDER(ps, 0)->scope,
                     "openid email profile offline_access groups");
    /* scopes= replaces the default; openid stays first, always */
    ck_assert_str_eq(PROVIDER(ps, 1)->scope,
                     "openid email groups offline_access");
}
END_TEST

START_TEST(tenants_and_display_name)
{
    static const char *const lines[] = {
        "entra_work issuer=https://login.microsoftonline.com/organizations/v2.0 "
        "client_id=a tenants=\"t1 t2 t1\"", NULL
    };
    apr_array_header_t *ps;
    const char *err;

    ck_assert_int_eq(resolve(lines, NULL, NULL, &ps, &err), APR_SUCCESS);
    ck_assert_int_eq(PROVIDER(ps, 0)->tenants->nelts, 2);
    ck_assert_str_eq(PROVIDER(ps, 0)->display_name, "Entra Work");
}
END_TEST

START_TEST(cookie_secrets)
{
    apr_pool_t *p = rxa_test_pool;
    apr_array_header_t *s = apr_array_make(p, 2, sizeof(const char *));
    const char *err;

    err = rxa_cookie_secrets_check(p, NULL);
    ck_assert_ptr_nonnull(strstr(err, "openssl rand -base64 32"));
    err = rxa_cookie_secrets_check(p, s);
    ck_assert_ptr_nonnull(strstr(err, "openssl rand -base64 32"));
    APR_ARRAY_PUSH(s, const char *) = "0123456789abcdef0123456789abcdef";
    ck_assert_ptr_null(rxa_cookie_secrets_check(p, s));
    APR_ARRAY_PUSH(s, const char *) = "short-old-secret";
    err = rxa_cookie_secrets_check(p, s);
    ck_assert_ptr_nonnull(strstr(err, "openssl rand -base64 32"));
    ck_assert_ptr_null(strstr(err, "short-old-secret"));
}
END_TEST

START_TEST(env_presence)
{
    static const char *const some[] = { "OIDC_CLIENT_ID", "x", NULL };
    static const char *const empty[] = { "OIDC_CLIENT_ID", "", NULL };
    static const char *const secret_only[] = {
        "OIDC_COOKIE_SECRET", "0123456789abcdef0123456789abcdef", NULL };

    ck_assert(rxa_providers_env_present(fake_getenv, some));
    ck_assert(!rxa_providers_env_present(fake_getenv, empty));
    ck_assert(!rxa_providers_env_present(fake_getenv, NULL));
    ck_assert(!rxa_providers_env_present(fake_getenv, secret_only));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("provider");
    TCase *tc = rxa_tcase("provider");

    tcase_add_test(tc, spec_line_parsing);
    tcase_add_test(tc, spec_error_does_not_echo_a_value);
    tcase_add_test(tc, generic_from_environment);
    tcase_add_test(tc, name_variable_wins_over_oidc);
    tcase_add_test(tc, line_wins_over_environment);
    tcase_add_test(tc, shared_fallback_names_both);
    tcase_add_test(tc, shared_client_id_fallback);
    tcase_add_test(tc, one_provider_may_use_the_fallback);
    tcase_add_test(tc, missing_and_insecure_issuers);
    tcase_add_test(tc, scopes_merge_and_dedupe);
    tcase_add_test(tc, tenants_and_display_name);
    tcase_add_test(tc, cookie_secrets);
    tcase_add_test(tc, env_presence);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
