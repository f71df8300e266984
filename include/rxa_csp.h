/* The Content-Security-Policy of every page the module serves.
 *
 * One policy for all pages, built-in or an administrator's template: no
 * source by default; scripts only with this response's nonce; styles from
 * the site itself or with the nonce; images from the site or data: URLs;
 * fetches to the site itself (the callback page's sync call); no <base>,
 * forms posting only to the site, and no framing.
 *
 * The nonce is fresh per response. When the random source fails there is
 * no nonce and no policy: the caller must not send the page at all (a page
 * with an empty or guessable nonce would let injected scripts run).
 */
#ifndef RXA_CSP_H
#define RXA_CSP_H

#include <apr_errno.h>
#include <apr_pools.h>

#include "rxa_random.h"

/* Bytes of randomness in a nonce (128 bits). */
#define RXA_CSP_NONCE_BYTES 16

/* One response's nonce (base64url, safe in an attribute as is) and the
 * Content-Security-Policy header value naming it. */
typedef struct {
    const char *nonce;
    const char *policy;
} rxa_csp_t;

/* Draw a nonce from RANDOM (called with BATON) and build the policy.
 * Returns APR_SUCCESS, or the source's error with CSP->nonce and
 * CSP->policy NULL. */
apr_status_t rxa_csp_make(apr_pool_t *pool, rxa_random_fn *random,
                          void *baton, rxa_csp_t *csp);

#endif
