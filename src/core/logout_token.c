/* Back-Channel Logout requests and logout token claims: see
 * rxa_logout_token.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include <openssl/evp.h>

#include "rxa_claims.h"
#include "rxa_logout_token.h"
#include "rxa_query.h"

#define JTI_KEY_PREFIX "rxa1:jti:"
#define JTI_KEY_LEN (sizeof(JTI_KEY_PREFIX) - 1 + 64)

static apr_status_t refuse(const char **err, const char *why)
{
    *err = why;
    return APR_EINVAL;
}

apr_status_t rxa_logout_form_parse(apr_pool_t *pool, const char *body,
                                   apr_size_t len, const char **token,
                                   const char **err)
{
    apr_table_t *params;
    apr_array_header_t *repeated;
    const apr_array_header_t *elts;
    const apr_table_entry_t *e;
    apr_status_t rv;

    *token = NULL;
    if (len == 0)
        return refuse(err, "RXA08100: the request body is empty");
    if (len > RXA_LOGOUT_BODY_MAX)
        return refuse(err, "RXA08101: the request body is too long");
    if (memchr(body, '\0', len))
        return refuse(err, "RXA08102: the request body holds a NUL byte");
    rv = rxa_query_parse(pool, apr_pstrmemdup(pool, body, len), &params,
                         &repeated, err);
    if (rv != APR_SUCCESS)
        return rv;
    elts = apr_table_elts(params);
    e = (const apr_table_entry_t *)elts->elts;
    /* apr_table keys ignore case: compare the name exactly */
    if (elts->nelts != 1 || strcmp(e[0].key, "logout_token"))
        return refuse(err, "RXA08103: the form must hold exactly one "
                           "parameter, logout_token");
    if (!*e[0].val)
        return refuse(err, "RXA08104: logout_token is empty");
    *token = e[0].val;
    return APR_SUCCESS;
}

/* A JSON string equal to WANT, byte for byte (an embedded NUL cannot pass
 * for a prefix). */
static int is_string(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want)
           && !memcmp(json_string_value(v), want, strlen(want));
}

static int aud_contains(const json_t *aud, const char *client_id)
{
    size_t i;

    if (json_is_string(aud))
        return is_string(aud, client_id);
    if (!json_is_array(aud))
        return 0;
    for (i = 0; i < json_array_size(aud); i++)
        if (is_string(json_array_get(aud, i), client_id))
            return 1;
    return 0;
}

static apr_status_t check_times(const json_t *claims,
                                const rxa_logout_expect_t *x,
                                rxa_logout_token_t *out, const char **err)
{
    apr_int64_t skew = x->skew < 0 ? 0
        : x->skew > RXA_CLAIMS_MAX_TIME ? RXA_CLAIMS_MAX_TIME : x->skew;
    apr_status_t rv;

    if ((rv = rxa_claims_get_time(claims, "iat", &out->iat)) != APR_SUCCESS)
        return refuse(err, rv == APR_NOTFOUND
                      ? "RXA08110: iat is missing"
                      : "RXA08111: iat is not a sane NumericDate");
    if (out->iat > x->now + skew)
        return refuse(err, "RXA08112: the token was issued in the future");
    rv = rxa_claims_get_time(claims, "exp", &out->exp);
    if (rv == APR_NOTFOUND) {
        out->exp = 0;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS)
        return refuse(err, "RXA08113: exp is not a sane NumericDate");
    if (x->now >= out->exp + skew)
        return refuse(err, "RXA08114: the token has expired");
    return APR_SUCCESS;
}

static apr_status_t check_subject(const json_t *claims,
                                  rxa_logout_token_t *out, const char **err)
{
    apr_status_t sid_rv = rxa_claims_get_id(claims, "sid", RXA_LOGOUT_ID_MAX,
                                            &out->sid);
    apr_status_t sub_rv = rxa_claims_get_id(claims, "sub", RXA_LOGOUT_ID_MAX,
                                            &out->sub);

    if (sid_rv == APR_EINVAL)
        return refuse(err, "RXA08120: sid is not a short printable string");
    if (sub_rv == APR_EINVAL)
        return refuse(err, "RXA08121: sub is not a short printable string");
    if (!out->sid && !out->sub)
        return refuse(err, "RXA08122: the token has neither sid nor sub");
    if (rxa_claims_get_id(claims, "jti", RXA_LOGOUT_JTI_MAX, &out->jti)
        != APR_SUCCESS)
        return refuse(err, "RXA08123: jti is missing or not a short "
                           "printable string");
    return APR_SUCCESS;
}

apr_status_t rxa_logout_token_check(apr_pool_t *pool, const json_t *claims,
                                    const rxa_logout_expect_t *expect,
                                    rxa_logout_token_t *out, const char **err)
{
    const json_t *events;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(claims))
        return refuse(err, "RXA08130: the claims are not a JSON object");
    if (!expect->issuer
        || !is_string(json_object_get(claims, "iss"), expect->issuer))
        return refuse(err, "RXA08131: iss does not equal the issuer");
    if (!expect->client_id
        || !aud_contains(json_object_get(claims, "aud"), expect->client_id))
        return refuse(err, "RXA08132: aud does not contain the client_id");
    if ((rv = check_times(claims, expect, out, err)) != APR_SUCCESS)
        return rv;
    events = json_object_get(claims, "events");
    if (!json_is_object(events))
        return refuse(err, "RXA08133: events is missing or not an object");
    if (!json_is_object(json_object_get(events, RXA_LOGOUT_EVENT)))
        return refuse(err, "RXA08134: events has no back-channel logout "
                           "member holding an object");
    /* a nonce would let an ID token pass for a logout token */
    if (json_object_get(claims, "nonce"))
        return refuse(err, "RXA08135: the token holds a nonce");
    if ((rv = check_subject(claims, out, err)) != APR_SUCCESS)
        return rv;
    out->iss = apr_pstrdup(pool, expect->issuer);
    out->sid = out->sid ? apr_pstrdup(pool, out->sid) : NULL;
    out->sub = out->sub ? apr_pstrdup(pool, out->sub) : NULL;
    out->jti = apr_pstrdup(pool, out->jti);
    return APR_SUCCESS;
}

const char *rxa_logout_jti_key(apr_pool_t *pool, const rxa_logout_token_t *t)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *key, *o;
    int ok;

    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
         && EVP_DigestUpdate(ctx, t->iss, strlen(t->iss) + 1)
         && EVP_DigestUpdate(ctx, t->jti, strlen(t->jti))
         && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return NULL;
    key = apr_palloc(pool, JTI_KEY_LEN + 1);
    memcpy(key, JTI_KEY_PREFIX, sizeof(JTI_KEY_PREFIX) - 1);
    o = key + sizeof(JTI_KEY_PREFIX) - 1;
    for (i = 0; i < mdlen; i++) {
        *o++ = hex[md[i] >> 4];
        *o++ = hex[md[i] & 15];
    }
    *o = '\0';
    return key;
}

apr_uint32_t rxa_logout_jti_ttl(const rxa_logout_token_t *t, apr_int64_t now,
                                apr_int64_t skew)
{
    apr_int64_t ttl = t->exp ? t->exp + skew - now
                             : RXA_LOGOUT_JTI_TTL_DEFAULT;

    if (ttl < 1)
        return 1;
    return ttl > RXA_LOGOUT_JTI_TTL_MAX ? RXA_LOGOUT_JTI_TTL_MAX
                                        : (apr_uint32_t)ttl;
}

/* --- the per-process table -------------------------------------------------- */

typedef struct {
    char key[JTI_KEY_LEN + 1];
    apr_int64_t until;              /* 0: free */
} seen_slot_t;

struct rxa_logout_seen {
    apr_thread_mutex_t *mutex;
    seen_slot_t *slots;
    apr_size_t n;
};

apr_status_t rxa_logout_seen_create(apr_pool_t *pool, apr_size_t n,
                                    rxa_logout_seen_t **out)
{
    apr_thread_mutex_t *mutex = NULL;
    apr_status_t rv = n < 1 ? APR_EINVAL
        : apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, pool);

    *out = NULL;
    if (rv == APR_SUCCESS) {
        *out = apr_pcalloc(pool, sizeof(**out));
        (*out)->mutex = mutex;
        (*out)->slots = apr_pcalloc(pool, n * sizeof(seen_slot_t));
        (*out)->n = n;
    }
    return rv;
}

apr_status_t rxa_logout_seen_claim(rxa_logout_seen_t *t, const char *key,
                                   apr_int64_t now, apr_uint32_t ttl)
{
    seen_slot_t *victim = NULL;
    apr_status_t rv = APR_SUCCESS;
    apr_size_t i;

    if (strlen(key) > JTI_KEY_LEN)
        return APR_EINVAL;
    apr_thread_mutex_lock(t->mutex);
    for (i = 0; i < t->n; i++) {
        seen_slot_t *s = &t->slots[i];
        if (s->until > now && !strcmp(s->key, key)) {
            rv = APR_EEXIST;
            break;
        }
        if (!victim || s->until < victim->until)
            victim = s;
    }
    if (rv == APR_SUCCESS) {
        strcpy(victim->key, key);
        victim->until = now + ttl;
    }
    apr_thread_mutex_unlock(t->mutex);
    return rv;
}
