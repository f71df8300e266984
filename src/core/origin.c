/* Origins, redirect_to, query strings, percent-encoding: see rxa_origin.h. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_origin.h"

/* Reasons given from more than one place. */
static const char ERR_NOT_LOCAL[] =
    "RXA04111: redirect_to is not a local path";
static const char ERR_CTL[] =
    "RXA04113: redirect_to holds a control character, as sent or "
    "percent-encoded";

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_escape(const char *s)
{
    return s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0;
}

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* ---- origins --------------------------------------------------------- */

/* "scheme://host[:port]", the port dropped when it is the scheme's
 * default. */
static const char *origin_string(apr_pool_t *pool, const char *scheme,
                                 const char *host, apr_port_t port)
{
    if (!port || (port == 443 && !strcmp(scheme, "https"))
        || (port == 80 && !strcmp(scheme, "http")))
        return apr_pstrcat(pool, scheme, "://", host, NULL);
    return apr_psprintf(pool, "%s://%s:%u", scheme, host, (unsigned int)port);
}

/* Split the "scheme://authority" head of S into a normal-form origin and
 * the offset where the rest (path, query, fragment) starts. */
static const char *origin_split(apr_pool_t *pool, const char *s,
                                const char **origin, apr_size_t *rest)
{
    const char *scheme, *a, *end, *host, *e;
    apr_port_t port;

    if (!strncasecmp(s, "https://", 8)) {
        scheme = "https";
        a = s + 8;
    }
    else if (!strncasecmp(s, "http://", 7)) {
        scheme = "http";
        a = s + 7;
    }
    else {
        return "RXA04101: not an http or https URL";
    }
    end = a + strcspn(a, "/?#");
    if (memchr(a, '@', (apr_size_t)(end - a)))
        return "RXA04102: URL with user info refused";
    /* The host's own reason, under this file's tag. */
    if ((e = rxa_host_parse_n(pool, a, (apr_size_t)(end - a), &host, &port)))
        return apr_pstrcat(pool, "RXA04130: URL host or port refused: ",
                           strstr(e, ": ") ? strstr(e, ": ") + 2 : e, NULL);
    *origin = origin_string(pool, scheme, host, port);
    *rest = (apr_size_t)(end - s);
    return NULL;
}

apr_status_t rxa_origin_normalize(apr_pool_t *pool, const char *url,
                                  const char **origin, const char **err)
{
    const char *e;
    apr_size_t rest;

    *origin = NULL;
    if (!url || strnlen(url, RXA_QUERY_MAX_LEN + 1) > RXA_QUERY_MAX_LEN)
        e = "RXA04108: no URL, or an over-long one";
    else
        e = origin_split(pool, url, origin, &rest);
    if (e) {
        if (err)
            *err = e;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t rxa_origin_compute(apr_pool_t *pool,
                                const rxa_origin_input_t *in,
                                rxa_origin_t *out, const char **err)
{
    const char *e = NULL, *dummy, *scheme, *host = NULL;
    apr_port_t port = 0;
    rxa_origin_source_e source = RXA_ORIGIN_FROM_CONNECTION;

    if (!err)
        err = &dummy;
    memset(out, 0, sizeof(*out));
    if (in->host_header) {
        if (rxa_host_parse(pool, in->host_header, &host, &port, &e))
            e = apr_pstrcat(pool, e, " (Host header)", NULL);
    }
    else if (in->server_name) {
        if (rxa_host_parse(pool, in->server_name, &host, &port, &e))
            e = apr_pstrcat(pool, e, " (server name)", NULL);
        else if (!port)
            port = in->local_port;
    }
    else {
        e = "RXA05060: request without a Host header and no server name to "
            "use instead";
    }
    if (e)
        goto fail;
    scheme = in->is_tls ? "https" : "http";

    if (in->peer_trusted) {
        int used = 0;
        if (in->n_forwarded > 0) {
            apr_array_header_t *elems;
            if (rxa_forwarded_parse(pool, in->forwarded, in->n_forwarded,
                                    &elems, &e))
                goto fail;
            used = rxa_forwarded_select(pool, elems, in->trusted, &scheme,
                                        &host, &port);
            if (used)
                source = RXA_ORIGIN_FROM_FORWARDED;
        }
        if (!used) {
            rxa_x_forwarded_t xf;
            if (rxa_x_forwarded_parse(pool, in->xf_proto, in->xf_host,
                                      in->xf_port, &xf, &e))
                goto fail;
            if (xf.proto || xf.host || xf.port)
                source = RXA_ORIGIN_FROM_X_FORWARDED;
            if (xf.proto)
                scheme = xf.proto;
            if (xf.host) {
                host = xf.host;
                port = xf.host_port;
            }
            if (xf.port && !port)
                port = xf.port;
        }
    }

    if ((port == 443 && !strcmp(scheme, "https"))
        || (port == 80 && !strcmp(scheme, "http")))
        port = 0;
    out->scheme = scheme;
    out->host = host;
    out->port = port;
    out->source = source;
    out->origin = origin_string(pool, scheme, host, port);
    return APR_SUCCESS;

fail:
    *err = e;
    return APR_EINVAL;
}

/* ---- redirect_to ------------------------------------------------------- */

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
        if (is_ctl((unsigned char)s[i]))
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
        if (s[i] == '%' && i + 2 < len && is_escape(s + i)) {
            if (!out) {
                out = apr_palloc(pool, len + 1);
                memcpy(out, s, i);
                o = i;
            }
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
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
                || (c == '%' && i + 2 < len && is_escape(s + i));
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

        if (is_ctl((unsigned char)value[0]))
            return ERR_CTL;
        if (!origin)
            return ERR_NOT_LOCAL;
        if (origin_split(pool, value, &vorigin, &rest)
            || origin_split(pool, origin, &worigin, &i))
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

/* ---- query strings ------------------------------------------------------ */

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
            if (i + 2 >= len || !is_escape(s + i)) {
                *err = "RXA04123: query string holds a '%' without two hex "
                       "digits";
                return NULL;
            }
            c = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            if (c == 0) {
                *err = "RXA04121: query string holds an encoded NUL";
                return NULL;
            }
            i += 2;
        }
        else if (c == '+') {
            c = ' ';
        }
        else if (is_ctl(c) || c == ' ') {
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
