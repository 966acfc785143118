/*
 * Logging for people and for journald: "memdiag: message" on a terminal,
 * "<4>message" when stderr is the journal (JOURNAL_STREAM matches fd 2).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "lib/log.h"

static const char *log_progname = "memdiag";
static int log_level = 0;
static int log_journal;

static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(const char *progname, int verbosity)
{
	if (progname != NULL)
		log_progname = progname;
	log_level = verbosity;
	log_journal = log_stderr_is_journal();
}

void
log_set_verbosity(int verbosity)
{
	log_level = verbosity;
}

int
log_verbosity(void)
{
	return log_level;
}

void
log_vwritex(int prio, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio, buf);
	else
		fprintf(stderr, "%s: %s\n", log_progname, buf);
}

static void log_writex(int, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_writex(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwritex(prio, fmt, ap);
	va_end(ap);
}

static void log_verr(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_verr(int prio, int saved, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_writex(prio, "%s: %s", buf, strerror(saved));
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verr(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwritex(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 0)
		return;
	va_start(ap, fmt);
	log_vwritex(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	va_start(ap, fmt);
	log_vwritex(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(int status, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verr(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwritex(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(status);
}
