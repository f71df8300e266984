/* JWK and JWK Set import for verification: see rxa_jwk.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <string.h>

#include <apr_strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "rxa_b64url.h"
#include "rxa_json.h"
#include "rxa_jwk.h"
#include "rxa_jws.h"

/* --- algorithm names ------------------------------------------------------ */

static const char *const alg_names[RXA_JWS_ALG_COUNT] = {
    NULL,
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA"
};

#define ALGS_RS (RXA_JWS_ALGSET(RXA_JWS_RS256) | RXA_JWS_ALGSET(RXA_JWS_RS384) \
                 | RXA_JWS_ALGSET(RXA_JWS_RS512))
#define ALGS_PS (RXA_JWS_ALGSET(RXA_JWS_PS256) | RXA_JWS_ALGSET(RXA_JWS_PS384) \
                 | RXA_JWS_ALGSET(RXA_JWS_PS512))

rxa_jws_alg_t rxa_jws_alg_from_name(const char *name)
{
    int i;

    if (!name)
        return RXA_JWS_ALG_UNKNOWN;
    for (i = 1; i < RXA_JWS_ALG_COUNT; i++) {
        if (!strcmp(name, alg_names[i]))
            return (rxa_jws_alg_t)i;
    }
    return RXA_JWS_ALG_UNKNOWN;
}

const char *rxa_jws_alg_name(rxa_jws_alg_t alg)
{
    return (alg > RXA_JWS_ALG_UNKNOWN && alg < RXA_JWS_ALG_COUNT)
           ? alg_names[alg] : NULL;
}

rxa_jws_algset_t rxa_jws_algset_from_json(const json_t *names)
{
    rxa_jws_algset_t set = 0;
    size_t i;

    if (!json_is_array(names))
        return 0;
    for (i = 0; i < json_array_size(names); i++) {
        const json_t *v = json_array_get(names, i);
        rxa_jws_alg_t alg = json_is_string(v)
            ? rxa_jws_alg_from_name(json_string_value(v)) : RXA_JWS_ALG_UNKNOWN;
        if (alg != RXA_JWS_ALG_UNKNOWN)
            set |= RXA_JWS_ALGSET(alg);
    }
    return set;
}

/* What a key's own "alg" lets it verify: that family, with a hash at least
 * as strong. Exactly that one algorithm would be the literal reading of
 * RFC 7517 4.4, but published examples pair keys with a sibling (Wycheproof's
 * copy of the RFC 7520 key says PS256 and signs PS384); the attacks "alg" on
 * a key guards against are across families and towards weaker hashes, and
 * both stay refused. "ES521" is a misspelling of ES512 found in the same
 * examples; only a P-521 key can carry it usefully. */
static rxa_jws_algset_t key_alg_allows(const char *name)
{
    rxa_jws_alg_t alg = rxa_jws_alg_from_name(name);

    if (alg == RXA_JWS_ALG_UNKNOWN && !strcmp(name, "ES521"))
        alg = RXA_JWS_ES512;
    switch (alg) {
    case RXA_JWS_RS256: return ALGS_RS;
    case RXA_JWS_RS384: return ALGS_RS & ~RXA_JWS_ALGSET(RXA_JWS_RS256);
    case RXA_JWS_RS512: return RXA_JWS_ALGSET(RXA_JWS_RS512);
    case RXA_JWS_PS256: return ALGS_PS;
    case RXA_JWS_PS384: return ALGS_PS & ~RXA_JWS_ALGSET(RXA_JWS_PS256);
    case RXA_JWS_PS512: return RXA_JWS_ALGSET(RXA_JWS_PS512);
    case RXA_JWS_ES256:
    case RXA_JWS_ES384:
    case RXA_JWS_ES512:
    case RXA_JWS_EDDSA: return RXA_JWS_ALGSET(alg);
    default: return 0;
    }
}

/* --- helpers -------------------------------------------------------------- */

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

/* A kid fit for an error message: short printable ASCII only, since it
 * comes from the network and ends up in logs. */
static const char *kid_display(apr_pool_t *pool, const char *kid)
{
    const char *c;

    if (!kid)
        return "(none)";
    if (strlen(kid) > 64)
        return "(too long to show)";
    for (c = kid; *c; c++) {
        if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
            return "(unprintable)";
    }
    return apr_pstrcat(pool, "\"", kid, "\"", NULL);
}

static rxa_jwk_t *jwk_refuse(apr_pool_t *pool, const char *kid,
                             const char **perr, const char *why)
{
    if (perr)
        *perr = apr_psprintf(pool, "%s (kid %s)", why,
                             kid_display(pool, kid));
    return NULL;
}

/* A base64url member; NULL when absent, not a string, empty or badly
 * encoded. Some IdPs (battle.net) publish key members in standard base64
 * with padding: for key material, which the IdP serves over TLS and which
 * has one meaning however it is spelt, that is taken too. Tokens stay
 * strictly base64url. */
static const unsigned char *jwk_bytes(apr_pool_t *pool, const json_t *jwk,
                                      const char *name, apr_size_t *len)
{
    const json_t *v = json_object_get(jwk, name);
    apr_size_t i, n;
    unsigned char *out;
    char *s;

    if (!json_is_string(v) || (n = json_string_length(v)) == 0)
        return NULL;
    s = apr_pstrmemdup(pool, json_string_value(v), n);
    if (s[n - 1] == '=') {
        if (n % 4)
            return NULL;
        n -= s[n - 2] == '=' ? 2 : 1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '+')
            s[i] = '-';
        else if (s[i] == '/')
            s[i] = '_';
    }
    if (rxa_b64url_decode(pool, s, n, &out, len) != APR_SUCCESS || *len == 0)
        return NULL;
    return out;
}

/* --- RSA ------------------------------------------------------------------ */

/* The ROCA fingerprint (CVE-2017-15361, Nemec et al.): Infineon's broken
 * generator makes N mod p fall in the subgroup generated by 65537 for each
 * of these small primes; a random modulus essentially never does. */
static int rsa_roca_fingerprint(const BIGNUM *n)
{
    static const unsigned int primes[] = {
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
        71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139,
        149, 151, 157, 163, 167
    };
    apr_size_t i;

    for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++) {
        unsigned int p = primes[i], g = 65537 % p, x = 1, member = 0;
        BN_ULONG r = BN_mod_word(n, p);

        if (r == (BN_ULONG)-1)
            return 0;
        do {
            if (x == r)
                member = 1;
            x = (x * g) % p;
        } while (x != 1 && !member);
        if (!member)
            return 0;
    }
    return 1;
}

static rxa_jwk_t *jwk_rsa(apr_pool_t *pool, const json_t *jwk, rxa_jwk_t *key,
                          const char **perr)
{
    const unsigned char *nb, *eb;
    apr_size_t nlen, elen;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    const char *why = NULL;

    if (!json_object_get(jwk, "n") && !json_object_get(jwk, "e")
        && json_object_get(jwk, "x5c"))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03010: RSA key given only as x5c (no n/e)");
    nb = jwk_bytes(pool, jwk, "n", &nlen);
    eb = jwk_bytes(pool, jwk, "e", &elen);
    if (!nb || !eb)
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03011: RSA key without valid base64url n and e");
    /* Leading zero octets in n are not canonical (RFC 7518 6.3.1.1) but
     * harmless, and some IdPs publish them; the value is what counts. */
    n = BN_bin2bn(nb, (int)nlen, NULL);
    e = BN_bin2bn(eb, (int)elen, NULL);
    if (!n || !e) {
        why = "RXA03012: out of memory importing an RSA key";
        goto out;
    }
    key->bits = BN_num_bits(n);
    if (key->bits < RXA_JWK_RSA_MIN_BITS || key->bits > RXA_JWK_RSA_MAX_BITS) {
        why = apr_psprintf(pool, "RXA03013: RSA modulus of %d bits (need %d "
                           "to %d)", key->bits, RXA_JWK_RSA_MIN_BITS,
                           RXA_JWK_RSA_MAX_BITS);
        goto out;
    }
    if (!BN_is_odd(n)) {
        why = "RXA03014: RSA modulus is even";
        goto out;
    }
    /* e = 1 makes every padded message its own signature; large e only
     * makes verification slow. */
    if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 64) {
        why = "RXA03015: RSA public exponent is even, below 3 or over 64 bits";
        goto out;
    }
    if (rsa_roca_fingerprint(n)) {
        why = "RXA03016: RSA modulus has the ROCA fingerprint "
              "(CVE-2017-15361)";
        goto out;
    }
    if (!(bld = OSSL_PARAM_BLD_new())
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
        || !(params = OSSL_PARAM_BLD_to_param(bld))
        || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL))
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        why = "RXA03017: OpenSSL refused the RSA key";
        goto out;
    }
    apr_pool_cleanup_register(pool, pkey, pkey_cleanup, apr_pool_cleanup_null);
    key->pkey = pkey;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    if (why)
        return jwk_refuse(pool, key->kid, perr, why);
    key->kty = RXA_JWK_RSA;
    key->algs = ALGS_RS | ALGS_PS;
    return key;
}

/* --- EC ------------------------------------------------------------------- */

static rxa_jwk_t *jwk_ec(apr_pool_t *pool, const json_t *jwk, rxa_jwk_t *key,
                         const char **perr)
{
    static const struct {
        const char *crv, *group;
        int bits;
        apr_size_t len;
        rxa_jws_alg_t alg;
    } curves[] = {
        { "P-256", "prime256v1", 256, 32, RXA_JWS_ES256 },
        { "P-384", "secp384r1", 384, 48, RXA_JWS_ES384 },
        { "P-521", "secp521r1", 521, 66, RXA_JWS_ES512 },
    };
    const char *crv = rxa_json_get_str(jwk, "crv");
    const unsigned char *x, *y;
    apr_size_t i, xlen, ylen;
    unsigned char *point;
    char group[16];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    const char *why = NULL;

    for (i = 0; crv && i < sizeof(curves) / sizeof(curves[0]); i++) {
        if (!strcmp(crv, curves[i].crv))
            break;
    }
    if (!crv || i == sizeof(curves) / sizeof(curves[0]))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03020: EC key on a curve we do not verify");
    x = jwk_bytes(pool, jwk, "x", &xlen);
    y = jwk_bytes(pool, jwk, "y", &ylen);
    /* RFC 7518 6.2.1.2: each coordinate is exactly the field size. */
    if (!x || !y || xlen != curves[i].len || ylen != curves[i].len)
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03021: EC key without x and y of the curve's "
                          "exact size");
    point = apr_palloc(pool, 1 + 2 * curves[i].len);
    point[0] = 0x04;
    memcpy(point + 1, x, xlen);
    memcpy(point + 1 + xlen, y, ylen);
    apr_cpystrn(group, curves[i].group, sizeof(group));
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, 1 + 2 * xlen);
    params[2] = OSSL_PARAM_construct_end();
    if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL))
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        why = "RXA03022: EC point is not on the curve";
        goto out;
    }
    /* fromdata decodes the point; say explicitly that it must be on the
     * curve and not the point at infinity (cofactor 1: nothing more). */
    if (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL))
        || EVP_PKEY_public_check_quick(check) != 1) {
        why = "RXA03023: EC point fails the public key check";
        goto out;
    }
out:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    if (why) {
        EVP_PKEY_free(pkey);
        return jwk_refuse(pool, key->kid, perr, why);
    }
    apr_pool_cleanup_register(pool, pkey, pkey_cleanup, apr_pool_cleanup_null);
    key->pkey = pkey;
    key->kty = RXA_JWK_EC;
    key->bits = curves[i].bits;
    key->algs = RXA_JWS_ALGSET(curves[i].alg);
    return key;
}

/* --- OKP ------------------------------------------------------------------ */

static rxa_jwk_t *jwk_okp(apr_pool_t *pool, const json_t *jwk,
                          rxa_jwk_t *key, const char **perr)
{
    const char *crv = rxa_json_get_str(jwk, "crv");
    const unsigned char *x;
    apr_size_t xlen;
    EVP_PKEY *pkey;

    if (crv && (!strcmp(crv, "X25519") || !strcmp(crv, "X448")))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03030: key agreement (encryption) key");
    if (!crv || strcmp(crv, "Ed25519"))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03031: OKP key on a curve we do not verify");
    x = jwk_bytes(pool, jwk, "x", &xlen);
    if (!x || xlen != 32)
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03032: Ed25519 key without a 32-byte x");
    pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xlen);
    if (!pkey)
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03033: OpenSSL refused the Ed25519 key");
    apr_pool_cleanup_register(pool, pkey, pkey_cleanup, apr_pool_cleanup_null);
    key->pkey = pkey;
    key->kty = RXA_JWK_OKP;
    key->bits = 255;
    key->algs = RXA_JWS_ALGSET(RXA_JWS_EDDSA);
    return key;
}

/* --- one key -------------------------------------------------------------- */

/* "use" absent or "sig"; "key_ops", when there, an array naming "verify". */
static const char *jwk_purpose_check(const json_t *jwk)
{
    const json_t *use = json_object_get(jwk, "use");
    const json_t *ops = json_object_get(jwk, "key_ops");
    size_t i;

    if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig")))
        return "RXA03040: key is not for signatures (use is not \"sig\")";
    if (ops) {
        if (!json_is_array(ops))
            return "RXA03041: key_ops is not an array";
        for (i = 0; i < json_array_size(ops); i++) {
            const json_t *op = json_array_get(ops, i);
            if (!json_is_string(op))
                return "RXA03042: key_ops holds a non-string";
            if (!strcmp(json_string_value(op), "verify"))
                return NULL;
        }
        return "RXA03043: key_ops does not include \"verify\"";
    }
    return NULL;
}

rxa_jwk_t *rxa_jwk_from_json(apr_pool_t *pool, const json_t *jwk,
                             const char **perr)
{
    static const char *const private_members[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", "k"
    };
    const json_t *kidv, *algv;
    const char *kty, *why;
    rxa_jwk_t *key, *done;
    rxa_jws_algset_t limit = 0;
    apr_size_t i;

    if (!json_is_object(jwk)) {
        if (perr)
            *perr = "RXA03050: key is not a JSON object";
        return NULL;
    }
    key = apr_pcalloc(pool, sizeof(*key));
    kidv = json_object_get(jwk, "kid");
    if (kidv && !json_is_string(kidv))
        return jwk_refuse(pool, NULL, perr, "RXA03051: kid is not a string");
    key->kid = kidv ? apr_pstrdup(pool, json_string_value(kidv)) : NULL;

    kty = rxa_json_get_str(jwk, "kty");
    if (!kty)
        return jwk_refuse(pool, key->kid, perr, "RXA03052: key without kty");
    if (!strcmp(kty, "oct"))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03053: symmetric key (HMAC is never accepted)");
    if (strcmp(kty, "RSA") && strcmp(kty, "EC") && strcmp(kty, "OKP"))
        return jwk_refuse(pool, key->kid, perr,
                          "RXA03054: key type we do not verify");
    if ((why = jwk_purpose_check(jwk)))
        return jwk_refuse(pool, key->kid, perr, why);
    /* A published private key is no secret any more: anyone can sign. */
    for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++) {
        if (json_object_get(jwk, private_members[i]))
            return jwk_refuse(pool, key->kid, perr,
                              "RXA03055: key carries private key material");
    }
    algv = json_object_get(jwk, "alg");
    if (algv) {
        if (!json_is_string(algv)
            || !(limit = key_alg_allows(json_string_value(algv))))
            return jwk_refuse(pool, key->kid, perr,
                              "RXA03056: key's alg is not one we verify");
    }

    /* What OpenSSL says about a refused key stays out of the thread's
     * error queue, which the caller (and httpd's mod_ssl) may read. */
    ERR_set_mark();
    if (!strcmp(kty, "RSA"))
        done = jwk_rsa(pool, jwk, key, perr);
    else if (!strcmp(kty, "EC"))
        done = jwk_ec(pool, jwk, key, perr);
    else
        done = jwk_okp(pool, jwk, key, perr);
    ERR_pop_to_mark();
    if (!done)
        return NULL;
    if (algv) {
        key->algs &= limit;
        if (!key->algs)
            return jwk_refuse(pool, key->kid, perr,
                              "RXA03057: key's alg does not fit its type "
                              "or curve");
    }
    if ((why = rxa_jws_prepare_key(pool, key)))
        return jwk_refuse(pool, key->kid, perr, why);
    return key;
}

/* --- key sets ------------------------------------------------------------- */

rxa_jwks_t *rxa_jwks_from_json(apr_pool_t *pool, const json_t *set,
                               const char **perr)
{
    const json_t *keys = json_is_object(set) ? json_object_get(set, "keys")
                                             : NULL;
    rxa_jwks_t *jwks;
    size_t i;

    if (!json_is_array(keys)) {
        if (perr)
            *perr = "RXA03060: JWK set is not an object with a \"keys\" array";
        return NULL;
    }
    jwks = apr_pcalloc(pool, sizeof(*jwks));
    jwks->keys = apr_array_make(pool, 4, sizeof(rxa_jwk_t *));
    jwks->skipped = apr_array_make(pool, 2, sizeof(const char *));
    for (i = 0; i < json_array_size(keys); i++) {
        const char *why = NULL;
        rxa_jwk_t *key = NULL;

        if (i < RXA_JWKS_MAX_KEYS)
            key = rxa_jwk_from_json(pool, json_array_get(keys, i), &why);
        else
            why = apr_psprintf(pool, "RXA03061: key %" APR_SIZE_T_FMT " is "
                               "past the limit of %d keys", (apr_size_t)i,
                               RXA_JWKS_MAX_KEYS);
        if (key)
            APR_ARRAY_PUSH(jwks->keys, rxa_jwk_t *) = key;
        else
            APR_ARRAY_PUSH(jwks->skipped, const char *) = why;
    }
    return jwks;
}

rxa_jwks_t *rxa_jwks_parse(apr_pool_t *pool, const char *buf, apr_size_t len,
                           const char **perr)
{
    json_t *set = rxa_json_parse_object(pool, buf, len, RXA_JWKS_MAX_LEN, perr);

    return set ? rxa_jwks_from_json(pool, set, perr) : NULL;
}

apr_status_t rxa_jwks_select(const rxa_jwks_t *jwks, const char *kid,
                             rxa_jws_alg_t alg, const rxa_jwk_t **pkey,
                             const char **perr)
{
    const rxa_jwk_t *found = NULL;
    int i, kid_seen = 0, fits = 0;

    *pkey = NULL;
    for (i = 0; jwks && i < jwks->keys->nelts; i++) {
        const rxa_jwk_t *key = APR_ARRAY_IDX(jwks->keys, i, const rxa_jwk_t *);

        if (kid) {
            if (!key->kid || strcmp(key->kid, kid))
                continue;
            kid_seen = 1;
        }
        if (key->algs & RXA_JWS_ALGSET(alg)) {
            found = key;
            fits++;
        }
    }
    if (fits == 1) {
        *pkey = found;
        return APR_SUCCESS;
    }
    if (fits > 1) {
        if (perr)
            *perr = kid ? "RXA03070: several keys share the token's kid"
                        : "RXA03071: token has no kid and several keys fit "
                          "its alg";
        return APR_EINVAL;
    }
    if (kid && kid_seen) {
        if (perr)
            *perr = "RXA03072: the key named by the token's kid does not "
                    "fit its alg";
        return APR_EINVAL;
    }
    if (perr)
        *perr = kid ? "RXA03073: no key with the token's kid"
                    : "RXA03074: token has no kid and no key fits its alg";
    return APR_NOTFOUND;
}
