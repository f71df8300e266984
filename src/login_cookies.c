/* The login-state cookies: what a login in flight needs at its callback
 * (state, nonce, PKCE verifier, where to go back), sealed, in one of
 * LOGIN_SLOTS cookies scoped to the callback path, so that a few logins
 * from several tabs can be in flight at once; a counter cookie scoped to
 * the login path says which slot the next login takes. */
#include <apr_strings.h>

#include "mod_reflex_auth.h"
#include "rxa_cookie.h"
#include "rxa_json.h"
#include "rxa_random.h"

#define LOGIN_COOKIE_PREFIX "__Secure-reflex_login_"
#define LOGIN_COOKIE_NEXT   "__Secure-reflex_login_next"
#define LOGIN_SLOTS 4
/* Longest sealed login state read back. */
#define LOGIN_STATE_MAX 8192

/* Which of the LOGIN_SLOTS login-state cookies the next login takes: a
 * round-robin counter, so the oldest login in flight is the one dropped. */
static int login_next_slot(request_rec *r)
{
    const char *v = NULL, *err;

    rxa_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                   LOGIN_COOKIE_NEXT, &v, &err);
    if (v && v[0] >= '0' && v[0] < '0' + LOGIN_SLOTS && !v[1])
        return v[0] - '0';
    return 0;
}

apr_status_t rxa_login_state_set(request_rec *r, const rxa_srv_conf_t *sc,
                                 const rxa_login_state_t *ls)
{
    rxa_cookie_attrs_t attrs;
    const char *name, *set_cookie, *err;
    char *plain, *sealed;
    json_t *login;
    apr_status_t rv;
    int slot = login_next_slot(r);

    login = rxa_json_pool_own(r->pool, json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
        "state", ls->state, "nonce", ls->nonce, "verifier", ls->verifier,
        "provider", ls->provider, "redirect_uri", ls->redirect_uri,
        "redirect_to", ls->redirect_to,
        "expires", (json_int_t)(apr_time_sec(apr_time_now())
                                + RXA_COOKIE_LOGIN_MAX_AGE)));
    if (!(plain = rxa_json_text(r->pool, login, JSON_COMPACT)))
        return APR_ENOMEM;
    name = apr_psprintf(r->pool, LOGIN_COOKIE_PREFIX "%d", slot);
    if ((rv = rxa_seal(r->pool, sc->keyring, name, (const unsigned char *)plain,
                       strlen(plain), &sealed)) != APR_SUCCESS)
        return rv;
    attrs.path = sc->callback_path;
    attrs.max_age = RXA_COOKIE_LOGIN_MAX_AGE;
    attrs.same_site = RXA_SAMESITE_LAX;
    if (rxa_cookie_format(r->pool, name, sealed, &attrs, &set_cookie, &err)
        == APR_SUCCESS)
        apr_table_addn(r->err_headers_out, "Set-Cookie", set_cookie);
    attrs.path = sc->login_path;
    attrs.max_age = 3600;
    if (rxa_cookie_format(r->pool, LOGIN_COOKIE_NEXT,
                          apr_psprintf(r->pool, "%d", (slot + 1) % LOGIN_SLOTS),
                          &attrs, &set_cookie, &err) == APR_SUCCESS)
        apr_table_addn(r->err_headers_out, "Set-Cookie", set_cookie);
    return APR_SUCCESS;
}

rxa_login_state_t *rxa_login_state_find(request_rec *r,
                                        const rxa_srv_conf_t *sc,
                                        const char *state)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    apr_int64_t now = apr_time_sec(apr_time_now());
    int slot;

    for (slot = 0; state && slot < LOGIN_SLOTS; slot++) {
        const char *name = apr_psprintf(r->pool, LOGIN_COOKIE_PREFIX "%d", slot);
        const char *sealed = NULL, *err;
        unsigned char *plain;
        apr_size_t len;
        json_t *j;
        rxa_login_state_t *ls;

        if (rxa_cookie_get(r->pool, header, name, &sealed, &err) != APR_SUCCESS
            || !sealed
            || rxa_unseal(r->pool, sc->keyring, name, sealed, strlen(sealed),
                          &plain, &len) != APR_SUCCESS
            || !(j = rxa_json_parse_object(r->pool, (const char *)plain, len,
                                           LOGIN_STATE_MAX, &err)))
            continue;
        ls = apr_pcalloc(r->pool, sizeof(*ls));
        ls->cookie = name;
        ls->state = rxa_json_get_str(j, "state");
        ls->nonce = rxa_json_get_str(j, "nonce");
        ls->verifier = rxa_json_get_str(j, "verifier");
        ls->provider = rxa_json_get_str(j, "provider");
        ls->redirect_uri = rxa_json_get_str(j, "redirect_uri");
        ls->redirect_to = rxa_json_get_str(j, "redirect_to");
        if (!ls->state || !ls->nonce || !ls->verifier || !ls->provider
            || !ls->redirect_uri || !ls->redirect_to
            || json_integer_value(json_object_get(j, "expires")) < now)
            continue;
        if (rxa_ct_streq(ls->state, state))
            return ls;
    }
    return NULL;
}

void rxa_login_state_clear(request_rec *r, const rxa_srv_conf_t *sc,
                           const rxa_login_state_t *ls)
{
    rxa_cookie_attrs_t attrs = { sc->callback_path, RXA_COOKIE_LOGIN_MAX_AGE,
                                 RXA_SAMESITE_LAX };
    const char *set_cookie, *err;

    if (rxa_cookie_format_delete(r->pool, ls->cookie, &attrs, &set_cookie,
                                 &err) == APR_SUCCESS)
        apr_table_addn(r->err_headers_out, "Set-Cookie", set_cookie);
}
