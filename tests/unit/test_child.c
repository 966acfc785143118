/*
 * Unit tests of lib/child.c with real processes: output, status, the
 * deadline (also for a child that closed its output, and for one whose
 * own child keeps the pipe open), a program that does not exist, and
 * the environment set up before exec.
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/child.h"
#include "lib/clock.h"

struct out {
	char buf[512];
	size_t len;
};

static void
collect(void *arg, pid_t pid, const char *buf, size_t len)
{
	struct out *o = arg;

	assert_true(pid > 0);
	if (len > sizeof(o->buf) - 1 - o->len)
		len = sizeof(o->buf) - 1 - o->len;
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static int
run(const char *script, double timeout, struct out *o, int *status,
    bool *timedout)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct child_opts opts = {
		.timeout = timeout,
		.keep_fd = -1,
		.capture = true,
	};
	char err[256];

	memset(o, 0, sizeof(*o));
	return child_run(argv, &opts, collect, o, status, timedout, err,
	    sizeof(err));
}

static void
test_output_status(void **state)
{
	struct out o;
	int st;
	bool to;

	(void)state;
	assert_int_equal(run("echo out; echo err >&2; exit 3", 5, &o, &st,
	    &to), 0);
	assert_false(to);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_non_null(strstr(o.buf, "out\n"));
	assert_non_null(strstr(o.buf, "err\n"));
}

static void
test_signal(void **state)
{
	char why[64];
	struct out o;
	int st;
	bool to;

	(void)state;
	assert_int_equal(run("kill -9 $$", 5, &o, &st, &to), 0);
	assert_false(to);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), 9);
	child_status_str(st, to, 5, why, sizeof(why));
	assert_string_equal(why, "killed by signal 9");
}

/* The deadline holds whatever the child does with its output. */
static void
test_deadline(void **state)
{
	static const char *scripts[] = {
		"sleep 30",
		"exec >&- 2>&-; sleep 30",	/* closed its output */
		"sleep 30 & echo started; sleep 30",	/* a child of its own */
	};
	char why[64];
	struct out o;
	size_t i;
	double t0;
	int st;
	bool to;

	(void)state;
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		t0 = clock_mono();
		assert_int_equal(run(scripts[i], 0.3, &o, &st, &to), 0);
		assert_true(to);
		assert_true(clock_mono() - t0 < 5);
	}
	child_status_str(st, to, 1, why, sizeof(why));
	assert_string_equal(why, "did not finish within 1 s; killed");
}

static void
test_missing(void **state)
{
	char *argv[] = { "/nonexistent/memdiag-test", NULL };
	struct child_opts opts = { .timeout = 5, .keep_fd = -1,
		.capture = true };
	char err[256];
	struct out o = { .len = 0 };
	int st;
	bool to;

	(void)state;
	assert_int_equal(child_run(argv, &opts, collect, &o, &st, &to, err,
	    sizeof(err)), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_non_null(strstr(o.buf, "cannot run /nonexistent/memdiag-test"));
}

static void
set_env(void *arg)
{
	setenv("MEMDIAG_CHILD_TEST", arg, 1);
}

static void
test_setup(void **state)
{
	char *argv[] = { "sh", "-c", "echo \"[$MEMDIAG_CHILD_TEST]\"", NULL };
	struct child_opts opts = { .timeout = 5, .keep_fd = -1,
		.capture = true, .setup = set_env, .setup_arg = "here" };
	char err[256];
	struct out o = { .len = 0 };
	int st;
	bool to;

	(void)state;
	assert_int_equal(child_run(argv, &opts, collect, &o, &st, &to, err,
	    sizeof(err)), 0);
	assert_string_equal(o.buf, "[here]\n");
	assert_null(getenv("MEMDIAG_CHILD_TEST"));	/* only the child's */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_status),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
