/* Unit tests of the log prefix parser: every shape memdiag meets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/logline.h"

struct shape {
	const char *line;
	long pid;
	int process_no;
	const char *msg;
};

static const struct shape shapes[] = {
	/* Kamailio -E */
	{ " 0(5591) INFO: qm_status: qm_status(): heap size= 1", 5591, 0,
	    "qm_status: qm_status(): heap size= 1" },
	{ "12(17365) ALERT: <core> [core/pt.c:583]: f(): Memory status (shm)",
	    17365, 12, "<core> [core/pt.c:583]: f(): Memory status (shm)" },
	/* log_prefix after the level */
	{ " 1(20982) ERROR: {1 1 INVITE stock-52@memlab} tm [t_reply.c:503]: x",
	    20982, 1, "tm [t_reply.c:503]: x" },
	/* OpenSER 1.x: no level word */
	{ "   0(17665) qm_status (0x81b4b40):", 17665, 0,
	    "qm_status (0x81b4b40):" },
	/* classic syslog, ident a path */
	{ "Mar  3 10:00:01 host /usr/sbin/kamailio[2301]: NOTICE: qm_sums: x",
	    2301, -1, "qm_sums: x" },
	/* Debian 12 rsyslog, RFC 3339 */
	{ "2026-11-24T22:54:24.731194+00:00 vm /usr/sbin/kamailio[6069]: "
	    "NOTICE: qm_sums: qm_sums():  count=  1", 6069, -1,
	    "qm_sums: qm_sums():  count=  1" },
	/* syslog datagram */
	{ "<30>Nov 24 19:43:53 kamailio[16026]: INFO: qm_sums: y", 16026, -1,
	    "qm_sums: y" },
	/* syslog datagram without a PID */
	{ "<30>Nov 24 19:43:53 kamailio: INFO: <core> [a.c:1]: f(): z", -1, -1,
	    "<core> [a.c:1]: f(): z" },
	/* OpenSIPS's own stderr: no space after the level */
	{ "Aug 10 21:32:33 [519996] INFO:Memory status (shm):", 519996, -1,
	    "Memory status (shm):" },
	/* container wrapper: the inner PID is the proxy's */
	{ "Feb  9 08:00:00 host docker/opensips[900]: /usr/sbin/opensips[12]: "
	    "WARNING: w", 12, -1, "w" },
	/* journalctl -o short-iso */
	{ "2026-11-24T22:54:24+0000 vm kamailio[77]: ERROR: no more shm",
	    77, -1, "no more shm" },
	/* a bracketed number inside the message is not a PID */
	{ "Nov 24 19:43:53 h kamailio: INFO: x [123]: y", -1, -1,
	    "x [123]: y" },
	/* a bare message */
	{ "qm_status: qm_status(): heap size= 5", -1, -1,
	    "qm_status: qm_status(): heap size= 5" },
	/* "BUG:" is message text, not a level */
	{ " 2(7) CRITICAL: BUG: qm: fragm. 0x1", 7, 2, "BUG: qm: fragm. 0x1" },
};

static void
test_shapes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct logline ll;

		logline_parse(s->line, strlen(s->line), &ll);
		if (ll.pid != s->pid || ll.process_no != s->process_no ||
		    ll.msglen != strlen(s->msg) ||
		    memcmp(ll.msg, s->msg, ll.msglen) != 0)
			fail_msg("shape %zu \"%s\": pid %ld rank %d msg \"%.*s\"",
			    i, s->line, ll.pid, ll.process_no, (int)ll.msglen,
			    ll.msg);
		assert_ptr_equal(ll.msg, s->line + ll.prefixlen);
	}
}

static void
test_continuation(void **state)
{
	const char *l = "\t\t bucket size:       128 -       128 (first 128)";
	struct logline ll;

	(void)state;
	logline_parse(l, strlen(l), &ll);
	assert_true(ll.continuation);
}

static void
test_edges(void **state)
{
	static const char *const odd[] = { "", " ", "(", "0(", "0(1", "0(1)",
	    "<", "Jan", "Jan 1 [", "[99999999999999999999999]: x", "{",
	    "INFO:", " 0(1) INFO: {unclosed", "2026-", };
	struct logline ll;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		logline_parse(odd[i], strlen(odd[i]), &ll);
		assert_true(ll.msg >= odd[i]);
		assert_true(ll.msg + ll.msglen <= odd[i] + strlen(odd[i]));
	}
	/* ranks and PIDs too long to be numbers are no prefix (fuzz find) */
	logline_parse("9999999999999999999(1) x", 24, &ll);
	assert_int_equal(ll.pid, -1);
	logline_parse("0(99999999999999999999) x", 25, &ll);
	assert_int_equal(ll.pid, -1);
	logline_parse("0(1)", 4, &ll);
	assert_int_equal(ll.pid, 1);
	assert_int_equal(ll.msglen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests_name("logline", tests, NULL, NULL);
}
