/*
 * Unit tests of memdiag.conf(5)'s loader: the commented example and a file
 * with every key load; each class of error comes out as the exact
 * "FILE:LINE: message" with status 78 (66: cannot open); defaults equal
 * memdiag --target's; quiet hours across midnight; conf_diag_opts maps a
 * target onto the diagnosis options.
 */
#include <sys/stat.h>

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

#include "engine/diag.h"
#include "face/conf.h"
#include "lib/exitcodes.h"

static char dir[] = "/tmp/memdiag-test-conf.XXXXXX";
static char path[256], pwpath[256], err[512];

/* FILE holding text (printf-style, so %s can name the password file) */
static const char *
conf_text(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memdiag.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return path;
}

static void
password(const char *text, mode_t mode)
{
	FILE *f;

	snprintf(pwpath, sizeof(pwpath), "%s/edge.secret", dir);
	unlink(pwpath);
	assert_non_null(f = fopen(pwpath, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(pwpath, mode), 0);
}

/* conf_load must fail with status and exactly "FILE:LINE: msg". */
static void
expect_error(int status, int line, const char *msg)
{
	struct conf *c = (struct conf *)1;
	char want[512];

	assert_int_equal(conf_load(path, &c, err, sizeof(err)), status);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	assert_string_equal(err, want);
}

static struct conf *
load_ok(void)
{
	struct conf *c = NULL;
	int r = conf_load(path, &c, err, sizeof(err));

	if (r != 0)
		fail_msg("%s", err);
	assert_non_null(c);
	return c;
}

static void
test_example_loads(void **state)
{
	struct conf *c = NULL;

	(void)state;
	assert_int_equal(conf_load(SRCDIR "/etc/memdiag.conf", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->ntargets, 1);
	assert_string_equal(c->targets[0].name, "edge");
	assert_false(c->targets[0].allow_gate);	/* passive by default */
	conf_free(c);
}

static void
test_every_key(void **state)
{
	const struct conf_target *t;
	struct conf *c;

	(void)state;
	password("s3cret\nsecond line\n", 0600);
	conf_text(
	    "state_dir = \"/srv/md/state\";\n"
	    "run_dir = \"/srv/md/run\";\n"
	    "metrics_file = \"/srv/md/memdiag.prom\";\n"
	    "metrics_listen = \"[::1]:9477\";\n"
	    "history_keep = 30;\n"
	    "targets = (\n"
	    "  { name = \"edge\"; target = \"/run/kamailio/kamailio.pid\";\n"
	    "    rpc = \"unix:/run/kamailio/kamailio_ctl\";\n"
	    "    log = \"journal:kamailio.service\";\n"
	    "    proxy = \"127.0.0.1:5060\";\n"
	    "    allow_gate = true; gate = \"hook\"; gate_budget = 600;\n"
	    "    gate_hook_close = [\"/usr/local/sbin/lb-drain\", \"edge\"];\n"
	    "    gate_hook_open = [\"/usr/local/sbin/lb-undrain\", \"edge\"];\n"
	    "    peers = [\"192.0.2.10\", \"192.0.2.11:5060\",\n"
	    "      \"[2001:db8::1]:5060\"];\n"
	    "    quiet_max = 90; settle = 7.5; calls = 50; rounds = 4;\n"
	    "    mix = \"ok:8,busy:1,cancel:1\"; mode = \"registered\";\n"
	    "    user = \"memdiag\"; domain = \"example.org\";\n"
	    "    password_file = \"%s\";\n"
	    "    peak_cps = 50;\n"
	    "    trigger = { memory_errors = false; used_above = 0.8;\n"
	    "      rising_floor = false; };\n"
	    "    sample_interval = 30.0; min_interval = 3600;\n"
	    "    quiet_hours = \"08:00-20:30\"; },\n"
	    "  { name = \"core-2\"; target = \"kamailio.service\"; }\n"
	    ");\n", pwpath);
	c = load_ok();
	assert_string_equal(c->statedir, "/srv/md/state");
	assert_string_equal(c->rundir, "/srv/md/run");
	assert_string_equal(c->metrics_file, "/srv/md/memdiag.prom");
	assert_string_equal(c->metrics_listen, "[::1]:9477");
	assert_int_equal(c->history_keep, 30);
	assert_int_equal(c->ntargets, 2);
	t = conf_find(c, "edge");
	assert_ptr_equal(t, &c->targets[0]);
	assert_int_equal(t->line, 7);
	assert_string_equal(t->rpc, "unix:/run/kamailio/kamailio_ctl");
	assert_string_equal(t->log, "journal:kamailio.service");
	assert_string_equal(t->proxy, "127.0.0.1:5060");
	assert_true(t->allow_gate);
	assert_string_equal(t->gate, "hook");
	assert_int_equal(t->gate_budget, 600);
	assert_string_equal(t->hook_close[0], "/usr/local/sbin/lb-drain");
	assert_string_equal(t->hook_close[1], "edge");
	assert_null(t->hook_close[2]);
	assert_string_equal(t->hook_open[0], "/usr/local/sbin/lb-undrain");
	assert_int_equal(t->npeers, 3);
	assert_string_equal(t->peers[2], "[2001:db8::1]:5060");
	assert_null(t->peers[3]);
	assert_true(t->quiet_max == 90 && t->settle == 7.5);
	assert_int_equal(t->calls, 50);
	assert_int_equal(t->rounds, 4);
	assert_string_equal(t->mix, "ok:8,busy:1,cancel:1");
	assert_int_equal(t->mode, CALL_MODE_REGISTERED);
	assert_false(t->mode_auto);
	assert_string_equal(t->user, "memdiag");
	assert_string_equal(t->domain, "example.org");
	assert_string_equal(t->password, "s3cret");
	assert_true(t->peak_cps == 50);
	assert_false(t->on_memory_errors);
	assert_true(t->used_above == 0.8);
	assert_false(t->on_rising_floor);
	assert_true(t->sample_interval == 30);
	assert_int_equal(t->min_interval, 3600);
	assert_int_equal(t->quiet_from, 8 * 60);
	assert_int_equal(t->quiet_to, 20 * 60 + 30);
	assert_string_equal(conf_find(c, "core-2")->target,
	    "kamailio.service");
	assert_null(conf_find(c, "nonesuch"));
	conf_free(c);
}

static void
test_defaults(void **state)
{
	const struct conf_target *t;
	struct diag_opts want, got;
	struct conf *c;

	(void)state;
	conf_text("targets = ( { name = \"edge\"; target = \"42\"; } );\n");
	c = load_ok();
	t = &c->targets[0];
	diag_opts_defaults(&want);
	conf_diag_opts(c, t, &got);
	/* what --target alone would do, but passive */
	assert_string_equal(got.target, "42");
	assert_string_equal(got.gate, want.gate);
	assert_int_equal(got.gate_budget, want.gate_budget);
	assert_true(got.quiet_max == want.quiet_max);
	assert_true(got.settle == want.settle);
	assert_int_equal(got.calls, want.calls);
	assert_int_equal(got.rounds, want.rounds);
	assert_int_equal(got.mode, want.mode);
	assert_int_equal(got.mode_auto, want.mode_auto);
	assert_true(got.peak_cps == want.peak_cps);
	assert_string_equal(got.statedir, want.statedir);
	assert_string_equal(got.rundir, want.rundir);
	assert_null(got.mix);
	assert_null(got.proxy);
	assert_null(got.rpc);
	assert_null(got.log);
	assert_null(got.password);
	assert_int_equal(got.npeers, 0);
	assert_true(got.passive);
	/* passive, so it watches the users' traffic: one look sees no leak */
	assert_true(got.observe == 600);
	/* the policy's own defaults */
	assert_string_equal(c->statedir, MEMDIAG_STATEDIR);
	assert_string_equal(c->rundir, MEMDIAG_RUNDIR);
	assert_null(c->metrics_file);
	assert_null(c->metrics_listen);
	assert_int_equal(c->history_keep, 60);
	assert_true(t->on_memory_errors);
	assert_true(t->used_above == 0.9);
	assert_true(t->on_rising_floor);
	assert_true(t->sample_interval == 10);
	assert_int_equal(t->min_interval, 86400);
	assert_int_equal(t->quiet_from, -1);
	assert_false(conf_quiet_now(t, (long)time(NULL)));
	conf_free(c);
}

static void
test_diag_opts(void **state)
{
	struct diag_opts o;
	struct conf *c;

	(void)state;
	password("pw\n", 0400);
	conf_text("state_dir = \"/srv/s\"; run_dir = \"/srv/r\";\n"
	    "targets = ( { name = \"a\"; target = \"7\"; allow_gate = true;\n"
	    "  gate = \"none\"; gate_budget = 60; quiet_max = 30;\n"
	    "  settle = 3; calls = 10; rounds = 2; mix = \"ok,busy:2\";\n"
	    "  mode = \"direct\"; user = \"u\"; domain = \"d\";\n"
	    "  password_file = \"%s\"; peak_cps = 12.5;\n"
	    "  peers = [\"10.0.0.1\"]; proxy = \"127.0.0.1:5070\";\n"
	    "  rpc = \"unixd:/x\"; log = \"/var/log/k.log\"; } );\n", pwpath);
	c = load_ok();
	conf_diag_opts(c, &c->targets[0], &o);
	assert_false(o.passive);
	assert_string_equal(o.target, "7");
	assert_string_equal(o.gate, "none");
	assert_int_equal(o.gate_budget, 60);
	assert_true(o.quiet_max == 30 && o.settle == 3);
	assert_int_equal(o.calls, 10);
	assert_int_equal(o.rounds, 2);
	assert_string_equal(o.mix, "ok,busy:2");
	assert_int_equal(o.mode, CALL_MODE_DIRECT);
	assert_false(o.mode_auto);
	assert_string_equal(o.user, "u");
	assert_string_equal(o.domain, "d");
	assert_string_equal(o.password, "pw");
	assert_true(o.peak_cps == 12.5);
	assert_int_equal(o.npeers, 1);
	assert_string_equal(o.peers[0], "10.0.0.1");
	assert_string_equal(o.proxy, "127.0.0.1:5070");
	assert_string_equal(o.rpc, "unixd:/x");
	assert_string_equal(o.log, "/var/log/k.log");
	assert_string_equal(o.statedir, "/srv/s");
	assert_string_equal(o.rundir, "/srv/r");
	assert_null(o.hook_close);
	conf_free(c);
}

static void
test_quiet_hours(void **state)
{
	struct conf_target t;
	struct tm tm;
	struct conf *c;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mday = 1;
	memset(&t, 0, sizeof(t));
	conf_text("targets = ( { name = \"a\"; target = \"1\";\n"
	    "  quiet_hours = \"22:00-06:30\"; } );\n");
	c = load_ok();
	t = c->targets[0];
	conf_free(c);
	assert_int_equal(t.quiet_from, 22 * 60);
	assert_int_equal(t.quiet_to, 6 * 60 + 30);
#define AT(h, m) (tm.tm_hour = (h), tm.tm_min = (m), (long)timegm(&tm))
	assert_true(conf_quiet_now(&t, AT(23, 0)));
	assert_true(conf_quiet_now(&t, AT(0, 0)));
	assert_true(conf_quiet_now(&t, AT(22, 0)));
	assert_true(conf_quiet_now(&t, AT(6, 29)));
	assert_false(conf_quiet_now(&t, AT(6, 30)));
	assert_false(conf_quiet_now(&t, AT(12, 0)));
	assert_false(conf_quiet_now(&t, AT(21, 59)));
	t.quiet_from = 8 * 60;
	t.quiet_to = 20 * 60;
	assert_true(conf_quiet_now(&t, AT(8, 0)));
	assert_true(conf_quiet_now(&t, AT(19, 59)));
	assert_false(conf_quiet_now(&t, AT(20, 0)));
	assert_false(conf_quiet_now(&t, AT(2, 0)));
#undef AT
	conf_text("targets = ( { name = \"a\"; target = \"1\";\n"
	    "  quiet_hours = \"22:00\"; } );\n");
	expect_error(78, 2, "quiet_hours: \"22:00\": expected HH:MM-HH:MM");
	conf_text("targets = ( { name = \"a\"; target = \"1\";\n"
	    "  quiet_hours = \"24:00-01:00\"; } );\n");
	expect_error(78, 2, "quiet_hours: \"24:00-01:00\": expected "
	    "HH:MM-HH:MM");
	conf_text("targets = ( { name = \"a\"; target = \"1\";\n"
	    "  quiet_hours = \"05:00-05:00\"; } );\n");
	expect_error(78, 2, "quiet_hours: \"05:00-05:00\" is empty");
}

/* The head of a target, then one line under test (line 3). */
#define TGT "targets = ( { name = \"edge\";\n  target = \"1\";\n"

static void
test_unknown_keys(void **state)
{
	(void)state;
	conf_text(TGT "  alow_gate = true; } );\n");
	expect_error(78, 3, "unknown key \"alow_gate\" in a target");
	conf_text("state_dir = \"/x\";\nstatedir = \"/y\";\n"
	    TGT "} );\n");
	expect_error(78, 2, "unknown key \"statedir\"");
	conf_text(TGT "  trigger = { memory_error = true; }; } );\n");
	expect_error(78, 3, "unknown key \"trigger.memory_error\" in a target");
	/* a per-target key at the top, and the reverse */
	conf_text("calls = 5;\n" TGT "} );\n");
	expect_error(78, 1, "unknown key \"calls\"");
	conf_text(TGT "  history_keep = 5; } );\n");
	expect_error(78, 3, "unknown key \"history_keep\" in a target");
}

static void
test_types(void **state)
{
	(void)state;
	conf_text(TGT "  calls = \"100\"; } );\n");
	expect_error(78, 3, "calls: expected an integer, not a string");
	conf_text(TGT "  calls = 100.5; } );\n");
	expect_error(78, 3, "calls: expected an integer, not 100.5");
	conf_text(TGT "  allow_gate = \"yes\"; } );\n");
	expect_error(78, 3, "allow_gate: expected true or false, not a string");
	conf_text(TGT "  quiet_max = true; } );\n");
	expect_error(78, 3, "quiet_max: expected a number, not a boolean");
	conf_text(TGT "  peers = \"10.0.0.1\"; } );\n");
	expect_error(78, 3, "peers: expected a list [\"...\", ...], not a "
	    "string");
	conf_text(TGT "  peers = (\"10.0.0.1\", 5); } );\n");
	expect_error(78, 3, "peers: element 2: expected a non-empty "
	    "\"string\"");
	conf_text(TGT "  trigger = true; } );\n");
	expect_error(78, 3, "trigger: expected a group { ... }, not a boolean");
	conf_text("targets = ( { name = \"edge\";\n  target = 7; } );\n");
	expect_error(78, 2, "target: expected a \"string\", not an integer");
	conf_text(TGT "  rpc = \"\"; } );\n");
	expect_error(78, 3, "rpc: empty");
	conf_text("targets = { name = \"a\"; };\n");
	expect_error(78, 1, "targets: expected a list ( { ... }, ... )");
	/* an integer where a decimal is expected is fine */
	conf_text(TGT "  settle = 5; peak_cps = 100; } );\n");
	conf_free(load_ok());
}

static void
test_ranges(void **state)
{
	(void)state;
	conf_text(TGT "  calls = 0; } );\n");
	expect_error(78, 3, "calls: 0 is out of range (1 to 100000)");
	conf_text(TGT "  rounds = 9; } );\n");
	expect_error(78, 3, "rounds: 9 is out of range (1 to 8)");
	conf_text(TGT "  gate_budget = -1; } );\n");
	expect_error(78, 3, "gate_budget: -1 is out of range (10 to 86400)");
	/* libconfig 1.5 turns this into 100 on its own */
	conf_text(TGT "  calls = 4294967396; } );\n");
	expect_error(78, 3, "calls: 4294967396 is out of range (1 to 100000)");
	conf_text(TGT "  calls = 99999999999999999999; } );\n");
	expect_error(78, 3, "calls: 99999999999999999999 is out of range "
	    "(1 to 100000)");
	conf_text(TGT "  calls = 99999999999L; } );\n");
	expect_error(78, 3, "calls: 1e+11 is out of range (1 to 100000)");
	conf_text(TGT "  quiet_max = 1e300; } );\n");
	expect_error(78, 3, "quiet_max: 1e+300 is out of range (1 to 3600)");
	conf_text(TGT "  quiet_max = 1e999; } );\n");
	expect_error(78, 3, "quiet_max: inf is out of range (1 to 3600)");
	conf_text(TGT "  settle = 0.1; } );\n");
	expect_error(78, 3, "settle: 0.1 is out of range (0.5 to 600)");
	conf_text(TGT "  quiet_max = 10;\n  settle = 10; } );\n");
	expect_error(78, 4, "settle 10.0 must be shorter than quiet_max 10.0");
	conf_text(TGT "  trigger = { used_above = 1.5; }; } );\n");
	expect_error(78, 3, "trigger.used_above: 1.5 is out of range (0 to 1)");
	conf_text("history_keep = 0;\n" TGT "} );\n");
	expect_error(78, 1, "history_keep: 0 is out of range (1 to 100000)");
}

static void
test_targets(void **state)
{
	(void)state;
	conf_text("history_keep = 3;\n");
	expect_error(78, 1, "no targets: add targets = ( { name = \"...\"; "
	    "target = \"...\"; } );");
	conf_text("");
	expect_error(78, 1, "no targets: add targets = ( { name = \"...\"; "
	    "target = \"...\"; } );");
	conf_text("targets = ();\n");
	expect_error(78, 1, "targets: empty");
	conf_text("targets = (\n  { name = \"edge\"; target = \"1\"; },\n"
	    "  { name = \"edge\";\n    target = \"2\"; }\n);\n");
	expect_error(78, 3, "name: \"edge\" is already the name of the target "
	    "at line 2");
	conf_text("targets = (\n  { name = \"edge\";\n"
	    "    rpc = \"unix:/x\"; }\n);\n");
	expect_error(78, 2, "target \"edge\": target (pid file, PID or "
	    "systemd unit) is required");
	conf_text("targets = (\n  { target = \"1\"; }\n);\n");
	expect_error(78, 2, "target without a name");
	conf_text("targets = (\n  { name = \"my edge\";\n"
	    "    target = \"1\"; }\n);\n");
	expect_error(78, 2, "name: \"my edge\": up to 64 of A-Z a-z 0-9 _ . -, "
	    "not starting with a dot");
	conf_text("targets = ( \"edge\" );\n");
	expect_error(78, 1, "targets: element 1 is not a group { ... }");
}

static void
test_values(void **state)
{
	(void)state;
	conf_text(TGT "  gate = \"iptables\"; } );\n");
	expect_error(78, 3, "gate: \"iptables\": one of nft, hook, none");
	conf_text(TGT "  gate = \"hook\";\n"
	    "  gate_hook_close = [\"/bin/true\"]; } );\n");
	expect_error(78, 3, "gate \"hook\" needs both gate_hook_close and "
	    "gate_hook_open");
	conf_text(TGT "  gate = \"hook\"; gate_hook_close = [];\n"
	    "  gate_hook_open = [\"/bin/true\"]; } );\n");
	expect_error(78, 3, "gate \"hook\" needs both gate_hook_close and "
	    "gate_hook_open");
	conf_text(TGT "  peers = [\"192.0.2.1\", \"gw.example.org\"]; } );\n");
	expect_error(78, 3, "peers: \"gw.example.org\": expected IP, IP:PORT "
	    "or [IPv6]:PORT");
	conf_text(TGT "  mix = \"ok:8,bussy:1\"; } );\n");
	expect_error(78, 3, "mix: unknown flow \"bussy\" (ok, busy, cancel, "
	    "register, message)");
	conf_text(TGT "  mode = \"proxy\"; } );\n");
	expect_error(78, 3, "mode: \"proxy\": direct or registered");
	conf_text(TGT "  rpc = \"ctl:/run/k\"; } );\n");
	expect_error(78, 3, "rpc: ctl:/run/k: unknown ctl socket (use "
	    "unix:PATH, unixd:PATH, tcp:HOST:PORT or udp:HOST:PORT)");
	conf_text("state_dir = \"var/lib/memdiag\";\n" TGT "} );\n");
	expect_error(78, 1, "state_dir: \"var/lib/memdiag\" is not an absolute "
	    "path");
	conf_text(TGT "  user = \"u\"; } );\n");
	expect_error(78, 3, "user and password_file go together");
	conf_text("targets = ( { name = \"a\"; target = \"1\";\n"
	    "  calls = = 3; } );\n");
	expect_error(78, 2, "syntax error");
	conf_text("@include \"/dev/zero\"\n" TGT "} );\n");
	expect_error(78, 1, "@include is not supported: keep the configuration "
	    "in one file");
}

static void
test_metrics_listen(void **state)
{
	struct conf *c;

	(void)state;
	conf_text("metrics_listen = \"127.0.0.2:9477\";\n" TGT "} );\n");
	conf_free(load_ok());
	conf_text("metrics_listen = \"0.0.0.0:9477\";\n" TGT "} );\n");
	expect_error(78, 1, "metrics_listen: 0.0.0.0:9477 is not a loopback "
	    "address (set metrics_listen_any = true to serve metrics there)");
	conf_text("\nmetrics_listen = \"127.0.0.1\";\n" TGT "} );\n");
	expect_error(78, 2, "metrics_listen: \"127.0.0.1\": expected IP:PORT "
	    "or [IPv6]:PORT");
	conf_text("metrics_listen = \"192.0.2.5:9477\";\n"
	    "metrics_listen_any = true;\n" TGT "} );\n");
	c = load_ok();
	assert_true(c->metrics_listen_any);
	conf_free(c);
}

static void
test_password_file(void **state)
{
	char msg[512];

	(void)state;
	password("pw\n", 0644);
	conf_text(TGT "  user = \"u\";\n  password_file = \"%s\"; } );\n",
	    pwpath);
	snprintf(msg, sizeof(msg), "password_file %s: mode 0644 lets group or "
	    "others read or write it (chmod 600 it)", pwpath);
	expect_error(78, 4, msg);
	password("pw\n", 0640);
	snprintf(msg, sizeof(msg), "password_file %s: mode 0640 lets group or "
	    "others read or write it (chmod 600 it)", pwpath);
	expect_error(78, 4, msg);
	password("\nlater\n", 0600);
	snprintf(msg, sizeof(msg), "password_file %s: the first line is empty",
	    pwpath);
	expect_error(78, 4, msg);
	unlink(pwpath);
	snprintf(msg, sizeof(msg), "password_file %s: cannot open: No such "
	    "file or directory", pwpath);
	expect_error(78, 4, msg);
	conf_text(TGT "  user = \"u\";\n  password_file = \"%s\"; } );\n",
	    dir);
	snprintf(msg, sizeof(msg), "password_file %s: not a regular file", dir);
	expect_error(78, 4, msg);
}

static void
test_cannot_open(void **state)
{
	struct conf *c = NULL;
	char want[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 66);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory", path);
	assert_string_equal(err, want);
	assert_int_equal(conf_load(dir, &c, err, sizeof(err)), 66);
	snprintf(want, sizeof(want), "%s: cannot open: a directory", dir);
	assert_string_equal(err, want);
	assert_null(c);
}

static void
test_key_table(void **state)
{
	const struct conf_key *k;
	size_t n = 0;

	(void)state;
	for (k = conf_keys; k->name != NULL; k++, n++) {
		assert_non_null(k->doc);
		assert_ptr_equal(conf_keys + n, k);
		if (k->type == CONF_INT || k->type == CONF_FLOAT)
			assert_true(k->min < k->max);
	}
	assert_true(n >= 30);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(pwpath);
	snprintf(path, sizeof(path), "%s/memdiag.conf", dir);
	unlink(path);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_diag_opts),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_key_table),
	};

	return cmocka_run_group_tests_name("conf", tests, setup, teardown);
}
