/* The four cookies of a sign-in: see rxa_session.h. */
#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_random.h"
#include "rxa_session.h"

static const char *const kind_suffix[RXA_CK_COUNT] = {
    "access_token", "id_token", "refresh_token", "granted_scopes"
};

const char *rxa_session_cookie_name(apr_pool_t *pool, const char *provider,
                                    rxa_cookie_kind_t kind)
{
    return apr_pstrcat(pool, "__Host-reflex_", provider, "_",
                       kind_suffix[kind], NULL);
}

apr_status_t rxa_session_new_sid(apr_pool_t *pool, rxa_session_t *s)
{
    char *sid;
    apr_status_t rv = rxa_random_b64url(pool, 16, &sid);

    if (rv == APR_SUCCESS)
        s->sid = sid;
    return rv;
}

/* Plaintexts: "<binding>\n<value>", the access token's
 * "<binding>\n<expiry>\n<token>". The binding line, the same in all four,
 * is "<sid> <started_at>": the sign-in and when it began, sealed into every
 * cookie so neither can be changed in one of them alone. Cookies sealed
 * before the start was kept have a binding of "<sid>" alone. */
static const char *binding_line(apr_pool_t *pool, const rxa_session_t *s)
{
    return apr_psprintf(pool, "%s %" APR_INT64_T_FMT, s->sid, s->started_at);
}

/* S's sid and started_at from the binding line LINE of LEN bytes. */
static apr_status_t binding_parse(apr_pool_t *pool, const char *line,
                                  apr_size_t len, rxa_session_t *s)
{
    const char *sp = memchr(line, ' ', len);
    apr_size_t sid_len = sp ? (apr_size_t)(sp - line) : len;
    const char *digits;
    char *end;

    if (sid_len == 0)
        return APR_EINVAL;
    s->sid = apr_pstrmemdup(pool, line, sid_len);
    s->started_at = 0;
    if (!sp)
        return APR_SUCCESS;
    /* at most 18 digits: no overflow, no sign, no spaces */
    digits = apr_pstrmemdup(pool, sp + 1, len - sid_len - 1);
    if (!apr_isdigit(*digits) || strlen(digits) > 18)
        return APR_EINVAL;
    s->started_at = apr_strtoi64(digits, &end, 10);
    return *end ? APR_EINVAL : APR_SUCCESS;
}

apr_status_t rxa_session_seal(apr_pool_t *pool,
                              const rxa_seal_keyring_t *ring,
                              const rxa_session_t *s,
                              const char *values[RXA_CK_COUNT])
{
    const char *plain[RXA_CK_COUNT], *bind = binding_line(pool, s);
    int k;

    plain[RXA_CK_ACCESS] = apr_psprintf(pool, "%s\n%" APR_INT64_T_FMT "\n%s",
                                        bind, s->expires_at, s->access_token);
    plain[RXA_CK_ID] = apr_pstrcat(pool, bind, "\n", s->id_token, NULL);
    plain[RXA_CK_REFRESH] = apr_pstrcat(pool, bind, "\n",
                                        s->refresh_token ? s->refresh_token
                                        : "", NULL);
    plain[RXA_CK_SCOPES] = apr_pstrcat(pool, bind, "\n",
                                       s->granted_scopes ? s->granted_scopes
                                       : "", NULL);
    for (k = 0; k < RXA_CK_COUNT; k++) {
        char *sealed;
        apr_status_t rv = rxa_seal_bound(pool, ring,
                                         rxa_session_cookie_name(pool, s->provider, k),
                                         NULL, (const unsigned char *)plain[k],
                                         strlen(plain[k]), &sealed);
        if (rv != APR_SUCCESS)
            return rv;
        values[k] = sealed;
    }
    return APR_SUCCESS;
}

apr_status_t rxa_session_open(apr_pool_t *pool,
                              const rxa_seal_keyring_t *ring,
                              const char *provider,
                              const char *const values[RXA_CK_COUNT],
                              rxa_session_t **out)
{
    rxa_session_t *s;
    const char *body[RXA_CK_COUNT];
    apr_size_t bind_len = 0;
    char *plain0 = NULL, *end;
    int k, present = 0;

    for (k = 0; k < RXA_CK_COUNT; k++)
        present += values[k] != NULL;
    if (!present)
        return APR_NOTFOUND;
    if (present != RXA_CK_COUNT)
        return APR_EINVAL;
    for (k = 0; k < RXA_CK_COUNT; k++) {
        unsigned char *plain;
        apr_size_t len;
        const char *nl;

        if (rxa_unseal_bound(pool, ring,
                             rxa_session_cookie_name(pool, provider, k), NULL,
                             values[k], strlen(values[k]), &plain, &len)
            != APR_SUCCESS)
            return APR_EINVAL;
        if (memchr(plain, '\0', len) || !(nl = strchr((char *)plain, '\n')))
            return APR_EINVAL;
        if (k == 0) {
            plain0 = (char *)plain;
            bind_len = (apr_size_t)(nl - plain0);
        }
        /* every cookie of the set names the same sign-in and start */
        else if ((apr_size_t)(nl - (char *)plain) != bind_len
                 || !rxa_ct_memeq(plain, bind_len, plain0, bind_len))
            return APR_EINVAL;
        body[k] = nl + 1;
    }
    s = apr_pcalloc(pool, sizeof(*s));
    if (binding_parse(pool, plain0, bind_len, s) != APR_SUCCESS)
        return APR_EINVAL;
    s->provider = provider;
    s->expires_at = apr_strtoi64(body[RXA_CK_ACCESS], &end, 10);
    if (end == body[RXA_CK_ACCESS] || *end != '\n' || s->expires_at <= 0)
        return APR_EINVAL;
    s->access_token = end + 1;
    s->id_token = body[RXA_CK_ID];
    s->refresh_token = *body[RXA_CK_REFRESH] ? body[RXA_CK_REFRESH] : NULL;
    s->granted_scopes = body[RXA_CK_SCOPES];
    if (!*s->access_token || !*s->id_token)
        return APR_EINVAL;
    *out = s;
    return APR_SUCCESS;
}
