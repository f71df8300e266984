/* Fuzz target: strict base64url. Decoding accepts exactly the canonical
 * encodings (decode then encode gives the input back), and any bytes
 * survive encode then decode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    unsigned char *out;
    apr_size_t len;
    const char *enc;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (rxa_b64url_decode(p, (const char *)data, size, &out, &len)
        == APR_SUCCESS) {
        enc = rxa_b64url_encode(p, out, len);
        if (strlen(enc) != size || memcmp(enc, data, size) || out[len] != 0)
            abort();
    }
    enc = rxa_b64url_encode(p, data, size);
    if (rxa_b64url_decode(p, enc, strlen(enc), &out, &len) != APR_SUCCESS
        || len != size || (size && memcmp(out, data, size)))
        abort();
    apr_pool_destroy(p);
    return 0;
}
