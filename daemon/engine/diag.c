/*
 * The diagnosis state machine. Every state has a deadline armed by
 * diag_enter_state(); every way out (the end, an error, a signal, the
 * gate's budget) passes through DIAG_FINISH, which opens the gate and
 * restores the proxy's settings before anything is judged or printed.
 *
 *   PREFLIGHT -> QUIET(baseline) -> DUMP -> CALLS(1) -> QUIET -> DUMP
 *   -> ... CALLS(R) -> QUIET -> DUMP -> FINISH
 *
 * DUMP runs the dumper on this same base from outside its dispatch (the
 * dumper spins the base itself), so the gate's refresh and budget timers
 * keep firing while the proxy prints its dumps.
 */
#include <sys/syscall.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/attach.h"
#include "engine/diag.h"
#include "engine/diag_priv.h"
#include "engine/hold.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/rpc_kam.h"

void
diag_opts_defaults(struct diag_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gate = "nft";
	o->gate_budget = GATE_BUDGET_DEFAULT;
	o->quiet_max = 60;
	o->settle = 6;	/* tm's wait timer is ~5 s */
	o->calls = 100;
	o->rounds = 3;
	o->mode = CALL_MODE_DIRECT;
	o->mode_auto = true;
	o->statedir = MEMDIAG_STATEDIR;
	o->rundir = MEMDIAG_RUNDIR;
	o->status_fd = -1;
}

#define DIAG_SAMPLE_EVERY 0.5	/* s between core.shmmem samples */
#define DIAG_RPC_TIMEOUT 2.0
#define DIAG_RPC_FAILURES 4	/* consecutive failed samples: give up */
#define DIAG_PING_MS 3000
#define DIAG_PREFLIGHT_S 10.0
#define DIAG_PROBE_MS 4000	/* the direct call that picks the mode */
#define DIAG_DUMP_TIMEOUT 10.0
#define DIAG_CALL_BYTES 29000.0	/* shm a call holds (Kamailio 5.6) ... */
#define DIAG_CALL_LIFE 5.5	/* ... for this long after it ends */
#define DIAG_RATE 50.0		/* modest start: calls/s ... */
#define DIAG_CONCURRENCY 20	/* ... and calls in flight */
#define DIAG_FREE_SHARE 0.5	/* test calls may hold this much of free shm */
#define DIAG_LOW_FREE 0.35	/* of the baseline's free shm: lower the
				 * load below it (it was to hold 0.5) */

static const char *
diag_state_name(enum diag_state s)
{
	static const char *names[] = { "START", "PREFLIGHT", "QUIET", "DUMP",
		"CALLS", "FINISH" };

	return names[s];
}

static void
arm(struct event *ev, double secs)
{
	struct timeval tv = clock_tv(secs);

	event_add(ev, &tv);
}

static double
budget_left(const struct diag *d)
{
	if (!hold_closed(d->hold))
		return 1e9;
	return hold_budget_left(d->hold);
}

/* This state's deadline, in seconds from now. */
static double
state_deadline(const struct diag *d, enum diag_state s)
{
	double t, calls;

	switch (s) {
	case DIAG_PREFLIGHT:
		return DIAG_PREFLIGHT_S;
	case DIAG_QUIET:
		t = d->o->quiet_max;
		return t < budget_left(d) ? t : budget_left(d);
	case DIAG_CALLS:
		/* paced calls, then the slowest possible end (64*T1) */
		calls = diag_round_calls(d, d->round);
		return calls / (d->rate > 1 ? d->rate : 1) * 4 + 40;
	default:
		return -1;	/* DUMP: the dumper's own per-process timeouts */
	}
}

void
diag_enter_state(struct diag *d, enum diag_state s)
{
	double dl = state_deadline(d, s);

	if ((s == DIAG_QUIET || s == DIAG_DUMP) && d->round == 0)
		log_info("diag: %s -> %s (baseline)", diag_state_name(d->state),
		    diag_state_name(s));
	else if (s == DIAG_QUIET || s == DIAG_DUMP || s == DIAG_CALLS)
		log_info("diag: %s -> %s (round %d)", diag_state_name(d->state),
		    diag_state_name(s), d->round);
	else
		log_info("diag: %s -> %s", diag_state_name(d->state),
		    diag_state_name(s));
	d->state = s;
	d->state_since = clock_mono();
	if (s == DIAG_QUIET || s == DIAG_DUMP)
		d->acted = true;
	diag_timeline_phase(d, diag_state_name(s));
	diag_progress_phase(d, diag_state_name(s));
	event_del(d->deadline_ev);
	if (dl >= 0)
		arm(d->deadline_ev, dl);
	if (s == DIAG_QUIET || s == DIAG_CALLS) {
		diag_tail_open(d);
		d->flat_since = clock_mono();
		event_del(d->sample_ev);
		arm(d->sample_ev, 0);
	} else {
		event_del(d->sample_ev);
		diag_tail_close(d);
	}
	/* DUMP and FINISH run outside the loop */
	if (s == DIAG_DUMP || s == DIAG_FINISH)
		event_base_loopbreak(d->base);
	if (s == DIAG_CALLS)
		diag_calls_start(d);
}

/* Stop with status (and err), through FINISH. */
void
diag_fail(struct diag *d, int status, const char *fmt, ...)
{
	va_list ap;

	if (d->status == 0) {
		d->status = status;
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof(d->err), fmt, ap);
		va_end(ap);
	}
	if (d->state != DIAG_DUMP && d->state != DIAG_FINISH)
		diag_enter_state(d, DIAG_FINISH);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;
	struct diag_round *r = &d->rounds[d->round];

	(void)fd;
	(void)what;
	switch (d->state) {
	case DIAG_PREFLIGHT:
		diag_fail(d, EX_MD_UNAVAILABLE, "preflight did not finish "
		    "within %.0f s", DIAG_PREFLIGHT_S);
		break;
	case DIAG_QUIET:
		log_warnx("memory did not stay flat for %.0f s within %.0f s%s",
		    d->o->settle, clock_mono() - d->state_since,
		    budget_left(d) <= 0 ? " (the gate's budget is spent)" : "");
		r->quiet = false;
		r->settled_used = d->shm.used;
		r->quiet_s = clock_mono() - d->state_since;
		diag_pkg_keep(d, r);
		diag_quiet_pkg_check(d);
		d->quiet_total += clock_mono() - d->state_since;
		d->stop_after_dump = true;
		diag_enter_state(d, DIAG_DUMP);
		break;
	case DIAG_CALLS:
		log_warnx("round %d: test calls still running after %.0f s: "
		    "ending them", d->round, clock_mono() - d->state_since);
		diag_calls_end(d);
		diag_enter_state(d, DIAG_QUIET);
		break;
	default:
		break;
	}
}

/* Memory was flat for the settle window: this round's floor. */
static void
settled(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];

	r->quiet = true;
	r->settled_used = d->shm.used;
	r->quiet_s = clock_mono() - d->state_since;
	diag_pkg_keep(d, r);
	diag_quiet_pkg_check(d);
	d->quiet_total += clock_mono() - d->state_since;
	log_info("round %d: settled at %llu bytes of shm used after %.1f s",
	    d->round, (unsigned long long)d->shm.used,
	    clock_mono() - d->state_since);
	diag_enter_state(d, DIAG_DUMP);
}

/* Test calls must never cause the exhaustion being diagnosed. */
static void
pace(struct diag *d)
{
	char buf[128];

	if (d->batch == NULL || d->shm.total == 0 ||
	    (double)d->shm.free >= DIAG_LOW_FREE * (double)d->free_start ||
	    (d->rate <= 1 && d->concurrency <= 1))
		return;
	d->rate = d->rate / 2 > 1 ? d->rate / 2 : 1;
	d->concurrency = d->concurrency / 2 > 1 ? d->concurrency / 2 : 1;
	call_batch_set_rate(d->batch, d->rate);
	call_batch_set_concurrency(d->batch, d->concurrency);
	snprintf(buf, sizeof(buf), "; lowered to %.0f calls/s, %u in flight "
	    "in round %d (free shm %llu of %llu)", d->rate, d->concurrency,
	    d->round, (unsigned long long)d->shm.free,
	    (unsigned long long)d->shm.total);
	log_warnx("free shm is short: %s", buf + 2);
	if (strlen(d->load_why) + strlen(buf) < sizeof(d->load_why))
		strcat(d->load_why, buf);
}

static void sample_shm(struct rpc_result *, void *);
static void choose_load(struct diag *);

static void
sample_done(struct diag *d, bool changed)
{
	d->sampling = false;
	if (changed)
		d->flat_since = clock_mono();
	if (d->state == DIAG_QUIET && diag_quiet_ready(d))
		settled(d);
}

static void
sample_pkg(struct rpc_result *res, void *arg)
{
	struct diag *d = arg;
	struct rpc_kam_pkg_stats st;
	bool changed;

	if (rpc_kam_pkg_stats(res, &st) != 0) {
		log_debug("%s", res->error);
		sample_done(d, false);
		return;
	}
	changed = diag_pkg_update(d, &st);
	if (changed && d->round > 0)
		d->pkg_moved = true;
	rpc_kam_pkg_stats_clear(&st);
	sample_done(d, changed);
}

static void
sample_tm(struct rpc_result *res, void *arg)
{
	struct diag *d = arg;
	struct rpc_kam_tm_stats tm;

	/* no tm module: nothing to wait for */
	if (rpc_kam_tm_stats(res, &tm) == 0)
		diag_quiet_tm(d, (int64_t)tm.current, false);
	else
		diag_quiet_tm(d, -1, res->no_method != 0);
	rpc_call_req(d->rpc, rpc_kam_req_pkg_stats(), DIAG_RPC_TIMEOUT,
	    sample_pkg, d);
}

static void
sample_shm(struct rpc_result *res, void *arg)
{
	struct diag *d = arg;
	struct rpc_kam_shmmem m;
	bool changed;

	if (d->state != DIAG_QUIET && d->state != DIAG_CALLS) {
		d->sampling = false;
		return;
	}
	if (rpc_kam_shmmem(res, &m) != 0) {
		d->sampling = false;
		if (++d->rpc_failures >= DIAG_RPC_FAILURES)
			diag_fail(d, EX_MD_UNAVAILABLE, "%s", res->error);
		return;
	}
	d->rpc_failures = 0;
	changed = m.used != d->shm.used;
	d->shm = m;
	diag_timeline_sample(d);
	diag_progress_sample(d);
	if (m.used > d->rounds[d->round].peak_used)
		d->rounds[d->round].peak_used = m.used;
	if (d->state == DIAG_CALLS) {
		pace(d);
		d->sampling = false;
		rpc_call_req(d->rpc, rpc_kam_req_pkg_stats(), DIAG_RPC_TIMEOUT,
		    sample_pkg, d);
		d->sampling = true;
		return;
	}
	if (changed)
		d->flat_since = clock_mono();
	rpc_call_req(d->rpc, rpc_kam_req_tm_stats(), DIAG_RPC_TIMEOUT,
	    sample_tm, d);
}

static void
on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	arm(d->sample_ev, DIAG_SAMPLE_EVERY);
	if (d->sampling)
		return;
	d->sampling = true;
	rpc_call_req(d->rpc, rpc_kam_req_shmmem(), DIAG_RPC_TIMEOUT,
	    sample_shm, d);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct diag *d = arg;
	const char *name;

	(void)what;
	name = sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM";
	log_warnx("%s in %s: opening the gate, restoring the proxy's settings",
	    name, diag_state_name(d->state));
	d->interrupted = true;
	/* a one-shot run has no configuration to reload: SIGHUP (the
	 * terminal went away) ends it like SIGTERM */
	if (d->stop_why[0] == '\0')
		snprintf(d->stop_why, sizeof(d->stop_why), "interrupted by %s "
		    "in %s, round %d", name, diag_state_name(d->state),
		    d->round);
	/* in DUMP the dumper sees SIGINT and SIGTERM too and returns; after
	 * SIGHUP it ends its pass first */
	if (d->state != DIAG_DUMP && d->state != DIAG_FINISH)
		diag_enter_state(d, DIAG_FINISH);
}

/*
 * The floor as the main process's dump left it. The main process applies
 * cfg changes only when a signal wakes it, and until it has, the cfg
 * blocks earlier changes replaced stay in shm: its dump frees them, so
 * the floor is read again after it (and after the baseline's changes).
 */
static void
read_floor(struct diag *d, struct diag_round *r)
{
	struct rpc_kam_pkg_stats st;
	struct rpc_kam_shmmem m;
	struct rpc_result *res;

	res = rpc_sync(d->rpcaddr, rpc_kam_req_shmmem(), DIAG_RPC_TIMEOUT);
	if (rpc_kam_shmmem(res, &m) == 0) {
		if (m.used != r->settled_used)
			log_info("round %d: %+lld bytes of shm after the main "
			    "process's dump", d->round, (long long)m.used -
			    (long long)r->settled_used);
		r->settled_used = m.used;
		d->shm = m;
	}
	rpc_result_free(res);
	res = rpc_sync(d->rpcaddr, rpc_kam_req_pkg_stats(), DIAG_RPC_TIMEOUT);
	if (rpc_kam_pkg_stats(res, &st) == 0) {
		diag_pkg_update(d, &st);
		diag_pkg_keep(d, r);
		rpc_kam_pkg_stats_clear(&st);
	}
	rpc_result_free(res);
}

/* shm (with the main process's pkg), or every child's pkg. 0 or -1. */
static int
dump_pass(struct diag *d, struct dumper_result *res, bool shm)
{
	struct dumper_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.shm = shm;
	o.pkg = !shm;
	o.timeout = DIAG_DUMP_TIMEOUT;
	o.wake = diag_wake;
	o.wake_arg = d;
	dumper_result_clear(res);
	d->s->unsaved = false;
	if ((st = dumper_run(d->base, d->t, d->s, d->logspec, &o, res,
	    d->err, sizeof(d->err))) != 0) {
		/* the state disk refused the original value, so the proxy was
		 * not changed: the children's pkg can wait for another run,
		 * but without shm dumps there is nothing to judge */
		if (d->s->unsaved && !shm) {
			log_warnx("children's pkg dumps not taken: %s", d->err);
			d->err[0] = '\0';
			dumper_result_clear(res);
			return 0;
		}
		if (d->s->unsaved) {
			d->interrupted = true;
			snprintf(d->stop_why, sizeof(d->stop_why), "nothing "
			    "changed on the proxy: %.440s", d->err);
		} else
			d->status = st;
		return -1;
	}
	diag_note_dumps(d, res);
	if (res->interrupted)
		d->interrupted = true;
	return d->interrupted ? -1 : 0;
}

/*
 * A child's pkg dump goes through cfg mem_dump_pkg, whose per-child
 * callbacks stay in shm until every process has updated (a few hundred
 * bytes per dump, measured): children's pkg only at the baseline, before
 * the main process's dump and the floor, and at the end, after both.
 */
static void
run_dump(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];
	bool last = d->stop_after_dump || d->budget_spent || d->o->passive ||
	    d->round >= (int)d->o->rounds;

	/* frozen pkg.stats (tlsf): every round's children's dumps */
	if (((d->round == 0 || d->pkg_frozen) &&
	    dump_pass(d, &r->kids, false) != 0) ||
	    dump_pass(d, &r->dumps, true) != 0) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	r->dumped = true;
	read_floor(d, r);
	if (d->round == 0)
		choose_load(d);
	if (last && d->round > 0 && !d->pkg_frozen &&
	    dump_pass(d, &r->kids, false) != 0) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	if (last || d->budget_spent || d->status != 0)
		diag_enter_state(d, DIAG_FINISH);
	else {
		d->round++;
		d->pkg_moved = false;
		diag_enter_state(d, DIAG_CALLS);
	}
}

static void
drive(struct diag *d)
{
	while (d->state != DIAG_FINISH) {
		if (d->state == DIAG_DUMP)
			run_dump(d);
		else
			event_base_dispatch(d->base);
	}
}

/* Set up the loop's events; PREFLIGHT needs them. */
/* The proxy's main process ended: nothing more to ask of it. */
static void
on_proxy_exit(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	log_warnx("%s pid %d exited during %s", d->t->flavour,
	    (int)d->t->main.pid, diag_state_name(d->state));
	diag_fail(d, EX_MD_UNAVAILABLE, "%s pid %d exited during %s: the "
	    "proxy died or was restarted", d->t->flavour, (int)d->t->main.pid,
	    diag_state_name(d->state));
}

/* Notice the proxy's exit at once, through a pidfd of the verified
 * process (a PID reused before it was opened is caught by the check). */
static void
watch_proxy(struct diag *d)
{
	char err[256];

	d->proxyfd = (int)syscall(SYS_pidfd_open, d->t->main.pid, 0);
	if (d->proxyfd == -1 || target_verify(d->t, &d->t->main, SIGUSR1, err,
	    sizeof(err)) != 0) {
		log_debug("no pidfd on the proxy: its exit shows as RPC errors");
		if (d->proxyfd != -1)
			close(d->proxyfd);
		d->proxyfd = -1;
		return;
	}
	d->proxy_ev = event_new(d->base, d->proxyfd, EV_READ, on_proxy_exit,
	    d);
	event_add(d->proxy_ev, NULL);
}

static void
events_new(struct diag *d)
{
	if ((d->base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
	d->deadline_ev = event_new(d->base, -1, 0, on_deadline, d);
	d->sample_ev = event_new(d->base, -1, 0, on_sample, d);
	d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sighup = evsignal_new(d->base, SIGHUP, on_signal, d);
	event_add(d->sigint, NULL);
	event_add(d->sigterm, NULL);
	event_add(d->sighup, NULL);
	watch_proxy(d);
}

static void
events_free(struct diag *d)
{
	struct event **evs[] = { &d->deadline_ev, &d->sample_ev, &d->sigint,
		&d->sigterm, &d->sighup, &d->proxy_ev };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
}

/* Open the gate and restore the settings: every way out comes here. */
static void
finish(struct diag *d)
{
	char err[512];

	diag_calls_end(d);
	diag_tail_close(d);
	diag_gate_open(d);
	if (d->s != NULL) {
		d->restored = settings_restore(d->s, err, sizeof(err));
		if (!d->restored)
			log_warnx("%s (saved in %s; the next start or memdiag "
			    "cleanup restores it)", err, d->s->path);
	}
}

/*
 * Load that cannot exhaust the pool: a share of the free shm at the
 * baseline's floor, per call held.
 */
static void
choose_load(struct diag *d)
{
	double room = DIAG_FREE_SHARE * (double)d->shm.free;
	double cap = room / (DIAG_CALL_BYTES * DIAG_CALL_LIFE);

	d->free_start = d->shm.free;
	d->rate = DIAG_RATE;
	d->concurrency = DIAG_CONCURRENCY;
	if (cap < d->rate)
		d->rate = cap >= 1 ? cap : 1;
	if (d->o->peak_cps > 0 && d->o->peak_cps < d->rate)
		d->rate = d->o->peak_cps;
	if (room / DIAG_CALL_BYTES < d->concurrency)
		d->concurrency = room / DIAG_CALL_BYTES >= 1 ?
		    (unsigned)(room / DIAG_CALL_BYTES) : 1;
	snprintf(d->load_why, sizeof(d->load_why), "%.0f calls/s, %u in "
	    "flight: at ~%.0f KB per call held ~%.1f s, at most %.1f MB of "
	    "%.1f MB free shm%s", d->rate, d->concurrency,
	    DIAG_CALL_BYTES / 1000, DIAG_CALL_LIFE,
	    d->rate * DIAG_CALL_BYTES * DIAG_CALL_LIFE / 1048576.0,
	    (double)d->shm.free / 1048576.0,
	    d->o->peak_cps > 0 && d->rate == d->o->peak_cps ?
	    " (capped at --peak-cps)" : "");
	if (d->mode_why[0] != '\0' && strlen(d->load_why) +
	    strlen(d->mode_why) + 2 < sizeof(d->load_why)) {
		strcat(d->load_why, "; ");
		strcat(d->load_why, d->mode_why);
	}
}

/* RPC, version, memory now, the log: all answer, or a status. */
static int
preflight_sync(struct diag *d)
{
	struct rpc_result *res;
	char err[512];
	int st;

	res = rpc_sync(d->rpcaddr, rpc_kam_req_version(), DIAG_RPC_TIMEOUT);
	st = rpc_kam_version(res, &d->version);
	if (st != 0)
		snprintf(d->err, sizeof(d->err), "%s", res->error);
	rpc_result_free(res);
	if (st != 0)
		return EX_MD_UNAVAILABLE;
	res = rpc_sync(d->rpcaddr, rpc_kam_req_shmmem(), DIAG_RPC_TIMEOUT);
	st = rpc_kam_shmmem(res, &d->shm_start);
	if (st != 0)
		snprintf(d->err, sizeof(d->err), "%s", res->error);
	rpc_result_free(res);
	if (st != 0)
		return EX_MD_UNAVAILABLE;
	d->shm = d->shm_start;
	if (d->shm_start.max_used >= d->shm_start.total / 100 * 99)
		log_warnx("shm high-water mark %llu of %llu bytes: the pool was "
		    "exhausted at some point before this run",
		    (unsigned long long)d->shm_start.max_used,
		    (unsigned long long)d->shm_start.total);
	else
		log_info("shm: %llu of %llu bytes used, high-water mark %llu",
		    (unsigned long long)d->shm_start.used,
		    (unsigned long long)d->shm_start.total,
		    (unsigned long long)d->shm_start.max_used);
	if (!diag_tail_check(d, err, sizeof(err))) {
		snprintf(d->err, sizeof(d->err), "%s", err);
		return EX_MD_UNAVAILABLE;
	}
	diag_before_read(d);
	return diag_harm_check(d);
}

static void
on_ready(struct diag *d)
{
	if (d->state != DIAG_PREFLIGHT)
		return;
	if (!d->o->passive && diag_gate_close(d) != 0) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	/* passive: the floor is whatever it is now; no waiting, no calls */
	if (d->o->passive) {
		diag_timeline_sample(d);
		d->rounds[0].settled_used = d->shm.used;
		d->rounds[0].quiet = true;
		diag_enter_state(d, DIAG_DUMP);
	} else
		diag_enter_state(d, DIAG_QUIET);
}

static void
on_registered(void *arg, int code)
{
	struct diag *d = arg;

	if (code < 200 || code >= 300) {
		diag_fail(d, EX_MD_UNAVAILABLE, "REGISTER through %s: %s%s%s",
		    d->proxy, code ? "refused" : "no answer",
		    d->mode_why[0] ? "; " : "", d->mode_why);
		return;
	}
	if (d->mode_why[0] != '\0')
		log_info("test calls: %s", d->mode_why);
	on_ready(d);
}

/* The first final code a probe call got, 0 if none. */
static int
probe_code(struct call_batch *b)
{
	const struct callstat_flow *f = &call_batch_stat(b)->flow[CALL_FLOW_OK];
	int i;

	for (i = 0; i < CALLSTAT_CODES; i++)
		if (f->failed[i] > 0)
			return i;
	return 0;
}

/* Codes by which a proxy refuses to route a call for this caller. */
static bool
probe_refused(int code)
{
	switch (code) {
	case 401: case 403: case 404: case 407: case 416: case 484: case 485:
	case 604:
		return true;
	default:
		return false;
	}
}

/*
 * --mode not given: a proxy that refuses a direct call (Debian's stock
 * config answers 403 "Not relaying" to any Request-URI not its own) may
 * still route calls to a user registered with it, so memdiag registers
 * an AOR and calls that instead.
 */
static void
on_probe(struct call_batch *b, void *arg)
{
	struct diag *d = arg;
	struct callstat_totals t;
	char got[64];
	int code = probe_code(b), st;

	callstat_totals(call_batch_stat(b), &t);
	call_batch_free(b);
	d->probe = NULL;
	if (t.completed > 0) {
		snprintf(d->mode_why, sizeof(d->mode_why), "direct mode (a "
		    "direct test call through %s completed)", d->proxy);
		log_info("test calls: %s", d->mode_why);
		on_ready(d);
		return;
	}
	if (code != 0)
		snprintf(got, sizeof(got), "got %d", code);
	else
		snprintf(got, sizeof(got), "got no answer within %u ms",
		    DIAG_PROBE_MS);
	/* a refusal says "not for you"; a server error or silence says
	 * nothing about routing (a proxy short of memory answers 500) */
	if (!probe_refused(code)) {
		snprintf(d->mode_why, sizeof(d->mode_why), "direct mode (a "
		    "direct test call through %s %s, which says nothing about "
		    "routing; the proxy may be short of memory)", d->proxy,
		    got);
		log_info("test calls: %s", d->mode_why);
		on_ready(d);
		return;
	}
	snprintf(d->mode_why, sizeof(d->mode_why), "registered mode (a direct "
	    "test call through %s %s; calls go to an AOR memdiag registers "
	    "there)", d->proxy, got);
	call_engine_free(d->eng);
	d->conf.mode = CALL_MODE_REGISTERED;
	if ((d->eng = call_engine_new(d->base, &d->conf, &st)) == NULL) {
		diag_fail(d, st, "cannot set up registered test calls to %s",
		    d->proxy);
		return;
	}
	call_engine_register(d->eng, on_registered, d);
}

static void
probe_direct(struct diag *d)
{
	struct call_batch_params p;
	char err[128];

	memset(&p, 0, sizeof(p));
	p.calls = 1;
	p.concurrency = 1;
	p.timeout_ms = DIAG_PROBE_MS;
	if (callstat_mix_parse(&p.mix, NULL, err, sizeof(err)) != 0)
		fatalx(EX_MD_INTERNAL, "probe mix: %s", err);
	d->probe = call_batch_start(d->eng, &p, on_probe, d);
}

static void
on_ping(void *arg, int code)
{
	struct diag *d = arg;

	if (code == 0) {
		diag_fail(d, EX_MD_UNAVAILABLE, "OPTIONS to %s: no answer within "
		    "%u ms (is --proxy right?)", d->proxy, DIAG_PING_MS);
		return;
	}
	log_debug("OPTIONS to %s: %d", d->proxy, code);
	if (d->o->passive)
		on_ready(d);
	else if (d->o->mode_auto)
		probe_direct(d);
	else if (d->conf.mode == CALL_MODE_REGISTERED)
		call_engine_register(d->eng, on_registered, d);
	else
		on_ready(d);
}

/* The rights it needs, checked before anything changes on the proxy. */
static int
rights_check(void *arg, struct target *t, char *err, size_t errlen)
{
	struct diag *d = arg;

	(void)err;
	(void)errlen;
	d->t = t;	/* diag_rights_check reads the target from d */
	return diag_rights_check(d);
}

static int
start(struct diag *d)
{
	const struct diag_opts *o = d->o;
	struct attach_opts ao = {
		.target = o->target,
		.rpc = o->rpc,
		.log = o->log,
		.statedir = o->statedir,
		.rundir = o->rundir,
		.lock = true,
		.need_rpc = true,
		.need_log = true,
		.check = rights_check,
		.check_arg = d,
	};
	struct attach a;
	char err[512];
	int st;

	st = attach_open(&ao, &a, d->err, sizeof(d->err));
	/* the diagnosis owns what was reached, and frees it at its end */
	d->t = a.t;
	d->lockfd = a.lockfd;
	d->rpcaddr = a.rpc;
	d->logspec = a.log;
	if (st != 0)
		return st;
	if ((st = diag_proxy_addr(d)) != 0)
		return st;
	log_info("proxy %s, rpc %s%s, log %s%s%s%s", d->proxy, d->rpcaddr,
	    o->rpc ? " (--rpc)" : "", d->logspec, o->log ? " (--log)" : "",
	    o->log || d->t->log.why == NULL ? "" : ": ",
	    o->log || d->t->log.why == NULL ? "" : d->t->log.why);
	events_new(d);
	if ((d->rpc = rpc_new(d->base, d->rpcaddr, err, sizeof(err))) ==
	    NULL) {
		snprintf(d->err, sizeof(d->err), "--rpc %s: %s", d->rpcaddr,
		    err);
		return EX_MD_USAGE;
	}
	if ((st = preflight_sync(d)) != 0)
		return st;
	diag_quiet_setup(d);
	d->s = settings_new(o->statedir, d->t, d->rpcaddr);
	d->conf.proxy = d->proxy;
	d->conf.user = o->user;
	d->conf.password = o->password;
	d->conf.domain = o->domain;
	d->conf.mode = o->passive ? CALL_MODE_DIRECT : o->mode;
	if ((d->eng = call_engine_new(d->base, &d->conf, &st)) == NULL) {
		snprintf(d->err, sizeof(d->err), "cannot set up test calls to "
		    "%s", d->proxy);
		return st;
	}
	diag_enter_state(d, DIAG_PREFLIGHT);
	call_engine_ping(d->eng, DIAG_PING_MS, on_ping, d);
	return 0;
}

static void
diag_free(struct diag *d)
{
	size_t i;

	if (d->batch != NULL)
		call_batch_free(d->batch);
	if (d->probe != NULL)
		call_batch_free(d->probe);
	if (d->eng != NULL)
		call_engine_free(d->eng);
	hold_free(d->hold);
	if (d->rpc != NULL)
		rpc_free(d->rpc);
	events_free(d);
	if (d->base != NULL)
		event_base_free(d->base);
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		dumper_result_clear(&d->rounds[i].dumps);
		dumper_result_clear(&d->rounds[i].kids);
		diag_round_clear(&d->rounds[i]);
	}
	if (d->errs != NULL)
		dump_result_free(d->errs);
	if (d->before != NULL)
		dump_result_free(d->before);
	diag_pkg_free(d->pkg, d->npkg);
	settings_free(d->s);
	if (d->lockfd != -1)
		close(d->lockfd);
	if (d->proxyfd != -1)
		close(d->proxyfd);
	free(d->rpcaddr);
	free(d->logspec);
	free(d->version);
	target_free(d->t);
	diag_timeline_free(d);
}

int
diag_run(const struct diag_opts *o)
{
	struct diag d;
	int st;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.lockfd = -1;
	d.proxyfd = -1;
	if ((st = start(&d)) == 0)
		drive(&d);
	finish(&d);
	if (st == 0 && d.status == EX_MD_UNAVAILABLE && d.acted) {
		/* the proxy went away or stopped answering in the middle:
		 * what was seen is reported, and it cannot tell a verdict */
		d.interrupted = true;
		snprintf(d.stop_why, sizeof(d.stop_why), "%.500s", d.err);
		d.status = 0;
		d.err[0] = '\0';
	}
	if (st == 0 && d.status == 0)
		st = diag_report(&d);
	else if (st == 0)
		st = d.status;
	diag_progress_end();
	if (st != 0 && d.err[0] != '\0')
		log_warnx("%s", d.err);
	if (o->nagios && st >= EX_MD_USAGE)
		st = nagios_error(st, d.err);
	if (o->result != NULL && *o->result == NULL)
		*o->result = json_pack("{s:s, s:i, s:o}", "error", d.err[0] ?
		    d.err : "the diagnosis did not finish", "status", st,
		    "timeline", diag_timeline_json(&d));
	diag_free(&d);
	return st;
}
