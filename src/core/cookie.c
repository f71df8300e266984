/* Cookie header parsing, Set-Cookie values and chunks: see rxa_cookie.h. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "rxa_cookie.h"

#define CHUNK_MARKER      "chunks."
#define CHUNK_MARKER_LEN  (sizeof(CHUNK_MARKER) - 1)
/* "NAME_" followed by this many digits at most counts as a chunk name;
 * longer digit runs are someone else's cookie. */
#define CHUNK_DIGITS_MAX  3
/* Most stale chunk names one call expires: bounded output even when a
 * hostile client sends thousands of NAME_<digits> cookies. */
#define STALE_MAX         (2 * RXA_COOKIE_MAX_CHUNKS)
#define PATH_MAX_LEN      1024

const rxa_cookie_attrs_t rxa_cookie_auth_attrs = {
    "/", RXA_COOKIE_AUTH_MAX_AGE, RXA_SAMESITE_STRICT
};

/* A name=value pair in the header: pointers into it, not copies. */
typedef struct {
    const char *name;
    apr_size_t nlen;
    const char *value;
    apr_size_t vlen;
} cookie_pair_t;

/* Character classes, one table lookup per byte (values are scanned in
 * full on every write): 1 = RFC 6265 cookie-name (an RFC 2616 token
 * character), 2 = cookie-octet. Everything outside 0x21-0x7e is neither. */
#define C_TOKEN  1
#define C_OCTET  2

static const unsigned char char_class[256] = {
    [0x21] = 3, [0x22] = 0, [0x23] = 3, [0x24] = 3, [0x25] = 3, [0x26] = 3,
    [0x27] = 3, [0x28] = 2, [0x29] = 2, [0x2a] = 3, [0x2b] = 3, [0x2c] = 0,
    [0x2d] = 3, [0x2e] = 3, [0x2f] = 2, [0x30] = 3, [0x31] = 3, [0x32] = 3,
    [0x33] = 3, [0x34] = 3, [0x35] = 3, [0x36] = 3, [0x37] = 3, [0x38] = 3,
    [0x39] = 3, [0x3a] = 2, [0x3b] = 0, [0x3c] = 2, [0x3d] = 2, [0x3e] = 2,
    [0x3f] = 2, [0x40] = 2, [0x41] = 3, [0x42] = 3, [0x43] = 3, [0x44] = 3,
    [0x45] = 3, [0x46] = 3, [0x47] = 3, [0x48] = 3, [0x49] = 3, [0x4a] = 3,
    [0x4b] = 3, [0x4c] = 3, [0x4d] = 3, [0x4e] = 3, [0x4f] = 3, [0x50] = 3,
    [0x51] = 3, [0x52] = 3, [0x53] = 3, [0x54] = 3, [0x55] = 3, [0x56] = 3,
    [0x57] = 3, [0x58] = 3, [0x59] = 3, [0x5a] = 3, [0x5b] = 2, [0x5c] = 0,
    [0x5d] = 2, [0x5e] = 3, [0x5f] = 3, [0x60] = 3, [0x61] = 3, [0x62] = 3,
    [0x63] = 3, [0x64] = 3, [0x65] = 3, [0x66] = 3, [0x67] = 3, [0x68] = 3,
    [0x69] = 3, [0x6a] = 3, [0x6b] = 3, [0x6c] = 3, [0x6d] = 3, [0x6e] = 3,
    [0x6f] = 3, [0x70] = 3, [0x71] = 3, [0x72] = 3, [0x73] = 3, [0x74] = 3,
    [0x75] = 3, [0x76] = 3, [0x77] = 3, [0x78] = 3, [0x79] = 3, [0x7a] = 3,
    [0x7b] = 2, [0x7c] = 3, [0x7d] = 2, [0x7e] = 3
};

static int token_char(unsigned char c)
{
    return char_class[c] & C_TOKEN;
}

static int cookie_octet(unsigned char c)
{
    return char_class[c] & C_OCTET;
}

int rxa_cookie_name_ok(const char *name)
{
    apr_size_t i;

    if (!name || !*name)
        return 0;
    for (i = 0; name[i]; i++) {
        if (i >= RXA_COOKIE_MAX_NAME || !token_char((unsigned char)name[i]))
            return 0;
    }
    return 1;
}

int rxa_cookie_value_ok(const char *value, apr_size_t len)
{
    apr_size_t i;

    if (!value)
        return len == 0;
    for (i = 0; i < len; i++) {
        if (!cookie_octet((unsigned char)value[i]))
            return 0;
    }
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Length of HEADER, or APR_EINVAL when it is over the limit. A NULL header
 * is an empty one. */
static apr_status_t header_len(const char *header, apr_size_t *len,
                               const char **err)
{
    *len = header ? strnlen(header, RXA_COOKIE_MAX_HEADER + 1) : 0;
    if (*len > RXA_COOKIE_MAX_HEADER) {
        if (err)
            *err = "RXA04001: Cookie header over "
                   APR_STRINGIFY(RXA_COOKIE_MAX_HEADER) " bytes refused";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* The next pair at or after *POS, skipping nameless pieces (no '=', or an
 * empty name: what browsers send for `Set-Cookie: value`). 0 at the end. */
static int cookie_next(const char **pos, const char *end, cookie_pair_t *pr)
{
    const char *p = *pos;

    while (p < end) {
        const char *semi = memchr(p, ';', (apr_size_t)(end - p));
        const char *s = p, *e = semi ? semi : end;
        const char *eq, *ne, *vs;

        p = semi ? semi + 1 : end;
        while (s < e && is_ows(*s))
            s++;
        while (e > s && is_ows(e[-1]))
            e--;
        eq = memchr(s, '=', (apr_size_t)(e - s));
        if (!eq)
            continue;
        for (ne = eq; ne > s && is_ows(ne[-1]); ne--)
            ;
        if (ne == s)
            continue;
        for (vs = eq + 1; vs < e && is_ows(*vs); vs++)
            ;
        pr->name = s;
        pr->nlen = (apr_size_t)(ne - s);
        pr->value = vs;
        pr->vlen = (apr_size_t)(e - vs);
        *pos = p;
        return 1;
    }
    *pos = end;
    return 0;
}

static int pair_is(const cookie_pair_t *pr, const char *name, apr_size_t len)
{
    return pr->nlen == len && !memcmp(pr->name, name, len);
}

apr_status_t rxa_cookie_get(apr_pool_t *pool, const char *header,
                            const char *name, const char **value,
                            const char **err)
{
    const char *pos, *end;
    apr_size_t len, nlen;
    cookie_pair_t pr, found = { NULL, 0, NULL, 0 };
    int n = 0;
    apr_status_t rv;

    *value = NULL;
    if ((rv = header_len(header, &len, err)) != APR_SUCCESS)
        return rv;
    if (!header || !name || !*name)
        return APR_NOTFOUND;
    nlen = strlen(name);
    pos = header;
    end = header + len;
    while (cookie_next(&pos, end, &pr)) {
        if (!pair_is(&pr, name, nlen))
            continue;
        if (n++) {
            if (err)
                *err = apr_psprintf(pool, "RXA04002: cookie %s sent more "
                                    "than once, ignored", name);
            return RXA_COOKIE_DUPLICATE;
        }
        found = pr;
    }
    if (!n)
        return APR_NOTFOUND;
    *value = apr_pstrmemdup(pool, found.value, found.vlen);
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_find_prefix(apr_pool_t *pool, const char *header,
                                    const char *prefix, int max,
                                    apr_array_header_t **found, int *more,
                                    const char **err)
{
    const char *pos, *end;
    apr_size_t len, plen;
    cookie_pair_t pr;
    apr_status_t rv;

    if (more)
        *more = 0;
    if (!found || !prefix || !*prefix || max < 0) {
        if (err)
            *err = "RXA04003: cookie prefix lookup called without a prefix";
        return APR_EINVAL;
    }
    if (!*found)
        *found = apr_array_make(pool, max > 0 && max < 16 ? max : 16,
                                sizeof(rxa_cookie_t));
    if ((rv = header_len(header, &len, err)) != APR_SUCCESS)
        return rv;
    if (!header)
        return APR_SUCCESS;
    plen = strlen(prefix);
    pos = header;
    end = header + len;
    while (cookie_next(&pos, end, &pr)) {
        rxa_cookie_t *c;

        if (pr.nlen < plen || memcmp(pr.name, prefix, plen))
            continue;
        if (max-- <= 0) {
            if (more)
                *more = 1;
            break;
        }
        c = apr_array_push(*found);
        c->name = apr_pstrmemdup(pool, pr.name, pr.nlen);
        c->value = apr_pstrmemdup(pool, pr.value, pr.vlen);
    }
    return APR_SUCCESS;
}

/* Whether PR is named BASE_<1 to CHUNK_DIGITS_MAX digits>. *IDX gets the
 * chunk index when the suffix is canonical (no leading zero, below
 * RXA_COOKIE_MAX_CHUNKS), else -1. */
static int chunk_name(const cookie_pair_t *pr, const char *base,
                      apr_size_t blen, int *idx)
{
    apr_size_t i, ndig;
    int v = 0;

    if (pr->nlen < blen + 2 || memcmp(pr->name, base, blen)
        || pr->name[blen] != '_')
        return 0;
    ndig = pr->nlen - blen - 1;
    if (ndig > CHUNK_DIGITS_MAX)
        return 0;
    for (i = blen + 1; i < pr->nlen; i++) {
        if (!apr_isdigit(pr->name[i]))
            return 0;
        v = v * 10 + (pr->name[i] - '0');
    }
    if ((ndig > 1 && pr->name[blen + 1] == '0') || v >= RXA_COOKIE_MAX_CHUNKS)
        v = -1;
    *idx = v;
    return 1;
}

/* The N of a "chunks.N" marker, or 0 when VALUE is not a valid marker. */
static int chunk_marker(const char *value, apr_size_t len)
{
    apr_size_t i;
    int n = 0;

    if (len <= CHUNK_MARKER_LEN || len > CHUNK_MARKER_LEN + 2
        || memcmp(value, CHUNK_MARKER, CHUNK_MARKER_LEN)
        || value[CHUNK_MARKER_LEN] == '0')
        return 0;
    for (i = CHUNK_MARKER_LEN; i < len; i++) {
        if (!apr_isdigit(value[i]))
            return 0;
        n = n * 10 + (value[i] - '0');
    }
    return n >= 2 && n <= RXA_COOKIE_MAX_CHUNKS ? n : 0;
}

static int has_marker_prefix(const char *value, apr_size_t len)
{
    return len >= CHUNK_MARKER_LEN
        && !memcmp(value, CHUNK_MARKER, CHUNK_MARKER_LEN);
}

/* What one pass over the header found for one name. */
typedef struct chunk_scan {
    const char *name;
    apr_size_t blen;
    cookie_pair_t base, chunks[RXA_COOKIE_MAX_CHUNKS];
    int have_base, have[RXA_COOKIE_MAX_CHUNKS];
    int any_chunk, stray, dup;
} chunk_scan_t;

static void chunk_scan_pair(chunk_scan_t *cs, const cookie_pair_t *pr)
{
    int idx;

    if (pair_is(pr, cs->name, cs->blen)) {
        cs->dup |= cs->have_base;
        cs->have_base = 1;
        cs->base = *pr;
    }
    else if (chunk_name(pr, cs->name, cs->blen, &idx)) {
        cs->any_chunk = 1;
        if (idx < 0) {
            cs->stray = 1;
            return;
        }
        cs->dup |= cs->have[idx];
        cs->have[idx] = 1;
        cs->chunks[idx] = *pr;
    }
}

/* The value of one name from what the pass found (see
 * rxa_cookie_get_chunked for the statuses). */
static apr_status_t chunk_assemble(apr_pool_t *pool, chunk_scan_t *cs,
                                   const char **value, const char **err)
{
    const char *name = cs->name;
    apr_size_t total;
    char *out;
    int n, i;

    if (cs->dup) {
        if (err)
            *err = apr_psprintf(pool, "RXA04005: cookie %s or one of its "
                                "chunks sent more than once, ignored", name);
        return RXA_COOKIE_DUPLICATE;
    }
    if (!cs->have_base) {
        if (!cs->any_chunk)
            return APR_NOTFOUND;
        if (err)
            *err = apr_psprintf(pool, "RXA04006: chunks of cookie %s sent "
                                "without the cookie itself, ignored", name);
        return APR_EINVAL;
    }
    if (!has_marker_prefix(cs->base.value, cs->base.vlen)) {
        if (cs->any_chunk) {
            if (err)
                *err = apr_psprintf(pool, "RXA04007: cookie %s is not "
                                    "chunked but chunks were sent, ignored",
                                    name);
            return APR_EINVAL;
        }
        *value = apr_pstrmemdup(pool, cs->base.value, cs->base.vlen);
        return APR_SUCCESS;
    }
    if (!(n = chunk_marker(cs->base.value, cs->base.vlen))) {
        if (err)
            *err = apr_psprintf(pool, "RXA04008: cookie %s announces an "
                                "invalid chunk count (2 to %d allowed), "
                                "ignored", name, RXA_COOKIE_MAX_CHUNKS);
        return APR_EINVAL;
    }
    total = 0;
    for (i = 0; i < RXA_COOKIE_MAX_CHUNKS; i++) {
        int want = i < n;
        if (cs->have[i] != want
            || (want && (cs->chunks[i].vlen == 0
                         || cs->chunks[i].vlen > RXA_COOKIE_CHUNK_SIZE)))
            cs->stray = 1;
        else if (want)
            total += cs->chunks[i].vlen;
    }
    if (cs->stray) {
        if (err)
            *err = apr_psprintf(pool, "RXA04009: cookie %s announces %d "
                                "chunks but the chunks sent do not match, "
                                "ignored", name, n);
        return APR_EINVAL;
    }
    out = apr_palloc(pool, total + 1);
    for (total = 0, i = 0; i < n; i++) {
        memcpy(out + total, cs->chunks[i].value, cs->chunks[i].vlen);
        total += cs->chunks[i].vlen;
    }
    out[total] = '\0';
    *value = out;
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_get_chunked_set(apr_pool_t *pool, const char *header,
                                        const char *const *names, int n,
                                        const char **values,
                                        apr_status_t *statuses,
                                        const char **err)
{
    chunk_scan_t cs[RXA_COOKIE_SET_MAX];
    const char *pos, *end;
    cookie_pair_t pr;
    apr_size_t len;
    apr_status_t rv;
    int i;

    if (n < 1 || n > RXA_COOKIE_SET_MAX) {
        if (err)
            *err = "RXA04027: chunked cookie lookup of too many names";
        return APR_EINVAL;
    }
    for (i = 0; i < n; i++) {
        values[i] = NULL;
        statuses[i] = APR_EINVAL;
    }
    if ((rv = header_len(header, &len, err)) != APR_SUCCESS) {
        for (i = 0; i < n; i++)
            statuses[i] = rv;
        return rv;
    }
    for (i = 0; i < n; i++) {
        if (!rxa_cookie_name_ok(names[i])) {
            if (err)
                *err = "RXA04004: chunked cookie lookup with an invalid name";
            return APR_EINVAL;
        }
        memset(&cs[i], 0, sizeof(cs[i]));
        cs[i].name = names[i];
        cs[i].blen = strlen(names[i]);
    }
    if (header) {
        /* One pass collects every base cookie and every chunk-like name. */
        pos = header;
        end = header + len;
        while (cookie_next(&pos, end, &pr))
            for (i = 0; i < n; i++)
                chunk_scan_pair(&cs[i], &pr);
    }
    for (i = 0; i < n; i++)
        statuses[i] = chunk_assemble(pool, &cs[i], &values[i], err);
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_get_chunked(apr_pool_t *pool, const char *header,
                                    const char *name, const char **value,
                                    const char **err)
{
    apr_status_t rv, st;

    rv = rxa_cookie_get_chunked_set(pool, header, &name, 1, value, &st, err);
    return rv != APR_SUCCESS ? rv : st;
}

static int prefix_is(const char *name, const char *prefix)
{
    return !strncasecmp(name, prefix, strlen(prefix));
}

/* NAME and ATTRS; Max-Age too when SETTING (deletions write 0). */
static apr_status_t attrs_check(apr_pool_t *pool, const char *name,
                                const rxa_cookie_attrs_t *attrs, int setting,
                                const char **err)
{
    const char *c;

    if (!rxa_cookie_name_ok(name)) {
        *err = "RXA04010: cookie name is not a valid token of at most "
               APR_STRINGIFY(RXA_COOKIE_MAX_NAME) " characters";
        return APR_EINVAL;
    }
    if (!attrs || !attrs->path || attrs->path[0] != '/'
        || strlen(attrs->path) > PATH_MAX_LEN) {
        *err = apr_psprintf(pool, "RXA04011: cookie %s needs a Path that "
                            "starts with '/'", name);
        return APR_EINVAL;
    }
    for (c = attrs->path; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u <= 0x20 || u >= 0x7f || u == ';') {
            *err = apr_psprintf(pool, "RXA04012: cookie %s: Path holds a "
                                "space, control or ';'", name);
            return APR_EINVAL;
        }
    }
    /* Browsers drop a __Host- cookie with any other Path. */
    if (prefix_is(name, "__Host-") && strcmp(attrs->path, "/")) {
        *err = apr_psprintf(pool, "RXA04013: cookie %s: a __Host- cookie "
                            "must have Path=/", name);
        return APR_EINVAL;
    }
    if (attrs->same_site != RXA_SAMESITE_STRICT
        && attrs->same_site != RXA_SAMESITE_LAX) {
        *err = apr_psprintf(pool, "RXA04014: cookie %s: unknown SameSite "
                            "value", name);
        return APR_EINVAL;
    }
    if (setting && (attrs->max_age <= 0 || attrs->max_age > 2147483647L)) {
        *err = apr_psprintf(pool, "RXA04016: cookie %s: Max-Age must be 1 "
                            "to 2147483647", name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* No checks: callers have checked NAME, VALUE and ATTRS. */
static const char *set_cookie(apr_pool_t *pool, const char *name,
                              const char *value, apr_size_t vlen,
                              const rxa_cookie_attrs_t *attrs, long max_age)
{
    return apr_psprintf(pool, "%s=%.*s; Path=%s; Max-Age=%ld; Secure; "
                        "HttpOnly; SameSite=%s", name, (int)vlen, value,
                        attrs->path, max_age,
                        attrs->same_site == RXA_SAMESITE_LAX ? "Lax"
                                                             : "Strict");
}

static apr_status_t value_check(apr_pool_t *pool, const char *name,
                                const char *value, apr_size_t vlen,
                                const char **err)
{
    if (!value || !rxa_cookie_value_ok(value, vlen)) {
        *err = apr_psprintf(pool, "RXA04015: value for cookie %s holds "
                            "characters a cookie cannot carry", name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_format(apr_pool_t *pool, const char *name,
                               const char *value,
                               const rxa_cookie_attrs_t *attrs,
                               const char **out, const char **err)
{
    const char *dummy;
    apr_size_t vlen = value ? strlen(value) : 0;
    apr_status_t rv;

    if (!err)
        err = &dummy;
    *out = NULL;
    if ((rv = attrs_check(pool, name, attrs, 1, err)) != APR_SUCCESS
        || (rv = value_check(pool, name, value, vlen, err)) != APR_SUCCESS)
        return rv;
    *out = set_cookie(pool, name, value, vlen, attrs, attrs->max_age);
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_format_delete(apr_pool_t *pool, const char *name,
                                      const rxa_cookie_attrs_t *attrs,
                                      const char **out, const char **err)
{
    const char *dummy;
    apr_status_t rv;

    if (!err)
        err = &dummy;
    *out = NULL;
    if ((rv = attrs_check(pool, name, attrs, 0, err)) != APR_SUCCESS)
        return rv;
    *out = set_cookie(pool, name, "", 0, attrs, 0);
    return APR_SUCCESS;
}

/* Append deletions of NAME's chunks from index KEEP on. HEADER is the
 * request's Cookie header: NULL when it sent none (nothing is stale),
 * over RXA_COOKIE_MAX_HEADER when it cannot be read (every canonical slot
 * is expired), else the chunk names it holds are expired, distinct and at
 * most STALE_MAX, non-canonical ones (NAME_08, NAME_99) included, so debris
 * that would make every later read fail goes too. */
static void delete_stale(apr_pool_t *pool, const char *name,
                         const rxa_cookie_attrs_t *attrs, const char *header,
                         int keep, apr_array_header_t *out)
{
    const char *done[STALE_MAX];
    const char *pos, *end;
    apr_size_t blen = strlen(name), hlen;
    cookie_pair_t pr;
    int ndone = 0, idx, i;

    if (!header)
        return;
    if (header_len(header, &hlen, NULL) != APR_SUCCESS) {
        for (i = keep; i < RXA_COOKIE_MAX_CHUNKS; i++)
            APR_ARRAY_PUSH(out, const char *) =
                set_cookie(pool, apr_psprintf(pool, "%s_%d", name, i), "", 0,
                           attrs, 0);
        return;
    }
    pos = header;
    end = header + hlen;
    while (ndone < STALE_MAX && cookie_next(&pos, end, &pr)) {
        const char *cname;

        if (!chunk_name(&pr, name, blen, &idx) || (idx >= 0 && idx < keep))
            continue;
        for (i = 0; i < ndone; i++) {
            if (strlen(done[i]) == pr.nlen
                && !memcmp(done[i], pr.name, pr.nlen))
                break;
        }
        if (i < ndone)
            continue;
        cname = apr_pstrmemdup(pool, pr.name, pr.nlen);
        done[ndone++] = cname;
        APR_ARRAY_PUSH(out, const char *) = set_cookie(pool, cname, "", 0,
                                                       attrs, 0);
    }
}

apr_status_t rxa_cookie_set_chunked(apr_pool_t *pool, const char *name,
                                    const char *value,
                                    const rxa_cookie_attrs_t *attrs,
                                    const char *request_header,
                                    apr_array_header_t *out,
                                    const char **err)
{
    const char *dummy;
    apr_size_t vlen, off;
    const char *marker;
    apr_status_t rv;
    int n, i;

    if (!err)
        err = &dummy;
    if (!out || !value) {
        *err = "RXA04017: cookie write called without a value or output";
        return APR_EINVAL;
    }
    vlen = strlen(value);
    if ((rv = attrs_check(pool, name, attrs, 1, err)) != APR_SUCCESS
        || (rv = value_check(pool, name, value, vlen, err)) != APR_SUCCESS)
        return rv;
    if (vlen > RXA_COOKIE_MAX_VALUE) {
        *err = apr_psprintf(pool, "RXA04019: value for cookie %s is %"
                            APR_SIZE_T_FMT " bytes, over the %d bytes of %d "
                            "chunks", name, vlen, RXA_COOKIE_MAX_VALUE,
                            RXA_COOKIE_MAX_CHUNKS);
        return APR_EINVAL;
    }
    if (has_marker_prefix(value, vlen)) {
        *err = apr_psprintf(pool, "RXA04020: value for cookie %s starts "
                            "with the chunk marker", name);
        return APR_EINVAL;
    }
    if (vlen <= RXA_COOKIE_CHUNK_SIZE) {
        n = 0;
        APR_ARRAY_PUSH(out, const char *) = set_cookie(pool, name, value, vlen,
                                                       attrs, attrs->max_age);
    }
    else {
        n = (int)((vlen + RXA_COOKIE_CHUNK_SIZE - 1) / RXA_COOKIE_CHUNK_SIZE);
        marker = apr_psprintf(pool, CHUNK_MARKER "%d", n);
        APR_ARRAY_PUSH(out, const char *) =
            set_cookie(pool, name, marker, strlen(marker), attrs,
                       attrs->max_age);
        for (i = 0, off = 0; i < n; i++, off += RXA_COOKIE_CHUNK_SIZE) {
            apr_size_t piece = vlen - off < RXA_COOKIE_CHUNK_SIZE
                             ? vlen - off : RXA_COOKIE_CHUNK_SIZE;
            APR_ARRAY_PUSH(out, const char *) =
                set_cookie(pool, apr_psprintf(pool, "%s_%d", name, i),
                           value + off, piece, attrs, attrs->max_age);
        }
    }
    delete_stale(pool, name, attrs, request_header, n, out);
    return APR_SUCCESS;
}

apr_status_t rxa_cookie_delete_chunked(apr_pool_t *pool, const char *name,
                                       const rxa_cookie_attrs_t *attrs,
                                       const char *request_header,
                                       apr_array_header_t *out,
                                       const char **err)
{
    const char *dummy;
    apr_status_t rv;

    if (!err)
        err = &dummy;
    if (!out) {
        *err = "RXA04021: cookie deletion called without an output";
        return APR_EINVAL;
    }
    if ((rv = attrs_check(pool, name, attrs, 0, err)) != APR_SUCCESS)
        return rv;
    APR_ARRAY_PUSH(out, const char *) = set_cookie(pool, name, "", 0,
                                                   attrs, 0);
    delete_stale(pool, name, attrs, request_header, 0, out);
    return APR_SUCCESS;
}
