/* Fuzz target: a back-channel logout request. The whole input is parsed as
 * the form body; the part after its first newline (or the whole input) as
 * a logout token's claims. Refusals are tagged; what is accepted keeps the
 * rules: one non-empty token within the body bound, and claims with the
 * expected iss, a sid or a sub, a bounded jti and a replay key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_json.h"
#include "rxa_logout_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    const char *in = (const char *)data, *nl, *token, *err = NULL;
    rxa_logout_expect_t x = { "https://idp.example", "client-1",
                              1700000000, 60 };
    rxa_logout_token_t t;
    apr_pool_t *p;
    json_t *claims;
    apr_size_t off;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (rxa_logout_form_parse(p, in, size, &token, &err) == APR_SUCCESS) {
        if (!token || !*token || strlen(token) > RXA_LOGOUT_BODY_MAX)
            abort();
    }
    else if (!err || (strncmp(err, "RXA08", 5) && strncmp(err, "RXA041", 6))) {
        abort();
    }

    nl = memchr(in, '\n', size);
    off = nl ? (apr_size_t)(nl + 1 - in) : 0;
    claims = rxa_json_parse(p, in + off, size - off, 64 * 1024, &err);
    if (claims) {
        err = NULL;
        if (rxa_logout_token_check(p, claims, &x, &t, &err) == APR_SUCCESS) {
            if (strcmp(t.iss, x.issuer) || (!t.sid && !t.sub) || !t.jti
                || !*t.jti || strlen(t.jti) > RXA_LOGOUT_JTI_MAX
                || t.iat > x.now + x.skew
                || (t.exp && t.exp + x.skew <= x.now)
                || !rxa_logout_jti_key(p, &t)
                || rxa_logout_jti_ttl(&t, x.now, x.skew) < 1)
                abort();
        }
        else if (!err || strncmp(err, "RXA081", 6)) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
