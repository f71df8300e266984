/* The property every sanitized redirect_to must have, shared by the unit
 * tests and the fuzz target of rxa_redirect.h.
 */
#ifndef RXA_REDIRECT_TEST_H
#define RXA_REDIRECT_TEST_H

#include <string.h>

#include <apr_lib.h>

/* What a browser does with a Location (or location.href) value R relative
 * to https://app.example.com/ (WHATWG URL parser): leading and trailing C0
 * controls and spaces are stripped and tabs and newlines removed (R holds
 * none of these here); a string starting with a scheme is absolute; after
 * the scheme-less start, '/' or '\' followed by '/' or '\' starts an
 * authority, i.e. another host. A single '/' followed by anything else is
 * a path on the base's own origin. So R stays on the origin exactly when
 * it matches ^/([^/\\]|$); on top we ask that it holds only characters a
 * Location header carries safely and that every '%' starts an escape. */
static int stays_on_origin(const char *r)
{
    const char *c;

    if (r[0] != '/' || r[1] == '/' || r[1] == '\\')
        return 0;
    for (c = r; *c; c++) {
        if (*c == '%') {
            if (!apr_isxdigit(c[1]) || !apr_isxdigit(c[2]))
                return 0;
        }
        else if (!apr_isalnum(*c) && !strchr("-._~!$&()*+,;=:@/?#", *c)) {
            return 0;
        }
    }
    return 1;
}

#endif
