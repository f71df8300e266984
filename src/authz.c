/* Authorization: Require reflex-claim CLAIM VALUE ...,
 * Require reflex-provider NAME ... and Require reflex-scope SCOPE ... An
 * authenticated user who fails gets the forbidden page with 403; a bearer
 * token's request gets 403 with a Bearer challenge, error
 * "insufficient_scope" (RFC 6750 3.1). */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include "mod_reflex_auth.h"
#include "rxa_bearer.h"
#include "rxa_util.h"

static const char *parse_claim_line(cmd_parms *cmd, const char *line,
                                    const void **parsed)
{
    const char *w = line;

    if (!*ap_getword_conf(cmd->temp_pool, &w) || !*ap_getword_conf(cmd->temp_pool, &w))
        return "RXA00080: Require reflex-claim needs a claim and at least one "
               "value";
    return NULL;
}

/* Whether LINE holds a word. */
static int has_word(cmd_parms *cmd, const char *line)
{
    return *ap_getword_conf(cmd->temp_pool, &line) != '\0';
}

static const char *parse_provider_line(cmd_parms *cmd, const char *line,
                                       const void **parsed)
{
    return has_word(cmd, line) ? NULL
        : "RXA00081: Require reflex-provider needs at least one name";
}

static const char *parse_scope_line(cmd_parms *cmd, const char *line,
                                    const void **parsed)
{
    return has_word(cmd, line) ? NULL
        : "RXA00321: Require reflex-scope needs at least one scope";
}

/* httpd asks each Require line first with no user: a reflex-* line needs
 * a signed-in one, which it notes so that check_authn does not serve the
 * request anonymously under ReflexAuthOptional. */
static authz_status needs_user(request_rec *r)
{
    rxa_request_state(r)->needs_user = 1;
    return AUTHZ_DENIED_NO_USER;
}

static const rxa_identity_t *request_identity(request_rec *r)
{
    const rxa_request_state_t *st = ap_get_module_config(r->request_config,
                                                         &reflex_auth_module);
    return st && st->who && (st->who->session || st->who->bearer)
        ? st->who : NULL;
}

/* A failing line is not yet the request's answer: under <RequireAny>
 * another line may still let the user in, and mod_authz_core tells no
 * module its final result. So the line notes on the request why it
 * failed (WHAT: the claim or the provider, for the error log), and
 * deny_log_transaction writes the log and audit lines once the request
 * has been answered, if it ended denied.
 *
 * mod_authz_core answers an authenticated user it denies with 401 (so
 * that Basic auth prompts again); for us that user is signed in and simply
 * not let in, so the error document for that 401 (and a 403 from elsewhere)
 * is the forbidden page, which answers 403. */
static authz_status deny(request_rec *r, rxa_audit_reason_e reason,
                         const char *what)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);
    rxa_request_state_t *st = rxa_request_state(r);
    rxa_denial_t *d;

    if (st->denied == RXA_AUDIT_R_NONE)
        st->denied = reason;
    if (what) {
        if (!st->denials)
            st->denials = apr_array_make(r->pool, 2, sizeof(*d));
        d = apr_array_push(st->denials);
        d->reason = reason;
        d->what = what;
    }
    ap_custom_response(r, HTTP_UNAUTHORIZED, sc->forbidden_path);
    ap_custom_response(r, HTTP_FORBIDDEN, sc->forbidden_path);
    return AUTHZ_DENIED;
}

/* log_transaction, once per answered request (R is the first of its
 * internal redirects, R->next the later ones; the forbidden page is one).
 * The request ended denied when its last redirect answered 401 or 403 and
 * a request of the chain that a Require reflex-* line failed on answered
 * 401 or 403 itself (ap_die sets that status; a request let in by another
 * line keeps its own). Subrequests are not followed: their denial is not
 * the answer. */
static int deny_log_transaction(request_rec *r)
{
    request_rec *rr, *last = r, *denied = NULL;
    const rxa_request_state_t *st;
    const rxa_identity_t *who;
    int i;

    for (rr = r; rr; rr = rr->next) {
        last = rr;
        if ((rr->status == HTTP_UNAUTHORIZED || rr->status == HTTP_FORBIDDEN)
            && (st = ap_get_module_config(rr->request_config,
                                          &reflex_auth_module))
            && st->denied != RXA_AUDIT_R_NONE)
            denied = rr;
    }
    if (!denied || (last->status != HTTP_UNAUTHORIZED
                    && last->status != HTTP_FORBIDDEN))
        return DECLINED;
    st = ap_get_module_config(denied->request_config, &reflex_auth_module);
    for (i = 0; st->denials && i < st->denials->nelts; i++) {
        const rxa_denial_t *d = &APR_ARRAY_IDX(st->denials, i, rxa_denial_t);
        if (d->reason == RXA_AUDIT_R_CLAIM_MISMATCH)
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, denied, "RXA00082: "
                          "access denied: claim %s does not match",
                          ap_escape_logitem(denied->pool, d->what));
        else if (d->reason == RXA_AUDIT_R_INSUFFICIENT_SCOPE)
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, denied, "RXA00322: "
                          "access denied: none of the scopes %s granted",
                          ap_escape_logitem(denied->pool, d->what));
        else
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, denied, "RXA00083: "
                          "access denied: signed in with provider %s", d->what);
    }
    who = request_identity(denied);
    rxa_audit(denied, RXA_AUDIT_ACCESS_DENIED, RXA_AUDIT_FAILURE, st->denied,
              who ? who->provider->name : NULL, who ? who->sub : NULL, NULL);
    return DECLINED;
}

/* Whether the claim's value equals VALUE or, for an array, contains it. */
static int claim_has(const json_t *v, const char *value)
{
    size_t i;
    json_t *e;

    if (json_is_string(v))
        return !strcmp(json_string_value(v), value);
    if (json_is_integer(v)) {
        char buf[32];
        apr_snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        return !strcmp(buf, value);
    }
    if (json_is_boolean(v))
        return !strcmp(json_is_true(v) ? "true" : "false", value);
    json_array_foreach(v, i, e)
        if (json_is_string(e) && !strcmp(json_string_value(e), value))
            return 1;
    return 0;
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const rxa_identity_t *who = request_identity(r);
    const char *claim, *value;
    const json_t *v;

    if (!r->user)
        return needs_user(r);
    if (!who)
        return deny(r, RXA_AUDIT_R_CLAIM_MISMATCH, NULL);
    claim = ap_getword_conf(r->pool, &line);
    v = json_object_get(who->claims, claim);
    while (v && *(value = ap_getword_conf(r->pool, &line)))
        if (claim_has(v, value))
            return AUTHZ_GRANTED;
    return deny(r, RXA_AUDIT_R_CLAIM_MISMATCH, claim);
}

static authz_status provider_check(request_rec *r, const char *line,
                                   const void *parsed)
{
    const rxa_identity_t *who = request_identity(r);
    const char *name;

    if (!r->user)
        return needs_user(r);
    if (!who)
        return deny(r, RXA_AUDIT_R_PROVIDER_MISMATCH, NULL);
    while (*(name = ap_getword_conf(r->pool, &line)))
        if (!strcasecmp(name, who->provider->name))
            return AUTHZ_GRANTED;
    return deny(r, RXA_AUDIT_R_PROVIDER_MISMATCH, who->provider->name);
}

/* Whether WHO holds SCOPE: a bearer token's scopes, or the scopes
 * granted to a cookie sign-in. */
static int scope_held(apr_pool_t *pool, const rxa_identity_t *who,
                      const char *scope)
{
    apr_array_header_t *granted;

    if (who->bearer)
        return rxa_words_contain(who->bearer->scopes, scope);
    granted = apr_array_make(pool, 8, sizeof(char *));
    if (who->session->granted_scopes)
        rxa_words_merge(pool, granted, who->session->granted_scopes);
    return rxa_words_contain(granted, scope);
}

static authz_status scope_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const rxa_identity_t *who = request_identity(r);
    apr_array_header_t *wanted;
    const char *scope;

    if (!r->user)
        return needs_user(r);
    if (!who)
        return deny(r, RXA_AUDIT_R_INSUFFICIENT_SCOPE, NULL);
    wanted = apr_array_make(r->pool, 2, sizeof(char *));
    while (*(scope = ap_getword_conf(r->pool, &line))) {
        if (scope_held(r->pool, who, scope))
            return AUTHZ_GRANTED;
        APR_ARRAY_PUSH(wanted, const char *) = scope;
    }
    return deny(r, RXA_AUDIT_R_INSUFFICIENT_SCOPE,
                rxa_words_join(r->pool, wanted, " "));
}

/* The error document of a denied bearer request (R is the internal
 * redirect to the forbidden path): 403 with the Bearer challenge, naming
 * the scopes a failed reflex-scope line asked for. DECLINED for anything
 * else: the forbidden page. */
int rxa_authz_bearer_forbidden(request_rec *r)
{
    const rxa_request_state_t *st = r->prev
        ? ap_get_module_config(r->prev->request_config, &reflex_auth_module)
        : NULL;
    const char *scope = NULL;
    int i;

    if (!st || !st->who || !st->who->bearer || st->denied == RXA_AUDIT_R_NONE)
        return DECLINED;
    for (i = 0; st->denials && i < st->denials->nelts; i++) {
        const rxa_denial_t *d = &APR_ARRAY_IDX(st->denials, i, rxa_denial_t);
        if (d->reason == RXA_AUDIT_R_INSUFFICIENT_SCOPE)
            scope = scope ? apr_pstrcat(r->pool, scope, " ", d->what, NULL)
                          : d->what;
    }
    return rxa_bearer_answer(r, HTTP_FORBIDDEN, "insufficient_scope",
                             "The access token does not grant this request",
                             scope);
}

static const authz_provider claim_provider = { claim_check, parse_claim_line };
static const authz_provider provider_provider = { provider_check,
                                                  parse_provider_line };
static const authz_provider scope_provider = { scope_check, parse_scope_line };

void rxa_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "reflex-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "reflex-provider",
                              AUTHZ_PROVIDER_VERSION, &provider_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "reflex-scope",
                              AUTHZ_PROVIDER_VERSION, &scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_log_transaction(deny_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
}
