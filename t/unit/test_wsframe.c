/* The websocket frame scanner: frame starts and boundaries across every
 * chunk split, the optional HTTP head, malformed headers. */
#include "rxa_test.h"

#include "rxa_wsframe.h"

/* A frame into BUF: header (masked when MASK) and LEN payload bytes of
 * 'x'; returns its length. */
static apr_size_t frame(unsigned char *buf, int fin, int opcode,
                        apr_uint64_t len, int mask)
{
    apr_size_t n = 0;
    int i;

    buf[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126)
        buf[n++] = (unsigned char)((mask ? 0x80 : 0) | len);
    else if (len < 65536) {
        buf[n++] = (unsigned char)((mask ? 0x80 : 0) | 126);
        buf[n++] = (unsigned char)(len >> 8);
        buf[n++] = (unsigned char)len;
    }
    else {
        buf[n++] = (unsigned char)((mask ? 0x80 : 0) | 127);
        for (i = 7; i >= 0; i--)
            buf[n++] = (unsigned char)(len >> (8 * i));
    }
    if (mask) {
        memcpy(buf + n, "\x01\x02\x03\x04", 4);
        n += 4;
    }
    memset(buf + n, 'x', (size_t)len);
    return n + (apr_size_t)len;
}

/* A stream of frames of every header form, the offsets where each starts. */
static unsigned char stream[4 * 70000];
static apr_size_t starts[16], nstarts, slen;

static void make_stream(void)
{
    static const struct { int fin, op; apr_uint64_t len; int mask; } f[] = {
        { 1, 1, 5, 1 }, { 0, 2, 0, 0 }, { 0, 0, 300, 1 }, { 1, 0, 125, 0 },
        { 1, 9, 4, 1 }, { 1, 10, 0, 0 }, { 1, 2, 65536, 1 }, { 1, 1, 126, 0 },
        { 1, 8, 2, 1 },
    };
    apr_size_t i;

    slen = nstarts = 0;
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        starts[nstarts++] = slen;
        slen += frame(stream + slen, f[i].fin, f[i].op, f[i].len, f[i].mask);
    }
}

static int is_start(apr_size_t off)
{
    apr_size_t i;

    for (i = 0; i < nstarts; i++)
        if (starts[i] == off)
            return 1;
    return 0;
}

/* The stream cut at A and B: three chunks; the starts reported in each,
 * and the boundary after each, are those of the whole stream. */
static void check_split(apr_size_t a, apr_size_t b)
{
    rxa_wsframe_scan_t s;
    apr_size_t cut[4] = { 0, a, b, slen }, k, j, n, first, want, want_first;

    rxa_wsframe_scan_init(&s, 0);
    for (k = 0; k < 3; k++) {
        want = 0;
        want_first = cut[k + 1] - cut[k];
        for (j = cut[k]; j < cut[k + 1]; j++)
            if (is_start(j) && !want++)
                want_first = j - cut[k];
        n = rxa_wsframe_scan(&s, stream + cut[k], cut[k + 1] - cut[k], &first);
        ck_assert_uint_eq(n, want);
        ck_assert_uint_eq(first, want_first);
        ck_assert_int_eq(rxa_wsframe_at_boundary(&s),
                         is_start(cut[k + 1]) || cut[k + 1] == slen);
    }
}

START_TEST(every_split)
{
    apr_size_t a, b;

    make_stream();
    ck_assert_uint_eq(nstarts, 9);
    /* every cut in the small frames; around each boundary of the rest */
    for (a = 0; a <= 420; a++)
        for (b = a; b <= 460; b += 7)
            check_split(a, b);
    for (a = 0; a < nstarts; a++)
        for (b = 0; b < 12; b++)
            check_split(starts[a] > 5 ? starts[a] - 5 : 0,
                        starts[a] + b > slen ? slen : starts[a] + b);
}
END_TEST

START_TEST(byte_by_byte)
{
    rxa_wsframe_scan_t s;
    apr_size_t i, first, seen = 0;

    make_stream();
    rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
    ck_assert(rxa_wsframe_at_boundary(&s));
    for (i = 0; i < slen; i++) {
        apr_size_t n = rxa_wsframe_scan(&s, stream + i, 1, &first);
        ck_assert_uint_eq(n, is_start(i));
        ck_assert_uint_eq(first, n ? 0 : 1);
        seen += n;
        ck_assert_int_eq(rxa_wsframe_at_boundary(&s), is_start(i + 1)
                                                      || i + 1 == slen);
    }
    ck_assert_uint_eq(seen, nstarts);
    ck_assert_uint_eq(rxa_wsframe_scan(&s, stream, 0, &first), 0);
    ck_assert_uint_eq(first, 0);
}
END_TEST

START_TEST(http_head)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    rxa_wsframe_scan_t s;
    unsigned char buf[sizeof(head) + 16];
    apr_size_t hl = sizeof(head) - 1, n, first, i;

    memcpy(buf, head, hl);
    n = hl + frame(buf + hl, 1, 1, 3, 0);
    /* whole */
    rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
    ck_assert_uint_eq(rxa_wsframe_scan(&s, buf, n, &first), 1);
    ck_assert_uint_eq(first, hl);
    ck_assert(rxa_wsframe_at_boundary(&s));
    /* split inside CRLF CRLF and everywhere else */
    for (i = 1; i < n; i++) {
        rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
        ck_assert_uint_eq(rxa_wsframe_scan(&s, buf, i, &first), i > hl);
        ck_assert_int_eq(rxa_wsframe_at_boundary(&s), i == hl);
        ck_assert_uint_eq(rxa_wsframe_scan(&s, buf + i, n - i, &first),
                          i <= hl);
        if (i <= hl)
            ck_assert_uint_eq(first, hl - i);
        ck_assert(rxa_wsframe_at_boundary(&s));
    }
    /* without the flag, 'H' is a malformed frame: out of sync */
    rxa_wsframe_scan_init(&s, 0);
    ck_assert_uint_eq(rxa_wsframe_scan(&s, buf, n, &first), 1);
    ck_assert_int_eq(s.mode, RXA_WSFRAME_OUT_OF_SYNC);
    ck_assert(!rxa_wsframe_at_boundary(&s));
    /* only before the first frame */
    rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
    ck_assert_uint_eq(rxa_wsframe_scan(&s, buf + hl, n - hl, &first), 1);
    rxa_wsframe_scan(&s, buf, n, &first);
    ck_assert_int_eq(s.mode, RXA_WSFRAME_OUT_OF_SYNC);
}
END_TEST

START_TEST(refused_head_is_transparent)
{
    static const char *const heads[] = {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        "HTTP/1.1 403 Forbidden\r\n\r\n\x81\x01x",
        "HTTP/1.0 200 OK\n\n\r\n\r\n\x81\x01x",
        "HTTP/1.1 1010\r\n\r\n\x81\x01x",
        "HTTP\r\n\r\n\x81\x01x",
    };
    rxa_wsframe_scan_t s;
    apr_size_t i, first;

    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
        ck_assert_uint_eq(rxa_wsframe_scan(&s, (const unsigned char *)heads[i],
                                           strlen(heads[i]), &first), 0);
        ck_assert_int_eq(s.mode, RXA_WSFRAME_TRANSPARENT);
        ck_assert(!rxa_wsframe_at_boundary(&s));
        ck_assert_uint_eq(rxa_wsframe_scan(&s, (const unsigned char *)"\x81\x00",
                                           2, &first), 0);
    }
}
END_TEST

START_TEST(endless_head_goes_out_of_sync)
{
    rxa_wsframe_scan_t s;
    unsigned char buf[4096];
    apr_size_t i, first, n = 0;

    memset(buf, 'a', sizeof(buf));
    buf[0] = 'H';
    rxa_wsframe_scan_init(&s, RXA_WSFRAME_HEAD_OPTIONAL);
    for (i = 0; i <= RXA_WSFRAME_HEAD_MAX / sizeof(buf); i++)
        n += rxa_wsframe_scan(&s, buf, sizeof(buf), &first);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(s.mode, RXA_WSFRAME_OUT_OF_SYNC);
}
END_TEST

START_TEST(malformed_headers)
{
    static const char *const bad[] = {
        "\x88\x7e\x00\x80",                           /* control > 125 */
        "\x09\x00",                                   /* fragmented ping */
        "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01",   /* 64-bit top bit */
        "\x81\x01x\x0a\x00",                          /* after a good frame */
    };
    static const apr_size_t len[] = { 4, 2, 10, 5 };
    rxa_wsframe_scan_t s;
    apr_size_t i, first;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rxa_wsframe_scan_init(&s, 0);
        ck_assert_uint_ge(rxa_wsframe_scan(&s, (const unsigned char *)bad[i],
                                           len[i], &first), 1);
        ck_assert_int_eq(s.mode, RXA_WSFRAME_OUT_OF_SYNC);
        ck_assert(!rxa_wsframe_at_boundary(&s));
        /* every later chunk counts as a frame start at 0 */
        ck_assert_uint_eq(rxa_wsframe_scan(&s, (const unsigned char *)"zz", 2,
                                           &first), 1);
        ck_assert_uint_eq(first, 0);
        ck_assert_uint_eq(rxa_wsframe_scan(&s, (const unsigned char *)"", 0,
                                           &first), 0);
    }
}
END_TEST

START_TEST(close_frame)
{
    unsigned char buf[128], big[200];
    rxa_wsframe_scan_t s;
    apr_size_t n, first;

    n = rxa_wsframe_close(buf, 1008, "session ended");
    ck_assert_uint_eq(n, 17);
    ck_assert_mem_eq(buf, "\x88\x0f\x03\xf0session ended", 17);
    rxa_wsframe_scan_init(&s, 0);
    ck_assert_uint_eq(rxa_wsframe_scan(&s, buf, n, &first), 1);
    ck_assert(rxa_wsframe_at_boundary(&s));
    memset(big, 'r', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_uint_eq(rxa_wsframe_close(buf, 1000, (char *)big), 127);
    ck_assert_uint_eq(buf[1], 125);
    ck_assert_uint_eq(rxa_wsframe_close(buf, 1000, NULL), 4);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("wsframe");
    TCase *tc = rxa_tcase("scan");

    tcase_add_test(tc, every_split);
    tcase_add_test(tc, byte_by_byte);
    tcase_add_test(tc, http_head);
    tcase_add_test(tc, refused_head_is_transparent);
    tcase_add_test(tc, endless_head_goes_out_of_sync);
    tcase_add_test(tc, malformed_headers);
    tcase_add_test(tc, close_frame);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
