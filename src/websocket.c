/* A websocket lives no longer than its sign-in.
 *
 * A websocket upgrade that check_authn lets through under a sign-in gets
 * two connection filters, one per direction, above TLS: the proxy's
 * tunnel (mod_proxy_http's upgrade=websocket or mod_proxy_wstunnel)
 * reads and writes the client connection through them. They follow the
 * framing (rxa_wsframe.h) and, at the start of a frame in either
 * direction, at most every CHECK_INTERVAL, ask whether the sign-in has
 * ended: revoked (logout, back-channel logout, a refresh the IdP refused:
 * the revocation list), or its access token expired, plus the clock skew,
 * with no later expiry in the live record that every refresh writes to
 * the shared cache (read at most every LIVE_INTERVAL). The common case is
 * a clock read and an in-memory lookup; the filters never call the IdP.
 *
 * Ending: when the server-to-client stream is at a frame boundary, a
 * close frame (1008 "session ended") goes to the browser; then the tunnel
 * ends and both connections close. The input filter ends it by failing
 * the read (the tunnel stops quietly); the output filter never returns an
 * error (the tunnel would log one) but drops everything after and shuts
 * down the read side of the client socket, which wakes the tunnel, whose
 * next read through the input filter fails.
 *
 * The filters go with the request: a pool cleanup removes them, so a
 * keep-alive connection's next request (an upgrade the backend refused)
 * does not see them. The request's own answer (mod_proxy_http's 101, a
 * refusal) does not pass through them: they sit ahead of the chain the
 * request was made with. mod_proxy_wstunnel forwards the backend's 101
 * head raw through them: the output scanner skips it, and a head that is
 * not a 101 makes it transparent. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_connection.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_filter.h>

#include "mod_reflex_auth.h"
#include "rxa_json.h"
#include "rxa_revocation.h"
#include "rxa_wsframe.h"

/* APR's ring macros (APR_BRIGADE_SENTINEL and the rest) cast away the
 * volatile of their offsetof arithmetic. */
#pragma GCC diagnostic ignored "-Wcast-qual"

#define WS_IN_FILTER   "RXA_WEBSOCKET_IN"
#define WS_OUT_FILTER  "RXA_WEBSOCKET_OUT"
#define WS_NOTE        "rxa-websocket"

#define CHECK_INTERVAL apr_time_from_msec(100)
#define LIVE_INTERVAL  apr_time_from_sec(1)

/* RFC 6455 7.4.1: a policy violation */
#define CLOSE_CODE     1008
#define CLOSE_REASON   "session ended"

typedef struct ws_ctx {
    conn_rec *c;
    const rxa_srv_conf_t *sc;
    rxa_signin_ref_t ref;
    const char *live_key;       /* NULL: no refresh token, none will come */
    apr_int64_t expires_at;     /* epoch seconds, the latest known */
    apr_time_t next_check, next_live;
    apr_pool_t *scratch;        /* for the live record's reads */
    rxa_wsframe_scan_t in;      /* client to server */
    rxa_wsframe_scan_t out;     /* server to client */
    ap_filter_t *in_f, *out_f;
    int ended;
} ws_ctx_t;

/* Why the sign-in is over at NOW, or NULL while it goes on (or when it
 * was checked less than CHECK_INTERVAL ago). */
static const char *signin_over(ws_ctx_t *x, apr_time_t now)
{
    apr_interval_time_t skew = x->sc->clock_skew;
    apr_int64_t until;
    apr_status_t rv;

    if (now < x->next_check)
        return NULL;
    x->next_check = now + CHECK_INTERVAL;
    if (rxa_revocation_check(x->sc->revocation, &x->ref, now))
        return "the sign-in was revoked";
    if (now <= apr_time_from_sec(x->expires_at) + skew)
        return NULL;
    if (!x->live_key)
        return "the access token expired and there is no refresh token";
    if (now < x->next_live)
        return NULL;
    x->next_live = now + LIVE_INTERVAL;
    rv = rxa_live_get(x->sc, x->scratch, x->live_key, &until);
    apr_pool_clear(x->scratch);
    if (rv == APR_SUCCESS && until > x->expires_at) {
        x->expires_at = until;
        if (now <= apr_time_from_sec(until) + skew)
            return NULL;
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv))
        ap_log_cerror(APLOG_MARK, APLOG_INFO, rv, x->c, "RXA00280: the "
                      "shared cache does not say whether the sign-in of a "
                      "websocket was refreshed: it counts as not");
    return "the access token expired and was not refreshed";
}

/* The close frame, and a flush, at the end of BB. */
static void close_frame_append(ws_ctx_t *x, apr_bucket_brigade *bb)
{
    unsigned char frame[127];
    apr_size_t len = rxa_wsframe_close(frame, CLOSE_CODE, CLOSE_REASON);

    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create((const char *)frame,
                                                       len, NULL,
                                                       x->c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(x->c->bucket_alloc));
}

static void ended_log(ws_ctx_t *x, const char *why, int framed)
{
    ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, x->c, "RXA00281: websocket "
                  "closed%s: %s", framed ? " with 1008 \"" CLOSE_REASON "\""
                  : " (mid-frame, no close frame)", why);
}

/* Scan the data of BB with SCAN; at the first chunk with a frame start
 * where the sign-in is over: *AT is that bucket (split so that the frame
 * starts at it) and the reason is returned. NULL when it goes on. */
static const char *brigade_scan(ws_ctx_t *x, rxa_wsframe_scan_t *scan,
                                apr_bucket_brigade *bb, apr_bucket **at)
{
    apr_bucket *b;
    apr_time_t now = 0;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *data, *why;
        apr_size_t len, first;

        if (APR_BUCKET_IS_METADATA(b)
            || apr_bucket_read(b, &data, &len, APR_BLOCK_READ) != APR_SUCCESS
            || !rxa_wsframe_scan(scan, (const unsigned char *)data, len,
                                 &first))
            continue;
        if (!now)
            now = apr_time_now();
        if (!(why = signin_over(x, now)))
            continue;
        if (first > 0) {
            apr_bucket_split(b, first);
            b = APR_BUCKET_NEXT(b);
        }
        *at = b;
        return why;
    }
    return NULL;
}

static apr_status_t ws_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                 ap_input_mode_t mode, apr_read_type_e block,
                                 apr_off_t readbytes)
{
    ws_ctx_t *x = f->ctx;
    apr_bucket *at;
    const char *why;
    apr_status_t rv;
    int framed;

    if (x->ended)
        return APR_ECONNABORTED;
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode != AP_MODE_READBYTES
        || !(why = brigade_scan(x, &x->in, bb, &at)))
        return rv;
    apr_brigade_cleanup(bb);
    x->ended = 1;
    framed = x->out_f && rxa_wsframe_at_boundary(&x->out);
    if (framed) {
        apr_bucket_brigade *cb = apr_brigade_create(x->c->pool,
                                                    x->c->bucket_alloc);

        close_frame_append(x, cb);
        ap_pass_brigade(x->out_f->next, cb);
        apr_brigade_cleanup(cb);
    }
    ended_log(x, why, framed);
    return APR_ECONNABORTED;
}

/* Everything but metadata (flush, EOR, EOS) dropped from BB. */
static void data_drop(apr_bucket_brigade *bb)
{
    apr_bucket *b = APR_BRIGADE_FIRST(bb), *next;

    for (; b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);
        if (!APR_BUCKET_IS_METADATA(b))
            apr_bucket_delete(b);
    }
}

static apr_status_t ws_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ws_ctx_t *x = f->ctx;
    apr_bucket_brigade *rest;
    apr_bucket *at;
    const char *why;
    int framed;

    if (x->ended) {
        data_drop(bb);
        return APR_BRIGADE_EMPTY(bb) ? APR_SUCCESS : ap_pass_brigade(f->next, bb);
    }
    if (!(why = brigade_scan(x, &x->out, bb, &at)))
        return ap_pass_brigade(f->next, bb);
    x->ended = 1;
    rest = apr_brigade_split_ex(bb, at, NULL);
    /* a scanner still in sync: the cut is at a frame's start */
    framed = x->out.mode == RXA_WSFRAME_FRAMES;
    if (framed)
        close_frame_append(x, bb);
    data_drop(rest);
    APR_BRIGADE_CONCAT(bb, rest);
    apr_brigade_destroy(rest);
    ended_log(x, why, framed);
    /* an error here would be logged by the tunnel as its own */
    ap_pass_brigade(f->next, bb);
    apr_brigade_cleanup(bb);
    apr_socket_shutdown(ap_get_conn_socket(x->c), APR_SHUTDOWN_READ);
    return APR_SUCCESS;
}

static apr_status_t filters_remove(void *data)
{
    ws_ctx_t *x = data;

    ap_remove_input_filter(x->in_f);
    ap_remove_output_filter(x->out_f);
    return APR_SUCCESS;
}

/* An HTTP/1.1 GET asking to upgrade to websocket, on a connection of its
 * own (not an HTTP/2 stream). */
static int websocket_upgrade(request_rec *r)
{
    const char *up = apr_table_get(r->headers_in, "Upgrade");

    return up && !r->main && !r->connection->master
        && r->proto_num == HTTP_VERSION(1, 1) && r->method_number == M_GET
        && ap_find_token(r->pool, up, "websocket");
}

void rxa_websocket_watch(request_rec *r, const rxa_srv_conf_t *sc,
                         const rxa_identity_t *who)
{
    conn_rec *c = r->connection;
    const rxa_session_t *s = who->session;
    void *seen = NULL;
    ws_ctx_t *x;

    if (!websocket_upgrade(r))
        return;
    /* an internal redirect shares the pool: its filters are there */
    apr_pool_userdata_get(&seen, WS_NOTE, r->pool);
    if (seen)
        return;
    apr_pool_userdata_setn((void *)1, WS_NOTE, NULL, r->pool);
    x = apr_pcalloc(c->pool, sizeof(*x));
    x->c = c;
    x->sc = sc;
    if (who->ref)
        x->ref = *who->ref;
    else
        rxa_signin_ref_make(&x->ref, s->sid, s->started_at,
                            rxa_json_get_str(who->claims, "iss"),
                            rxa_json_get_str(who->claims, "sid"), who->sub);
    x->expires_at = s->expires_at;
    if (s->refresh_token)
        x->live_key = rxa_live_key(c->pool, s->sid);
    apr_pool_create(&x->scratch, r->pool);
    apr_pool_tag(x->scratch, "rxa_websocket");
    rxa_wsframe_scan_init(&x->in, 0);
    rxa_wsframe_scan_init(&x->out, RXA_WSFRAME_HEAD_OPTIONAL);
    x->in_f = ap_add_input_filter(WS_IN_FILTER, x, NULL, c);
    x->out_f = ap_add_output_filter(WS_OUT_FILTER, x, NULL, c);
    if (!x->in_f || !x->out_f) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_EGENERAL, r, "RXA00282: "
                      "the websocket filters could not be added: this "
                      "websocket would outlive its sign-in");
        if (x->in_f)
            ap_remove_input_filter(x->in_f);
        if (x->out_f)
            ap_remove_output_filter(x->out_f);
        return;
    }
    apr_pool_cleanup_register(r->pool, x, filters_remove,
                              apr_pool_cleanup_null);
}

void rxa_websocket_register(apr_pool_t *p)
{
    ap_register_input_filter(WS_IN_FILTER, ws_in_filter, NULL,
                             AP_FTYPE_CONNECTION);
    ap_register_output_filter(WS_OUT_FILTER, ws_out_filter, NULL,
                              AP_FTYPE_CONNECTION);
}
