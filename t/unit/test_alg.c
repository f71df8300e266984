/* The JWS algorithm table (rxa_alg.h): names, discovery lists, the key
 * type and hash of each algorithm. */
#include "rxa_test.h"

#include "rxa_alg.h"
#include "rxa_json.h"

/* --- algorithm names and discovery lists ---------------------------------- */

START_TEST(alg_names)
{
    int i;

    for (i = 1; i < RXA_JWS_ALG_COUNT; i++)
        ck_assert_int_eq(rxa_jws_alg_from_name(rxa_jws_alg_name(i)), i);
    ck_assert_int_eq(rxa_jws_alg_from_name("none"), RXA_JWS_ALG_UNKNOWN);
    ck_assert_int_eq(rxa_jws_alg_from_name("HS256"), RXA_JWS_ALG_UNKNOWN);
    ck_assert_int_eq(rxa_jws_alg_from_name("rs256"), RXA_JWS_ALG_UNKNOWN);
    ck_assert_int_eq(rxa_jws_alg_from_name("ES521"), RXA_JWS_ALG_UNKNOWN);
    ck_assert_int_eq(rxa_jws_alg_from_name(""), RXA_JWS_ALG_UNKNOWN);
    ck_assert_int_eq(rxa_jws_alg_from_name(NULL), RXA_JWS_ALG_UNKNOWN);
    ck_assert_ptr_null(rxa_jws_alg_name(RXA_JWS_ALG_UNKNOWN));
    ck_assert_ptr_null(rxa_jws_alg_name(RXA_JWS_ALG_COUNT));
}
END_TEST

/* The algorithms of LEN bytes of JSON at LIST (NULL when it does not parse). */
static rxa_jws_algset_t algset_of(const char *list, apr_size_t len)
{
    const char *err;

    return rxa_jws_algset_from_json(rxa_json_parse(rxa_test_pool, list, len,
                                                   4096, &err));
}

START_TEST(algset_from_discovery)
{
    static const char list[] =
        "[\"RS256\",\"RS384\",\"RS512\",\"ES256\",\"ES384\",\"ES512\","
        "\"HS256\",\"HS384\",\"HS512\",\"PS256\",\"PS384\",\"PS512\",\"none\","
        "7,null,\"EdDSA\",\"ES256K\"]";

    ck_assert_uint_eq(algset_of(list, strlen(list)), RXA_JWS_ALGSET_ALL);
    ck_assert_uint_eq(algset_of("[\"HS256\",\"RS256\"]", 17),
                      RXA_JWS_ALGSET(RXA_JWS_RS256));
    ck_assert_uint_eq(algset_of("\"RS256\"", 7), 0);
    ck_assert_uint_eq(rxa_jws_algset_from_json(NULL), 0);
}
END_TEST

START_TEST(kty_and_digest)
{
    static const struct {
        rxa_jws_alg_t alg;
        rxa_jwk_kty_t kty;
        const char *digest;
    } cases[] = {
        { RXA_JWS_RS256, RXA_JWK_RSA, "SHA256" },
        { RXA_JWS_RS384, RXA_JWK_RSA, "SHA384" },
        { RXA_JWS_RS512, RXA_JWK_RSA, "SHA512" },
        { RXA_JWS_PS256, RXA_JWK_RSA, "SHA256" },
        { RXA_JWS_PS384, RXA_JWK_RSA, "SHA384" },
        { RXA_JWS_PS512, RXA_JWK_RSA, "SHA512" },
        { RXA_JWS_ES256, RXA_JWK_EC, "SHA256" },
        { RXA_JWS_ES384, RXA_JWK_EC, "SHA384" },
        { RXA_JWS_ES512, RXA_JWK_EC, "SHA512" },
        { RXA_JWS_EDDSA, RXA_JWK_OKP, NULL },
    };
    apr_size_t i;

    ck_assert_uint_eq(sizeof(cases) / sizeof(cases[0]),
                      RXA_JWS_ALG_COUNT - 1);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(rxa_jws_alg_kty(cases[i].alg), cases[i].kty);
        if (cases[i].digest)
            ck_assert_str_eq(rxa_jws_alg_digest(cases[i].alg),
                             cases[i].digest);
        else
            ck_assert_ptr_null(rxa_jws_alg_digest(cases[i].alg));
    }
    ck_assert_int_eq(rxa_jws_alg_kty(RXA_JWS_ALG_UNKNOWN), 0);
    ck_assert_int_eq(rxa_jws_alg_kty(RXA_JWS_ALG_COUNT), 0);
    ck_assert_ptr_null(rxa_jws_alg_digest(RXA_JWS_ALG_UNKNOWN));
    ck_assert_ptr_null(rxa_jws_alg_digest(RXA_JWS_ALG_COUNT));
}
END_TEST

RXA_TEST_SUITE("alg",
               alg_names,
               algset_from_discovery,
               kty_and_digest)
