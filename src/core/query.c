/* Query strings: parsing and percent-encoding, see rxa_query.h. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_query.h"

int rxa_query_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int rxa_query_is_escape(const char *s)
{
    return s[0] == '%' && rxa_query_hexval(s[1]) >= 0
        && rxa_query_hexval(s[2]) >= 0;
}

int rxa_query_is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Decode LEN bytes of S ('+' is a space). NULL with *ERR on a bad escape,
 * an encoded NUL or a raw control character or space. */
static char *query_decode(apr_pool_t *pool, const char *s, apr_size_t len,
                          const char **err)
{
    char *out = apr_palloc(pool, len + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= len || !rxa_query_is_escape(s + i)) {
                *err = "RXA04123: query string holds a '%' without two hex "
                       "digits";
                return NULL;
            }
            c = (unsigned char)(rxa_query_hexval(s[i + 1]) * 16
                                + rxa_query_hexval(s[i + 2]));
            if (c == 0) {
                *err = "RXA04121: query string holds an encoded NUL";
                return NULL;
            }
            i += 2;
        }
        else if (c == '+') {
            c = ' ';
        }
        else if (rxa_query_is_ctl(c) || c == ' ') {
            *err = "RXA04122: query string holds a raw control character "
                   "or space";
            return NULL;
        }
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

apr_status_t rxa_query_parse(apr_pool_t *pool, const char *query,
                             apr_table_t **params,
                             apr_array_header_t **repeated,
                             const char **err)
{
    const char *p, *end, *dummy;
    apr_size_t len;
    int count = 0, i;

    if (!err)
        err = &dummy;
    *params = apr_table_make(pool, 8);
    *repeated = apr_array_make(pool, 1, sizeof(const char *));
    if (!query)
        return APR_SUCCESS;
    len = strnlen(query, RXA_QUERY_MAX_LEN + 1);
    if (len > RXA_QUERY_MAX_LEN) {
        *err = "RXA04124: query string longer than "
               APR_STRINGIFY(RXA_QUERY_MAX_LEN) " bytes";
        return APR_EINVAL;
    }
    p = query;
    end = query + len;
    while (p < end) {
        apr_size_t plen = strcspn(p, "&;");
        const char *eq = memchr(p, '=', plen);
        char *name, *value;

        if (plen == 0) {
            p++;
            continue;
        }
        if (++count > RXA_QUERY_MAX_PARAMS) {
            *err = "RXA04125: query string with more than "
                   APR_STRINGIFY(RXA_QUERY_MAX_PARAMS) " parameters";
            return APR_EINVAL;
        }
        name = query_decode(pool, p, eq ? (apr_size_t)(eq - p) : plen, err);
        value = eq ? query_decode(pool, eq + 1,
                                  plen - (apr_size_t)(eq - p) - 1, err)
                   : apr_pstrdup(pool, "");
        if (!name || !value)
            return APR_EINVAL;
        p += plen;
        if (!*name)
            continue;
        if (apr_table_get(*params, name)) {
            for (i = 0; i < (*repeated)->nelts; i++) {
                if (!strcasecmp(APR_ARRAY_IDX(*repeated, i, const char *),
                                name))
                    break;
            }
            if (i == (*repeated)->nelts)
                APR_ARRAY_PUSH(*repeated, const char *) = name;
        }
        apr_table_add(*params, name, value);
    }
    return APR_SUCCESS;
}

char *rxa_url_encode(apr_pool_t *pool, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = s ? strlen(s) : 0, i;
    char *out = apr_palloc(pool, len * 3 + 1), *o = out;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}
