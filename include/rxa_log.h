/* Logging for the httpd-free core.
 *
 * The core never includes httpd headers: the module hands it a callback at
 * start-up (rxa_log_set), tests and tools hand it their own. Levels use the
 * syslog numbers httpd's APLOG_* also use. Every message starts with its own
 * tag, "RXA0nnnn: ", and never carries a token, code, secret or cookie value.
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
