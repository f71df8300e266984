/* Unit tests: the browser-visible origin (rxa_forwarded.h, rxa_origin.h).
 * Trusted proxy sets, Forwarded and X-Forwarded-* from trusted peers
 * (honoured) and untrusted ones (ignored entirely), hostile inputs
 * included. Host grammar: test_host.c. */
#include <apr_network_io.h>

#include "rxa_test.h"
#include "rxa_forwarded.h"
#include "rxa_origin.h"

/* The trusted set the chain-walking cases use. */
static const char *const TRUSTED[] = {
    "10.0.0.0/8", "2001:db8:1::/48", "192.0.2.7"
};

static rxa_trusted_t *trusted_set(void)
{
    rxa_trusted_t *t;
    const char *err = NULL;

    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, TRUSTED, 3, &t,
                                               &err), APR_SUCCESS);
    return t;
}

/* ---- trusted proxies -------------------------------------------------------- */

START_TEST(trusted_parse)
{
    static const char *const ok[] = {
        "10.0.0.0/8", "192.0.2.7", "192.0.2.7/32", "2001:db8::/32", "::1",
        "::1/128", "10.0.0.1/8", "172.16.0.0/12", "fd00::/8"
    };
    static const struct { const char *in, *tag; } bad[] = {
        { "", "RXA05021" },
        { "10.1", "RXA05022" },
        { "10", "RXA05022" },
        { "example.com", "RXA05022" },
        { " 10.0.0.1", "RXA05022" },
        { "10.0.0.1 ", "RXA05022" },
        { "010.0.0.1", "RXA05022" },
        { "[::1]", "RXA05022" },
        { "10.0.0.0/33", "RXA05023" },
        { "10.0.0.0/0", "RXA05023" },
        { "::/0", "RXA05023" },
        { "10.0.0.0/", "RXA05023" },
        { "10.0.0.0/08", "RXA05023" },
        { "10.0.0.0/8x", "RXA05023" },
        { "10.0.0.0/+8", "RXA05023" },
        { "10.0.0.0/255.0.0.0", "RXA05023" },
        { "10.0.0.0/1000", "RXA05023" },
        { "2001:db8::/129", "RXA05023" },
        { "10.0.0.0/8/8", "RXA05023" },
        { "::ffff:10.0.0.1", "RXA05024" },
    };
    rxa_trusted_t *t;
    const char *err;
    apr_size_t i;

    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, ok, 9, &t,
                                               &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, NULL, 0, &t,
                                               &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(t);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *one[2];
        one[0] = "10.0.0.0/8";
        one[1] = bad[i].in;
        err = NULL;
        ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, one, 2, &t,
                                                   &err), APR_EINVAL);
        ck_assert_ptr_null(t);
        ck_assert_msg(err && !strncmp(err, bad[i].tag, 8), "%s: %s",
                      bad[i].in, err ? err : "NULL");
    }
    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, ok, -1, &t,
                                               &err), APR_EINVAL);
    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, ok,
                                               RXA_TRUSTED_MAX + 1, &t, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05020", 8));
}
END_TEST

static int peer_in(const rxa_trusted_t *t, const char *ip, apr_int32_t family)
{
    apr_sockaddr_t *sa;

    ck_assert_int_eq(apr_sockaddr_info_get(&sa, ip, family, 0, 0,
                                           rxa_test_pool), APR_SUCCESS);
    return rxa_trusted_contains(t, sa);
}

START_TEST(trusted_contains)
{
    rxa_trusted_t *t = trusted_set(), *none;
    const char *err;

    ck_assert(peer_in(t, "10.1.2.3", APR_INET));
    ck_assert(peer_in(t, "10.255.255.255", APR_INET));
    ck_assert(!peer_in(t, "11.0.0.1", APR_INET));
    ck_assert(peer_in(t, "192.0.2.7", APR_INET));
    ck_assert(!peer_in(t, "192.0.2.8", APR_INET));
    /* What a dual-stack listener reports for an IPv4 peer. */
    ck_assert(peer_in(t, "::ffff:10.0.0.1", APR_INET6));
    ck_assert(!peer_in(t, "::ffff:11.0.0.1", APR_INET6));
    ck_assert(peer_in(t, "2001:db8:1:ffff::5", APR_INET6));
    ck_assert(!peer_in(t, "2001:db8:2::5", APR_INET6));
    ck_assert(!peer_in(t, "::1", APR_INET6));
    ck_assert(!peer_in(NULL, "10.0.0.1", APR_INET));
    ck_assert(!rxa_trusted_contains(t, NULL));
    ck_assert_int_eq(rxa_trusted_proxies_parse(rxa_test_pool, NULL, 0, &none,
                                               &err), APR_SUCCESS);
    ck_assert(!peer_in(none, "10.0.0.1", APR_INET));

    ck_assert(rxa_trusted_contains_ip(rxa_test_pool, t, "10.9.9.9"));
    ck_assert(rxa_trusted_contains_ip(rxa_test_pool, t, "2001:db8:1::1"));
    ck_assert(rxa_trusted_contains_ip(rxa_test_pool, t, "::ffff:10.0.0.1"));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, "9.9.9.9"));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, "10.1"));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, "[2001:db8:1::1]"));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, "localhost"));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, ""));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, t, NULL));
    ck_assert(!rxa_trusted_contains_ip(rxa_test_pool, NULL, "10.0.0.1"));
}
END_TEST

/* ---- Forwarded parsing ---------------------------------------------------- */

START_TEST(forwarded_fields)
{
    const char *lines[] = {
        "for=192.0.2.60;proto=http;by=203.0.113.43, "
        "For=\"[2001:db8:cafe::17]:4711\";HOST=\"App.Example.COM:8443\"",
        "for=_hidden;by=_SEVKISEK;proto=HTTPS, for=unknown, "
        "for=\"192.0.2.1:_port\";ext=\"what\\\"ever\";host=a.example",
    };
    apr_array_header_t *els;
    const rxa_forwarded_elem_t *e;
    const char *err = NULL;

    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, lines, 2, &els, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(els->nelts, 5);
    e = (const rxa_forwarded_elem_t *)els->elts;
    ck_assert_str_eq(e[0].for_node, "192.0.2.60");
    ck_assert_str_eq(e[0].for_ip, "192.0.2.60");
    ck_assert_str_eq(e[0].proto, "http");
    ck_assert_str_eq(e[0].by_node, "203.0.113.43");
    ck_assert_ptr_null(e[0].host);
    ck_assert_str_eq(e[1].for_node, "[2001:db8:cafe::17]:4711");
    ck_assert_str_eq(e[1].for_ip, "2001:db8:cafe::17");
    ck_assert_str_eq(e[1].host, "app.example.com");
    ck_assert_uint_eq(e[1].host_port, 8443);
    ck_assert_ptr_null(e[1].proto);
    ck_assert_str_eq(e[2].for_node, "_hidden");
    ck_assert_ptr_null(e[2].for_ip);
    ck_assert_str_eq(e[2].by_node, "_SEVKISEK");
    ck_assert_str_eq(e[2].proto, "https");
    ck_assert_str_eq(e[3].for_node, "unknown");
    ck_assert_ptr_null(e[3].for_ip);
    ck_assert_str_eq(e[4].for_ip, "192.0.2.1");
    ck_assert_str_eq(e[4].host, "a.example");
    ck_assert_uint_eq(e[4].host_port, 0);

    /* Empty elements and pairs are skipped; NULL lines too. */
    lines[0] = " , ,;; ,";
    lines[1] = NULL;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, lines, 2, &els, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(els->nelts, 1);
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, NULL, 0, &els, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(els->nelts, 0);
}
END_TEST

START_TEST(forwarded_refused)
{
    static const struct { const char *in, *tag; } cases[] = {
        { "host=\"a.example", "RXA05044" },
        { "host=\"a.example\\", "RXA05044" },
        { "host=\"a.example\\\"", "RXA05044" },
        { "for=\"", "RXA05044" },
        { "host=a.example\r\nX-Injected: 1", "RXA05046" },
        { "host=a.example\n", "RXA05046" },
        { "host=\"a.example\r\n\"", "RXA05045" },
        { "host=\"a.exam\\\x01ple\"", "RXA05045" },
        { "host=\"a\x7f\"", "RXA05045" },
        { "host=\"evil.com@good.example\"", "RXA05002" },
        { "host=evil.com@good", "RXA05046" },
        { "host=\"a.example, proto=https\"", "RXA05002" },
        { "host=\"x\\\"y\"", "RXA05002" },
        { "host=\"b\xc3\xbc" "cher.example\"", "RXA05002" },
        { "host=\"a.example/\"", "RXA05002" },
        { "host=\"a.example\\\\evil\"", "RXA05002" },
        { "host=\"a.example.\"", "RXA05008" },
        { "host=\"\"", "RXA05001" },
        { "host=\"a.example:+443\"", "RXA05006" },
        { "host=\"a.example:0443\"", "RXA05006" },
        { "host=\"a.example:65536\"", "RXA05006" },
        { "host=\"a.example:\"", "RXA05006" },
        { "host=\"[::1\"", "RXA05003" },
        { "host=\"[fe80::1%25eth0]\"", "RXA05003" },
        { "host=\"127.1\"", "RXA05005" },
        { "host=[::1]", "RXA05055" },
        { "host=a.example;host=b.example", "RXA05047" },
        { "Host=a.example;HOST=a.example", "RXA05047" },
        { "proto=https;Proto=https", "RXA05047" },
        { "ext=1;EXT=2", "RXA05047" },
        { "proto=ftp", "RXA05049" },
        { "proto=ws", "RXA05049" },
        { "proto=\"https \"", "RXA05049" },
        { "proto=httpss", "RXA05049" },
        { "proto = https", "RXA05043" },
        { "proto", "RXA05043" },
        { "proto= https", "RXA05055" },
        { "host=", "RXA05055" },
        { "host=;proto=https", "RXA05055" },
        { "=https", "RXA05042" },
        { "\"proto\"=https", "RXA05042" },
        { "proto=https host=a.example", "RXA05046" },
        { "proto=https;host=a.example x", "RXA05046" },
        { "proto=\"https\"x", "RXA05046" },
        { "for=a=b", "RXA05046" },
        { "for=2001:db8::1", "RXA05046" },
        { "for=\"2001:db8::1\"", "RXA05056" },
        { "for=\"[2001:db8::1]:99999\"", "RXA05056" },
        { "for=\"[2001:db8::1]:\"", "RXA05056" },
        { "for=\"[2001:db8::1]x\"", "RXA05056" },
        { "for=\"[2001:db8::1\"", "RXA05056" },
        { "for=\"[]\"", "RXA05056" },
        { "for=\"[zz::1]\"", "RXA05056" },
        { "for=300.1.1.1", "RXA05056" },
        { "for=1.2.3", "RXA05056" },
        { "for=01.2.3.4", "RXA05056" },
        { "for=\"1.2.3.4:\"", "RXA05056" },
        { "for=\"1.2.3.4:_\"", "RXA05056" },
        { "for=\"1.2.3.4:+80\"", "RXA05056" },
        { "for=_", "RXA05056" },
        { "for=\"_a b\"", "RXA05056" },
        { "for=evil.example", "RXA05056" },
        { "for=\"\"", "RXA05056" },
        { "by=unknownx", "RXA05056" },
        { "proto=https,\x01", "RXA05042" },
        { "\xc3\xa9=1", "RXA05042" },
    };
    apr_array_header_t *els;
    apr_size_t i;
    const char *err;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = cases[i].in;
        err = NULL;
        ck_assert_msg(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err)
                      == APR_EINVAL, "case %u accepted", (unsigned)i);
        ck_assert_msg(err && !strncmp(err, cases[i].tag, 8),
                      "case %u: %s, wanted %s", (unsigned)i,
                      err ? err : "NULL", cases[i].tag);
        /* Never quotes what it refused. */
        ck_assert_msg(!strstr(err, "example") && !strstr(err, "evil"),
                      "case %u quotes input: %s", (unsigned)i, err);
    }
}
END_TEST

START_TEST(forwarded_limits)
{
    char *big, *many, *params;
    const char *line, *lines[RXA_FORWARDED_MAX_ELEMENTS + 1];
    apr_array_header_t *els;
    const char *err;
    int i;

    /* RXA_ORIGIN_HEADER_MAX bytes pass, one more fails. */
    big = apr_palloc(rxa_test_pool, RXA_ORIGIN_HEADER_MAX + 2);
    memset(big, ',', RXA_ORIGIN_HEADER_MAX);
    memcpy(big, "proto=https", 11);
    big[RXA_ORIGIN_HEADER_MAX] = '\0';
    line = big;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_SUCCESS);
    big[RXA_ORIGIN_HEADER_MAX] = ',';
    big[RXA_ORIGIN_HEADER_MAX + 1] = '\0';
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05040", 8));

    /* 32 elements pass, 33 fail, on one line or across lines. */
    many = apr_pstrdup(rxa_test_pool, "for=unknown");
    for (i = 1; i < RXA_FORWARDED_MAX_ELEMENTS; i++)
        many = apr_pstrcat(rxa_test_pool, many, ",for=unknown", NULL);
    line = many;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(els->nelts, RXA_FORWARDED_MAX_ELEMENTS);
    many = apr_pstrcat(rxa_test_pool, many, ",for=unknown", NULL);
    line = many;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05041", 8));
    for (i = 0; i <= RXA_FORWARDED_MAX_ELEMENTS; i++)
        lines[i] = "proto=https";
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, lines,
                                         RXA_FORWARDED_MAX_ELEMENTS, &els,
                                         &err), APR_SUCCESS);
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, lines,
                                         RXA_FORWARDED_MAX_ELEMENTS + 1, &els,
                                         &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05041", 8));

    /* 16 parameters in one element pass, 17 fail. */
    params = apr_pstrdup(rxa_test_pool, "p0=x");
    for (i = 1; i < 16; i++)
        params = apr_psprintf(rxa_test_pool, "%s;p%d=x", params, i);
    line = params;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_SUCCESS);
    params = apr_pstrcat(rxa_test_pool, params, ";p16=x", NULL);
    line = params;
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05048", 8));

    /* An over-long host in a quoted string. */
    big = apr_palloc(rxa_test_pool, 400);
    memset(big, 'a', 399);
    big[399] = '\0';
    line = apr_pstrcat(rxa_test_pool, "host=\"", big, "\"", NULL);
    ck_assert_int_eq(rxa_forwarded_parse(rxa_test_pool, &line, 1, &els, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05009", 8));
}
END_TEST

/* ---- the origin ------------------------------------------------------------- */

typedef struct {
    int tls, trusted, walk;
    const char *host;
    const char *fwd[3];
    const char *xproto, *xhost, *xport;
    const char *want;       /* origin, or NULL when refused */
    const char *tag;        /* the refusal's tag */
} ocase;

static apr_status_t compute(const ocase *c, int trusted, rxa_origin_t *out,
                            const char **err)
{
    rxa_origin_input_t in;
    int n = 0;

    memset(&in, 0, sizeof(in));
    in.is_tls = c->tls;
    in.host_header = c->host;
    in.peer_trusted = trusted;
    in.trusted = c->walk ? trusted_set() : NULL;
    while (n < 3 && c->fwd[n])
        n++;
    in.forwarded = c->fwd;
    in.n_forwarded = n;
    in.xf_proto = c->xproto;
    in.xf_host = c->xhost;
    in.xf_port = c->xport;
    *err = NULL;
    return rxa_origin_compute(rxa_test_pool, &in, out, err);
}

#define T .trusted = 1
#define W .trusted = 1, .walk = 1

static const ocase CASES[] = {
    /* The connection and the Host header. */
    { .tls = 1, .host = "app.example.com", .want = "https://app.example.com" },
    { .tls = 1, .host = "APP.Example.COM:443", .want = "https://app.example.com" },
    { .tls = 1, .host = "app.example.com:80", .want = "https://app.example.com:80" },
    { .tls = 0, .host = "app.example.com:80", .want = "http://app.example.com" },
    { .tls = 0, .host = "app.example.com:443", .want = "http://app.example.com:443" },
    { .tls = 1, .host = "app.example.com:8443", .want = "https://app.example.com:8443" },
    { .host = "localhost:8080", .want = "http://localhost:8080" },
    { .host = "[0:0::1]:8080", .want = "http://[::1]:8080" },
    { .host = "127.0.0.1", .want = "http://127.0.0.1" },
    { .host = "evil.com@good.example", .tag = "RXA05002" },
    { .host = "app.example.com\r\nX: 1", .tag = "RXA05002" },
    { .host = "app.example.com:0443", .tag = "RXA05006" },
    { .host = "", .tag = "RXA05001" },
    /* A malformed Host is refused from trusted peers too, even when a
     * forwarded host would replace it. */
    { T, .host = "bad host", .fwd = { "host=app.example.com" }, .tag = "RXA05002" },
    { T, .host = "bad host", .xhost = "app.example.com", .tag = "RXA05002" },

    /* Forwarded from a trusted peer. */
    { T, .host = "backend:8080", .fwd = { "proto=https;host=app.example.com" },
      .want = "https://app.example.com" },
    { T, .host = "backend:8080",
      .fwd = { "for=192.0.2.60;proto=https;by=203.0.113.43;host=app.example.com" },
      .want = "https://app.example.com" },
    { T, .host = "backend", .fwd = { "Proto=HTTPS;HOST=App.Example.COM" },
      .want = "https://app.example.com" },
    { T, .host = "backend", .fwd = { "proto=https;host=\"app.example.com:8443\"" },
      .want = "https://app.example.com:8443" },
    { T, .host = "backend", .fwd = { "proto=https;host=\"app.example.com:443\"" },
      .want = "https://app.example.com" },
    { T, .host = "backend", .fwd = { "proto=http;host=\"app.example.com:443\"" },
      .want = "http://app.example.com:443" },
    { T, .host = "backend", .fwd = { "proto=https;host=\"[2001:DB8::1]:8443\"" },
      .want = "https://[2001:db8::1]:8443" },
    { T, .host = "backend", .fwd = { "proto=https;host=\"[::1]\"" },
      .want = "https://[::1]" },
    { T, .host = "backend", .fwd = { "proto=https;host=\"app.exa\\mple.com\"" },
      .want = "https://app.example.com" },
    { T, .host = "backend",
      .fwd = { "for=\"[2001:db8:cafe::17]:4711\";proto=https;host=a.example" },
      .want = "https://a.example" },
    { T, .host = "backend", .fwd = { "for=unknown;host=a.example" },
      .want = "http://a.example" },
    { T, .tls = 1, .host = "backend", .fwd = { "proto=http" },
      .want = "http://backend" },
    /* Only a proto: host and port from the Host header. */
    { T, .host = "app.example.com", .fwd = { "proto=https" },
      .want = "https://app.example.com" },
    { T, .host = "app.example.com:8443", .fwd = { "proto=https" },
      .want = "https://app.example.com:8443" },
    /* Only a host: the scheme from the connection. */
    { T, .tls = 1, .host = "backend", .fwd = { "host=app.example.com" },
      .want = "https://app.example.com" },
    /* Spaces around ';' and ',', empty elements and pairs. */
    { T, .host = "backend", .fwd = { " , ;proto=https ;; host=a.example ; ,, " },
      .want = "https://a.example" },
    /* Forwarded wins over X-Forwarded-*, which are then not even read. */
    { T, .host = "backend", .fwd = { "proto=https;host=a.example" },
      .xproto = "http", .xhost = "b.example", .xport = "8080",
      .want = "https://a.example" },
    { T, .host = "backend", .fwd = { "proto=https;host=a.example" },
      .xproto = "ftp", .xhost = "evil.com@good", .xport = "+1",
      .want = "https://a.example" },
    /* Forwarded that only says for= gives way to X-Forwarded-*. */
    { T, .host = "backend", .fwd = { "for=192.0.2.43" }, .xproto = "https",
      .xhost = "a.example", .want = "https://a.example" },
    { T, .host = "backend", .fwd = { "for=192.0.2.43" },
      .want = "http://backend" },
    { T, .host = "backend", .fwd = { " , " }, .xproto = "https",
      .want = "https://backend" },
    /* ... but is still checked. */
    { T, .host = "backend", .fwd = { "for=192.0.2.43;for=1.1.1.1" },
      .xproto = "https", .tag = "RXA05047" },
    /* The nearest proxy's element wins: the rightmost. */
    { T, .host = "backend",
      .fwd = { "proto=https;host=evil.example, proto=https;host=app.example.com" },
      .want = "https://app.example.com" },
    { T, .host = "backend",
      .fwd = { "host=evil.example", "host=app.example.com;proto=https" },
      .want = "https://app.example.com" },
    { T, .host = "backend",
      .fwd = { "host=evil.example, for=1.2.3.4", "for=5.6.7.8" },
      .want = "http://backend" },
    /* Chains: walk left across elements whose for= is trusted. */
    { W, .host = "backend",
      .fwd = { "for=198.51.100.1;proto=https;host=public.example",
               "for=10.1.2.3;proto=http;host=internal.lb" },
      .want = "https://public.example" },
    { T, .host = "backend",
      .fwd = { "for=198.51.100.1;proto=https;host=public.example",
               "for=10.1.2.3;proto=http;host=internal.lb" },
      .want = "http://internal.lb" },
    { W, .host = "backend",
      .fwd = { "for=198.51.100.1;proto=https;host=public.example, "
               "for=10.0.0.9;host=mid.example, for=\"[2001:db8:1::5]:443\"" },
      .want = "https://public.example" },
    { W, .host = "backend",
      .fwd = { "for=198.51.100.1;proto=https;host=public.example, "
               "for=\"[::ffff:10.0.0.9]\";host=mid.example" },
      .want = "https://public.example" },
    /* A client forging for= on the left gains nothing. */
    { W, .host = "backend",
      .fwd = { "for=10.0.0.1;host=evil.example;proto=https",
               "for=198.51.100.9;proto=https;host=app.example.com" },
      .want = "https://app.example.com" },
    { W, .host = "backend",
      .fwd = { "for=10.0.0.5;host=evil.example, for=_hidden;host=app.example.com" },
      .want = "http://app.example.com" },
    { W, .host = "backend",
      .fwd = { "for=10.0.0.5;host=evil.example, for=unknown;host=app.example.com" },
      .want = "http://app.example.com" },
    /* What the chosen element lacks comes from its right. */
    { W, .host = "backend",
      .fwd = { "for=198.51.100.1;proto=https",
               "for=10.0.0.2;host=app.example.com;proto=http" },
      .want = "https://app.example.com" },
    /* Every for= trusted: stop at the leftmost element. */
    { W, .host = "backend",
      .fwd = { "for=10.0.0.3;host=a.example;proto=https, for=10.0.0.4;host=b.example" },
      .want = "https://a.example" },

    /* Hostile Forwarded from a trusted peer: refused (400). */
    { T, .host = "backend", .fwd = { "host=\"a.example" }, .tag = "RXA05044" },
    { T, .host = "backend", .fwd = { "host=a.example\r\nX: 1" }, .tag = "RXA05046" },
    { T, .host = "backend", .fwd = { "host=\"evil.com@good\"" }, .tag = "RXA05002" },
    { T, .host = "backend", .fwd = { "host=a.example;host=b.example" }, .tag = "RXA05047" },
    { T, .host = "backend", .fwd = { "proto=javascript" }, .tag = "RXA05049" },
    { T, .host = "backend", .fwd = { "host=\"a.example:+443\"" }, .tag = "RXA05006" },
    /* ... in any element, not only the one used. */
    { T, .host = "backend", .fwd = { "host=\"bad host\", host=a.example" }, .tag = "RXA05002" },

    /* X-Forwarded-* from a trusted peer. */
    { T, .host = "backend:8080", .xproto = "https", .xhost = "app.example.com",
      .want = "https://app.example.com" },
    { T, .host = "backend", .xproto = "HTTPS", .want = "https://backend" },
    { T, .host = "backend", .xproto = "http, https", .want = "https://backend" },
    { T, .host = "backend", .xproto = "https, http", .want = "http://backend" },
    { T, .host = "backend", .xproto = " https ,, ", .want = "https://backend" },
    { T, .host = "backend", .xhost = "evil.example, app.example.com",
      .want = "http://app.example.com" },
    { T, .host = "backend", .xproto = "https", .xhost = "App.Example.com:8443",
      .xport = "443", .want = "https://app.example.com:8443" },
    { T, .host = "backend", .xproto = "https", .xhost = "app.example.com",
      .xport = "8443", .want = "https://app.example.com:8443" },
    { T, .host = "backend", .xproto = "https", .xhost = "app.example.com",
      .xport = "8443, 443", .want = "https://app.example.com" },
    { T, .host = "backend", .xproto = "https", .xport = "443",
      .want = "https://backend" },
    { T, .host = "backend:8080", .xproto = "https", .xport = "8443",
      .want = "https://backend:8080" },
    { T, .host = "backend", .xproto = "https", .xhost = "[::1]:8443",
      .want = "https://[::1]:8443" },
    { T, .tls = 1, .host = "backend", .xproto = "", .xhost = " ", .xport = ",",
      .want = "https://backend" },
    /* Hostile X-Forwarded-* from a trusted peer. */
    { T, .host = "backend", .xproto = "ftp", .tag = "RXA05052" },
    { T, .host = "backend", .xproto = "https\r\n", .tag = "RXA05052" },
    { T, .host = "backend", .xproto = "https;", .tag = "RXA05052" },
    { T, .host = "backend", .xproto = "https http", .tag = "RXA05052" },
    { T, .host = "backend", .xproto = "ftp, https", .tag = "RXA05052" },
    { T, .host = "backend", .xhost = "evil.com@good", .tag = "RXA05002" },
    { T, .host = "backend", .xhost = "a.example/path", .tag = "RXA05002" },
    { T, .host = "backend", .xhost = "a example", .tag = "RXA05002" },
    { T, .host = "backend", .xhost = "a.example\r\nSet-Cookie: x=1", .tag = "RXA05002" },
    { T, .host = "backend", .xhost = "a.example:+443", .tag = "RXA05006" },
    { T, .host = "backend", .xhost = "b\xc3\xbc" "cher.example", .tag = "RXA05002" },
    { T, .host = "backend", .xhost = "a.example.", .tag = "RXA05008" },
    { T, .host = "backend", .xhost = "\"a.example\"", .tag = "RXA05002" },
    { T, .host = "backend", .xport = "+443", .tag = "RXA05006" },
    { T, .host = "backend", .xport = "0443", .tag = "RXA05006" },
    { T, .host = "backend", .xport = "0", .tag = "RXA05006" },
    { T, .host = "backend", .xport = "65536", .tag = "RXA05006" },
    { T, .host = "backend", .xport = "443 443", .tag = "RXA05006" },
    { T, .host = "backend", .xport = "0x1bb", .tag = "RXA05006" },
};

START_TEST(origin_table)
{
    apr_size_t i;
    rxa_origin_t out;
    const char *err;

    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const ocase *c = &CASES[i];
        apr_status_t rv = compute(c, c->trusted, &out, &err);
        if (c->want) {
            ck_assert_msg(rv == APR_SUCCESS, "case %u refused: %s",
                          (unsigned)i, err ? err : "");
            ck_assert_msg(!strcmp(out.origin, c->want), "case %u: %s, "
                          "wanted %s", (unsigned)i, out.origin, c->want);
        }
        else {
            ck_assert_msg(rv == APR_EINVAL, "case %u accepted: %s",
                          (unsigned)i, out.origin);
            ck_assert_msg(err && !strncmp(err, c->tag, 8),
                          "case %u: %s, wanted %s", (unsigned)i,
                          err ? err : "NULL", c->tag);
        }
    }
}
END_TEST

/* From an untrusted peer every forwarded header, hostile or not, is
 * ignored: the result is the one from the connection and Host alone. */
START_TEST(origin_untrusted_ignores)
{
    apr_size_t i;
    rxa_origin_t out, plain;
    const char *err, *perr;

    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const ocase *c = &CASES[i];
        ocase bare;
        apr_status_t rv, prv;

        memset(&bare, 0, sizeof(bare));
        bare.tls = c->tls;
        bare.host = c->host;
        rv = compute(c, 0, &out, &err);
        prv = compute(&bare, 0, &plain, &perr);
        ck_assert_msg(rv == prv, "case %u: untrusted %d, bare %d", (unsigned)i,
                      rv, prv);
        if (rv == APR_SUCCESS) {
            ck_assert_str_eq(out.origin, plain.origin);
            ck_assert_int_eq(out.source, RXA_ORIGIN_FROM_CONNECTION);
        }
        else {
            ck_assert_str_eq(err, perr);
        }
    }
}
END_TEST

/* Every origin produced is already in rxa_origin_normalize form, and its
 * parts agree with it. */
START_TEST(origin_normal_form)
{
    apr_size_t i;
    rxa_origin_t out;
    const char *err, *norm;

    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        if (compute(&CASES[i], CASES[i].trusted, &out, &err))
            continue;
        ck_assert_int_eq(rxa_origin_normalize(rxa_test_pool, out.origin,
                                              &norm, &err), APR_SUCCESS);
        ck_assert_str_eq(norm, out.origin);
        ck_assert_str_eq(out.origin,
                         out.port ? apr_psprintf(rxa_test_pool, "%s://%s:%u",
                                                 out.scheme, out.host,
                                                 (unsigned)out.port)
                                  : apr_pstrcat(rxa_test_pool, out.scheme,
                                                "://", out.host, NULL));
        ck_assert(out.port != 443 || strcmp(out.scheme, "https"));
        ck_assert(out.port != 80 || strcmp(out.scheme, "http"));
    }
}
END_TEST

START_TEST(origin_fields)
{
    ocase c;
    rxa_origin_t out;
    const char *err;

    memset(&c, 0, sizeof(c));
    c.trusted = 1;
    c.host = "backend:8080";
    c.fwd[0] = "proto=https;host=\"[2001:db8::1]:8443\"";
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_SUCCESS);
    ck_assert_str_eq(out.scheme, "https");
    ck_assert_str_eq(out.host, "[2001:db8::1]");
    ck_assert_uint_eq(out.port, 8443);
    ck_assert_int_eq(out.source, RXA_ORIGIN_FROM_FORWARDED);

    c.fwd[0] = NULL;
    c.xproto = "https";
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(out.source, RXA_ORIGIN_FROM_X_FORWARDED);
    ck_assert_str_eq(out.host, "backend");
    ck_assert_uint_eq(out.port, 8080);

    c.xproto = NULL;
    c.host = "app.example.com:443";
    c.tls = 1;
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(out.source, RXA_ORIGIN_FROM_CONNECTION);
    ck_assert_str_eq(out.scheme, "https");
    ck_assert_uint_eq(out.port, 0);
    ck_assert_str_eq(out.origin, "https://app.example.com");
}
END_TEST

/* No Host header (HTTP/1.0): the server name and the local port. */
START_TEST(origin_no_host)
{
    rxa_origin_input_t in;
    rxa_origin_t out;
    const char *err;

    memset(&in, 0, sizeof(in));
    in.server_name = "www.example.com";
    in.local_port = 8080;
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.origin, "http://www.example.com:8080");
    in.is_tls = 1;
    in.local_port = 443;
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.origin, "https://www.example.com");
    in.local_port = 0;
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.origin, "https://www.example.com");
    /* A Host header, when there is one, wins. */
    in.host_header = "app.example.com";
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.origin, "https://app.example.com");
    in.host_header = NULL;
    in.server_name = "bad name";
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05002", 8));
    in.server_name = NULL;
    ck_assert_int_eq(rxa_origin_compute(rxa_test_pool, &in, &out, &err),
                     APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05060", 8));
}
END_TEST

START_TEST(origin_xf_limits)
{
    ocase c;
    rxa_origin_t out;
    const char *err;
    char *list, *big;
    int i;

    memset(&c, 0, sizeof(c));
    c.host = "backend";
    list = apr_pstrdup(rxa_test_pool, "http");
    for (i = 1; i < RXA_FORWARDED_MAX_ELEMENTS; i++)
        list = apr_pstrcat(rxa_test_pool, list, ", http", NULL);
    c.xproto = list;
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_SUCCESS);
    c.xproto = apr_pstrcat(rxa_test_pool, list, ", https", NULL);
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05051", 8));
    big = apr_palloc(rxa_test_pool, RXA_ORIGIN_HEADER_MAX + 2);
    memset(big, ' ', RXA_ORIGIN_HEADER_MAX + 1);
    big[RXA_ORIGIN_HEADER_MAX + 1] = '\0';
    c.xproto = big;
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05050", 8));
    big[RXA_ORIGIN_HEADER_MAX] = '\0';
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_SUCCESS);
    c.xproto = NULL;
    big[RXA_ORIGIN_HEADER_MAX] = ' ';
    c.host = big;
    ck_assert_int_eq(compute(&c, 1, &out, &err), APR_EINVAL);
    ck_assert(!strncmp(err, "RXA05009", 8));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("forwarded");
    TCase *tc = rxa_tcase("forwarded");

    tcase_add_test(tc, trusted_parse);
    tcase_add_test(tc, trusted_contains);
    tcase_add_test(tc, forwarded_fields);
    tcase_add_test(tc, forwarded_refused);
    tcase_add_test(tc, forwarded_limits);
    tcase_add_test(tc, origin_table);
    tcase_add_test(tc, origin_untrusted_ignores);
    tcase_add_test(tc, origin_normal_form);
    tcase_add_test(tc, origin_fields);
    tcase_add_test(tc, origin_no_host);
    tcase_add_test(tc, origin_xf_limits);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
