/*
 * Unit tests of target verification and signalling on real processes this
 * test forks: a "main" (reparented away from the test, as a daemon is)
 * with children, each writing a byte to a pipe when SIGUSR1 arrives. The
 * allowed executable is this test's own, so nothing here needs Kamailio.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/exitcodes.h"
#include "lib/procfs.h"
#include "proxy/target.h"

static const char *const self_exe[] = { "test_target", NULL };
static int sigpipe_w = -1;
static char sigbyte;

static void
on_usr1(int sig)
{
	(void)sig;
	(void)!write(sigpipe_w, &sigbyte, 1);
}

/* A daemon-like process tree; returns the main PID (its own group). */
static pid_t
spawn_tree(int wfd, bool catch_usr1, int nkids)
{
	int pfd[2];
	pid_t a, main_pid = 0;

	assert_int_equal(pipe(pfd), 0);
	a = fork();
	assert_true(a >= 0);
	if (a == 0) {
		pid_t b = fork();

		if (b != 0)
			_exit(0);
		setpgid(0, 0);
		sigpipe_w = wfd;
		if (catch_usr1) {
			sigbyte = 'm';
			signal(SIGUSR1, on_usr1);
		}
		for (int i = 0; i < nkids; i++)
			if (fork() == 0) {
				sigbyte = 'k';
				for (;;)
					pause();
			}
		b = getpid();
		(void)!write(pfd[1], &b, sizeof(b));
		for (;;)
			pause();
	}
	waitpid(a, NULL, 0);
	assert_int_equal(read(pfd[0], &main_pid, sizeof(main_pid)),
	    sizeof(main_pid));
	close(pfd[0]);
	close(pfd[1]);
	usleep(50000);		/* let the children install their handlers */
	return main_pid;
}

static void
kill_tree(pid_t main_pid)
{
	char path[64];

	kill(-main_pid, SIGKILL);
	snprintf(path, sizeof(path), "/proc/%d", (int)main_pid);
	for (int i = 0; i < 200 && access(path, F_OK) == 0; i++)
		usleep(10000);
}

/* The byte a signalled process wrote, or 0 when none came in 300 ms. */
static char
got_signal(int rfd)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	char c = 0;

	if (poll(&p, 1, 300) == 1)
		(void)!read(rfd, &c, 1);
	return c;
}

static struct target *
open_ok(pid_t pid, const char *const *allowed)
{
	struct target *t = NULL;
	char spec[32], err[512];
	int r;

	snprintf(spec, sizeof(spec), "%d", (int)pid);
	r = target_open(spec, allowed, &t, err, sizeof(err));
	if (r != 0)
		fail_msg("target_open %s: %d %s", spec, r, err);
	return t;
}

static void
test_signal_main_and_child(void **state)
{
	int pfd[2];
	pid_t m;
	struct target *t;
	char err[512];

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], true, 2);
	t = open_ok(m, self_exe);
	assert_int_equal(t->main.pid, m);
	assert_int_equal(t->nkids, 2);
	assert_int_equal(target_signal(t, &t->main, SIGUSR1, err, sizeof(err)),
	    0);
	assert_int_equal(got_signal(pfd[0]), 'm');
	assert_int_equal(target_signal(t, &t->kids[1], SIGUSR1, err,
	    sizeof(err)), 0);
	assert_int_equal(got_signal(pfd[0]), 'k');
	target_free(t);
	kill_tree(m);
	close(pfd[0]);
	close(pfd[1]);
}

/* A PID reused between discovery and signal: refused, nothing sent. */
static void
test_reused_pid_refused(void **state)
{
	int pfd[2];
	pid_t m;
	struct target *t;
	char err[512];

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], true, 1);
	t = open_ok(m, self_exe);
	t->main.starttime += 1;		/* as if another process had the PID */
	assert_int_equal(target_signal(t, &t->main, SIGUSR1, err, sizeof(err)),
	    EX_MD_REFUSED);
	assert_non_null(strstr(err, "reused"));
	assert_int_equal(got_signal(pfd[0]), 0);
	t->kids[0].starttime += 1;
	assert_int_equal(target_signal(t, &t->kids[0], SIGUSR1, err,
	    sizeof(err)), EX_MD_REFUSED);
	assert_int_equal(got_signal(pfd[0]), 0);
	target_free(t);
	kill_tree(m);
	close(pfd[0]);
	close(pfd[1]);
}

/* A child of another proxy instance is not ours to signal. */
static void
test_other_instances_child_refused(void **state)
{
	int pfd[2];
	pid_t m1, m2;
	struct target *t1, *t2;
	char err[512];

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m1 = spawn_tree(pfd[1], true, 1);
	m2 = spawn_tree(pfd[1], true, 1);
	t1 = open_ok(m1, self_exe);
	t2 = open_ok(m2, self_exe);
	assert_int_equal(target_signal(t1, &t2->kids[0], SIGUSR1, err,
	    sizeof(err)), EX_MD_REFUSED);
	assert_non_null(strstr(err, "parent"));
	assert_int_equal(got_signal(pfd[0]), 0);
	target_free(t1);
	target_free(t2);
	kill_tree(m1);
	kill_tree(m2);
	close(pfd[0]);
	close(pfd[1]);
}

/* No SIGUSR1 handler: the signal would kill it. */
static void
test_uncaught_signal_refused(void **state)
{
	int pfd[2];
	pid_t m;
	struct target *t;
	char err[512];

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], false, 0);
	t = open_ok(m, self_exe);
	assert_int_equal(target_signal(t, &t->main, SIGUSR1, err, sizeof(err)),
	    EX_MD_REFUSED);
	assert_non_null(strstr(err, "does not catch"));
	assert_int_equal(target_verify(t, &t->main, 0, err, sizeof(err)), 0);
	/* the process survived the refusal, then goes away: 69 */
	kill_tree(m);
	assert_int_equal(target_verify(t, &t->main, SIGUSR1, err, sizeof(err)),
	    EX_MD_UNAVAILABLE);
	target_free(t);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_open_refusals(void **state)
{
	static const char *const proxies[] = { "kamailio", NULL };
	int pfd[2];
	pid_t m;
	struct target *t = NULL;
	char spec[32], err[512];

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], true, 1);
	snprintf(spec, sizeof(spec), "%d", (int)m);
	assert_int_equal(target_open(spec, proxies, &t, err, sizeof(err)),
	    EX_MD_REFUSED);
	assert_null(t);
	assert_non_null(strstr(err, "no known proxy"));
	t = open_ok(m, self_exe);
	snprintf(spec, sizeof(spec), "%d", (int)t->kids[0].pid);
	target_free(t);
	t = NULL;
	assert_int_equal(target_open(spec, self_exe, &t, err, sizeof(err)),
	    EX_MD_REFUSED);
	assert_non_null(strstr(err, "give the main process"));
	kill_tree(m);
	assert_int_equal(target_open("0", self_exe, &t, err, sizeof(err)),
	    EX_MD_USAGE);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_pid_file(void **state)
{
	char dir[] = "/tmp/memdiag-test-target.XXXXXX", path[128], err[512];
	struct target *t = NULL;
	int pfd[2];
	pid_t m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], true, 0);
	snprintf(path, sizeof(path), "%s/proxy.pid", dir);
	f = fopen(path, "w");
	fprintf(f, "%d\n", (int)m);
	fclose(f);
	assert_int_equal(target_open(path, self_exe, &t, err, sizeof(err)), 0);
	assert_int_equal(t->main.pid, m);
	target_free(t);
	f = fopen(path, "w");
	fprintf(f, "garbage\n");
	fclose(f);
	assert_int_equal(target_open(path, self_exe, &t, err, sizeof(err)),
	    EX_MD_DATAERR);
	assert_non_null(strstr(err, "proxy.pid:1"));
	unlink(path);
	assert_int_equal(target_open(path, self_exe, &t, err, sizeof(err)),
	    EX_MD_UNAVAILABLE);
	rmdir(dir);
	kill_tree(m);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_lock(void **state)
{
	char dir[] = "/tmp/memdiag-test-lock.XXXXXX", err[512];
	struct target *t;
	int pfd[2], fd1, fd2;
	pid_t m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	m = spawn_tree(pfd[1], true, 0);
	t = open_ok(m, self_exe);
	assert_int_equal(target_lock(t, dir, &fd1, err, sizeof(err)), 0);
	assert_int_equal(target_lock(t, dir, &fd2, err, sizeof(err)),
	    EX_MD_LOCKED);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err, "locked by another memdiag"));
	close(fd1);
	assert_int_equal(target_lock(t, dir, &fd2, err, sizeof(err)), 0);
	close(fd2);
	target_free(t);
	kill_tree(m);
	assert_int_equal(system("rm -rf /tmp/memdiag-test-lock.*") == -1, 0);
	close(pfd[0]);
	close(pfd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_main_and_child),
		cmocka_unit_test(test_reused_pid_refused),
		cmocka_unit_test(test_other_instances_child_refused),
		cmocka_unit_test(test_uncaught_signal_refused),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_pid_file),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
