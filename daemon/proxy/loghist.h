/*
 * loghist: the proxy's log as it already is, read once instead of
 * followed (logtail follows it from now on): what the proxy logged before
 * the diagnosis began (memory errors it already had), and what it logged
 * during the run (for a bug report's bundle). A file is read by offset,
 * the journal by time and PID; a syslog socket memdiag binds keeps no
 * history, and says so.
 */
#ifndef MEMDIAG_LOGHIST_H
#define MEMDIAG_LOGHIST_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the log stands at one moment. */
struct loghist_mark {
	bool file;		/* spec is a file path */
	dev_t dev;
	ino_t ino;
	uint64_t offset;	/* file: its size then */
	uint64_t usec;		/* CLOCK_REALTIME then */
};

struct loghist_ops {
	/* A file's bytes, in order, from a line's start. */
	void (*data)(void *arg, const char *buf, size_t len);
	/* One journal entry of a wanted PID. */
	void (*entry)(void *arg, uint64_t usec, long pid, const char *ident,
	    const char *msg, size_t len);
};

struct loghist_range {
	const struct loghist_mark *from;	/* NULL: see max_bytes */
	const struct loghist_mark *to;		/* NULL: up to now */
	uint64_t since_usec;	/* journal without from: entries since */
	uint64_t max_bytes;	/* at most this much, the latest */
	const pid_t *pids;	/* journal: only these (none: all) */
	size_t npids;
};

void loghist_mark(const char *spec, struct loghist_mark *);
/*
 * Read the range of the log spec names (logtail_new's spelling). 0 with
 * what was read described in what ("the last 8.0 MB of FILE"), or -1
 * with why nothing could be (a syslog socket, a file gone).
 */
int loghist_read(const char *spec, const struct loghist_range *,
    const struct loghist_ops *, void *arg, char *what, size_t whatlen);
/* A process's start (starttime: clock ticks since boot) as realtime. */
uint64_t loghist_start_usec(unsigned long long starttime);

#endif
