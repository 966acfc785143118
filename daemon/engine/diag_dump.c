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
#include "proxy/rpc_kam.h"

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
void
diag_run_dump(struct diag *d)
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
		diag_choose_load(d);
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
