/* Fuzz target: bearer tokens. The input up to its first NUL (or the whole
 * input) is an Authorization header value, and its lines are also tried as
 * several header values; the input after its first newline (or the whole
 * input) is an introspection answer and, when it is JSON, the claims of a
 * JWT access token (under a fixed issuer, then under a tenant template).
 * Refusals are tagged; what is accepted keeps the rules: a b64token within
 * the bound, one of the audiences, the issuer, exp not past, at most
 * RXA_BEARER_SCOPES_MAX printable scopes, and an answer kept 5 minutes at
 * most. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_bearer.h"
#include "rxa_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEMPLATE "https://login.example/{tenantid}/v2.0"

static void check_header(apr_pool_t *p, const apr_array_header_t *values)
{
    const char *token, *why = NULL;
    rxa_bearer_header_t h = rxa_bearer_from_headers(p, values, &token, &why);
    apr_size_t i, n;

    if (h == RXA_BEARER_HEADER_TOKEN) {
        n = strlen(token);
        if (n == 0 || n > RXA_BEARER_MAX_LEN || values->nelts != 1)
            abort();
        for (i = 0; i < n; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-._~+/=", token[i]))
                abort();
        (void)rxa_bearer_is_jwt(p, token);
        if (!rxa_bearer_introspection_form(p, token))
            abort();
    }
    else if (token) {
        abort();
    }
    else if (h != RXA_BEARER_HEADER_NONE
             && (!why || strncmp(why, "RXA084", 6))) {
        abort();
    }
}

/* Reasons are the bearer checks' own or the shared iss check's. */
static int tagged(const char *why)
{
    return why && (!strncmp(why, "RXA084", 6) || !strncmp(why, "RXA033", 6));
}

static void check_claims(const rxa_bearer_claims_t *c,
                         const rxa_bearer_expect_t *x, int introspected)
{
    int i;

    if (!c || !c->scopes || c->scopes->nelts > RXA_BEARER_SCOPES_MAX
        || (c->exp && c->exp + x->skew <= x->now)
        || (introspected
            && c->keep_until > x->now + RXA_BEARER_INTROSPECTION_TTL_MAX)
        || (c->sub && (!*c->sub || strlen(c->sub) > RXA_BEARER_ID_MAX))
        || (c->client_id
            && (!*c->client_id || strlen(c->client_id) > RXA_BEARER_ID_MAX)))
        abort();
    for (i = 0; i < c->scopes->nelts; i++) {
        const char *s = APR_ARRAY_IDX(c->scopes, i, const char *);
        if (!*s || strlen(s) > RXA_BEARER_SCOPE_MAX || strpbrk(s, " \"\\"))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    const char *in = (const char *)data, *nl, *why;
    apr_array_header_t *aud, *values;
    rxa_bearer_expect_t x;
    rxa_bearer_claims_t *c;
    rxa_bearer_err_t err;
    apr_pool_t *p;
    json_t *claims, *header;
    apr_size_t off;
    char *text, *line, *last;
    int round;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    aud = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(aud, const char *) = "https://api.example";
    APR_ARRAY_PUSH(aud, const char *) = "api-2";
    x.issuer = "https://idp.example";
    x.tenants = NULL;
    x.audiences = aud;
    x.now = 1700000000;
    x.skew = 60;

    /* the header: the whole text as one value, then its lines as values */
    text = apr_pstrmemdup(p, in, size);
    values = apr_array_make(p, 4, sizeof(const char *));
    APR_ARRAY_PUSH(values, const char *) = text;
    check_header(p, values);
    apr_array_clear(values);
    for (line = apr_strtok(apr_pstrdup(p, text), "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last))
        APR_ARRAY_PUSH(values, const char *) = line;
    check_header(p, values);

    nl = memchr(in, '\n', size);
    off = nl ? (apr_size_t)(nl + 1 - in) : 0;
    why = NULL;
    err = rxa_bearer_introspection_parse(p, in + off, size - off, &x, &c,
                                         &why);
    if (err == RXA_BEARER_OK)
        check_claims(c, &x, 1);
    else if (c || !tagged(why))
        abort();

    /* the claims under a fixed issuer, then under a tenant template */
    claims = rxa_json_parse(p, in + off, size - off, 64 * 1024, NULL);
    header = json_object();
    rxa_json_pool_own(p, header);
    json_object_set_new(header, "alg", json_string("RS256"));
    for (round = 0; claims && round < 2; round++) {
        if (round == 1)
            x.issuer = TEMPLATE;
        why = NULL;
        err = rxa_bearer_jwt_check(p, header, claims, &x, &c, &why);
        if (err == RXA_BEARER_OK) {
            const char *iss = json_string_value(json_object_get(claims,
                                                               "iss"));
            check_claims(c, &x, 0);
            if (!c->exp || !iss
                || (round == 1
                    && (strncmp(iss, "https://login.example/", 22)
                        || strlen(iss) < 28
                        || strcmp(iss + strlen(iss) - 5, "/v2.0"))))
                abort();
        }
        else if (c || !tagged(why)) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
