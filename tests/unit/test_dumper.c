/*
 * dumper.c on a libevent loop against a proxy that does not answer: a
 * ctl socket that accepts nothing (Kamailio) and an MI datagram socket
 * nobody reads (OpenSIPS). The loop's other events keep firing all along
 * (the gate's refresh, a signal, the proxy's exit are served while the
 * dumper waits); dumper_stop ends a pass at once with nothing changed on
 * the proxy, keeping what came; a silent MI ends in its deadline with an
 * error naming the address and the call; dumper_cancel drops a pass
 * without its callback.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "proxy/dumper.h"
#include "proxy/settings.h"
#include "proxy/target.h"

#include "tmpdir.h"


struct run {
	struct event_base *base;
	struct dumper *d;
	struct event *tick, *stop;
	unsigned ticks;
	bool done;
	int status;
	char err[1024];
	double started, stopped, ended;
};

static void
on_done(int status, const char *err, void *arg)
{
	struct run *r = arg;

	r->done = true;
	r->d = NULL;
	r->status = status;
	r->ended = clock_mono();
	snprintf(r->err, sizeof(r->err), "%s", err);
	event_base_loopbreak(r->base);
}

/* The caller's own timer: a gate's refresh, say. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	r->ticks++;
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	r->stopped = clock_mono();
	dumper_stop(r->d);
}

/* A bound socket of type at path that nobody answers on. */
static int
silent(int type, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void
fake_target(struct target *t, const char *flavour, pid_t kids[2])
{
	memset(t, 0, sizeof(*t));
	t->flavour = (char *)flavour;
	t->main.pid = t->main.nspid = getpid();
	t->main.rank = -1;
	t->kids = calloc(2, sizeof(*t->kids));
	t->nkids = 2;
	t->kids[0].pid = t->kids[0].nspid = kids[0];
	t->kids[1].pid = t->kids[1].nspid = kids[1];
}

/*
 * One pass against a silent proxy of flavour (its address in addr);
 * stop_after < 0: never stopped. *sp: Kamailio's settings guard.
 */
static void
one_pass(const char *flavour, double stop_after, struct run *r,
    struct dumper_result *res, struct settings **sp, char *addr,
    size_t addrlen)
{
	struct dumper_opts o = { .shm = true, .pkg = true, .timeout = 2 };
	pid_t kids[2] = { getpid() + 1, getpid() + 2 };
	struct timeval every = clock_tv(0.05), stop = clock_tv(stop_after);
	bool kam = strcmp(flavour, "kamailio") == 0;
	char logpath[128], err[512];
	struct target t;
	FILE *f;
	int fd;

	snprintf(addr, addrlen, "%s:%s/%s.sock", kam ? "unix" : "dgram", tmpdir,
	    flavour);
	fd = silent(kam ? SOCK_STREAM : SOCK_DGRAM, strchr(addr, ':') + 1);
	snprintf(logpath, sizeof(logpath), "%s/proxy.log", tmpdir);
	assert_non_null(f = fopen(logpath, "w"));
	fclose(f);
	fake_target(&t, flavour, kids);
	*sp = kam ? settings_new(tmpdir, &t, addr) : NULL;
	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	r->tick = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	event_add(r->tick, &every);
	r->started = clock_mono();
	r->d = dumper_start(r->base, &t, *sp, addr, logpath, &o, res, on_done,
	    r, err, sizeof(err));
	assert_non_null(r->d);
	if (stop_after >= 0) {
		r->stop = evtimer_new(r->base, on_stop, r);
		event_add(r->stop, &stop);
	}
	/* the dumper's cb comes from the loop, never from dumper_start */
	assert_false(r->done);
	while (!r->done)
		event_base_loop(r->base, EVLOOP_ONCE);
	if (r->stop != NULL)
		event_free(r->stop);
	event_free(r->tick);
	event_base_free(r->base);
	free(t.kids);
	close(fd);
	unlink(strchr(addr, ':') + 1);
	unlink(logpath);
}

static void
test_kam_stop(void **state)
{
	struct dumper_result res;
	struct settings *s;
	char addr[128], err[256];
	struct run r;

	(void)state;
	one_pass("kamailio", 1.0, &r, &res, &s, addr, sizeof(addr));
	assert_int_equal(r.status, 0);
	assert_true(res.interrupted);
	assert_non_null(res.dumps);
	assert_int_equal(res.dumps->ndumps, 0);
	/* nothing answered: nothing was changed, nothing saved */
	assert_int_equal(s->n, 0);
	assert_false(s->op.busy);
	assert_true(settings_restore(s, err, sizeof(err)));
	/* the caller's timer ran all along: 20 ticks a second */
	assert_true(r.ticks >= 15);
	/* stopped at once: the lines in flight, 0.2 s */
	assert_true(r.ended - r.stopped < 0.6);
	dumper_result_clear(&res);
	settings_free(s);
}

static void
test_mi_stop(void **state)
{
	struct dumper_result res;
	struct settings *s;
	char addr[128];
	struct run r;

	(void)state;
	one_pass("opensips", 0.5, &r, &res, &s, addr, sizeof(addr));
	assert_null(s);
	assert_int_equal(r.status, 0);
	assert_true(res.interrupted);
	assert_true(r.ticks >= 7);
	assert_true(r.ended - r.stopped < 0.6);
	dumper_result_clear(&res);
}

/* No stop: the MI call's own deadline (3 s) ends it, with an error that
 * names the address and the call; the loop ran meanwhile. */
static void
test_mi_deadline(void **state)
{
	struct dumper_result res;
	struct settings *s;
	char addr[128];
	struct run r;

	(void)state;
	one_pass("opensips", -1, &r, &res, &s, addr, sizeof(addr));
	assert_int_equal(r.status, EX_MD_UNAVAILABLE);
	assert_non_null(strstr(r.err, addr));
	assert_non_null(strstr(r.err, "log_level"));
	assert_true(r.ended - r.started >= 2.5);
	assert_true(r.ticks >= (unsigned)((r.ended - r.started) / 0.05 * 0.6));
	assert_null(res.dumps);
	dumper_result_clear(&res);
}

/* Dropped mid-call: no callback, the settings guard free again. */
static void
test_cancel(void **state)
{
	struct dumper_opts o = { .shm = true, .pkg = true, .timeout = 2 };
	pid_t kids[2] = { getpid() + 1, getpid() + 2 };
	struct dumper_result res;
	struct event_base *base = event_base_new();
	struct timeval tv = clock_tv(0.3);
	char addr[128], logpath[128], err[512];
	struct settings *s;
	struct dumper *d;
	struct target t;
	struct run r;
	FILE *f;
	int fd;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(addr, sizeof(addr), "unix:%s/ctl3.sock", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/proxy3.log", tmpdir);
	assert_non_null(f = fopen(logpath, "w"));
	fclose(f);
	fd = silent(SOCK_STREAM, addr + 5);
	fake_target(&t, "kamailio", kids);
	s = settings_new(tmpdir, &t, addr);
	r.base = base;
	d = dumper_start(base, &t, s, addr, logpath, &o, &res, on_done, &r,
	    err, sizeof(err));
	assert_non_null(d);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	dumper_cancel(d);
	tv = clock_tv(0.3);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_false(r.done);
	assert_false(s->op.busy);
	dumper_result_clear(&res);
	settings_free(s);
	event_base_free(base);
	free(t.kids);
	close(fd);
	unlink(addr + 5);
	unlink(logpath);
}

/* What it cannot start says so, and calls nothing back. */
static void
test_bad_start(void **state)
{
	struct dumper_opts o = { .shm = true, .timeout = 1 };
	pid_t kids[2] = { 1, 1 };
	struct dumper_result res;
	struct event_base *base = event_base_new();
	char err[512], logpath[128];
	struct settings *s;
	struct target t;
	struct run r = { 0 };

	(void)state;
	fake_target(&t, "kamailio", kids);
	s = settings_new(tmpdir, &t, "unix:/nonexistent/ctl");
	snprintf(logpath, sizeof(logpath), "%s/no/such/tmpdir/log", tmpdir);
	assert_null(dumper_start(base, &t, s, "unix:/nonexistent/ctl",
	    logpath, &o, &res, on_done, &r, err, sizeof(err)));
	assert_non_null(strstr(err, logpath));
	assert_null(dumper_start(base, &t, NULL, "unix:/x", "/dev/null", &o,
	    &res, on_done, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "settings"));
	assert_false(r.done);
	settings_free(s);
	event_base_free(base);
	free(t.kids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kam_stop),
		cmocka_unit_test(test_mi_stop),
		cmocka_unit_test(test_mi_deadline),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bad_start),
	};

	log_init("test_dumper", -1);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
