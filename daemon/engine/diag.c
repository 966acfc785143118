/*
 * The diagnosis state machine. Every state has a deadline armed by
 * diag_enter_state(); every way out (the end, an error, a signal, the
 * gate's budget) passes through DIAG_FINISH, which opens the gate and
 * restores the proxy's settings before anything is judged or printed.
 *
 *   PREFLIGHT -> QUIET(baseline) -> DUMP -> CALLS(1) -> QUIET -> DUMP
 *   -> ... CALLS(R) -> QUIET -> DUMP -> FINISH
 *
 * Its start is diag_preflight.c, DUMP is diag_dump.c, what it drives
 * (gate, calls, log, pkg samples) diag_io.c, when QUIET may call memory
 * settled diag_quiet.c, and its end diag_report.c.
 */
#include <sys/syscall.h>

#include <signal.h>
#include <stdarg.h>
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
#include "proxy/px.h"

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
	o->observe = DIAG_OBSERVE_DEFAULT;
	o->statedir = MEMDIAG_STATEDIR;
	o->rundir = MEMDIAG_RUNDIR;
	o->status_fd = -1;
}

static const char *
diag_state_name(enum diag_state s)
{
	static const char *names[] = { "START", "PREFLIGHT", "QUIET", "DUMP",
		"CALLS", "OBSERVE", "FINISH" };

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
	if (!hold_closed(d->gate.hold))
		return 1e9;
	return hold_budget_left(d->gate.hold);
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
	case DIAG_OBSERVE:
		/* between samples; a dump that hangs has its own timeout */
		return d->o->observe + 120;
	case DIAG_CALLS:
		/* paced calls, then the slowest possible end (64*T1) */
		calls = diag_round_calls(d, d->round);
		return calls / (d->calls.rate > 1 ? d->calls.rate : 1) * 4 + 40;
	default:
		return -1; /* DUMP: the dumper's own per-process timeouts */
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
		d->quiet.flat_since = clock_mono();
		event_del(d->sample_ev);
		arm(d->sample_ev, 0);
	} else {
		event_del(d->sample_ev);
		diag_tail_close(d);
	}
	/* FINISH runs outside the loop */
	if (s == DIAG_FINISH)
		event_base_loopbreak(d->base);
	if (s == DIAG_CALLS)
		diag_calls_start(d);
	if (s == DIAG_DUMP)
		diag_dump_start(d);
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
	if (d->state == DIAG_DUMP)
		diag_dump_stop(d);
	else if (d->state != DIAG_FINISH)
		diag_enter_state(d, DIAG_FINISH);
}

void
diag_stop(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d->interrupted || d->state == DIAG_FINISH)
		return;
	va_start(ap, fmt);
	vsnprintf(d->stop_why, sizeof(d->stop_why), fmt, ap);
	va_end(ap);
	log_warnx("stopping: %s", d->stop_why);
	d->interrupted = true;
	diag_calls_end(d);
	/* in DUMP the pass ends first, keeping what came */
	if (d->state == DIAG_DUMP)
		diag_dump_stop(d);
	else
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
		d->quiet.total += clock_mono() - d->state_since;
		d->stop_after_dump = true;
		diag_enter_state(d, DIAG_DUMP);
		break;
	case DIAG_OBSERVE:
		diag_stop(d, "the observation did not end within %.0f s",
		    d->o->observe + 120);
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
	d->quiet.total += clock_mono() - d->state_since;
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

	if (d->calls.batch == NULL || d->shm.total == 0 ||
	    (double)d->shm.free >= DIAG_LOW_FREE * (double)d->free_start ||
	    (d->calls.rate <= 1 && d->calls.concurrency <= 1))
		return;
	d->calls.rate = d->calls.rate / 2 > 1 ? d->calls.rate / 2 : 1;
	d->calls.concurrency =
	    d->calls.concurrency / 2 > 1 ? d->calls.concurrency / 2 : 1;
	call_batch_set_rate(d->calls.batch, d->calls.rate);
	call_batch_set_concurrency(d->calls.batch, d->calls.concurrency);
	snprintf(buf, sizeof(buf),
		 "; lowered to %.0f calls/s, %u in flight "
		 "in round %d (free shm %llu of %llu)",
		 d->calls.rate, d->calls.concurrency, d->round,
		 (unsigned long long)d->shm.free,
		 (unsigned long long)d->shm.total);
	log_warnx("free shm is short: %s", buf + 2);
	if (strlen(d->calls.load_why) + strlen(buf) < sizeof(d->calls.load_why))
		strcat(d->calls.load_why, buf);
}

static void
sample_done(struct diag *d, bool changed)
{
	if (changed)
		d->quiet.flat_since = clock_mono();
	if (d->state == DIAG_QUIET && diag_quiet_ready(d))
		settled(d);
}

/* shm, then in QUIET tm's transactions, and every process's pkg */
static void
on_sampled(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	bool changed, pkg_changed = false;

	d->sampling = false;
	if (d->state != DIAG_QUIET && d->state != DIAG_CALLS)
		return;
	if (s->err != NULL) {
		if (++d->rpc_failures >= DIAG_RPC_FAILURES)
			diag_fail(d, EX_MD_UNAVAILABLE, "%s", s->err);
		return;
	}
	d->rpc_failures = 0;
	changed = s->shm.used != d->shm.used;
	d->shm = s->shm;
	diag_timeline_sample(d);
	diag_progress_sample(d);
	if (s->shm.used > d->rounds[d->round].peak_used)
		d->rounds[d->round].peak_used = s->shm.used;
	if (d->state == DIAG_CALLS)
		pace(d);
	if (s->tm_asked)
		diag_quiet_tm(d, s->tm_current, s->no_tm);
	if (s->have_pkg) {
		pkg_changed = diag_pkg_update(d, &s->pkg);
		if (pkg_changed && d->round > 0)
			d->pkg_moved = true;
	}
	if (d->state == DIAG_QUIET)
		sample_done(d, changed || pkg_changed);
}

static void
on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	arm(d->sample_ev, DIAG_SAMPLE_EVERY);
	if (d->sampling || d->px == NULL)
		return;
	d->sampling = true;
	px_sample(d->px, d->state == DIAG_QUIET ? PX_TM | PX_PKG : PX_PKG,
	    DIAG_RPC_TIMEOUT, on_sampled, d);
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
	if (d->state == DIAG_DUMP)
		diag_dump_stop(d);
	else if (d->state != DIAG_FINISH)
		diag_enter_state(d, DIAG_FINISH);
}

static void
drive(struct diag *d)
{
	while (d->state != DIAG_FINISH)
		event_base_dispatch(d->base);
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
		log_debug(
		    "no pidfd on the proxy: its exit shows as RPC errors");
		if (d->proxyfd != -1)
			close(d->proxyfd);
		d->proxyfd = -1;
		return;
	}
	d->proxy_ev = event_new(d->base, d->proxyfd, EV_READ, on_proxy_exit,
	    d);
	event_add(d->proxy_ev, NULL);
}

void
diag_events_new(struct diag *d)
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
		&d->sigterm, &d->sighup, &d->proxy_ev, &d->oom.ev };
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
	/* a pass still asking (none should be): nothing more is set */
	diag_dump_free(d);
	diag_gate_open(d);
	if (d->s != NULL) {
		d->restored = settings_restore(d->s, err, sizeof(err));
		if (!d->restored)
			log_warnx("%s (saved in %s; the next start or memdiag "
			    "cleanup restores it)", err, d->s->path);
	}
}

static void
diag_free(struct diag *d)
{
	size_t i;

	diag_observe_free(d);
	if (d->calls.batch != NULL)
		call_batch_free(d->calls.batch);
	if (d->calls.probe != NULL)
		call_batch_free(d->calls.probe);
	if (d->calls.eng != NULL)
		call_engine_free(d->calls.eng);
	hold_free(d->gate.hold);
	px_free(d->px);
	events_free(d);
	if (d->base != NULL)
		event_base_free(d->base);
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		dumper_result_clear(&d->rounds[i].dumps);
		dumper_result_clear(&d->rounds[i].kids);
		diag_round_clear(&d->rounds[i]);
	}
	if (d->log.errs != NULL)
		dump_result_free(d->log.errs);
	if (d->log.before != NULL)
		dump_result_free(d->log.before);
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
	if ((st = diag_start(&d)) == 0)
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
		st = d.obs != NULL ? diag_observe_report(&d) : diag_report(&d);
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
