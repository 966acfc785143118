/*
 * /proc: a process's open files (sockets, named FIFOs) and the sockets of
 * its network namespace, how memdiag finds a proxy's RPC, MI and SIP
 * addresses. Read only, like procfs.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procfs.h"
#include "lib/xmalloc.h"

/*
 * Each open fd of pid: fn(its /proc/PID/fd/N path, where it links, arg).
 * false when the fd directory cannot be read.
 */
static bool
each_fd(pid_t pid, void (*fn)(const char *fdpath, const char *link,
    void *arg), void *arg)
{
	char path[64], link[PATH_MAX], fdpath[384];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		ssize_t l;

		if (e->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		if ((l = readlink(fdpath, link, sizeof(link) - 1)) <= 0)
			continue;
		link[l] = '\0';
		fn(fdpath, link, arg);
	}
	closedir(d);
	return true;
}

struct inodes {
	unsigned long *v;
	size_t n;
};

static void
add_inode(const char *fdpath, const char *link, void *arg)
{
	struct inodes *in = arg;
	unsigned long ino;

	(void)fdpath;
	if ((ino = procfs_socket_inode(link)) == 0)
		return;
	in->v = xreallocarray(in->v, in->n + 1, sizeof(*in->v));
	in->v[in->n++] = ino;
}

unsigned long *
procfs_socket_inodes(pid_t pid, size_t *n)
{
	struct inodes in = { NULL, 0 };

	each_fd(pid, add_inode, &in);
	*n = in.n;
	return in.v;
}

struct fifos {
	char **v;
	size_t n;
};

static void
add_fifo(const char *fdpath, const char *link, void *arg)
{
	struct fifos *f = arg;
	struct stat st;
	size_t i;

	/* a named FIFO, still there under that name (an anonymous pipe
	 * reads "pipe:[N]") */
	if (link[0] != '/' || stat(fdpath, &st) == -1 ||
	    !S_ISFIFO(st.st_mode) || stat(link, &st) == -1 ||
	    !S_ISFIFO(st.st_mode))
		return;
	for (i = 0; i < f->n && strcmp(f->v[i], link) != 0; i++)
		;
	if (i < f->n)
		return;
	f->v = xreallocarray(f->v, f->n + 2, sizeof(*f->v));
	f->v[f->n++] = xstrdup(link);
	f->v[f->n] = NULL;
}

char **
procfs_fifo_paths(pid_t pid, size_t *n)
{
	struct fifos f = { NULL, 0 };

	each_fd(pid, add_fifo, &f);
	*n = f.n;
	return f.v;
}

static void
read_net(pid_t pid, const char *file, enum procfs_proto proto, int family,
    struct procfs_sock **out, size_t *cnt)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, file);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct procfs_sock s;

		if (!procfs_parse_net_line(line, proto, family, &s))
			continue;
		*out = xreallocarray(*out, *cnt + 1, sizeof(**out));
		(*out)[(*cnt)++] = s;
	}
	fclose(f);
}

struct procfs_sock *
procfs_sockets(pid_t pid, size_t *n)
{
	struct procfs_sock *out = NULL;

	*n = 0;
	read_net(pid, "udp", PROCFS_UDP, AF_INET, &out, n);
	read_net(pid, "udp6", PROCFS_UDP, AF_INET6, &out, n);
	read_net(pid, "tcp", PROCFS_TCP, AF_INET, &out, n);
	read_net(pid, "tcp6", PROCFS_TCP, AF_INET6, &out, n);
	return out;
}

char **
procfs_unix_paths(pid_t pid, const unsigned long *inodes, size_t n,
    size_t *npaths)
{
	char path[64], line[1024];
	char **out = NULL;
	size_t cnt = 0, i;
	FILE *f;

	*npaths = 0;
	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long ino;
		char p[sizeof(line)];
		unsigned flags, type, st;

		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %x %x %x %lu %1023s", &flags,
		    &type, &st, &ino, p) != 5 || p[0] != '/')
			continue;
		for (i = 0; i < n; i++)
			if (inodes[i] == ino)
				break;
		if (i == n)
			continue;
		/* stream sockets: only the listening one (flag 0x10000) */
		if (type == 1 && !(flags & 0x10000))
			continue;
		out = xreallocarray(out, cnt + 2, sizeof(*out));
		xasprintf(&out[cnt], "%s:%s", type == 2 ? "unixd" : "unix", p);
		cnt++;
		out[cnt] = NULL;
	}
	fclose(f);
	*npaths = cnt;
	return out;
}
