/* Bearer tokens for APIs: see rxa_bearer.h. */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "rxa_b64url.h"
#include "rxa_bearer.h"
#include "rxa_claims.h"
#include "rxa_json.h"
#include "rxa_jws.h"
#include "rxa_query.h"

/* --- the Authorization header ------------------------------------------- */

/* RFC 9110 5.6.2 tchar: what an auth-scheme is made of. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 6750 2.1 b64token, without its trailing '='. */
static int is_b64token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr("-._~+/", c));
}

/* Whether S starts with the auth-scheme "Bearer" (any case). */
static int is_bearer_scheme(const char *s)
{
    return !strncasecmp(s, "bearer", 6) && !is_tchar((unsigned char)s[6]);
}

/* Whether a comma-separated element of S after its first comma starts with
 * the scheme Bearer: what httpd makes of two Authorization lines. */
static int joined_bearer(const char *s)
{
    while ((s = strchr(s, ',')) != NULL) {
        s++;
        s += strspn(s, " \t");
        if (is_bearer_scheme(s))
            return 1;
    }
    return 0;
}

static rxa_bearer_header_t header_says(rxa_bearer_header_t what,
                                       const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return what;
}

rxa_bearer_header_t rxa_bearer_from_headers(apr_pool_t *pool,
                                            const apr_array_header_t *values,
                                            const char **token,
                                            const char **reason)
{
    const char *v, *start, *p;
    apr_size_t n;

    *token = NULL;
    if (!values || values->nelts == 0)
        return RXA_BEARER_HEADER_NONE;
    if (values->nelts > 1)
        return header_says(RXA_BEARER_HEADER_TWO, reason,
                           "RXA08400: the request has more than one "
                           "Authorization header");
    v = APR_ARRAY_IDX(values, 0, const char *);
    if (!v)
        return RXA_BEARER_HEADER_NONE;
    if (!is_bearer_scheme(v))
        return joined_bearer(v)
               ? header_says(RXA_BEARER_HEADER_TWO, reason,
                             "RXA08401: the Authorization header joins "
                             "another scheme and Bearer")
               : RXA_BEARER_HEADER_NONE;
    p = v + 6;
    if (*p != ' ')
        return header_says(RXA_BEARER_HEADER_MALFORMED, reason,
                           "RXA08402: no space after the Bearer scheme");
    p += strspn(p, " ");
    start = p;
    while (is_b64token_char((unsigned char)*p))
        p++;
    if (p == start)
        return header_says(RXA_BEARER_HEADER_MALFORMED, reason,
                           "RXA08403: the Bearer scheme holds no token");
    p += strspn(p, "=");
    n = (apr_size_t)(p - start);
    p += strspn(p, " ");
    if (*p == ',' && joined_bearer(p))
        return header_says(RXA_BEARER_HEADER_TWO, reason,
                           "RXA08404: the Authorization header joins two "
                           "Bearer lines");
    if (*p)
        return header_says(RXA_BEARER_HEADER_MALFORMED, reason,
                           "RXA08405: the bearer token holds characters "
                           "outside b64token");
    if (n > RXA_BEARER_MAX_LEN)
        return header_says(RXA_BEARER_HEADER_MALFORMED, reason,
                           "RXA08406: the bearer token is too long");
    *token = apr_pstrmemdup(pool, start, n);
    return RXA_BEARER_HEADER_TOKEN;
}

static int is_b64url_part(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n > 0;
}

int rxa_bearer_is_jwt(apr_pool_t *pool, const char *token)
{
    const char *d1, *d2, *end;
    unsigned char *hdr;
    apr_size_t hdrlen;
    const json_t *alg;
    json_t *h;

    if (!token || !(d1 = strchr(token, '.')) || !(d2 = strchr(d1 + 1, '.')))
        return 0;
    end = d2 + 1 + strlen(d2 + 1);
    if (!is_b64url_part(token, (apr_size_t)(d1 - token))
        || !is_b64url_part(d1 + 1, (apr_size_t)(d2 - d1 - 1))
        || !is_b64url_part(d2 + 1, (apr_size_t)(end - d2 - 1)))
        return 0;
    if (rxa_b64url_decode(pool, token, (apr_size_t)(d1 - token), &hdr,
                          &hdrlen) != APR_SUCCESS
        || hdrlen > RXA_JWS_MAX_HEADER)
        return 0;
    h = rxa_json_parse_object(pool, (const char *)hdr, hdrlen,
                              RXA_JWS_MAX_HEADER, NULL);
    alg = h ? json_object_get(h, "alg") : NULL;
    return json_is_string(alg);
}

/* --- claims ------------------------------------------------------------- */

const char *rxa_bearer_err_name(rxa_bearer_err_t err)
{
    static const char *const names[] = {
        "ok", "malformed", "inactive", "typ", "iss", "aud", "exp", "nbf",
        "iat", "sub", "client_id", "scope", "kind"
    };

    return (unsigned)err < sizeof(names) / sizeof(names[0]) ? names[err]
                                                            : "unknown";
}

static rxa_bearer_err_t fail(const char **reason, rxa_bearer_err_t err,
                             const char *why)
{
    if (reason)
        *reason = why;
    return err;
}

/* A JSON string equal to WANT, byte for byte (an embedded NUL cannot pass
 * for a prefix). */
static int str_is(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want)
           && !memcmp(json_string_value(v), want, strlen(want));
}

/* Member NAME of OBJ; a JSON null counts as absent. */
static const json_t *member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);

    return json_is_null(v) ? NULL : v;
}

static rxa_bearer_err_t check_typ(const json_t *header, const char **reason)
{
    const json_t *typ = member(header, "typ");
    const char *s;

    if (!json_is_object(header))
        return fail(reason, RXA_BEARER_MALFORMED,
                    "RXA08410: the token's header is not a JSON object");
    if (!typ)
        return RXA_BEARER_OK;
    s = json_is_string(typ) ? json_string_value(typ) : NULL;
    if (!s || strlen(s) != json_string_length(typ)
        || (strcasecmp(s, "at+jwt") && strcasecmp(s, "application/at+jwt")
            && strcasecmp(s, "JWT")))
        return fail(reason, RXA_BEARER_TYP,
                    "RXA08411: the token's typ is not an access token's");
    return RXA_BEARER_OK;
}

static rxa_bearer_err_t check_aud(const json_t *claims,
                                  const apr_array_header_t *audiences,
                                  const char **reason)
{
    const json_t *aud = member(claims, "aud");
    size_t i, n;
    int j;

    if (!audiences || audiences->nelts == 0)
        return fail(reason, RXA_BEARER_AUD,
                    "RXA08420: no audience to check aud against");
    if (json_is_string(aud))
        n = 1;
    else if (json_is_array(aud) && json_array_size(aud) > 0)
        n = json_array_size(aud);
    else
        return fail(reason, RXA_BEARER_AUD,
                    "RXA08421: aud is missing, empty or not a string or "
                    "array");
    for (i = 0; i < n; i++) {
        const json_t *v = json_is_array(aud) ? json_array_get(aud, i) : aud;
        if (!json_is_string(v))
            return fail(reason, RXA_BEARER_AUD,
                        "RXA08422: aud holds a non-string");
        for (j = 0; j < audiences->nelts; j++)
            if (str_is(v, APR_ARRAY_IDX(audiences, j, const char *)))
                return RXA_BEARER_OK;
    }
    return fail(reason, RXA_BEARER_AUD,
                "RXA08423: aud holds none of the audiences");
}

/* The NumericDate member NAME (a JSON null counts as absent). */
static apr_status_t get_time(const json_t *claims, const char *name,
                             apr_int64_t *t)
{
    return member(claims, name) ? rxa_claims_get_time(claims, name, t)
                                : APR_NOTFOUND;
}

/* The optional NumericDate NAME not after LATEST: ERR with BAD (not a
 * NumericDate) or LATE (after it). */
static rxa_bearer_err_t check_not_after(const json_t *claims,
                                        const char *name, apr_int64_t latest,
                                        rxa_bearer_err_t err, const char *bad,
                                        const char *late, const char **reason)
{
    apr_int64_t t;
    apr_status_t rv = get_time(claims, name, &t);

    if (rv == APR_EINVAL)
        return fail(reason, err, bad);
    if (rv == APR_SUCCESS && t > latest)
        return fail(reason, err, late);
    return RXA_BEARER_OK;
}

/* exp (required when EXP_REQUIRED), nbf and iat within the skew; *EXP gets
 * exp, or 0 when absent. */
static rxa_bearer_err_t check_times(const json_t *claims,
                                    const rxa_bearer_expect_t *x,
                                    int exp_required, apr_int64_t *exp,
                                    const char **reason)
{
    apr_int64_t skew = x->skew < 0 ? 0
        : x->skew > RXA_CLAIMS_MAX_TIME ? RXA_CLAIMS_MAX_TIME : x->skew;
    apr_int64_t t;
    apr_status_t rv = get_time(claims, "exp", &t);
    rxa_bearer_err_t err;

    *exp = 0;
    if (rv == APR_NOTFOUND && exp_required)
        return fail(reason, RXA_BEARER_EXP, "RXA08430: exp is missing");
    if (rv == APR_EINVAL)
        return fail(reason, RXA_BEARER_EXP,
                    "RXA08431: exp is not a sane NumericDate");
    if (rv == APR_SUCCESS && x->now >= t + skew)
        return fail(reason, RXA_BEARER_EXP,
                    "RXA08432: the token has expired");
    if ((err = check_not_after(claims, "nbf", x->now + skew, RXA_BEARER_NBF,
                               "RXA08433: nbf is not a sane NumericDate",
                               "RXA08434: the token is not valid yet (nbf)",
                               reason))
        || (err = check_not_after(claims, "iat", x->now + skew,
                                  RXA_BEARER_IAT,
                                  "RXA08435: iat is not a sane NumericDate",
                                  "RXA08436: the token was issued in the "
                                  "future", reason)))
        return err;
    if (rv == APR_SUCCESS)
        *exp = t;
    return RXA_BEARER_OK;
}

/* Member NAME absent (a JSON null too: *OUT NULL, APR_NOTFOUND), or a
 * string rxa_claims_get_id takes (APR_SUCCESS, *OUT a copy from POOL),
 * else APR_EINVAL. */
static apr_status_t get_id(apr_pool_t *pool, const json_t *claims,
                           const char *name, const char **out)
{
    apr_status_t rv = APR_NOTFOUND;

    *out = NULL;
    if (member(claims, name)
        && (rv = rxa_claims_get_id(claims, name, RXA_BEARER_ID_MAX, out))
           == APR_SUCCESS)
        *out = apr_pstrdup(pool, *out);
    return rv;
}

static rxa_bearer_err_t check_ids(apr_pool_t *pool, const json_t *claims,
                                  rxa_bearer_claims_t *out,
                                  const char **reason)
{
    const char *azp;

    if (get_id(pool, claims, "sub", &out->sub) == APR_EINVAL)
        return fail(reason, RXA_BEARER_SUB,
                    "RXA08440: sub is not a short printable string");
    if (get_id(pool, claims, "client_id", &out->client_id) == APR_EINVAL
        || get_id(pool, claims, "azp", &azp) == APR_EINVAL)
        return fail(reason, RXA_BEARER_CLIENT_ID,
                    "RXA08441: client_id or azp is not a short printable "
                    "string");
    if (out->client_id && azp && strcmp(out->client_id, azp))
        return fail(reason, RXA_BEARER_CLIENT_ID,
                    "RXA08442: client_id and azp differ");
    if (!out->client_id)
        out->client_id = azp;
    return RXA_BEARER_OK;
}

/* RFC 6749 3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
static int is_scope_token(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n == 0 || n > RXA_BEARER_SCOPE_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static int has_scope(const apr_array_header_t *scopes, const char *s,
                     apr_size_t n)
{
    int i;

    for (i = 0; i < scopes->nelts; i++) {
        const char *have = APR_ARRAY_IDX(scopes, i, const char *);
        if (strlen(have) == n && !memcmp(have, s, n))
            return 1;
    }
    return 0;
}

/* Add the space-separated scopes of the JSON string V to SCOPES. */
static int add_scope_string(apr_pool_t *pool, const json_t *v,
                            apr_array_header_t *scopes)
{
    const char *s = json_string_value(v);
    const char *end = s + json_string_length(v);

    while (s < end) {
        const char *e;
        if (*s == ' ') {
            s++;
            continue;
        }
        e = memchr(s, ' ', (apr_size_t)(end - s));
        if (!e)
            e = end;
        if (!is_scope_token(s, (apr_size_t)(e - s)))
            return 0;
        if (!has_scope(scopes, s, (apr_size_t)(e - s))) {
            if (scopes->nelts >= RXA_BEARER_SCOPES_MAX)
                return 0;
            APR_ARRAY_PUSH(scopes, const char *)
                = apr_pstrmemdup(pool, s, (apr_size_t)(e - s));
        }
        s = e;
    }
    return 1;
}

static rxa_bearer_err_t get_scopes(apr_pool_t *pool, const json_t *claims,
                                   rxa_bearer_claims_t *out,
                                   const char **reason)
{
    const json_t *scope = member(claims, "scope");
    const json_t *scp = member(claims, "scp");
    int ok = 1;
    size_t i;

    out->scopes = apr_array_make(pool, 4, sizeof(const char *));
    if (scope)
        ok = json_is_string(scope) && add_scope_string(pool, scope,
                                                       out->scopes);
    else if (json_is_string(scp))
        ok = add_scope_string(pool, scp, out->scopes);
    else if (json_is_array(scp))
        for (i = 0; ok && i < json_array_size(scp); i++) {
            const json_t *v = json_array_get(scp, i);
            ok = json_is_string(v)
                 && is_scope_token(json_string_value(v), json_string_length(v))
                 && add_scope_string(pool, v, out->scopes);
        }
    else if (scp)
        ok = 0;
    return ok ? RXA_BEARER_OK
              : fail(reason, RXA_BEARER_SCOPE,
                     "RXA08450: scope or scp is malformed or holds too many "
                     "scopes");
}

/* A token bound to a key needs a proof of possession that a Bearer request
 * does not carry; an ID token (with its nonce) is no access token. */
static rxa_bearer_err_t check_kind(const json_t *claims, int introspected,
                                   const char **reason)
{
    const json_t *type = member(claims, "token_type");

    if (member(claims, "cnf"))
        return fail(reason, RXA_BEARER_KIND,
                    "RXA08470: the token is bound to a key (cnf)");
    if (!introspected && member(claims, "nonce"))
        return fail(reason, RXA_BEARER_KIND,
                    "RXA08471: the token holds a nonce (an ID token)");
    if (introspected && type
        && (!json_is_string(type) || json_string_length(type) != 6
            || strcasecmp(json_string_value(type), "bearer")))
        return fail(reason, RXA_BEARER_KIND,
                    "RXA08472: the introspected token_type is not Bearer");
    return RXA_BEARER_OK;
}

/* The checks shared by both kinds of token. */
static rxa_bearer_err_t check_rest(apr_pool_t *pool, const json_t *claims,
                                   const rxa_bearer_expect_t *x,
                                   int introspected, rxa_bearer_claims_t *c,
                                   const char **reason)
{
    rxa_bearer_err_t err;

    /* an introspection answer need not name its issuer */
    if ((!introspected || member(claims, "iss"))
        && rxa_claims_check_iss(pool, claims, x->issuer, x->tenants, reason)
           != RXA_CLAIMS_OK)
        return RXA_BEARER_ISS;
    if ((err = check_kind(claims, introspected, reason))
        || (err = check_aud(claims, x->audiences, reason))
        || (err = check_times(claims, x, !introspected, &c->exp, reason))
        || (err = check_ids(pool, claims, c, reason))
        || (err = get_scopes(pool, claims, c, reason)))
        return err;
    return RXA_BEARER_OK;
}

rxa_bearer_err_t rxa_bearer_jwt_check(apr_pool_t *pool, const json_t *header,
                                      const json_t *claims,
                                      const rxa_bearer_expect_t *expect,
                                      rxa_bearer_claims_t **out,
                                      const char **reason)
{
    rxa_bearer_claims_t *c = apr_pcalloc(pool, sizeof(*c));
    rxa_bearer_err_t err;

    *out = NULL;
    if (!json_is_object(claims))
        return fail(reason, RXA_BEARER_MALFORMED,
                    "RXA08412: the token's claims are not a JSON object");
    if ((err = check_typ(header, reason)))
        return err;
    if ((err = check_rest(pool, claims, expect, 0, c, reason)))
        return err;
    c->keep_until = c->exp;
    *out = c;
    return RXA_BEARER_OK;
}

rxa_bearer_err_t rxa_bearer_introspection_parse(
    apr_pool_t *pool, const char *body, apr_size_t len,
    const rxa_bearer_expect_t *expect, rxa_bearer_claims_t **out,
    const char **reason)
{
    rxa_bearer_claims_t *c = apr_pcalloc(pool, sizeof(*c));
    rxa_bearer_err_t err;
    apr_int64_t cap = expect->now + RXA_BEARER_INTROSPECTION_TTL_MAX;
    json_t *answer;

    *out = NULL;
    if (len > RXA_BEARER_INTROSPECTION_MAX_BYTES)
        return fail(reason, RXA_BEARER_MALFORMED,
                    "RXA08460: the introspection answer is too long");
    answer = rxa_json_parse_object(pool, body, len,
                                   RXA_BEARER_INTROSPECTION_MAX_BYTES, NULL);
    if (!answer)
        return fail(reason, RXA_BEARER_MALFORMED,
                    "RXA08461: the introspection answer is not a JSON "
                    "object");
    if (!json_is_true(json_object_get(answer, "active")))
        return fail(reason, RXA_BEARER_INACTIVE,
                    "RXA08462: the introspection answer says the token is "
                    "not active");
    if ((err = check_rest(pool, answer, expect, 1, c, reason)))
        return err;
    c->keep_until = c->exp && c->exp < cap ? c->exp : cap;
    *out = c;
    return RXA_BEARER_OK;
}

const char *rxa_bearer_introspection_form(apr_pool_t *pool,
                                          const char *token)
{
    return apr_pstrcat(pool, "token=", rxa_url_encode(pool, token),
                       "&token_type_hint=access_token", NULL);
}
