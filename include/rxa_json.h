/* JSON from untrusted sources (IdP documents, token headers and claims).
 *
 * A thin layer over jansson: a size limit, a nesting-depth limit and
 * duplicate keys refused before anything is built, and the result owned by
 * an APR pool so no caller decrefs by hand.
 */
#ifndef RXA_JSON_H
#define RXA_JSON_H

#include <apr_pools.h>
#include <jansson.h>

/* Deeper nesting than this is refused: no IdP document or token needs it. */
#define RXA_JSON_MAX_DEPTH 32

/* Parse exactly LEN bytes of BUF (no NUL needed) as one JSON value of at most
 * MAX_LEN bytes. On success the value is released when POOL is cleared. On
 * failure returns NULL and, when PERR is given, a tagged message without any
 * of the input's content. */
json_t *rxa_json_parse(apr_pool_t *pool, const char *buf, apr_size_t len,
                       apr_size_t max_len, const char **perr);

/* Parse and insist on an object. */
json_t *rxa_json_parse_object(apr_pool_t *pool, const char *buf,
                              apr_size_t len, apr_size_t max_len,
                              const char **perr);

/* Tie an owned reference to POOL: json_decref runs at cleanup. */
json_t *rxa_json_pool_own(apr_pool_t *pool, json_t *json);

/* V as JSON text (json_dumps with FLAGS) in POOL; NULL when V is NULL or
 * the dump fails (out of memory). */
char *rxa_json_text(apr_pool_t *pool, const json_t *v, size_t flags);

/* The string member KEY of OBJ, or NULL when absent or not a string. */
const char *rxa_json_get_str(const json_t *obj, const char *key);

#endif
