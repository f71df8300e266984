/* The provider registry: see rxa_provider.h. */
#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_provider.h"
#include "rxa_seal.h"
#include "rxa_session.h"
#include "rxa_util.h"

/* Names become part of cookie names and environment variable names. */
static const char *provider_name_check(apr_pool_t *pool, const char *name,
                                       const char **lower)
{
    char *l = apr_pstrdup(pool, name ? name : "");
    char *c;

    if (!*l || strlen(l) > RXA_PROVIDER_NAME_MAX || !apr_isalpha(*l))
        goto bad;
    for (c = l; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_')
            goto bad;
        *c = (char)apr_tolower(*c);
    }
    *lower = l;
    return NULL;
bad:
    return apr_psprintf(pool, "RXA02001: provider name '%s' is not valid: "
                        "use a letter then letters, digits or '_', at most %d",
                        name ? name : "", RXA_PROVIDER_NAME_MAX);
}

/* The next word of *S: up to whitespace, a double-quoted part (after '=')
 * read with its escapes. NULL at the end; *ERR on an unclosed quote. */
static char *spec_next_word(apr_pool_t *pool, const char **s,
                            const char **err)
{
    const char *c = *s;
    char *out, *o;

    while (*c && apr_isspace(*c))
        c++;
    if (!*c)
        return NULL;
    o = out = apr_palloc(pool, strlen(c) + 1);
    while (*c && !apr_isspace(*c)) {
        if (*c == '"') {
            for (c++; *c && *c != '"'; c++) {
                if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
                    c++;
                *o++ = *c;
            }
            if (*c != '"') {
                *err = "RXA02012: unclosed quote on a ReflexAuthProvider line";
                return NULL;
            }
            c++;
        }
        else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    *s = c;
    return out;
}

const char *rxa_provider_spec_parse(apr_pool_t *pool,
                                    rxa_provider_spec_t *spec,
                                    const char *args)
{
    const char *err = NULL, *name;
    char *word;
    int argn = 1;

    memset(spec, 0, sizeof(*spec));
    name = spec_next_word(pool, &args, &err);
    if (err)
        return err;
    if ((err = provider_name_check(pool, name, &spec->name)))
        return err;
    while ((word = spec_next_word(pool, &args, &err))) {
        char *eq = strchr(word, '=');
        const char **slot;

        argn++;
        /* Not echoed: it may be a secret typed without its key. */
        if (!eq)
            return apr_psprintf(pool, "RXA02002: provider %s: argument %d is "
                                "not key=value", spec->name, argn);
        *eq = '\0';
        if (!strcasecmp(word, "issuer"))
            slot = &spec->issuer;
        else if (!strcasecmp(word, "client_id"))
            slot = &spec->client_id;
        else if (!strcasecmp(word, "client_secret"))
            slot = &spec->client_secret;
        else if (!strcasecmp(word, "scopes"))
            slot = &spec->scopes;
        else if (!strcasecmp(word, "display_name"))
            slot = &spec->display_name;
        else if (!strcasecmp(word, "tenants"))
            slot = &spec->tenants;
        else
            return apr_psprintf(pool, "RXA02003: provider %s: unknown key "
                                "'%s' (known: issuer, client_id, "
                                "client_secret, scopes, display_name, "
                                "tenants)", spec->name, word);
        if (*slot)
            return apr_psprintf(pool, "RXA02004: provider %s: '%s' given "
                                "twice", spec->name, word);
        *slot = eq + 1;
    }
    return err;
}

static const char *provider_upper(apr_pool_t *pool, const char *name)
{
    char *up = apr_pstrdup(pool, name), *c;

    for (c = up; *c; c++)
        *c = (char)apr_toupper(*c);
    return up;
}

/* A value from the line, else {NAME}_KEY, else OIDC_KEY; *from says which
 * (for messages), *fallback whether the shared OIDC_ variable was used. */
static const char *provider_value(apr_pool_t *pool, const char *line_value,
                                  const char *name, const char *key,
                                  rxa_getenv_fn *getenv_fn, const void *baton,
                                  const char **from, int *fallback)
{
    const char *var, *v;

    *fallback = 0;
    if (line_value) {
        *from = "the ReflexAuthProvider line";
        return line_value;
    }
    var = apr_pstrcat(pool, provider_upper(pool, name), "_", key, NULL);
    if ((v = getenv_fn(baton, var)) && *v) {
        *from = var;
        return v;
    }
    *from = apr_pstrcat(pool, "OIDC_", key, NULL);
    *fallback = 1;
    v = getenv_fn(baton, *from);
    return v && *v ? v : NULL;
}

static const char *provider_title(apr_pool_t *pool, const char *name)
{
    char *t = apr_pstrdup(pool, name);
    char *c;
    int start = 1;

    for (c = t; *c; c++) {
        if (*c == '_') {
            *c = ' ';
            start = 1;
        }
        else {
            if (start)
                *c = (char)apr_toupper(*c);
            start = 0;
        }
    }
    return t;
}

static rxa_provider_t *provider_resolve_one(apr_pool_t *pool,
                                            const rxa_provider_spec_t *spec,
                                            const apr_array_header_t *extra,
                                            rxa_getenv_fn *getenv_fn,
                                            const void *baton, int *iss_fallback,
                                            int *cid_fallback)
{
    rxa_provider_t *p = apr_pcalloc(pool, sizeof(*p));
    const char *secret_from, *secret, *scopes, *tenants;
    int fb, i;

    p->name = spec->name;
    for (i = 0; i < RXA_CK_COUNT; i++)
        p->cookie_names[i] = rxa_session_cookie_name(pool, p->name,
                                                     (rxa_cookie_kind_t)i);
    p->display_name = spec->display_name && *spec->display_name
        ? spec->display_name : provider_title(pool, p->name);
    p->issuer = provider_value(pool, spec->issuer, p->name, "ISSUER_URI",
                               getenv_fn, baton, &p->issuer_from, iss_fallback);
    p->client_id = provider_value(pool, spec->client_id, p->name, "CLIENT_ID",
                                  getenv_fn, baton, &p->client_id_from,
                                  cid_fallback);
    secret = provider_value(pool, spec->client_secret, p->name,
                            "CLIENT_SECRET", getenv_fn, baton, &secret_from,
                            &fb);
    p->client_secret = secret && *secret ? secret : NULL;
    /* Scopes and tenants come from the line only (only ISSUER_URI,
     * CLIENT_ID and CLIENT_SECRET are read from the environment). */
    scopes = spec->scopes;
    tenants = spec->tenants;

    /* openid first, always: without it this is not OpenID Connect. */
    p->scopes = apr_array_make(pool, 8, sizeof(const char *));
    APR_ARRAY_PUSH(p->scopes, const char *) = "openid";
    rxa_words_merge(pool, p->scopes, scopes ? scopes : RXA_DEFAULT_SCOPES);
    for (i = 0; extra && i < extra->nelts; i++)
        rxa_words_merge(pool, p->scopes, APR_ARRAY_IDX(extra, i, const char *));
    p->scope = rxa_words_join(pool, p->scopes, " ");
    p->tenants = apr_array_make(pool, 2, sizeof(const char *));
    rxa_words_merge(pool, p->tenants, tenants);

    return p;
}

static const char *provider_names(apr_pool_t *pool,
                                  const apr_array_header_t *names)
{
    return rxa_words_join(pool, names, " and ");
}

apr_status_t rxa_providers_resolve(apr_pool_t *pool,
                                   const apr_array_header_t *specs,
                                   const apr_array_header_t *extra_scopes,
                                   rxa_getenv_fn *getenv_fn, const void *baton,
                                   apr_array_header_t **providers,
                                   const char **perr)
{
    apr_array_header_t *out, *iss_shared, *cid_shared;
    rxa_provider_spec_t generic;
    int i, j, n = specs ? specs->nelts : 0;

    out = apr_array_make(pool, n ? n : 1, sizeof(rxa_provider_t *));
    iss_shared = apr_array_make(pool, 2, sizeof(const char *));
    cid_shared = apr_array_make(pool, 2, sizeof(const char *));
    memset(&generic, 0, sizeof(generic));
    generic.name = RXA_GENERIC_PROVIDER;

    for (i = 0; i < (n ? n : 1); i++) {
        const rxa_provider_spec_t *spec = n
            ? APR_ARRAY_IDX(specs, i, const rxa_provider_spec_t *) : &generic;
        rxa_provider_t *p;
        int iss_fb, cid_fb;

        for (j = 0; j < out->nelts; j++) {
            if (!strcmp(APR_ARRAY_IDX(out, j, rxa_provider_t *)->name,
                        spec->name)) {
                *perr = apr_psprintf(pool, "RXA02005: provider %s is "
                                     "declared twice", spec->name);
                return APR_EINVAL;
            }
        }
        p = provider_resolve_one(pool, spec, extra_scopes, getenv_fn, baton,
                                 &iss_fb, &cid_fb);
        if (iss_fb)
            APR_ARRAY_PUSH(iss_shared, const char *) = p->name;
        if (cid_fb)
            APR_ARRAY_PUSH(cid_shared, const char *) = p->name;
        APR_ARRAY_PUSH(out, rxa_provider_t *) = p;
    }

    /* One OIDC_ISSUER_URI cannot serve two providers: say which. */
    if (iss_shared->nelts > 1 || cid_shared->nelts > 1) {
        int by_issuer = iss_shared->nelts > 1;
        const apr_array_header_t *names = by_issuer ? iss_shared : cid_shared;
        const char *key = by_issuer ? "ISSUER_URI" : "CLIENT_ID";
        const char *hint = "";

        for (j = 0; j < names->nelts; j++) {
            const char *nm = APR_ARRAY_IDX(names, j, const char *);
            hint = apr_pstrcat(pool, hint, j ? ", " : "",
                               provider_upper(pool, nm), "_", key, NULL);
        }
        *perr = apr_psprintf(pool, "RXA02006: providers %s would all take "
                             "their %s from OIDC_%s; give each its own "
                             "(%s, or %s= on its ReflexAuthProvider line)",
                             provider_names(pool, names),
                             by_issuer ? "issuer" : "client id", key, hint,
                             by_issuer ? "issuer" : "client_id");
        return APR_EINVAL;
    }

    for (i = 0; i < out->nelts; i++) {
        rxa_provider_t *p = APR_ARRAY_IDX(out, i, rxa_provider_t *);
        const char *up = provider_upper(pool, p->name);

        if (!p->issuer) {
            *perr = apr_psprintf(pool, "RXA02007: provider %s has no issuer: "
                                 "set %s_ISSUER_URI or OIDC_ISSUER_URI in "
                                 "httpd's environment, or issuer= on a "
                                 "ReflexAuthProvider line", p->name, up);
            return APR_EINVAL;
        }
        if (!p->client_id) {
            *perr = apr_psprintf(pool, "RXA02008: provider %s has no client "
                                 "id: set %s_CLIENT_ID or OIDC_CLIENT_ID in "
                                 "httpd's environment, or client_id= on a "
                                 "ReflexAuthProvider line", p->name, up);
            return APR_EINVAL;
        }
        if (!rxa_url_is_secure(pool, p->issuer)) {
            *perr = apr_psprintf(pool, "RXA02009: provider %s: issuer '%s' "
                                 "(from %s) must be an https URL (plain http "
                                 "only on a loopback address)", p->name,
                                 p->issuer, p->issuer_from);
            return APR_EINVAL;
        }
    }
    *providers = out;
    return APR_SUCCESS;
}

int rxa_providers_env_present(rxa_getenv_fn *getenv_fn, const void *baton)
{
    static const char *const vars[] = {
        "OIDC_ISSUER_URI", "OIDC_CLIENT_ID",
        "GENERIC_ISSUER_URI", "GENERIC_CLIENT_ID", NULL
    };
    int i;

    for (i = 0; vars[i]; i++) {
        const char *v = getenv_fn(baton, vars[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

rxa_provider_t *rxa_provider_find(const apr_array_header_t *providers,
                                  const char *name)
{
    int i;

    for (i = 0; providers && name && i < providers->nelts; i++) {
        rxa_provider_t *p = APR_ARRAY_IDX(providers, i, rxa_provider_t *);
        if (!strcmp(p->name, name))
            return p;
    }
    return NULL;
}

const char *rxa_cookie_secrets_check(apr_pool_t *pool,
                                     const apr_array_header_t *secrets)
{
    int i;

    if (!secrets || secrets->nelts == 0)
        return "RXA02010: no cookie secret: set ReflexAuthCookieSecret or "
               "OIDC_COOKIE_SECRET to at least 32 random bytes, the same on "
               "every replica; make one with `openssl rand -base64 32`";
    for (i = 0; i < secrets->nelts; i++) {
        const char *s = APR_ARRAY_IDX(secrets, i, const char *);
        if (strlen(s) < RXA_SEAL_MIN_SECRET)
            return apr_psprintf(pool, "RXA02011: cookie secret %d of %d is "
                                "%d bytes; at least %d are needed: make one "
                                "with `openssl rand -base64 32`", i + 1,
                                secrets->nelts, (int)strlen(s),
                                RXA_SEAL_MIN_SECRET);
    }
    return NULL;
}
