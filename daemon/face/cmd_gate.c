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
#include "face/cmd.h"
#include "face/cmdline.h"
#include "gate/gate.h"
#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"
#include "proxy/target.h"

struct gate_cmd {
	/* options */
	const char *target, *rpc, *rundir, *backend;
	const char *close_cmd, *open_cmd;
	double hold;
	unsigned calls;
	bool force;
	struct gate_spec spec;
	const struct gate_ops *ops;
	/* run */
	struct target *t;
	struct event_base *base;
	struct gate *gate;
	struct call_engine *eng;
	struct call_batch *batch;
	struct event *refresh_ev, *hold_ev, *budget_ev, *sigint, *sigterm,
	    *proxy_ev;
	int proxyfd;
	double closed_at, opened_after;
	bool hold_done, calls_done, proxy_gone, failed, refresh_failed;
	unsigned lapses;
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

/* Registrations whose contacts expire within the budget (ul.dump). */
static void
count_expiring(const struct binrpc_val *v, unsigned budget, unsigned *n,
    unsigned *all)
{
	size_t i;

	if (v->type == BINRPC_INT && v->name != NULL &&
	    strcmp(v->name, "Expires") == 0) {
		(*all)++;
		if (v->u.i >= 0 && v->u.i <= (int64_t)budget)
			(*n)++;
		return;
	}
	if (v->type != BINRPC_STRUCT && v->type != BINRPC_ARRAY)
		return;
	for (i = 0; i < v->u.list.n; i++)
		count_expiring(&v->u.list.v[i], budget, n, all);
}

/*
 * What the gate would hurt: active dialogs (they are refused without
 * --force) and registrations that would expire while it is closed.
 */
static int
report_harm(struct gate_cmd *c, const char *rpc)
{
	struct rpc_kam_dlg_active d;
	struct rpc_result *r;
	unsigned expiring = 0, contacts = 0;
	size_t i;

	r = rpc_sync(rpc, rpc_kam_req_dlg_active(), 3.0);
	if (rpc_kam_dlg_active(r, &d) == 0) {
		printf("active dialogs: %llu (starting %llu, connecting %llu, "
		    "answering %llu, ongoing %llu)\n",
		    (unsigned long long)d.all, (unsigned long long)d.starting,
		    (unsigned long long)d.connecting,
		    (unsigned long long)d.answering,
		    (unsigned long long)d.ongoing);
		if (d.all > 0 && !c->force) {
			rpc_result_free(r);
			snprintf(c->err, sizeof(c->err), "%llu calls are "
			    "active: the gate would drop their in-dialog "
			    "requests; give --force to gate anyway",
			    (unsigned long long)d.all);
			return EX_MD_REFUSED;
		}
	} else
		printf("active dialogs: unknown (%s)\n", r->error ? r->error :
		    "dlg.stats_active failed");
	rpc_result_free(r);
	r = rpc_sync(rpc, binrpc_req_new("ul.dump"), 5.0);
	if (r->status == RPC_OK && r->reply != NULL) {
		for (i = 0; i < r->reply->nvals; i++)
			count_expiring(&r->reply->vals[i], c->spec.budget,
			    &expiring, &contacts);
		printf("registrations: %u of %u contacts expire within the "
		    "budget (%u s) and cannot be refreshed while gated\n",
		    expiring, contacts, c->spec.budget);
	} else
		printf("registrations: unknown (%s)\n", r->error ? r->error :
		    "ul.dump failed");
	rpc_result_free(r);
	return 0;
}

/* "sip:user@host:port;params" -> host as an address (names resolved). */
static bool
uri_host(const char *uri, struct addr *out)
{
	char host[256], err[128];
	const char *p = uri, *e;
	struct addrinfo hints, *res;
	size_t l;

	if (strncmp(p, "sip:", 4) == 0)
		p += 4;
	else if (strncmp(p, "sips:", 5) == 0)
		p += 5;
	if ((e = strchr(p, '@')) != NULL)
		p = e + 1;
	if (*p == '[') {
		e = strchr(p, ']');
		if (e == NULL)
			return false;
		p++;
	} else
		e = p + strcspn(p, ":;>?");
	l = (size_t)(e - p);
	if (l == 0 || l >= sizeof(host))
		return false;
	memcpy(host, p, l);
	host[l] = '\0';
	if (addr_parse(host, false, out, err, sizeof(err)) == 0)
		return true;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = res->ai_family;
	if (res->ai_family == AF_INET)
		memcpy(out->addr,
		    &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	else
		memcpy(out->addr,
		    &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
	freeaddrinfo(res);
	return true;
}

/* The proxy's peers: dispatcher destinations pass the gate. */
static void
discover_peers(struct gate_cmd *c, const char *rpc)
{
	struct rpc_kam_ds_list l;
	struct rpc_result *r = rpc_sync(rpc, rpc_kam_req_ds_list(), 3.0);
	size_t i, j;

	if (rpc_kam_ds_list(r, &l) != 0) {
		log_debug("no dispatcher peers: %s", r->error ? r->error : "?");
		rpc_result_free(r);
		return;
	}
	rpc_result_free(r);
	for (i = 0; i < l.n; i++)
		for (j = 0; j < l.sets[i].n; j++) {
			struct addr a;

			if (!uri_host(l.sets[i].dests[j].uri, &a)) {
				log_warnx("dispatcher destination %s: cannot "
				    "tell its address; give it with --peer",
				    l.sets[i].dests[j].uri);
				continue;
			}
			gate_spec_add(c->spec.peers, &c->spec.npeers, &a);
		}
	rpc_kam_ds_list_clear(&l);
}

static void
gated_from_target(struct gate_cmd *c)
{
	size_t i;

	for (i = 0; i < c->t->nlisten; i++)
		gate_spec_add(c->spec.gated, &c->spec.ngated, &c->t->listen[i]);
}

static void
exempt_engine(struct gate_cmd *c)
{
	struct sip_socket s[8];
	size_t i, n = call_engine_sockets(c->eng, s, 8);

	for (i = 0; i < n && i < 8; i++)
		gate_spec_add_sockaddr(c->spec.self, &c->spec.nself,
		    &s[i].addr, IPPROTO_UDP);
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

static void
on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct gate_cmd *c = arg;

	(void)fd;
	(void)what;
	log_warnx("the gate's budget (%u s) ran out: opening it",
	    c->spec.budget);
	c->why = "the budget ran out";
	event_base_loopbreak(c->base);
}

static void
on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct gate_cmd *c = arg;
	enum gate_result r;

	(void)fd;
	(void)what;
	r = gate_refresh(c->gate, gate_fail_safe(c->spec.element_timeout,
	    c->spec.budget - (clock_mono() - c->closed_at)), c->err,
	    sizeof(c->err));
	if (r == GATE_LAPSED)
		c->lapses++;
	else if (r != GATE_OK) {
		c->why = "refreshing it failed";
		c->refresh_failed = true;
		event_base_loopbreak(c->base);
	}
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
on_proxy_exit(evutil_socket_t fd, short what, void *arg)
{
	struct gate_cmd *c = arg;

	(void)fd;
	(void)what;
	log_warnx("%s pid %d exited while gated", c->t->flavour,
	    (int)c->t->main.pid);
	c->why = "the proxy exited";
	c->proxy_gone = true;
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
	struct event **evs[] = { &c->refresh_ev, &c->hold_ev, &c->budget_ev,
		&c->sigint, &c->sigterm, &c->proxy_ev };
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
	enum gate_result r;
	char oerr[512];
	int status = EX_MD_OK;

	c->closed_at = clock_mono();
	timer(c, &c->refresh_ev, gate_refresh_interval(c->spec.element_timeout),
	    true, on_refresh);
	timer(c, &c->hold_ev, c->hold, false, on_hold);
	timer(c, &c->budget_ev, c->spec.budget, false, on_budget);
	c->proxyfd = (int)syscall(SYS_pidfd_open, c->t->main.pid, 0);
	if (c->proxyfd != -1) {
		c->proxy_ev = event_new(c->base, c->proxyfd, EV_READ,
		    on_proxy_exit, c);
		event_add(c->proxy_ev, NULL);
	} else
		log_warn("pidfd_open %d: the proxy's exit will be noticed late",
		    (int)c->t->main.pid);
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
	r = gate_open(c->gate, oerr, sizeof(oerr));
	c->opened_after = clock_mono() - c->closed_at;
	printf("gate %s opened after %.1f s: %s\n", c->gate->ops->name,
	    c->opened_after, c->why ? c->why : "the event loop ended");
	if (c->batch != NULL)
		print_calls(c);
	if (c->lapses > 0)
		printf("the gate opened by itself %u time%s while meant to be "
		    "closed\n", c->lapses, c->lapses == 1 ? "" : "s");
	if (c->proxyfd != -1)
		close(c->proxyfd);
	if (r != GATE_OK) {
		snprintf(c->err, sizeof(c->err), "%s", oerr);
		return EX_MD_INTERNAL;
	}
	if (c->refresh_failed)
		return EX_MD_INTERNAL;
	if (c->proxy_gone)
		return EX_MD_UNAVAILABLE;
	if (c->failed)
		status = EX_MD_WARNING;
	else if (c->lapses > 0)
		status = EX_MD_UNKNOWN;
	c->err[0] = '\0';
	return status;
}

/*
 * nftables rules live in a network namespace: a gate built where the
 * proxy does not run would gate nothing. 0, or 77 with the reason.
 */
/* An nft gate works in memdiag's own network namespace only. */
static int
same_netns(void *arg, struct target *t, char *err, size_t errlen)
{
	const struct gate_cmd *c = arg;
	char path[64], mine[64] = "", its[64] = "";
	ssize_t n;

	if (strcmp(c->ops->name, "nft") != 0)
		return 0;
	if ((n = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1)) > 0)
		mine[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t->main.pid);
	if ((n = readlink(path, its, sizeof(its) - 1)) > 0)
		its[n] = '\0';
	if (its[0] == '\0' || strcmp(mine, its) == 0)
		return 0;
	snprintf(err, errlen, "%s pid %d runs in another network namespace "
	    "(%s, memdiag in %s): a gate here would gate nothing; run memdiag "
	    "in the proxy's namespace (ip netns exec NAME memdiag ...)",
	    t->flavour, (int)t->main.pid, its, mine);
	return EX_MD_REFUSED;
}

static int
gate_cmd_run(struct gate_cmd *c, const struct gate_ops *ops)
{
	struct attach_opts ao = { .lock = true, .check = same_netns };
	struct attach a = { .lockfd = -1 };
	char proxy[INET6_ADDRSTRLEN + 16], what[2048], *rpc;
	struct procfs_stat me;
	enum gate_result r;
	int status;

	ao.target = c->target;
	ao.rpc = c->rpc;
	ao.rundir = c->rundir;
	ao.check_arg = c;
	c->ops = ops;
	status = attach_open(&ao, &a, c->err, sizeof(c->err));
	c->t = a.t;
	a.t = NULL;	/* c's now, freed with it */
	rpc = a.rpc;
	if (status != 0)
		goto out;
	c->err[0] = '\0';
	if (rpc == NULL)
		log_warnx("%s pid %d: no ctl socket answers binrpc: active "
		    "calls, registrations and dispatcher peers are unknown "
		    "(give --rpc)", c->t->flavour, (int)c->t->main.pid);
	else {
		if ((status = report_harm(c, rpc)) != 0)
			goto out;
		discover_peers(c, rpc);
	}
	gated_from_target(c);
	if (!procfs_read_stat(getpid(), &me))
		fatal(EX_MD_INTERNAL, "/proc/self/stat");
	c->spec.owner_pid = getpid();
	c->spec.owner_starttime = me.starttime;
	if ((c->base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
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
		exempt_engine(c);
	}
	if ((status = gate_spec_check(&c->spec, ops, c->err,
	    sizeof(c->err))) != 0)
		goto out;
	gate_spec_describe(&c->spec, what, sizeof(what));
	printf("gate %s: %s; hold %.1f s, fail-safe element timeout %u s\n",
	    ops->name, what, c->hold, c->spec.element_timeout);
	fflush(stdout);
	c->gate = gate_new(ops, &c->spec, c->rundir, c->err, sizeof(c->err),
	    &r);
	if (c->gate == NULL || (r = gate_close(c->gate,
	    c->spec.element_timeout < c->spec.budget ?
	    c->spec.element_timeout : c->spec.budget, c->err,
	    sizeof(c->err))) != GATE_OK) {
		status = r == GATE_DENIED ? EX_MD_REFUSED : EX_MD_INTERNAL;
		if (c->gate != NULL) {
			char oerr[512];

			(void)gate_open(c->gate, oerr, sizeof(oerr));
		}
		goto out;
	}
	status = hold_gate(c);
out:
	if (status != EX_MD_OK && c->err[0] != '\0')
		log_warnx("%s", c->err);
	free_events(c);
	gate_free(c->gate);
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
	c.proxyfd = -1;
	if ((status = parse_args(&c, argc, argv)) == 0)
		status = gate_cmd_run(&c, gate_ops_find(c.backend));
	else if (status < 0)
		status = EX_MD_OK;
	target_free(c.t);
	gate_argv_free(c.spec.close_argv);
	gate_argv_free(c.spec.open_argv);
	fflush(stdout);
	return status;
}
