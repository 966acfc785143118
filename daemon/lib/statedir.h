/* statedir: the files runs leave behind for the next start to act on. */
#ifndef MEMDIAG_STATEDIR_H
#define MEMDIAG_STATEDIR_H

#include <stddef.h>

#include <jansson.h>

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

/*
 * A state file memdiag wrote, as JSON; NULL with "FILE: reason" in err
 * unless it is a regular file (not followed through a symlink) owned by
 * memdiag's effective user and writable by nobody else, in a directory
 * of that user (or root's) that nobody else may write: what it says is
 * acted on (a program run, settings restored on the proxy), so a file
 * anyone could plant is refused.
 */
json_t *statedir_load(const char *path, char *err, size_t errlen);

/* fd, just opened, is a regular file of memdiag's effective user that
 * nobody else may write; 0, or -1 with "PATH: reason" in err. */
int statedir_check_own(int fd, const char *path, char *err, size_t errlen);

#endif
