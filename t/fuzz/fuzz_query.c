/* Fuzz target: the strict query-string parser. What it accepts is bounded,
 * and encoding the parameters again (rxa_url_encode) and parsing that gives
 * the same parameters, in the same order, with the same repeated names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "rxa_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    apr_table_t *t, *t2;
    apr_array_header_t *rep, *rep2;
    const apr_array_header_t *e, *e2;
    const char *err, *q = "";
    int i;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (rxa_query_parse(p, apr_pstrmemdup(p, (const char *)data, size), &t,
                        &rep, &err) != APR_SUCCESS) {
        if (!err || strncmp(err, "RXA041", 6))
            abort();
        apr_pool_destroy(p);
        return 0;
    }
    e = apr_table_elts(t);
    if (e->nelts > RXA_QUERY_MAX_PARAMS || rep->nelts > e->nelts)
        abort();
    for (i = 0; i < e->nelts; i++) {
        const apr_table_entry_t *en = &APR_ARRAY_IDX(e, i, apr_table_entry_t);
        if (!*en->key)
            abort();
        q = apr_pstrcat(p, q, i ? "&" : "", rxa_url_encode(p, en->key), "=",
                        rxa_url_encode(p, en->val), NULL);
    }
    /* Encoding may triple the length past the limit; only shorter ones
     * can round-trip. */
    if (strlen(q) <= RXA_QUERY_MAX_LEN) {
        if (rxa_query_parse(p, q, &t2, &rep2, &err) != APR_SUCCESS)
            abort();
        e2 = apr_table_elts(t2);
        if (e2->nelts != e->nelts || rep2->nelts != rep->nelts)
            abort();
        for (i = 0; i < e->nelts; i++) {
            const apr_table_entry_t *a = &APR_ARRAY_IDX(e, i,
                                                        apr_table_entry_t);
            const apr_table_entry_t *b = &APR_ARRAY_IDX(e2, i,
                                                        apr_table_entry_t);
            if (strcmp(a->key, b->key) || strcmp(a->val, b->val))
                abort();
        }
        for (i = 0; i < rep->nelts; i++) {
            if (strcmp(APR_ARRAY_IDX(rep, i, const char *),
                       APR_ARRAY_IDX(rep2, i, const char *)))
                abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
