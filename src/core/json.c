/* Bounded JSON parsing: see rxa_json.h. */
#include <apr_strings.h>

#include "rxa_json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *rxa_json_pool_own(apr_pool_t *pool, json_t *json)
{
    if (json)
        apr_pool_cleanup_register(pool, json, json_cleanup,
                                  apr_pool_cleanup_null);
    return json;
}

/* jansson's own recursion limit is 2048; ours is much lower, and checked
 * before jansson allocates anything. Brackets inside strings do not count. */
static int json_depth_ok(const char *buf, apr_size_t len)
{
    apr_size_t i;
    int depth = 0, in_string = 0;

    for (i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        }
        else if (c == '"') {
            in_string = 1;
        }
        else if (c == '{' || c == '[') {
            if (++depth > RXA_JSON_MAX_DEPTH)
                return 0;
        }
        else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

json_t *rxa_json_parse(apr_pool_t *pool, const char *buf, apr_size_t len,
                       apr_size_t max_len, const char **perr)
{
    json_error_t jerr;
    json_t *json;

    if (!buf || len == 0) {
        if (perr)
            *perr = "RXA01001: JSON input is empty";
        return NULL;
    }
    if (len > max_len) {
        if (perr)
            *perr = apr_psprintf(pool, "RXA01002: JSON input of %"
                                 APR_SIZE_T_FMT " bytes exceeds the limit of %"
                                 APR_SIZE_T_FMT, len, max_len);
        return NULL;
    }
    if (!json_depth_ok(buf, len)) {
        if (perr)
            *perr = apr_psprintf(pool, "RXA01003: JSON nesting deeper than %d",
                                 RXA_JSON_MAX_DEPTH);
        return NULL;
    }
    json = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &jerr);
    if (!json) {
        /* jerr.text may quote the input; report only where it broke. */
        if (perr)
            *perr = apr_psprintf(pool, "RXA01004: invalid JSON at line %d, "
                                 "column %d", jerr.line, jerr.column);
        return NULL;
    }
    return rxa_json_pool_own(pool, json);
}

char *rxa_json_text(apr_pool_t *pool, const json_t *v, size_t flags)
{
    char *text = v ? json_dumps(v, flags) : NULL, *out;

    if (!text)
        return NULL;
    out = apr_pstrdup(pool, text);
    free(text);
    return out;
}

json_t *rxa_json_parse_object(apr_pool_t *pool, const char *buf,
                              apr_size_t len, apr_size_t max_len,
                              const char **perr)
{
    json_t *json = rxa_json_parse(pool, buf, len, max_len, perr);

    if (json && !json_is_object(json)) {
        if (perr)
            *perr = "RXA01005: JSON value is not an object";
        return NULL;
    }
    return json;
}

const char *rxa_json_get_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}
