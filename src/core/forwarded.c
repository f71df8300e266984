/* Trusted proxies, Forwarded and X-Forwarded-*: see rxa_forwarded.h. */
#include <string.h>

#include <arpa/inet.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_query.h"

/* Most parameters in one Forwarded element (RFC 7239 defines four). */
#define ELEMENT_MAX_PARAMS  16

struct rxa_trusted_t {
    apr_array_header_t *nets;   /* apr_ipsubnet_t * */
};

/* Reasons given from more than one place. */
static const char ERR_FWD_UNTERMINATED[] =
    "RXA05044: Forwarded header with an unterminated quoted string";
static const char ERR_FWD_QCTL[] =
    "RXA05045: Forwarded header with a control character in a quoted string";
static const char ERR_FWD_NODE[] =
    "RXA05056: Forwarded for= or by= is not an RFC 7239 node";

#define ALNUM "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 tchar: ASCII only, whatever the process locale says about bytes
 * over 0x7f. */
static int is_tchar(unsigned char c)
{
    return c && strchr("!#$%&'*+-.^_`|~" ALNUM, c);
}

/* ---- trusted proxies ---------------------------------------------------- */

apr_status_t rxa_trusted_proxies_parse(apr_pool_t *pool,
                                       const char *const *cidrs, int n,
                                       rxa_trusted_t **out, const char **err)
{
    rxa_trusted_t *t;
    const char *dummy;
    int i;

    if (!err)
        err = &dummy;
    *out = NULL;
    if (n < 0 || n > RXA_TRUSTED_MAX || (n > 0 && !cidrs)) {
        *err = "RXA05020: ReflexAuthTrustedProxies takes at most "
               APR_STRINGIFY(RXA_TRUSTED_MAX) " entries";
        return APR_EINVAL;
    }
    t = apr_pcalloc(pool, sizeof(*t));
    t->nets = apr_array_make(pool, n > 0 ? n : 1, sizeof(apr_ipsubnet_t *));
    for (i = 0; i < n; i++) {
        const char *entry = cidrs[i], *slash, *ip, *bits = NULL;
        unsigned char a[16];
        apr_ipsubnet_t *net;
        apr_status_t rv;
        int maxbits, v = 0;
        apr_size_t k;

        if (!entry || !*entry) {
            *err = "RXA05021: ReflexAuthTrustedProxies: empty entry";
            return APR_EINVAL;
        }
        slash = strchr(entry, '/');
        ip = slash ? apr_pstrmemdup(pool, entry, (apr_size_t)(slash - entry))
                   : entry;
        if (inet_pton(AF_INET, ip, a) == 1)
            maxbits = 32;
        else if (inet_pton(AF_INET6, ip, a) == 1)
            maxbits = 128;
        else {
            *err = apr_psprintf(pool, "RXA05022: ReflexAuthTrustedProxies: "
                                "'%.100s' is not an IP address or CIDR "
                                "(a.b.c.d[/n] or ipv6[/n])", entry);
            return APR_EINVAL;
        }
        if (slash) {
            bits = slash + 1;
            for (k = 0; bits[k]; k++) {
                if (!apr_isdigit(bits[k]) || k >= 3)
                    break;
                v = v * 10 + (bits[k] - '0');
            }
            /* No leading zero, and so no /0, which APR refuses anyway:
             * trusting every address is not a proxy list. */
            if (k == 0 || bits[k] || bits[0] == '0' || v > maxbits) {
                *err = apr_psprintf(pool, "RXA05023: ReflexAuthTrustedProxies: "
                                    "'%.100s' has a prefix length that is not "
                                    "1-%d", entry, maxbits);
                return APR_EINVAL;
            }
        }
        rv = apr_ipsubnet_create(&net, ip, bits, pool);
        if (rv != APR_SUCCESS) {
            char buf[120];
            *err = apr_psprintf(pool, "RXA05024: ReflexAuthTrustedProxies: "
                                "'%.100s' refused: %s", entry,
                                apr_strerror(rv, buf, sizeof(buf)));
            return APR_EINVAL;
        }
        APR_ARRAY_PUSH(t->nets, apr_ipsubnet_t *) = net;
    }
    *out = t;
    return APR_SUCCESS;
}

int rxa_trusted_contains(const rxa_trusted_t *t, const apr_sockaddr_t *peer)
{
    apr_sockaddr_t copy;
    int i;

    if (!t || !peer)
        return 0;
    /* apr_ipsubnet_test takes a non-const address but only reads it; a
     * copy keeps PEER const (its ipaddr_ptr still points into PEER). */
    copy = *peer;
    for (i = 0; i < t->nets->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(t->nets, i, apr_ipsubnet_t *),
                              &copy))
            return 1;
    }
    return 0;
}

int rxa_trusted_contains_ip(apr_pool_t *pool, const rxa_trusted_t *t,
                            const char *ip)
{
    unsigned char a[16];
    apr_sockaddr_t *sa;
    apr_int32_t family;

    if (!t || !ip || !t->nets->nelts)
        return 0;
    /* Literals only, with their family given, so the resolver never goes
     * to DNS. */
    if (inet_pton(AF_INET, ip, a) == 1)
        family = APR_INET;
    else if (inet_pton(AF_INET6, ip, a) == 1)
        family = APR_INET6;
    else
        return 0;
    if (apr_sockaddr_info_get(&sa, ip, family, 0, 0, pool) != APR_SUCCESS)
        return 0;
    return rxa_trusted_contains(t, sa);
}

/* ---- Forwarded (RFC 7239) ----------------------------------------------- */

static void skip_ows(const char *s, apr_size_t len, apr_size_t *i)
{
    while (*i < len && is_ows(s[*i]))
        (*i)++;
}

/* A token or a quoted string at S[*I], unescaped into *VAL. */
static const char *fwd_value(apr_pool_t *pool, const char *s, apr_size_t len,
                             apr_size_t *i, const char **val)
{
    apr_size_t start = *i;

    if (*i < len && s[*i] == '"') {
        /* The unquoted value is shorter than what is left of the line. */
        char *out = apr_palloc(pool, len - *i), *o = out;

        for ((*i)++;; (*i)++) {
            unsigned char c;
            if (*i >= len)
                return ERR_FWD_UNTERMINATED;
            c = (unsigned char)s[*i];
            if (c == '"')
                break;
            if (c == '\\') {
                if (++(*i) >= len)
                    return ERR_FWD_UNTERMINATED;
                c = (unsigned char)s[*i];
            }
            if (rxa_query_is_ctl(c) && c != '\t')
                return ERR_FWD_QCTL;
            *o++ = (char)c;
        }
        (*i)++;
        *o = '\0';
        *val = out;
        return NULL;
    }
    while (*i < len && is_tchar((unsigned char)s[*i]))
        (*i)++;
    if (*i == start)
        return "RXA05055: Forwarded parameter without a value";
    *val = apr_pstrmemdup(pool, s + start, *i - start);
    return NULL;
}

/* "_" 1*( ALPHA / DIGIT / "." / "_" / "-" ), LEN bytes. */
static int obf_ok(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len < 2 || s[0] != '_')
        return 0;
    for (i = 1; i < len; i++) {
        if (!s[i] || !strchr("._-" ALNUM, s[i]))
            return 0;
    }
    return 1;
}

/* RFC 7239 section 6 node; *IP gets the address when it is one. */
static const char *node_parse(apr_pool_t *pool, const char *v,
                              const char **ip)
{
    apr_size_t len, nlen, i;
    const char *rest;
    unsigned char a[16];
    long pv;

    *ip = NULL;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        char buf[48];
        if (!close)
            return ERR_FWD_NODE;
        nlen = (apr_size_t)(close - v - 1);
        if (nlen < 2 || nlen >= sizeof(buf))
            return ERR_FWD_NODE;
        for (i = 0; i < nlen; i++) {
            if (!apr_isxdigit(v[1 + i]) && v[1 + i] != ':'
                && v[1 + i] != '.')
                return ERR_FWD_NODE;
        }
        memcpy(buf, v + 1, nlen);
        buf[nlen] = '\0';
        if (inet_pton(AF_INET6, buf, a) != 1)
            return ERR_FWD_NODE;
        *ip = apr_pstrdup(pool, buf);
        rest = close + 1;
    }
    else {
        nlen = strcspn(v, ":");
        if (rxa_host_is_ipv4(v, nlen))
            *ip = apr_pstrmemdup(pool, v, nlen);
        else if (!(nlen == 7 && !strncasecmp(v, "unknown", 7))
                 && !obf_ok(v, nlen))
            return ERR_FWD_NODE;
        rest = v + nlen;
    }
    if (!*rest)
        return NULL;
    if (*rest++ != ':')
        return ERR_FWD_NODE;
    len = strlen(rest);
    if (obf_ok(rest, len))
        return NULL;
    if (len == 0 || len > 5)
        return ERR_FWD_NODE;
    for (i = 0, pv = 0; i < len; i++) {
        if (!apr_isdigit(rest[i]))
            return ERR_FWD_NODE;
        pv = pv * 10 + (rest[i] - '0');
    }
    return pv > 65535 ? ERR_FWD_NODE : NULL;
}

/* One element at S[*I], up to the next ',' or the end. */
static const char *fwd_element(apr_pool_t *pool, const char *s,
                               apr_size_t len, apr_size_t *i,
                               rxa_forwarded_elem_t *elem)
{
    const char *names[ELEMENT_MAX_PARAMS], *val, *e;
    apr_size_t nlens[ELEMENT_MAX_PARAMS], start, nlen;
    const char *proto = NULL, *host = NULL, *forv = NULL, *by = NULL;
    const char **slot;
    int count = 0, k;

    memset(elem, 0, sizeof(*elem));
    for (;;) {
        skip_ows(s, len, i);
        if (*i >= len || s[*i] == ',')
            break;
        if (s[*i] == ';') {
            (*i)++;
            continue;
        }
        start = *i;
        while (*i < len && is_tchar((unsigned char)s[*i]))
            (*i)++;
        nlen = *i - start;
        if (nlen == 0)
            return "RXA05042: Forwarded element holds something other than "
                   "name=value pairs";
        if (*i >= len || s[*i] != '=')
            return "RXA05043: Forwarded parameter without '=' right after "
                   "its name";
        (*i)++;
        if ((e = fwd_value(pool, s, len, i, &val)))
            return e;
        for (k = 0; k < count; k++) {
            if (nlens[k] == nlen && !strncasecmp(names[k], s + start, nlen))
                return "RXA05047: Forwarded parameter repeated in one "
                       "element";
        }
        if (count == ELEMENT_MAX_PARAMS)
            return "RXA05048: Forwarded element with more than "
                   APR_STRINGIFY(ELEMENT_MAX_PARAMS) " parameters";
        names[count] = s + start;
        nlens[count++] = nlen;
        slot = NULL;
        if (nlen == 5 && !strncasecmp(s + start, "proto", 5))
            slot = &proto;
        else if (nlen == 4 && !strncasecmp(s + start, "host", 4))
            slot = &host;
        else if (nlen == 3 && !strncasecmp(s + start, "for", 3))
            slot = &forv;
        else if (nlen == 2 && !strncasecmp(s + start, "by", 2))
            slot = &by;
        if (slot)
            *slot = val;
        skip_ows(s, len, i);
        if (*i < len && s[*i] != ';' && s[*i] != ',')
            return "RXA05046: Forwarded value followed by something other "
                   "than ';' or ','";
    }
    if (proto) {
        if (!strcasecmp(proto, "https"))
            elem->proto = "https";
        else if (!strcasecmp(proto, "http"))
            elem->proto = "http";
        else
            return "RXA05049: Forwarded proto is not http or https";
    }
    if (host && (e = rxa_host_parse_n(pool, host, strlen(host), &elem->host,
                                      &elem->host_port)))
        return apr_pstrcat(pool, e, " (Forwarded host)", NULL);
    if (forv && (e = node_parse(pool, forv, &elem->for_ip)))
        return e;
    if (by && (e = node_parse(pool, by, &val)))
        return e;
    elem->for_node = forv;
    elem->by_node = by;
    return NULL;
}

apr_status_t rxa_forwarded_parse(apr_pool_t *pool, const char *const *lines,
                                 int n, apr_array_header_t **elems,
                                 const char **err)
{
    static const char too_many[] = "RXA05041: Forwarded header with more "
        "than " APR_STRINGIFY(RXA_FORWARDED_MAX_ELEMENTS) " elements or lines";
    const char *e = NULL, *dummy;
    int l;

    if (!err)
        err = &dummy;
    *elems = apr_array_make(pool, 4, sizeof(rxa_forwarded_elem_t));
    if (n < 0 || n > RXA_FORWARDED_MAX_ELEMENTS || (n > 0 && !lines)) {
        *err = too_many;
        return APR_EINVAL;
    }
    for (l = 0; l < n && !e; l++) {
        const char *s = lines[l];
        apr_size_t len, i = 0;

        if (!s)
            continue;
        len = strnlen(s, RXA_ORIGIN_HEADER_MAX + 1);
        if (len > RXA_ORIGIN_HEADER_MAX) {
            e = "RXA05040: Forwarded header longer than "
                APR_STRINGIFY(RXA_ORIGIN_HEADER_MAX) " bytes";
            break;
        }
        for (;;) {
            rxa_forwarded_elem_t elem;
            skip_ows(s, len, &i);
            if (i >= len)
                break;
            if (s[i] == ',') {
                i++;
                continue;
            }
            if ((*elems)->nelts >= RXA_FORWARDED_MAX_ELEMENTS) {
                e = too_many;
                break;
            }
            if ((e = fwd_element(pool, s, len, &i, &elem)))
                break;
            APR_ARRAY_PUSH(*elems, rxa_forwarded_elem_t) = elem;
        }
    }
    if (e) {
        *err = e;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- X-Forwarded-* ------------------------------------------------------ */

enum xf_kind { XF_PROTO, XF_HOST, XF_PORT };

/* Check every item of the list V; *PROTO, *HOST and *PORT get the
 * rightmost one (the nearest proxy's). */
static const char *xf_parse(apr_pool_t *pool, const char *v,
                            enum xf_kind kind, const char **proto,
                            const char **host, apr_port_t *port)
{
    apr_size_t len, i = 0, a, b;
    int count = 0;
    const char *e;

    if (!v)
        return NULL;
    len = strnlen(v, RXA_ORIGIN_HEADER_MAX + 1);
    if (len > RXA_ORIGIN_HEADER_MAX)
        return "RXA05050: X-Forwarded-* header longer than "
               APR_STRINGIFY(RXA_ORIGIN_HEADER_MAX) " bytes";
    while (i <= len) {
        for (b = i; b < len && v[b] != ','; b++)
            ;
        a = i;
        i = b + 1;
        while (a < b && is_ows(v[a]))
            a++;
        while (b > a && is_ows(v[b - 1]))
            b--;
        if (a == b)
            continue;
        if (++count > RXA_FORWARDED_MAX_ELEMENTS)
            return "RXA05051: X-Forwarded-* list with more than "
                   APR_STRINGIFY(RXA_FORWARDED_MAX_ELEMENTS) " items";
        if (kind == XF_PROTO) {
            if (b - a == 5 && !strncasecmp(v + a, "https", 5))
                *proto = "https";
            else if (b - a == 4 && !strncasecmp(v + a, "http", 4))
                *proto = "http";
            else
                return "RXA05052: X-Forwarded-Proto is not http or https";
        }
        else if (kind == XF_HOST) {
            if ((e = rxa_host_parse_n(pool, v + a, b - a, host, port)))
                return apr_pstrcat(pool, e, " (X-Forwarded-Host)", NULL);
        }
        else if ((e = rxa_host_port_parse(v + a, b - a, port))) {
            return apr_pstrcat(pool, e, " (X-Forwarded-Port)", NULL);
        }
    }
    return NULL;
}

apr_status_t rxa_x_forwarded_parse(apr_pool_t *pool, const char *proto,
                                   const char *host, const char *port,
                                   rxa_x_forwarded_t *out, const char **err)
{
    const char *e, *dummy;

    if (!err)
        err = &dummy;
    memset(out, 0, sizeof(*out));
    if ((e = xf_parse(pool, proto, XF_PROTO, &out->proto, NULL, NULL))
        || (e = xf_parse(pool, host, XF_HOST, NULL, &out->host,
                         &out->host_port))
        || (e = xf_parse(pool, port, XF_PORT, NULL, NULL, &out->port))) {
        memset(out, 0, sizeof(*out));
        *err = e;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- the Forwarded chain ------------------------------------------------ */

int rxa_forwarded_select(apr_pool_t *pool, const apr_array_header_t *elems,
                         const rxa_trusted_t *trusted, const char **scheme,
                         const char **host, apr_port_t *port)
{
    const rxa_forwarded_elem_t *el = (const rxa_forwarded_elem_t *)elems->elts;
    const char *fproto = NULL;
    const rxa_forwarded_elem_t *fhost = NULL;
    int i = elems->nelts - 1, j;

    if (i < 0)
        return 0;
    while (i > 0 && el[i].for_ip
           && rxa_trusted_contains_ip(pool, trusted, el[i].for_ip))
        i--;
    for (j = i; j < elems->nelts; j++) {
        if (!fproto)
            fproto = el[j].proto;
        if (!fhost && el[j].host)
            fhost = &el[j];
    }
    if (fproto)
        *scheme = fproto;
    if (fhost) {
        *host = fhost->host;
        *port = fhost->host_port;
    }
    return fproto || fhost;
}
