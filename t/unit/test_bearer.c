/* Bearer tokens: the Authorization header, JWT or opaque, the claims of a
 * JWT access token, the introspection answer and the introspection form. */
#include <stdarg.h>

#include "rxa_test.h"
#include "rxa_claims_test.h"

#include "rxa_b64url.h"
#include "rxa_bearer.h"
#include "rxa_json.h"
#include "rxa_query.h"
#include "rxa_util.h"

#define NOW APR_INT64_C(1700000000)
#define ISSUER "https://idp.example"

/* --- the Authorization header -------------------------------------------- */

static rxa_bearer_header_t header(const char **token, const char **why,
                                  int n, ...)
{
    apr_array_header_t *values = apr_array_make(rxa_test_pool, 2,
                                                sizeof(const char *));
    va_list ap;
    int i;

    va_start(ap, n);
    for (i = 0; i < n; i++)
        APR_ARRAY_PUSH(values, const char *) = va_arg(ap, const char *);
    va_end(ap);
    *why = NULL;
    return rxa_bearer_from_headers(rxa_test_pool, values, token, why);
}

#define ck_header_token(value, want) do {                                   \
        const char *t_, *w_;                                                \
        ck_assert_msg(header(&t_, &w_, 1, (value))                          \
                      == RXA_BEARER_HEADER_TOKEN, "%s: %s", (value),        \
                      w_ ? w_ : "");                                        \
        ck_assert_str_eq(t_, (want));                                       \
    } while (0)

#define ck_header_is(value, what, tag) do {                                 \
        const char *t_, *w_;                                                \
        ck_assert_msg(header(&t_, &w_, 1, (value)) == (what), "%s",         \
                      (value));                                             \
        ck_assert_ptr_null(t_);                                             \
        ck_assert_msg(w_ && strstr(w_, (tag)), "%s: %s", (value),           \
                      w_ ? w_ : "");                                        \
    } while (0)

#define ck_header_none(value) do {                                          \
        const char *t_, *w_;                                                \
        ck_assert_msg(header(&t_, &w_, 1, (value))                          \
                      == RXA_BEARER_HEADER_NONE, "%s", (value));            \
        ck_assert_ptr_null(t_);                                             \
    } while (0)

START_TEST(header_token)
{
    ck_header_token("Bearer abc", "abc");
    ck_header_token("bearer abc", "abc");
    ck_header_token("BEARER abc", "abc");
    ck_header_token("Bearer    abc", "abc");
    ck_header_token("Bearer abc  ", "abc");
    ck_header_token("Bearer aA0-._~+/", "aA0-._~+/");
    ck_header_token("Bearer abc==", "abc==");
    ck_header_token("Bearer eyJh.eyJz.c2ln", "eyJh.eyJz.c2ln");
}
END_TEST

START_TEST(header_other_scheme)
{
    const char *t, *w;

    ck_header_none("Basic YWxpY2U6c2VjcmV0");
    ck_header_none("Bearerx abc");
    ck_header_none("Bear abc");
    ck_header_none("");
    ck_header_none(" Bearer abc");
    ck_header_none("Digest realm=\"a\", nonce=\"b\"");
    /* no header at all */
    ck_assert_int_eq(header(&t, &w, 0), RXA_BEARER_HEADER_NONE);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(rxa_bearer_from_headers(rxa_test_pool, NULL, &t, &w),
                     RXA_BEARER_HEADER_NONE);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(header(&t, &w, 1, (const char *)NULL),
                     RXA_BEARER_HEADER_NONE);
}
END_TEST

START_TEST(header_malformed)
{
    ck_header_is("Bearer", RXA_BEARER_HEADER_MALFORMED, "RXA08402");
    ck_header_is("Bearer\tabc", RXA_BEARER_HEADER_MALFORMED, "RXA08402");
    ck_header_is("Bearer ", RXA_BEARER_HEADER_MALFORMED, "RXA08403");
    ck_header_is("Bearer    ", RXA_BEARER_HEADER_MALFORMED, "RXA08403");
    ck_header_is("Bearer ==", RXA_BEARER_HEADER_MALFORMED, "RXA08403");
    ck_header_is("Bearer abc def", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer abc=def", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer a\"bc", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer abc\t", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer abc\r\n", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer ab\xc3\xa9", RXA_BEARER_HEADER_MALFORMED,
                 "RXA08405");
    ck_header_is("Bearer abc, x", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
    ck_header_is("Bearer abc,", RXA_BEARER_HEADER_MALFORMED, "RXA08405");
}
END_TEST

START_TEST(header_two)
{
    const char *t, *w;

    ck_assert_int_eq(header(&t, &w, 2, "Bearer abc", "Bearer def"),
                     RXA_BEARER_HEADER_TWO);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(w, "RXA08400"));
    ck_assert_int_eq(header(&t, &w, 2, "Basic YQ==", "Bearer def"),
                     RXA_BEARER_HEADER_TWO);
    ck_assert_int_eq(header(&t, &w, 2, "Basic YQ==", "Basic Yg=="),
                     RXA_BEARER_HEADER_TWO);
    /* httpd joins repeated lines into one value with ", " */
    ck_header_is("Bearer abc, Bearer def", RXA_BEARER_HEADER_TWO,
                 "RXA08404");
    ck_header_is("Bearer abc,bearer def", RXA_BEARER_HEADER_TWO, "RXA08404");
    ck_header_is("Basic YQ==, Bearer def", RXA_BEARER_HEADER_TWO,
                 "RXA08401");
}
END_TEST

START_TEST(header_length)
{
    char *v = apr_palloc(rxa_test_pool, 7 + RXA_BEARER_MAX_LEN + 2);
    const char *t, *w;

    memcpy(v, "Bearer ", 7);
    memset(v + 7, 'a', RXA_BEARER_MAX_LEN);
    v[7 + RXA_BEARER_MAX_LEN] = '\0';
    ck_assert_int_eq(header(&t, &w, 1, v), RXA_BEARER_HEADER_TOKEN);
    ck_assert_uint_eq(strlen(t), RXA_BEARER_MAX_LEN);
    v[7 + RXA_BEARER_MAX_LEN] = '=';
    v[7 + RXA_BEARER_MAX_LEN + 1] = '\0';
    ck_header_is(v, RXA_BEARER_HEADER_MALFORMED, "RXA08406");
}
END_TEST

/* --- JWT or opaque ------------------------------------------------------- */

static const char *part(const char *json)
{
    return rxa_b64url_encode(rxa_test_pool, (const unsigned char *)json,
                             strlen(json));
}

static int is_jwt3(const char *h, const char *p, const char *s)
{
    return rxa_bearer_is_jwt(rxa_test_pool,
                             apr_pstrcat(rxa_test_pool, h, ".", p, ".", s,
                                         NULL));
}

START_TEST(jwt_or_opaque)
{
    const char *hdr = part("{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}");
    const char *body = part("{\"iss\":\"x\"}");

    ck_assert(is_jwt3(hdr, body, "c2ln"));
    ck_assert(is_jwt3(part("{\"alg\":\"none\"}"), body, "c2ln"));

    /* opaque */
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool, "2YotnFZFEjr1zCsicMWpAA"));
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool, ""));
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool, NULL));
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool, "a.b"));
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool, "..."));
    ck_assert(!is_jwt3(hdr, body, ""));
    ck_assert(!is_jwt3(hdr, "", "c2ln"));
    ck_assert(!is_jwt3("", body, "c2ln"));
    ck_assert(!is_jwt3(hdr, body, "c2ln.eHg"));        /* four parts */
    ck_assert(!rxa_bearer_is_jwt(rxa_test_pool,        /* a JWE */
                                 apr_pstrcat(rxa_test_pool, hdr, ".a.b.c.d",
                                             NULL)));
    ck_assert(!is_jwt3(hdr, body, "c2l+"));            /* not base64url */
    ck_assert(!is_jwt3(apr_pstrcat(rxa_test_pool, hdr, "=", NULL), body,
                       "c2ln"));
    ck_assert(!is_jwt3(part("{\"typ\":\"JWT\"}"), body, "c2ln"));
    ck_assert(!is_jwt3(part("{\"alg\":256}"), body, "c2ln"));
    ck_assert(!is_jwt3(part("[\"alg\"]"), body, "c2ln"));
    ck_assert(!is_jwt3(part("{\"alg\":\"RS256\""), body, "c2ln"));
    ck_assert(!is_jwt3(part("{\"alg\":\"RS256\",\"alg\":\"ES256\"}"), body,
                       "c2ln"));
    ck_assert(!is_jwt3("eyJhbGciOiJSUzI1NiJ9x", body, "c2ln"));
}
END_TEST

/* --- the JWT's claims ---------------------------------------------------- */

static rxa_bearer_expect_t expect;

static void setup_expect(void)
{
    apr_array_header_t *aud = apr_array_make(rxa_test_pool, 2,
                                             sizeof(const char *));

    APR_ARRAY_PUSH(aud, const char *) = "https://api.example";
    APR_ARRAY_PUSH(aud, const char *) = "api-2";
    memset(&expect, 0, sizeof(expect));
    expect.issuer = ISSUER;
    expect.audiences = aud;
    expect.now = NOW;
    expect.skew = 60;
}

static json_t *claims(const char *extra)
{
    static const char base[] =
        "{\"iss\":\"" ISSUER "\",\"aud\":\"https://api.example\","
        "\"iat\":1699999990,\"exp\":1700000120,\"jti\":\"bWJq\","
        "\"sub\":\"alice\",\"client_id\":\"client-1\","
        "\"scope\":\"read write\"}";

    return rxa_test_claims(rxa_test_pool, base, extra);
}

static json_t *jose(const char *typ)
{
    return rxa_test_claims(rxa_test_pool, "{\"alg\":\"RS256\",\"kid\":\"k\"}",
                           typ);
}

static rxa_bearer_err_t jwt(const char *hdr, const char *extra,
                            rxa_bearer_claims_t **out, const char **why)
{
    *why = NULL;
    return rxa_bearer_jwt_check(rxa_test_pool, jose(hdr), claims(extra),
                                &expect, out, why);
}

static void ck_jwt_ok(const char *hdr, const char *extra)
{
    rxa_bearer_claims_t *c;
    const char *w;

    ck_assert_msg(jwt(hdr, extra, &c, &w) == RXA_BEARER_OK, "%s %s: %s",
                  hdr ? hdr : "", extra ? extra : "", w ? w : "");
    ck_assert_ptr_nonnull(c);
}

static void ck_jwt_fail(const char *hdr, const char *extra,
                        rxa_bearer_err_t err, const char *tag)
{
    rxa_bearer_claims_t *c;
    const char *w;

    ck_assert_msg(jwt(hdr, extra, &c, &w) == err, "%s %s: %s",
                  hdr ? hdr : "", extra ? extra : "", w ? w : "");
    ck_assert_ptr_null(c);
    ck_assert_msg(w && strstr(w, tag), "%s %s: %s", hdr ? hdr : "",
                  extra ? extra : "", w ? w : "");
}

static const char *scopes_of(const rxa_bearer_claims_t *c)
{
    return rxa_words_join(rxa_test_pool, c->scopes, " ");
}

START_TEST(jwt_good)
{
    rxa_bearer_claims_t *c;
    const char *w;

    setup_expect();
    ck_assert_int_eq(jwt("{\"typ\":\"at+jwt\"}", NULL, &c, &w),
                     RXA_BEARER_OK);
    ck_assert_str_eq(c->sub, "alice");
    ck_assert_str_eq(c->client_id, "client-1");
    ck_assert_str_eq(scopes_of(c), "read write");
    ck_assert_int_eq(c->exp, 1700000120);
    ck_assert_int_eq(c->keep_until, 1700000120);
}
END_TEST

START_TEST(jwt_typ)
{
    setup_expect();
    ck_jwt_ok(NULL, NULL);
    ck_jwt_ok("{\"typ\":\"at+jwt\"}", NULL);
    ck_jwt_ok("{\"typ\":\"AT+JWT\"}", NULL);
    ck_jwt_ok("{\"typ\":\"application/at+jwt\"}", NULL);
    ck_jwt_ok("{\"typ\":\"JWT\"}", NULL);
    ck_jwt_ok("{\"typ\":\"jwt\"}", NULL);
    ck_jwt_ok("{\"typ\":null}", NULL);
    /* an ID token or a logout token is no access token */
    ck_jwt_fail("{\"typ\":\"logout+jwt\"}", NULL, RXA_BEARER_TYP,
                "RXA08411");
    ck_jwt_fail("{\"typ\":\"secevent+jwt\"}", NULL, RXA_BEARER_TYP,
                "RXA08411");
    ck_jwt_fail("{\"typ\":\"\"}", NULL, RXA_BEARER_TYP, "RXA08411");
    ck_jwt_fail("{\"typ\":1}", NULL, RXA_BEARER_TYP, "RXA08411");
}
END_TEST

static rxa_bearer_err_t introspect_iss(const char *iss, const char *tid)
{
    rxa_bearer_claims_t *c;
    const char *w;
    const char *body = apr_psprintf(rxa_test_pool,
                                    "{\"active\":true,\"aud\":\"api-2\","
                                    "\"iss\":\"%s\",\"tid\":\"%s\"}", iss,
                                    tid);

    return rxa_bearer_introspection_parse(rxa_test_pool, body, strlen(body),
                                          &expect, &c, &w);
}

START_TEST(jwt_issuer)
{
    setup_expect();
    ck_jwt_fail(NULL, "{\"iss\":\"https://idp.example/\"}", RXA_BEARER_ISS,
                "RXA03303");
    ck_jwt_fail(NULL, "{\"iss\":\"https://IDP.example\"}", RXA_BEARER_ISS,
                "RXA03303");
    ck_jwt_fail(NULL, "{\"iss\":null}", RXA_BEARER_ISS, "RXA03303");
    ck_jwt_fail(NULL, "{\"iss\":[\"" ISSUER "\"]}", RXA_BEARER_ISS,
                "RXA03303");
    expect.issuer = NULL;
    ck_jwt_fail(NULL, NULL, RXA_BEARER_ISS, "RXA03300");
}
END_TEST

START_TEST(jwt_issuer_template)
{
    apr_array_header_t *tenants = apr_array_make(rxa_test_pool, 1,
                                                 sizeof(const char *));
    const char *mt = "{\"iss\":\"https://login.example/72f9-a1/v2.0\","
                     "\"tid\":\"72f9-a1\"}";

    setup_expect();
    /* Entra multi-tenant: the token's own tid goes into the template */
    expect.issuer = "https://login.example/{tenantid}/v2.0";
    ck_jwt_ok(NULL, mt);
    ck_jwt_fail(NULL, "{\"iss\":\"https://login.example/72f9-a1/v2.0\","
                "\"tid\":\"0000-b2\"}", RXA_BEARER_ISS, "RXA03303");
    ck_jwt_fail(NULL, "{\"iss\":\"https://login.example/x/v2.0\"}",
                RXA_BEARER_ISS, "RXA03301");
    ck_jwt_fail(NULL, "{\"iss\":\"https://login.example/a/b/v2.0\","
                "\"tid\":\"a/b\"}", RXA_BEARER_ISS, "RXA03301");
    /* the tenant list */
    APR_ARRAY_PUSH(tenants, const char *) = "72F9-A1";
    expect.tenants = tenants;
    ck_jwt_ok(NULL, mt);
    APR_ARRAY_IDX(tenants, 0, const char *) = "0000-b2";
    ck_jwt_fail(NULL, mt, RXA_BEARER_ISS, "RXA03302");
    /* an introspection answer's iss follows the same rule */
    ck_assert_int_eq(introspect_iss("https://login.example/0000-b2/v2.0",
                                    "0000-b2"), RXA_BEARER_OK);
    ck_assert_int_eq(introspect_iss("https://login.example/72f9-a1/v2.0",
                                    "72f9-a1"), RXA_BEARER_ISS);
}
END_TEST

START_TEST(jwt_audience)
{
    setup_expect();
    ck_jwt_ok(NULL, "{\"aud\":\"api-2\"}");
    ck_jwt_ok(NULL, "{\"aud\":[\"other\",\"api-2\"]}");
    ck_jwt_ok(NULL, "{\"aud\":[\"https://api.example\"]}");
    ck_jwt_fail(NULL, "{\"aud\":\"client-1\"}", RXA_BEARER_AUD, "RXA08423");
    ck_jwt_fail(NULL, "{\"aud\":\"API-2\"}", RXA_BEARER_AUD, "RXA08423");
    ck_jwt_fail(NULL, "{\"aud\":[\"a\",\"b\"]}", RXA_BEARER_AUD, "RXA08423");
    ck_jwt_fail(NULL, "{\"aud\":null}", RXA_BEARER_AUD, "RXA08421");
    ck_jwt_fail(NULL, "{\"aud\":[]}", RXA_BEARER_AUD, "RXA08421");
    ck_jwt_fail(NULL, "{\"aud\":7}", RXA_BEARER_AUD, "RXA08421");
    ck_jwt_fail(NULL, "{\"aud\":{\"api-2\":1}}", RXA_BEARER_AUD, "RXA08421");
    ck_jwt_fail(NULL, "{\"aud\":[1,\"api-2\"]}", RXA_BEARER_AUD, "RXA08422");
    expect.audiences = apr_array_make(rxa_test_pool, 1, sizeof(const char *));
    ck_jwt_fail(NULL, NULL, RXA_BEARER_AUD, "RXA08420");
    expect.audiences = NULL;
    ck_jwt_fail(NULL, NULL, RXA_BEARER_AUD, "RXA08420");
}
END_TEST

START_TEST(jwt_times)
{
    setup_expect();
    /* exp: required, within the skew */
    ck_jwt_ok(NULL, "{\"exp\":1699999941}");
    ck_jwt_fail(NULL, "{\"exp\":1699999940}", RXA_BEARER_EXP, "RXA08432");
    ck_jwt_fail(NULL, "{\"exp\":null}", RXA_BEARER_EXP, "RXA08430");
    ck_jwt_fail(NULL, "{\"exp\":\"1700000120\"}", RXA_BEARER_EXP,
                "RXA08431");
    ck_jwt_fail(NULL, "{\"exp\":-1}", RXA_BEARER_EXP, "RXA08431");
    ck_jwt_fail(NULL, "{\"exp\":1e300}", RXA_BEARER_EXP, "RXA08431");
    ck_jwt_ok(NULL, "{\"exp\":1700000120.9}");
    /* nbf and iat: optional, not after now + skew */
    ck_jwt_ok(NULL, "{\"iat\":null}");
    ck_jwt_ok(NULL, "{\"iat\":1700000060}");
    ck_jwt_fail(NULL, "{\"iat\":1700000061}", RXA_BEARER_IAT, "RXA08436");
    ck_jwt_fail(NULL, "{\"iat\":true}", RXA_BEARER_IAT, "RXA08435");
    ck_jwt_ok(NULL, "{\"nbf\":1700000060}");
    ck_jwt_fail(NULL, "{\"nbf\":1700000061}", RXA_BEARER_NBF, "RXA08434");
    ck_jwt_fail(NULL, "{\"nbf\":\"x\"}", RXA_BEARER_NBF, "RXA08433");
    /* no skew */
    expect.skew = 0;
    ck_jwt_fail(NULL, "{\"exp\":1700000000}", RXA_BEARER_EXP, "RXA08432");
    ck_jwt_ok(NULL, "{\"exp\":1700000001,\"nbf\":1700000000}");
    ck_jwt_fail(NULL, "{\"nbf\":1700000001}", RXA_BEARER_NBF, "RXA08434");
    /* an absurd skew cannot overflow the sums */
    expect.skew = APR_INT64_MAX;
    ck_jwt_ok(NULL, "{\"exp\":0}");
    expect.skew = -5;
    ck_jwt_fail(NULL, "{\"exp\":1700000000}", RXA_BEARER_EXP, "RXA08432");
}
END_TEST

START_TEST(jwt_ids)
{
    rxa_bearer_claims_t *c;
    const char *w;
    char *long_id;

    setup_expect();
    /* client_credentials: no sub */
    ck_assert_int_eq(jwt(NULL, "{\"sub\":null}", &c, &w), RXA_BEARER_OK);
    ck_assert_ptr_null(c->sub);
    /* azp stands in for client_id */
    ck_assert_int_eq(jwt(NULL, "{\"client_id\":null,\"azp\":\"spa\"}", &c,
                         &w), RXA_BEARER_OK);
    ck_assert_str_eq(c->client_id, "spa");
    ck_assert_int_eq(jwt(NULL, "{\"client_id\":null}", &c, &w),
                     RXA_BEARER_OK);
    ck_assert_ptr_null(c->client_id);
    ck_jwt_ok(NULL, "{\"azp\":\"client-1\"}");
    ck_jwt_fail(NULL, "{\"azp\":\"other\"}", RXA_BEARER_CLIENT_ID,
                "RXA08442");

    ck_jwt_fail(NULL, "{\"sub\":\"\"}", RXA_BEARER_SUB, "RXA08440");
    ck_jwt_fail(NULL, "{\"sub\":5}", RXA_BEARER_SUB, "RXA08440");
    ck_jwt_fail(NULL, "{\"sub\":\"a\\nb\"}", RXA_BEARER_SUB, "RXA08440");
    ck_jwt_fail(NULL, "{\"client_id\":\"\"}", RXA_BEARER_CLIENT_ID,
                "RXA08441");
    ck_jwt_fail(NULL, "{\"azp\":[\"x\"]}", RXA_BEARER_CLIENT_ID,
                "RXA08441");
    ck_jwt_fail(NULL, "{\"client_id\":\"a\\u007fb\"}", RXA_BEARER_CLIENT_ID,
                "RXA08441");

    long_id = apr_palloc(rxa_test_pool, RXA_BEARER_ID_MAX + 20);
    memcpy(long_id, "{\"sub\":\"", 8);
    memset(long_id + 8, 'x', RXA_BEARER_ID_MAX);
    strcpy(long_id + 8 + RXA_BEARER_ID_MAX, "\"}");
    ck_jwt_ok(NULL, long_id);
    strcpy(long_id + 8 + RXA_BEARER_ID_MAX, "x\"}");
    ck_jwt_fail(NULL, long_id, RXA_BEARER_SUB, "RXA08440");
}
END_TEST

static const char *jwt_scopes(const char *extra)
{
    rxa_bearer_claims_t *c;
    const char *w;

    ck_assert_msg(jwt(NULL, extra, &c, &w) == RXA_BEARER_OK, "%s: %s",
                  extra, w ? w : "");
    return scopes_of(c);
}

START_TEST(jwt_scopes_read)
{
    char *many;
    int i;

    setup_expect();
    ck_assert_str_eq(jwt_scopes("{\"scope\":null}"), "");
    ck_assert_str_eq(jwt_scopes("{\"scope\":\"\"}"), "");
    ck_assert_str_eq(jwt_scopes("{\"scope\":\" a  b a \"}"), "a b");
    ck_assert_str_eq(jwt_scopes("{\"scope\":\"api://x/Read.All!#[]~\"}"),
                     "api://x/Read.All!#[]~");
    /* scp: an array (Okta, Entra application permissions) or a string
     * (Entra delegated) */
    ck_assert_str_eq(jwt_scopes("{\"scope\":null,"
                                "\"scp\":[\"a\",\"b\",\"a\"]}"),
                     "a b");
    ck_assert_str_eq(jwt_scopes("{\"scope\":null,\"scp\":\"User.Read "
                                "Mail.Send\"}"), "User.Read Mail.Send");
    ck_assert_str_eq(jwt_scopes("{\"scope\":null,\"scp\":[]}"), "");
    /* scope wins over scp */
    ck_assert_str_eq(jwt_scopes("{\"scope\":\"a\",\"scp\":[\"b\"]}"), "a");

    ck_jwt_fail(NULL, "{\"scope\":[\"a\"]}", RXA_BEARER_SCOPE, "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":\"a\\tb\"}", RXA_BEARER_SCOPE, "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":\"a\\\"b\"}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":\"a\\\\b\"}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":\"caf\\u00e9\"}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":null,\"scp\":[\"a b\"]}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":null,\"scp\":[\"\"]}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":null,\"scp\":[1]}", RXA_BEARER_SCOPE,
                "RXA08450");
    ck_jwt_fail(NULL, "{\"scope\":null,\"scp\":{}}", RXA_BEARER_SCOPE,
                "RXA08450");

    /* at most RXA_BEARER_SCOPES_MAX different scopes */
    many = apr_pstrdup(rxa_test_pool, "{\"scope\":\"");
    for (i = 0; i < RXA_BEARER_SCOPES_MAX; i++)
        many = apr_psprintf(rxa_test_pool, "%ss%d ", many, i);
    ck_jwt_ok(NULL, apr_pstrcat(rxa_test_pool, many, "s0\"}", NULL));
    ck_jwt_fail(NULL, apr_pstrcat(rxa_test_pool, many, "one-more\"}", NULL),
                RXA_BEARER_SCOPE, "RXA08450");
}
END_TEST

/* A good claim set with member NAME set to the LEN bytes of VALUE, which
 * may hold NUL bytes (JSON text with \u0000 is refused by the parser). */
static rxa_bearer_err_t jwt_nul(const char *name, const char *value,
                                size_t len, const char **why)
{
    json_t *c = claims(NULL), *h = jose(NULL);
    rxa_bearer_claims_t *out;

    json_object_set_new(!strcmp(name, "typ") ? h : c, name,
                        json_stringn(value, len));
    *why = NULL;
    return rxa_bearer_jwt_check(rxa_test_pool, h, c, &expect, &out, why);
}

START_TEST(embedded_nul)
{
    const char *w;

    setup_expect();
    ck_assert_int_eq(jwt_nul("typ", "at+jwt\0x", 8, &w), RXA_BEARER_TYP);
    ck_assert_int_eq(jwt_nul("typ", "at+jwt", 6, &w), RXA_BEARER_OK);
    ck_assert_int_eq(jwt_nul("iss", ISSUER "\0x", sizeof(ISSUER) + 1, &w),
                     RXA_BEARER_ISS);
    ck_assert_int_eq(jwt_nul("aud", "api-2\0", 6, &w), RXA_BEARER_AUD);
    ck_assert_int_eq(jwt_nul("sub", "a\0b", 3, &w), RXA_BEARER_SUB);
    ck_assert_int_eq(jwt_nul("client_id", "a\0b", 3, &w),
                     RXA_BEARER_CLIENT_ID);
    ck_assert_int_eq(jwt_nul("scope", "a\0b", 3, &w), RXA_BEARER_SCOPE);
    ck_assert_int_eq(jwt_nul("scope", "a b", 3, &w), RXA_BEARER_OK);
}
END_TEST

START_TEST(jwt_kind)
{
    setup_expect();
    ck_jwt_fail(NULL, "{\"cnf\":{\"jkt\":\"0ZcOCORZNYy\"}}", RXA_BEARER_KIND,
                "RXA08470");
    ck_jwt_fail(NULL, "{\"cnf\":{}}", RXA_BEARER_KIND, "RXA08470");
    ck_jwt_fail(NULL, "{\"nonce\":\"n-0S6_WzA2Mj\"}", RXA_BEARER_KIND,
                "RXA08471");
    ck_jwt_ok(NULL, "{\"cnf\":null,\"nonce\":null}");
    /* token_type is the introspection answer's; a JWT's is not read */
    ck_jwt_ok(NULL, "{\"token_type\":\"refresh_token\"}");
}
END_TEST

/* Access tokens shaped as providers issue them (made-up values). */
static rxa_bearer_claims_t *vendor(const char *typ, const char *payload,
                                   const char *audience)
{
    apr_array_header_t *aud = apr_array_make(rxa_test_pool, 1,
                                             sizeof(const char *));
    rxa_bearer_expect_t x = { ISSUER, NULL, NULL, NOW, 60 };
    rxa_bearer_claims_t *c;
    const char *w;

    APR_ARRAY_PUSH(aud, const char *) = audience;
    x.audiences = aud;
    ck_assert_msg(rxa_bearer_jwt_check(rxa_test_pool, jose(typ),
                                       rxa_test_claims(rxa_test_pool,
                                                       payload, NULL),
                                       &x, &c, &w) == RXA_BEARER_OK,
                  "%s: %s", payload, w ? w : "");
    return c;
}

START_TEST(vendor_shapes)
{
    rxa_bearer_claims_t *c;

    /* Keycloak: typ JWT, aud an array, azp, a "typ" claim of its own */
    c = vendor("{\"typ\":\"JWT\"}",
               "{\"exp\":1700000300,\"iat\":1700000000,\"jti\":\"o1\","
               "\"iss\":\"" ISSUER "\",\"aud\":[\"orders-api\",\"account\"],"
               "\"sub\":\"f2b1c3\",\"typ\":\"Bearer\",\"azp\":\"web\","
               "\"sid\":\"s1\",\"scope\":\"openid profile orders\"}",
               "orders-api");
    ck_assert_str_eq(c->client_id, "web");
    ck_assert_str_eq(scopes_of(c), "openid profile orders");
    /* Entra v2, delegated: scp a string, azp */
    c = vendor("{\"typ\":\"JWT\"}",
               "{\"aud\":\"api://5e0c1a2b\",\"iss\":\"" ISSUER "\","
               "\"iat\":1699999700,\"nbf\":1699999700,\"exp\":1700003600,"
               "\"azp\":\"0f3a\",\"azpacr\":\"1\",\"oid\":\"9e1\","
               "\"scp\":\"Orders.Read Orders.Write\",\"sub\":\"AAA-b\","
               "\"tid\":\"72f9\",\"ver\":\"2.0\"}",
               "api://5e0c1a2b");
    ck_assert_str_eq(c->sub, "AAA-b");
    ck_assert_str_eq(c->client_id, "0f3a");
    ck_assert_str_eq(scopes_of(c), "Orders.Read Orders.Write");
    /* Entra v2, app-only (client credentials): roles, no scp */
    c = vendor("{\"typ\":\"JWT\"}",
               "{\"aud\":\"api://5e0c1a2b\",\"iss\":\"" ISSUER "\","
               "\"iat\":1699999700,\"exp\":1700003600,\"azp\":\"0f3a\","
               "\"roles\":[\"Orders.ReadAll\"],\"sub\":\"9e1\"}",
               "api://5e0c1a2b");
    ck_assert_int_eq(c->scopes->nelts, 0);
    /* Okta custom authorization server: scp an array, cid not client_id */
    c = vendor(NULL,
               "{\"ver\":1,\"jti\":\"AT.x\",\"iss\":\"" ISSUER "\","
               "\"aud\":\"api://default\",\"iat\":1700000000,"
               "\"exp\":1700003600,\"cid\":\"0oa1\",\"uid\":\"00u1\","
               "\"scp\":[\"openid\",\"orders:read\"],\"sub\":\"a@b.c\"}",
               "api://default");
    ck_assert_ptr_null(c->client_id);
    ck_assert_str_eq(scopes_of(c), "openid orders:read");
    /* RFC 9068 (Auth0, oidc-provider): typ at+jwt, client_id, scope */
    c = vendor("{\"typ\":\"at+jwt\"}",
               "{\"iss\":\"" ISSUER "\",\"sub\":\"client-1\","
               "\"aud\":[\"https://orders.example\",\"" ISSUER "/userinfo\"],"
               "\"iat\":1700000000,\"exp\":1700086400,"
               "\"client_id\":\"client-1\",\"jti\":\"j\","
               "\"scope\":\"orders:read\"}",
               "https://orders.example");
    ck_assert_str_eq(c->client_id, "client-1");
    ck_assert_str_eq(c->sub, "client-1");
}
END_TEST

START_TEST(jwt_malformed)
{
    rxa_bearer_claims_t *c;
    const char *w;
    json_t *arr = json_array();

    setup_expect();
    rxa_json_pool_own(rxa_test_pool, arr);
    ck_assert_int_eq(rxa_bearer_jwt_check(rxa_test_pool, jose(NULL), arr,
                                          &expect, &c, &w),
                     RXA_BEARER_MALFORMED);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(w, "RXA08412"));
    ck_assert_int_eq(rxa_bearer_jwt_check(rxa_test_pool, NULL, claims(NULL),
                                          &expect, &c, &w),
                     RXA_BEARER_MALFORMED);
    ck_assert_ptr_nonnull(strstr(w, "RXA08410"));
    /* no reason wanted */
    ck_assert_int_eq(rxa_bearer_jwt_check(rxa_test_pool, jose(NULL),
                                          claims("{\"aud\":\"x\"}"), &expect,
                                          &c, NULL), RXA_BEARER_AUD);
}
END_TEST

/* --- the introspection answer -------------------------------------------- */

static rxa_bearer_err_t introspect(const char *body,
                                   rxa_bearer_claims_t **out,
                                   const char **why)
{
    *why = NULL;
    return rxa_bearer_introspection_parse(rxa_test_pool, body, strlen(body),
                                          &expect, out, why);
}

static void ck_intro_fail(const char *body, rxa_bearer_err_t err,
                          const char *tag)
{
    rxa_bearer_claims_t *c;
    const char *w;

    ck_assert_msg(introspect(body, &c, &w) == err, "%s: %s", body,
                  w ? w : "");
    ck_assert_ptr_null(c);
    ck_assert_msg(w && strstr(w, tag), "%s: %s", body, w ? w : "");
}

static rxa_bearer_claims_t *intro_ok(const char *body)
{
    rxa_bearer_claims_t *c;
    const char *w;

    ck_assert_msg(introspect(body, &c, &w) == RXA_BEARER_OK, "%s: %s", body,
                  w ? w : "");
    return c;
}

START_TEST(introspection_good)
{
    rxa_bearer_claims_t *c;

    setup_expect();
    c = intro_ok("{\"active\":true,\"iss\":\"" ISSUER "\","
                 "\"aud\":[\"https://api.example\"],\"sub\":\"alice\","
                 "\"client_id\":\"client-1\",\"scope\":\"read\","
                 "\"token_type\":\"Bearer\",\"exp\":1700000120,"
                 "\"iat\":1699999990}");
    ck_assert_str_eq(c->sub, "alice");
    ck_assert_str_eq(c->client_id, "client-1");
    ck_assert_str_eq(scopes_of(c), "read");
    ck_assert_int_eq(c->exp, 1700000120);
    ck_assert_int_eq(c->keep_until, 1700000120);

    /* kept 5 minutes at most, also without exp; iss optional */
    c = intro_ok("{\"active\":true,\"aud\":\"api-2\",\"exp\":1700003600}");
    ck_assert_int_eq(c->keep_until, NOW + RXA_BEARER_INTROSPECTION_TTL_MAX);
    ck_assert_ptr_null(c->sub);
    ck_assert_ptr_null(c->client_id);
    ck_assert_int_eq(c->scopes->nelts, 0);
    c = intro_ok("{\"active\":true,\"aud\":\"api-2\"}");
    ck_assert_int_eq(c->exp, 0);
    ck_assert_int_eq(c->keep_until, NOW + RXA_BEARER_INTROSPECTION_TTL_MAX);
    /* within the skew after exp: good, but not to be kept */
    c = intro_ok("{\"active\":true,\"aud\":\"api-2\",\"exp\":1699999990}");
    ck_assert_int_le(c->keep_until, NOW);
}
END_TEST

START_TEST(introspection_inactive)
{
    setup_expect();
    ck_intro_fail("{\"active\":false}", RXA_BEARER_INACTIVE, "RXA08462");
    ck_intro_fail("{\"active\":\"true\"}", RXA_BEARER_INACTIVE, "RXA08462");
    ck_intro_fail("{\"active\":1,\"aud\":\"api-2\"}", RXA_BEARER_INACTIVE,
                  "RXA08462");
    ck_intro_fail("{\"active\":null,\"aud\":\"api-2\"}", RXA_BEARER_INACTIVE,
                  "RXA08462");
    ck_intro_fail("{\"aud\":\"api-2\",\"exp\":1700000120}",
                  RXA_BEARER_INACTIVE, "RXA08462");
    ck_intro_fail("{}", RXA_BEARER_INACTIVE, "RXA08462");
}
END_TEST

START_TEST(introspection_checks)
{
    setup_expect();
    intro_ok("{\"active\":true,\"aud\":\"api-2\",\"token_type\":\"Bearer\"}");
    intro_ok("{\"active\":true,\"aud\":\"api-2\",\"token_type\":\"bearer\"}");
    intro_ok("{\"active\":true,\"aud\":\"api-2\",\"nonce\":\"n\"}");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"token_type\":\"DPoP\","
                  "\"cnf\":{\"jkt\":\"x\"}}", RXA_BEARER_KIND, "RXA08470");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\","
                  "\"token_type\":\"DPoP\"}", RXA_BEARER_KIND, "RXA08472");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\","
                  "\"token_type\":\"refresh_token\"}", RXA_BEARER_KIND,
                  "RXA08472");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"token_type\":1}",
                  RXA_BEARER_KIND, "RXA08472");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"iss\":\"evil\"}",
                  RXA_BEARER_ISS, "RXA03303");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"iss\":5}",
                  RXA_BEARER_ISS, "RXA03303");
    ck_intro_fail("{\"active\":true}", RXA_BEARER_AUD, "RXA08421");
    ck_intro_fail("{\"active\":true,\"aud\":\"client-1\"}", RXA_BEARER_AUD,
                  "RXA08423");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"exp\":1699999940}",
                  RXA_BEARER_EXP, "RXA08432");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"exp\":\"soon\"}",
                  RXA_BEARER_EXP, "RXA08431");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"nbf\":1700000061}",
                  RXA_BEARER_NBF, "RXA08434");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"iat\":1700000061}",
                  RXA_BEARER_IAT, "RXA08436");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"sub\":\"\"}",
                  RXA_BEARER_SUB, "RXA08440");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"client_id\":3}",
                  RXA_BEARER_CLIENT_ID, "RXA08441");
    ck_intro_fail("{\"active\":true,\"aud\":\"api-2\",\"scope\":\"a\\u0001\"}",
                  RXA_BEARER_SCOPE, "RXA08450");
    ck_intro_fail("", RXA_BEARER_MALFORMED, "RXA08461");
    ck_intro_fail("[true]", RXA_BEARER_MALFORMED, "RXA08461");
    ck_intro_fail("{\"active\":true,\"active\":true,\"aud\":\"api-2\"}",
                  RXA_BEARER_MALFORMED, "RXA08461");
    ck_intro_fail("{\"active\":true", RXA_BEARER_MALFORMED, "RXA08461");
}
END_TEST

START_TEST(introspection_length)
{
    rxa_bearer_claims_t *c;
    const char *w;
    apr_size_t max = RXA_BEARER_INTROSPECTION_MAX_BYTES;
    char *big = apr_palloc(rxa_test_pool, max + 1);
    const char *head = "{\"active\":true,\"aud\":\"api-2\",\"pad\":\"";

    setup_expect();
    memset(big, 'x', max);
    memcpy(big, head, strlen(head));
    memcpy(big + max - 2, "\"}", 2);
    ck_assert_int_eq(rxa_bearer_introspection_parse(rxa_test_pool, big, max,
                                                    &expect, &c, &w),
                     RXA_BEARER_OK);
    big[max - 1] = ' ';
    big[max] = '}';
    ck_assert_int_eq(rxa_bearer_introspection_parse(rxa_test_pool, big,
                                                    max + 1, &expect, &c, &w),
                     RXA_BEARER_MALFORMED);
    ck_assert_ptr_nonnull(strstr(w, "RXA08460"));
    /* LEN is honoured: no terminator needed */
    ck_assert_int_eq(rxa_bearer_introspection_parse(
                         rxa_test_pool, "{\"active\":false}xyz", 16, &expect,
                         &c, &w), RXA_BEARER_INACTIVE);
}
END_TEST

/* --- reasons, names, the form -------------------------------------------- */

START_TEST(reasons_hold_no_values)
{
    static const char *const bodies[] = {
        "{\"active\":true,\"aud\":\"SECRETVALUE\"}",
        "{\"active\":true,\"aud\":\"api-2\",\"iss\":\"SECRETVALUE\"}",
        "{\"active\":true,\"aud\":\"api-2\",\"sub\":\"SECRETVALUE\\n\"}",
        "{\"active\":true,\"aud\":\"api-2\",\"scope\":\"SECRETVALUE\\\\\"}",
        "{\"active\":true,\"aud\":\"api-2\",\"exp\":\"SECRETVALUE\"}",
        "{\"active\":\"SECRETVALUE\"}",
    };
    rxa_bearer_claims_t *c;
    const char *w, *t;
    size_t i;

    setup_expect();
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ck_assert_int_ne(introspect(bodies[i], &c, &w), RXA_BEARER_OK);
        ck_assert_ptr_nonnull(w);
        ck_assert_ptr_null(strstr(w, "SECRETVALUE"));
        ck_assert_msg(!strncmp(w, "RXA084", 6) || !strncmp(w, "RXA033", 6),
                      "%s", w);
    }
    ck_assert_int_eq(header(&t, &w, 1, "Bearer SECRETVALUE x"),
                     RXA_BEARER_HEADER_MALFORMED);
    ck_assert_ptr_null(strstr(w, "SECRETVALUE"));
}
END_TEST

START_TEST(err_names)
{
    static const char *const names[] = {
        "ok", "malformed", "inactive", "typ", "iss", "aud", "exp", "nbf",
        "iat", "sub", "client_id", "scope", "kind"
    };
    int i, n = (int)(sizeof(names) / sizeof(names[0]));

    ck_assert_int_eq(RXA_BEARER_KIND, n - 1);
    for (i = 0; i < n; i++)
        ck_assert_str_eq(rxa_bearer_err_name((rxa_bearer_err_t)i), names[i]);
    ck_assert_str_eq(rxa_bearer_err_name(RXA_BEARER_AUD), "aud");
    ck_assert_str_eq(rxa_bearer_err_name((rxa_bearer_err_t)n), "unknown");
    ck_assert_str_eq(rxa_bearer_err_name((rxa_bearer_err_t)99), "unknown");
}
END_TEST

START_TEST(introspection_form)
{
    apr_table_t *params;
    apr_array_header_t *repeated;
    const char *err;
    const char *tok = "a+b/c=d&token_type_hint=refresh_token";

    ck_assert_str_eq(rxa_bearer_introspection_form(rxa_test_pool,
                                                   "abc.DEF-_~"),
                     "token=abc.DEF-_~&token_type_hint=access_token");
    ck_assert_str_eq(rxa_bearer_introspection_form(rxa_test_pool, "a+b/c=="),
                     "token=a%2Bb%2Fc%3D%3D&token_type_hint=access_token");
    /* a form parser reads back the token as it was, and one hint */
    ck_assert_int_eq(rxa_query_parse(rxa_test_pool,
                                     rxa_bearer_introspection_form(
                                         rxa_test_pool, tok),
                                     &params, &repeated, &err), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(params, "token"), tok);
    ck_assert_str_eq(apr_table_get(params, "token_type_hint"),
                     "access_token");
    ck_assert_int_eq(repeated->nelts, 0);
}
END_TEST

RXA_TEST_SUITE("bearer",
               header_token, header_other_scheme, header_malformed,
               header_two, header_length, jwt_or_opaque, jwt_good, jwt_typ,
               jwt_issuer, jwt_issuer_template, jwt_audience, jwt_times,
               jwt_ids, jwt_scopes_read, embedded_nul, jwt_kind,
               vendor_shapes, jwt_malformed, introspection_good,
               introspection_inactive, introspection_checks,
               introspection_length, reasons_hold_no_values, err_names,
               introspection_form)
