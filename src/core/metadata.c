/* OpenID Connect discovery documents: see rxa_metadata.h. */
#include <apr_strings.h>

#include "rxa_json.h"
#include "rxa_metadata.h"
#include "rxa_util.h"

/* The JWS algorithms the module verifies; the rest are ignored. */
static const char *const supported_algs[] = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512", "EdDSA", NULL
};

const char *rxa_discovery_url(apr_pool_t *pool, const char *issuer)
{
    return apr_pstrcat(pool, rxa_strip_trailing_slash(pool, issuer),
                       "/.well-known/openid-configuration", NULL);
}

int rxa_issuer_matches(const char *configured, const char *published)
{
    apr_size_t clen, plen;
    const char *c = configured, *p = published;

    if (!configured || !published)
        return 0;
    clen = strlen(c);
    plen = strlen(p);
    if (clen && c[clen - 1] == '/')
        clen--;
    if (plen && p[plen - 1] == '/')
        plen--;
    while (plen > 0 && clen > 0) {
        apr_size_t tlen = sizeof(RXA_TENANT_TEMPLATE) - 1;
        if (plen >= tlen && !strncmp(p, RXA_TENANT_TEMPLATE, tlen)) {
            apr_size_t seg = 0;
            while (seg < clen && c[seg] != '/')
                seg++;
            if (seg == 0)
                return 0;
            c += seg;
            clen -= seg;
            p += tlen;
            plen -= tlen;
            continue;
        }
        if (*c != *p)
            return 0;
        c++, p++, clen--, plen--;
    }
    return clen == 0 && plen == 0;
}

static apr_status_t md_endpoint(apr_pool_t *pool, json_t *doc, const char *key,
                                int required, const char **out,
                                const char **perr)
{
    json_t *v = json_object_get(doc, key);

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return APR_SUCCESS;
        *perr = apr_psprintf(pool, "RXA02101: discovery document has no %s",
                             key);
        return APR_EINVAL;
    }
    if (!json_is_string(v) || !rxa_url_is_secure(pool, json_string_value(v))) {
        *perr = apr_psprintf(pool, "RXA02102: discovery document's %s is not "
                             "an https URL (plain http only on a loopback "
                             "address)", key);
        return APR_EINVAL;
    }
    *out = apr_pstrdup(pool, json_string_value(v));
    return APR_SUCCESS;
}

static int md_list_has(json_t *doc, const char *key, const char *value)
{
    json_t *list = json_object_get(doc, key), *v;
    size_t i;

    json_array_foreach(list, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), value))
            return 1;
    return 0;
}

apr_status_t rxa_metadata_parse(apr_pool_t *pool,
                                const char *configured_issuer,
                                const char *body, apr_size_t len,
                                rxa_metadata_t **pmd, const char **perr)
{
    rxa_metadata_t *md = apr_pcalloc(pool, sizeof(*md));
    json_t *doc, *algs;
    const char *issuer;
    apr_status_t rv;
    int i;

    if (!(doc = rxa_json_parse_object(pool, body, len,
                                      RXA_DISCOVERY_MAX_BYTES, perr)))
        return APR_EINVAL;
    issuer = rxa_json_get_str(doc, "issuer");
    if (!issuer) {
        *perr = "RXA02103: discovery document has no issuer";
        return APR_EINVAL;
    }
    if (!rxa_issuer_matches(configured_issuer, issuer)) {
        *perr = apr_psprintf(pool, "RXA02104: discovery document names issuer "
                             "'%s', not the configured '%s'", issuer,
                             configured_issuer);
        return APR_EINVAL;
    }
    md->issuer = apr_pstrdup(pool, issuer);
    md->issuer_is_template = strstr(issuer, RXA_TENANT_TEMPLATE) != NULL;
    if (!md->issuer_is_template && !rxa_url_is_secure(pool, md->issuer)) {
        *perr = "RXA02105: issuer is not an https URL";
        return APR_EINVAL;
    }
    if ((rv = md_endpoint(pool, doc, "authorization_endpoint", 1,
                          &md->authorization_endpoint, perr))
        /* Facebook publishes none: the provider loads, sign-in says why
         * it cannot complete. */
        || (rv = md_endpoint(pool, doc, "token_endpoint", 0,
                             &md->token_endpoint, perr))
        || (rv = md_endpoint(pool, doc, "jwks_uri", 1, &md->jwks_uri, perr))
        || (rv = md_endpoint(pool, doc, "userinfo_endpoint", 0,
                             &md->userinfo_endpoint, perr))
        || (rv = md_endpoint(pool, doc, "end_session_endpoint", 0,
                             &md->end_session_endpoint, perr)))
        return rv;

    /* Only what both sides accept; `none` and HMAC never. RS256 is
     * the OpenID default when the document says nothing. */
    md->signing_algs = apr_array_make(pool, 4, sizeof(const char *));
    algs = json_object_get(doc, "id_token_signing_alg_values_supported");
    for (i = 0; supported_algs[i]; i++) {
        if (algs ? md_list_has(doc, "id_token_signing_alg_values_supported",
                               supported_algs[i])
                 : !strcmp(supported_algs[i], "RS256"))
            APR_ARRAY_PUSH(md->signing_algs, const char *) = supported_algs[i];
    }
    if (md->signing_algs->nelts == 0) {
        *perr = "RXA02106: the provider lists no ID token signing algorithm "
                "the module accepts (RS*, PS*, ES*, EdDSA)";
        return APR_EINVAL;
    }
    /* client_secret_basic is the default; post only where it is all that is
     * listed among the two. */
    md->token_auth_post =
        md_list_has(doc, "token_endpoint_auth_methods_supported",
                    "client_secret_post")
        && !md_list_has(doc, "token_endpoint_auth_methods_supported",
                        "client_secret_basic");
    md->pkce_listed = md_list_has(doc, "code_challenge_methods_supported",
                                  "S256");
    *pmd = md;
    return APR_SUCCESS;
}
