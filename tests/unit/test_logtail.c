/*
 * Unit tests of log following on real files and sockets: appended lines
 * arrive, truncation and rotation are reported and followed, a deleted
 * file is reported, a syslog socket delivers one line per datagram, a
 * follower may stop following from inside its own callback.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "proxy/logtail.h"

struct sink {
	char data[65536];
	size_t len;
	int events[4];
	char last[512];
};

static void
on_data(void *arg, const char *buf, size_t len)
{
	struct sink *s = arg;

	assert_true(s->len + len < sizeof(s->data));
	memcpy(s->data + s->len, buf, len);
	s->len += len;
	s->data[s->len] = '\0';
}

static void
on_event(void *arg, enum logtail_event e, const char *text)
{
	struct sink *s = arg;

	s->events[e]++;
	snprintf(s->last, sizeof(s->last), "%s", text);
}

static const struct logtail_ops ops = {
	.data = on_data,
	.event = on_event,
};

static void
append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run the loop until nothing is pending (inotify delivers at once). */
static void
spin(struct event_base *base)
{
	for (int i = 0; i < 5; i++) {
		usleep(20000);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
}

static void
test_file(void **state)
{
	char dir[] = "/tmp/memdiag-test-logtail.XXXXXX", path[128], old[160];
	struct event_base *base = event_base_new();
	struct sink s = { .len = 0 };
	struct logtail *lt;
	char err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/proxy.log", dir);
	append(path, "before we started\n");
	lt = logtail_new(base, path, &ops, &s, err, sizeof(err));
	assert_non_null(lt);
	append(path, "line one\nline t");
	spin(base);
	assert_string_equal(s.data, "line one\nline t");
	append(path, "wo\n");
	spin(base);
	assert_string_equal(s.data, "line one\nline two\n");

	/* copytruncate: lines may be lost, so it is reported */
	assert_int_equal(truncate(path, 0), 0);
	append(path, "after truncation\n");
	spin(base);
	assert_int_equal(s.events[LOGTAIL_TRUNCATED], 1);
	assert_non_null(strstr(s.data, "after truncation\n"));

	/* rename and a new file: the old one is finished first */
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(rename(path, old), 0);
	append(old, "last words of the old file\n");
	append(path, "first line of the new file\n");
	spin(base);
	assert_int_equal(s.events[LOGTAIL_ROTATED], 1);
	assert_non_null(strstr(s.data, "last words of the old file\n"
	    "first line of the new file\n"));

	unlink(path);
	spin(base);
	assert_int_equal(s.events[LOGTAIL_DELETED], 1);
	logtail_free(lt);
	unlink(old);
	rmdir(dir);
	event_base_free(base);
}

static void
test_syslog_socket(void **state)
{
	char dir[] = "/tmp/memdiag-test-syslog.XXXXXX", path[100], err[256];
	struct event_base *base = event_base_new();
	struct sink s = { .len = 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct logtail *lt;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log.sock", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	lt = logtail_new(base, "syslog:", &ops, &s, err, sizeof(err));
	assert_null(lt);	/* "syslog:" needs a path */
	assert_non_null(strstr(err, "absolute socket path"));
	{
		char spec[160];

		snprintf(spec, sizeof(spec), "syslog:%s", path);
		lt = logtail_new(base, spec, &ops, &s, err, sizeof(err));
	}
	assert_non_null(lt);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, "<30>Nov 24 19:43:53 kamailio[1]: INFO: a",
	    40, 0, (struct sockaddr *)&sun, sizeof(sun)), 40);
	assert_int_equal(sendto(fd, "<30>Nov 24 19:43:53 kamailio[1]: b\n",
	    35, 0, (struct sockaddr *)&sun, sizeof(sun)), 35);
	spin(base);
	assert_string_equal(s.data, "<30>Nov 24 19:43:53 kamailio[1]: INFO: a\n"
	    "<30>Nov 24 19:43:53 kamailio[1]: b\n");
	close(fd);
	logtail_free(lt);
	assert_int_equal(access(path, F_OK), -1);	/* removed */
	rmdir(dir);
	event_base_free(base);
}

/* A follower that stops following at its first line, from inside the
 * callback (a run that stops on a line it saw): nothing is read after
 * it, and what remains is freed once the callback has returned. */
struct quitter {
	struct logtail *lt;
	int calls;
};

static void
quit_data(void *arg, const char *buf, size_t len)
{
	struct quitter *q = arg;

	(void)buf;
	(void)len;
	q->calls++;
	logtail_free(q->lt);
}

static const struct logtail_ops quit_ops = { .data = quit_data };

static void
test_free_inside(void **state)
{
	char dir[] = "/tmp/memdiag-test-quit.XXXXXX", path[100], spec[160];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct event_base *base = event_base_new();
	struct quitter q = { 0 };
	char err[256], big[70000];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/proxy.log", dir);
	append(path, "");
	q.lt = logtail_new(base, path, &quit_ops, &q, err, sizeof(err));
	assert_non_null(q.lt);
	/* more than one read's worth: the drain would read on */
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	append(path, big);
	spin(base);
	assert_int_equal(q.calls, 1);
	append(path, "more\n");
	spin(base);
	assert_int_equal(q.calls, 1);
	unlink(path);

	/* a syslog socket is closed and unlinked at once: a diagnosis
	 * binds it next */
	snprintf(path, sizeof(path), "%s/log.sock", dir);
	snprintf(spec, sizeof(spec), "syslog:%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	q.calls = 0;
	q.lt = logtail_new(base, spec, &quit_ops, &q, err, sizeof(err));
	assert_non_null(q.lt);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, "<30>a: one", 10, 0,
	    (struct sockaddr *)&sun, sizeof(sun)), 10);
	assert_int_equal(sendto(fd, "<30>a: two", 10, 0,
	    (struct sockaddr *)&sun, sizeof(sun)), 10);
	spin(base);
	assert_int_equal(q.calls, 1);
	assert_int_equal(access(path, F_OK), -1);
	close(fd);
	rmdir(dir);
	event_base_free(base);
}

struct msgsink {
	long pid;
	char msg[256];
	int n;
};

static void
on_message(void *arg, long pid, const char *msg, size_t len)
{
	struct msgsink *m = arg;

	m->pid = pid;
	snprintf(m->msg, sizeof(m->msg), "%.*s", (int)len, msg);
	m->n++;
}

/* Journal files written by systemd-journal-remote from export text, read
 * through sd-journal as they appear (no journald on test machines). */
static void
test_journal_dir(void **state)
{
	static const char *const remote[] = {
		"/lib/systemd/systemd-journal-remote",
		"/usr/lib/systemd/systemd-journal-remote", NULL,
	};
	static const struct logtail_ops jops = { .message = on_message };
	char dir[] = "/tmp/memdiag-test-journal.XXXXXX", spec[128], cmd[512];
	struct event_base *base;
	struct msgsink m = { .n = 0 };
	struct logtail *lt;
	const char *bin = NULL;
	char err[256];
	FILE *f;

	(void)state;
	for (int i = 0; remote[i] != NULL; i++)
		if (access(remote[i], X_OK) == 0)
			bin = remote[i];
	if (bin == NULL)
		skip();
	base = event_base_new();
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "journal-dir:%s", dir);
	lt = logtail_new(base, spec, &jops, &m, err, sizeof(err));
	assert_non_null(lt);
	snprintf(cmd, sizeof(cmd), "%s/in.export", dir);
	f = fopen(cmd, "w");
	/* one entry from before logtail began (ignored) and one after */
	{
		struct timespec ts;
		unsigned long long now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (unsigned long long)ts.tv_sec * 1000000ULL +
		    (unsigned long long)ts.tv_nsec / 1000;
		fprintf(f, "__CURSOR=s=1\n__REALTIME_TIMESTAMP=%llu\n"
		    "__MONOTONIC_TIMESTAMP=1\n"
		    "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
		    "_PID=6069\nMESSAGE=an old one\n\n", now - 60000000ULL);
		fprintf(f, "__CURSOR=s=2\n__REALTIME_TIMESTAMP=%llu\n"
		    "__MONOTONIC_TIMESTAMP=2\n"
		    "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
		    "_PID=6069\nSYSLOG_IDENTIFIER=kamailio\n"
		    "MESSAGE=NOTICE: qm_sums: qm_sums(): -----\n\n", now);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -o %s/remote.journal %s/in.export "
	    ">/dev/null 2>&1", bin, dir, dir);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 50 && m.n == 0; i++) {
		usleep(20000);
		event_base_loop(base, EVLOOP_NONBLOCK);
		logtail_poll(lt);
	}
	assert_int_equal(m.n, 1);
	assert_int_equal(m.pid, 6069);
	assert_string_equal(m.msg, "NOTICE: qm_sums: qm_sums(): -----");
	logtail_free(lt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

static void
test_errors(void **state)
{
	struct event_base *base = event_base_new();
	struct sink s = { .len = 0 };
	char err[256];

	(void)state;
	assert_null(logtail_new(base, "/nonexistent/dir/proxy.log", &ops, &s,
	    err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/proxy.log"));
	assert_null(logtail_new(base, "/tmp", &ops, &s, err, sizeof(err)));
	assert_null(logtail_new(base, "syslog:/etc/passwd", &ops, &s, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "no socket"));
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_syslog_socket),
		cmocka_unit_test(test_free_inside),
		cmocka_unit_test(test_journal_dir),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("logtail", tests, NULL, NULL);
}
