/*
 * Following a log. Files: inotify on the file and on its directory; each
 * wake-up reads to the end, notices truncation (size below what was
 * read), and notices rotation (the path names another inode), finishing
 * the old file before switching. Journal: sd-journal's own fd in the
 * event base. Syslog: a datagram socket of ours, one message a datagram.
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-journal.h>

#include "lib/rfile.h"
#include "lib/xmalloc.h"
#include "proxy/logtail.h"

#define LOGTAIL_CHUNK (64 * 1024)

enum logtail_kind { LT_FILE, LT_JOURNAL, LT_SYSLOG };

struct logtail {
	enum logtail_kind kind;
	struct event_base *base;
	const struct logtail_ops *ops;
	void *arg;
	struct event *ev;
	char *path;
	/* file */
	int fd, ifd, wd_file, wd_dir;
	off_t off;
	dev_t dev;
	ino_t ino;
	bool gone_reported;
	char *buf;
	/* journal */
	sd_journal *j;
	uint64_t since;		/* realtime usec when following began */
	pid_t *pids;
	size_t npids;
	/* syslog */
	int sock;
	/* logtail_free from inside a callback: the rest is freed once the
	 * callback has returned to logtail_* (depth: entries in progress) */
	int depth;
	bool dead;
};

/* Every way in from outside (the loop, logtail_poll) enters and leaves. */
static void
lt_enter(struct logtail *lt)
{
	lt->depth++;
}

static void
lt_leave(struct logtail *lt)
{
	if (--lt->depth == 0 && lt->dead) {
		free(lt->buf);
		free(lt);
	}
}

static void
lt_event(struct logtail *lt, enum logtail_event e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
lt_event(struct logtail *lt, enum logtail_event e, const char *fmt, ...)
{
	char text[PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (lt->ops->event != NULL)
		lt->ops->event(lt->arg, e, text);
}

/* ---- files ---- */

static void
file_drain(struct logtail *lt)
{
	ssize_t n;

	for (;;) {
		n = pread(lt->fd, lt->buf, LOGTAIL_CHUNK, lt->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			lt_event(lt, LOGTAIL_ERROR, "%s: read: %s", lt->path,
			    strerror(errno));
			return;
		}
		if (n == 0)
			return;
		lt->off += n;
		if (lt->ops->data != NULL)
			lt->ops->data(lt->arg, lt->buf, (size_t)n);
		if (lt->dead)
			return;
	}
}

static int
file_open(struct logtail *lt, bool at_end)
{
	struct stat st;
	int fd = rfile_open(lt->path, 0, &st);

	if (fd == -1)
		return -1;
	if (lt->fd != -1)
		close(lt->fd);
	lt->fd = fd;
	lt->off = at_end ? st.st_size : 0;
	lt->dev = st.st_dev;
	lt->ino = st.st_ino;
	lt->gone_reported = false;
	if (lt->wd_file != -1)
		inotify_rm_watch(lt->ifd, lt->wd_file);
	lt->wd_file = inotify_add_watch(lt->ifd, lt->path, IN_MODIFY |
	    IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
	return 0;
}

static void
file_check(struct logtail *lt)
{
	struct stat st, pst;

	file_drain(lt);
	if (lt->dead)
		return;
	if (fstat(lt->fd, &st) == 0 && st.st_size < lt->off) {
		lt_event(lt, LOGTAIL_TRUNCATED, "%s: truncated from %lld to "
		    "%lld bytes", lt->path, (long long)lt->off,
		    (long long)st.st_size);
		if (lt->dead)
			return;
		lt->off = 0;
		file_drain(lt);
		if (lt->dead)
			return;
	}
	if (stat(lt->path, &pst) == -1) {
		if (!lt->gone_reported)
			lt_event(lt, LOGTAIL_DELETED, "%s: deleted", lt->path);
		lt->gone_reported = true;
		return;
	}
	if (pst.st_ino == lt->ino && pst.st_dev == lt->dev)
		return;
	/* a new file under the name: finish the old one, then switch */
	file_drain(lt);
	if (lt->dead)
		return;
	if (file_open(lt, false) == -1) {
		lt_event(lt, LOGTAIL_ERROR, "%s: cannot open the new file: %s",
		    lt->path, strerror(errno));
		return;
	}
	lt_event(lt, LOGTAIL_ROTATED, "%s: rotated", lt->path);
	if (!lt->dead)
		file_drain(lt);
}

static void
file_cb(evutil_socket_t fd, short what, void *arg)
{
	struct logtail *lt = arg;
	char ibuf[4096] __attribute__((aligned(8)));

	(void)what;
	while (read(fd, ibuf, sizeof(ibuf)) > 0)
		;
	lt_enter(lt);
	file_check(lt);
	lt_leave(lt);
}

static int
file_new(struct logtail *lt, const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);

	lt->kind = LT_FILE;
	lt->path = xstrdup(path);
	lt->fd = lt->wd_file = lt->wd_dir = -1;
	lt->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (lt->ifd == -1) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		free(dir);
		return -1;
	}
	if (file_open(lt, true) == -1) {
		snprintf(err, errlen, "%s: cannot follow the log: %s", path,
		    errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		free(dir);
		return -1;
	}
	lt->wd_dir = inotify_add_watch(lt->ifd, dirname(dir), IN_CREATE |
	    IN_MOVED_TO);
	free(dir);
	lt->buf = xmalloc(LOGTAIL_CHUNK);
	lt->ev = event_new(lt->base, lt->ifd, EV_READ | EV_PERSIST, file_cb,
	    lt);
	event_add(lt->ev, NULL);
	return 0;
}

/* ---- journal ---- */

static bool
journal_pid_wanted(struct logtail *lt, long pid)
{
	size_t i;

	if (lt->npids == 0)
		return true;
	for (i = 0; i < lt->npids; i++)
		if (lt->pids[i] == pid)
			return true;
	return false;
}

static void
journal_drain(struct logtail *lt)
{
	const void *d;
	size_t l;
	int r;

	sd_journal_process(lt->j);
	while ((r = sd_journal_next(lt->j)) > 0) {
		long pid = -1;
		uint64_t usec;

		/* from now on only, also from files written out of order */
		if (sd_journal_get_realtime_usec(lt->j, &usec) >= 0 &&
		    usec < lt->since)
			continue;
		if (sd_journal_get_data(lt->j, "_PID", &d, &l) >= 0 && l > 5) {
			char tmp[24];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)(l - 5),
			    (const char *)d + 5);
			pid = strtol(tmp, NULL, 10);
		}
		if (!journal_pid_wanted(lt, pid))
			continue;
		if (sd_journal_get_data(lt->j, "MESSAGE", &d, &l) < 0 || l < 8)
			continue;
		if (lt->ops->message != NULL)
			lt->ops->message(lt->arg, pid, (const char *)d + 8,
			    l - 8);
		if (lt->dead)
			return;
	}
	if (r < 0)
		lt_event(lt, LOGTAIL_ERROR, "journal: %s", strerror(-r));
}

static void
journal_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lt_enter(arg);
	journal_drain(arg);
	lt_leave(arg);
}

static int
journal_new(struct logtail *lt, const char *spec, char *err, size_t errlen)
{
	int r, fd;

	lt->kind = LT_JOURNAL;
	if (strncmp(spec, "journal-dir:", 12) == 0) {
		lt->path = xstrdup(spec + 12);
		r = sd_journal_open_directory(&lt->j, lt->path, 0);
	} else {
		lt->path = xstrdup("journal");
		r = sd_journal_open(&lt->j, SD_JOURNAL_LOCAL_ONLY);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot open the journal: %s",
		    lt->path, strerror(-r));
		return -1;
	}
	if (strncmp(spec, "journal:", 8) == 0 && spec[8] != '\0') {
		char *m, *unit = xstrdup(spec + 8);

		if (strchr(unit, '.') == NULL) {
			free(unit);
			xasprintf(&unit, "%s.service", spec + 8);
		}
		xasprintf(&m, "_SYSTEMD_UNIT=%s", unit);
		r = sd_journal_add_match(lt->j, m, 0);
		free(m);
		free(unit);
		if (r < 0) {
			snprintf(err, errlen, "journal: bad unit match: %s",
			    strerror(-r));
			return -1;
		}
	}
	/*
	 * From now on: by time, not by "the tail", since entries a writer has
	 * appended may become visible to readers only later, and an old dump
	 * read as new would be taken for the one just asked for.
	 */
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		lt->since = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
	}
	r = sd_journal_seek_realtime_usec(lt->j, lt->since);
	fd = sd_journal_get_fd(lt->j);
	if (r < 0 || fd < 0) {
		snprintf(err, errlen, "%s: cannot follow the journal: %s",
		    lt->path, strerror(-(r < 0 ? r : fd)));
		return -1;
	}
	lt->ev = event_new(lt->base, fd, EV_READ | EV_PERSIST, journal_cb, lt);
	event_add(lt->ev, NULL);
	return 0;
}

/* ---- syslog socket ---- */

static void
syslog_drain(struct logtail *lt)
{
	ssize_t n;

	while ((n = recv(lt->sock, lt->buf, LOGTAIL_CHUNK - 1,
	    MSG_DONTWAIT)) > 0) {
		/* rsyslog-style escaping is not ours to undo: one datagram,
		 * one line, embedded newlines kept as the proxy sent them */
		while (n > 0 && (lt->buf[n - 1] == '\n' || lt->buf[n - 1] == '\0'))
			n--;
		lt->buf[n++] = '\n';
		if (lt->ops->data != NULL)
			lt->ops->data(lt->arg, lt->buf, (size_t)n);
		if (lt->dead)
			return;
	}
}

static void
syslog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lt_enter(arg);
	syslog_drain(arg);
	lt_leave(arg);
}

static int
syslog_new(struct logtail *lt, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;

	lt->kind = LT_SYSLOG;
	lt->path = xstrdup(path);
	lt->sock = -1;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "syslog:%s: needs an absolute socket path "
		    "shorter than %zu bytes", path, sizeof(sun.sun_path));
		return -1;
	}
	/* a stale socket of ours may be replaced; anything else may not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is no socket",
			    path);
			return -1;
		}
		unlink(path);
	}
	lt->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (lt->sock == -1 || bind(lt->sock, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: cannot bind a syslog socket: %s",
		    path, strerror(errno));
		return -1;
	}
	/* the proxy may run as another user */
	chmod(path, 0666);
	lt->buf = xmalloc(LOGTAIL_CHUNK);
	lt->ev = event_new(lt->base, lt->sock, EV_READ | EV_PERSIST, syslog_cb,
	    lt);
	event_add(lt->ev, NULL);
	return 0;
}

struct logtail *
logtail_new(struct event_base *base, const char *spec,
    const struct logtail_ops *ops, void *arg, char *err, size_t errlen)
{
	struct logtail *lt = xcalloc(1, sizeof(*lt));
	int r;

	lt->base = base;
	lt->ops = ops;
	lt->arg = arg;
	lt->fd = lt->ifd = lt->wd_file = lt->wd_dir = lt->sock = -1;
	if (strcmp(spec, "journal") == 0 || strncmp(spec, "journal:", 8) == 0 ||
	    strncmp(spec, "journal-dir:", 12) == 0)
		r = journal_new(lt, spec, err, errlen);
	else if (strncmp(spec, "syslog:", 7) == 0)
		r = syslog_new(lt, spec + 7, err, errlen);
	else
		r = file_new(lt, spec, err, errlen);
	if (r == -1) {
		logtail_free(lt);
		return NULL;
	}
	return lt;
}

void
logtail_poll(struct logtail *lt)
{
	lt_enter(lt);
	switch (lt->kind) {
	case LT_FILE:
		file_check(lt);
		break;
	case LT_JOURNAL:
		journal_drain(lt);
		break;
	case LT_SYSLOG:
		syslog_drain(lt);
		break;
	}
	lt_leave(lt);
}

void
logtail_set_pids(struct logtail *lt, const pid_t *pids, size_t n)
{
	free(lt->pids);
	lt->pids = xcalloc(n + 1, sizeof(*pids));
	memcpy(lt->pids, pids, n * sizeof(*pids));
	lt->npids = n;
}

/* What it holds but its buffer and itself: closed at once, even from
 * inside a callback (a syslog socket bound again by a diagnosis). */
static void
lt_release(struct logtail *lt)
{
	if (lt->ev != NULL)
		event_free(lt->ev);
	lt->ev = NULL;
	if (lt->fd != -1)
		close(lt->fd);
	if (lt->ifd != -1)
		close(lt->ifd);
	lt->fd = lt->ifd = -1;
	if (lt->j != NULL)
		sd_journal_close(lt->j);
	lt->j = NULL;
	if (lt->sock != -1) {
		close(lt->sock);
		unlink(lt->path);
	}
	lt->sock = -1;
	free(lt->pids);
	free(lt->path);
	lt->pids = NULL;
	lt->path = NULL;
}

void
logtail_free(struct logtail *lt)
{
	if (lt == NULL)
		return;
	lt_release(lt);
	if (lt->depth > 0) {
		lt->dead = true;
		return;
	}
	free(lt->buf);
	free(lt);
}
