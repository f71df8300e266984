/* Fuzz target: redirect_to. Whatever comes in, what comes out is a path on
 * the request's own origin, and sanitizing it again changes nothing. The
 * input is tried as the decoded value and as a query string carrying it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "rxa_query.h"
#include "rxa_redirect.h"
#include "rxa_redirect_test.h"

#define FUZZ_ORIGIN "https://app.example.com"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(apr_pool_t *p, const char *value, const char *origin)
{
    const char *reason, *r = rxa_redirect_to_sanitize(p, value, origin,
                                                      &reason);

    if (!stays_on_origin(r) || (reason && strcmp(r, "/"))
        || (reason && strncmp(reason, "RXA041", 6)))
        abort();
    if (strlen(r) <= RXA_REDIRECT_TO_MAX
        && strcmp(rxa_redirect_to_sanitize(p, r, origin, NULL), r))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    apr_table_t *params;
    apr_array_header_t *rep;
    const char *value, *err;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    value = apr_pstrmemdup(p, (const char *)data, size);
    check(p, value, FUZZ_ORIGIN);
    check(p, value, NULL);
    check(p, apr_pstrcat(p, FUZZ_ORIGIN, value, NULL), FUZZ_ORIGIN);
    if (rxa_query_parse(p, apr_pstrcat(p, "redirect_to=", value, NULL),
                        &params, &rep, &err) == APR_SUCCESS)
        check(p, apr_table_get(params, "redirect_to"), FUZZ_ORIGIN);
    apr_pool_destroy(p);
    return 0;
}
