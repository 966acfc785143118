/*
 * diag_bundle: --bundle DIR, what an upstream bug report needs in one
 * directory: memdiag's report (text and JSON), the proxy's log during the
 * run (every dump taken), its version and build flags, loaded modules
 * and memory settings. See memdiag(8) for the files.
 */
#ifndef MEMDIAG_DIAG_BUNDLE_H
#define MEMDIAG_DIAG_BUNDLE_H

#include <stddef.h>

#include <jansson.h>

struct diag;

/*
 * Before the run: DIR is created (0700) if missing; an empty directory
 * or a previous bundle (its MANIFEST names it) is used; anything else is
 * refused. 0, or EX_MD_USAGE with err set.
 */
int diag_bundle_prepare(const char *dir, char *err, size_t errlen);
/* After the verdict: a failure is one warning; the verdict stands. */
void diag_bundle_write(struct diag *, const char *text, json_t *report);

#endif
