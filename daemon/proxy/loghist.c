/*
 * loghist: read a stretch of the proxy's past log, once. A file from an
 * offset (or its last max_bytes, starting at a line), the journal by
 * time with the proxy's PIDs matched; a syslog socket has no past.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "lib/xmalloc.h"
#include "proxy/loghist.h"

#define LOGHIST_CHUNK 65536

static bool
is_journal(const char *spec)
{
	return strcmp(spec, "journal") == 0 ||
	    strncmp(spec, "journal:", 8) == 0 ||
	    strncmp(spec, "journal-dir:", 12) == 0;
}

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
loghist_mark(const char *spec, struct loghist_mark *m)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->usec = now_usec();
	if (is_journal(spec) || strncmp(spec, "syslog:", 7) == 0)
		return;
	if (stat(spec, &st) == 0 && S_ISREG(st.st_mode)) {
		m->file = true;
		m->dev = st.st_dev;
		m->ino = st.st_ino;
		m->offset = (uint64_t)st.st_size;
	}
}

/*
 * The boot's wall-clock time is now less the time since boot (what the
 * kernel's btime in /proc/stat is), read from the clocks: a service
 * whose /proc shows processes only (ProcSubset=pid) has no /proc/stat.
 */
uint64_t
loghist_start_usec(unsigned long long starttime)
{
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t r, b;

	if (hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) != 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
		return 0;
	r = (uint64_t)real.tv_sec * 1000000ULL + (uint64_t)real.tv_nsec / 1000;
	b = (uint64_t)boot.tv_sec * 1000000ULL + (uint64_t)boot.tv_nsec / 1000;
	if (r <= b)
		return 0;
	return r - b + starttime * 1000000ULL / (uint64_t)hz;
}

static int
read_file(const char *path, const struct loghist_range *r,
    const struct loghist_ops *ops, void *arg, char *what, size_t whatlen)
{
	uint64_t start, end, left;
	struct stat st;
	char *buf;
	bool skip_line;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(what, whatlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((r->from != NULL && r->from->file && (r->from->dev != st.st_dev ||
	    r->from->ino != st.st_ino)) || (r->from != NULL &&
	    r->from->offset > (uint64_t)st.st_size)) {
		snprintf(what, whatlen, "%s was rotated or truncated since the "
		    "run began: not read", path);
		close(fd);
		return -1;
	}
	end = r->to != NULL && r->to->file && r->to->offset <=
	    (uint64_t)st.st_size ? r->to->offset : (uint64_t)st.st_size;
	start = r->from != NULL ? r->from->offset : 0;
	skip_line = false;
	if (r->max_bytes > 0 && end - start > r->max_bytes) {
		start = end - r->max_bytes;
		skip_line = true;	/* from the next whole line */
	}
	if (lseek(fd, (off_t)start, SEEK_SET) == -1) {
		snprintf(what, whatlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	buf = xmalloc(LOGHIST_CHUNK);
	for (left = end - start; left > 0;) {
		size_t want = left < LOGHIST_CHUNK ? (size_t)left :
		    LOGHIST_CHUNK;
		ssize_t n = read(fd, buf, want);
		const char *p = buf;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= (uint64_t)n;
		if (skip_line) {
			const char *nl = memchr(buf, '\n', (size_t)n);

			if (nl == NULL)
				continue;
			skip_line = false;
			p = nl + 1;
		}
		if (buf + n > p)
			ops->data(arg, p, (size_t)(buf + n - p));
	}
	free(buf);
	close(fd);
	snprintf(what, whatlen, "%s, bytes %llu to %llu%s", path,
	    (unsigned long long)start, (unsigned long long)end,
	    start > (r->from != NULL ? r->from->offset : 0) ?
	    " (the latest only)" : "");
	return 0;
}

static int
journal_open(const char *spec, sd_journal **j)
{
	if (strncmp(spec, "journal-dir:", 12) == 0)
		return sd_journal_open_directory(j, spec + 12, 0);
	return sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY);
}

/* A field's value (without "NAME="), or NULL. */
static const char *
field(sd_journal *j, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const void *d;
	size_t l;

	if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= nl)
		return NULL;
	*len = l - nl - 1;
	return (const char *)d + nl + 1;
}

static int
read_journal(const char *spec, const struct loghist_range *r,
    const struct loghist_ops *ops, void *arg, char *what, size_t whatlen)
{
	uint64_t from = r->from != NULL ? r->from->usec : r->since_usec;
	uint64_t to = r->to != NULL ? r->to->usec : now_usec();
	uint64_t bytes = 0;
	char *first = NULL;
	bool cut = false;
	sd_journal *j;
	char m[64], pid[24], ident[64];
	size_t i, l;
	int rc;

	if ((rc = journal_open(spec, &j)) < 0) {
		snprintf(what, whatlen, "%s: cannot open the journal: %s",
		    spec, strerror(-rc));
		return -1;
	}
	for (i = 0; i < r->npids; i++) {
		snprintf(m, sizeof(m), "_PID=%d", (int)r->pids[i]);
		sd_journal_add_match(j, m, 0);
	}
	/* the latest max_bytes: walk back from the end, then forward */
	sd_journal_seek_realtime_usec(j, to);
	while (sd_journal_previous(j) > 0) {
		uint64_t usec;

		if (sd_journal_get_realtime_usec(j, &usec) < 0 || usec < from)
			break;
		if (field(j, "MESSAGE", &l) == NULL)
			continue;
		if (r->max_bytes > 0 && bytes + l > r->max_bytes) {
			cut = true;
			break;
		}
		bytes += l;
		free(first);
		if (sd_journal_get_cursor(j, &first) < 0)
			first = NULL;
	}
	if (first != NULL && sd_journal_seek_cursor(j, first) >= 0)
		while (sd_journal_next(j) > 0) {
			const char *msg, *p, *id;
			uint64_t usec = 0;
			size_t pl, il;

			sd_journal_get_realtime_usec(j, &usec);
			if (usec > to)
				break;
			if ((msg = field(j, "MESSAGE", &l)) == NULL)
				continue;
			pid[0] = ident[0] = '\0';
			if ((p = field(j, "_PID", &pl)) != NULL)
				snprintf(pid, sizeof(pid), "%.*s", (int)pl, p);
			if ((id = field(j, "SYSLOG_IDENTIFIER", &il)) != NULL ||
			    (id = field(j, "_COMM", &il)) != NULL)
				snprintf(ident, sizeof(ident), "%.*s", (int)il,
				    id);
			ops->entry(arg, usec, strtol(pid, NULL, 10), ident,
			    msg, l);
		}
	free(first);
	sd_journal_close(j);
	snprintf(what, whatlen, "the journal (%s), entries of the proxy's "
	    "processes%s", spec, cut ? ", the latest only" : "");
	return 0;
}

int
loghist_read(const char *spec, const struct loghist_range *r,
    const struct loghist_ops *ops, void *arg, char *what, size_t whatlen)
{
	if (is_journal(spec))
		return read_journal(spec, r, ops, arg, what, whatlen);
	if (strncmp(spec, "syslog:", 7) == 0) {
		snprintf(what, whatlen, "%s: a syslog socket memdiag binds "
		    "keeps no history", spec);
		return -1;
	}
	return read_file(spec, r, ops, arg, what, whatlen);
}
