/* Authorization (SPEC 8): Require reflex-claim CLAIM VALUE ... and
 * Require reflex-provider NAME ... An authenticated user who fails gets the
 * forbidden page with 403. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_request.h>
#include <mod_auth.h>

#include "mod_reflex_auth.h"

static const char *parse_claim_line(cmd_parms *cmd, const char *line,
                                    const void **parsed)
{
    const char *w = line;

    if (!*ap_getword_conf(cmd->temp_pool, &w) || !*ap_getword_conf(cmd->temp_pool, &w))
        return "RXA00080: Require reflex-claim needs a claim and at least one "
               "value";
    return NULL;
}

static const char *parse_provider_line(cmd_parms *cmd, const char *line,
                                       const void **parsed)
{
    const char *w = line;

    if (!*ap_getword_conf(cmd->temp_pool, &w))
        return "RXA00081: Require reflex-provider needs at least one name";
    return NULL;
}

static const rxa_identity_t *request_identity(request_rec *r)
{
    const rxa_identity_t *who = ap_get_module_config(r->request_config,
                                                     &reflex_auth_module);
    return who && who->session ? who : NULL;
}

/* mod_authz_core answers an authenticated user it denies with 401 (so
 * that Basic auth prompts again); for us that user is signed in and simply
 * not let in, so the error document for that 401 (and a 403 from elsewhere)
 * is the forbidden page, which answers 403 (SPEC 8). */
static authz_status deny(request_rec *r, rxa_audit_reason_e reason)
{
    const rxa_srv_conf_t *sc = rxa_srv_conf(r->server);
    const rxa_identity_t *who = request_identity(r);

    rxa_audit(r, RXA_AUDIT_ACCESS_DENIED, RXA_AUDIT_FAILURE, reason,
              who ? who->provider->name : NULL, who ? who->sub : NULL, NULL);

    ap_custom_response(r, HTTP_UNAUTHORIZED, sc->forbidden_path);
    ap_custom_response(r, HTTP_FORBIDDEN, sc->forbidden_path);
    return AUTHZ_DENIED;
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
        return AUTHZ_DENIED_NO_USER;
    if (!who)
        return deny(r, RXA_AUDIT_R_CLAIM_MISMATCH);
    claim = ap_getword_conf(r->pool, &line);
    v = json_object_get(who->claims, claim);
    while (v && *(value = ap_getword_conf(r->pool, &line)))
        if (claim_has(v, value))
            return AUTHZ_GRANTED;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00082: access denied: "
                  "claim %s does not match", ap_escape_logitem(r->pool, claim));
    return deny(r, RXA_AUDIT_R_CLAIM_MISMATCH);
}

static authz_status provider_check(request_rec *r, const char *line,
                                   const void *parsed)
{
    const rxa_identity_t *who = request_identity(r);
    const char *name;

    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    if (!who)
        return deny(r, RXA_AUDIT_R_PROVIDER_MISMATCH);
    while (*(name = ap_getword_conf(r->pool, &line)))
        if (!strcasecmp(name, who->provider->name))
            return AUTHZ_GRANTED;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "RXA00083: access denied: "
                  "signed in with provider %s", who->provider->name);
    return deny(r, RXA_AUDIT_R_PROVIDER_MISMATCH);
}

static const authz_provider claim_provider = { claim_check, parse_claim_line };
static const authz_provider provider_provider = { provider_check,
                                                  parse_provider_line };

void rxa_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "reflex-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "reflex-provider",
                              AUTHZ_PROVIDER_VERSION, &provider_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
