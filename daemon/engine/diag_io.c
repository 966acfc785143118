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

#include "engine/diag_priv.h"
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

/* A gate drops the in-dialog requests of calls in progress. */
int
diag_harm_check(struct diag *d)
{
	struct rpc_kam_dlg_active a;
	struct rpc_result *r;
	char mine[64] = "", its[64] = "", path[64];
	ssize_t n;
	int st = 0;

	if (d->o->passive || strcmp(d->o->gate, "none") == 0)
		return 0;
	if (strcmp(d->o->gate, "nft") == 0) {
		if ((n = readlink("/proc/self/ns/net", mine,
		    sizeof(mine) - 1)) > 0)
			mine[n] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/ns/net",
		    (int)d->t->main.pid);
		if ((n = readlink(path, its, sizeof(its) - 1)) > 0)
			its[n] = '\0';
		if (its[0] != '\0' && strcmp(mine, its) != 0) {
			snprintf(d->err, sizeof(d->err), "%s pid %d runs in "
			    "another network namespace: a gate here would gate "
			    "nothing; run memdiag in the proxy's namespace",
			    d->t->flavour, (int)d->t->main.pid);
			return EX_MD_REFUSED;
		}
	}
	r = rpc_sync(d->rpcaddr, rpc_kam_req_dlg_active(), 3.0);
	if (rpc_kam_dlg_active(r, &a) == 0 && a.all > 0 && !d->o->force) {
		snprintf(d->err, sizeof(d->err), "%llu calls are active: the "
		    "gate would drop their in-dialog requests; give --force to "
		    "gate anyway, or --gate none", (unsigned long long)a.all);
		st = EX_MD_REFUSED;
	}
	rpc_result_free(r);
	return st;
}

static void
on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;
	enum gate_result r;
	char err[512];

	(void)fd;
	(void)what;
	if (d->gate == NULL || !d->gate->closed)
		return;
	r = gate_refresh(d->gate, gate_fail_safe(DIAG_ELEMENT_TIMEOUT,
	    d->o->gate_budget - (clock_mono() - d->gate_closed_at)), err,
	    sizeof(err));
	if (r == GATE_LAPSED)
		d->lapses++;
	else if (r != GATE_OK)
		diag_fail(d, EX_MD_INTERNAL, "gate refresh: %s", err);
}

static void
on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	log_warnx("the gate's budget (%u s) is spent: opening it",
	    d->o->gate_budget);
	d->budget_spent = true;
	/* users first: open now, even in the middle of a dump */
	diag_gate_open(d);
	if (d->state == DIAG_QUIET || d->state == DIAG_CALLS) {
		d->rounds[d->round].quiet = false;
		diag_calls_end(d);
		diag_enter_state(d, DIAG_FINISH);
	}
}

static void
exempt_engine(struct diag *d)
{
	struct sip_socket s[8];
	size_t i, n = call_engine_sockets(d->eng, s, 8);

	for (i = 0; i < n && i < 8; i++)
		gate_spec_add_sockaddr(d->spec.self, &d->spec.nself,
		    &s[i].addr, IPPROTO_UDP);
}

/* 0, or a status (with d->status and d->err set) */
int
diag_gate_close(struct diag *d)
{
	const struct gate_ops *ops = gate_ops_find(d->o->gate);
	struct procfs_stat me;
	enum gate_result r = GATE_OK;
	char what[2048];
	size_t i;
	int st;

	if (strcmp(d->o->gate, "none") == 0)
		return 0;
	for (i = 0; i < d->t->nlisten; i++) {
		const struct addr *l = &d->t->listen[i];
		struct addr a;

		memset(&a, 0, sizeof(a));
		a.family = l->family;
		a.proto = l->proto;
		memcpy(a.addr, l->addr, sizeof(a.addr));
		a.port = l->port;
		gate_spec_add(d->spec.gated, &d->spec.ngated, &a);
	}
	exempt_engine(d);
	for (i = 0; i < d->o->npeers; i++) {
		struct addr a;
		char perr[256];

		if (addr_parse(d->o->peers[i], false, &a, perr,
		    sizeof(perr)) != 0) {
			snprintf(d->err, sizeof(d->err), "peer %s", perr);
			return d->status = EX_MD_CONFIG;
		}
		gate_spec_add(d->spec.peers, &d->spec.npeers, &a);
	}
	/* borrowed: the caller's vectors outlive the run */
	d->spec.close_argv = (char **)d->o->hook_close;
	d->spec.open_argv = (char **)d->o->hook_open;
	if (!procfs_read_stat(getpid(), &me))
		fatal(EX_MD_INTERNAL, "/proc/self/stat");
	d->spec.owner_pid = getpid();
	d->spec.owner_starttime = me.starttime;
	d->spec.element_timeout = DIAG_ELEMENT_TIMEOUT;
	d->spec.budget = d->o->gate_budget;
	d->spec.hook_timeout = 10;
	if ((st = gate_spec_check(&d->spec, ops, d->err,
	    sizeof(d->err))) != 0) {
		d->status = st;
		return st;
	}
	gate_spec_describe(&d->spec, what, sizeof(what));
	log_info("gate %s: %s", ops->name, what);
	d->gate = gate_new(ops, &d->spec, d->o->rundir, d->err,
	    sizeof(d->err), &r);
	if (d->gate == NULL || (r = gate_close(d->gate,
	    DIAG_ELEMENT_TIMEOUT < d->spec.budget ? DIAG_ELEMENT_TIMEOUT :
	    d->spec.budget, d->err, sizeof(d->err))) != GATE_OK) {
		d->status = r == GATE_DENIED ? EX_MD_REFUSED : EX_MD_INTERNAL;
		return d->status;
	}
	d->gate_closed_at = clock_mono();
	d->refresh_ev = event_new(d->base, -1, EV_PERSIST, on_refresh, d);
	d->budget_ev = event_new(d->base, -1, 0, on_budget, d);
	{
		double iv = gate_refresh_interval(DIAG_ELEMENT_TIMEOUT);
		struct timeval tv = { (time_t)iv,
			(suseconds_t)((iv - (double)(time_t)iv) * 1e6) };
		struct timeval bv = { (time_t)d->o->gate_budget, 0 };

		event_add(d->refresh_ev, &tv);
		event_add(d->budget_ev, &bv);
	}
	return 0;
}

void
diag_gate_open(struct diag *d)
{
	char err[512];

	if (d->refresh_ev != NULL)
		event_del(d->refresh_ev);
	if (d->budget_ev != NULL)
		event_del(d->budget_ev);
	if (d->gate == NULL || !d->gate->closed)
		return;
	if (gate_open(d->gate, err, sizeof(err)) != GATE_OK) {
		log_warnx("opening the gate: %s (memdiag cleanup retries)",
		    err);
		if (d->status == 0) {
			d->status = EX_MD_INTERNAL;
			snprintf(d->err, sizeof(d->err), "%s", err);
		}
	}
	d->gate_closed_s = clock_mono() - d->gate_closed_at;
	log_info("gate %s opened after %.1f s", d->gate->ops->name,
	    d->gate_closed_s);
}

static void
on_batch(struct call_batch *b, void *arg)
{
	struct diag *d = arg;

	(void)b;
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
	p.rate = d->rate;
	p.concurrency = d->concurrency;
	if (callstat_mix_parse(&p.mix, d->o->mix, err, sizeof(err)) != 0) {
		diag_fail(d, EX_MD_USAGE, "--mix: %s", err);
		return;
	}
	r->peak_used = d->shm.used;
	log_info("round %d: %u test calls at %.0f calls/s, %u in flight",
	    d->round, p.calls, p.rate, p.concurrency);
	d->batch = call_batch_start(d->eng, &p, on_batch, d);
}

/* Count what the round's calls came to, and end those in flight. */
void
diag_calls_end(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];
	struct callstat_totals t;

	if (d->batch == NULL)
		return;
	callstat_totals(call_batch_stat(d->batch), &t);
	r->completed = t.completed;
	r->failed = r->calls - t.completed;
	log_info("round %d: %llu of %u calls completed", d->round,
	    (unsigned long long)t.completed, r->calls);
	call_batch_free(d->batch);
	d->batch = NULL;
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

	if (d->eng != NULL)
		call_engine_ping(d->eng, DIAG_WAKE_MS, ignore_ping, NULL);
}

static void
tail_data(void *arg, const char *buf, size_t len)
{
	struct diag *d = arg;

	dump_parser_feed(d->parser, buf, len);
}

static void
tail_message(void *arg, long pid, const char *msg, size_t len)
{
	struct diag *d = arg;

	dump_parser_message(d->parser, pid, msg, len);
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

	if (d->lt != NULL)
		return;
	if (d->parser == NULL)
		d->parser = dump_parser_new();
	if ((d->lt = logtail_new(d->base, d->logspec, &diag_tail_ops, d, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s: memory errors during the run go unseen", err);
		return;
	}
	pids = xcalloc(d->t->nkids + 1, sizeof(*pids));
	pids[0] = d->t->main.pid;
	for (i = 0; i < d->t->nkids; i++)
		pids[i + 1] = d->t->kids[i].pid;
	logtail_set_pids(d->lt, pids, d->t->nkids + 1);
	free(pids);
}

void
diag_tail_close(struct diag *d)
{
	if (d->lt == NULL)
		return;
	logtail_poll(d->lt);
	logtail_free(d->lt);
	d->lt = NULL;
}

/* "udp receiver child=1 sock=127.0.0.1:5060" -> "udp receiver" */
static char *
role_group(const char *desc)
{
	const char *e;

	if (desc == NULL)
		return xstrdup("?");
	if ((e = strstr(desc, " child=")) == NULL)
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
		p[i].group = role_group(st->procs[i].desc);
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
