/* Test helper for claim checks: a claim set made from a good one with some
 * members changed. Include after rxa_test.h. */
#ifndef RXA_CLAIMS_TEST_H
#define RXA_CLAIMS_TEST_H

#include <jansson.h>

#include "rxa_json.h"

/* BASE (a JSON object) with members replaced or added from EXTRA (a JSON
 * object whose null members delete; NULL: none), owned by POOL. */
static inline json_t *rxa_test_claims(apr_pool_t *pool, const char *base,
                                      const char *extra)
{
    const char *err;
    json_t *c = rxa_json_parse(pool, base, strlen(base), 4096, &err);
    const char *k;
    json_t *v;

    ck_assert_msg(c != NULL, "bad base JSON %s", base);
    if (extra) {
        json_t *x = rxa_json_parse(pool, extra, strlen(extra), 4096, &err);
        ck_assert_msg(x != NULL, "bad test JSON %s", extra);
        json_object_foreach(x, k, v) {
            if (json_is_null(v))
                json_object_del(c, k);
            else
                json_object_set(c, k, v);
        }
    }
    return c;
}

#endif
