/* Fuzz target: the Cookie request header and chunk reassembly.
 *
 * Input: two bytes choosing the length of a value to store (short, around
 * one chunk, or up to the largest, by the first byte's top bits), then the
 * Cookie header a (hostile) browser sends. Every lookup must stay within
 * its bounds. Then the value is stored over that header as the module
 * would (rxa_cookie_set_chunked, stale chunks expired), the Set-Cookie
 * values are applied to a small model of the browser's jar, and reading
 * the jar back must give exactly the value stored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_cookie.h"

#define FUZZ_NAME "__Host-reflex_fuzz_id_token"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The jar: every cookie of HEADER whose name starts with FUZZ_NAME, then
 * each Set-Cookie value of SET replaces (or, with Max-Age=0, removes) all
 * cookies of its name; the header it sends back. */
static const char *jar_apply(apr_pool_t *p, const apr_array_header_t *jar,
                             const apr_array_header_t *set)
{
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(const char *));
    apr_array_header_t *values = apr_array_make(p, 8, sizeof(const char *));
    const char *h = "";
    int i, j;

    for (i = 0; i < jar->nelts; i++) {
        APR_ARRAY_PUSH(names, const char *) =
            APR_ARRAY_IDX(jar, i, rxa_cookie_t).name;
        APR_ARRAY_PUSH(values, const char *) =
            APR_ARRAY_IDX(jar, i, rxa_cookie_t).value;
    }
    for (i = 0; i < set->nelts; i++) {
        const char *sc = APR_ARRAY_IDX(set, i, const char *);
        const char *eq = strchr(sc, '=');
        const char *name = apr_pstrmemdup(p, sc, (apr_size_t)(eq - sc));
        const char *value = apr_pstrmemdup(p, eq + 1, strcspn(eq + 1, ";"));
        int keep = !strstr(sc, "; Max-Age=0;");

        for (j = 0; j < names->nelts; j++) {
            const char *n = APR_ARRAY_IDX(names, j, const char *);
            if (n && !strcmp(n, name))
                APR_ARRAY_IDX(names, j, const char *) = NULL;
        }
        if (keep) {
            APR_ARRAY_PUSH(names, const char *) = name;
            APR_ARRAY_PUSH(values, const char *) = value;
        }
    }
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        if (n)
            h = apr_pstrcat(p, h, *h ? "; " : "", n, "=",
                            APR_ARRAY_IDX(values, i, const char *), NULL);
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char b64u[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static char pattern[RXA_COOKIE_MAX_VALUE + 256];
    static apr_pool_t *root;
    apr_pool_t *p;
    apr_array_header_t *found = NULL, *set;
    const char *v, *err, *h;
    char *header, *value;
    apr_size_t vlen, i;
    int more;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        for (i = 0; i < sizeof(pattern); i++)
            pattern[i] = b64u[(i * 7 + i / 64) % 64];
    }
    if (size < 2)
        return 0;
    apr_pool_create(&p, root);
    /* Long values cost time in every run: chunked ones in one run of 16,
     * around one chunk in 7, short ones in the others. */
    vlen = (apr_size_t)data[0] << 8 | data[1];
    if ((data[0] & 0xf0) == 0xf0)
        vlen %= RXA_COOKIE_MAX_VALUE + 1;
    else if (data[0] & 0x80)
        vlen %= RXA_COOKIE_CHUNK_SIZE + 101;
    else
        vlen %= 256;
    header = apr_pstrmemdup(p, (const char *)data + 2, size - 2);

    if (rxa_cookie_get(p, header, "a", &v, &err) == APR_SUCCESS
        && strlen(v) > strlen(header))
        abort();
    if (rxa_cookie_get_chunked(p, header, FUZZ_NAME, &v, &err)
        == APR_SUCCESS && strlen(v) > RXA_COOKIE_MAX_VALUE)
        abort();
    if (rxa_cookie_find_prefix(p, header, "__Host-", 4, &found, &more, &err)
        == APR_SUCCESS && found->nelts > 4)
        abort();

    /* Store a value over this header; the browser must read it back. */
    value = apr_pstrmemdup(p, pattern + data[1], vlen);
    set = apr_array_make(p, 8, sizeof(const char *));
    if (rxa_cookie_set_chunked(p, FUZZ_NAME, value, &rxa_cookie_auth_attrs,
                               header, set, &err) != APR_SUCCESS)
        abort();
    found = NULL;
    if (rxa_cookie_find_prefix(p, header, FUZZ_NAME, 64, &found, &more,
                               &err) != APR_SUCCESS) {
        /* Too long to read: only slots 0..MAX-1 can be relied upon. */
        found = apr_array_make(p, 1, sizeof(rxa_cookie_t));
        more = 0;
    }
    /* More than 2 * MAX_CHUNKS stale chunk names are not all expired in
     * one response (bounded output); skip the check then. */
    if (more || found->nelts > 2 * RXA_COOKIE_MAX_CHUNKS) {
        apr_pool_destroy(p);
        return 0;
    }
    h = jar_apply(p, found, set);
    if (rxa_cookie_get_chunked(p, h, FUZZ_NAME, &v, &err) != APR_SUCCESS
        || strcmp(v, value))
        abort();

    /* Deleting leaves nothing to read. */
    set = apr_array_make(p, 8, sizeof(const char *));
    if (rxa_cookie_delete_chunked(p, FUZZ_NAME, &rxa_cookie_auth_attrs, h,
                                  set, &err) != APR_SUCCESS)
        abort();
    found = NULL;
    if (rxa_cookie_find_prefix(p, h, FUZZ_NAME, 64, &found, &more, &err)
        != APR_SUCCESS)
        abort();
    h = jar_apply(p, found, set);
    if (rxa_cookie_get_chunked(p, h, FUZZ_NAME, &v, &err) != APR_NOTFOUND)
        abort();
    apr_pool_destroy(p);
    return 0;
}
