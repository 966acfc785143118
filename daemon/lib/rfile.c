/* rfile: a regular file opened for reading, nothing else (rfile.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/rfile.h"

int
rfile_open(const char *path, int flags, struct stat *st)
{
	struct stat own;
	int fd, e;

	if (st == NULL)
		st = &own;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		e = errno;
	else if (!S_ISREG(st->st_mode))
		e = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
	else
		return fd;
	close(fd);
	errno = e;
	return -1;
}
