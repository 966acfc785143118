/* Unit tests of the /proc parsers on fixed text. */
#include <sys/socket.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/procfs.h"

static void
test_stat(void **state)
{
	/* a comm with spaces and a ')' of its own */
	static const char s[] = "4242 (we ir) d) S 4200 4242 4242 0 -1 4194560 "
	    "1 0 0 0 0 0 0 0 20 0 1 0 137135 1000 100 18446744073709551615";
	struct procfs_stat st;

	(void)state;
	assert_true(procfs_parse_stat(s, sizeof(s) - 1, &st));
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "we ir) d");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 4200);
	assert_int_equal(st.starttime, 137135);
	assert_false(procfs_parse_stat("4242 (x) S 1", 12, &st));
	assert_false(procfs_parse_stat("x", 1, &st));
	assert_false(procfs_parse_stat("", 0, &st));
}

static void
test_status(void **state)
{
	static const char s[] = "Name:\tkamailio\nPPid:\t3660\n"
	    "Uid:\t106\t106\t106\t106\nNSpid:\t3663\t7\n"
	    "SigBlk:\t0000000000000000\nSigCgt:\t0000000180004a07\n"
	    "CapEff:\t0000000000001000\n";
	struct procfs_status st;

	(void)state;
	assert_true(procfs_parse_status(s, sizeof(s) - 1, &st));
	assert_int_equal(st.ppid, 3660);
	assert_int_equal(st.uid, 106);
	assert_int_equal(st.nnspid, 2);
	assert_int_equal(st.nspid[1], 7);
	assert_true(st.capeff == 1ULL << 12);			/* CAP_NET_ADMIN */
	assert_true(procfs_catches(st.sigcgt, SIGUSR1));	/* bit 9 */
	assert_true(procfs_catches(st.sigcgt, SIGHUP));
	assert_true(procfs_catches(st.sigcgt, SIGUSR2));	/* bit 11 */
	assert_false(procfs_catches(st.sigcgt, SIGALRM));
	assert_false(procfs_catches(st.sigcgt, 0));
	assert_false(procfs_catches(st.sigcgt, 65));
	assert_false(procfs_parse_status("Name:\tx\n", 8, &st));
}

static void
test_net(void **state)
{
	static const char v4[] = " 3199: 0100007F:13C4 00000000:0000 07 "
	    "00000000:00000000 00:00000000 00000000   106        0 24274 2 "
	    "0000000051f1b713 0";
	static const char v6[] = "   0: 00000000000000000000000001000000:13C4 "
	    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 "
	    "10 0";
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };
	struct procfs_sock s;

	(void)state;
	assert_true(procfs_parse_net_line(v4, PROCFS_UDP, AF_INET, &s));
	assert_memory_equal(s.addr, lo4, 4);
	assert_int_equal(s.port, 5060);
	assert_true(s.listening);
	assert_int_equal(s.inode, 24274);
	assert_true(procfs_parse_net_line(v6, PROCFS_TCP, AF_INET6, &s));
	assert_memory_equal(s.addr, lo6, 16);
	assert_true(s.listening);
	assert_int_equal(s.inode, 99);
	assert_false(procfs_parse_net_line("  sl  local_address rem_address",
	    PROCFS_UDP, AF_INET, &s));
	assert_false(procfs_parse_net_line(" 1: 0100", PROCFS_UDP, AF_INET,
	    &s));
}

static void
test_small(void **state)
{
	(void)state;
	assert_int_equal(procfs_socket_inode("socket:[12345]"), 12345);
	assert_int_equal(procfs_socket_inode("pipe:[12345]"), 0);
	assert_int_equal(procfs_socket_inode("socket:[12"), 0);
	assert_int_equal(procfs_parse_syscall("running", 7), -1);
	assert_int_equal(procfs_parse_syscall("45 0x6 0x7f", 11), 45);
	assert_int_equal(procfs_parse_syscall("", 0), -2);
}

static void
test_environ(void **state)
{
	static const char env[] = "HOME=/root\0PWDX=/no\0PWD=/srv/kam\0"
	    "EMPTY=\0LAST=end";
	char out[16];

	(void)state;
	assert_true(procfs_parse_environ(env, sizeof(env) - 1, "PWD", out,
	    sizeof(out)));
	assert_string_equal(out, "/srv/kam");
	assert_true(procfs_parse_environ(env, sizeof(env) - 1, "LAST", out,
	    sizeof(out)));	/* no NUL after the last */
	assert_string_equal(out, "end");
	assert_false(procfs_parse_environ(env, sizeof(env) - 1, "EMPTY", out,
	    sizeof(out)));
	assert_false(procfs_parse_environ(env, sizeof(env) - 1, "PW", out,
	    sizeof(out)));
	assert_false(procfs_parse_environ(env, sizeof(env) - 1, "HOME", out,
	    5));	/* too long for out */
	assert_false(procfs_parse_environ("", 0, "PWD", out, sizeof(out)));
	/* our own, live */
	setenv("MEMDIAG_PROCFS_TEST", "yes", 1);
	assert_false(procfs_read_environ(getpid(), "MEMDIAG_PROCFS_TEST", out,
	    sizeof(out)));	/* the kernel's copy is the one at exec */
	if (getenv("HOME") != NULL && strlen(getenv("HOME")) < 4096) {
		char home[4096];

		assert_true(procfs_read_environ(getpid(), "HOME", home,
		    sizeof(home)));
		assert_string_equal(home, getenv("HOME"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_environ),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
