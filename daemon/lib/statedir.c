/*
 * One walk over a state directory for every kind of leftover (changed
 * settings, hook gates), so each kind only says what to do with one file.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/statedir.h"

int
statedir_each(const char *dir, const char *prefix,
    int (*fn)(const char *path), int *failed)
{
	size_t pl = strlen(prefix);
	DIR *d = opendir(dir);
	struct dirent *e;
	int done = 0;

	*failed = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		size_t l = strlen(e->d_name);
		int r;

		if (strncmp(e->d_name, prefix, pl) != 0 || l < pl + 5 ||
		    strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = fn(path);
		if (r > 0)
			done++;
		else if (r < 0)
			(*failed)++;
	}
	closedir(d);
	return done;
}

static int
write_fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -1;
}

int
statedir_write_atomic(const char *path, const char *buf, size_t len,
    unsigned mode, char *err, size_t errlen)
{
	char dirbuf[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX], *dir;
	size_t off = 0;
	ssize_t w;
	int fd, e;

	if (snprintf(dirbuf, sizeof(dirbuf), "%s", path) >= (int)sizeof(dirbuf) ||
	    snprintf(base, sizeof(base), "%s", path) >= (int)sizeof(base))
		return write_fail(err, errlen, path, ENAMETOOLONG);
	dir = dirname(dirbuf);	/* POSIX's: may return a static "." */
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, basename(base)) >=
	    (int)sizeof(tmp))
		return write_fail(err, errlen, path, ENAMETOOLONG);
	if ((fd = mkstemp(tmp)) == -1)	/* 0600 */
		return write_fail(err, errlen, dir, errno);
	while (off < len) {
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto bad;
		}
		off += (size_t)w;
	}
	if ((mode != 0600 && fchmod(fd, (mode_t)mode) == -1) ||
	    fsync(fd) == -1)
		goto bad;
	if (close(fd) == -1) {
		fd = -1;
		goto bad;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto bad;
	/* the rename itself survives a crash once the directory is synced */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		if (fd != -1)
			close(fd);
		return write_fail(err, errlen, dir, e);
	}
	close(fd);
	return 0;
bad:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return write_fail(err, errlen, path, e);
}
