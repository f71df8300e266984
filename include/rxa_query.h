/* Query strings, both ways: parsing one (strict
 * application/x-www-form-urlencoded, '&' and ';' both separating
 * parameters) and percent-encoding a value to put into one or into a form
 * body. rxa_url_encode is the inverse of the decoding rxa_query_parse does:
 * every byte but NUL survives encode then parse.
 */
#ifndef RXA_QUERY_H
#define RXA_QUERY_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Longest query string parsed (httpd's LimitRequestLine is 8190). */
#define RXA_QUERY_MAX_LEN      8192
/* Most parameters in one query string, empty pieces ("&&") not counted. */
#define RXA_QUERY_MAX_PARAMS   64

/* Parse QUERY (r->args: without '?', NULL for none). '&' and ';' separate
 * parameters, empty pieces are skipped, "name" alone is "name=". Names and
 * values are percent-decoded, '+' as space. Refused with APR_EINVAL and a
 * tagged *ERR: a query over RXA_QUERY_MAX_LEN, more than
 * RXA_QUERY_MAX_PARAMS parameters, a '%' without two hex digits, an
 * encoded NUL, a raw control character or space. Pieces with an empty
 * name ("=x") are skipped. On success *PARAMS holds every parameter in
 * order (apr_table_get gives the first) and *REPEATED (never NULL) the
 * names, each once, seen more than once. apr_table keys ignore case, so
 * "state" and "STATE" count as repeated too. Repeated parameters are not
 * refused here: a caller that must refuse them (the sign-in callback:
 * two codes or two states are an attack, not a typo) checks
 * REPEATED->nelts. Decoded values may hold control characters other than
 * NUL (an IdP's error_description): escape them before use. */
apr_status_t rxa_query_parse(apr_pool_t *pool, const char *query,
                             apr_table_t **params,
                             apr_array_header_t **repeated,
                             const char **err);

/* Percent-encode S for a query component: every byte but the RFC 3986
 * unreserved set (A-Z a-z 0-9 - . _ ~) becomes %XX (upper case), space
 * included. NULL gives "". */
char *rxa_url_encode(apr_pool_t *pool, const char *s);

/* The byte rules of a query string, for the core's other percent-encoded
 * inputs (redirect_to) to read escapes and control characters exactly as
 * rxa_query_parse does. */

/* The value of the hex digit C, or -1. */
int rxa_query_hexval(char c);

/* Whether S starts with a valid escape: '%' and two hex digits. Reads
 * S[1] only when S[0] is '%', S[2] only when S[1] is a hex digit. */
int rxa_query_is_escape(const char *s);

/* Whether C is a control character: 0x00-0x1f or 0x7f. */
int rxa_query_is_ctl(unsigned char c);

#endif
