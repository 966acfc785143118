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

int
statedir_check_own(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return write_fail(err, errlen, path, errno);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(err, errlen, "%s: owned by uid %u, mode %04o: not "
		    "memdiag's own (uid %u, writable by it alone)", path,
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (unsigned)geteuid());
		return -1;
	}
	return 0;
}

json_t *
statedir_load(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	json_error_t je;
	struct stat st;
	json_t *j;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (lstat(dirname(dir), &st) == -1) {
		write_fail(err, errlen, dir, errno);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() &&
	    st.st_uid != 0) || (st.st_mode & 022) != 0) {
		snprintf(err, errlen, "%s: owned by uid %u, mode %04o: a "
		    "directory others may write", dir, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		write_fail(err, errlen, path, errno);
		return NULL;
	}
	if (statedir_check_own(fd, path, err, errlen) != 0) {
		close(fd);
		return NULL;
	}
	j = json_loadfd(fd, 0, &je);
	close(fd);
	if (j == NULL)
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
	return j;
}
