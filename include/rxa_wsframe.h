/* The framing of one direction of a websocket (RFC 6455 section 5.2),
 * followed byte by byte across arbitrary chunk splits, without looking
 * into payloads: where each frame starts, and whether the stream is at a
 * frame boundary (where a frame of our own may be put in).
 *
 * A stream may begin with an HTTP head (the backend's own "HTTP/1.1 101"
 * when a tunnel forwards it raw): with RXA_WSFRAME_HEAD_OPTIONAL a first
 * byte 'H' starts a head, which is skipped; a 101 head is followed by
 * frames, any other status makes the scanner transparent (no frame starts
 * reported, never at a boundary: nothing may be put in). A frame cannot
 * begin with 'H' (0x48: a fragmented close frame with RSV1 set).
 *
 * A malformed frame header (a 64-bit length with its top bit set, a
 * control frame that is fragmented or longer than 125 bytes), or an HTTP
 * head longer than RXA_WSFRAME_HEAD_MAX, puts the scanner out of sync:
 * from then on every chunk counts as a frame start at offset 0 and the
 * stream is never at a boundary.
 *
 * Httpd-free and allocation-free; one scanner per direction. */
#ifndef RXA_WSFRAME_H
#define RXA_WSFRAME_H

#include <apr.h>

#define RXA_WSFRAME_HEAD_MAX 65536

typedef enum {
    RXA_WSFRAME_FRAMES,       /* reading frames */
    RXA_WSFRAME_HEAD,         /* inside an HTTP head */
    RXA_WSFRAME_TRANSPARENT,  /* the head was not a 101: no websocket */
    RXA_WSFRAME_OUT_OF_SYNC   /* a malformed header was seen */
} rxa_wsframe_mode_e;

#define RXA_WSFRAME_HEAD_OPTIONAL 1

typedef struct rxa_wsframe_scan {
    rxa_wsframe_mode_e mode;
    int may_head;                 /* a head may still begin */
    /* the frame header being read: its bytes so far, how many it has */
    unsigned char hdr[14];
    apr_size_t hlen, hneed;
    apr_uint64_t payload_left;    /* of the current frame, after its header */
    /* the HTTP head: its first bytes (the status line's start), its
     * length, how much of CRLF CRLF ends what was read */
    char line[14];
    apr_size_t head_len;
    int crlf;
} rxa_wsframe_scan_t;

/* A scanner at the start of a stream; FLAGS 0 or RXA_WSFRAME_HEAD_OPTIONAL. */
void rxa_wsframe_scan_init(rxa_wsframe_scan_t *s, int flags);

/* Follow LEN bytes of DATA. Returns how many frames start in them (out of
 * sync: 1 for any non-empty chunk), and in *FIRST the offset of the first
 * (LEN when none). */
apr_size_t rxa_wsframe_scan(rxa_wsframe_scan_t *s, const unsigned char *data,
                            apr_size_t len, apr_size_t *first);

/* Non-zero when the bytes followed so far end exactly at a frame
 * boundary of an in-sync websocket stream. */
int rxa_wsframe_at_boundary(const rxa_wsframe_scan_t *s);

/* The close frame a server sends (unmasked, FIN, opcode 8) with CODE and
 * REASON (at most 123 bytes, truncated beyond) into BUF (at least 127
 * bytes); returns its length. */
apr_size_t rxa_wsframe_close(unsigned char *buf, unsigned int code,
                             const char *reason);

#endif
