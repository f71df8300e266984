/* Fuzz target: the websocket frame scanner. The first byte chooses the
 * flags and a chunk size; the rest is the stream, scanned whole by one
 * scanner and in chunks of that size by another. Both must agree on
 * every frame start and on the state at the end; offsets stay inside
 * their chunk; an in-sync scanner is at a boundary exactly after a frame
 * ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxa_wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rxa_wsframe_scan_t whole, part;
    apr_size_t chunk, off, n, first, total = 0, starts;
    int flags;

    if (size < 1)
        return 0;
    flags = data[0] & 1 ? RXA_WSFRAME_HEAD_OPTIONAL : 0;
    chunk = (apr_size_t)(data[0] >> 1) + 1;
    data++;
    size--;
    rxa_wsframe_scan_init(&whole, flags);
    rxa_wsframe_scan_init(&part, flags);
    starts = rxa_wsframe_scan(&whole, data, size, &first);
    if (first > size || (starts && first >= size) || (!starts && first != size))
        abort();
    for (off = 0; off < size; off += n) {
        n = size - off < chunk ? size - off : chunk;
        total += rxa_wsframe_scan(&part, data + off, n, &first);
        if (first > n)
            abort();
    }
    if (whole.mode != part.mode
        || rxa_wsframe_at_boundary(&whole) != rxa_wsframe_at_boundary(&part))
        abort();
    /* frame starts are counted alike while in sync (out of sync, each
     * chunk counts once) */
    if (whole.mode != RXA_WSFRAME_OUT_OF_SYNC && total != starts)
        abort();
    if (whole.mode == RXA_WSFRAME_FRAMES
        && (whole.hlen != part.hlen || whole.payload_left != part.payload_left))
        abort();
    return 0;
}
