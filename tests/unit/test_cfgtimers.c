/*
 * Unit tests of cfgtimers: the timers a Kamailio configuration declares,
 * with its preprocessor followed (blocks not loaded count for nothing,
 * -A defines from the command line switch them on) and defaults where a
 * module is loaded without the parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/cfgtimers.h"

static void
parse(const char *text, const char *const *defs, size_t n,
    struct cfgtimers *t)
{
	cfgtimers_parse(text, strlen(text), defs, n, t);
}

static void
test_tm_default_and_set(void **state)
{
	struct cfgtimers t;

	(void)state;
	parse("loadmodule \"tm.so\"\n", NULL, 0, &t);
	assert_true(t.tm_wait_s == 5.0);
	assert_true(t.tm_fr_inv_s == 120.0);
	assert_true(t.longest_s == 0);
	parse("loadmodule \"tm.so\"\nmodparam(\"tm\", \"wt_timer\", 2500)\n"
	    "modparam(\"tm\", \"fr_inv_timer\", 30000)\n", NULL, 0, &t);
	assert_true(t.tm_wait_s == 2.5);
	assert_true(t.tm_fr_inv_s == 30.0);
	/* no tm: nothing to wait for */
	parse("loadmodule \"sl.so\"\n", NULL, 0, &t);
	assert_true(t.tm_wait_s == 0);
	assert_true(t.tm_fr_inv_s == 0);
}

static void
test_htable_autoexpire(void **state)
{
	struct cfgtimers t;

	(void)state;
	parse("loadmodule \"htable.so\"\n"
	    "modparam(\"htable\", \"htable\", \"a=>size=8;\")\n"
	    "modparam(\"htable\", \"htable\", \"recent=>size=8;autoexpire=10;\")\n",
	    NULL, 0, &t);
	/* default timer_interval 20 */
	assert_true(t.longest_s == 30);
	assert_non_null(strstr(t.what, "recent"));
	parse("loadmodule \"/usr/lib/kamailio/modules/htable.so\"\n"
	    "modparam(\"htable\", \"timer_interval\", 5)\n"
	    "modparam('htable', 'htable', 'x=>autoexpire=15')\n", NULL, 0, &t);
	assert_true(t.longest_s == 20);
	/* an htable without autoexpire keeps items forever: no timer */
	parse("loadmodule \"htable.so\"\n"
	    "modparam(\"htable\", \"htable\", \"leak=>size=8;\")\n", NULL, 0, &t);
	assert_true(t.longest_s == 0);
}

static const char ifdefs[] =
    "#!define TI 4\n"
    "loadmodule \"tm.so\"\n"
    "#!ifdef WITH_HELD\n"
    "loadmodule \"htable.so\"\n"
    "modparam(\"htable\", \"htable\", \"h=>autoexpire=15;\")\n"
    "modparam(\"htable\", \"timer_interval\", TI)\n"
    "#!else\n"
    "# modparam(\"htable\", \"htable\", \"c=>autoexpire=99;\")\n"
    "#!endif\n"
    "#!ifndef NO_DIALOG\n"
    "#!ifdef WITH_DIALOG\n"
    "loadmodule \"dialog.so\"\n"
    "#!endif\n"
    "#!endif\n";

static void
test_preprocessor(void **state)
{
	const char *held[] = { "WITH_HELD" };
	const char *dlg[] = { "WITH_DIALOG", "X=1" };
	const char *nodlg[] = { "WITH_DIALOG", "NO_DIALOG" };
	struct cfgtimers t;

	(void)state;
	parse(ifdefs, NULL, 0, &t);
	assert_true(t.longest_s == 0);
	assert_true(t.tm_wait_s == 5.0);
	parse(ifdefs, held, 1, &t);
	assert_true(t.longest_s == 19);
	/* dialog's end_timeout defaults to 300 s */
	parse(ifdefs, dlg, 2, &t);
	assert_true(t.longest_s == 300);
	assert_non_null(strstr(t.what, "end_timeout"));
	parse(ifdefs, nodlg, 2, &t);
	assert_true(t.longest_s == 0);
}

static void
test_read_missing(void **state)
{
	struct cfgtimers t;
	char err[256];

	(void)state;
	assert_int_equal(cfgtimers_read("/nonexistent/k.cfg", NULL, 0, &t,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/k.cfg"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tm_default_and_set),
		cmocka_unit_test(test_htable_autoexpire),
		cmocka_unit_test(test_preprocessor),
		cmocka_unit_test(test_read_missing),
	};

	return cmocka_run_group_tests_name("cfgtimers", tests, NULL, NULL);
}
