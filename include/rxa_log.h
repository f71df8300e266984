/* Logging for the httpd-free core.
 *
 * The core never includes httpd headers: the module hands it a callback at
 * start-up (rxa_log_set), tests and tools hand it their own. Levels use the
 * syslog numbers httpd's APLOG_* also use. Every message starts with its own
 * tag, "RXA0nnnn: ", and never carries a token, code, secret or cookie value.
 * A tag is used once (t/guard/log_tags.py checks it); a new message takes
 * the next free number of its file's range:
 *   RXA000xx-RXA002xx  the httpd glue (mod_reflex_auth.c and src/)
 *   RXA010xx           json.c            RXA011xx  http.c
 *   RXA020xx           provider.c        RXA021xx  metadata.c, issuer.c,
 *                                                  fetcher.c
 *   RXA030xx           jwk.c             RXA032xx  alg.c, jws.c
 *   RXA033xx           claims.c          RXA035xx  seal.c
 *   RXA037xx           random.c, pkce.c
 *   RXA040xx           cookie.c          RXA041xx  redirect.c, query.c,
 *                                                  origin.c (URLs)
 *   RXA050xx           host.c, forwarded.c, origin.c (the request's origin)
 *   RXA060xx           template.c        RXA070xx  token_response.c
 *   RXA080xx           shcache*.c        RXA081xx  logout_token.c
 *   RXA082xx           revocation.c
 *   RXA083xx and up    free, for new core files
 */
#ifndef RXA_LOG_H
#define RXA_LOG_H

#include <apr_errno.h>

#define RXA_LOG_ERR    3
#define RXA_LOG_WARN   4
#define RXA_LOG_NOTICE 5
#define RXA_LOG_INFO   6
#define RXA_LOG_DEBUG  7

#define RXA_LOG_MARK __FILE__, __LINE__

typedef void rxa_log_print_fn(void *baton, const char *file, int line,
                              int level, apr_status_t rv, const char *msg);
typedef int rxa_log_enabled_fn(void *baton, int level);

/* Install the sink; NULL functions silence the core. Not thread-safe: call
 * once, before any request runs. */
void rxa_log_set(rxa_log_print_fn *print, rxa_log_enabled_fn *enabled,
                 void *baton);

int rxa_log_enabled(int level);

void rxa_log(const char *file, int line, int level, apr_status_t rv,
             const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
