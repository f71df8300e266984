/* URL policy and word lists: see rxa_util.h. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "rxa_host.h"
#include "rxa_util.h"

int rxa_url_is_secure(apr_pool_t *pool, const char *url)
{
    apr_uri_t uri;

    if (!url || apr_uri_parse(pool, url, &uri) != APR_SUCCESS
        || !uri.scheme || !uri.hostname || !*uri.hostname)
        return 0;
    /* No credentials in configured URLs: they would end up in logs. */
    if (uri.user || uri.password)
        return 0;
    if (!strcasecmp(uri.scheme, "https"))
        return 1;
    return !strcasecmp(uri.scheme, "http") && rxa_host_is_loopback(uri.hostname);
}

const char *rxa_strip_trailing_slash(apr_pool_t *pool, const char *url)
{
    apr_size_t len = url ? strlen(url) : 0;

    if (len > 0 && url[len - 1] == '/')
        return apr_pstrmemdup(pool, url, len - 1);
    return url;
}

int rxa_words_contain(const apr_array_header_t *words, const char *word)
{
    int i;

    for (i = 0; i < words->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(words, i, const char *), word))
            return 1;
    return 0;
}

void rxa_words_merge(apr_pool_t *pool, apr_array_header_t *into,
                     const char *s)
{
    while (s && *s) {
        const char *start;

        while (*s && apr_isspace(*s))
            s++;
        start = s;
        while (*s && !apr_isspace(*s))
            s++;
        if (s > start) {
            const char *word = apr_pstrmemdup(pool, start, (apr_size_t)(s - start));
            if (!rxa_words_contain(into, word))
                APR_ARRAY_PUSH(into, const char *) = word;
        }
    }
}

const char *rxa_words_join(apr_pool_t *pool, const apr_array_header_t *words,
                           const char *sep)
{
    const char *out = "";
    int i;

    for (i = 0; i < words->nelts; i++)
        out = i ? apr_pstrcat(pool, out, sep, APR_ARRAY_IDX(words, i, const char *), NULL)
                : APR_ARRAY_IDX(words, i, const char *);
    return out;
}
