/* Fuzz target: a discovery document and a key set from the IdP. */
#include <stdint.h>
#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    rxa_metadata_t *md;
    const char *err;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    rxa_metadata_parse(p, "https://idp.example.com", (const char *)data,
                       size, &md, &err);
    rxa_metadata_parse(p, "https://login.microsoftonline.com/common/v2.0",
                       (const char *)data, size, &md, &err);
    apr_pool_destroy(p);
    return 0;
}
