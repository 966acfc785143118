/*
 * logtail: follow the proxy's log from now on, on a libevent base, and
 * hand what arrives to a consumer: bytes of a log file (followed with
 * inotify: a regular file cannot go into epoll), journal entries through
 * sd-journal, or datagrams on a syslog socket memdiag binds. Rotation,
 * truncation and deletion are followed and reported, since a dump that
 * spans one of them cannot be trusted whole.
 */
#ifndef MEMDIAG_LOGTAIL_H
#define MEMDIAG_LOGTAIL_H

#include <sys/types.h>

#include <stddef.h>

struct event_base;
struct logtail;

enum logtail_event {
	LOGTAIL_ROTATED,	/* renamed or replaced; following the new file */
	LOGTAIL_TRUNCATED,	/* shorter than what was read: lines lost */
	LOGTAIL_DELETED,	/* gone, nothing replaced it (yet) */
	LOGTAIL_ERROR,		/* a read failed; text says why */
};

struct logtail_ops {
	/* A file's or socket's bytes, in order, split anywhere. */
	void (*data)(void *arg, const char *buf, size_t len);
	/* One message with the PID that logged it (journal). */
	void (*message)(void *arg, long pid, const char *msg, size_t len);
	void (*event)(void *arg, enum logtail_event, const char *text);
};

/*
 * spec: a file path, "journal" (the system journal), "journal:UNIT",
 * "journal-dir:DIR" (journal files in DIR, for tests and copied
 * journals), or "syslog:PATH" (bind a datagram socket at PATH).
 * Follows from the current end. NULL with the reason in err.
 */
struct logtail *logtail_new(struct event_base *, const char *spec,
    const struct logtail_ops *, void *arg, char *err, size_t errlen);
/* Read whatever has arrived now, without waiting for the next event. */
void logtail_poll(struct logtail *);
/* Only journal entries of these PIDs (journal sources; others ignore). */
void logtail_set_pids(struct logtail *, const pid_t *pids, size_t n);
/* Also from inside one of its own callbacks: nothing is delivered after
 * it, its files and socket are closed at once (a syslog socket unlinked),
 * the rest freed as the callback returns. */
void logtail_free(struct logtail *);

#endif
