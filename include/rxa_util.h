/* Small helpers shared by the core: URL policy and string lists. */
#ifndef RXA_UTIL_H
#define RXA_UTIL_H

#include <apr_pools.h>
#include <apr_tables.h>

/* True when URL is absolute https, or http to a loopback host: the only
 * outbound URLs the module calls (issuers and the endpoints they name). */
int rxa_url_is_secure(apr_pool_t *pool, const char *url);

/* URL without one trailing '/', a new string when one was removed. */
const char *rxa_strip_trailing_slash(apr_pool_t *pool, const char *url);

/* Split S on ASCII whitespace into an array of const char *, adding each word
 * not already present (order of first appearance kept). */
void rxa_words_merge(apr_pool_t *pool, apr_array_header_t *into,
                     const char *s);

/* Join an array of const char * with SEP. */
const char *rxa_words_join(apr_pool_t *pool, const apr_array_header_t *words,
                           const char *sep);

/* Whether an array of const char * holds WORD. */
int rxa_words_contain(const apr_array_header_t *words, const char *word);

#endif
