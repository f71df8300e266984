/* Project Wycheproof vectors (../shared/testdata/wycheproof): every valid
 * and invalid verdict for the algorithms we support must be ours too;
 * "acceptable" may go either way. The raw signature files test the
 * signature primitive, the JWS and JWK files the whole token path, where
 * algorithms we do not support (HMAC included) are always refused. */
#include "rxa_test.h"

#include "rxa_b64url.h"
#include "rxa_json.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

static json_t *load(const char *name)
{
    const char *path = rxa_testdata(rxa_test_pool,
                                    apr_pstrcat(rxa_test_pool, "wycheproof/",
                                                name, NULL));
    const char *doc, *err = NULL;
    apr_size_t len = 0;
    json_t *j;

    if (!path)
        return NULL;
    doc = rxa_test_slurp(rxa_test_pool, path, &len);
    ck_assert_ptr_nonnull(doc);
    j = rxa_json_parse(rxa_test_pool, doc, len, 8 << 20, &err);
    ck_assert_msg(j != NULL, "%s: %s", name, err);
    return j;
}

static unsigned char *unhex(const char *hex, apr_size_t *len)
{
    apr_size_t i, n = strlen(hex) / 2;
    unsigned char *out = apr_palloc(rxa_test_pool, n + 1);

    for (i = 0; i < n; i++) {
        unsigned int b;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
        out[i] = (unsigned char)b;
    }
    *len = n;
    return out;
}

/* A coordinate from hex, as the exact field size in base64url. */
static const char *coord(const char *hex, apr_size_t size)
{
    apr_size_t len;
    unsigned char *b = unhex(hex, &len), *out;

    while (len > size && *b == 0) {
        b++;
        len--;
    }
    ck_assert_uint_le(len, size);
    out = apr_pcalloc(rxa_test_pool, size);
    memcpy(out + size - len, b, len);
    return rxa_b64url_encode(rxa_test_pool, out, size);
}

/* --- raw signatures ------------------------------------------------------- */

static const struct {
    const char *file;
    rxa_jws_alg_t alg;
    apr_size_t field;       /* EC field size, for keys given without a JWK */
} raw_files[] = {
    { "rsa_signature_2048_sha256_test.json", RXA_JWS_RS256, 0 },
    { "rsa_signature_3072_sha384_test.json", RXA_JWS_RS384, 0 },
    { "rsa_signature_4096_sha512_test.json", RXA_JWS_RS512, 0 },
    { "rsa_pss_2048_sha256_mgf1_32_test.json", RXA_JWS_PS256, 0 },
    { "ecdsa_secp256r1_sha256_p1363_test.json", RXA_JWS_ES256, 32 },
    { "ecdsa_secp384r1_sha384_p1363_test.json", RXA_JWS_ES384, 48 },
    { "ecdsa_secp521r1_sha512_p1363_test.json", RXA_JWS_ES512, 66 },
    { "ed25519_test.json", RXA_JWS_EDDSA, 0 },
};

static const rxa_jwk_t *group_key(const json_t *g, apr_size_t field)
{
    const json_t *jwk = json_object_get(g, "publicKeyJwk");
    const char *err = NULL;
    rxa_jwk_t *key;

    if (!jwk)
        jwk = json_object_get(g, "keyJwk");
    if (!jwk) {
        /* A few ECDSA groups come without a JWK: build it from the point. */
        const json_t *pk = json_object_get(g, "publicKey");
        const char *crv = field == 32 ? "P-256" : field == 48 ? "P-384"
                                                              : "P-521";
        json_t *made = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC",
                                 "crv", crv,
                                 "x", coord(rxa_json_get_str(pk, "wx"), field),
                                 "y", coord(rxa_json_get_str(pk, "wy"), field));
        jwk = rxa_json_pool_own(rxa_test_pool, made);
    }
    key = rxa_jwk_from_json(rxa_test_pool, jwk, &err);
    ck_assert_msg(key != NULL, "group key refused: %s", err);
    return key;
}

START_TEST(raw_signatures)
{
    json_t *doc = load(raw_files[_i].file), *groups;
    size_t gi, ti;
    int valid = 0, invalid = 0, acceptable = 0, accepted_acceptable = 0;

    if (!doc) {
        printf("# SKIP testdata/wycheproof/%s not found\n", raw_files[_i].file);
        return;
    }
    groups = json_object_get(doc, "testGroups");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        const json_t *g = json_array_get(groups, gi), *tests;
        const rxa_jwk_t *key = group_key(g, raw_files[_i].field);

        tests = json_object_get(g, "tests");
        for (ti = 0; ti < json_array_size(tests); ti++) {
            const json_t *t = json_array_get(tests, ti);
            const char *result = rxa_json_get_str(t, "result"), *err = NULL;
            apr_size_t mlen, slen;
            unsigned char *msg = unhex(rxa_json_get_str(t, "msg"), &mlen);
            unsigned char *sig = unhex(rxa_json_get_str(t, "sig"), &slen);
            apr_status_t rv = rxa_jws_verify_signature(rxa_test_pool, key,
                                                       raw_files[_i].alg,
                                                       msg, mlen, sig, slen,
                                                       &err);
            int id = (int)json_integer_value(json_object_get(t, "tcId"));

            if (!strcmp(result, "valid")) {
                ck_assert_msg(rv == APR_SUCCESS, "%s tcId %d valid, refused: %s",
                              raw_files[_i].file, id, err);
                valid++;
            }
            else if (!strcmp(result, "invalid")) {
                ck_assert_msg(rv != APR_SUCCESS, "%s tcId %d invalid, accepted",
                              raw_files[_i].file, id);
                invalid++;
            }
            else {
                acceptable++;
                accepted_acceptable += rv == APR_SUCCESS;
            }
        }
    }
    ck_assert_int_gt(valid + invalid, 0);
    printf("# %s: %d valid accepted, %d invalid refused, %d acceptable "
           "(%d accepted)\n", raw_files[_i].file, valid, invalid, acceptable,
           accepted_acceptable);
}
END_TEST

/* --- JWS and JWK files ---------------------------------------------------- */

/* Each group holds the verification key ("public": one JWK or a set) or,
 * for HMAC groups, only a private symmetric set. A vector must verify
 * exactly when it is valid and signed with an algorithm we support: a
 * group with a public key. Others (HMAC, no key) must be refused. */
static void jose_file(const char *file)
{
    json_t *doc = load(file), *groups;
    size_t gi, ti;
    int accepted = 0, refused = 0, unsupported = 0;

    if (!doc) {
        printf("# SKIP testdata/wycheproof/%s not found\n", file);
        return;
    }
    groups = json_object_get(doc, "testGroups");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        const json_t *g = json_array_get(groups, gi), *tests;
        json_t *keyset = json_object_get(g, "public");
        int ours = keyset != NULL;
        const char *err = NULL;
        rxa_jwks_t *jwks;

        if (!keyset)
            keyset = json_object_get(g, "private");
        if (keyset && !json_object_get(keyset, "keys"))
            keyset = rxa_json_pool_own(rxa_test_pool,
                                       json_pack("{s:[O]}", "keys", keyset));
        jwks = keyset ? rxa_jwks_from_json(rxa_test_pool, keyset, &err) : NULL;
        ck_assert_msg(!keyset || jwks, "%s group %d: %s", file, (int)gi, err);

        tests = json_object_get(g, "tests");
        for (ti = 0; ti < json_array_size(tests); ti++) {
            const json_t *t = json_array_get(tests, ti);
            const json_t *jws = json_object_get(t, "jws");
            const char *result = rxa_json_get_str(t, "result");
            int id = (int)json_integer_value(json_object_get(t, "tcId"));
            char *token;
            rxa_jws_t *out;
            apr_status_t rv;

            /* JSON serializations come as objects: hand them over as the
             * text a client would send. */
            token = json_is_string(jws)
                    ? apr_pstrdup(rxa_test_pool, json_string_value(jws))
                    : json_dumps(jws, JSON_COMPACT);
            rv = rxa_jws_verify_raw(rxa_test_pool, token, strlen(token), jwks,
                                    RXA_JWS_ALGSET_ALL, &out, &err);
            if (!json_is_string(jws))
                free(token);
            if (!strcmp(result, "valid") && ours) {
                ck_assert_msg(rv == APR_SUCCESS, "%s tcId %d valid, refused: %s",
                              file, id, err);
                accepted++;
            }
            else {
                ck_assert_msg(rv != APR_SUCCESS, "%s tcId %d %s%s, accepted",
                              file, id, result, ours ? "" : " (unsupported)");
                if (strcmp(result, "invalid"))
                    unsupported++;
                else
                    refused++;
            }
        }
    }
    printf("# %s: %d valid accepted, %d invalid refused, %d valid with an "
           "algorithm we do not support refused\n", file, accepted, refused,
           unsupported);
}

START_TEST(json_web_signature)
{
    jose_file("json_web_signature_test.json");
}
END_TEST

START_TEST(json_web_key)
{
    jose_file("json_web_key_test.json");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("wycheproof");
    TCase *tc = rxa_tcase("raw");

    tcase_add_loop_test(tc, raw_signatures, 0,
                        (int)(sizeof(raw_files) / sizeof(raw_files[0])));
    suite_add_tcase(s, tc);
    tc = rxa_tcase("jose");
    tcase_add_test(tc, json_web_signature);
    tcase_add_test(tc, json_web_key);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
