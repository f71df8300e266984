/* Tokens from a third-party implementation: t/jose/make_tokens.py signs them
 * with python3-jwcrypto at test time (fresh keys each run); every one must
 * get the verdict the script states. Skips when Debian's python3 or
 * jwcrypto is not there. */
#include "rxa_test.h"

#include <sys/wait.h>
#include <unistd.h>

#include "rxa_claims.h"
#include "rxa_json.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

#define PYTHON "/usr/bin/python3"

/* Run the generator; NULL (and a TAP note) when it cannot run. */
static json_t *generate(void)
{
    const char *src = getenv("RXA_SRCDIR");
    const char *script = apr_psprintf(rxa_test_pool, "%s/t/jose/make_tokens.py",
                                      src ? src : ".");
    const char *cmd = apr_psprintf(rxa_test_pool, "%s %s", PYTHON, script);
    apr_size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    const char *err;
    json_t *doc;
    FILE *p;
    int status;

    if (access(PYTHON, X_OK) != 0 || access(script, R_OK) != 0 || !buf) {
        printf("# SKIP %s or %s not found (set RXA_SRCDIR)\n", PYTHON,
               script);
        free(buf);
        return NULL;
    }
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while ((n = fread(buf + len, 1, cap - len, p)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        printf("# SKIP python3-jwcrypto not installed\n");
        free(buf);
        return NULL;
    }
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "make_tokens.py failed (status %d)", status);
    doc = rxa_json_parse_object(rxa_test_pool, buf, len, 16 << 20, &err);
    free(buf);
    ck_assert_msg(doc != NULL, "make_tokens.py output: %s", err);
    return doc;
}

static rxa_jws_algset_t algset(const json_t *names)
{
    return names ? rxa_jws_algset_from_json(names) : RXA_JWS_ALGSET_ALL;
}

START_TEST(jwcrypto_tokens)
{
    json_t *doc = generate(), *cases, *ex;
    const char *err = NULL;
    rxa_jwks_t *jwks;
    size_t i;
    int ok = 0, jws_refused = 0, claims_refused = 0;

    if (!doc)
        return;
    jwks = rxa_jwks_from_json(rxa_test_pool, json_object_get(doc, "jwks"),
                              &err);
    ck_assert_msg(jwks != NULL, "%s", err);
    /* Six signing keys; the encryption, X25519 and oct keys skipped. */
    ck_assert_int_eq(jwks->keys->nelts, 6);
    ck_assert_int_eq(jwks->skipped->nelts, 3);

    ex = json_object_get(doc, "expect");
    cases = json_object_get(doc, "cases");
    ck_assert_uint_gt(json_array_size(cases), 100);
    for (i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i);
        const char *name = rxa_json_get_str(c, "name");
        const char *token = rxa_json_get_str(c, "token");
        const char *result = rxa_json_get_str(c, "result");
        const json_t *over = json_object_get(c, "expect");
        rxa_claims_expect_t x;
        rxa_claims_err_t cerr;
        apr_array_header_t *tenants = NULL;
        rxa_jws_t *jws;
        apr_status_t rv;
        const char *why = NULL;

        rv = rxa_jws_verify(rxa_test_pool, token, strlen(token), jwks,
                            algset(json_object_get(c, "alg")), &jws, &err);
        if (!strcmp(result, "jws")) {
            const char *tag = rxa_json_get_str(c, "why");
            ck_assert_msg(rv != APR_SUCCESS, "%s: verified", name);
            ck_assert_msg(!tag || strstr(err, tag), "%s: expected %s, got %s",
                          name, tag, err);
            jws_refused++;
            continue;
        }
        ck_assert_msg(rv == APR_SUCCESS, "%s: refused: %s", name, err);

        memset(&x, 0, sizeof(x));
        x.issuer = rxa_json_get_str(over && json_object_get(over, "issuer")
                                    ? over : ex, "issuer");
        if (over && json_object_get(over, "tenants")) {
            const json_t *t = json_object_get(over, "tenants");
            size_t k;
            tenants = apr_array_make(rxa_test_pool, 1, sizeof(const char *));
            for (k = 0; k < json_array_size(t); k++)
                APR_ARRAY_PUSH(tenants, const char *) =
                    json_string_value(json_array_get(t, k));
        }
        x.tenants = tenants;
        x.client_id = rxa_json_get_str(ex, "client_id");
        x.nonce = rxa_json_get_str(ex, "nonce");
        x.access_token = rxa_json_get_str(ex, "access_token");
        x.access_token_len = strlen(x.access_token);
        x.now = json_integer_value(json_object_get(doc, "now"));
        x.skew = json_integer_value(json_object_get(doc, "skew"));
        x.alg = jws->alg;
        cerr = rxa_claims_check(rxa_test_pool, jws->payload, &x, &why);
        if (!strcmp(result, "ok")) {
            ck_assert_msg(cerr == RXA_CLAIMS_OK, "%s: claims: %s", name, why);
            ok++;
        }
        else {
            ck_assert_msg(!strcmp(rxa_claims_err_name(cerr),
                                  rxa_json_get_str(c, "claim")),
                          "%s: expected %s, got %s (%s)", name,
                          rxa_json_get_str(c, "claim"),
                          rxa_claims_err_name(cerr), why ? why : "");
            claims_refused++;
        }
    }
    printf("# jwcrypto: %d tokens accepted, %d refused by the signature "
           "layer, %d by the claim checks\n", ok, jws_refused, claims_refused);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("jose");
    TCase *tc = rxa_tcase("jwcrypto");

    /* Key generation in Python takes a few seconds, more under ASan. */
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, jwcrypto_tokens);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
