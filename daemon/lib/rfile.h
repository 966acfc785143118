/*
 * rfile: open a file that must be a regular file (a configuration, a log,
 * a /proc entry) without hanging on a FIFO or a device someone named in
 * its place, and refuse anything else.
 */
#ifndef MEMDIAG_LIB_RFILE_H
#define MEMDIAG_LIB_RFILE_H

#include <sys/stat.h>

/*
 * Read-only, close-on-exec, non-blocking (a FIFO's open returns at once),
 * no controlling tty, plus flags (O_NOFOLLOW, ...). The descriptor with
 * its stat in *st (may be NULL), or -1 with errno: EISDIR for a
 * directory, EINVAL for anything else that is not a regular file.
 */
int rfile_open(const char *path, int flags, struct stat *st);

#endif
