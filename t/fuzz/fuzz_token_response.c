/* Fuzz target: the token endpoint's answer (rxa_token_response.h). Whatever
 * comes in:
 *   - a refusal carries a tag (ours, or the JSON layer's), is printable and
 *     bounded, and leaves *out NULL unless it is an error answer;
 *   - an error answer's code and description are safe to log and bounded;
 *   - an accepted answer holds what the header promises (a non-empty access
 *     token of visible ASCII, Bearer or no type, expires_in in range, the
 *     optional strings non-empty and clean), and written out again as JSON
 *     it parses to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <jansson.h>

#include "rxa_token_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every byte within [LO, 0x7e], none of EXCLUDE; non-empty. */
static void check_chars(const char *s, unsigned char lo, const char *exclude)
{
    const unsigned char *c = (const unsigned char *)s;

    if (!*c)
        abort();
    for (; *c; c++)
        if (*c < lo || *c > 0x7e || (exclude && strchr(exclude, *c)))
            abort();
}

static void check_opt(const char *s, unsigned char lo)
{
    if (s)
        check_chars(s, lo, NULL);
}

static int same(const char *a, const char *b)
{
    return a ? b && !strcmp(a, b) : !b;
}

static void set_opt(json_t *obj, const char *key, const char *value)
{
    if (value)
        json_object_set_new(obj, key, json_string(value));
}

/* Write TR out as a token response and parse it again. */
static void round_trip(apr_pool_t *p, const rxa_token_response_t *tr)
{
    json_t *obj = json_object();
    rxa_token_response_t *again;
    const char *err;
    char *text;

    json_object_set_new(obj, "access_token", json_string(tr->access_token));
    set_opt(obj, "token_type", tr->token_type);
    if (tr->expires_in_sent)
        json_object_set_new(obj, "expires_in",
                            json_integer((json_int_t)tr->expires_in));
    set_opt(obj, "id_token", tr->id_token);
    set_opt(obj, "refresh_token", tr->refresh_token);
    set_opt(obj, "scope", tr->scope);
    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!text)
        abort();
    if (rxa_token_response_parse(p, text, strlen(text), &again, &err)
        != APR_SUCCESS
        || strcmp(again->access_token, tr->access_token)
        || !same(again->token_type, tr->token_type)
        || again->expires_in != tr->expires_in
        || again->expires_in_sent != tr->expires_in_sent
        || !same(again->id_token, tr->id_token)
        || !same(again->refresh_token, tr->refresh_token)
        || !same(again->scope, tr->scope))
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    rxa_token_response_t *tr;
    const char *err = NULL;
    apr_status_t rv;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    rv = rxa_token_response_parse(p, (const char *)data, size, &tr, &err);
    if (rv == APR_SUCCESS) {
        if (!tr || tr->error || tr->error_description)
            abort();
        check_chars(tr->access_token, 0x21, NULL);
        if (tr->token_type && apr_cstr_casecmp(tr->token_type, "bearer"))
            abort();
        if (tr->expires_in < 1 || tr->expires_in > RXA_TOKEN_EXPIRES_IN_MAX
            || (!tr->expires_in_sent
                && tr->expires_in != RXA_TOKEN_EXPIRES_IN_DEFAULT))
            abort();
        check_opt(tr->id_token, 0x21);
        check_opt(tr->refresh_token, 0x21);
        check_opt(tr->scope, 0x20);
        round_trip(p, tr);
    }
    else {
        if (!err || (strncmp(err, "RXA070", 6) && strncmp(err, "RXA010", 6))
            || strlen(err) > 400)
            abort();
        check_chars(err, 0x20, NULL);
        if (rv == RXA_TOKEN_RESPONSE_ERROR) {
            if (!tr || !tr->error || tr->access_token
                || strlen(tr->error) > RXA_TOKEN_ERROR_MAX + 3
                || (tr->error_description && strlen(tr->error_description)
                    > RXA_TOKEN_ERROR_DESCRIPTION_MAX + 3))
                abort();
            /* an empty code is possible: only quotes and backslashes are
             * excluded, and nothing at all from the description */
            if (*tr->error)
                check_chars(tr->error, 0x20, "\"\\");
            if (tr->error_description && *tr->error_description)
                check_chars(tr->error_description, 0x20, "\"\\");
        }
        else if (rv != APR_EINVAL || tr) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
