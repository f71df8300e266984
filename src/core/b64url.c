/* Strict unpadded base64url: see rxa_b64url.h. */
#include "rxa_b64url.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *rxa_b64url_encode(apr_pool_t *pool, const unsigned char *data,
                        apr_size_t len)
{
    char *out = apr_palloc(pool, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *o++ = b64url_alphabet[data[i] >> 2];
        *o++ = b64url_alphabet[((data[i] & 0x03) << 4) | (data[i + 1] >> 4)];
        *o++ = b64url_alphabet[((data[i + 1] & 0x0f) << 2) | (data[i + 2] >> 6)];
        *o++ = b64url_alphabet[data[i + 2] & 0x3f];
    }
    if (len - i == 1) {
        *o++ = b64url_alphabet[data[i] >> 2];
        *o++ = b64url_alphabet[(data[i] & 0x03) << 4];
    }
    else if (len - i == 2) {
        *o++ = b64url_alphabet[data[i] >> 2];
        *o++ = b64url_alphabet[((data[i] & 0x03) << 4) | (data[i + 1] >> 4)];
        *o++ = b64url_alphabet[(data[i + 1] & 0x0f) << 2];
    }
    *o = '\0';
    return out;
}

/* Character -> 6-bit value; XX (top bit set) for anything outside the
 * alphabet. A table, since tokens are decoded on every verification. */
#define XX 0x80
static const unsigned char b64url_values[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
    XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, 63,
    XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

apr_status_t rxa_b64url_decode(apr_pool_t *pool, const char *in,
                               apr_size_t inlen, unsigned char **out,
                               apr_size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t i, n = 0, rest = inlen % 4;
    unsigned long v;
    unsigned char *buf;

    if (rest == 1)
        return APR_EINVAL;
    buf = apr_palloc(pool, inlen / 4 * 3 + 3);
    for (i = 0; i + 4 <= inlen; i += 4) {
        unsigned a = b64url_values[s[i]], b = b64url_values[s[i + 1]],
                 c = b64url_values[s[i + 2]], d = b64url_values[s[i + 3]];
        if ((a | b | c | d) & 0x80)
            return APR_EINVAL;
        v = (unsigned long)a << 18 | (unsigned long)b << 12 | c << 6 | d;
        buf[n++] = (unsigned char)(v >> 16);
        buf[n++] = (unsigned char)(v >> 8);
        buf[n++] = (unsigned char)v;
    }
    if (rest) {
        unsigned a = b64url_values[s[i]], b = b64url_values[s[i + 1]],
                 c = rest == 3 ? b64url_values[s[i + 2]] : 0;
        if ((a | b | c) & 0x80)
            return APR_EINVAL;
        v = (unsigned long)a << 18 | (unsigned long)b << 12 | c << 6;
        /* Leftover bits must be zero: one encoding per byte string. */
        if (v & (rest == 2 ? 0xffffUL : 0xffUL))
            return APR_EINVAL;
        buf[n++] = (unsigned char)(v >> 16);
        if (rest == 3)
            buf[n++] = (unsigned char)(v >> 8);
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return APR_SUCCESS;
}
