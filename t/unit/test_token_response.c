/* Unit tests: the token endpoint's answer (rxa_token_response.h), in the
 * shapes real IdPs send and in the ones an attacker or a broken IdP might. */
#include <apr_strings.h>

#include "rxa_test.h"
#include "rxa_token_response.h"

/* A compact ID token's shape; its content does not matter here. */
#define IDT "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiIxIn0.c2ln"

static rxa_token_response_t *parse_ok(const char *body)
{
    rxa_token_response_t *tr = NULL;
    const char *err = NULL;
    apr_status_t rv = rxa_token_response_parse(rxa_test_pool, body,
                                               strlen(body), &tr, &err);

    ck_assert_msg(rv == APR_SUCCESS, "refused: %s", err);
    ck_assert_ptr_nonnull(tr);
    ck_assert_ptr_null(tr->error);
    return tr;
}

/* Refused with a tag of ours (or of the JSON layer), never quoting BODY's
 * tokens; returns the reason. */
static const char *parse_err(const char *body, apr_size_t len)
{
    rxa_token_response_t *tr = (rxa_token_response_t *)1;
    const char *err = NULL;

    ck_assert_int_eq(rxa_token_response_parse(rxa_test_pool, body, len, &tr,
                                              &err), APR_EINVAL);
    ck_assert_ptr_null(tr);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(!strncmp(err, "RXA070", 6) || !strncmp(err, "RXA010", 6),
                  "untagged: %s", err);
    ck_assert_msg(!strstr(err, "SECRET"), "quotes a token: %s", err);
    return err;
}

static void refused_with(const char *body, const char *tag)
{
    const char *err = parse_err(body, strlen(body));

    ck_assert_msg(!strncmp(err, tag, strlen(tag)), "%s: got %s", tag, err);
}

START_TEST(google_shape)
{
    rxa_token_response_t *tr = parse_ok(
        "{\n  \"access_token\": \"ya29.a0AfB_byC-SECRET\",\n"
        "  \"expires_in\": 3599,\n"
        "  \"refresh_token\": \"1//0gSECRET-refresh\",\n"
        "  \"scope\": \"openid https://www.googleapis.com/auth/userinfo.email\",\n"
        "  \"token_type\": \"Bearer\",\n"
        "  \"id_token\": \"" IDT "\"\n}");

    ck_assert_str_eq(tr->access_token, "ya29.a0AfB_byC-SECRET");
    ck_assert_int_eq(tr->expires_in, 3599);
    ck_assert_int_eq(tr->expires_in_sent, 1);
    ck_assert_str_eq(tr->refresh_token, "1//0gSECRET-refresh");
    ck_assert_str_eq(tr->scope,
                     "openid https://www.googleapis.com/auth/userinfo.email");
    ck_assert_str_eq(tr->token_type, "Bearer");
    ck_assert_str_eq(tr->id_token, IDT);
}
END_TEST

START_TEST(minimal_and_defaults)
{
    rxa_token_response_t *tr = parse_ok("{\"access_token\":\"a\"}");

    ck_assert_str_eq(tr->access_token, "a");
    ck_assert_int_eq(tr->expires_in, RXA_TOKEN_EXPIRES_IN_DEFAULT);
    ck_assert_int_eq(tr->expires_in_sent, 0);
    ck_assert_ptr_null(tr->token_type);
    ck_assert_ptr_null(tr->id_token);
    ck_assert_ptr_null(tr->refresh_token);
    ck_assert_ptr_null(tr->scope);

    /* null and empty optional members count as absent */
    tr = parse_ok("{\"access_token\":\"a\",\"token_type\":null,"
                  "\"expires_in\":null,\"id_token\":null,\"refresh_token\":\"\","
                  "\"scope\":\"\",\"error\":null}");
    ck_assert_ptr_null(tr->token_type);
    ck_assert_int_eq(tr->expires_in, RXA_TOKEN_EXPIRES_IN_DEFAULT);
    ck_assert_int_eq(tr->expires_in_sent, 0);
    ck_assert_ptr_null(tr->id_token);
    ck_assert_ptr_null(tr->refresh_token);
    ck_assert_ptr_null(tr->scope);

    /* unknown members (Entra's ext_expires_in, Keycloak's session_state,
     * numbers and objects) are ignored */
    tr = parse_ok("{\"access_token\":\"a\",\"ext_expires_in\":3599,"
                  "\"refresh_expires_in\":1800,\"not-before-policy\":0,"
                  "\"session_state\":\"x\",\"x\":{\"y\":[1,2]}}");
    ck_assert_str_eq(tr->access_token, "a");
}
END_TEST

START_TEST(token_type_any_case)
{
    ck_assert_str_eq(parse_ok("{\"access_token\":\"a\",\"token_type\":"
                              "\"bearer\"}")->token_type, "bearer");
    ck_assert_str_eq(parse_ok("{\"access_token\":\"a\",\"token_type\":"
                              "\"BEARER\"}")->token_type, "BEARER");
    refused_with("{\"access_token\":\"a\",\"token_type\":\"DPoP\"}",
                 "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":\"mac\"}",
                 "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":\"\"}", "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":\" Bearer\"}",
                 "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":\"Bearer \"}",
                 "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":\"Bearerx\"}",
                 "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":1}", "RXA07007");
    refused_with("{\"access_token\":\"a\",\"token_type\":[\"Bearer\"]}",
                 "RXA07007");
}
END_TEST

START_TEST(expires_in_bounds)
{
    ck_assert_int_eq(parse_ok("{\"access_token\":\"a\",\"expires_in\":1}")
                     ->expires_in, 1);
    ck_assert_int_eq(parse_ok("{\"access_token\":\"a\",\"expires_in\":604800}")
                     ->expires_in, 604800);
    /* Entra v1 and others send a string */
    ck_assert_int_eq(parse_ok("{\"access_token\":\"a\",\"expires_in\":"
                              "\"3599\"}")->expires_in, 3599);
    refused_with("{\"access_token\":\"a\",\"expires_in\":0}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":-1}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":604801}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":9223372036854775807}",
                 "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":3600.0}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":1e3}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":true}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"0\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"-5\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"+5\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\" 5\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"604801\"}",
                 "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"99999999999999999999"
                 "\"}", "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":\"3600s\"}",
                 "RXA07008");
    refused_with("{\"access_token\":\"a\",\"expires_in\":{}}", "RXA07008");
}
END_TEST

START_TEST(access_token_required)
{
    const char *body;

    refused_with("{}", "RXA07004");
    refused_with("{\"id_token\":\"" IDT "\"}", "RXA07004");
    refused_with("{\"access_token\":null}", "RXA07004");
    refused_with("{\"access_token\":\"\"}", "RXA07005");
    refused_with("{\"access_token\":42}", "RXA07005");
    refused_with("{\"access_token\":[\"a\"]}", "RXA07005");
    refused_with("{\"access_token\":{\"a\":1}}", "RXA07005");
    /* it ends up in an Authorization header */
    refused_with("{\"access_token\":\"a\\r\\nX-Evil: 1\"}", "RXA07006");
    refused_with("{\"access_token\":\"a b\"}", "RXA07006");
    refused_with("{\"access_token\":\"a\\u00e9\"}", "RXA07006");
    refused_with("{\"access_token\":\"a\\u007f\"}", "RXA07006");
    /* NUL inside a JSON string: refused by the JSON layer */
    body = "{\"access_token\":\"a\\u0000b\"}";
    parse_err(body, strlen(body));
}
END_TEST

START_TEST(optional_members_typed)
{
    refused_with("{\"access_token\":\"a\",\"id_token\":1}", "RXA07009");
    refused_with("{\"access_token\":\"a\",\"id_token\":{}}", "RXA07009");
    refused_with("{\"access_token\":\"a\",\"id_token\":\"a.b c\"}", "RXA07009");
    refused_with("{\"access_token\":\"a\",\"refresh_token\":true}",
                 "RXA07010");
    refused_with("{\"access_token\":\"a\",\"refresh_token\":\"r\\n\"}",
                 "RXA07010");
    refused_with("{\"access_token\":\"a\",\"scope\":[\"openid\"]}",
                 "RXA07011");
    refused_with("{\"access_token\":\"a\",\"scope\":\"openid\\temail\"}",
                 "RXA07011");
    ck_assert_str_eq(parse_ok("{\"access_token\":\"a\",\"scope\":"
                              "\"openid email profile\"}")->scope,
                     "openid email profile");
}
END_TEST

START_TEST(error_answers)
{
    rxa_token_response_t *tr = NULL;
    const char *err = NULL, *body;
    char *big;
    apr_size_t n;
    apr_status_t rv;

    body = "{\"error\":\"invalid_grant\",\"error_description\":"
           "\"Code not valid\"}";
    rv = rxa_token_response_parse(rxa_test_pool, body, strlen(body), &tr,
                                  &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_ptr_nonnull(tr);
    ck_assert_str_eq(tr->error, "invalid_grant");
    ck_assert_str_eq(tr->error_description, "Code not valid");
    ck_assert_ptr_null(tr->access_token);
    ck_assert_str_eq(err, "RXA07003: token endpoint answered error "
                          "'invalid_grant' (Code not valid)");

    /* an error wins even beside an access token */
    body = "{\"access_token\":\"SECRET\",\"error\":\"invalid_client\"}";
    rv = rxa_token_response_parse(rxa_test_pool, body, strlen(body), &tr,
                                  &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_str_eq(tr->error, "invalid_client");
    ck_assert_ptr_null(tr->error_description);
    ck_assert_ptr_null(strstr(err, "SECRET"));

    /* made safe to log: controls, quotes, backslashes, non-ASCII */
    body = "{\"error\":\"bad\\r\\n\\\"x\\\\y\\u00e9<b>\","
           "\"error_description\":7}";
    rv = rxa_token_response_parse(rxa_test_pool, body, strlen(body), &tr,
                                  &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_str_eq(tr->error, "bad???x?y??" "<b>");
    ck_assert_ptr_null(tr->error_description);

    rv = rxa_token_response_parse(rxa_test_pool, "{\"error\":[1]}", 13, &tr,
                                  &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_str_eq(tr->error, "(not a string)");

    /* truncated */
    big = apr_palloc(rxa_test_pool, 1100);
    strcpy(big, "{\"error\":\"");
    n = strlen(big);
    memset(big + n, 'e', 1000);
    strcpy(big + n + 1000, "\"}");
    rv = rxa_token_response_parse(rxa_test_pool, big, strlen(big), &tr, &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_int_eq(strlen(tr->error), RXA_TOKEN_ERROR_MAX + 3);
    ck_assert_str_eq(tr->error + RXA_TOKEN_ERROR_MAX, "...");
    strcpy(big, "{\"error\":\"x\",\"error_description\":\"");
    n = strlen(big);
    memset(big + n, 'd', 1000);
    strcpy(big + n + 1000, "\"}");
    rv = rxa_token_response_parse(rxa_test_pool, big, strlen(big), &tr, &err);
    ck_assert_int_eq(rv, RXA_TOKEN_RESPONSE_ERROR);
    ck_assert_int_eq(strlen(tr->error_description),
                     RXA_TOKEN_ERROR_DESCRIPTION_MAX + 3);
}
END_TEST

START_TEST(not_an_object)
{
    refused_with("[]", "RXA07002");
    refused_with("\"access_token\"", "RXA07002");
    refused_with("null", "RXA07002");
    refused_with("42", "RXA07002");
    refused_with("access_token=a&token_type=bearer", "RXA01004");
    refused_with("<html><body>502 Bad Gateway</body></html>", "RXA01004");
    refused_with("{\"access_token\":\"a\"", "RXA01004");
    refused_with("{\"access_token\":\"a\",\"access_token\":\"b\"}",
                 "RXA01004");
    parse_err("", 0);
    parse_err(NULL, 0);
}
END_TEST

START_TEST(size_limit)
{
    apr_size_t n = RXA_TOKEN_RESPONSE_MAX_BYTES + 1, pad;
    char *body = apr_palloc(rxa_test_pool, n + 1);
    rxa_token_response_t *tr;
    const char *err;

    /* exactly at the limit: taken */
    pad = RXA_TOKEN_RESPONSE_MAX_BYTES - strlen("{\"access_token\":\"\"}");
    strcpy(body, "{\"access_token\":\"");
    memset(body + 17, 'a', pad);
    strcpy(body + 17 + pad, "\"}");
    ck_assert_uint_eq(strlen(body), RXA_TOKEN_RESPONSE_MAX_BYTES);
    ck_assert_int_eq(rxa_token_response_parse(rxa_test_pool, body,
                                              strlen(body), &tr, &err),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(tr->access_token), pad);
    /* one byte more: refused before parsing */
    memset(body, ' ', n);
    body[n] = '\0';
    ck_assert_str_eq(parse_err(body, n), apr_psprintf(rxa_test_pool,
                     "RXA07001: token response of %" APR_SIZE_T_FMT
                     " bytes exceeds the limit of %d", n,
                     RXA_TOKEN_RESPONSE_MAX_BYTES));
}
END_TEST

START_TEST(length_not_nul)
{
    /* LEN counts, not a NUL: trailing bytes past LEN are not read */
    const char *body = "{\"access_token\":\"abc\"}garbage";
    rxa_token_response_t *tr;
    const char *err;

    ck_assert_int_eq(rxa_token_response_parse(rxa_test_pool, body, 22, &tr,
                                              &err), APR_SUCCESS);
    ck_assert_str_eq(tr->access_token, "abc");
    parse_err(body, strlen(body));
}
END_TEST

/* The seed corpus holds real IdPs' shapes: each success seed parses. */
START_TEST(corpus_shapes)
{
    static const char *const ok[] = {
        "google", "entra-v2", "entra-v1-strings", "keycloak", "okta",
        "auth0", "gitlab", "refresh-only-access", NULL
    };
    static const char *const errors[] = {
        "error-invalid-grant", "error-invalid-client", NULL
    };
    const char *src = getenv("RXA_SRCDIR"), *err, *path;
    rxa_token_response_t *tr;
    apr_size_t len;
    char *body;
    int i;

    for (i = 0; ok[i]; i++) {
        path = apr_pstrcat(rxa_test_pool, src ? src : ".",
                           "/t/fuzz/corpus/token_response/", ok[i], ".json",
                           NULL);
        body = rxa_test_slurp(rxa_test_pool, path, &len);
        if (!body) {
            printf("# skip: %s not found\n", path);
            return;
        }
        ck_assert_msg(rxa_token_response_parse(rxa_test_pool, body, len, &tr,
                                               &err) == APR_SUCCESS,
                      "%s: %s", ok[i], err);
    }
    for (i = 0; errors[i]; i++) {
        path = apr_pstrcat(rxa_test_pool, src ? src : ".",
                           "/t/fuzz/corpus/token_response/", errors[i],
                           ".json", NULL);
        body = rxa_test_slurp(rxa_test_pool, path, &len);
        if (!body) {
            printf("# skip: %s not found\n", path);
            return;
        }
        ck_assert_int_eq(rxa_token_response_parse(rxa_test_pool, body, len,
                                                  &tr, &err),
                         RXA_TOKEN_RESPONSE_ERROR);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("token_response");
    TCase *tc = rxa_tcase("token_response");

    tcase_add_test(tc, google_shape);
    tcase_add_test(tc, minimal_and_defaults);
    tcase_add_test(tc, token_type_any_case);
    tcase_add_test(tc, expires_in_bounds);
    tcase_add_test(tc, access_token_required);
    tcase_add_test(tc, optional_members_typed);
    tcase_add_test(tc, error_answers);
    tcase_add_test(tc, not_an_object);
    tcase_add_test(tc, size_limit);
    tcase_add_test(tc, length_not_nul);
    tcase_add_test(tc, corpus_shapes);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
