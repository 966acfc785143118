/*
 * DUMP: the proxy's dumps taken (the children's pkg at the baseline and
 * at the end, the main process's shm and pkg every round) and the floor
 * read after them. Every step is an event of the diagnosis' loop (the
 * dumper's, then the samples of the floor), so the gate's refresh and
 * budget, the signals and the proxy's exit are served while the proxy
 * prints its dumps; none of it blocks while the gate is closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine/diag.h"
#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "proxy/px.h"

#define DIAG_DUMP_RETRY 0.05	/* a sample of QUIET's still in flight */

static void next_round(struct diag *);
static void end_kids(struct diag *);

/* Run then(d) from the loop after seconds. */
static void
after(struct diag *d, double seconds, void (*then)(struct diag *))
{
	struct timeval tv = clock_tv(seconds);

	d->dump.then = then;
	event_add(d->dump.ev, &tv);
}

static void
on_ev(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	d->dump.then(d);
}

/* The run ended, or is ending, while a step was on its way. */
static bool
gone(struct diag *d)
{
	return d->state != DIAG_DUMP || d->dump.stopping;
}

static void
resample(struct diag *d)
{
	if (d->sampling || px_busy(d->px)) {
		after(d, DIAG_DUMP_RETRY, resample);
		return;
	}
	d->sampling = true;
	px_sample(d->px, d->dump.what, DIAG_RPC_TIMEOUT, d->dump.cb, d);
}

/* One sample of px (one at a time: a sample of QUIET's may still be on
 * its way); cb runs from the loop. */
static void
sample(struct diag *d, unsigned what, px_sample_cb cb)
{
	d->dump.what = what;
	d->dump.cb = cb;
	resample(d);
}

static void
on_floor_pkg(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	struct diag_round *r = &d->rounds[d->round];

	d->sampling = false;
	if (gone(d))
		return;
	if (s->have_pkg) {
		diag_pkg_update(d, &s->pkg);
		diag_pkg_keep(d, r);
	} else if (s->err != NULL)
		log_debug("%s", s->err);
	if (d->round == 0)
		diag_choose_load(d);
	if (d->dump.last && d->round > 0 && !d->pkg_frozen)
		end_kids(d);
	else
		next_round(d);
}

static void
floor_pkg(struct diag *d)
{
	sample(d, PX_PKG, on_floor_pkg);
}

static void
resettle_give_up(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];

	r->dump_transient = (int64_t)d->dump.peak - (int64_t)r->settled_used;
	r->dump_settle_s = clock_mono() - d->dump.t0;
	r->floor_before_dump = true;
	log_warnx("round %d: shm had not come back within %.0f s of the "
	    "dumps (%+lld bytes): the floor is the one QUIET settled at "
	    "before them", d->round, d->o->quiet_max,
	    (long long)r->dump_transient);
	d->shm = d->dump.m;
	floor_pkg(d);
}

static void resettle_sample(struct diag *);

static void
on_resettled(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	struct diag_round *r = &d->rounds[d->round];
	uint64_t used = s->shm.used;

	d->sampling = false;
	if (gone(d))
		return;
	if (s->err != NULL) {
		log_debug("%s", s->err);
		resettle_give_up(d);
		return;
	}
	d->dump.m = s->shm;
	if (used > d->dump.peak)
		d->dump.peak = used;
	if (used != d->dump.last_used) {
		d->dump.last_used = used;
		d->dump.flat_since = clock_mono();
	} else if (clock_mono() - d->dump.flat_since >= d->o->settle &&
	    used <= r->settled_used + DIAG_DUMP_TRANSIENT) {
		r->dump_transient = (int64_t)d->dump.peak -
		    (int64_t)r->settled_used;
		r->dump_settle_s = clock_mono() - d->dump.t0;
		log_info("round %d: settled again at %llu bytes %.1f s after "
		    "the dumps (%+lld bytes meanwhile)", d->round,
		    (unsigned long long)used, r->dump_settle_s,
		    (long long)r->dump_transient);
		r->settled_used = used;
		d->shm = d->dump.m;
		floor_pkg(d);
		return;
	}
	after(d, DIAG_SAMPLE_EVERY, resettle_sample);
}

static void
resettle_sample(struct diag *d)
{
	if (gone(d))
		return;
	if (clock_mono() - d->dump.t0 >= d->o->quiet_max || d->status != 0) {
		resettle_give_up(d);
		return;
	}
	sample(d, 0, on_resettled);
}

/*
 * More shm right after the dumps than when QUIET settled: something the
 * dumps set off (the pings that wake the children to dump their pkg, a
 * transaction each where the configuration makes one) holds memory for
 * a while. The floor is read once it is flat again for the settle
 * window; if it never is within QUIET's limit, the floor stays QUIET's
 * own, taken before the dumps.
 */
static void
resettle(struct diag *d, const struct rpc_kam_shmmem *m)
{
	struct diag_round *r = &d->rounds[d->round];

	d->dump.m = *m;
	d->dump.t0 = d->dump.flat_since = clock_mono();
	d->dump.last_used = d->dump.peak = m->used;
	r->dump_transient = (int64_t)m->used - (int64_t)r->settled_used;
	log_info("round %d: %+lld bytes of shm right after the dumps; waiting "
	    "for it to settle again", d->round, (long long)r->dump_transient);
	after(d, DIAG_SAMPLE_EVERY, resettle_sample);
}

/*
 * The floor as the main process's dump left it. The main process applies
 * cfg changes only when a signal wakes it, and until it has, the cfg
 * blocks earlier changes replaced stay in shm: its dump frees them, so
 * the floor is read again after it (and after the baseline's changes) --
 * once what the dumps set off has gone again (resettle).
 */
static void
on_floor(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	struct diag_round *r = &d->rounds[d->round];

	d->sampling = false;
	if (gone(d))
		return;
	if (s->err != NULL) {
		log_debug("%s", s->err);
		floor_pkg(d);
		return;
	}
	if (s->shm.used > r->settled_used + DIAG_DUMP_TRANSIENT) {
		resettle(d, &s->shm);
		return;
	}
	if (s->shm.used != r->settled_used)
		log_info("round %d: %+lld bytes of shm after the main "
		    "process's dump", d->round, (long long)s->shm.used -
		    (long long)r->settled_used);
	r->settled_used = s->shm.used;
	d->shm = s->shm;
	floor_pkg(d);
}

/* A pass ended: the dumps noted, or why there are none. */
static void
pass_done(int st, const char *err, void *arg)
{
	struct diag *d = arg;
	struct dumper_result *res = d->dump.res;

	d->dump.dumper = NULL;
	if (st != 0) {
		snprintf(d->err, sizeof(d->err), "%s", err);
		/* the state disk refused the original value, so the proxy was
		 * not changed: the children's pkg can wait for another run,
		 * but without shm dumps there is nothing to judge */
		if (d->s->unsaved && !d->dump.shm) {
			log_warnx("children's pkg dumps not taken: %s", d->err);
			d->err[0] = '\0';
			dumper_result_clear(res);
			d->dump.next(d, !d->dump.stopping);
			return;
		}
		if (d->s->unsaved) {
			d->interrupted = true;
			snprintf(d->stop_why, sizeof(d->stop_why), "nothing "
			    "changed on the proxy: %.440s", d->err);
		} else
			d->status = st;
		d->dump.next(d, false);
		return;
	}
	diag_note_dumps(d, res);
	if (res->interrupted)
		d->interrupted = true;
	d->dump.next(d, !d->interrupted && !d->dump.stopping);
}

/* shm (with the main process's pkg), every child's pkg, or both (an
 * observed sample) into res; then next, with whether to go on. */
static void
pass(struct diag *d, struct dumper_result *res, bool shm, bool pkg,
    void (*next)(struct diag *, bool ok))
{
	struct dumper_opts o;
	char err[1024];

	memset(&o, 0, sizeof(o));
	o.shm = shm;
	o.pkg = pkg;
	o.timeout = DIAG_DUMP_TIMEOUT;
	/* a passive look sends no SIP request: the users' requests wake
	 * the receivers */
	o.wake = d->o->passive ? NULL : diag_wake;
	o.wake_arg = d;
	dumper_result_clear(res);
	d->s->unsaved = false;
	d->dump.res = res;
	d->dump.shm = shm;
	d->dump.next = next;
	d->dump.dumper = dumper_start(d->base, d->t, d->s, d->rpcaddr,
	    d->logspec, &o, res, pass_done, d, err, sizeof(err));
	if (d->dump.dumper == NULL)
		pass_done(EX_MD_UNAVAILABLE, err, d);
}

static void
next_round(struct diag *d)
{
	if (d->dump.last || d->budget_spent || d->status != 0)
		diag_enter_state(d, DIAG_FINISH);
	else {
		d->round++;
		d->pkg_moved = false;
		diag_enter_state(d, DIAG_CALLS);
	}
}

static void
last_kids_done(struct diag *d, bool ok)
{
	if (ok)
		next_round(d);
	else
		diag_enter_state(d, DIAG_FINISH);
}

/* After the last floor (on_floor_pkg): the children's pkg. */
static void
end_kids(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];

	pass(d, &r->kids, false, true, last_kids_done);
}

static void
shm_done(struct diag *d, bool ok)
{
	if (!ok) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	d->rounds[d->round].dumped = true;
	sample(d, 0, on_floor);
}

static void
kids_done(struct diag *d, bool ok)
{
	if (!ok) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	pass(d, &d->rounds[d->round].dumps, true, false, shm_done);
}

static void
observe_next(struct diag *d)
{
	dumper_result_clear(&d->dump.obs);
	if (d->dump.stopping)
		diag_enter_state(d, DIAG_FINISH);
	else
		diag_observe_next(d);
}

/* An observed sample: its dumps, and shm as they left it. */
static void
on_observed_shm(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;

	d->sampling = false;
	if (gone(d))
		return;
	if (s->err != NULL)
		log_warnx("%s", s->err);
	diag_observe_add(d, &d->dump.obs, s->err == NULL ? &s->shm : NULL);
	observe_next(d);
}

static void
observed(struct diag *d, bool ok)
{
	if (ok)
		sample(d, 0, on_observed_shm);
	else
		observe_next(d);
}

/*
 * A child's pkg dump goes through cfg mem_dump_pkg, whose per-child
 * callbacks stay in shm until every process has updated (a few hundred
 * bytes per dump, measured): children's pkg only at the baseline, before
 * the main process's dump and the floor, and at the end, after both.
 */
static void
begin(struct diag *d)
{
	struct diag_round *r = &d->rounds[d->round];

	if (d->obs != NULL) {
		pass(d, &d->dump.obs, true, true, observed);
		return;
	}
	d->dump.last = d->stop_after_dump || d->budget_spent ||
	    d->o->passive || d->round >= (int)d->o->rounds;
	/* frozen pkg.stats (tlsf): every round's children's dumps */
	if (d->round == 0 || d->pkg_frozen)
		pass(d, &r->kids, false, true, kids_done);
	else
		kids_done(d, true);
}

void
diag_dump_start(struct diag *d)
{
	if (d->dump.ev == NULL)
		d->dump.ev = event_new(d->base, -1, 0, on_ev, d);
	d->dump.stopping = false;
	after(d, 0, begin);
}

void
diag_dump_stop(struct diag *d)
{
	if (d->state != DIAG_DUMP || d->dump.stopping)
		return;
	d->dump.stopping = true;
	/* the pass ends soon with what came; pass_done finishes */
	if (d->dump.dumper != NULL) {
		dumper_stop(d->dump.dumper);
		return;
	}
	event_del(d->dump.ev);
	diag_enter_state(d, DIAG_FINISH);
}

void
diag_dump_free(struct diag *d)
{
	dumper_cancel(d->dump.dumper);
	d->dump.dumper = NULL;
	dumper_result_clear(&d->dump.obs);
	if (d->dump.ev != NULL)
		event_free(d->dump.ev);
	d->dump.ev = NULL;
}
