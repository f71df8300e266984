/* Logging sink for the core: see rxa_log.h. */
#include <stdarg.h>
#include <stdio.h>

#include "rxa_log.h"

static rxa_log_print_fn *log_print;
static rxa_log_enabled_fn *log_enabled;
static void *log_baton;

void rxa_log_set(rxa_log_print_fn *print, rxa_log_enabled_fn *enabled,
                 void *baton)
{
    log_print = print;
    log_enabled = enabled;
    log_baton = baton;
}

int rxa_log_enabled(int level)
{
    if (!log_print)
        return 0;
    return log_enabled ? log_enabled(log_baton, level) : 1;
}

void rxa_log(const char *file, int line, int level, apr_status_t rv,
             const char *fmt, ...)
{
    char buf[2048];
    va_list ap;

    if (!rxa_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_print(log_baton, file, line, level, rv, buf);
}
