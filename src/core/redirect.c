/* redirect_to, the open-redirect defence: see rxa_redirect.h. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_origin.h"
#include "rxa_query.h"
#include "rxa_redirect.h"

/* Reasons given from more than one place. */
static const char ERR_NOT_LOCAL[] =
    "RXA04111: redirect_to is not a local path";
static const char ERR_CTL[] =
    "RXA04113: redirect_to holds a control character, as sent or "
    "percent-encoded";

/* Kept as is in a sanitized redirect_to: RFC 3986 unreserved, sub-delims
 * but the quote, ':', '@', '/', '?', '#'. '%' is handled apart. */
static int redirect_safe(unsigned char c)
{
    return apr_isalnum(c) || (c && strchr("-._~!$&()*+,;=:@/?#", c));
}

/* The checks every decoding of redirect_to must pass. */
static const char *layer_check(const char *s, apr_size_t len)
{
    apr_size_t i, plen = strcspn(s, "?#");

    if (len == 0 || s[0] != '/')
        return ERR_NOT_LOCAL;
    if (len > 1 && (s[1] == '/' || s[1] == '\\'))
        return "RXA04112: redirect_to names another host (// or /\\)";
    for (i = 0; i < len; i++) {
        if (rxa_query_is_ctl((unsigned char)s[i]))
            return ERR_CTL;
        if (s[i] == '\\')
            return "RXA04114: redirect_to holds a backslash, as sent or "
                   "percent-encoded";
        if (i + 1 < plen && s[i] == '/' && s[i + 1] == '/')
            return "RXA04115: redirect_to path holds '//'";
    }
    return NULL;
}

/* Decode every escape of S once ('+' stays). Returns NULL when S has no
 * escape left. The result may hold NULs, hence *OUTLEN. */
static char *decode_layer(apr_pool_t *pool, const char *s, apr_size_t len,
                          apr_size_t *outlen)
{
    apr_size_t i, o = 0;
    char *out = NULL;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && rxa_query_is_escape(s + i)) {
            if (!out) {
                out = apr_palloc(pool, len + 1);
                memcpy(out, s, i);
                o = i;
            }
            out[o++] = (char)(rxa_query_hexval(s[i + 1]) * 16
                              + rxa_query_hexval(s[i + 2]));
            i += 2;
        }
        else if (out) {
            out[o++] = s[i];
        }
    }
    if (!out)
        return NULL;
    out[o] = '\0';
    *outlen = o;
    return out;
}

static const char *redirect_encode(apr_pool_t *pool, const char *s,
                                   apr_size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(pool, len * 3 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep = redirect_safe(c)
                || (c == '%' && i + 2 < len && rxa_query_is_escape(s + i));
        if (keep) {
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

static const char *redirect_check(apr_pool_t *pool, const char *value,
                                  apr_size_t len, const char *origin,
                                  const char **path, apr_size_t *plen)
{
    const char *layer, *e;
    apr_size_t i, llen;
    int round;

    if (len > RXA_REDIRECT_TO_MAX)
        return "RXA04116: redirect_to longer than "
               APR_STRINGIFY(RXA_REDIRECT_TO_MAX) " bytes";
    for (i = 0; i < len; i++) {
        if (value[i] == ' ')
            return "RXA04117: redirect_to holds a space";
    }
    if (value[0] != '/') {
        const char *vorigin, *worigin;
        apr_size_t rest;

        if (rxa_query_is_ctl((unsigned char)value[0]))
            return ERR_CTL;
        if (!origin)
            return ERR_NOT_LOCAL;
        if (rxa_origin_split(pool, value, &vorigin, &rest)
            || rxa_origin_split(pool, origin, &worigin, &i))
            return ERR_NOT_LOCAL;
        if (strcmp(vorigin, worigin))
            return "RXA04118: redirect_to names another origin";
        value += rest;
        len -= rest;
        if (len == 0 || value[0] != '/') {
            value = apr_pstrcat(pool, "/", value, NULL);
            len++;
        }
    }
    *path = value;
    *plen = len;
    layer = value;
    llen = len;
    for (round = 0; round <= RXA_REDIRECT_TO_ROUNDS; round++) {
        if ((e = layer_check(layer, llen)))
            return e;
        if (!(layer = decode_layer(pool, layer, llen, &llen)))
            return NULL;
    }
    return "RXA04119: redirect_to percent-encoded too many times";
}

const char *rxa_redirect_to_sanitize(apr_pool_t *pool, const char *value,
                                     const char *origin, const char **reason)
{
    const char *e, *path = NULL;
    apr_size_t len, plen = 0;

    if (reason)
        *reason = NULL;
    if (!value || !*value)
        return "/";
    len = strnlen(value, RXA_REDIRECT_TO_MAX + 1);
    e = redirect_check(pool, value, len, origin, &path, &plen);
    if (e) {
        if (reason)
            *reason = e;
        return "/";
    }
    return redirect_encode(pool, path, plen);
}
