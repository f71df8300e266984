/* Unit tests: discovery documents, including every real provider's
 * document in the test data's wellknown/ directory. */
#include <apr_strings.h>

#include "rxa_test.h"
#include "rxa_json.h"
#include "rxa_metadata.h"

static const char *const real_providers[] = {
    "apple", "battle-net", "discord", "docker", "dropbox", "entra-common",
    "entra-organizations", "facebook", "gitlab", "google", "klarna", "lego",
    "mojeid", "paypal", "slack", "spotify", "twitch", "verimi", "yahoo", NULL
};

static int has_alg(const rxa_metadata_t *md, const char *alg)
{
    int i;

    for (i = 0; i < md->signing_algs->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(md->signing_algs, i, const char *), alg))
            return 1;
    return 0;
}

/* The issuer an administrator would configure for a published one. */
static const char *configured_for(apr_pool_t *p, const char *name,
                                  const char *published)
{
    if (!strcmp(name, "entra-common"))
        return "https://login.microsoftonline.com/common/v2.0";
    if (!strcmp(name, "entra-organizations"))
        return "https://login.microsoftonline.com/organizations/v2.0";
    return published;
}

static rxa_metadata_t *parse_ok(const char *configured, const char *doc)
{
    rxa_metadata_t *md = NULL;
    const char *err = NULL;
    apr_status_t rv = rxa_metadata_parse(rxa_test_pool, configured, doc,
                                         strlen(doc), &md, &err);

    ck_assert_msg(rv == APR_SUCCESS, "parse failed: %s", err);
    return md;
}

static const char *parse_err(const char *configured, const char *doc)
{
    rxa_metadata_t *md = NULL;
    const char *err = NULL;

    ck_assert_int_ne(rxa_metadata_parse(rxa_test_pool, configured, doc,
                                        strlen(doc), &md, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(!strncmp(err, "RXA0", 4), "untagged: %s", err);
    return err;
}

#define DOC(extra) \
    "{\"issuer\":\"https://idp.example.com\"," \
    "\"authorization_endpoint\":\"https://idp.example.com/auth\"," \
    "\"token_endpoint\":\"https://idp.example.com/token\"," \
    "\"jwks_uri\":\"https://idp.example.com/jwks\"" extra "}"

START_TEST(discovery_url)
{
    ck_assert_str_eq(rxa_discovery_url(rxa_test_pool, "https://a.example/"),
                     "https://a.example/.well-known/openid-configuration");
    ck_assert_str_eq(rxa_discovery_url(rxa_test_pool, "https://a.example/realms/x"),
                     "https://a.example/realms/x/.well-known/openid-configuration");
}
END_TEST

START_TEST(issuer_matching)
{
    ck_assert(rxa_issuer_matches("https://a.example", "https://a.example"));
    ck_assert(rxa_issuer_matches("https://a.example", "https://a.example/"));
    ck_assert(rxa_issuer_matches("https://a.example/", "https://a.example"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://a.example//"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://b.example"));
    ck_assert(!rxa_issuer_matches("https://a.example", "https://a.example.evil"));
    ck_assert(!rxa_issuer_matches("https://a.example/x", "https://a.example"));
    ck_assert(!rxa_issuer_matches("https://A.example", "https://a.example"));
    ck_assert(rxa_issuer_matches("https://login.microsoftonline.com/common/v2.0",
                                 "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches("https://login.microsoftonline.com//v2.0",
                                  "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches("https://login.microsoftonline.com/a/b/v2.0",
                                  "https://login.microsoftonline.com/{tenantid}/v2.0"));
    ck_assert(!rxa_issuer_matches(NULL, "https://a.example"));
}
END_TEST

START_TEST(minimal_document)
{
    rxa_metadata_t *md = parse_ok("https://idp.example.com", DOC(""));

    ck_assert_str_eq(md->token_endpoint, "https://idp.example.com/token");
    ck_assert_ptr_null(md->userinfo_endpoint);
    ck_assert_ptr_null(md->end_session_endpoint);
    /* no list: RS256, the OpenID default */
    ck_assert_int_eq(md->signing_algs->nelts, 1);
    ck_assert(has_alg(md, "RS256"));
    ck_assert(!md->token_auth_post);
    ck_assert(!md->pkce_listed);
}
END_TEST

START_TEST(refused_algorithms_ignored)
{
    rxa_metadata_t *md = parse_ok("https://idp.example.com",
        DOC(",\"id_token_signing_alg_values_supported\":"
            "[\"none\",\"HS256\",\"HS512\",\"ES256\",\"EdDSA\",\"XYZ\",7]"));

    ck_assert_int_eq(md->signing_algs->nelts, 2);
    ck_assert(has_alg(md, "ES256") && has_alg(md, "EdDSA"));
    ck_assert(!has_alg(md, "none") && !has_alg(md, "HS256"));
    ck_assert_ptr_nonnull(strstr(parse_err("https://idp.example.com",
        DOC(",\"id_token_signing_alg_values_supported\":[\"none\",\"HS256\"]")),
        "signing algorithm"));
}
END_TEST

START_TEST(token_auth_method)
{
    ck_assert(parse_ok("https://idp.example.com",
        DOC(",\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]"))
        ->token_auth_post);
    ck_assert(!parse_ok("https://idp.example.com",
        DOC(",\"token_endpoint_auth_methods_supported\":"
            "[\"client_secret_post\",\"client_secret_basic\"]"))->token_auth_post);
}
END_TEST

START_TEST(bad_documents)
{
    const char *c = "https://idp.example.com";

    parse_err(c, "");
    parse_err(c, "[]");
    parse_err(c, "{\"issuer\":");
    parse_err(c, "{\"authorization_endpoint\":\"https://idp.example.com/a\"}");
    ck_assert_ptr_nonnull(strstr(parse_err("https://other.example.com", DOC("")),
                                 "not the configured"));
    ck_assert_ptr_nonnull(strstr(parse_err(c,
        "{\"issuer\":\"https://idp.example.com\","
        "\"authorization_endpoint\":\"http://idp.example.com/auth\","
        "\"token_endpoint\":\"https://idp.example.com/token\","
        "\"jwks_uri\":\"https://idp.example.com/jwks\"}"), "https"));
    parse_err(c, DOC(",\"userinfo_endpoint\":\"javascript:alert(1)\""));
    parse_err(c, DOC(",\"end_session_endpoint\":42"));
    /* duplicate keys are refused: which one would win is parser-dependent */
    parse_err(c, DOC(",\"issuer\":\"https://idp.example.com\""));
    parse_err(c, "{\"issuer\":\"https://idp.example.com\",\"token_endpoint\":"
                 "\"https://idp.example.com/t\",\"jwks_uri\":\"https://idp.example.com/k\"}");
    parse_err(c, "{\"issuer\":\"https://idp.example.com\",\"authorization_endpoint\":"
                 "\"https://idp.example.com/a\",\"token_endpoint\":\"https://idp.example.com/t\"}");
    parse_err("http://127.0.0.1:9", "{\"issuer\":\"http://127.0.0.1:9\"}");
}
END_TEST

START_TEST(loopback_http_allowed)
{
    rxa_metadata_t *md = parse_ok("http://127.0.0.1:4000",
        "{\"issuer\":\"http://127.0.0.1:4000\","
        "\"authorization_endpoint\":\"http://127.0.0.1:4000/auth\","
        "\"token_endpoint\":\"http://127.0.0.1:4000/token\","
        "\"jwks_uri\":\"http://127.0.0.1:4000/jwks\","
        "\"code_challenge_methods_supported\":[\"S256\"]}");

    ck_assert(md->pkce_listed);
}
END_TEST

START_TEST(size_and_depth_limits)
{
    apr_pool_t *p = rxa_test_pool;
    apr_size_t big = RXA_DISCOVERY_MAX_BYTES + 10;
    char *huge = apr_palloc(p, big + 1), *deep;
    const char *err = NULL;
    rxa_metadata_t *md;
    int i;

    memset(huge, ' ', big);
    memcpy(huge, "{}", 2);
    huge[big] = '\0';
    ck_assert_int_ne(rxa_metadata_parse(p, "https://a", huge, big, &md, &err),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err, "limit"));

    deep = apr_palloc(p, 2 * (RXA_JSON_MAX_DEPTH + 1) + 1);
    for (i = 0; i <= RXA_JSON_MAX_DEPTH; i++) {
        deep[i] = '[';
        deep[2 * (RXA_JSON_MAX_DEPTH + 1) - 1 - i] = ']';
    }
    deep[2 * (RXA_JSON_MAX_DEPTH + 1)] = '\0';
    ck_assert_ptr_null(rxa_json_parse(p, deep, strlen(deep), 1000, &err));
    ck_assert_ptr_nonnull(strstr(err, "nesting"));
    /* brackets inside strings do not count */
    ck_assert_ptr_nonnull(rxa_json_parse(p, "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
                                         46, 1000, &err));
}
END_TEST

/* Every real provider's published document loads. */
START_TEST(real_provider_documents)
{
    apr_pool_t *p = rxa_test_pool;
    const char *name = real_providers[_i];
    const char *path = rxa_testdata(p, apr_pstrcat(p, "wellknown/", name,
                                                   ".discovery.json", NULL));
    apr_size_t len;
    char *doc;
    json_t *j;
    rxa_metadata_t *md;
    const char *err = NULL, *published;

    if (!path) {
        fprintf(stderr, "# SKIP %s: no wellknown/ in the test data\n", name);
        return;
    }
    doc = rxa_test_slurp(p, path, &len);
    ck_assert_ptr_nonnull(doc);
    j = rxa_json_parse_object(p, doc, len, RXA_DISCOVERY_MAX_BYTES, &err);
    ck_assert_ptr_nonnull(j);
    published = rxa_json_get_str(j, "issuer");
    ck_assert_msg(rxa_metadata_parse(p, configured_for(p, name, published),
                                     doc, len, &md, &err) == APR_SUCCESS,
                  "%s: %s", name, err);
    ck_assert_str_eq(md->issuer, published);
    ck_assert_int_ge(md->signing_algs->nelts, 1);
    ck_assert(!has_alg(md, "none") && !has_alg(md, "HS256"));
    ck_assert_int_eq(md->issuer_is_template, !strncmp(name, "entra", 5));
    /* a trailing slash in the configured issuer changes nothing */
    if (!md->issuer_is_template)
        ck_assert_int_eq(rxa_metadata_parse(p, apr_pstrcat(p, rxa_json_get_str(j,
                         "issuer"), "/", NULL), doc, len, &md, &err) == APR_SUCCESS
                         || published[strlen(published) - 1] == '/', 1);
    if (!strcmp(name, "apple"))
        ck_assert(md->token_auth_post);
    if (!strcmp(name, "facebook"))
        ck_assert_ptr_null(md->token_endpoint);
    else
        ck_assert_ptr_nonnull(md->token_endpoint);
    if (!strcmp(name, "google"))
        ck_assert(md->pkce_listed && !md->token_auth_post);
    if (!strcmp(name, "twitch") || !strcmp(name, "apple"))
        ck_assert(!md->pkce_listed);
    if (!strcmp(name, "docker") || !strcmp(name, "mojeid"))
        ck_assert_int_eq(published[strlen(published) - 1], '/');
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("metadata");
    TCase *tc = rxa_tcase("metadata");
    int n = 0;

    while (real_providers[n])
        n++;
    tcase_add_test(tc, discovery_url);
    tcase_add_test(tc, issuer_matching);
    tcase_add_test(tc, minimal_document);
    tcase_add_test(tc, refused_algorithms_ignored);
    tcase_add_test(tc, token_auth_method);
    tcase_add_test(tc, bad_documents);
    tcase_add_test(tc, loopback_http_allowed);
    tcase_add_test(tc, size_and_depth_limits);
    tcase_add_loop_test(tc, real_provider_documents, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
