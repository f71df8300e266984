/* Fuzz target: the public origin (rxa_forwarded.h). The first byte picks
 * TLS (bit 0), a trusted peer (bit 1), chain walking (bit 2) and no Host
 * header (bit 3); the rest is split at '\n' into the Host header,
 * X-Forwarded-Proto, -Host, -Port and up to four Forwarded lines (an empty
 * X-Forwarded-* field is an absent header). Whatever comes in:
 *   - an accepted origin is in rxa_origin_normalize form, agrees with its
 *     scheme, host and port, and its host parses back to itself;
 *   - a refusal carries a tag from RXA050xx;
 *   - from an untrusted peer the result is exactly what the Host header
 *     alone gives;
 *   - every Forwarded element's host is in normal form;
 *   - each field parses as a Host header exactly when "https://" and the
 *     field is a URL with an origin, and to the same host and port. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_forwarded.h"
#include "rxa_host.h"
#include "rxa_origin.h"

#define MAX_FIELDS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TRUSTED[] = {
    "10.0.0.0/8", "2001:db8:1::/48", "192.0.2.7", "::1"
};

static void check_tag(const char *err)
{
    if (!err || strncmp(err, "RXA050", 6))
        abort();
}

/* One grammar: FIELD as a Host header and as the authority of a URL. */
static void check_same_as_url(apr_pool_t *p, const char *field)
{
    const char *host = NULL, *origin = NULL, *err;
    apr_port_t port = 0;
    apr_status_t hrv, urv;

    if (strpbrk(field, "/?#@"))
        return;                 /* these end or refuse an authority */
    hrv = rxa_host_parse(p, field, &host, &port, &err);
    urv = rxa_origin_normalize(p, apr_pstrcat(p, "https://", field, NULL),
                               &origin, &err);
    if (hrv != urv)
        abort();
    if (hrv == APR_SUCCESS
        && strcmp(origin, port && port != 443
                          ? apr_psprintf(p, "https://%s:%u", host,
                                         (unsigned int)port)
                          : apr_pstrcat(p, "https://", host, NULL)))
        abort();
}

/* Lowercase name characters, or a bracketed lowercase IPv6 literal. */
static void check_host(apr_pool_t *p, const char *host)
{
    const char *c, *back, *err;
    apr_port_t port;
    int v6 = host[0] == '[';

    for (c = host + v6; *c && !(v6 && *c == ']'); c++) {
        if (v6 ? !strchr("0123456789abcdef:", *c)
               : !strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", *c))
            abort();
    }
    if (c == host + v6 || (v6 && (c[0] != ']' || c[1])))
        abort();
    if (rxa_host_parse(p, host, &back, &port, &err) || strcmp(back, host)
        || port)
        abort();
}

static void check_origin(apr_pool_t *p, const rxa_origin_t *o)
{
    const char *norm, *err, *want;

    if (strcmp(o->scheme, "http") && strcmp(o->scheme, "https"))
        abort();
    check_host(p, o->host);
    if ((o->port == 443 && !strcmp(o->scheme, "https"))
        || (o->port == 80 && !strcmp(o->scheme, "http")))
        abort();
    want = o->port ? apr_psprintf(p, "%s://%s:%u", o->scheme, o->host,
                                  (unsigned int)o->port)
                   : apr_pstrcat(p, o->scheme, "://", o->host, NULL);
    if (strcmp(want, o->origin))
        abort();
    if (rxa_origin_normalize(p, o->origin, &norm, &err)
        || strcmp(norm, o->origin))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static rxa_trusted_t *trusted;
    apr_pool_t *p;
    const char *fields[MAX_FIELDS], *err, *err2, *host;
    rxa_origin_input_t in, bare;
    rxa_origin_t out, out2;
    apr_array_header_t *elems;
    apr_status_t rv, rv2;
    apr_port_t port;
    char *buf, *s;
    int n = 0, i, flags;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        if (rxa_trusted_proxies_parse(root, TRUSTED, 4, &trusted, &err))
            abort();
    }
    if (size == 0)
        return 0;
    apr_pool_create(&p, root);
    flags = data[0];
    buf = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    /* A NUL in the input ends the last field, as it would a C string. */
    for (s = buf; n < MAX_FIELDS; n++) {
        char *nl = strchr(s, '\n');
        fields[n] = s;
        if (!nl) {
            n++;
            break;
        }
        *nl = '\0';
        s = nl + 1;
    }
    for (i = n; i < MAX_FIELDS; i++)
        fields[i] = NULL;

    memset(&in, 0, sizeof(in));
    in.is_tls = flags & 1;
    in.peer_trusted = (flags & 2) != 0;
    in.trusted = (flags & 4) ? trusted : NULL;
    in.host_header = (flags & 8) ? NULL : fields[0];
    in.server_name = "fuzz.example";
    in.local_port = (apr_port_t)((flags >> 4) * 1000);
    in.xf_proto = fields[1] && *fields[1] ? fields[1] : NULL;
    in.xf_host = fields[2] && *fields[2] ? fields[2] : NULL;
    in.xf_port = fields[3] && *fields[3] ? fields[3] : NULL;
    in.forwarded = fields + 4;
    in.n_forwarded = n > 4 ? n - 4 : 0;

    rv = rxa_origin_compute(p, &in, &out, &err);
    if (rv == APR_SUCCESS)
        check_origin(p, &out);
    else
        check_tag(err);

    /* Untrusted: only the Host header (or server name) counts. */
    bare = in;
    bare.peer_trusted = 0;
    rv = rxa_origin_compute(p, &bare, &out, &err);
    bare.forwarded = NULL;
    bare.n_forwarded = 0;
    bare.xf_proto = bare.xf_host = bare.xf_port = NULL;
    rv2 = rxa_origin_compute(p, &bare, &out2, &err2);
    if (rv != rv2 || (rv == APR_SUCCESS && (strcmp(out.origin, out2.origin)
                                            || out.source
                                               != RXA_ORIGIN_FROM_CONNECTION))
        || (rv != APR_SUCCESS && strcmp(err, err2)))
        abort();

    if (rxa_forwarded_parse(p, in.forwarded, in.n_forwarded, &elems, &err)
        == APR_SUCCESS) {
        for (i = 0; i < elems->nelts; i++) {
            const rxa_forwarded_elem_t *e =
                &APR_ARRAY_IDX(elems, i, rxa_forwarded_elem_t);
            if (e->host)
                check_host(p, e->host);
            if (e->proto && strcmp(e->proto, "http")
                && strcmp(e->proto, "https"))
                abort();
            if (e->for_ip)
                (void)rxa_trusted_contains_ip(p, trusted, e->for_ip);
        }
    }
    else {
        check_tag(err);
    }

    for (i = 0; i < n; i++) {
        if (rxa_host_parse(p, fields[i], &host, &port, &err) == APR_SUCCESS)
            check_host(p, host);
        else
            check_tag(err);
        check_same_as_url(p, fields[i]);
        (void)rxa_trusted_contains_ip(p, trusted, fields[i]);
    }
    apr_pool_destroy(p);
    return 0;
}
