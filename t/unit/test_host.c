/* Unit tests: the host grammar (rxa_host.h), one for the Host header,
 * Forwarded host=, X-Forwarded-Host and the authority of a URL; and the
 * loopback hosts plain http is allowed to. */
#include "rxa_test.h"
#include "rxa_host.h"
#include "rxa_origin.h"
#include "rxa_redirect.h"

/* ---- host[:port] ------------------------------------------------------------ */

static const char *host_of(const char *hostport, apr_port_t *port,
                           const char **err)
{
    const char *host;

    *err = NULL;
    if (rxa_host_parse(rxa_test_pool, hostport, &host, port, err))
        return NULL;
    return host;
}

START_TEST(host_ok)
{
    static const struct { const char *in, *host; apr_port_t port; } cases[] = {
        { "app.example.com", "app.example.com", 0 },
        { "APP.Example.COM", "app.example.com", 0 },
        { "app.example.com:443", "app.example.com", 443 },
        { "app.example.com:8443", "app.example.com", 8443 },
        { "app.example.com:65535", "app.example.com", 65535 },
        { "app.example.com:1", "app.example.com", 1 },
        { "localhost:8080", "localhost", 8080 },
        { "localhost", "localhost", 0 },
        { "127.0.0.1", "127.0.0.1", 0 },
        { "255.255.255.255:80", "255.255.255.255", 80 },
        { "0.0.0.0", "0.0.0.0", 0 },
        { "[::1]", "[::1]", 0 },
        { "[::1]:8080", "[::1]", 8080 },
        { "[0:0:0:0:0:0:0:1]", "[::1]", 0 },
        { "[::]", "[::]", 0 },
        { "[2001:DB8::1]", "[2001:db8::1]", 0 },
        { "[2001:0db8:0000:0000:0000:ff00:0042:8329]:443",
          "[2001:db8::ff00:42:8329]", 443 },
        { "[2001:db8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]", 0 },
        { "[1:0:1:0:1:0:1:0]", "[1:0:1:0:1:0:1:0]", 0 },
        { "[1:0:0:0:0:0:0:0]", "[1::]", 0 },
        { "[0:0:1:0:0:0:1:0]", "[0:0:1::1:0]", 0 },
        { "[::ffff:102:304]", "[::ffff:102:304]", 0 },
        { "app_backend:8080", "app_backend", 8080 },
        { "xn--bcher-kva.example", "xn--bcher-kva.example", 0 },
        { "1a.example", "1a.example", 0 },
        { "example.123a", "example.123a", 0 },
        { "example.0xg", "example.0xg", 0 },
        { "a", "a", 0 },
        { "a-b.c-d", "a-b.c-d", 0 },
    };
    apr_size_t i;
    apr_port_t port;
    const char *err, *host;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        host = host_of(cases[i].in, &port, &err);
        ck_assert_msg(host && !strcmp(host, cases[i].host),
                      "%s: got %s (%s)", cases[i].in, host ? host : "NULL",
                      err ? err : "");
        ck_assert_msg(port == cases[i].port, "%s: port %u", cases[i].in,
                      (unsigned)port);
    }
}
END_TEST

START_TEST(host_refused)
{
    static const struct { const char *in, *tag; } cases[] = {
        { "", "RXA05001" },
        { ":443", "RXA05001" },
        { "app.example.com.", "RXA05008" },
        { "app.example.com.:443", "RXA05008" },
        { ".example.com", "RXA05004" },
        { "a..example.com", "RXA05004" },
        { "-a.example", "RXA05004" },
        { "a-.example", "RXA05004" },
        { "evil.com@good.example", "RXA05002" },
        { "user:pass@app.example.com", "RXA05006" },
        { "user@app.example.com", "RXA05002" },
        { "a b", "RXA05002" },
        { " app.example.com", "RXA05002" },
        { "app.example.com ", "RXA05002" },
        { "a\tb", "RXA05002" },
        { "app.example.com\r\nX-Injected: 1", "RXA05002" },
        { "app.example.com\n", "RXA05002" },
        { "app.example.com\x7f", "RXA05002" },
        { "example.com/path", "RXA05002" },
        { "example.com\\evil", "RXA05002" },
        { "ex%61mple.com", "RXA05002" },
        { "example.com?x", "RXA05002" },
        { "example.com#x", "RXA05002" },
        { "a,b.example", "RXA05002" },
        { "a;b.example", "RXA05002" },
        { "\"app.example.com\"", "RXA05002" },
        { "b\xc3\xbc" "cher.example", "RXA05002" },
        { "\xef\xbc\x8e" "example.com", "RXA05002" },
        { "app.example.com:", "RXA05006" },
        { "app.example.com:+443", "RXA05006" },
        { "app.example.com:-1", "RXA05006" },
        { "app.example.com:0443", "RXA05006" },
        { "app.example.com:0", "RXA05006" },
        { "app.example.com:65536", "RXA05006" },
        { "app.example.com:99999", "RXA05006" },
        { "app.example.com:123456", "RXA05006" },
        { "app.example.com:443x", "RXA05006" },
        { "app.example.com: 443", "RXA05006" },
        { "app.example.com:44 3", "RXA05006" },
        { "app.example.com:443:443", "RXA05006" },
        { "app.example.com:0x1bb", "RXA05006" },
        { "app.example.com:\xd9\xa4", "RXA05006" },
        { "::1", "RXA05001" },
        { "[::1", "RXA05003" },
        { "[::1]x", "RXA05007" },
        { "[::1]:", "RXA05006" },
        { "[::1]:0443", "RXA05006" },
        { "[]", "RXA05003" },
        { "[:]", "RXA05003" },
        { "[:::]", "RXA05003" },
        { "[g::1]", "RXA05003" },
        { "[1:2:3:4:5:6:7:8:9]", "RXA05003" },
        { "[fe80::1%eth0]", "RXA05003" },
        { "[fe80::1%25eth0]", "RXA05003" },
        { "[::ffff:1.2.3.4]", "RXA05003" },
        { "[ ::1]", "RXA05003" },
        { "[::1]]", "RXA05007" },
        { "[[::1]]", "RXA05003" },
        { "[127.0.0.1]", "RXA05003" },
        { "[v1.fe]", "RXA05003" },
        { "127.1", "RXA05005" },
        { "127.0.1", "RXA05005" },
        { "1.2.3.4.5", "RXA05005" },
        { "2130706433", "RXA05005" },
        { "0x7f000001", "RXA05005" },
        { "0x7f.0.0.1", "RXA05005" },
        { "0X7F.1", "RXA05005" },
        { "010.0.0.1", "RXA05005" },
        { "127.0.0.01", "RXA05005" },
        { "256.0.0.1", "RXA05005" },
        { "1.2.3.1000", "RXA05005" },
        { "example.0x1f", "RXA05005" },
        { "example.42", "RXA05005" },
        { "example.0x", "RXA05005" },
    };
    apr_size_t i;
    apr_port_t port;
    const char *err, *host;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        host = host_of(cases[i].in, &port, &err);
        ck_assert_msg(!host, "%s: accepted as %s", cases[i].in, host);
        ck_assert_msg(err && !strncmp(err, cases[i].tag, 8),
                      "case %u: %s, wanted %s", (unsigned)i,
                      err ? err : "NULL", cases[i].tag);
    }
    ck_assert_int_eq(rxa_host_parse(rxa_test_pool, NULL, &host, &port, &err),
                     APR_EINVAL);
    ck_assert_str_eq(err, "RXA05010: no host");
}
END_TEST

/* Length limits: 63-byte labels and 253-byte names pass, one more fails. */
START_TEST(host_lengths)
{
    char label[65], name[300], *big;
    apr_port_t port;
    const char *err;
    int i;

    memset(label, 'a', 63);
    label[63] = '\0';
    ck_assert_ptr_nonnull(host_of(apr_pstrcat(rxa_test_pool, label,
                                              ".example", NULL), &port, &err));
    label[63] = 'a';
    label[64] = '\0';
    ck_assert_ptr_null(host_of(apr_pstrcat(rxa_test_pool, label, ".example",
                                           NULL), &port, &err));
    ck_assert_str_eq(err, "RXA05004: host name with an empty or over-long "
                     "label, or one starting or ending with '-'");
    /* 63 * 4 + 3 dots = 255, cut to 253 and 254. */
    label[63] = '\0';
    name[0] = '\0';
    for (i = 0; i < 4; i++) {
        strcat(name, label);
        if (i < 3)
            strcat(name, ".");
    }
    name[253] = '\0';
    ck_assert_ptr_nonnull(host_of(name, &port, &err));
    name[253] = 'a';
    name[254] = '\0';
    ck_assert_ptr_null(host_of(name, &port, &err));
    ck_assert(!strncmp(err, "RXA05009", 8));
    big = apr_palloc(rxa_test_pool, RXA_ORIGIN_HEADER_MAX + 2);
    memset(big, 'a', RXA_ORIGIN_HEADER_MAX + 1);
    big[RXA_ORIGIN_HEADER_MAX + 1] = '\0';
    ck_assert_ptr_null(host_of(big, &port, &err));
    ck_assert(!strncmp(err, "RXA05009", 8));
}
END_TEST

/* ---- one grammar for URLs too --------------------------------------------- */

/* The authority of a URL takes the same grammar as a Host header: for each
 * host[:port], "https://" + it has an origin exactly when it parses, and
 * that origin is built from the parsed host and port. */
static void same_as_url(const char *hostport)
{
    apr_pool_t *p = rxa_test_pool;
    const char *host = NULL, *origin = NULL, *err = NULL, *want;
    apr_port_t port = 0;
    apr_status_t hrv, urv;

    hrv = rxa_host_parse(p, hostport, &host, &port, &err);
    urv = rxa_origin_normalize(p, apr_pstrcat(p, "https://", hostport, "/x",
                                              NULL), &origin, &err);
    ck_assert_msg(hrv == urv, "%s: Host %d, URL %d (%s)", hostport, hrv, urv,
                  err ? err : "");
    if (hrv != APR_SUCCESS)
        return;
    want = port && port != 443
        ? apr_psprintf(p, "https://%s:%u", host, (unsigned)port)
        : apr_pstrcat(p, "https://", host, NULL);
    ck_assert_str_eq(origin, want);
}

/* Where the URL grammar used to be looser than the Host header's: each of
 * these was an origin ("https://a.example:" and ":08443" even equal to
 * another spelling) and is refused now, for the reason the Host header
 * gives. */
START_TEST(url_host_as_strict)
{
    static const struct { const char *url, *tag; } refused[] = {
        { "https://app.example.com:", "RXA05006" },
        { "https://app.example.com:/x", "RXA05006" },
        { "https://app.example.com:08443", "RXA05006" },
        { "https://app.example.com:0443/", "RXA05006" },
        { "https://app.example.com.", "RXA05008" },
        { "https://app.example.com.:443/x", "RXA05008" },
        { "https://a..example.com", "RXA05004" },
        { "https://.example.com", "RXA05004" },
        { "https://-a.example", "RXA05004" },
        { "https://a-.example", "RXA05004" },
        { "https://127.1", "RXA05005" },
        { "https://1.2.3.4.5", "RXA05005" },
        { "https://0x7f000001", "RXA05005" },
        { "https://010.0.0.1", "RXA05005" },
        { "https://256.0.0.1", "RXA05005" },
        { "https://example.42", "RXA05005" },
        { "https://[::ffff:1.2.3.4]", "RXA05003" },
        { "https://[:::]", "RXA05003" },
        { "https://[1:2:3:4:5:6:7:8:9]", "RXA05003" },
        { "https://[g::1]", "RXA05003" },
        { "https://[fe80::1%25eth0]", "RXA05003" },
        { "https://[127.0.0.1]", "RXA05003" },
        { "https://[::1]]", "RXA05007" },
    };
    static const struct { const char *url, *origin; } normalised[] = {
        { "https://[0:0:0:0:0:0:0:1]:8443/x", "https://[::1]:8443" },
        { "https://[2001:0DB8:0000::0001]", "https://[2001:db8::1]" },
        { "http://[::1]:80", "http://[::1]" },
    };
    apr_pool_t *p = rxa_test_pool;
    const char *o, *err;
    char label[65];
    apr_size_t i;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *auth = refused[i].url + strlen("https://"), *herr = NULL;
        apr_port_t port;

        err = NULL;
        ck_assert_msg(rxa_origin_normalize(p, refused[i].url, &o, &err)
                      == APR_EINVAL, "%s accepted", refused[i].url);
        ck_assert_int_eq(rxa_host_parse(p, apr_pstrndup(p, auth,
                                                        strcspn(auth, "/")),
                                        &o, &port, &herr), APR_EINVAL);
        ck_assert_msg(!strncmp(herr, refused[i].tag, 8), "%s: %s, wanted %s",
                      refused[i].url, herr, refused[i].tag);
        ck_assert_str_eq(err, apr_pstrcat(p, "RXA04130: URL host or port "
                                          "refused: ", herr + 10, NULL));
    }
    for (i = 0; i < sizeof(normalised) / sizeof(normalised[0]); i++) {
        ck_assert_int_eq(rxa_origin_normalize(p, normalised[i].url, &o, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(o, normalised[i].origin);
    }
    memset(label, 'a', 64);
    label[64] = '\0';
    ck_assert_int_eq(rxa_origin_normalize(p, apr_pstrcat(p, "https://", label,
                                                         ".example", NULL),
                                          &o, &err), APR_EINVAL);
    ck_assert_str_eq(err, "RXA04130: URL host or port refused: host name with "
                     "an empty or over-long label, or one starting or ending "
                     "with '-'");
}
END_TEST

/* The origins redirect_to is compared with: a spelling the Host header
 * would normalise (IPv6, case, default port) names the same origin; one it
 * would refuse names none. */
START_TEST(redirect_to_same_grammar)
{
    apr_pool_t *p = rxa_test_pool;
    const char *reason;

    ck_assert_str_eq(rxa_redirect_to_sanitize(p, "https://[0::1]:8443/x?y",
                                              "https://[::1]:8443", &reason),
                     "/x?y");
    ck_assert_ptr_null(reason);
    ck_assert_str_eq(rxa_redirect_to_sanitize(p, "HTTPS://APP.example.com:443"
                                              "/x", "https://app.example.com",
                                              &reason), "/x");
    ck_assert_ptr_null(reason);
    ck_assert_str_eq(rxa_redirect_to_sanitize(p, "https://app.example.com:/x",
                                              "https://app.example.com",
                                              &reason), "/");
    ck_assert_ptr_nonnull(reason);
    ck_assert_str_eq(rxa_redirect_to_sanitize(p, "https://app.example.com./x",
                                              "https://app.example.com",
                                              &reason), "/");
    ck_assert_ptr_nonnull(reason);
    ck_assert_str_eq(rxa_redirect_to_sanitize(p, "https://app.example.com:0443"
                                              "/x", "https://app.example.com",
                                              &reason), "/");
    ck_assert_ptr_nonnull(reason);
}
END_TEST

START_TEST(url_and_host_agree)
{
    static const char *const cases[] = {
        "app.example.com", "APP.Example.COM:443", "app.example.com:8443",
        "localhost:8080", "127.0.0.1", "255.255.255.255:80", "[::1]:8080",
        "[0:0:0:0:0:0:0:1]", "[2001:DB8::1]", "app_backend:8080",
        "xn--bcher-kva.example", "example.0xg", "a", "app.example.com:",
        "app.example.com:0443", "app.example.com.", "a..b", "-a.example",
        "127.1", "1.2.3.4.5", "0x7f", "[:::]", "[::ffff:1.2.3.4]", "[::1",
        "[::1]x", ":443", "", "a b", "ex%61mple.com", "b\xc3\xbc" "cher.example",
        "app.example.com:65536", "app.example.com:0", "app.example.com:+1",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        same_as_url(cases[i]);
}
END_TEST

/* ---- loopback ----------------------------------------------------------------- */

START_TEST(loopback_hosts)
{
    ck_assert(rxa_host_is_loopback("localhost"));
    ck_assert(rxa_host_is_loopback("LocalHost"));
    ck_assert(rxa_host_is_loopback("127.0.0.1"));
    ck_assert(rxa_host_is_loopback("127.1.2.3"));
    ck_assert(rxa_host_is_loopback("::1"));
    ck_assert(rxa_host_is_loopback("[::1]"));
    ck_assert(!rxa_host_is_loopback("128.0.0.1"));
    ck_assert(!rxa_host_is_loopback("localhost.evil.com"));
    ck_assert(!rxa_host_is_loopback("127.0.0.1.nip.io"));
    ck_assert(!rxa_host_is_loopback("[::2]"));
    ck_assert(!rxa_host_is_loopback(""));
    ck_assert(!rxa_host_is_loopback(NULL));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("host");
    TCase *tc = rxa_tcase("host");

    tcase_add_test(tc, host_ok);
    tcase_add_test(tc, host_refused);
    tcase_add_test(tc, host_lengths);
    tcase_add_test(tc, url_host_as_strict);
    tcase_add_test(tc, redirect_to_same_grammar);
    tcase_add_test(tc, url_and_host_agree);
    tcase_add_test(tc, loopback_hosts);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
