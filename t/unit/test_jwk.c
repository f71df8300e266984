/* JWK and JWK Set import: the rules one key at a time, and every key set
 * of the 19 real providers in ../shared/testdata/wellknown. */
#include "rxa_test.h"
#include "rxa_jose_test.h"

#include <openssl/err.h>

#include "rxa_json.h"
#include "rxa_jwk.h"

static rxa_jwk_t *import(const char *json, const char **err)
{
    json_t *j = rxa_json_parse(rxa_test_pool, json, strlen(json), 65536, err);

    ck_assert_msg(j != NULL, "test JSON does not parse: %s", json);
    *err = NULL;
    return rxa_jwk_from_json(rxa_test_pool, j, err);
}

#define ck_imports(json) do {                                               \
        const char *e_;                                                     \
        ck_assert_msg(import((json), &e_) != NULL, "refused: %s", e_);      \
    } while (0)

#define ck_skipped(json, tag) do {                                          \
        const char *e_;                                                     \
        ck_assert_ptr_null(import((json), &e_));                            \
        ck_assert_ptr_nonnull(e_);                                          \
        ck_assert_msg(strstr(e_, (tag)) != NULL, "expected %s, got %s",     \
                      (tag), e_);                                           \
    } while (0)

/* Replace the first occurrence of FROM in S. */
static const char *subst(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);

    ck_assert_ptr_nonnull(p);
    return apr_pstrcat(rxa_test_pool,
                       apr_pstrmemdup(rxa_test_pool, s, (apr_size_t)(p - s)),
                       to, p + strlen(from), NULL);
}

/* --- one key -------------------------------------------------------------- */

static const char *rsa_jwk, *ec_jwk, *okp_jwk;

static void make_keys(void)
{
    rsa_jwk = jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "RSA2048"), "r",
                     NULL);
    ec_jwk = jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "P-256"), "e",
                    NULL);
    okp_jwk = jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "Ed25519"), "o",
                     NULL);
}

START_TEST(types_imported)
{
    const char *err;
    rxa_jwk_t *k;
    static const char *const curves[] = { "P-256", "P-384", "P-521" };
    int i;

    make_keys();
    k = import(rsa_jwk, &err);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->kty, RXA_JWK_RSA);
    ck_assert_int_eq(k->bits, 2048);
    ck_assert_str_eq(k->kid, "r");
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_RS256)
                      | RXA_JWS_ALGSET(RXA_JWS_RS384)
                      | RXA_JWS_ALGSET(RXA_JWS_RS512)
                      | RXA_JWS_ALGSET(RXA_JWS_PS256)
                      | RXA_JWS_ALGSET(RXA_JWS_PS384)
                      | RXA_JWS_ALGSET(RXA_JWS_PS512));
    for (i = 0; i < 3; i++) {
        k = import(jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, curves[i]),
                          NULL, NULL), &err);
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(k->kty, RXA_JWK_EC);
        ck_assert_ptr_null(k->kid);
        ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_ES256 + i));
    }
    k = import(okp_jwk, &err);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->kty, RXA_JWK_OKP);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_EDDSA));
    /* RSA 4096 and a modulus with a (non-canonical) leading zero octet. */
    /* RSA 4096. */
    ck_imports(jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "RSA4096"),
                      NULL, NULL));
}
END_TEST

START_TEST(leading_zero_modulus)
{
    /* 257 bytes with a leading zero, as battle.net and PayPal publish. */
    EVP_PKEY *key = jt_keygen(rxa_test_pool, "RSA2048");
    const char *n = jt_bn_b64(rxa_test_pool, key, OSSL_PKEY_PARAM_RSA_N, 257);
    const char *err;
    rxa_jwk_t *k = import(apr_psprintf(rxa_test_pool,
                                       "{\"kty\":\"RSA\",\"n\":\"%s\","
                                       "\"e\":\"AQAB\"}", n), &err);

    ck_assert_msg(k != NULL, "%s", err);
    ck_assert_int_eq(k->bits, 2048);
}
END_TEST

START_TEST(purpose_rules)
{
    make_keys();
    ck_imports(subst(rsa_jwk, "{", "{\"use\":\"sig\","));
    ck_skipped(subst(rsa_jwk, "{", "{\"use\":\"enc\","), "RXA03040");
    ck_skipped(subst(ec_jwk, "{", "{\"use\":\"enc\","), "RXA03040");
    ck_skipped(subst(rsa_jwk, "{", "{\"use\":\"SIG\","), "RXA03040");
    ck_skipped(subst(rsa_jwk, "{", "{\"use\":1,"), "RXA03040");
    ck_imports(subst(rsa_jwk, "{", "{\"key_ops\":[\"sign\",\"verify\"],"));
    ck_skipped(subst(rsa_jwk, "{", "{\"key_ops\":[\"encrypt\"],"), "RXA03043");
    ck_skipped(subst(rsa_jwk, "{", "{\"key_ops\":[],"), "RXA03043");
    ck_skipped(subst(rsa_jwk, "{", "{\"key_ops\":\"verify\","), "RXA03041");
    ck_skipped(subst(rsa_jwk, "{", "{\"key_ops\":[1,\"verify\"],"), "RXA03042");
    ck_imports(subst(okp_jwk, "{", "{\"use\":\"sig\",\"key_ops\":[\"verify\"],"));
}
END_TEST

START_TEST(alg_rules)
{
    const char *err;
    rxa_jwk_t *k;

    make_keys();
    k = import(subst(rsa_jwk, "{", "{\"alg\":\"RS256\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_RS256)
                      | RXA_JWS_ALGSET(RXA_JWS_RS384)
                      | RXA_JWS_ALGSET(RXA_JWS_RS512));
    k = import(subst(rsa_jwk, "{", "{\"alg\":\"PS384\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_PS384)
                      | RXA_JWS_ALGSET(RXA_JWS_PS512));
    k = import(subst(rsa_jwk, "{", "{\"alg\":\"PS256\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_PS256)
                      | RXA_JWS_ALGSET(RXA_JWS_PS384)
                      | RXA_JWS_ALGSET(RXA_JWS_PS512));
    k = import(subst(rsa_jwk, "{", "{\"alg\":\"RS512\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_RS512));
    k = import(subst(ec_jwk, "{", "{\"alg\":\"ES256\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_ES256));
    k = import(subst(okp_jwk, "{", "{\"alg\":\"EdDSA\","), &err);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_EDDSA));
    /* "ES521" is ES512 on P-521 only. */
    k = import(jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "P-521"), NULL,
                      "\"alg\":\"ES521\""), &err);
    ck_assert_ptr_nonnull(k);
    ck_assert_uint_eq(k->algs, RXA_JWS_ALGSET(RXA_JWS_ES512));
    ck_skipped(subst(ec_jwk, "{", "{\"alg\":\"ES521\","), "RXA03057");
    /* An alg of another family or curve, or one we do not verify. */
    ck_skipped(subst(rsa_jwk, "{", "{\"alg\":\"ES256\","), "RXA03057");
    ck_skipped(subst(ec_jwk, "{", "{\"alg\":\"RS256\","), "RXA03057");
    ck_skipped(subst(ec_jwk, "{", "{\"alg\":\"ES384\","), "RXA03057");
    ck_skipped(subst(okp_jwk, "{", "{\"alg\":\"ES256\","), "RXA03057");
    ck_skipped(subst(ec_jwk, "{", "{\"alg\":\"ES224\","), "RXA03056");
    ck_skipped(subst(rsa_jwk, "{", "{\"alg\":\"RSA-OAEP\","), "RXA03056");
    ck_skipped(subst(rsa_jwk, "{", "{\"alg\":\"HS256\","), "RXA03056");
    ck_skipped(subst(rsa_jwk, "{", "{\"alg\":\"none\","), "RXA03056");
    ck_skipped(subst(rsa_jwk, "{", "{\"alg\":[\"RS256\"],"), "RXA03056");
}
END_TEST

START_TEST(type_rules)
{
    make_keys();
    ck_skipped("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}", "RXA03053");
    ck_skipped("{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"\"}", "RXA03053");
    ck_skipped(jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "X25519"), "x",
                      NULL), "RXA03030");
    ck_skipped("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAA\"}",
               "RXA03031");
    ck_skipped("{\"kty\":\"OKP\",\"x\":\"AAAA\"}", "RXA03031");
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}",
               "RXA03020");
    ck_skipped("{\"kty\":\"AKP\",\"alg\":\"ML-DSA-44\"}", "RXA03054");
    ck_skipped("{\"n\":\"AQAB\",\"e\":\"AQAB\"}", "RXA03052");
    ck_skipped("{\"kty\":7}", "RXA03052");
    ck_skipped(subst(rsa_jwk, "\"kty\":\"RSA\"", "\"kty\":\"EC\""), "RXA03020");
    ck_skipped(subst(ec_jwk, "\"kty\":\"EC\"", "\"kty\":\"RSA\""), "RXA03011");
    ck_skipped(subst(rsa_jwk, "\"kid\":\"r\"", "\"kid\":7"), "RXA03051");
    {
        const char *err;
        json_t *arr = json_array();
        ck_assert_ptr_null(rxa_jwk_from_json(rxa_test_pool, arr, &err));
        ck_assert_ptr_nonnull(strstr(err, "RXA03050"));
        json_decref(arr);
    }
}
END_TEST

START_TEST(private_and_x5c)
{
    make_keys();
    ck_skipped(subst(rsa_jwk, "{", "{\"d\":\"AQAB\","), "RXA03055");
    ck_skipped(subst(ec_jwk, "{", "{\"d\":\"AQAB\","), "RXA03055");
    ck_skipped(subst(okp_jwk, "{", "{\"d\":\"AQAB\","), "RXA03055");
    ck_skipped(subst(rsa_jwk, "{", "{\"p\":\"AQAB\","), "RXA03055");
    /* x5c with n/e: the inline key counts, the chain is not looked at. */
    ck_imports(subst(rsa_jwk, "{", "{\"x5c\":[\"not even base64\"],"
                                  "\"x5t\":\"x\",\"issuer\":\"y\","));
    ck_skipped("{\"kty\":\"RSA\",\"kid\":\"c\",\"x5c\":[\"MIIC\"]}",
               "RXA03010");
}
END_TEST

START_TEST(rsa_rules)
{
    EVP_PKEY *key = jt_keygen(rxa_test_pool, "RSA2048");
    const char *n = jt_bn_b64(rxa_test_pool, key, OSSL_PKEY_PARAM_RSA_N, 0);
    unsigned char *nb;
    apr_size_t nlen;

#define RSA_JWK(n_, e_) \
    apr_psprintf(rxa_test_pool, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", \
                 (n_), (e_))
    ck_imports(RSA_JWK(n, "AQAB"));
    ck_imports(RSA_JWK(n, "Aw"));                           /* e = 3 */
    ck_skipped(RSA_JWK(n, "AQ"), "RXA03015");               /* e = 1 */
    ck_skipped(RSA_JWK(n, "Ag"), "RXA03015");               /* e = 2 */
    ck_skipped(RSA_JWK(n, "AQAA"), "RXA03015");             /* even */
    ck_skipped(RSA_JWK(n, "AQAAAAAAAAAAAQ"), "RXA03015");   /* 73 bits */
    ck_skipped(RSA_JWK(n, ""), "RXA03011");
    ck_skipped(RSA_JWK(n, "AQAB="), "RXA03011");
    ck_skipped(RSA_JWK(n, "AQAC"), "RXA03015");
    ck_skipped("{\"kty\":\"RSA\",\"n\":7,\"e\":\"AQAB\"}", "RXA03011");
    ck_skipped(RSA_JWK(apr_pstrcat(rxa_test_pool, n, "!", NULL), "AQAB"),
               "RXA03011");
    ck_skipped(RSA_JWK(n, "AQAB=="), "RXA03011");
    ck_skipped(RSA_JWK(n, "===="), "RXA03011");
    ck_skipped(RSA_JWK(n, "A=AB"), "RXA03011");
    /* Standard base64 with padding, as battle.net publishes it. */
    {
        char *std = apr_pstrcat(rxa_test_pool, n, "==", NULL), *c;
        for (c = std; *c; c++)
            *c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
        ck_imports(RSA_JWK(std, "AQAB"));
    }
    /* 1024 and 2047 bits, and an even modulus. */
    ck_skipped(jt_jwk(rxa_test_pool, jt_keygen(rxa_test_pool, "RSA1024"),
                      NULL, NULL), "RXA03013");
    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, n, strlen(n), &nb, &nlen),
                     APR_SUCCESS);
    nb[0] = 0x7f;
    ck_skipped(RSA_JWK(rxa_b64url_encode(rxa_test_pool, nb, nlen), "AQAB"),
               "RXA03013");
    nb[0] = 0xff;
    nb[nlen - 1] &= 0xfe;
    ck_skipped(RSA_JWK(rxa_b64url_encode(rxa_test_pool, nb, nlen), "AQAB"),
               "RXA03014");
    /* Over 8192 bits. */
    {
        unsigned char *big = apr_palloc(rxa_test_pool, 1025);
        memset(big, 0xff, 1025);
        ck_skipped(RSA_JWK(rxa_b64url_encode(rxa_test_pool, big, 1025),
                           "AQAB"), "RXA03013");
    }
#undef RSA_JWK
}
END_TEST

START_TEST(rsa_roca_refused)
{
    /* Wycheproof's ROCA-fingerprinted key (json_web_key_test.json). */
    const char *path = rxa_testdata(rxa_test_pool,
                                    "wycheproof/json_web_key_test.json");
    apr_size_t len = 0;
    const char *doc, *err;
    json_t *j, *groups;
    size_t i;
    int seen = 0;

    if (!path) {
        printf("# SKIP testdata/wycheproof not found\n");
        return;
    }
    doc = rxa_test_slurp(rxa_test_pool, path, &len);
    j = rxa_json_parse(rxa_test_pool, doc, len, 1 << 20, &err);
    groups = json_object_get(j, "testGroups");
    for (i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        json_t *keys = json_object_get(json_object_get(g, "public"), "keys");
        const char *comment = rxa_json_get_str(g, "comment");
        if (!comment || strcmp(comment, "jws_rsa_roca_key"))
            continue;
        ck_assert_ptr_null(rxa_jwk_from_json(rxa_test_pool,
                                             json_array_get(keys, 0), &err));
        ck_assert_ptr_nonnull(strstr(err, "RXA03016"));
        seen = 1;
    }
    ck_assert(seen);
}
END_TEST

START_TEST(openssl_error_queue_untouched)
{
    const char *err;

    ERR_clear_error();
    ERR_raise_data(ERR_LIB_USER, 42, "marker");
    /* Off the curve: OpenSSL itself refuses the point. */
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\","
               "\"y\":\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw\"}",
               "RXA0302");
    ck_assert_uint_eq(ERR_GET_REASON(ERR_peek_last_error()), 42);
    ck_assert_ptr_nonnull(import(jt_jwk(rxa_test_pool,
                                        jt_keygen(rxa_test_pool, "P-256"),
                                        NULL, NULL), &err));
    ck_assert_uint_eq(ERR_GET_REASON(ERR_peek_last_error()), 42);
    ERR_get_error();
    ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(ec_rules)
{
    EVP_PKEY *key = jt_keygen(rxa_test_pool, "P-256");
    const char *jwk = jt_jwk(rxa_test_pool, key, NULL, NULL);
    const char *y = strstr(jwk, "\"y\":\"") + 5;
    char *off = apr_pstrdup(rxa_test_pool, jwk);
    char *p = off + (y - jwk) + 20;

    ck_imports(jwk);
    /* A changed y: off the curve. */
    *p = *p == 'A' ? 'B' : 'A';
    ck_skipped(off, "RXA0302");
    /* Coordinates one byte short or long, or of another curve's size. */
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVA\","
               "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
               "RXA03021");
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"AH_NzidweaxdQYPL7m_bS3tYBzM1e-nvE7rPbjx70VRF\","
               "\"y\":\"AMfxRM0bvZt-hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt\"}",
               "RXA03021");
    ck_skipped(subst(jwk, "P-256", "P-384"), "RXA03021");
    ck_skipped(subst(jwk, "\"y\":", "\"z\":"), "RXA03021");
    /* The point at infinity and (0, 0). */
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
               "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
               "RXA0302");
    /* Wycheproof's modified key (invalid_point). */
    ck_skipped("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\","
               "\"y\":\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw\"}",
               "RXA0302");
    ck_imports("{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\","
               "\"y\":\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw\"}");
    /* Ed25519 x must be 32 bytes. */
    ck_skipped("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ\"}",
               "RXA03032");
}
END_TEST

/* --- key sets ------------------------------------------------------------- */

START_TEST(set_structure)
{
    const char *err;
    rxa_jwks_t *s;
    apr_size_t i;
    char *many;

    make_keys();
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, "[]", 2, &err));
    ck_assert_ptr_nonnull(strstr(err, "RXA01005"));
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, "{}", 2, &err));
    ck_assert_ptr_nonnull(strstr(err, "RXA03060"));
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, "{\"keys\":{}}", 11,
                                      &err));
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, "{\"keys\":[]", 10,
                                      &err));
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, "", 0, &err));
    ck_assert_ptr_null(rxa_jwks_from_json(rxa_test_pool, NULL, &err));
    s = rxa_jwks_parse(rxa_test_pool, "{\"keys\":[]}", 11, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->keys->nelts, 0);
    /* Entries that are no keys are skipped, the rest kept in order. */
    many = apr_pstrcat(rxa_test_pool, "{\"keys\":[1,\"x\",", rsa_jwk, ",{},",
                       ec_jwk, ",null,", okp_jwk, "],\"other\":true}", NULL);
    s = rxa_jwks_parse(rxa_test_pool, many, strlen(many), &err);
    ck_assert_int_eq(s->keys->nelts, 3);
    ck_assert_int_eq(s->skipped->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(s->keys, 0, rxa_jwk_t *)->kid, "r");
    ck_assert_str_eq(APR_ARRAY_IDX(s->keys, 2, rxa_jwk_t *)->kid, "o");
    /* Duplicate members anywhere refuse the document. */
    ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool,
                                      "{\"keys\":[],\"keys\":[]}", 21, &err));
    /* Past RXA_JWKS_MAX_KEYS entries, the rest are skipped. */
    many = apr_pstrdup(rxa_test_pool, "{\"keys\":[");
    for (i = 0; i < RXA_JWKS_MAX_KEYS + 3; i++)
        many = apr_pstrcat(rxa_test_pool, many, i ? "," : "", okp_jwk, NULL);
    many = apr_pstrcat(rxa_test_pool, many, "]}", NULL);
    s = rxa_jwks_parse(rxa_test_pool, many, strlen(many), &err);
    ck_assert_int_eq(s->keys->nelts, RXA_JWKS_MAX_KEYS);
    ck_assert_int_eq(s->skipped->nelts, 3);
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(s->skipped, 0, const char *),
                                 "RXA03061"));
    /* Over the size limit. */
    {
        apr_size_t n = RXA_JWKS_MAX_LEN + 1;
        char *big = apr_palloc(rxa_test_pool, n);
        memset(big, ' ', n);
        memcpy(big, "{\"keys\":[]}", 11);
        ck_assert_ptr_null(rxa_jwks_parse(rxa_test_pool, big, n, &err));
        ck_assert_ptr_nonnull(strstr(err, "RXA01002"));
    }
}
END_TEST

START_TEST(reasons_name_the_kid_safely)
{
    const char *err;

    ck_skipped("{\"kty\":\"oct\",\"kid\":\"abc\",\"k\":\"AA\"}", "RXA03053");
    import("{\"kty\":\"oct\",\"kid\":\"abc\",\"k\":\"AA\"}", &err);
    ck_assert_ptr_nonnull(strstr(err, "\"abc\""));
    import("{\"kty\":\"oct\",\"kid\":\"a\\nb\",\"k\":\"AA\"}", &err);
    ck_assert_ptr_nonnull(strstr(err, "(unprintable)"));
    ck_assert_ptr_null(strchr(err, '\n'));
    import("{\"kty\":\"oct\",\"kid\":\"a\\\"b\",\"k\":\"AA\"}", &err);
    ck_assert_ptr_nonnull(strstr(err, "(unprintable)"));
    /* Never key material. */
    import("{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0\"}", &err);
    ck_assert_ptr_null(strstr(err, "c2Vj"));
}
END_TEST

/* Every key set of the providers in testdata/wellknown: the set imports,
 * each signing key is usable, and each other key is skipped. What the
 * snapshot holds (2024-10-26): */
static const struct {
    const char *name;
    int usable, skipped;
    const char *skip_tag;       /* why the skipped ones are skipped */
} wellknown[] = {
    { "apple", 3, 0, NULL },
    { "battle-net", 2, 0, NULL },       /* n in padded standard base64,
                                         * with a leading zero octet */
    { "discord", 1, 0, NULL },
    { "docker", 2, 0, NULL },           /* x5c */
    { "dropbox", 1, 0, NULL },
    { "entra-common", 7, 0, NULL },     /* no alg, x5c, "issuer" member */
    { "entra-organizations", 6, 0, NULL },
    { "facebook", 2, 0, NULL },
    { "gitlab", 2, 0, NULL },           /* RSA 4096 */
    { "google", 2, 0, NULL },
    { "klarna", 4, 0, NULL },
    { "lego", 5, 0, NULL },
    { "mojeid", 1, 0, NULL },           /* no use, no alg */
    { "paypal", 14, 1, "RXA03030" },    /* EC without use or alg; X25519 */
    { "slack", 1, 0, NULL },
    { "spotify", 3, 0, NULL },
    { "twitch", 1, 0, NULL },
    { "verimi", 2, 0, NULL },
    { "yahoo", 1, 3, "RXA03013" },      /* RSA 1024 signing keys: too weak */
};

START_TEST(wellknown_sets)
{
    apr_size_t i, total = 0;

    if (!rxa_testdata(rxa_test_pool, "wellknown")) {
        printf("# SKIP testdata/wellknown not found\n");
        return;
    }
    for (i = 0; i < sizeof(wellknown) / sizeof(wellknown[0]); i++) {
        const char *path = rxa_testdata(rxa_test_pool,
                                        apr_pstrcat(rxa_test_pool, "wellknown/",
                                                    wellknown[i].name,
                                                    ".jwks.json", NULL));
        apr_size_t len = 0;
        const char *doc, *err = NULL;
        rxa_jwks_t *s;
        json_t *raw, *keys;
        int j;
        size_t k;

        ck_assert_msg(path != NULL, "%s.jwks.json missing", wellknown[i].name);
        doc = rxa_test_slurp(rxa_test_pool, path, &len);
        s = rxa_jwks_parse(rxa_test_pool, doc, len, &err);
        ck_assert_msg(s != NULL, "%s: %s", wellknown[i].name, err);
        ck_assert_msg(s->keys->nelts == wellknown[i].usable
                      && s->skipped->nelts == wellknown[i].skipped,
                      "%s: %d usable, %d skipped", wellknown[i].name,
                      s->keys->nelts, s->skipped->nelts);
        for (j = 0; j < s->skipped->nelts; j++) {
            const char *why = APR_ARRAY_IDX(s->skipped, j, const char *);
            ck_assert_msg(strstr(why, wellknown[i].skip_tag) != NULL,
                          "%s: %s", wellknown[i].name, why);
        }
        /* Each usable key sits at its place in the document, kid and all,
         * and has an OpenSSL key behind it. */
        raw = rxa_json_parse(rxa_test_pool, doc, len, RXA_JWKS_MAX_LEN, &err);
        keys = json_object_get(raw, "keys");
        for (j = 0, k = 0; j < s->keys->nelts; j++, k++) {
            const rxa_jwk_t *key = APR_ARRAY_IDX(s->keys, j, const rxa_jwk_t *);
            const char *kid;
            while (k < json_array_size(keys)
                   && (!(kid = rxa_json_get_str(json_array_get(keys, k), "kid"))
                       || !key->kid || strcmp(kid, key->kid)))
                k++;
            ck_assert_msg(k < json_array_size(keys), "%s: kid out of order",
                          wellknown[i].name);
            ck_assert_ptr_nonnull(key->pkey);
            ck_assert_uint_ne(key->algs, 0);
        }
        total += (apr_size_t)s->keys->nelts;
    }
    printf("# %" APR_SIZE_T_FMT " signing keys imported from %d key sets\n",
           total, (int)(sizeof(wellknown) / sizeof(wellknown[0])));
}
END_TEST

START_TEST(wellknown_algsets)
{
    /* What each provider's discovery lists comes down to our algorithms:
     * "none" and HMAC (docker, mojeid, paypal) fall away. */
    static const struct { const char *name; rxa_jws_algset_t set; } d[] = {
        { "google", RXA_JWS_ALGSET(RXA_JWS_RS256) },
        { "docker", RXA_JWS_ALGSET(RXA_JWS_RS256)
                    | RXA_JWS_ALGSET(RXA_JWS_PS256) },
        { "paypal", RXA_JWS_ALGSET(RXA_JWS_RS256) },
        { "yahoo", RXA_JWS_ALGSET(RXA_JWS_RS256)
                   | RXA_JWS_ALGSET(RXA_JWS_ES256) },
        { "mojeid", RXA_JWS_ALGSET_ALL & ~RXA_JWS_ALGSET(RXA_JWS_EDDSA) },
    };
    apr_size_t i;

    if (!rxa_testdata(rxa_test_pool, "wellknown")) {
        printf("# SKIP testdata/wellknown not found\n");
        return;
    }
    for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        const char *path = rxa_testdata(rxa_test_pool,
                                        apr_pstrcat(rxa_test_pool, "wellknown/",
                                                    d[i].name,
                                                    ".discovery.json", NULL));
        apr_size_t len = 0;
        const char *doc = rxa_test_slurp(rxa_test_pool, path, &len), *err;
        json_t *j = rxa_json_parse(rxa_test_pool, doc, len, 1 << 20, &err);

        ck_assert_uint_eq(rxa_jws_algset_from_json(
                              json_object_get(j, "id_token_signing_alg_"
                                                 "values_supported")),
                          d[i].set);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("jwk");
    TCase *tc = rxa_tcase("key");

    tcase_add_test(tc, types_imported);
    tcase_add_test(tc, leading_zero_modulus);
    tcase_add_test(tc, purpose_rules);
    tcase_add_test(tc, alg_rules);
    tcase_add_test(tc, type_rules);
    tcase_add_test(tc, private_and_x5c);
    tcase_add_test(tc, rsa_rules);
    tcase_add_test(tc, rsa_roca_refused);
    tcase_add_test(tc, ec_rules);
    tcase_add_test(tc, openssl_error_queue_untouched);
    tcase_add_test(tc, reasons_name_the_kid_safely);
    suite_add_tcase(s, tc);
    tc = rxa_tcase("set");
    tcase_add_test(tc, set_structure);
    tcase_add_test(tc, wellknown_sets);
    tcase_add_test(tc, wellknown_algsets);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
