/*
 * memdiag dump --target T: take the proxy's memory dumps now, safely, and
 * print them as analyze does. The order of start-up is the order of
 * safety: restore what a dead run left behind, take the target's lock,
 * find its RPC socket and log, save settings before changing them, and
 * restore them on every way out, interrupted or not.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "calls/sip.h"
#include "engine/attach.h"
#include "calls/sipmsg.h"
#include "face/cmd.h"
#include "face/cmdline.h"
#include "face/conf.h"
#include "gate/gate.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/dumper.h"
#include "proxy/settings.h"
#include "proxy/target.h"
#include "report/report.h"

struct dump_cmd {
	const char *target, *rpc, *log, *statedir, *rundir;
	bool json, full, shm, pkg;
	double timeout;
	struct event_base *base;	/* the dumper's and the waker's */
	struct sip *sip;
	unsigned wakes;
};

const char dump_cmd_synopsis[] = "dump --target TARGET "
    "[--pool shm|pkg|all] [--json] [--full]\n"
    "           [--rpc SOCKET] [--log FILE|journal[:UNIT]|syslog:PATH] "
    "[--timeout S]\n"
    "           [--state-dir DIR] [--run-dir DIR] [--proxy-exe LIST]";

static void
usage(FILE *f)
{
	fprintf(f, "usage: memdiag %s\n", dump_cmd_synopsis);
}

static void
wake(void *arg)
{
	struct dump_cmd *c = arg;
	char branch[64], callid[64], from[96], uri[96];
	struct sipmsg_req r;
	osip_message_t *m;

	if (c->sip == NULL)
		return;
	snprintf(branch, sizeof(branch), "z9hG4bKmdw%u", c->wakes);
	snprintf(callid, sizeof(callid), "memdiag-wake-%d-%u", (int)getpid(),
	    c->wakes);
	snprintf(from, sizeof(from), "<sip:memdiag@%s>;tag=w%u",
	    sip_local_host(c->sip), c->wakes);
	snprintf(uri, sizeof(uri), "sip:%s:%u", sip_proxy_host(c->sip),
	    sip_proxy_port(c->sip));
	memset(&r, 0, sizeof(r));
	r.method = "OPTIONS";
	r.ruri = uri;
	r.from = from;
	r.to = "<sip:ping@memdiag.invalid>";
	r.call_id = callid;
	r.cseq = 1;
	r.via_host = sip_local_host(c->sip);
	r.via_port = sip_local_port(c->sip);
	r.branch = branch;
	c->wakes++;
	if ((m = sipmsg_request_new(&r)) == NULL)
		return;
	(void)sip_send(c->sip, m);
	osip_message_free(m);
}

/* The wake-ups' answers (200 to OPTIONS) are read and dropped: the
 * engine's socket lives on the dumper's event base. */
static bool
waker_unmatched(void *arg, osip_message_t *m)
{
	(void)arg;
	(void)m;
	return false;
}

static void
waker_response(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	(void)arg;
	(void)tr;
	(void)m;
}

static void
waker_timeout(void *arg, osip_transaction_t *tr)
{
	(void)arg;
	(void)tr;
}

static void
waker_request(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	(void)arg;
	(void)tr;
	(void)m;
}

/* A socket towards the proxy's first UDP address, to wake idle workers. */
static void
open_waker(struct dump_cmd *c, const struct target *t)
{
	static const struct sip_hooks none = {
		.response = waker_response,
		.timeout = waker_timeout,
		.unmatched = waker_unmatched,
		.request = waker_request,
	};
	char proxy[INET6_ADDRSTRLEN + 16];
	size_t i;
	int status;

	for (i = 0; target_udp_hostport(t, i, proxy, sizeof(proxy)); i++) {
		c->sip = sip_new(c->base, proxy, &none, NULL, &status);
		if (c->sip != NULL)
			return;
	}
	log_warnx("no UDP address to wake idle workers on: their pkg dumps "
	    "may need SIGUSR1");
}

static json_t *
notes_json(const struct dumper_result *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nnotes; i++) {
		const struct dumper_note *n = &r->notes[i];

		json_array_append_new(a, json_pack("{s:i, s:o, s:s?, s:s, s:s?}",
		    "pid", (int)n->pid, "rank", n->rank >= 0 ?
		    json_integer(n->rank) : json_null(), "role", n->role,
		    "path", dumper_path_name(n->path), "problem", n->problem));
	}
	return a;
}

static void
print_result(const struct dump_cmd *c, const struct dumper_result *r,
    bool restored)
{
	size_t i;

	if (c->json) {
		json_t *j = report_analyze_json(r->dumps);

		json_object_set_new(j, "processes", notes_json(r));
		json_object_set_new(j, "settings_restored",
		    json_boolean(restored));
		json_object_set_new(j, "log_problem", r->log_problem ?
		    json_string(r->log_problem) : json_null());
		report_print_json(stdout, j);
		json_decref(j);
		return;
	}
	report_analyze_text(stdout, "dumps taken now", r->dumps);
	printf("\nhow each process was asked:\n");
	for (i = 0; i < r->nnotes; i++) {
		const struct dumper_note *n = &r->notes[i];

		printf("  %-8s pid %-7d rank %-3d %s%s%s\n",
		    dumper_path_name(n->path), (int)n->pid, n->rank,
		    n->role ? n->role : "?", n->problem ? ": " : "",
		    n->problem ? n->problem : "");
	}
	printf("settings restored: %s\n", restored ? "yes" : "NO");
}

static int
parse_args(struct dump_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "pool", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "full", no_argument, NULL, 'F' },
		{ "rpc", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "proxy-exe", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	c->shm = c->pkg = true;
	c->timeout = 10;
	c->statedir = MEMDIAG_STATEDIR;
	c->rundir = MEMDIAG_RUNDIR;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:p:jFr:l:T:S:R:X:h", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
			c->target = optarg;
			break;
		case 'p':
			c->shm = strcmp(optarg, "shm") == 0 ||
			    strcmp(optarg, "all") == 0;
			c->pkg = strcmp(optarg, "pkg") == 0 ||
			    strcmp(optarg, "all") == 0;
			if (!c->shm && !c->pkg) {
				log_warnx("--pool: shm, pkg or all, not \"%s\"",
				    optarg);
				return EX_MD_USAGE;
			}
			break;
		case 'j':
			c->json = true;
			break;
		case 'F':
			c->full = true;
			break;
		case 'r':
			c->rpc = optarg;
			break;
		case 'l':
			c->log = optarg;
			break;
		case 'T':
			c->timeout = strtod(optarg, NULL);
			if (c->timeout <= 0 || c->timeout > 600) {
				log_warnx("--timeout: 0 to 600 seconds");
				return EX_MD_USAGE;
			}
			break;
		case 'S':
			c->statedir = optarg;
			break;
		case 'R':
			c->rundir = optarg;
			break;
		case 'X':
			if (cmdline_proxy_exe(optarg) != 0)
				return EX_MD_USAGE;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EX_MD_USAGE;
		}
	}
	if (c->target == NULL || optind != argc) {
		usage(stderr);
		return EX_MD_USAGE;
	}
	return 0;
}

int
dump_main(int argc, char **argv)
{
	struct dump_cmd c = { 0 };
	struct dumper_opts o = { 0 };
	struct dumper_result res = { 0 };
	struct settings *s = NULL;
	struct attach_opts ao = { .lock = true, .need_rpc = true,
		.need_log = true };
	struct attach a = { .lockfd = -1 };
	char err[1024], rerr[512], *rpc, *logspec;
	struct target *t;
	int r;
	bool restored = true;
	size_t i, missing = 0;

	if ((r = parse_args(&c, argc, argv)) != 0)
		return r < 0 ? EX_MD_OK : r;
	ao.target = c.target;
	ao.rpc = c.rpc;
	ao.log = c.log;
	ao.statedir = c.statedir;
	ao.rundir = c.rundir;
	if ((r = attach_open(&ao, &a, err, sizeof(err))) != 0)
		goto out;
	t = a.t;
	rpc = a.rpc;
	logspec = a.log;
	if ((c.base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
	o.shm = c.shm;
	o.pkg = c.pkg;
	o.full = c.full;
	o.timeout = c.timeout;
	o.wake = wake;
	o.wake_arg = &c;
	/* OpenSIPS: over its MI, at a level it logs, nothing to restore */
	if (strcmp(t->flavour, "opensips") != 0) {
		s = settings_new(c.statedir, t, rpc);
		if (c.pkg)
			open_waker(&c, t);
	}
	r = dumper_run(c.base, t, s, rpc, logspec, &o, &res, err, sizeof(err));
	/* every way out of dumper_run passes here */
	if (s != NULL && !(restored = settings_restore(s, rerr,
	    sizeof(rerr))))
		log_warnx("%s (saved in %s; the next start or memdiag cleanup "
		    "restores it)", rerr, s->path);
	if (r != 0)
		goto out;
	print_result(&c, &res, restored);
	for (i = 0; i < res.nnotes; i++)
		if (res.notes[i].problem != NULL) {
			log_warnx("pid %d (%s): %s", (int)res.notes[i].pid,
			    res.notes[i].role ? res.notes[i].role : "?",
			    res.notes[i].problem);
			missing++;
		}
	if (res.interrupted) {
		snprintf(err, sizeof(err), "interrupted before every dump was "
		    "taken");
		r = EX_MD_UNKNOWN;
	} else if (res.dumps->ndumps == 0) {
		snprintf(err, sizeof(err), "no dump arrived in %s", logspec);
		r = EX_MD_UNAVAILABLE;
	} else if (missing > 0) {
		snprintf(err, sizeof(err), "%zu of %zu processes gave no "
		    "complete dump", missing, res.nnotes);
		r = EX_MD_UNKNOWN;
	} else if (!restored)
		r = EX_MD_INTERNAL;
	else
		r = res.dumps->ncorruption > 0 ? EX_MD_CRITICAL : EX_MD_OK;
	if (r == EX_MD_CRITICAL || r == EX_MD_OK)
		err[0] = '\0';
out:
	if (r != EX_MD_OK && err[0] != '\0')
		log_warnx("%s", err);
	dumper_result_clear(&res);
	if (c.sip != NULL)
		sip_free(c.sip);
	if (c.base != NULL)
		event_base_free(c.base);
	settings_free(s);
	attach_close(&a);
	return r;
}
