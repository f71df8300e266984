/* Websocket framing followed across chunk splits (see rxa_wsframe.h). */
#include <string.h>

#include "rxa_wsframe.h"

#define OPCODE_CONTROL 0x8
#define CONTROL_MAX    125

void rxa_wsframe_scan_init(rxa_wsframe_scan_t *s, int flags)
{
    memset(s, 0, sizeof(*s));
    s->mode = RXA_WSFRAME_FRAMES;
    s->may_head = (flags & RXA_WSFRAME_HEAD_OPTIONAL) != 0;
    s->hneed = 2;
}

/* The first two header bytes are in: how long the whole header is, or 0
 * for a control frame that breaks the rules. */
static apr_size_t header_size(const unsigned char *h)
{
    unsigned int len7 = h[1] & 0x7F;

    if ((h[0] & OPCODE_CONTROL) && (!(h[0] & 0x80) || len7 > CONTROL_MAX))
        return 0;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
}

/* The payload length of a complete header; non-zero *BAD for a 64-bit
 * length with its top bit set. */
static apr_uint64_t payload_size(const unsigned char *h, int *bad)
{
    unsigned int len7 = h[1] & 0x7F;
    apr_uint64_t n = 0;
    int i;

    *bad = 0;
    if (len7 < 126)
        return len7;
    if (len7 == 126)
        return ((apr_uint64_t)h[2] << 8) | h[3];
    if (h[2] & 0x80)
        *bad = 1;
    for (i = 2; i < 10; i++)
        n = (n << 8) | h[i];
    return n;
}

/* One byte of an HTTP head; the head ends after CRLF CRLF. */
static void head_byte(rxa_wsframe_scan_t *s, unsigned char c)
{
    static const char end[] = "\r\n\r\n";

    if (s->head_len < sizeof(s->line) - 1)
        s->line[s->head_len] = (char)c;
    s->head_len++;
    if (c == (unsigned char)end[s->crlf])
        s->crlf++;
    else
        s->crlf = c == '\r';
    if (s->crlf == 4) {
        /* "HTTP/1.x 101" and a space or the line's end */
        s->mode = s->head_len >= 13 && !memcmp(s->line, "HTTP/1.", 7)
                  && !memcmp(s->line + 8, " 101", 4)
                  && (s->line[12] == ' ' || s->line[12] == '\r')
                  ? RXA_WSFRAME_FRAMES : RXA_WSFRAME_TRANSPARENT;
    }
    else if (s->head_len > RXA_WSFRAME_HEAD_MAX)
        s->mode = RXA_WSFRAME_OUT_OF_SYNC;
}

apr_size_t rxa_wsframe_scan(rxa_wsframe_scan_t *s, const unsigned char *data,
                            apr_size_t len, apr_size_t *first)
{
    apr_size_t i = 0, starts = 0;
    int bad;

    *first = len;
    while (i < len) {
        if (s->mode == RXA_WSFRAME_TRANSPARENT)
            return starts;
        if (s->mode == RXA_WSFRAME_OUT_OF_SYNC) {
            *first = 0;
            return starts ? starts : 1;
        }
        if (s->mode == RXA_WSFRAME_HEAD) {
            head_byte(s, data[i++]);
            continue;
        }
        if (s->payload_left) {
            apr_uint64_t skip = len - i;

            if (skip > s->payload_left)
                skip = s->payload_left;
            i += (apr_size_t)skip;
            s->payload_left -= skip;
            continue;
        }
        if (s->hlen == 0) {
            if (s->may_head && data[i] == 'H') {
                s->may_head = 0;
                s->mode = RXA_WSFRAME_HEAD;
                continue;
            }
            s->may_head = 0;
            if (!starts++)
                *first = i;
        }
        s->hdr[s->hlen++] = data[i++];
        if (s->hlen == 2 && !(s->hneed = header_size(s->hdr))) {
            s->mode = RXA_WSFRAME_OUT_OF_SYNC;
            continue;
        }
        if (s->hlen == s->hneed) {
            s->payload_left = payload_size(s->hdr, &bad);
            s->hlen = 0;
            s->hneed = 2;
            if (bad) {
                s->payload_left = 0;
                s->mode = RXA_WSFRAME_OUT_OF_SYNC;
            }
        }
    }
    return starts;
}

int rxa_wsframe_at_boundary(const rxa_wsframe_scan_t *s)
{
    return s->mode == RXA_WSFRAME_FRAMES && s->hlen == 0 && !s->payload_left;
}

apr_size_t rxa_wsframe_close(unsigned char *buf, unsigned int code,
                             const char *reason)
{
    apr_size_t rlen = reason ? strlen(reason) : 0;

    if (rlen > CONTROL_MAX - 2)
        rlen = CONTROL_MAX - 2;
    buf[0] = 0x80 | OPCODE_CONTROL;
    buf[1] = (unsigned char)(2 + rlen);
    buf[2] = (unsigned char)(code >> 8);
    buf[3] = (unsigned char)code;
    if (rlen)
        memcpy(buf + 4, reason, rlen);
    return 4 + rlen;
}
