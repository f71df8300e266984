/* Files of the source tree built into the module: the default page
 * templates and the tab-sync script (src/pages/). The build turns each
 * into a C array (build-aux/embed.sh), so the module reads no file for
 * them at run time and they change only with the module. */
#ifndef RXA_EMBEDDED_H
#define RXA_EMBEDDED_H

#include <apr.h>

/* The bytes of the file with base name NAME ("login.html"), NUL-terminated,
 * their number in *LEN when LEN is given; NULL for an unknown name. */
const char *rxa_embedded_file(const char *name, apr_size_t *len);

#endif
