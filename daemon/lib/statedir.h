/* statedir: the files runs leave behind for the next start to act on. */
#ifndef MEMDIAG_STATEDIR_H
#define MEMDIAG_STATEDIR_H

#include <stddef.h>

/*
 * Call fn on every "PREFIX*.json" in dir. Returns how many calls returned
 * > 0 (acted on); *failed counts those that returned < 0. A missing
 * directory holds nothing: 0.
 */
int statedir_each(const char *dir, const char *prefix,
    int (*fn)(const char *path), int *failed);

/*
 * PATH holds LEN bytes of BUF with MODE, whole or not at all: written to
 * a hidden temporary name beside it (".NAME.XXXXXX", which no reader of
 * *.json or *.prom picks up), synced, renamed, the directory synced.
 * 0, or -1 with "FILE: reason" in err.
 */
int statedir_write_atomic(const char *path, const char *buf, size_t len,
    unsigned mode, char *err, size_t errlen);

#endif
