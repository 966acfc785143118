/*
 * Where a proxy's syslog(3) lines end up. The proxy writes to /dev/log as
 * its own mount namespace sees it; whoever listens there is journald (the
 * lines are in the journal) or a syslog daemon, whose open log files are
 * read from /proc: the one holding the proxy's lines, else the usual one.
 * A machine that cannot be looked into (no rights on /proc/PID) gets the
 * classic answers: journald's socket exists, /var/log/syslog, messages.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procfs.h"
#include "lib/xmalloc.h"
#include "proxy/target.h"
#include "proxy/target_priv.h"

#define SYSLOG_TAIL (256 * 1024)	/* bytes of a file searched for PIDs */
#define JOURNAL_SOCK "/run/systemd/journal/dev-log"

static bool
same_node(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The inode of the socket bound to the file `want` (in pid's view). */
static unsigned long
bound_socket(pid_t pid, const struct stat *want)
{
	char path[64], line[PATH_MAX + 128], file[PATH_MAX + 32];
	unsigned long ino, found = 0;
	struct stat st;
	FILE *f;
	int off;

	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		off = 0;
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &ino,
		    &off) != 1 || off == 0 || line[off] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(file, sizeof(file), "/proc/%d/root%s", (int)pid,
		    line + off);
		if (stat(file, &st) == 0 && same_node(&st, want))
			found = ino;
	}
	fclose(f);
	return found;
}

static bool
holds_socket(pid_t pid, unsigned long ino)
{
	char path[64], fd[64 + NAME_MAX + 2], link[64];
	struct dirent *de;
	bool hit = false;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return false;
	while (!hit && (de = readdir(d)) != NULL) {
		snprintf(fd, sizeof(fd), "%s/%s", path, de->d_name);
		if ((n = readlink(fd, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		hit = procfs_socket_inode(link) == ino;
	}
	closedir(d);
	return hit;
}

/* The process that reads the socket, pid 1 last (socket activation). */
static pid_t
socket_holder(unsigned long ino)
{
	struct dirent *de;
	pid_t pid, init = 0;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (!holds_socket(pid, ino))
			continue;
		if (pid != 1)
			break;
		init = pid;
	}
	if (de == NULL)
		pid = init;
	closedir(d);
	return pid;
}

/* Does the end of the file show a line of one of the proxy's PIDs? */
static bool
has_lines_of(const char *file, const struct target *t)
{
	char *buf, tag[32];
	struct stat st;
	ssize_t n;
	size_t i;
	bool hit = false;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return false;
	}
	buf = xmalloc(SYSLOG_TAIL);
	n = pread(fd, buf, SYSLOG_TAIL, st.st_size > SYSLOG_TAIL ?
	    st.st_size - SYSLOG_TAIL : 0);
	close(fd);
	for (i = 0; n > 0 && !hit && i <= t->nkids; i++) {
		snprintf(tag, sizeof(tag), "[%d]:", (int)(i == 0 ?
		    t->main.pid : t->kids[i - 1].pid));
		hit = memmem(buf, (size_t)n, tag, strlen(tag)) != NULL;
	}
	free(buf);
	return hit;
}

static bool
written_file(pid_t pid, const char *fdname, char *file, size_t len)
{
	char path[64 + NAME_MAX], info[512];
	unsigned flags;
	struct stat st;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fdname);
	if ((n = readlink(path, file, len - 1)) <= 0)
		return false;
	file[n] = '\0';
	if (file[0] != '/' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fdname);
	if (procfs_read_file(path, info, sizeof(info)) <= 0 ||
	    (p = strstr(info, "flags:")) == NULL ||
	    sscanf(p + 6, "%o", &flags) != 1)
		return false;
	return (flags & O_ACCMODE) != O_RDONLY;
}

/*
 * Of the files the daemon writes, the one with the proxy's lines, else
 * the classic file, else its only file. NULL when it cannot tell.
 */
static char *
daemon_file(pid_t pid, const struct target *t, const char **how)
{
	char path[64], file[PATH_MAX], *classic = NULL, *only = NULL;
	struct dirent *de;
	size_t nfiles = 0;
	char *hit = NULL;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return NULL;
	while (hit == NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !written_file(pid, de->d_name, file, sizeof(file)))
			continue;
		nfiles++;
		if (has_lines_of(file, t))
			hit = xstrdup(file);
		else if (classic == NULL &&
		    (strcmp(file, "/var/log/syslog") == 0 ||
		    strcmp(file, "/var/log/messages") == 0))
			classic = xstrdup(file);
		else if (only == NULL)
			only = xstrdup(file);
	}
	closedir(d);
	if (hit != NULL) {
		*how = "the proxy's lines are there";
		free(classic);
		free(only);
		return hit;
	}
	free(classic != NULL ? only : NULL);
	if (classic != NULL) {
		*how = "no line of the proxy yet; the usual file";
		return classic;
	}
	if (nfiles == 1) {
		*how = "no line of the proxy yet; its only log file";
		return only;
	}
	free(only);
	return NULL;
}

/* The classic guesses, when /dev/log's reader cannot be found. */
static void
guess(struct target *t, const char *seen)
{
	struct target_log *l = &t->log;
	struct stat st;

	if (stat(JOURNAL_SOCK, &st) == 0 ||
	    stat("/run/systemd/journal/syslog", &st) == 0) {
		l->kind = TARGET_LOG_JOURNAL;
		xasprintf(&l->why, "syslog(3)%s, and journald's socket exists",
		    seen);
		return;
	}
	l->kind = TARGET_LOG_SYSLOG;
	if (stat("/var/log/syslog", &st) == 0)
		l->path = xstrdup("/var/log/syslog");
	else if (stat("/var/log/messages", &st) == 0)
		l->path = xstrdup("/var/log/messages");
	xasprintf(&l->why, "syslog(3)%s to a syslog daemon; %s", seen,
	    l->path ? "its usual file" : "no usual file (give --log FILE)");
}

void
target_discover_syslog(struct target *t)
{
	struct target_log *l = &t->log;
	struct procfs_stat ps;
	struct stat dl, js;
	char path[PATH_MAX];
	const char *how;
	unsigned long ino;
	pid_t holder;

	snprintf(path, sizeof(path), "/proc/%d/root/dev/log",
	    (int)t->main.pid);
	if (stat(path, &dl) != 0 || !S_ISSOCK(dl.st_mode)) {
		guess(t, " (its /dev/log cannot be read)");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/root" JOURNAL_SOCK,
	    (int)t->main.pid);
	if (stat(path, &js) == 0 && same_node(&dl, &js)) {
		l->kind = TARGET_LOG_JOURNAL;
		l->why = xstrdup("syslog(3); its /dev/log is journald's "
		    "socket " JOURNAL_SOCK);
		return;
	}
	if ((ino = bound_socket(t->main.pid, &dl)) == 0 ||
	    (holder = socket_holder(ino)) == 0 ||
	    !procfs_read_stat(holder, &ps)) {
		guess(t, " (no reader of its /dev/log found)");
		return;
	}
	if (strncmp(ps.comm, "systemd-journal", 15) == 0 ||
	    (holder == 1 && strcmp(ps.comm, "systemd") == 0)) {
		l->kind = TARGET_LOG_JOURNAL;
		xasprintf(&l->why, "syslog(3); its /dev/log is read by %s "
		    "(pid %d)", ps.comm, (int)holder);
		return;
	}
	l->kind = TARGET_LOG_SYSLOG;
	if ((l->path = daemon_file(holder, t, &how)) != NULL)
		xasprintf(&l->why, "syslog(3); its /dev/log is read by %s "
		    "(pid %d), which writes %s (%s)", ps.comm, (int)holder,
		    l->path, how);
	else
		xasprintf(&l->why, "syslog(3); its /dev/log is read by %s "
		    "(pid %d), which writes no file that shows the proxy's "
		    "lines (give --log FILE)", ps.comm, (int)holder);
}
