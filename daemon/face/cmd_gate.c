/*
 * memdiag gate --target T --hold S: close the traffic gate for a while,
 * then open it; with --calls N, place N test calls through it meanwhile.
 * The order of start-up is the order of safety: open what dead runs left
 * closed, take the target's lock, say what the gate would hurt (and refuse
 * with calls active unless forced), create the test sockets so they can be
 * exempt, close, keep refreshing, and open on every way out: the hold's
 * end, the budget, an error, SIGTERM/SIGINT, the proxy's exit.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "calls/call.h"
#include "engine/attach.h"
#include "engine/hold.h"
#include "face/cmd.h"
#include "face/cmdline.h"
#include "gate/gate.h"
#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"
#include "proxy/px.h"
#include "proxy/target.h"

struct gate_cmd {
	/* options */
	const char *target, *rpc, *rundir, *backend;
	const char *close_cmd, *open_cmd;
	double hold;
	unsigned calls;
	bool force;
	struct gate_spec spec;
	/* run */
	struct target *t;
	struct event_base *base;
	struct hold *holder;
	struct call_engine *eng;
	struct call_batch *batch;
	struct event *hold_ev, *sigint, *sigterm;
	bool hold_done, calls_done, proxy_gone, failed, refresh_failed;
	const char *why;	/* why the gate opened */
	char err[512];
};

const char gate_cmd_synopsis[] = "gate --target TARGET --hold SECONDS "
    "[--gate nft|hook|none]\n"
    "           [--budget S] [--element-timeout S] "
    "[--exempt IP:PORT]... [--peer IP[:PORT]]...\n"
    "           [--cut-tcp] [--force] [--calls N] [--rpc SOCKET] "
    "[--run-dir DIR]\n"
    "           [--close-cmd 'CMD ARGS' --open-cmd 'CMD ARGS' "
    "[--hook-timeout S]] [--proxy-exe LIST] [-v]";

static void
gate_cmd_usage(FILE *f)
{
	fprintf(f, "usage: memdiag %s\n", gate_cmd_synopsis);
}

static int
parse_args(struct gate_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "gate", required_argument, NULL, 'g' },
		{ "budget", required_argument, NULL, 'b' },
		{ "element-timeout", required_argument, NULL, 'e' },
		{ "exempt", required_argument, NULL, 'x' },
		{ "peer", required_argument, NULL, 'p' },
		{ "cut-tcp", no_argument, NULL, 'C' },
		{ "force", no_argument, NULL, 'f' },
		{ "calls", required_argument, NULL, 'n' },
		{ "rpc", required_argument, NULL, 'r' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "close-cmd", required_argument, NULL, 'c' },
		{ "open-cmd", required_argument, NULL, 'o' },
		{ "hook-timeout", required_argument, NULL, 'T' },
		{ "proxy-exe", required_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct addr a;
	char err[256];
	double v;
	int ch, verbose = 0;

	c->backend = "nft";
	c->rundir = MEMDIAG_RUNDIR;
	c->hold = -1;
	c->spec.element_timeout = GATE_ELEMENT_TIMEOUT_MAX;
	c->spec.budget = GATE_BUDGET_DEFAULT;
	c->spec.hook_timeout = 10;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			c->target = optarg;
			break;
		case 'X':
			if (cmdline_proxy_exe(optarg) != 0)
				return EX_MD_USAGE;
			break;
		case 'H':
			if (cmdline_number("--hold", optarg, 0, 86400, &c->hold))
				return EX_MD_USAGE;
			break;
		case 'g':
			c->backend = optarg;
			break;
		case 'b':
			if (cmdline_number("--budget", optarg, 1, 86400, &v))
				return EX_MD_USAGE;
			c->spec.budget = (unsigned)v;
			break;
		case 'e':
			if (cmdline_number("--element-timeout", optarg, 1,
			    GATE_ELEMENT_TIMEOUT_MAX, &v))
				return EX_MD_USAGE;
			c->spec.element_timeout = (unsigned)v;
			break;
		case 'x':
			if (addr_parse(optarg, true, &a, err,
			    sizeof(err)) != 0) {
				log_warnx("--exempt %s", err);
				return EX_MD_USAGE;
			}
			a.proto = IPPROTO_UDP;
			gate_spec_add(c->spec.self, &c->spec.nself, &a);
			a.proto = IPPROTO_TCP;
			gate_spec_add(c->spec.self, &c->spec.nself, &a);
			break;
		case 'p':
			if (addr_parse(optarg, false, &a, err,
			    sizeof(err)) != 0) {
				log_warnx("--peer %s", err);
				return EX_MD_USAGE;
			}
			gate_spec_add(c->spec.peers, &c->spec.npeers, &a);
			break;
		case 'C':
			c->spec.cut_tcp = true;
			break;
		case 'f':
			c->force = true;
			break;
		case 'n':
			if (cmdline_number("--calls", optarg, 0, 1e6, &v))
				return EX_MD_USAGE;
			c->calls = (unsigned)v;
			break;
		case 'r':
			c->rpc = optarg;
			break;
		case 'R':
			c->rundir = optarg;
			break;
		case 'c':
			c->close_cmd = optarg;
			break;
		case 'o':
			c->open_cmd = optarg;
			break;
		case 'T':
			if (cmdline_number("--hook-timeout", optarg, 1, 3600, &v))
				return EX_MD_USAGE;
			c->spec.hook_timeout = (unsigned)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			gate_cmd_usage(stdout);
			return -1;
		default:
			gate_cmd_usage(stderr);
			return EX_MD_USAGE;
		}
	}
	if (c->target == NULL || c->hold < 0 || optind != argc) {
		log_warnx("gate: --target and --hold are required");
		gate_cmd_usage(stderr);
		return EX_MD_USAGE;
	}
	if (gate_ops_find(c->backend) == NULL) {
		log_warnx("--gate %s: one of %s", c->backend, gate_ops_names());
		return EX_MD_USAGE;
	}
	if ((c->close_cmd != NULL || c->open_cmd != NULL) &&
	    strcmp(c->backend, "hook") != 0) {
		log_warnx("--close-cmd and --open-cmd go with --gate hook");
		return EX_MD_USAGE;
	}
	if (c->close_cmd != NULL)
		c->spec.close_argv = gate_argv_split(c->close_cmd);
	if (c->open_cmd != NULL)
		c->spec.open_argv = gate_argv_split(c->open_cmd);
	if (verbose > 0)
		log_set_verbosity(verbose);
	return 0;
}

static void
maybe_done(struct gate_cmd *c)
{
	if (c->hold_done && c->calls_done) {
		c->why = "the hold ended";
		event_base_loopbreak(c->base);
	}
}

static void
on_hold(evutil_socket_t fd, short what, void *arg)
{
	struct gate_cmd *c = arg;

	(void)fd;
	(void)what;
	c->hold_done = true;
	if (!c->calls_done)
		log_info("the hold ended; waiting for the test calls");
	maybe_done(c);
}

/* The gate opened by itself: the budget, a failed refresh, the proxy. */
static void
on_ended(void *arg, enum hold_end why, const char *text)
{
	struct gate_cmd *c = arg;

	switch (why) {
	case HOLD_REFRESH_FAILED:
		c->why = "refreshing it failed";
		c->refresh_failed = true;
		snprintf(c->err, sizeof(c->err), "%s", text);
		break;
	case HOLD_PROXY_EXIT:
		c->why = text;
		c->proxy_gone = true;
		break;
	case HOLD_BUDGET:
		c->why = text;
		break;
	}
	event_base_loopbreak(c->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gate_cmd *c = arg;

	(void)what;
	log_warnx("signal %d: opening the gate and stopping", (int)sig);
	c->why = sig == SIGINT ? "SIGINT" : "SIGTERM";
	event_base_loopbreak(c->base);
}

static void
on_calls(struct call_batch *b, void *arg)
{
	struct gate_cmd *c = arg;

	(void)b;
	c->calls_done = true;
	maybe_done(c);
}

static void
print_calls(struct gate_cmd *c)
{
	struct callstat_totals t;

	callstat_totals(call_batch_stat(c->batch), &t);
	printf("test calls while gated: placed %llu, completed %llu, failed "
	    "%llu, timeout %llu\n", (unsigned long long)t.placed,
	    (unsigned long long)t.completed, (unsigned long long)t.failed,
	    (unsigned long long)t.timeout);
	if (t.placed < c->calls || t.completed < t.placed)
		c->failed = true;
}

static void
timer(struct gate_cmd *c, struct event **ev, double secs, bool persist,
    event_callback_fn cb)
{
	struct timeval tv = clock_tv(secs);

	*ev = event_new(c->base, -1, persist ? EV_PERSIST : 0, cb, c);
	event_add(*ev, &tv);
}

static void
free_events(struct gate_cmd *c)
{
	struct event **evs[] = { &c->hold_ev, &c->sigint, &c->sigterm };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
}

/* Closed from here on; every way out of this function has opened it. */
static int
hold_gate(struct gate_cmd *c)
{
	struct call_batch_params p;
	char oerr[512];
	int status = EX_MD_OK, r;
	unsigned lapses;

	timer(c, &c->hold_ev, c->hold, false, on_hold);
	c->calls_done = c->eng == NULL;
	if (c->eng != NULL) {
		memset(&p, 0, sizeof(p));
		p.calls = c->calls;
		p.rate = 10;
		p.concurrency = 10;
		(void)callstat_mix_parse(&p.mix, NULL, oerr, sizeof(oerr));
		c->batch = call_batch_start(c->eng, &p, on_calls, c);
	}
	event_base_dispatch(c->base);
	free_events(c);
	r = hold_open(c->holder, oerr, sizeof(oerr));
	printf("gate %s opened after %.1f s: %s\n", hold_backend(c->holder),
	    hold_closed_seconds(c->holder), c->why ? c->why :
	    "the event loop ended");
	if (c->batch != NULL)
		print_calls(c);
	if ((lapses = hold_lapses(c->holder)) > 0)
		printf("the gate opened by itself %u time%s while meant to be "
		    "closed\n", lapses, lapses == 1 ? "" : "s");
	if (r != 0) {
		snprintf(c->err, sizeof(c->err), "%s", oerr);
		return EX_MD_INTERNAL;
	}
	if (c->refresh_failed)
		return EX_MD_INTERNAL;
	if (c->proxy_gone)
		return EX_MD_UNAVAILABLE;
	if (c->failed)
		status = EX_MD_WARNING;
	else if (lapses > 0)
		status = EX_MD_UNKNOWN;
	c->err[0] = '\0';
	return status;
}

/* What the gate would hurt, as the proxy says (stdout: for people). */
static void
print_harm(const struct px_harm *h, unsigned budget)
{
	if (h->dialogs_known)
		printf("active dialogs: %llu (starting %llu, connecting %llu, "
		    "answering %llu, ongoing %llu)\n",
		    (unsigned long long)h->dialogs,
		    (unsigned long long)h->starting,
		    (unsigned long long)h->connecting,
		    (unsigned long long)h->answering,
		    (unsigned long long)h->ongoing);
	else
		printf("active dialogs: unknown (%s)\n", h->why_dialogs);
	if (h->contacts_known)
		printf("registrations: %u of %u contacts expire within the "
		    "budget (%u s) and cannot be refreshed while gated\n",
		    h->expiring, h->contacts, budget);
	else
		printf("registrations: unknown (%s)\n", h->why_contacts);
}

static int
gate_cmd_run(struct gate_cmd *c)
{
	struct attach_opts ao = { .lock = true };
	struct attach a = { .lockfd = -1 };
	struct hold_opts ho = { .watch_proxy = true };
	struct px_harm harm;
	struct px *px = NULL;
	char proxy[INET6_ADDRSTRLEN + 16], what[2048], perr[512];
	int status;

	ao.target = c->target;
	ao.rpc = c->rpc;
	ao.rundir = c->rundir;
	status = attach_open(&ao, &a, c->err, sizeof(c->err));
	c->t = a.t;
	a.t = NULL;	/* c's now, freed with it */
	if (status != 0)
		goto out;
	if ((c->base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
	ho.backend = c->backend;
	ho.rundir = c->rundir;
	ho.force = c->force;
	ho.spec = &c->spec;
	if (a.rpc != NULL && (px = px_new(c->base, c->t, a.rpc, perr,
	    sizeof(perr))) == NULL)
		log_warnx("--rpc %s: %s", a.rpc, perr);
	c->holder = hold_new(c->base, &ho, c->t, px, on_ended, c, &harm,
	    &status, c->err, sizeof(c->err));
	if (px != NULL || harm.dialogs_known)
		print_harm(&harm, c->spec.budget);
	if (c->holder == NULL)
		goto out;
	/* from here a signal only ends the hold: the gate opens first */
	c->sigint = evsignal_new(c->base, SIGINT, on_signal, c);
	c->sigterm = evsignal_new(c->base, SIGTERM, on_signal, c);
	event_add(c->sigint, NULL);
	event_add(c->sigterm, NULL);
	if (c->calls > 0) {
		struct call_conf conf = { 0 };

		if (!target_udp_hostport(c->t, 0, proxy, sizeof(proxy))) {
			snprintf(c->err, sizeof(c->err), "--calls: the proxy "
			    "listens on no UDP address");
			status = EX_MD_UNAVAILABLE;
			goto out;
		}
		conf.proxy = proxy;
		conf.mode = CALL_MODE_DIRECT;
		if ((c->eng = call_engine_new(c->base, &conf, &status)) ==
		    NULL) {
			snprintf(c->err, sizeof(c->err), "cannot set up test "
			    "calls to %s", proxy);
			goto out;
		}
	}
	status = hold_close(c->holder, c->eng, c->err, sizeof(c->err));
	hold_describe(c->holder, what, sizeof(what));
	printf("gate %s: %s; hold %.1f s, fail-safe element timeout %u s\n",
	    hold_backend(c->holder), what, c->hold, c->spec.element_timeout);
	fflush(stdout);
	if (status == 0)
		status = hold_gate(c);
out:
	if (status != EX_MD_OK && c->err[0] != '\0')
		log_warnx("%s", c->err);
	free_events(c);
	hold_free(c->holder);
	px_free(px);
	if (c->batch != NULL)
		call_batch_free(c->batch);
	if (c->eng != NULL)
		call_engine_free(c->eng);
	if (c->base != NULL)
		event_base_free(c->base);
	attach_close(&a);
	return status;
}

int
gate_main(int argc, char **argv)
{
	struct gate_cmd c;
	int status;

	memset(&c, 0, sizeof(c));
	if ((status = parse_args(&c, argc, argv)) == 0)
		status = gate_cmd_run(&c);
	else if (status < 0)
		status = EX_MD_OK;
	target_free(c.t);
	gate_argv_free(c.spec.close_argv);
	gate_argv_free(c.spec.open_argv);
	fflush(stdout);
	return status;
}
