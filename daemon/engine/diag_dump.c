/*
 * DUMP: the proxy's dumps taken (the children's pkg at the baseline and
 * at the end, the main process's shm and pkg every round) and the floor
 * read after them. It runs the dumper on the diagnosis' base from outside
 * its dispatch (the dumper spins the base itself), so the gate's refresh
 * and budget timers keep firing while the proxy prints its dumps.
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
#include "proxy/px.h"

static bool
shm_now(struct diag *d, struct rpc_kam_shmmem *m)
{
	char err[512];

	if (px_shm(d->px, DIAG_RPC_TIMEOUT, m, err, sizeof(err)) == 0)
		return true;
	log_debug("%s", err);
	return false;
}

/* The loop runs (the gate's refresh, signals, the proxy's exit) while
 * the floor settles again. */
static void
spin(struct diag *d, double seconds)
{
	struct timeval tv = clock_tv(seconds);

	event_base_loopexit(d->base, &tv);
	event_base_dispatch(d->base);
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
resettle(struct diag *d, struct diag_round *r, struct rpc_kam_shmmem *m)
{
	double t0 = clock_mono(), flat_since = t0, limit = d->o->quiet_max;
	uint64_t last = m->used, peak = m->used;

	r->dump_transient = (int64_t)m->used - (int64_t)r->settled_used;
	log_info("round %d: %+lld bytes of shm right after the dumps; waiting "
	    "for it to settle again", d->round, (long long)r->dump_transient);
	while (clock_mono() - t0 < limit && !d->interrupted &&
	    d->status == 0 && d->state == DIAG_DUMP) {
		spin(d, DIAG_SAMPLE_EVERY);
		if (!shm_now(d, m))
			break;
		peak = m->used > peak ? m->used : peak;
		if (m->used != last) {
			last = m->used;
			flat_since = clock_mono();
		} else if (clock_mono() - flat_since >= d->o->settle &&
		    m->used <= r->settled_used + DIAG_DUMP_TRANSIENT) {
			r->dump_transient = (int64_t)peak -
			    (int64_t)r->settled_used;
			r->dump_settle_s = clock_mono() - t0;
			log_info("round %d: settled again at %llu bytes %.1f s "
			    "after the dumps (%+lld bytes meanwhile)", d->round,
			    (unsigned long long)m->used, r->dump_settle_s,
			    (long long)r->dump_transient);
			r->settled_used = m->used;
			return;
		}
	}
	r->dump_transient = (int64_t)peak - (int64_t)r->settled_used;
	r->dump_settle_s = clock_mono() - t0;
	r->floor_before_dump = true;
	log_warnx("round %d: shm had not come back within %.0f s of the "
	    "dumps (%+lld bytes): the floor is the one QUIET settled at "
	    "before them", d->round, limit, (long long)r->dump_transient);
}

/*
 * The floor as the main process's dump left it. The main process applies
 * cfg changes only when a signal wakes it, and until it has, the cfg
 * blocks earlier changes replaced stay in shm: its dump frees them, so
 * the floor is read again after it (and after the baseline's changes) --
 * once what the dumps set off has gone again (resettle).
 */
static void
read_floor(struct diag *d, struct diag_round *r)
{
	struct rpc_kam_pkg_stats st;
	struct rpc_kam_shmmem m;
	char err[512];

	if (shm_now(d, &m)) {
		if (m.used > r->settled_used + DIAG_DUMP_TRANSIENT)
			resettle(d, r, &m);
		else {
			if (m.used != r->settled_used)
				log_info("round %d: %+lld bytes of shm after "
				    "the main process's dump", d->round,
				    (long long)m.used -
				    (long long)r->settled_used);
			r->settled_used = m.used;
		}
		d->shm = m;
	}
	if (px_pkg(d->px, DIAG_RPC_TIMEOUT, &st, err, sizeof(err)) == 0) {
		diag_pkg_update(d, &st);
		diag_pkg_keep(d, r);
	} else
		log_debug("%s", err);
	rpc_kam_pkg_stats_clear(&st);
}

/* shm (with the main process's pkg), every child's pkg, or both (an
 * observed sample). 0 or -1. */
static int
dump_pass(struct diag *d, struct dumper_result *res, bool shm, bool pkg)
{
	struct dumper_opts o;
	int st;

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
	if (d->osips)
		st = dumper_run_mi(d->base, d->t, d->rpcaddr, d->logspec, &o,
		    res, d->err, sizeof(d->err));
	else
		st = dumper_run(d->base, d->t, d->s, d->logspec, &o, res,
		    d->err, sizeof(d->err));
	if (st != 0) {
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
void
diag_run_dump(struct diag *d)
{
	if (d->obs != NULL) {
		struct dumper_result res;

		memset(&res, 0, sizeof(res));
		if (dump_pass(d, &res, true, true) == 0)
			diag_observe_add(d, &res);
		dumper_result_clear(&res);
		diag_observe_next(d);
		return;
	}
	struct diag_round *r = &d->rounds[d->round];
	bool last = d->stop_after_dump || d->budget_spent || d->o->passive ||
	    d->round >= (int)d->o->rounds;

	/* frozen pkg.stats (tlsf): every round's children's dumps */
	if (((d->round == 0 || d->pkg_frozen) &&
	    dump_pass(d, &r->kids, false, true) != 0) ||
	    dump_pass(d, &r->dumps, true, false) != 0) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	r->dumped = true;
	read_floor(d, r);
	if (d->round == 0)
		diag_choose_load(d);
	if (last && d->round > 0 && !d->pkg_frozen &&
	    dump_pass(d, &r->kids, false, true) != 0) {
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
