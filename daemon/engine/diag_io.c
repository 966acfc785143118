/*
 * What the diagnosis drives: the gate (closed around memdiag's own
 * sockets, refreshed on a timer, opened at the budget), the rounds of
 * test calls, the proxy's log (memory errors while it runs) and the
 * per-process pkg samples.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/memerr.h"
#include "engine/diag_priv.h"
#include "engine/hold.h"
#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"

#define DIAG_ELEMENT_TIMEOUT GATE_ELEMENT_TIMEOUT_MAX
#define DIAG_WAKE_MS 500

/* The proxy's first UDP address (a wildcard: loopback), or --proxy. */
int
diag_proxy_addr(struct diag *d)
{
	if (d->o->proxy != NULL) {
		snprintf(d->proxy, sizeof(d->proxy), "%s", d->o->proxy);
		return 0;
	}
	if (target_udp_hostport(d->t, 0, d->proxy, sizeof(d->proxy)))
		return 0;
	snprintf(d->err, sizeof(d->err), "%s pid %d listens on no UDP "
	    "address for test calls: give --proxy HOST:PORT", d->t->flavour,
	    (int)d->t->main.pid);
	return EX_MD_UNAVAILABLE;
}

/* The gate opened by itself while the diagnosis held it closed. */
static void
on_hold_ended(void *arg, enum hold_end why, const char *text)
{
	struct diag *d = arg;

	diag_gate_open(d);
	switch (why) {
	case HOLD_REFRESH_FAILED:
		diag_fail(d, EX_MD_INTERNAL, "gate refresh: %s", text);
		break;
	case HOLD_PROXY_EXIT:	/* not asked: the diagnosis watches it */
		break;
	case HOLD_BUDGET:
		d->budget_spent = true;
		/* users first: it opened now, even in the middle of a dump */
		if (d->state == DIAG_QUIET || d->state == DIAG_CALLS) {
			d->rounds[d->round].quiet = false;
			diag_calls_end(d);
			diag_enter_state(d, DIAG_FINISH);
		}
		break;
	}
}

/*
 * Before anything is gated: the gate's network namespace, the calls it
 * would hurt (refused without --force), the addresses it gates and lets
 * through (engine/hold.c, as memdiag gate does). 0, or a status.
 */
int
diag_harm_check(struct diag *d)
{
	struct hold_opts ho = { 0 };
	struct gate_spec spec;
	struct px_harm harm;
	size_t i;
	int st;

	if (d->o->passive || strcmp(d->o->gate, "none") == 0)
		return 0;
	memset(&spec, 0, sizeof(spec));
	for (i = 0; i < d->o->npeers; i++) {
		struct addr a;
		char perr[256];

		if (addr_parse(d->o->peers[i], false, &a, perr,
		    sizeof(perr)) != 0) {
			snprintf(d->err, sizeof(d->err), "peer %s", perr);
			return EX_MD_CONFIG;
		}
		gate_spec_add(spec.peers, &spec.npeers, &a);
	}
	/* borrowed: the caller's vectors outlive the run */
	spec.close_argv = (char **)d->o->hook_close;
	spec.open_argv = (char **)d->o->hook_open;
	spec.element_timeout = DIAG_ELEMENT_TIMEOUT;
	spec.budget = d->o->gate_budget;
	spec.hook_timeout = 10;
	ho.backend = d->o->gate;
	ho.rundir = d->o->rundir;
	ho.force = d->o->force;
	ho.spec = &spec;
	d->gate.hold = hold_new(d->base, &ho, d->t, d->px, on_hold_ended, d,
	    &harm, &st, d->err, sizeof(d->err));
	if (d->gate.hold == NULL)
		return st;
	if (harm.contacts_known && harm.expiring > 0)
		log_warnx("%u of %u registered contacts expire within the "
		    "gate's budget (%u s) and cannot be refreshed while gated",
		    harm.expiring, harm.contacts, spec.budget);
	return 0;
}

/* 0, or a status (with d->status and d->err set) */
int
diag_gate_close(struct diag *d)
{
	int st;

	if (d->gate.hold == NULL)
		return 0;
	if ((st = hold_close(d->gate.hold, d->calls.eng, d->err,
			     sizeof(d->err))) != 0)
		d->status = st;
	return st;
}

void
diag_gate_open(struct diag *d)
{
	char err[512];

	if (d->gate.hold == NULL)
		return;
	if (hold_open(d->gate.hold, err, sizeof(err)) != 0) {
		log_warnx("opening the gate: %s (memdiag cleanup retries)",
		    err);
		if (d->status == 0) {
			d->status = EX_MD_INTERNAL;
			snprintf(d->err, sizeof(d->err), "%s", err);
		}
	}
	d->gate.closed_s = hold_closed_seconds(d->gate.hold);
	d->gate.lapses = hold_lapses(d->gate.hold);
}

static void
on_batch(struct call_batch *b, void *arg)
{
	struct diag *d = arg;

	(void)b;
	if (call_engine_hops(d->calls.eng) > 1) {
		diag_stop(d, "test calls crossed %u proxies to reach memdiag, "
		    "not one: the proxy routes them on (memdiag(8), test "
		    "calls)", call_engine_hops(d->calls.eng));
		return;
	}
	diag_calls_end(d);
	if (d->state == DIAG_CALLS)
		diag_enter_state(d, DIAG_QUIET);
}

/* N, N, 2N, 2N ...: a leak adds in proportion, a timer does not */
unsigned
diag_round_calls(const struct diag *d, int round)
{
	return round <= 2 ? d->o->calls : 2 * d->o->calls;
}

void
diag_calls_start(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];
	struct call_batch_params p;
	char err[256];

	memset(&p, 0, sizeof(p));
	r->calls = p.calls = diag_round_calls(d, d->round);
	p.rate = d->calls.rate;
	p.concurrency = d->calls.concurrency;
	if (callstat_mix_parse(&p.mix, d->o->mix, err, sizeof(err)) != 0) {
		diag_fail(d, EX_MD_USAGE, "--mix: %s", err);
		return;
	}
	r->peak_used = d->shm.used;
	log_info("round %d: %u test calls at %.0f calls/s, %u in flight",
	    d->round, p.calls, p.rate, p.concurrency);
	d->calls.batch = call_batch_start(d->calls.eng, &p, on_batch, d);
}

/* Count what the round's calls came to, and end those in flight. */
void
diag_calls_end(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];
	struct callstat_totals t;

	if (d->calls.batch == NULL)
		return;
	callstat_totals(call_batch_stat(d->calls.batch), &t);
	r->completed = t.completed;
	r->failed = r->calls - t.completed;
	log_info("round %d: %llu of %u calls completed", d->round,
	    (unsigned long long)t.completed, r->calls);
	call_batch_free(d->calls.batch);
	d->calls.batch = NULL;
}

static void
ignore_ping(void *arg, int code)
{
	(void)arg;
	(void)code;
}

/* Wake an idle worker for its pkg dump, from an exempt socket. */
void
diag_wake(void *arg)
{
	struct diag *d = arg;

	if (d->calls.eng != NULL)
		call_engine_ping(d->calls.eng, DIAG_WAKE_MS, ignore_ping, NULL);
}

/*
 * A memory error on one of memdiag's own calls (Debian's stock config
 * logs each request's Call-ID in its log_prefix): its calls are adding to
 * the exhaustion it came to diagnose, so it stops at the first.
 */
static void
own_failure(struct diag *d, const char *line, size_t len)
{
	enum dump_pool pool;
	const char *tag;

	if (d->calls.eng == NULL ||
	    (tag = call_engine_tag(d->calls.eng)) == NULL ||
	    memmem(line, len, tag, strlen(tag)) == NULL ||
	    !memerr_classify(line, len, &pool))
		return;
	if (d->log.own_failures++ > 0)
		return;
	diag_stop(d, "the proxy failed to allocate %s memory for memdiag's "
	    "own test traffic (\"%.*s\"): stopped at once, so as not to add "
	    "to the exhaustion; it is out of memory now, run again after it "
	    "recovered or with fewer --calls", pool == DUMP_POOL_PKG ? "pkg" :
	    "shm", (int)(len > 160 ? 160 : len), line);
}

static void
own_failure_line(void *arg, const char *line, size_t len)
{
	own_failure(arg, line, len);
}

static void
tail_data(void *arg, const char *buf, size_t len)
{
	struct diag *d = arg;

	dump_parser_feed(d->log.parser, buf, len);
	linebuf_feed(&d->log.tail_lines, buf, len, own_failure_line, d);
}

static void
tail_message(void *arg, long pid, const char *msg, size_t len)
{
	struct diag *d = arg;

	dump_parser_message(d->log.parser, pid, msg, len);
	own_failure(d, msg, len);
}

static void
tail_event(void *arg, enum logtail_event e, const char *text)
{
	(void)arg;
	(void)e;
	log_warnx("%s", text);
}

static const struct logtail_ops diag_tail_ops = {
	.data = tail_data,
	.message = tail_message,
	.event = tail_event,
};

bool
diag_tail_check(struct diag *d, char *err, size_t errlen)
{
	struct logtail *lt = logtail_new(d->base, d->logspec, &diag_tail_ops,
	    d, err, errlen);

	if (lt == NULL)
		return false;
	logtail_free(lt);
	return true;
}

/*
 * Follow the log outside the dumps (the dumper follows it itself, and a
 * syslog socket can be bound only once).
 */
void
diag_tail_open(struct diag *d)
{
	char err[512];
	pid_t *pids;
	size_t i;

	if (d->log.lt != NULL)
		return;
	if (d->log.parser == NULL)
		d->log.parser = dump_parser_new();
	if ((d->log.lt = logtail_new(d->base, d->logspec, &diag_tail_ops, d,
				     err, sizeof(err))) == NULL) {
		log_warnx("%s: memory errors during the run go unseen", err);
		return;
	}
	pids = xcalloc(d->t->nkids + 1, sizeof(*pids));
	pids[0] = d->t->main.pid;
	for (i = 0; i < d->t->nkids; i++)
		pids[i + 1] = d->t->kids[i].pid;
	logtail_set_pids(d->log.lt, pids, d->t->nkids + 1);
	free(pids);
}

void
diag_tail_close(struct diag *d)
{
	if (d->log.lt == NULL)
		return;
	logtail_poll(d->log.lt);
	logtail_free(d->log.lt);
	d->log.lt = NULL;
}

/* "udp receiver child=1 sock=127.0.0.1:5060" -> "udp receiver" */
char *
diag_role_group(const char *desc)
{
	const char *e;

	if (desc == NULL)
		return xstrdup("?");
	/* OpenSIPS: "SIP receiver udp:127.0.0.1:5060" */
	if ((e = strstr(desc, " child=")) == NULL &&
	    ((e = strrchr(desc, ' ')) == NULL || strchr(e, ':') == NULL))
		e = desc + strlen(desc);
	return xstrndup(desc, (size_t)(e - desc));
}

void
diag_pkg_free(struct diag_pkg *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].group);
	free(p);
}

/* The round's highest pkg per group, while calls run. */
static void
pkg_peak(struct diag *d, struct diag_round *r)
{
	size_t i, j;

	for (i = 0; i < d->npkg; i++) {
		uint64_t sum = 0;

		for (j = 0; j < d->npkg; j++)
			if (strcmp(d->pkg[i].group, d->pkg[j].group) == 0)
				sum += d->pkg[j].used;
		for (j = 0; j < r->npkg_peak; j++)
			if (strcmp(r->pkg_peak[j].group, d->pkg[i].group) == 0)
				break;
		if (j == r->npkg_peak) {
			r->pkg_peak = xreallocarray(r->pkg_peak,
			    r->npkg_peak + 1, sizeof(*r->pkg_peak));
			r->pkg_peak[j].pid = d->pkg[i].pid;
			r->pkg_peak[j].group = xstrdup(d->pkg[i].group);
			r->pkg_peak[j].used = 0;
			r->npkg_peak++;
		}
		if (sum > r->pkg_peak[j].used)
			r->pkg_peak[j].used = sum;
	}
}

/* The new sample; true when any process's pkg moved. */
bool
diag_pkg_update(struct diag *d, const struct rpc_kam_pkg_stats *st)
{
	struct diag_pkg *p = xcalloc(st->n ? st->n : 1, sizeof(*p));
	bool changed = st->n != d->npkg;
	size_t i;

	for (i = 0; i < st->n; i++) {
		p[i].pid = (long)st->procs[i].pid;
		p[i].group = diag_role_group(st->procs[i].desc);
		p[i].used = st->procs[i].used;
		if (!changed && (d->pkg[i].pid != p[i].pid ||
		    d->pkg[i].used != p[i].used))
			changed = true;
	}
	diag_pkg_free(d->pkg, d->npkg);
	d->pkg = p;
	d->npkg = st->n;
	pkg_peak(d, &d->rounds[d->round]);
	return changed;
}

void
diag_pkg_keep(struct diag *d, struct diag_round *r)
{
	size_t i;

	diag_pkg_free(r->pkg, r->npkg);
	r->pkg = xcalloc(d->npkg ? d->npkg : 1, sizeof(*r->pkg));
	for (i = 0; i < d->npkg; i++) {
		r->pkg[i] = d->pkg[i];
		r->pkg[i].group = xstrdup(d->pkg[i].group);
	}
	r->npkg = d->npkg;
}

void
diag_note_dumps(struct diag *d, const struct dumper_result *r)
{
	size_t i;

	(void)d;
	for (i = 0; i < r->nnotes; i++)
		if (r->notes[i].problem != NULL)
			log_warnx("pid %d (%s): %s", (int)r->notes[i].pid,
			    r->notes[i].role ? r->notes[i].role : "?",
			    r->notes[i].problem);
	if (r->log_problem != NULL)
		log_warnx("the log broke during a dump: %s", r->log_problem);
}

void
diag_round_clear(struct diag_round *r)
{
	diag_pkg_free(r->pkg, r->npkg);
	diag_pkg_free(r->pkg_peak, r->npkg_peak);
	r->pkg = r->pkg_peak = NULL;
	r->npkg = r->npkg_peak = 0;
}
