/* Fuzz target: bounded JSON parsing (rxa_json_parse). Whatever parses must
 * serialize and parse again to an equal value; failures carry a tag. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "rxa_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    const char *err = NULL;
    json_t *j, *again;
    char *text;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    j = rxa_json_parse(p, (const char *)data, size, 64 * 1024, &err);
    if (!j) {
        if (!err || strncmp(err, "RXA0", 4))
            abort();
    }
    else {
        text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            abort();
        again = rxa_json_parse(p, text, strlen(text), 1 << 20, &err);
        if (!again || !json_equal(j, again))
            abort();
        free(text);
        rxa_json_get_str(j, "a");
        rxa_json_parse_object(p, (const char *)data, size, 64 * 1024, &err);
    }
    apr_pool_destroy(p);
    return 0;
}
