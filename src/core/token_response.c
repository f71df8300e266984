/* The token endpoint's answer: see rxa_token_response.h. */
#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

#include "rxa_json.h"
#include "rxa_token_response.h"

/* What characters a member may hold. */
typedef enum {
    CHARS_VISIBLE,      /* 0x21-0x7e: tokens */
    CHARS_PRINTABLE     /* 0x20-0x7e: scope, space-separated */
} chars_e;

static int chars_ok(const char *s, chars_e set)
{
    const unsigned char *c;
    unsigned char lo = set == CHARS_PRINTABLE ? 0x20 : 0x21;

    for (c = (const unsigned char *)s; *c; c++)
        if (*c < lo || *c > 0x7e)
            return 0;
    return 1;
}

/* The IdP's text made safe to log: printable ASCII without quotes or
 * backslashes, at most MAX characters then "...". */
static const char *log_safe(apr_pool_t *pool, const char *s, apr_size_t max)
{
    apr_size_t len = strlen(s), n = len > max ? max : len, i;
    char *out = apr_palloc(pool, n + 4);

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? '?'
                                                                : (char)c;
    }
    strcpy(out + n, len > max ? "..." : "");
    return out;
}

/* An optional string member: *VALUE NULL when absent, null or empty.
 * Returns 0 when present but not a string or with characters outside SET. */
static int opt_string(apr_pool_t *pool, const json_t *obj, const char *key,
                      chars_e set, const char **value)
{
    const json_t *v = json_object_get(obj, key);

    *value = NULL;
    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v) || !chars_ok(json_string_value(v), set))
        return 0;
    if (*json_string_value(v))
        *value = apr_pstrdup(pool, json_string_value(v));
    return 1;
}

/* expires_in: a JSON integer, or a string of decimal digits. 0 when it is
 * neither or out of range. */
static int expires_in_ok(const json_t *v, apr_int64_t *secs)
{
    json_int_t n = 0;

    if (json_is_integer(v)) {
        n = json_integer_value(v);
    }
    else if (json_is_string(v)) {
        const char *c = json_string_value(v);
        /* Nine digits already exceed the maximum: no overflow below. */
        if (!*c || strlen(c) > 9)
            return 0;
        for (; *c; c++) {
            if (*c < '0' || *c > '9')
                return 0;
            n = n * 10 + (*c - '0');
        }
    }
    else {
        return 0;
    }
    if (n <= 0 || n > RXA_TOKEN_EXPIRES_IN_MAX)
        return 0;
    *secs = (apr_int64_t)n;
    return 1;
}

apr_status_t rxa_token_response_parse(apr_pool_t *pool, const char *body,
                                      apr_size_t len,
                                      rxa_token_response_t **out,
                                      const char **perr)
{
    rxa_token_response_t *tr;
    const json_t *v;
    json_t *doc;
    const char *s;

    *out = NULL;
    if (len > RXA_TOKEN_RESPONSE_MAX_BYTES) {
        *perr = apr_psprintf(pool, "RXA07001: token response of %"
                             APR_SIZE_T_FMT " bytes exceeds the limit of %d",
                             len, RXA_TOKEN_RESPONSE_MAX_BYTES);
        return APR_EINVAL;
    }
    if (!(doc = rxa_json_parse(pool, body, len, RXA_TOKEN_RESPONSE_MAX_BYTES,
                               perr)))
        return APR_EINVAL;
    if (!json_is_object(doc)) {
        *perr = "RXA07002: token response is not a JSON object";
        return APR_EINVAL;
    }
    tr = apr_pcalloc(pool, sizeof(*tr));

    /* An error answer wins over anything else in it (RFC 6749 5.2). */
    v = json_object_get(doc, "error");
    if (v && !json_is_null(v)) {
        tr->error = json_is_string(v)
            ? log_safe(pool, json_string_value(v), RXA_TOKEN_ERROR_MAX)
            : "(not a string)";
        s = rxa_json_get_str(doc, "error_description");
        tr->error_description = s ? log_safe(pool, s,
                                             RXA_TOKEN_ERROR_DESCRIPTION_MAX)
                                  : NULL;
        *perr = apr_psprintf(pool, "RXA07003: token endpoint answered error "
                             "'%s'%s%s%s", tr->error,
                             s ? " (" : "", s ? tr->error_description : "",
                             s ? ")" : "");
        *out = tr;
        return RXA_TOKEN_RESPONSE_ERROR;
    }

    v = json_object_get(doc, "access_token");
    if (!v || json_is_null(v)) {
        *perr = "RXA07004: token response has no access_token";
        return APR_EINVAL;
    }
    if (!json_is_string(v) || !*json_string_value(v)) {
        *perr = "RXA07005: token response's access_token is not a non-empty "
                "string";
        return APR_EINVAL;
    }
    if (!chars_ok(json_string_value(v), CHARS_VISIBLE)) {
        *perr = "RXA07006: token response's access_token holds characters "
                "outside visible ASCII";
        return APR_EINVAL;
    }
    tr->access_token = apr_pstrdup(pool, json_string_value(v));

    /* RFC 6750 is all the module speaks; the type is case-insensitive
     * (RFC 6749 5.1), and some IdPs send "bearer". */
    v = json_object_get(doc, "token_type");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)
            || apr_cstr_casecmp(json_string_value(v), "Bearer")) {
            *perr = "RXA07007: token response's token_type is not Bearer";
            return APR_EINVAL;
        }
        tr->token_type = apr_pstrdup(pool, json_string_value(v));
    }

    tr->expires_in = RXA_TOKEN_EXPIRES_IN_DEFAULT;
    v = json_object_get(doc, "expires_in");
    if (v && !json_is_null(v)) {
        if (!expires_in_ok(v, &tr->expires_in)) {
            *perr = apr_psprintf(pool, "RXA07008: token response's "
                                 "expires_in is not a whole number of "
                                 "seconds from 1 to %d",
                                 RXA_TOKEN_EXPIRES_IN_MAX);
            return APR_EINVAL;
        }
        tr->expires_in_sent = 1;
    }

    if (!opt_string(pool, doc, "id_token", CHARS_VISIBLE, &tr->id_token)) {
        *perr = "RXA07009: token response's id_token is not a string of "
                "visible ASCII";
        return APR_EINVAL;
    }
    if (!opt_string(pool, doc, "refresh_token", CHARS_VISIBLE,
                    &tr->refresh_token)) {
        *perr = "RXA07010: token response's refresh_token is not a string of "
                "visible ASCII";
        return APR_EINVAL;
    }
    if (!opt_string(pool, doc, "scope", CHARS_PRINTABLE, &tr->scope)) {
        *perr = "RXA07011: token response's scope is not a string of "
                "printable ASCII";
        return APR_EINVAL;
    }
    *out = tr;
    return APR_SUCCESS;
}
