/* Unit tests: audit log lines (rxa_audit.h). */
#include <unistd.h>

#include "rxa_test.h"
#include "rxa_audit.h"
#include "rxa_json.h"

/* 2024-05-01T12:34:56.789Z */
#define T0 (apr_time_from_sec(1714566896) + 789000)

static const char *const fixed_keys[] = {
    "time", "event", "outcome", "reason", "provider", "sub", "client",
    "request_id"
};
#define NFIXED (sizeof(fixed_keys) / sizeof(fixed_keys[0]))

static void event_init(rxa_audit_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->time = T0;
}

/* Format EV and check what every line must be: one line, newline at the
 * end only, printable ASCII, within the size limit, a JSON object (no
 * duplicate keys). Returns the object. */
static json_t *line_of(const rxa_audit_event_t *ev, const char **pline)
{
    const char *line = NULL, *err = NULL;
    apr_size_t len = 0, i;
    json_t *obj;

    ck_assert_int_eq(rxa_audit_format(rxa_test_pool, ev, &line, &len),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_eq(strlen(line), len);
    ck_assert_uint_le(len, RXA_AUDIT_MAX_LINE);
    ck_assert_uint_ge(len, 2);
    ck_assert_int_eq(line[len - 1], '\n');
    for (i = 0; i + 1 < len; i++)
        ck_assert_msg(line[i] >= 0x20 && line[i] < 0x7f,
                      "byte %#x at %u", (unsigned char)line[i], (unsigned)i);
    obj = rxa_json_parse_object(rxa_test_pool, line, len - 1, 1 << 20, &err);
    ck_assert_msg(obj != NULL, "%s: %s", err, line);
    if (pline)
        *pline = line;
    return obj;
}

/* OBJ's keys are the fixed ones then exactly EXTRA (NULL-terminated), in
 * that order. */
static void ck_keys(json_t *obj, const char *const *extra)
{
    void *it = json_object_iter(obj);
    apr_size_t i;

    for (i = 0; i < NFIXED; i++, it = json_object_iter_next(obj, it)) {
        ck_assert_ptr_nonnull(it);
        ck_assert_str_eq(json_object_iter_key(it), fixed_keys[i]);
    }
    for (; extra && *extra; extra++, it = json_object_iter_next(obj, it)) {
        ck_assert_ptr_nonnull(it);
        ck_assert_str_eq(json_object_iter_key(it), *extra);
    }
    ck_assert_ptr_null(it);
}

static const char *str_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    ck_assert_msg(v && json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

START_TEST(exact_line)
{
    rxa_audit_event_t ev;
    const char *line;
    apr_size_t len;

    event_init(&ev);
    ev.event = RXA_AUDIT_LOGIN_COMPLETED;
    ev.outcome = RXA_AUDIT_FAILURE;
    ev.reason = RXA_AUDIT_R_CSRF_STATE_MISMATCH;
    ev.provider = "google";
    ev.client = "192.0.2.7";
    ev.request_id = "Zk3x-AAAA";
    ev.field[RXA_AUDIT_F_ERROR_ID] = "a1b2c3d4e5f6";
    ck_assert_int_eq(rxa_audit_format(rxa_test_pool, &ev, &line, &len),
                     APR_SUCCESS);
    ck_assert_str_eq(line,
        "{\"time\":\"2024-05-01T12:34:56.789Z\",\"event\":\"login_completed\","
        "\"outcome\":\"failure\",\"reason\":\"csrf_state_mismatch\","
        "\"provider\":\"google\",\"sub\":null,\"client\":\"192.0.2.7\","
        "\"request_id\":\"Zk3x-AAAA\",\"error_id\":\"a1b2c3d4e5f6\"}\n");
    ck_assert_uint_eq(len, strlen(line));
}
END_TEST

START_TEST(keys_without_extras)
{
    rxa_audit_event_t ev;
    json_t *obj;

    event_init(&ev);
    ev.event = RXA_AUDIT_LOGOUT;
    ev.provider = "p";
    ev.sub = "s";
    obj = line_of(&ev, NULL);
    ck_keys(obj, NULL);
    ck_assert_str_eq(str_of(obj, "event"), "logout");
    ck_assert_str_eq(str_of(obj, "outcome"), "success");
    ck_assert(json_is_null(json_object_get(obj, "reason")));
    ck_assert(json_is_null(json_object_get(obj, "client")));
    ck_assert(json_is_null(json_object_get(obj, "request_id")));
    ck_assert_str_eq(str_of(obj, "sub"), "s");
}
END_TEST

START_TEST(every_extra_field)
{
    rxa_audit_event_t ev;
    const char *names[RXA_AUDIT_NFIELDS + 1];
    json_t *obj;
    int i;

    event_init(&ev);
    ev.event = RXA_AUDIT_ACCESS_DENIED;
    ev.outcome = RXA_AUDIT_FAILURE;
    ev.reason = RXA_AUDIT_R_CLAIM_MISMATCH;
    for (i = 0; i < RXA_AUDIT_NFIELDS; i++) {
        names[i] = rxa_audit_field_name((rxa_audit_field_e)i);
        ck_assert_ptr_nonnull(names[i]);
        ev.field[i] = apr_psprintf(rxa_test_pool, "v%d", i);
    }
    names[i] = NULL;
    ck_assert_ptr_null(rxa_audit_field_name(RXA_AUDIT_NFIELDS));
    obj = line_of(&ev, NULL);
    ck_keys(obj, names);
    for (i = 0; i < RXA_AUDIT_NFIELDS; i++)
        ck_assert_str_eq(str_of(obj, names[i]), ev.field[i]);

    /* only the ones set, in enum order */
    memset(ev.field, 0, sizeof(ev.field));
    ev.field[RXA_AUDIT_F_REQUIRE] = "reflex-claim groups";
    ev.field[RXA_AUDIT_F_USER] = "alice";
    obj = line_of(&ev, NULL);
    {
        const char *const want[] = { "user", "require", NULL };
        ck_keys(obj, want);
    }
}
END_TEST

/* The API has no place for a token: no key of the line names one. */
START_TEST(no_secret_keys)
{
    static const char *const bad[] = {
        "token", "secret", "code", "cookie", "password", "verifier", "nonce",
        "state", "assertion", "key"
    };
    apr_size_t i, j;

    for (i = 0; i < RXA_AUDIT_NFIELDS + NFIXED; i++) {
        const char *k = i < NFIXED ? fixed_keys[i]
                        : rxa_audit_field_name((rxa_audit_field_e)(i - NFIXED));
        for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
            ck_assert_msg(!strstr(k, bad[j]), "key %s", k);
    }
}
END_TEST

START_TEST(names)
{
    static const char *const spec_events[] = {
        "login_started", "login_completed", "logout", "token_refresh",
        "session_expired", "access_denied", "backchannel_logout",
        "bearer_refused"
    };
    static const char *const spec_reasons[] = {
        "csrf_state_mismatch", "token_exchange_failed", "refresh_failed",
        "tokens_invalid", "stale_cookies", "signin_revoked"
    };
    apr_size_t i;
    int r, found;

    for (i = 0; i < RXA_AUDIT_NEVENTS; i++)
        ck_assert_str_eq(rxa_audit_event_name((rxa_audit_event_e)i),
                         spec_events[i]);
    ck_assert_ptr_null(rxa_audit_event_name(RXA_AUDIT_NEVENTS));
    ck_assert_ptr_null(rxa_audit_reason_name(RXA_AUDIT_R_NONE));
    ck_assert_ptr_null(rxa_audit_reason_name(RXA_AUDIT_NREASONS));
    for (r = 1; r < RXA_AUDIT_NREASONS; r++) {
        const char *n = rxa_audit_reason_name((rxa_audit_reason_e)r);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
    }
    for (i = 0; i < sizeof(spec_reasons) / sizeof(spec_reasons[0]); i++) {
        for (found = 0, r = 1; r < RXA_AUDIT_NREASONS; r++)
            found |= !strcmp(rxa_audit_reason_name((rxa_audit_reason_e)r),
                             spec_reasons[i]);
        ck_assert_msg(found, "%s missing", spec_reasons[i]);
    }
    ck_assert_str_eq(rxa_audit_reason_name(RXA_AUDIT_R_TOKENS_INVALID),
                     "tokens_invalid");
}
END_TEST

/* Every event and reason formats, each line to its own names. */
START_TEST(every_event_and_reason)
{
    rxa_audit_event_t ev;
    int e, r;

    event_init(&ev);
    for (e = 0; e < RXA_AUDIT_NEVENTS; e++) {
        for (r = 0; r < RXA_AUDIT_NREASONS; r++) {
            json_t *obj;

            ev.event = (rxa_audit_event_e)e;
            ev.reason = (rxa_audit_reason_e)r;
            ev.outcome = r ? RXA_AUDIT_FAILURE : RXA_AUDIT_SUCCESS;
            obj = line_of(&ev, NULL);
            ck_assert_str_eq(str_of(obj, "event"),
                             rxa_audit_event_name(ev.event));
            if (r)
                ck_assert_str_eq(str_of(obj, "reason"),
                                 rxa_audit_reason_name(ev.reason));
            else
                ck_assert(json_is_null(json_object_get(obj, "reason")));
            ck_assert_str_eq(str_of(obj, "outcome"),
                             r ? "failure" : "success");
        }
    }
}
END_TEST

START_TEST(out_of_range)
{
    rxa_audit_event_t ev;
    const char *line = "x";
    apr_size_t len = 7;

    event_init(&ev);
    ev.event = RXA_AUDIT_NEVENTS;
    ck_assert_int_eq(rxa_audit_format(rxa_test_pool, &ev, &line, &len),
                     APR_EINVAL);
    ck_assert_ptr_null(line);
    ck_assert_uint_eq(len, 0);
    event_init(&ev);
    ev.reason = RXA_AUDIT_NREASONS;
    ck_assert_int_eq(rxa_audit_format(rxa_test_pool, &ev, &line, NULL),
                     APR_EINVAL);
    event_init(&ev);
    ev.outcome = (rxa_audit_outcome_e)2;
    ck_assert_int_eq(rxa_audit_format(rxa_test_pool, &ev, &line, NULL),
                     APR_EINVAL);
}
END_TEST

START_TEST(escaping)
{
    rxa_audit_event_t ev;
    const char *line;
    json_t *obj;

    event_init(&ev);
    ev.sub = "a\"b\\c\nd\re\tf\x01g\x1fh\x7fi/";
    ev.provider = "caf\xc3\xa9 \xf0\x9f\x94\x91";       /* é and an emoji */
    ev.client = "\xff\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80ok\xe2\x82";
    ev.request_id = "}\n{\"event\":\"forged\"";
    obj = line_of(&ev, &line);
    ck_assert_str_eq(str_of(obj, "sub"),
                     "a\"b\\c\nd\re\tf\x01g\x1fh\xef\xbf\xbdi/");
    ck_assert_str_eq(str_of(obj, "provider"), "caf\xc3\xa9 \xf0\x9f\x94\x91");
    ck_assert(strstr(line, "caf\\u00E9 \\uD83D\\uDD11") != NULL);
    /* each invalid byte becomes U+FFFD; the valid tail survives */
    ck_assert_str_eq(str_of(obj, "client"),
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
        "ok\xef\xbf\xbd\xef\xbf\xbd");
    ck_assert_str_eq(str_of(obj, "request_id"), "}\n{\"event\":\"forged\"");
    ck_assert_str_eq(str_of(obj, "event"), "login_started");
    ck_assert(strstr(line, "\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001Fh") != NULL);
}
END_TEST

START_TEST(path_loses_query)
{
    rxa_audit_event_t ev;
    json_t *obj;

    event_init(&ev);
    ev.event = RXA_AUDIT_ACCESS_DENIED;
    ev.field[RXA_AUDIT_F_PATH] = "/admin/x?api_key=hunter2#frag";
    ev.field[RXA_AUDIT_F_REDIRECT_TO] = "/app?tab=1";
    obj = line_of(&ev, NULL);
    ck_assert_str_eq(str_of(obj, "path"), "/admin/x");
    ck_assert_str_eq(str_of(obj, "redirect_to"), "/app?tab=1");
    ev.field[RXA_AUDIT_F_PATH] = "#only";
    obj = line_of(&ev, NULL);
    ck_assert_str_eq(str_of(obj, "path"), "");
}
END_TEST

static char *filled(apr_size_t n, char c)
{
    char *s = apr_palloc(rxa_test_pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Long values are cut, at a character boundary and marked, so the whole
 * line stays within RXA_AUDIT_MAX_LINE whatever the values hold. */
START_TEST(long_values)
{
    rxa_audit_event_t ev;
    const char *sub, *line;
    json_t *obj;
    char *euro;
    int i;

    event_init(&ev);
    ev.sub = filled(10000, 'x');
    obj = line_of(&ev, NULL);
    sub = str_of(obj, "sub");
    ck_assert_uint_eq(strlen(sub), 1024 + 3);
    ck_assert_str_eq(sub + 1024, "...");
    /* a value just at the first cap is not cut */
    ev.sub = filled(1024, 'y');
    obj = line_of(&ev, NULL);
    ck_assert_str_eq(str_of(obj, "sub"), ev.sub);

    /* three-byte characters are not split */
    euro = apr_palloc(rxa_test_pool, 3 * 500 + 1);
    for (i = 0; i < 500; i++)
        memcpy(euro + 3 * i, "\xe2\x82\xac", 3);
    euro[1500] = '\0';
    ev.sub = euro;
    obj = line_of(&ev, NULL);
    sub = str_of(obj, "sub");
    ck_assert_uint_eq(strlen(sub), 1023 + 3);
    ck_assert_str_eq(sub + 1023, "...");

    /* every value long and made of control characters */
    ev.provider = ev.sub = ev.client = ev.request_id = filled(5000, '\x01');
    for (i = 0; i < RXA_AUDIT_NFIELDS; i++)
        ev.field[i] = ev.sub;
    obj = line_of(&ev, &line);
    sub = str_of(obj, "sub");
    ck_assert_str_eq(sub + strlen(sub) - 3, "...");
    ck_assert_uint_le(strlen(line), RXA_AUDIT_MAX_LINE);
}
END_TEST

/* Arbitrary bytes in every value: always one valid line. */
START_TEST(random_values)
{
    rxa_audit_event_t ev;
    unsigned seed = 12345;
    int round, i;

    for (round = 0; round < 600; round++) {
        char *vals[4 + RXA_AUDIT_NFIELDS];
        for (i = 0; i < 4 + RXA_AUDIT_NFIELDS; i++) {
            apr_size_t n, k;
            seed = seed * 1103515245u + 12345u;
            n = (seed >> 16) % (round % 20 == 0 ? 3000 : 40);
            vals[i] = apr_palloc(rxa_test_pool, n + 1);
            for (k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                vals[i][k] = (char)(1 + (seed >> 16) % 255);
            }
            vals[i][n] = '\0';
        }
        event_init(&ev);
        ev.event = (rxa_audit_event_e)(round % RXA_AUDIT_NEVENTS);
        ev.reason = (rxa_audit_reason_e)(round % RXA_AUDIT_NREASONS);
        ev.provider = vals[0];
        ev.sub = vals[1];
        ev.client = vals[2];
        ev.request_id = vals[3];
        for (i = 0; i < RXA_AUDIT_NFIELDS; i++)
            ev.field[i] = (round + i) % 3 ? vals[4 + i] : NULL;
        line_of(&ev, NULL);
        if (round % 100 == 99) {
            apr_pool_clear(rxa_test_pool);
        }
    }
}
END_TEST

START_TEST(time_format)
{
    rxa_audit_event_t ev;
    json_t *obj;
    const char *t;
    apr_time_t before = apr_time_now();
    apr_time_exp_t xt;

    event_init(&ev);
    ev.time = apr_time_from_sec(1709251199) + 999999;   /* leap day */
    ck_assert_str_eq(str_of(line_of(&ev, NULL), "time"),
                     "2024-02-29T23:59:59.999Z");
    ev.time = apr_time_from_sec(1709251200);
    ck_assert_str_eq(str_of(line_of(&ev, NULL), "time"),
                     "2024-03-01T00:00:00.000Z");
    ev.time = 1000;                                      /* 1 ms */
    ck_assert_str_eq(str_of(line_of(&ev, NULL), "time"),
                     "1970-01-01T00:00:00.001Z");

    /* 0: now */
    ev.time = 0;
    obj = line_of(&ev, NULL);
    t = str_of(obj, "time");
    ck_assert_uint_eq(strlen(t), 24);
    ck_assert_int_eq(t[4], '-');
    ck_assert_int_eq(t[10], 'T');
    ck_assert_int_eq(t[19], '.');
    ck_assert_int_eq(t[23], 'Z');
    apr_time_exp_gmt(&xt, before);
    ck_assert_int_eq(atoi(t), xt.tm_year + 1900);
}
END_TEST

START_TEST(write_to_file)
{
    char path[] = "/tmp/rxa-audit-XXXXXX";
    int fd = mkstemp(path);
    apr_file_t *f;
    rxa_audit_event_t ev;
    apr_size_t len;
    char *text, *nl, *first;

    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE
                                   | APR_FOPEN_APPEND, APR_FPROT_OS_DEFAULT,
                                   rxa_test_pool), APR_SUCCESS);
    event_init(&ev);
    ev.event = RXA_AUDIT_TOKEN_REFRESH;
    ck_assert_int_eq(rxa_audit_write(rxa_test_pool, f, &ev), APR_SUCCESS);
    ev.outcome = RXA_AUDIT_FAILURE;
    ev.reason = RXA_AUDIT_R_REFRESH_FAILED;
    ck_assert_int_eq(rxa_audit_write(rxa_test_pool, f, &ev), APR_SUCCESS);
    ev.event = RXA_AUDIT_NEVENTS;
    ck_assert_int_eq(rxa_audit_write(rxa_test_pool, f, &ev), APR_EINVAL);
    apr_file_close(f);

    text = rxa_test_slurp(rxa_test_pool, path, &len);
    unlink(path);
    ck_assert_ptr_nonnull(text);
    nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    first = strstr(text, "\"outcome\":\"success\"");
    ck_assert(first && first < nl);
    ck_assert(strstr(nl, "\"reason\":\"refresh_failed\"") != NULL);
    ck_assert_ptr_eq(strchr(nl + 1, '\n'), text + len - 1);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = rxa_tcase("audit");

    tcase_add_test(tc, exact_line);
    tcase_add_test(tc, keys_without_extras);
    tcase_add_test(tc, every_extra_field);
    tcase_add_test(tc, no_secret_keys);
    tcase_add_test(tc, names);
    tcase_add_test(tc, every_event_and_reason);
    tcase_add_test(tc, out_of_range);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, path_loses_query);
    tcase_add_test(tc, long_values);
    tcase_add_test(tc, random_values);
    tcase_add_test(tc, time_format);
    tcase_add_test(tc, write_to_file);
    suite_add_tcase(s, tc);
    return s;
}

RXA_TEST_MAIN(make_suite)
