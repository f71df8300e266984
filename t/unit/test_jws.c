/* JWS compact verification: the published examples (RFC 7515 appendix A,
 * RFC 7520 section 4, RFC 8037 appendix A.4) and every refusal rule. */
#include "rxa_test.h"
#include "rxa_jose_test.h"

#include <openssl/err.h>
#include <openssl/hmac.h>

#include "rxa_json.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

static rxa_jwks_t *set_of(const char *keys_json)
{
    const char *err = NULL;
    const char *doc = apr_pstrcat(rxa_test_pool, "{\"keys\":[", keys_json,
                                  "]}", NULL);
    rxa_jwks_t *jwks = rxa_jwks_parse(rxa_test_pool, doc, strlen(doc), &err);

    ck_assert_msg(jwks != NULL, "set did not parse: %s", err);
    return jwks;
}

static const char *b64(const char *s)
{
    return rxa_b64url_encode(rxa_test_pool, (const unsigned char *)s,
                             strlen(s));
}

static apr_status_t verify(const char *token, const rxa_jwks_t *jwks,
                           rxa_jws_algset_t allowed, const char **err)
{
    rxa_jws_t *jws;

    *err = NULL;
    return rxa_jws_verify_raw(rxa_test_pool, token, strlen(token), jwks,
                              allowed, &jws, err);
}

/* Refused with EINVAL and a reason carrying TAG. */
#define ck_refused(token, jwks, allowed, tag) do {                          \
        const char *err_;                                                   \
        apr_status_t rv_ = verify((token), (jwks), (allowed), &err_);       \
        ck_assert_int_eq(rv_, APR_EINVAL);                                  \
        ck_assert_ptr_nonnull(err_);                                        \
        ck_assert_msg(strstr(err_, (tag)) != NULL, "expected %s, got %s",   \
                      (tag), err_);                                         \
    } while (0)

/* --- published examples --------------------------------------------------- */

/* RFC 7515 A.2.1 (RSA key, public part) and A.2 token. */
static const char rfc7515_a2_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0"
    "l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_"
    "YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUs"
    "LA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5"
    "IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRW"
    "yuXpoQ\",\"e\":\"AQAB\"}";
static const char rfc7515_a2[] =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0"
    "dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__"
    "dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJd"
    "bF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkS"
    "jtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI"
    "7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0"
    "igcN_IoypGlUPQGe77Rw";

/* RFC 7515 A.3.1 (P-256 key) and A.3 token. */
static const char rfc7515_a3_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char rfc7515_a3[] =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0"
    "dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-X"
    "x-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 A.4.1 (P-521 key) and A.4 token. */
static const char rfc7515_a4_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-521\","
    "\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLF"
    "V1jSfS9tsz4qUxcWceqwQGk\","
    "\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kk"
    "d0AZMaZmh9ubmf63e3kyMj2\"}";
static const char rfc7515_a4[] =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi7"
    "0cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPE"
    "X3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

/* RFC 7515 A.1: HS256 with the A.1.1 symmetric key. */
static const char rfc7515_a1_jwk[] =
    "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS"
    "0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
static const char rfc7515_a1[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEz"
    "MDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4C"
    "VP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7520 3.1 (P-521) and 3.3 (RSA) public keys, as published: no alg. */
static const char rfc7520_ec_jwk[] =
    "{\"kty\":\"EC\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"sig\","
    "\"crv\":\"P-521\",\"x\":\"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sY"
    "l_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt\",\"y\":\"AdymlHvOiLxXkEhayXQnN"
    "CvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1\"}";
static const char rfc7520_rsa_jwk[] =
    "{\"kty\":\"RSA\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"sig\","
    "\"n\":\"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdN"
    "hxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dA"
    "pr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpP"
    "I9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2B"
    "Ywdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw\",\"e\":\"AQAB\"}";
#define RFC7520_PAYLOAD \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci" \
    "4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVl" \
    "dCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by" \
    "4"
static const char rfc7520_4_1[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    RFC7520_PAYLOAD "."
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4m"
    "wzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuY"
    "v746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0eP"
    "PQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6Q"
    "ZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
static const char rfc7520_4_2[] =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    RFC7520_PAYLOAD "."
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6Vrk"
    "lHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28z"
    "GWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT"
    "8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7"
    "xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
static const char rfc7520_4_3[] =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    RFC7520_PAYLOAD "."
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzo"
    "NEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHA"
    "BlsbEPX6sFY8OcGDqoRuBomu9xQ2";
/* RFC 7520 4.4: HS256 with the 3.5 symmetric key. */
static const char rfc7520_mac_jwk[] =
    "{\"kty\":\"oct\",\"kid\":\"018c0ae5-4d9b-471b-bfd6-eef314bc7037\","
    "\"use\":\"sig\",\"alg\":\"HS256\","
    "\"k\":\"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg\"}";
static const char rfc7520_4_4[] =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJj"
    "NzAzNyJ9." RFC7520_PAYLOAD ".s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

/* RFC 8037 A.1/A.4: Ed25519. */
static const char rfc8037_jwk[] =
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char rfc8037_a4[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0Jz"
    "lnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

START_TEST(rfc7515_a2_rs256)
{
    rxa_jws_t *jws;
    const char *err = NULL;
    rxa_jwks_t *jwks = set_of(rfc7515_a2_jwk);

    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, rfc7515_a2,
                                    strlen(rfc7515_a2), jwks,
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(jws->alg, RXA_JWS_RS256);
    ck_assert_str_eq(json_string_value(json_object_get(jws->payload, "iss")),
                     "joe");
    ck_assert(json_is_true(json_object_get(jws->payload,
                                           "http://example.com/is_root")));
    ck_assert_ptr_null(jws->kid);
}
END_TEST

START_TEST(rfc7515_a3_es256)
{
    rxa_jws_t *jws;
    const char *err = NULL;

    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, rfc7515_a3,
                                    strlen(rfc7515_a3), set_of(rfc7515_a3_jwk),
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(jws->alg, RXA_JWS_ES256);
    ck_assert_int_eq(json_integer_value(json_object_get(jws->payload, "exp")),
                     1300819380);
}
END_TEST

START_TEST(rfc7515_a4_es512)
{
    rxa_jws_t *jws;
    const char *err = NULL;

    ck_assert_int_eq(rxa_jws_verify_raw(rxa_test_pool, rfc7515_a4,
                                        strlen(rfc7515_a4),
                                        set_of(rfc7515_a4_jwk),
                                        RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(jws->alg, RXA_JWS_ES512);
    ck_assert_uint_eq(jws->payload_len, 7);
    ck_assert_mem_eq(jws->payload_raw, "Payload", 7);
    ck_assert_ptr_null(jws->payload);
    /* Its payload is no JSON object: the JWT entry point refuses it. */
    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, rfc7515_a4,
                                    strlen(rfc7515_a4), set_of(rfc7515_a4_jwk),
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03230"));
}
END_TEST

START_TEST(rfc7515_a1_hs256_refused)
{
    /* The oct key is skipped on import; the token is refused for its alg
     * whatever the set holds. */
    rxa_jwks_t *jwks = set_of(rfc7515_a1_jwk);

    ck_assert_int_eq(jwks->keys->nelts, 0);
    ck_assert_int_eq(jwks->skipped->nelts, 1);
    ck_refused(rfc7515_a1, jwks, RXA_JWS_ALGSET_ALL, "RXA03212");
    ck_refused(rfc7515_a1, set_of(rfc7515_a2_jwk), RXA_JWS_ALGSET_ALL,
               "RXA03212");
}
END_TEST

START_TEST(rfc7520_examples)
{
    const char *err;
    rxa_jwks_t *jwks = set_of(apr_pstrcat(rxa_test_pool, rfc7520_rsa_jwk, ",",
                                          rfc7520_ec_jwk, ",", rfc7520_mac_jwk,
                                          NULL));

    /* Both keys share the kid; each fits only its own family. */
    ck_assert_int_eq(jwks->keys->nelts, 2);
    ck_assert_int_eq(verify(rfc7520_4_1, jwks, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(verify(rfc7520_4_2, jwks, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(verify(rfc7520_4_3, jwks, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
    ck_refused(rfc7520_4_4, jwks, RXA_JWS_ALGSET_ALL, "RXA03212");
}
END_TEST

START_TEST(rfc8037_a4_eddsa)
{
    rxa_jws_t *jws;
    const char *err = NULL;

    ck_assert_int_eq(rxa_jws_verify_raw(rxa_test_pool, rfc8037_a4,
                                        strlen(rfc8037_a4),
                                        set_of(rfc8037_jwk),
                                        RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(jws->alg, RXA_JWS_EDDSA);
    ck_assert_str_eq((const char *)jws->payload_raw,
                     "Example of Ed25519 signing");
}
END_TEST

/* --- refusals ------------------------------------------------------------- */

START_TEST(modified_examples_refused)
{
    rxa_jwks_t *rsa = set_of(rfc7515_a2_jwk), *ec = set_of(rfc7515_a3_jwk);
    char *t;
    apr_size_t n;

    /* A flipped bit in header, payload and signature. */
    t = apr_pstrdup(rxa_test_pool, rfc7515_a2);
    t[5] ^= 0x01;
    ck_refused(t, rsa, RXA_JWS_ALGSET_ALL, "RXA032");
    t = apr_pstrdup(rxa_test_pool, rfc7515_a2);
    t[30] = t[30] == 'A' ? 'B' : 'A';
    ck_refused(t, rsa, RXA_JWS_ALGSET_ALL, "RXA03206");
    t = apr_pstrdup(rxa_test_pool, rfc7515_a2);
    n = strlen(t);
    t[n - 10] = t[n - 10] == 'A' ? 'B' : 'A';
    ck_refused(t, rsa, RXA_JWS_ALGSET_ALL, "RXA03206");
    /* The signature cut short, or padded with base64 '='. */
    t = apr_pstrmemdup(rxa_test_pool, rfc7515_a3, strlen(rfc7515_a3) - 2);
    ck_refused(t, ec, RXA_JWS_ALGSET_ALL, "RXA03201");
    t = apr_pstrcat(rxa_test_pool, rfc7515_a3, "==", NULL);
    ck_refused(t, ec, RXA_JWS_ALGSET_ALL, "RXA03228");
    /* The other key. */
    ck_refused(rfc7515_a2, set_of(rfc7520_rsa_jwk), RXA_JWS_ALGSET_ALL,
               "RXA03206");
    /* No key of the alg's type: not found (the set may need a refresh). */
    {
        const char *err;
        ck_assert_int_eq(verify(rfc7515_a2, ec, RXA_JWS_ALGSET_ALL, &err),
                         APR_NOTFOUND);
        ck_assert_ptr_nonnull(strstr(err, "RXA03074"));
    }
}
END_TEST

START_TEST(structure_refused)
{
    rxa_jwks_t *rsa = set_of(rfc7515_a2_jwk);
    const char *dot1 = strchr(rfc7515_a2, '.'), *dot2 = strrchr(rfc7515_a2, '.');
    const char *hdr = apr_pstrmemdup(rxa_test_pool, rfc7515_a2,
                                     (apr_size_t)(dot1 - rfc7515_a2));
    const char *pl = apr_pstrmemdup(rxa_test_pool, dot1 + 1,
                                    (apr_size_t)(dot2 - dot1 - 1));
    const char *sig = dot2 + 1;
    const char *err;
    rxa_jws_t *jws;

    ck_refused("", rsa, RXA_JWS_ALGSET_ALL, "RXA03220");
    ck_refused(".", rsa, RXA_JWS_ALGSET_ALL, "RXA03222");
    ck_refused("..", rsa, RXA_JWS_ALGSET_ALL, "RXA03223");
    ck_refused(apr_pstrcat(rxa_test_pool, hdr, ".", pl, NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03222");
    ck_refused(apr_pstrcat(rxa_test_pool, hdr, ".", pl, ".", NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03224");
    ck_refused(apr_pstrcat(rxa_test_pool, ".", pl, ".", sig, NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03223");
    ck_refused(apr_pstrcat(rxa_test_pool, rfc7515_a2, ".", NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03222");
    ck_refused(apr_pstrcat(rxa_test_pool, rfc7515_a2, ".x.y", NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03222");
    /* Whitespace, padding and the standard alphabet are not base64url. */
    ck_refused(apr_pstrcat(rxa_test_pool, hdr, " .", pl, ".", sig, NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03226");
    ck_refused(apr_pstrcat(rxa_test_pool, hdr, "=.", pl, ".", sig, NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03226");
    ck_refused(apr_pstrcat(rxa_test_pool, hdr, ".", pl, "=.", sig, NULL), rsa,
               RXA_JWS_ALGSET_ALL, "RXA03206");
    /* The JSON serializations (RFC 7515 7.2). */
    ck_refused(apr_pstrcat(rxa_test_pool, "{\"payload\":\"", pl,
                           "\",\"protected\":\"", hdr, "\",\"signature\":\"",
                           sig, "\"}", NULL),
               rsa, RXA_JWS_ALGSET_ALL, "RXA03222");
    ck_refused(apr_pstrcat(rxa_test_pool, "{\"payload\":\"", pl,
                           "\",\"signatures\":[{\"protected\":\"", hdr,
                           "\",\"signature\":\"", sig, "\"}]}", NULL),
               rsa, RXA_JWS_ALGSET_ALL, "RXA03222");
    /* A NUL inside: the length is what counts, and NUL is no base64url. */
    ck_assert_int_eq(rxa_jws_verify_raw(rxa_test_pool, rfc7515_a2,
                                        strlen(rfc7515_a2) + 1, rsa,
                                        RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_EINVAL);
    /* Over 64 KB, whatever it holds. */
    {
        char *big = apr_palloc(rxa_test_pool, RXA_JWS_MAX_LEN + 2);
        memset(big, 'A', RXA_JWS_MAX_LEN + 1);
        big[RXA_JWS_MAX_LEN + 1] = '\0';
        ck_refused(big, rsa, RXA_JWS_ALGSET_ALL, "RXA03221");
    }
    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, NULL, 0, rsa,
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(jws);
}
END_TEST

/* Keys for the header tests: an RSA and an EC key in one set. */
static EVP_PKEY *k_rsa, *k_ec;
static rxa_jwks_t *two_keys(void)
{
    k_rsa = jt_keygen(rxa_test_pool, "RSA2048");
    k_ec = jt_keygen(rxa_test_pool, "P-256");
    return set_of(apr_pstrcat(rxa_test_pool,
                              jt_jwk(rxa_test_pool, k_rsa, "r1", NULL), ",",
                              jt_jwk(rxa_test_pool, k_ec, "e1", NULL), NULL));
}

#define CLAIMS "{\"sub\":\"alice\"}"

START_TEST(header_rules)
{
    rxa_jwks_t *jwks = two_keys();
    const char *err;
    rxa_jws_t *jws;
    const char *ok = jt_sign(rxa_test_pool, k_rsa, "RS256",
                             "{\"alg\":\"RS256\",\"kid\":\"r1\"}", CLAIMS);

    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, ok, strlen(ok), jwks,
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(jws->kid, "r1");
    ck_assert_str_eq(rxa_json_get_str(jws->payload, "sub"), "alice");

    /* Validly signed, and still refused for what the header says. */
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"exp\"],"
                       "\"exp\":1}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03215");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[]}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03215");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       apr_pstrcat(rxa_test_pool,
                                   "{\"alg\":\"RS256\",\"kid\":\"r1\",\"jwk\":",
                                   jt_jwk(rxa_test_pool, k_rsa, "r1", NULL),
                                   "}", NULL), CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03216");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\","
                       "\"jku\":\"https://evil.example/jwks\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03216");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\","
                       "\"x5u\":\"https://evil.example/cert\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03216");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\",\"x5c\":[\"MII=\"]}",
                       CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03216");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\",\"b64\":false}",
                       CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03217");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":7}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03218");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"kid\":\"r1\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03210");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":[\"RS256\"],\"kid\":\"r1\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03210");
    /* Duplicate members: in the header, and in the claims. */
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"r1\",\"alg\":\"none\"}",
                       CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03227");
    ok = jt_sign(rxa_test_pool, k_rsa, "RS256",
                 "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
                 "{\"sub\":\"alice\",\"sub\":\"admin\"}");
    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, ok, strlen(ok), jwks,
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03230"));
    /* The header must be an object of at most 4 KB. */
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256", "[\"RS256\"]", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03227");
    {
        char *pad = apr_palloc(rxa_test_pool, 5000);
        memset(pad, 'x', 4999);
        pad[4999] = '\0';
        ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                           apr_pstrcat(rxa_test_pool, "{\"alg\":\"RS256\","
                                       "\"kid\":\"r1\",\"pad\":\"", pad,
                                       "\"}", NULL), CLAIMS),
                   jwks, RXA_JWS_ALGSET_ALL, "RXA0322");
    }
}
END_TEST

START_TEST(algorithms_refused)
{
    rxa_jwks_t *jwks = two_keys();
    const char *input, *tok;
    unsigned char mac[64];
    unsigned int maclen = 0;
    const char *pubjwk = jt_jwk(rxa_test_pool, k_rsa, NULL, NULL);

    /* alg none, with and without a signature, in any case. */
    input = apr_pstrcat(rxa_test_pool, b64("{\"alg\":\"none\"}"), ".",
                        b64(CLAIMS), NULL);
    ck_refused(apr_pstrcat(rxa_test_pool, input, ".", NULL), jwks,
               RXA_JWS_ALGSET_ALL, "RXA03224");
    ck_refused(apr_pstrcat(rxa_test_pool, input, ".AAAA", NULL), jwks,
               RXA_JWS_ALGSET_ALL, "RXA03211");
    tok = jt_sign(rxa_test_pool, k_rsa, "RS256", "{\"alg\":\"NONE\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03211");

    /* The classic confusion: HS256 keyed with the public key's own text. */
    input = apr_pstrcat(rxa_test_pool, b64("{\"alg\":\"HS256\",\"kid\":\"r1\"}"),
                        ".", b64(CLAIMS), NULL);
    HMAC(EVP_sha256(), pubjwk, (int)strlen(pubjwk),
         (const unsigned char *)input, strlen(input), mac, &maclen);
    tok = apr_pstrcat(rxa_test_pool, input, ".",
                      rxa_b64url_encode(rxa_test_pool, mac, maclen), NULL);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03212");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"HS512\",\"kid\":\"r1\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03212");
    /* Algorithms nobody here verifies. */
    ck_refused(jt_sign(rxa_test_pool, k_ec, "ES256",
                       "{\"alg\":\"ES256K\",\"kid\":\"e1\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03213");
    ck_refused(jt_sign(rxa_test_pool, k_rsa, "RS256",
                       "{\"alg\":\"rs256\",\"kid\":\"r1\"}", CLAIMS),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03213");
    /* Only what discovery lists: an ES256 token where only RS256 is. */
    tok = jt_sign(rxa_test_pool, k_ec, "ES256",
                  "{\"alg\":\"ES256\",\"kid\":\"e1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET(RXA_JWS_RS256), "RXA03214");
    ck_refused(tok, jwks, 0, "RXA03214");
    /* Bits for algorithms we do not have are ignored, not trusted. */
    ck_refused(tok, jwks, ~RXA_JWS_ALGSET_ALL, "RXA03214");
    {
        const char *err;
        ck_assert_int_eq(verify(tok, jwks, RXA_JWS_ALGSET(RXA_JWS_ES256), &err),
                         APR_SUCCESS);
    }
    /* alg swap: an RS256 signature relabelled PS256 (and the reverse). */
    tok = jt_sign(rxa_test_pool, k_rsa, "RS256",
                  "{\"alg\":\"PS256\",\"kid\":\"r1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03206");
    tok = jt_sign(rxa_test_pool, k_rsa, "PS256",
                  "{\"alg\":\"RS256\",\"kid\":\"r1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03206");
    tok = jt_sign(rxa_test_pool, k_rsa, "RS256",
                  "{\"alg\":\"RS512\",\"kid\":\"r1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03206");
    /* A kid naming the EC key on an RSA alg, and the reverse. */
    tok = jt_sign(rxa_test_pool, k_rsa, "RS256",
                  "{\"alg\":\"RS256\",\"kid\":\"e1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03072");
    tok = jt_sign(rxa_test_pool, k_ec, "ES256",
                  "{\"alg\":\"ES384\",\"kid\":\"e1\"}", CLAIMS);
    ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL, "RXA03072");
}
END_TEST

START_TEST(key_alg_limits)
{
    EVP_PKEY *k = jt_keygen(rxa_test_pool, "RSA2048");
    rxa_jwks_t *rs = set_of(jt_jwk(rxa_test_pool, k, "k",
                                   "\"alg\":\"RS256\""));
    rxa_jwks_t *ps = set_of(jt_jwk(rxa_test_pool, k, "k",
                                   "\"alg\":\"PS512\""));
    const char *err;

    /* An RS256 key does not verify PSS, a PS512 key no weaker PSS. */
    ck_refused(jt_sign(rxa_test_pool, k, "PS256",
                       "{\"alg\":\"PS256\",\"kid\":\"k\"}", CLAIMS),
               rs, RXA_JWS_ALGSET_ALL, "RXA03072");
    ck_refused(jt_sign(rxa_test_pool, k, "PS384",
                       "{\"alg\":\"PS384\",\"kid\":\"k\"}", CLAIMS),
               ps, RXA_JWS_ALGSET_ALL, "RXA03072");
    ck_refused(jt_sign(rxa_test_pool, k, "RS512",
                       "{\"alg\":\"RS512\",\"kid\":\"k\"}", CLAIMS),
               ps, RXA_JWS_ALGSET_ALL, "RXA03072");
    ck_refused(jt_sign(rxa_test_pool, k, "RS256",
                       "{\"alg\":\"RS256\",\"kid\":\"k\"}", CLAIMS),
               set_of(jt_jwk(rxa_test_pool, k, "k", "\"alg\":\"PS256\"")),
               RXA_JWS_ALGSET_ALL, "RXA03072");
    ck_assert_int_eq(verify(jt_sign(rxa_test_pool, k, "RS256",
                                    "{\"alg\":\"RS256\",\"kid\":\"k\"}",
                                    CLAIMS), rs, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(verify(jt_sign(rxa_test_pool, k, "PS512",
                                    "{\"alg\":\"PS512\",\"kid\":\"k\"}",
                                    CLAIMS), ps, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
}
END_TEST

START_TEST(every_algorithm)
{
    static const struct { const char *key, *alg; } cases[] = {
        { "RSA2048", "RS256" }, { "RSA2048", "RS384" }, { "RSA2048", "RS512" },
        { "RSA2048", "PS256" }, { "RSA2048", "PS384" }, { "RSA2048", "PS512" },
        { "P-256", "ES256" }, { "P-384", "ES384" }, { "P-521", "ES512" },
        { "Ed25519", "EdDSA" }
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *k = jt_keygen(rxa_test_pool, cases[i].key);
        EVP_PKEY *other = jt_keygen(rxa_test_pool, cases[i].key);
        rxa_jwks_t *jwks = set_of(jt_jwk(rxa_test_pool, k, "k1", NULL));
        const char *hdr = apr_psprintf(rxa_test_pool,
                                       "{\"alg\":\"%s\",\"kid\":\"k1\"}",
                                       cases[i].alg);
        const char *tok = jt_sign(rxa_test_pool, k, cases[i].alg, hdr, CLAIMS);
        const char *err;
        rxa_jws_t *jws;
        char *bad;

        ck_assert_ptr_nonnull(tok);
        ck_assert_msg(rxa_jws_verify(rxa_test_pool, tok, strlen(tok), jwks,
                                     RXA_JWS_ALGSET_ALL, &jws, &err)
                      == APR_SUCCESS, "%s: %s", cases[i].alg, err);
        ck_assert_str_eq(rxa_jws_alg_name(jws->alg), cases[i].alg);
        ck_assert_ptr_eq(jws->key,
                         APR_ARRAY_IDX(jwks->keys, 0, const rxa_jwk_t *));
        /* Only when the provider lists it. */
        ck_refused(tok, jwks, RXA_JWS_ALGSET_ALL & ~RXA_JWS_ALGSET(jws->alg),
                   "RXA03214");
        /* Another key of the same type, under the same kid. */
        ck_refused(jt_sign(rxa_test_pool, other, cases[i].alg, hdr, CLAIMS),
                   jwks, RXA_JWS_ALGSET_ALL, "RXA03206");
        /* Last signature byte changed. */
        bad = apr_pstrdup(rxa_test_pool, tok);
        bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'Q' : 'A';
        ck_refused(bad, jwks, RXA_JWS_ALGSET_ALL, "RXA03206");
    }
}
END_TEST

START_TEST(signature_lengths_exact)
{
    /* An RSA signature is exactly the modulus length, even when it starts
     * with a zero octet (RFC 8017 8.2.2); the same number one octet shorter
     * is refused before OpenSSL, which might take it, ever sees it. */
    EVP_PKEY *k = jt_keygen(rxa_test_pool, "RSA2048");
    EVP_PKEY *ed = jt_keygen(rxa_test_pool, "Ed25519");
    rxa_jwks_t *jwks = set_of(apr_pstrcat(rxa_test_pool,
                                          jt_jwk(rxa_test_pool, k, NULL, NULL),
                                          ",", jt_jwk(rxa_test_pool, ed, NULL,
                                                      NULL), NULL));
    const char *tok = NULL, *err, *dot;
    unsigned char *sig;
    apr_size_t siglen;
    int i;

    for (i = 0; i < 5000; i++) {
        tok = jt_sign(rxa_test_pool, k, "RS256", "{\"alg\":\"RS256\"}",
                      apr_psprintf(rxa_test_pool, "{\"n\":%d}", i));
        dot = strrchr(tok, '.');
        ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, dot + 1,
                                           strlen(dot + 1), &sig, &siglen),
                         APR_SUCCESS);
        if (sig[0] == 0)
            break;
    }
    ck_assert_int_lt(i, 5000);
    ck_assert_int_eq(verify(tok, jwks, RXA_JWS_ALGSET_ALL, &err), APR_SUCCESS);
    ck_refused(apr_pstrcat(rxa_test_pool,
                           apr_pstrmemdup(rxa_test_pool, tok,
                                          (apr_size_t)(dot + 1 - tok)),
                           rxa_b64url_encode(rxa_test_pool, sig + 1,
                                             siglen - 1), NULL),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03203");
    /* Ed25519: 64 octets, no fewer. */
    tok = jt_sign(rxa_test_pool, ed, "EdDSA", "{\"alg\":\"EdDSA\"}", CLAIMS);
    dot = strrchr(tok, '.');
    ck_assert_int_eq(rxa_b64url_decode(rxa_test_pool, dot + 1, strlen(dot + 1),
                                       &sig, &siglen), APR_SUCCESS);
    ck_refused(apr_pstrcat(rxa_test_pool,
                           apr_pstrmemdup(rxa_test_pool, tok,
                                          (apr_size_t)(dot + 1 - tok)),
                           rxa_b64url_encode(rxa_test_pool, sig, 63), NULL),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03202");
}
END_TEST

START_TEST(ecdsa_der_form_refused)
{
    /* Some libraries emit DER; JWS wants r||s, and we insist. */
    EVP_PKEY *k = jt_keygen(rxa_test_pool, "P-256");
    rxa_jwks_t *jwks = set_of(jt_jwk(rxa_test_pool, k, NULL, NULL));
    const char *input = apr_pstrcat(rxa_test_pool, b64("{\"alg\":\"ES256\"}"),
                                    ".e30", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t derlen = sizeof(der);

    ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, k,
                                           NULL), 1);
    ck_assert_int_eq(EVP_DigestSign(ctx, der, &derlen,
                                    (const unsigned char *)input,
                                    strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    ck_refused(apr_pstrcat(rxa_test_pool, input, ".",
                           rxa_b64url_encode(rxa_test_pool, der, derlen), NULL),
               jwks, RXA_JWS_ALGSET_ALL, "RXA03201");
}
END_TEST

START_TEST(key_selection)
{
    EVP_PKEY *a = jt_keygen(rxa_test_pool, "P-256");
    EVP_PKEY *b = jt_keygen(rxa_test_pool, "P-256");
    EVP_PKEY *r = jt_keygen(rxa_test_pool, "RSA2048");
    const char *ja = jt_jwk(rxa_test_pool, a, "a", NULL);
    const char *jb = jt_jwk(rxa_test_pool, b, "b", NULL);
    const char *jr = jt_jwk(rxa_test_pool, r, "r", NULL);
    const char *jb_as_a = jt_jwk(rxa_test_pool, b, "a", NULL);
    const char *a_kid = jt_sign(rxa_test_pool, a, "ES256",
                                "{\"alg\":\"ES256\",\"kid\":\"a\"}", CLAIMS);
    const char *a_nokid = jt_sign(rxa_test_pool, a, "ES256",
                                  "{\"alg\":\"ES256\"}", CLAIMS);
    const char *a_other = jt_sign(rxa_test_pool, a, "ES256",
                                  "{\"alg\":\"ES256\",\"kid\":\"zz\"}", CLAIMS);
    const char *err;
    rxa_jwks_t *ab = set_of(apr_pstrcat(rxa_test_pool, ja, ",", jb, ",", jr,
                                        NULL));
    rxa_jwks_t *ar = set_of(apr_pstrcat(rxa_test_pool, ja, ",", jr, NULL));

    ck_assert_int_eq(verify(a_kid, ab, RXA_JWS_ALGSET_ALL, &err), APR_SUCCESS);
    /* No kid: only when exactly one key fits the alg. */
    ck_assert_int_eq(verify(a_nokid, ab, RXA_JWS_ALGSET_ALL, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03071"));
    ck_assert_int_eq(verify(a_nokid, ar, RXA_JWS_ALGSET_ALL, &err),
                     APR_SUCCESS);
    /* An unknown kid is APR_NOTFOUND, so the caller can refresh once. */
    ck_assert_int_eq(verify(a_other, ab, RXA_JWS_ALGSET_ALL, &err),
                     APR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "RXA03073"));
    ck_assert_int_eq(verify(a_kid, set_of(jr), RXA_JWS_ALGSET_ALL, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(verify(a_kid, set_of(jb), RXA_JWS_ALGSET_ALL, &err),
                     APR_NOTFOUND);
    /* Two keys under one kid that both fit: ambiguous, refused. */
    ck_assert_int_eq(verify(a_kid, set_of(apr_pstrcat(rxa_test_pool, ja, ",",
                                                      jb_as_a, NULL)),
                            RXA_JWS_ALGSET_ALL, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03070"));
    /* A key without kid is not chosen for a token with one. */
    ck_assert_int_eq(verify(a_kid, set_of(jt_jwk(rxa_test_pool, a, NULL, NULL)),
                            RXA_JWS_ALGSET_ALL, &err), APR_NOTFOUND);
    /* No key set at all. */
    ck_assert_int_eq(verify(a_kid, NULL, RXA_JWS_ALGSET_ALL, &err),
                     APR_NOTFOUND);
}
END_TEST

START_TEST(openssl_error_queue_untouched)
{
    rxa_jwks_t *ec = set_of(rfc7515_a3_jwk);
    char *t = apr_pstrdup(rxa_test_pool, rfc7515_a3);
    const char *err;

    ERR_clear_error();
    t[strlen(t) - 3] = t[strlen(t) - 3] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(t, ec, RXA_JWS_ALGSET_ALL, &err), APR_EINVAL);
    ck_assert_uint_eq(ERR_peek_error(), 0);
    ERR_raise_data(ERR_LIB_USER, 42, "marker");
    ck_assert_int_eq(verify(t, ec, RXA_JWS_ALGSET_ALL, &err), APR_EINVAL);
    ck_assert_uint_eq(ERR_GET_REASON(ERR_peek_last_error()), 42);
    ERR_clear_error();
}
END_TEST

START_TEST(large_token_accepted)
{
    /* A 20 KB ID token (many group claims) is fine. */
    EVP_PKEY *k = jt_keygen(rxa_test_pool, "P-256");
    rxa_jwks_t *jwks = set_of(jt_jwk(rxa_test_pool, k, NULL, NULL));
    char *groups = apr_palloc(rxa_test_pool, 15001);
    const char *tok, *err;
    rxa_jws_t *jws;

    memset(groups, 'g', 15000);
    groups[15000] = '\0';
    tok = jt_sign(rxa_test_pool, k, "ES256", "{\"alg\":\"ES256\"}",
                  apr_pstrcat(rxa_test_pool, "{\"sub\":\"a\",\"groups\":\"",
                              groups, "\"}", NULL));
    ck_assert_uint_gt(strlen(tok), 20000);
    ck_assert_int_eq(rxa_jws_verify(rxa_test_pool, tok, strlen(tok), jwks,
                                    RXA_JWS_ALGSET_ALL, &jws, &err),
                     APR_SUCCESS);
}
END_TEST

START_TEST(signature_primitive_guards)
{
    rxa_jwks_t *ec = set_of(rfc7515_a3_jwk);
    const rxa_jwk_t *key = APR_ARRAY_IDX(ec->keys, 0, const rxa_jwk_t *);
    unsigned char sig[64] = { 0 };
    const char *err;

    ck_assert_int_eq(rxa_jws_verify_signature(rxa_test_pool, key,
                                              RXA_JWS_RS256,
                                              (const unsigned char *)"x", 1,
                                              sig, 64, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03200"));
    ck_assert_int_eq(rxa_jws_verify_signature(rxa_test_pool, NULL,
                                              RXA_JWS_ES256,
                                              (const unsigned char *)"x", 1,
                                              sig, 64, &err), APR_EINVAL);
    ck_assert_int_eq(rxa_jws_verify_signature(rxa_test_pool, key,
                                              RXA_JWS_ALG_COUNT,
                                              (const unsigned char *)"x", 1,
                                              sig, 64, &err), APR_EINVAL);
    /* r = s = 0 */
    ck_assert_int_eq(rxa_jws_verify_signature(rxa_test_pool, key,
                                              RXA_JWS_ES256,
                                              (const unsigned char *)"x", 1,
                                              sig, 64, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "RXA03206"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("jws");
    TCase *tc = rxa_tcase("published");

    tcase_add_test(tc, rfc7515_a2_rs256);
    tcase_add_test(tc, rfc7515_a3_es256);
    tcase_add_test(tc, rfc7515_a4_es512);
    tcase_add_test(tc, rfc7515_a1_hs256_refused);
    tcase_add_test(tc, rfc7520_examples);
    tcase_add_test(tc, rfc8037_a4_eddsa);
    suite_add_tcase(s, tc);
    tc = rxa_tcase("refusals");
    tcase_add_test(tc, modified_examples_refused);
    tcase_add_test(tc, structure_refused);
    tcase_add_test(tc, header_rules);
    tcase_add_test(tc, algorithms_refused);
    tcase_add_test(tc, key_alg_limits);
    tcase_add_test(tc, signature_lengths_exact);
    tcase_add_test(tc, ecdsa_der_form_refused);
    tcase_add_test(tc, key_selection);
    tcase_add_test(tc, openssl_error_queue_untouched);
    tcase_add_test(tc, signature_primitive_guards);
    suite_add_tcase(s, tc);
    tc = rxa_tcase("algorithms");
    tcase_add_test(tc, every_algorithm);
    tcase_add_test(tc, large_token_accepted);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
