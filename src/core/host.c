/* Hosts and ports: see rxa_host.h. */
#include <string.h>

#include <arpa/inet.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_host.h"

#define NAME_MAX_LEN        253
#define LABEL_MAX_LEN       63

/* Reasons given from more than one place. */
static const char ERR_HOST_EMPTY[] = "RXA05001: empty host";
static const char ERR_HOST_CHARS[] =
    "RXA05002: host holds characters a host name cannot";
static const char ERR_IPV6[] = "RXA05003: host holds a malformed IPv6 "
                               "literal";
static const char ERR_LABEL[] = "RXA05004: host name with an empty or "
                                "over-long label, or one starting or ending "
                                "with '-'";
static const char ERR_PORT[] = "RXA05006: port is not 1-65535 in plain "
                               "digits";
static const char ERR_HOST_LONG[] = "RXA05009: host longer than a host name "
                                    "can be";

/* ASCII only, whatever the process locale says about bytes over 0x7f. */
static int ascii_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ascii_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int ascii_alnum(unsigned char c)
{
    return ascii_alpha(c) || ascii_digit(c);
}

static int ascii_xdigit(unsigned char c)
{
    return ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1-65535, plain digits, no sign and no leading zero ("0443" is refused,
 * not read as 443, so no two spellings name one origin). */
const char *rxa_host_port_parse(const char *s, apr_size_t len,
                                apr_port_t *port)
{
    apr_size_t i;
    long v = 0;

    if (len == 0 || len > 5 || s[0] == '0')
        return ERR_PORT;
    for (i = 0; i < len; i++) {
        if (!ascii_digit((unsigned char)s[i]))
            return ERR_PORT;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return ERR_PORT;
    *port = (apr_port_t)v;
    return NULL;
}

/* Four decimal parts 0-255 without leading zeros: the only IPv4 form whose
 * meaning no parser disputes (browsers read "010" as octal). */
int rxa_host_is_ipv4(const char *s, apr_size_t len)
{
    apr_size_t i = 0, start;
    int parts, v;

    for (parts = 0; parts < 4; parts++) {
        if (parts > 0) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
        start = i;
        v = 0;
        while (i < len && i - start < 3 && ascii_digit((unsigned char)s[i]))
            v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return 0;
    }
    return i == len;
}

/* The WHATWG URL serialization of an IPv6 address (RFC 5952: lowercase,
 * no leading zeros, the first longest run of two or more zero pieces
 * written "::"), bracketed: what a browser puts in Host and Origin. */
static const char *ipv6_serialize(apr_pool_t *pool, const unsigned char *a)
{
    unsigned int piece[8];
    char buf[48], *o = buf;
    int i, j, best = -1, bestlen = 1, skipping = 0;

    for (i = 0; i < 8; i++)
        piece[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
    for (i = 0; i < 8; i = j + 1) {
        for (j = i; j < 8 && piece[j] == 0; j++)
            ;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
    }
    *o++ = '[';
    for (i = 0; i < 8; i++) {
        if (skipping && piece[i] == 0)
            continue;
        skipping = 0;
        if (i == best) {
            o += apr_snprintf(o, 3, "%s", i == 0 ? "::" : ":");
            skipping = 1;
            continue;
        }
        o += apr_snprintf(o, 6, "%x%s", piece[i], i < 7 ? ":" : "");
    }
    *o++ = ']';
    *o = '\0';
    return apr_pstrdup(pool, buf);
}

/* S (LEN bytes, no brackets) as a bracketed IPv6 address in normal form.
 * Hex digits and colons only: no zone ("%eth0") and no embedded IPv4,
 * which browsers would rewrite to hex anyway. */
static const char *ipv6_normal(apr_pool_t *pool, const char *s,
                               apr_size_t len, const char **host)
{
    unsigned char a[16];
    char buf[48];
    apr_size_t i;

    if (len < 2 || len >= sizeof(buf))
        return ERR_IPV6;
    for (i = 0; i < len; i++) {
        if (!ascii_xdigit((unsigned char)s[i]) && s[i] != ':')
            return ERR_IPV6;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET6, buf, a) != 1)
        return ERR_IPV6;
    *host = ipv6_serialize(pool, a);
    return NULL;
}

/* A DNS name, or a dotted-quad IPv4 address (S, LEN bytes). */
static const char *name_check(const char *s, apr_size_t len)
{
    apr_size_t i, start = 0, last = 0;
    int numeric = 1;

    if (len == 0)
        return ERR_HOST_EMPTY;
    if (len > NAME_MAX_LEN)
        return ERR_HOST_LONG;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!ascii_alnum(c) && c != '-' && c != '_' && c != '.')
            return ERR_HOST_CHARS;
    }
    if (s[len - 1] == '.')
        return "RXA05008: host name ends with a dot (another origin to a "
               "browser)";
    for (i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (i == start || i - start > LABEL_MAX_LEN || s[start] == '-'
            || s[i - 1] == '-')
            return ERR_LABEL;
        last = start;
        start = i + 1;
    }
    /* WHATWG "ends in a number": the last label all digits, or "0x" and
     * hex digits; such a host is an IPv4 address to a browser. */
    if (len - last >= 2 && s[last] == '0'
        && (s[last + 1] == 'x' || s[last + 1] == 'X')) {
        for (i = last + 2; i < len; i++)
            numeric = numeric && ascii_xdigit((unsigned char)s[i]);
    }
    else {
        for (i = last; i < len; i++)
            numeric = numeric && ascii_digit((unsigned char)s[i]);
    }
    if (numeric && !rxa_host_is_ipv4(s, len))
        return "RXA05005: numeric host that is not a dotted-quad IPv4 "
               "address";
    return NULL;
}

const char *rxa_host_parse_n(apr_pool_t *pool, const char *s, apr_size_t len,
                             const char **host, apr_port_t *port)
{
    const char *rest, *end = s + len, *e;

    *port = 0;
    if (len == 0)
        return ERR_HOST_EMPTY;
    if (len > RXA_ORIGIN_HEADER_MAX)
        return ERR_HOST_LONG;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return ERR_IPV6;
        if ((e = ipv6_normal(pool, s + 1, (apr_size_t)(close - s - 1), host)))
            return e;
        rest = close + 1;
    }
    else {
        const char *colon = memchr(s, ':', len);
        apr_size_t nlen = colon ? (apr_size_t)(colon - s) : len;
        char *l;
        if ((e = name_check(s, nlen)))
            return e;
        *host = l = apr_pstrmemdup(pool, s, nlen);
        for (; *l; l++)
            *l = (char)apr_tolower(*l);
        rest = s + nlen;
    }
    if (rest == end)
        return NULL;
    if (*rest != ':')
        return "RXA05007: junk after the host";
    return rxa_host_port_parse(rest + 1, (apr_size_t)(end - rest - 1), port);
}

apr_status_t rxa_host_parse(apr_pool_t *pool, const char *hostport,
                            const char **host, apr_port_t *port,
                            const char **err)
{
    const char *e, *dummy;

    if (!err)
        err = &dummy;
    *host = NULL;
    *port = 0;
    if (!hostport)
        e = "RXA05010: no host";
    else if (strnlen(hostport, RXA_ORIGIN_HEADER_MAX + 1)
             > RXA_ORIGIN_HEADER_MAX)
        e = ERR_HOST_LONG;
    else
        e = rxa_host_parse_n(pool, hostport, strlen(hostport), host, port);
    if (e) {
        *host = NULL;
        *err = e;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

int rxa_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char buf[64];
    apr_size_t len;

    if (!host || !*host)
        return 0;
    if (!strcasecmp(host, "localhost"))
        return 1;
    len = strlen(host);
    if (host[0] == '[' && len >= 2 && host[len - 1] == ']' && len - 2 < sizeof(buf)) {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
