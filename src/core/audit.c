/* Audit log lines: see rxa_audit.h. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "rxa_audit.h"
#include "rxa_json.h"

static const char *const event_names[RXA_AUDIT_NEVENTS] = {
    "login_started", "login_completed", "logout", "token_refresh",
    "session_expired", "access_denied", "backchannel_logout",
    "bearer_refused"
};

#define RXA_AUDIT_REASON_NAME_(id, name) name,
static const char *const reason_names[RXA_AUDIT_NREASONS] = {
    RXA_AUDIT_REASONS(RXA_AUDIT_REASON_NAME_)
};
#undef RXA_AUDIT_REASON_NAME_

static const char *const field_names[RXA_AUDIT_NFIELDS] = {
    "error_id", "detail", "idp_error", "user", "issuer", "tenant", "scopes",
    "redirect_to", "path", "require", "client_id", "check"
};

/* Per-value byte limits tried in turn until the line fits: generous first,
 * then small enough that even 20 values of control characters (6 output
 * bytes each) fit in RXA_AUDIT_MAX_LINE. */
static const apr_size_t value_caps[] = { 1024, 256, 64, 16 };
#define NCAPS (sizeof(value_caps) / sizeof(value_caps[0]))

#define ELLIPSIS "..."
#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD in UTF-8 */

const char *rxa_audit_event_name(rxa_audit_event_e event)
{
    return (unsigned)event < RXA_AUDIT_NEVENTS ? event_names[event] : NULL;
}

const char *rxa_audit_reason_name(rxa_audit_reason_e reason)
{
    return (unsigned)reason < RXA_AUDIT_NREASONS ? reason_names[reason]
                                                 : NULL;
}

const char *rxa_audit_field_name(rxa_audit_field_e field)
{
    return (unsigned)field < RXA_AUDIT_NFIELDS ? field_names[field] : NULL;
}

/* Length of the well-formed UTF-8 sequence at S (N bytes left), 0 when
 * the byte there does not start one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static apr_size_t utf8_seq_len(const unsigned char *s, apr_size_t n)
{
    apr_size_t len, i;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

/* S as well-formed UTF-8 without DEL (jansson escapes every other control
 * character), at most CAP bytes of it, cut at a character boundary and
 * marked with "...". Returns S itself when it needs no change. */
static const char *clean_value(apr_pool_t *pool, const char *s,
                               apr_size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    apr_size_t n = strlen(s), i, k, seq;
    char *out;

    for (i = 0; i < n && i < cap; i += seq) {
        seq = utf8_seq_len(p + i, n - i);
        if (seq == 0 || p[i] == 0x7f || i + seq > cap)
            break;
    }
    if (i == n)
        return s;

    out = apr_palloc(pool, cap + sizeof(REPLACEMENT) + sizeof(ELLIPSIS));
    memcpy(out, s, i);
    for (k = i; i < n; i += seq) {
        seq = utf8_seq_len(p + i, n - i);
        if (seq == 0 || p[i] == 0x7f) {
            if (k + sizeof(REPLACEMENT) - 1 > cap)
                break;
            memcpy(out + k, REPLACEMENT, sizeof(REPLACEMENT) - 1);
            k += sizeof(REPLACEMENT) - 1;
            seq = 1;
        }
        else {
            if (k + seq > cap)
                break;
            memcpy(out + k, p + i, seq);
            k += seq;
        }
    }
    if (i < n) {
        memcpy(out + k, ELLIPSIS, sizeof(ELLIPSIS) - 1);
        k += sizeof(ELLIPSIS) - 1;
    }
    out[k] = '\0';
    return out;
}

/* Set KEY to S (cleaned, at most CAP bytes), or to null when S is NULL. */
static void set_str(apr_pool_t *pool, json_t *obj, const char *key,
                    const char *s, apr_size_t cap)
{
    json_t *v = s ? json_string(clean_value(pool, s, cap)) : json_null();

    /* json_string cannot fail on cleaned input short of memory; keep the
     * key with null rather than drop it, so every line has the same keys. */
    json_object_set_new(obj, key, v ? v : json_null());
}

/* Last microsecond of 9999-12-31: RFC 3339 has four-digit years. */
#define TIME_MAX APR_INT64_C(253402300799999999)
#define TIME_BUF 96   /* what the compiler reckons %d can take */

static void format_time(apr_time_t t, char buf[TIME_BUF])
{
    apr_time_exp_t xt;

    t = t < 0 ? 0 : t > TIME_MAX ? TIME_MAX : t;
    apr_time_exp_gmt(&xt, t);
    snprintf(buf, TIME_BUF, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             xt.tm_year + 1900, xt.tm_mon + 1, xt.tm_mday, xt.tm_hour,
             xt.tm_min, xt.tm_sec, xt.tm_usec / 1000);
}

/* The line's JSON object with every value cut at CAP bytes. */
static json_t *build(apr_pool_t *pool, const rxa_audit_event_t *ev,
                     const char *when, apr_size_t cap)
{
    json_t *obj = rxa_json_pool_own(pool, json_object());
    const char *reason = reason_names[ev->reason];
    int i;

    if (!obj)
        return NULL;
    json_object_set_new(obj, "time", json_string(when));
    json_object_set_new(obj, "event", json_string(event_names[ev->event]));
    json_object_set_new(obj, "outcome", json_string(
        ev->outcome == RXA_AUDIT_SUCCESS ? "success" : "failure"));
    json_object_set_new(obj, "reason", reason ? json_string(reason)
                                              : json_null());
    set_str(pool, obj, "provider", ev->provider, cap);
    set_str(pool, obj, "sub", ev->sub, cap);
    set_str(pool, obj, "client", ev->client, cap);
    set_str(pool, obj, "request_id", ev->request_id, cap);
    for (i = 0; i < RXA_AUDIT_NFIELDS; i++) {
        const char *v = ev->field[i];

        if (!v)
            continue;
        if (i == RXA_AUDIT_F_PATH)
            v = apr_pstrmemdup(pool, v, strcspn(v, "?#"));
        set_str(pool, obj, field_names[i], v, cap);
    }
    return obj;
}

apr_status_t rxa_audit_format(apr_pool_t *pool, const rxa_audit_event_t *ev,
                              const char **line, apr_size_t *len)
{
    char when[TIME_BUF];
    char *buf;
    apr_size_t c, n = 0;

    *line = NULL;
    if (len)
        *len = 0;
    if ((unsigned)ev->event >= RXA_AUDIT_NEVENTS
        || (ev->outcome != RXA_AUDIT_SUCCESS
            && ev->outcome != RXA_AUDIT_FAILURE)
        || (unsigned)ev->reason >= RXA_AUDIT_NREASONS)
        return APR_EINVAL;

    format_time(ev->time ? ev->time : apr_time_now(), when);
    buf = apr_palloc(pool, RXA_AUDIT_MAX_LINE + 1);
    for (c = 0; c < NCAPS; c++) {
        json_t *obj = build(pool, ev, when, value_caps[c]);

        if (!obj)
            return APR_ENOMEM;
        /* ASCII only: nothing in the file a terminal could take for an
         * escape sequence. One byte left for the newline. */
        n = json_dumpb(obj, buf, RXA_AUDIT_MAX_LINE,
                       JSON_COMPACT | JSON_ENSURE_ASCII);
        if (n > 0 && n < RXA_AUDIT_MAX_LINE)
            break;
    }
    if (n == 0 || n >= RXA_AUDIT_MAX_LINE)
        return APR_ENOMEM;   /* not reachable with the caps above */
    buf[n++] = '\n';
    buf[n] = '\0';
    *line = buf;
    if (len)
        *len = n;
    return APR_SUCCESS;
}

apr_status_t rxa_audit_write(apr_pool_t *pool, apr_file_t *out,
                             const rxa_audit_event_t *ev)
{
    const char *line;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = rxa_audit_format(pool, ev, &line, &len)) != APR_SUCCESS)
        return rv;
    return apr_file_write_full(out, line, len, NULL);
}
