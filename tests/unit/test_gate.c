/*
 * Unit tests of the gate's pure parts: the nft batches generated from a
 * spec (the whole ruleset compared against the text reviewed once), the
 * refresh that really refreshes, the owner in the table name, address
 * parsing and spec validation.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/gate.h"
#include "gate/gate_priv.h"
#include "lib/addr.h"
#include "lib/exitcodes.h"

static void
add(struct addr *list, size_t *n, const char *s, int proto)
{
	struct addr a;
	char err[128];

	assert_int_equal(addr_parse(s, false, &a, err, sizeof(err)), 0);
	a.proto = proto;
	assert_true(gate_spec_add(list, n, &a));
}

static void
spec_example(struct gate_spec *s)
{
	memset(s, 0, sizeof(*s));
	add(s->gated, &s->ngated, "127.0.0.1:5060", IPPROTO_UDP);
	add(s->gated, &s->ngated, "127.0.0.1:5060", IPPROTO_TCP);
	add(s->gated, &s->ngated, "[::1]:5061", IPPROTO_TCP);
	add(s->gated, &s->ngated, "0.0.0.0:5080", IPPROTO_UDP);
	add(s->self, &s->nself, "127.0.0.1:40000", IPPROTO_UDP);
	add(s->peers, &s->npeers, "10.0.0.5", 0);
	add(s->peers, &s->npeers, "10.0.0.6:5070", 0);
	add(s->peers, &s->npeers, "2001:db8::7", 0);
	s->element_timeout = 3;
	s->budget = 900;
	s->owner_pid = 1234;
	s->owner_starttime = 98765;
}

static const char expected_ruleset[] =
    "table inet memdiag_gate_1234_98765 {\n"
    "\tcomment \"memdiag gate: owner pid 1234 starttime 98765, budget 900 s\"\n"
    "\tset gate4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }\n"
    "\tset gate6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }\n"
    "\tset gateany4 { type inet_proto . inet_service; flags timeout; }\n"
    "\tset gateany6 { type inet_proto . inet_service; flags timeout; }\n"
    "\tset self4 { type ipv4_addr . inet_proto . inet_service; }\n"
    "\tset self6 { type ipv6_addr . inet_proto . inet_service; }\n"
    "\tset peer4 { type ipv4_addr; }\n"
    "\tset peer6 { type ipv6_addr; }\n"
    "\tset peerport4 { type ipv4_addr . inet_service; }\n"
    "\tset peerport6 { type ipv6_addr . inet_service; }\n"
    "\tchain input {\n"
    "\t\ttype filter hook input priority -10; policy accept;\n"
    "\t\tip daddr . meta l4proto . th dport @gate4 goto gated\n"
    "\t\tip6 daddr . meta l4proto . th dport @gate6 goto gated\n"
    "\t\tmeta nfproto ipv4 meta l4proto . th dport @gateany4 goto gated\n"
    "\t\tmeta nfproto ipv6 meta l4proto . th dport @gateany6 goto gated\n"
    "\t}\n"
    "\tchain gated {\n"
    "\t\tip saddr . meta l4proto . th sport @self4 accept\n"
    "\t\tip6 saddr . meta l4proto . th sport @self6 accept\n"
    "\t\tip saddr @peer4 accept\n"
    "\t\tip6 saddr @peer6 accept\n"
    "\t\tip saddr . th sport @peerport4 accept\n"
    "\t\tip6 saddr . th sport @peerport6 accept\n"
    "\t\tmeta l4proto udp @th,64,56 != 0x5349502f322e30 counter drop "
    "comment \"requests\"\n"
    "\t\ttcp flags & (syn | ack) == syn counter reject with tcp reset "
    "comment \"new connections\"\n"
    "\t}\n"
    "}\n"
    "add element inet memdiag_gate_1234_98765 self4 { 127.0.0.1 . udp . 40000 }\n"
    "add element inet memdiag_gate_1234_98765 peer4 { 10.0.0.5 }\n"
    "add element inet memdiag_gate_1234_98765 peer6 { 2001:db8::7 }\n"
    "add element inet memdiag_gate_1234_98765 peerport4 { 10.0.0.6 . 5070 }\n"
    "add element inet memdiag_gate_1234_98765 gate4 { 127.0.0.1 . udp . 5060 "
    "timeout 3s, 127.0.0.1 . tcp . 5060 timeout 3s }\n"
    "add element inet memdiag_gate_1234_98765 gate6 { ::1 . tcp . 5061 "
    "timeout 3s }\n"
    "add element inet memdiag_gate_1234_98765 gateany4 { udp . 5080 "
    "timeout 3s }\n";

static void
test_ruleset(void **state)
{
	struct gate_spec s;
	char *r;

	(void)state;
	spec_example(&s);
	r = gate_nft_ruleset(&s, "memdiag_gate_1234_98765", 3);
	assert_string_equal(r, expected_ruleset);
	free(r);
	/* cutting established connections is one more rule, last */
	s.cut_tcp = true;
	r = gate_nft_ruleset(&s, "memdiag_gate_1234_98765", 3);
	assert_non_null(strstr(r, "comment \"new connections\"\n\t\tmeta l4proto "
	    "tcp counter reject with tcp reset comment \"established "
	    "connections\"\n\t}\n}\n"));
	free(r);
}

static void
test_refresh_batch(void **state)
{
	struct gate_spec s;
	char *r;

	(void)state;
	memset(&s, 0, sizeof(s));
	add(s.gated, &s.ngated, "127.0.0.1:5060", IPPROTO_UDP);
	/* re-adding an existing element keeps its old expiry: delete first */
	r = gate_nft_refresh_batch(&s, "T", 5, false);
	assert_string_equal(r,
	    "delete element inet T gate4 { 127.0.0.1 . udp . 5060 }\n"
	    "add element inet T gate4 { 127.0.0.1 . udp . 5060 timeout 5s }\n");
	free(r);
	/* after a lapse the element is gone and cannot be deleted */
	r = gate_nft_refresh_batch(&s, "T", 2, true);
	assert_string_equal(r,
	    "add element inet T gate4 { 127.0.0.1 . udp . 5060 timeout 2s }\n"
	    "delete element inet T gate4 { 127.0.0.1 . udp . 5060 }\n"
	    "add element inet T gate4 { 127.0.0.1 . udp . 5060 timeout 2s }\n");
	free(r);
}

static void
test_table_name(void **state)
{
	char name[64];
	unsigned long long st;
	pid_t pid;

	(void)state;
	gate_nft_table_name(4321, 1234567890123ULL, name, sizeof(name));
	assert_string_equal(name, "memdiag_gate_4321_1234567890123");
	assert_true(gate_nft_parse_table(name, &pid, &st));
	assert_int_equal(pid, 4321);
	assert_true(st == 1234567890123ULL);
	assert_false(gate_nft_parse_table("filter", &pid, &st));
	assert_false(gate_nft_parse_table("memdiag_gate_", &pid, &st));
	assert_false(gate_nft_parse_table("memdiag_gate_12", &pid, &st));
	assert_false(gate_nft_parse_table("memdiag_gate_12_3x", &pid, &st));
	assert_false(gate_nft_parse_table("memdiag_gate_-1_3", &pid, &st));
}

static void
test_addr_parse(void **state)
{
	struct addr a;
	char err[128], s[64];

	(void)state;
	assert_int_equal(addr_parse("127.0.0.1:5060", true, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.port, 5060);
	assert_int_equal(addr_parse("[::1]:5060", true, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.family, AF_INET6);
	a.proto = IPPROTO_TCP;
	addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "tcp:[::1]:5060");
	assert_int_equal(addr_parse("2001:db8::1", false, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.port, 0);
	addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "2001:db8::1");
	assert_int_equal(addr_parse("10.0.0.1", true, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("10.0.0.1:0", false, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("10.0.0.1:65536", false, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("host:5060", false, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("[::1", false, &a, err, sizeof(err)),
	    -1);
	assert_int_equal(addr_parse("", false, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("0.0.0.0:5060", true, &a, err,
	    sizeof(err)), 0);
	assert_true(addr_is_any(&a));
}

static void
test_spec_check(void **state)
{
	const struct gate_ops *nft = gate_ops_find("nft");
	const struct gate_ops *hook = gate_ops_find("hook");
	const struct gate_ops *none = gate_ops_find("none");
	struct gate_spec s;
	char err[256];
	char *cmd[] = { "true", NULL };

	(void)state;
	assert_non_null(nft);
	assert_non_null(hook);
	assert_non_null(none);
	assert_null(gate_ops_find("iptables"));
	spec_example(&s);
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)), 0);
	s.element_timeout = 11;	/* past the fail-safe's bound */
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)),
	    EX_MD_USAGE);
	s.element_timeout = 0;
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)),
	    EX_MD_USAGE);
	s.element_timeout = 10;
	s.budget = 0;
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)),
	    EX_MD_USAGE);
	s.budget = 900;
	assert_int_equal(gate_spec_check(&s, hook, err, sizeof(err)),
	    EX_MD_USAGE);	/* no commands */
	s.close_argv = s.open_argv = cmd;
	s.hook_timeout = 5;
	assert_int_equal(gate_spec_check(&s, hook, err, sizeof(err)), 0);
	s.ngated = 0;		/* the proxy listens nowhere we can gate */
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)),
	    EX_MD_CONFIG);
	assert_int_equal(gate_spec_check(&s, none, err, sizeof(err)), 0);
	spec_example(&s);
	s.self[0].port = 0;	/* memdiag's sockets go by port */
	assert_int_equal(gate_spec_check(&s, nft, err, sizeof(err)),
	    EX_MD_USAGE);
}

static void
test_argv_split(void **state)
{
	char **v;

	(void)state;
	v = gate_argv_split("  /usr/bin/gate  close\t'a b' ");
	assert_non_null(v);
	assert_string_equal(v[0], "/usr/bin/gate");
	assert_string_equal(v[1], "close");
	assert_string_equal(v[2], "'a");	/* no shell quoting */
	assert_string_equal(v[3], "b'");
	assert_null(v[4]);
	gate_argv_free(v);
	assert_null(gate_argv_split("   "));
}

static void
test_describe(void **state)
{
	struct gate_spec s;
	char buf[1024];

	(void)state;
	spec_example(&s);
	gate_spec_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "requests to udp:127.0.0.1:5060,"
	    "tcp:127.0.0.1:5060,tcp:[::1]:5061,udp:0.0.0.0:5080; SIP "
	    "responses pass; new TCP connections refused, established ones "
	    "left alone; exempt memdiag udp:127.0.0.1:40000; exempt peers "
	    "10.0.0.5,10.0.0.6:5070,2001:db8::7; budget 900 s");
	assert_true(gate_refresh_interval(3) < 3.0 / 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ruleset),
		cmocka_unit_test(test_refresh_batch),
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_spec_check),
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
