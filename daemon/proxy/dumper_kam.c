/*
 * Kamailio's dumps. The order matters for the proxy's sake: settings are
 * changed only through the settings guard (saved first), the main process
 * is signalled only after verification, children are asked one at a time
 * (mem_dump_pkg is a single global: asking a second child before the first
 * has printed loses the first), and a child is signalled only when
 * /proc/PID/syscall shows it blocked, never while it runs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/dumper.h"
#include "proxy/dumper_priv.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"

#define DUMPER_CFG_QUIET 1.5	/* ctl handler at once, timers within ~1 s */
#define DUMPER_WAKE_EVERY 0.1
#define DUMPER_WAKE_FOR 3.0	/* wake-ups land on a worker at random */

static void kids_next(struct dumper *);
static void knock(struct dumper *);

/* A settings call that failed: nothing was dumped. */
static bool
failed(struct dumper *d, int rc, const char *err)
{
	if (rc == 0)
		return false;
	dumper_fail(d, EX_MD_UNAVAILABLE, err);
	return true;
}

/* The main process: SIGUSR1, its handler runs in its main loop. */
static void
main_pkg(struct dumper *d)
{
	if (d->found)
		dumper_note(d)->path = DUMPER_SIGNAL;
	else
		xasprintf(&dumper_note(d)->problem, "no complete dump within "
		    "%.0f s of SIGUSR1 (is the log right? does memlog <= debug "
		    "hold?)", d->o.timeout);
	kids_next(d);
}

static void
main_shm(struct dumper *d)
{
	if (d->found && d->o.pkg)
		dumper_wait(d, &d->t->main, DUMP_POOL_PKG, true, d->o.timeout,
		    main_pkg);
	else
		main_pkg(d);
}

static void
main_dump(struct dumper *d)
{
	char err[512];

	if (!d->o.shm) {
		kids_next(d);
		return;
	}
	dumper_note_add(d, &d->t->main);
	d->mark = dump_parser_mark(d->parser);
	if (target_signal(d->t, &d->t->main, SIGUSR1, err, sizeof(err)) != 0) {
		dumper_note(d)->problem = xstrdup(err);
		kids_next(d);
		return;
	}
	dumper_wait(d, &d->t->main, DUMP_POOL_SHM, true, d->o.timeout,
	    main_shm);
}

/* A child: mem_dump_pkg served at its next cfg update, or SIGUSR1 while
 * it is blocked. */
static void
child_signalled(struct dumper *d)
{
	if (d->found)
		dumper_note(d)->path = DUMPER_SIGNAL;
	else
		xasprintf(&dumper_note(d)->problem, "no complete dump within "
		    "%.0f s of SIGUSR1", d->o.timeout);
	kids_next(d);
}

/* the last resort: its own signal handler, only while it is blocked */
static void
child_signal(struct dumper *d)
{
	struct dumper_note *n = dumper_note(d);
	char err[512];
	long sc;

	sc = target_blocked_syscall(d->p->pid);
	if (sc < 0) {
		xasprintf(&n->problem, "no dump through mem_dump_pkg, and it is "
		    "%s: not signalled", sc == -1 ? "running (not at a safe "
		    "point)" : "of unknown state (/proc/PID/syscall unreadable)");
		kids_next(d);
		return;
	}
	if (target_signal(d->t, d->p, SIGUSR1, err, sizeof(err)) != 0) {
		n->problem = xstrdup(err);
		kids_next(d);
		return;
	}
	dumper_wait(d, d->p, DUMP_POOL_PKG, true, d->o.timeout,
	    child_signalled);
}

static void
knocked(struct dumper *d)
{
	if (d->found) {
		dumper_note(d)->path = DUMPER_CFG_WOKEN;
		kids_next(d);
	} else
		knock(d);
}

/* which worker gets a message is the kernel's choice: keep knocking */
static void
knock(struct dumper *d)
{
	if (d->o.wake != NULL && (d->receiver || d->p->role == NULL) &&
	    clock_mono() < d->knock_end) {
		d->o.wake(d->o.wake_arg);
		dumper_wait(d, d->p, DUMP_POOL_PKG, true, DUMPER_WAKE_EVERY,
		    knocked);
	} else
		child_signal(d);
}

static void
knock_start(struct dumper *d)
{
	d->knock_end = clock_mono() + DUMPER_WAKE_FOR;
	knock(d);
}

static void
child_quiet(struct dumper *d)
{
	if (d->found) {
		dumper_note(d)->path = DUMPER_CFG;
		kids_next(d);
	} else
		knock_start(d);
}

static void
on_child_set(int rc, int64_t value, const char *err, void *arg)
{
	struct dumper *d = arg;

	(void)value;
	if (rc != 0) {
		dumper_note(d)->problem = xstrdup(err);
		kids_next(d);
		return;
	}
	/* receivers serve it when a message arrives: knock at once; other
	 * processes (timers, ctl) serve it on their own within a second;
	 * with nothing to knock with (a passive look) the users' own
	 * requests wake it, if any come */
	d->receiver = d->p->role != NULL &&
	    strstr(d->p->role, "receiver") != NULL;
	if (!d->receiver || d->o.wake == NULL)
		dumper_wait(d, d->p, DUMP_POOL_PKG, true, DUMPER_CFG_QUIET,
		    child_quiet);
	else
		knock_start(d);
}

static void
kids_next(struct dumper *d)
{
	if (!d->o.pkg || d->i >= d->t->nkids) {
		dumper_finish(d);
		return;
	}
	d->p = &d->t->kids[d->i++];
	dumper_note_add(d, d->p);
	d->mark = dump_parser_mark(d->parser);
	/* the child compares it with its own PID, as its namespace sees it */
	settings_set_async(d->s, d->rpc, "core", "mem_dump_pkg", d->p->nspid,
	    on_child_set, d);
}

/* The dumps' shape: summaries (4, 8) are cheap; the status header
 * without its fragment list (short, 16) gives the totals; a full status
 * is opt-in. Every cfg change leaves the old block in shm until all
 * processes have updated: a repeated dump changes nothing it need not. */
static void
on_summary_set(int rc, int64_t value, const char *err, void *arg)
{
	struct dumper *d = arg;

	(void)value;
	if (!failed(d, rc, err))
		main_dump(d);
}

static void
on_summary(int rc, int64_t cur, const char *err, void *arg)
{
	struct dumper *d = arg;

	if (failed(d, rc, err))
		return;
	if (cur == d->summary)
		main_dump(d);
	else
		settings_set_async(d->s, d->rpc, "core", "mem_summary",
		    d->summary, on_summary_set, d);
}

static void
get_summary(struct dumper *d)
{
	d->summary = (d->o.full ? 0 : 16) | 1 | 4 | (d->o.shm ? 2 | 8 : 0);
	settings_get_async(d->s, d->rpc, "core", "mem_summary", on_summary, d);
}

/* dumps print at level memlog, visible only when memlog <= debug */
static void
on_memlog_set(int rc, int64_t value, const char *err, void *arg)
{
	struct dumper *d = arg;

	(void)value;
	if (!failed(d, rc, err))
		get_summary(d);
}

static void
on_memlog(int rc, int64_t memlog, const char *err, void *arg)
{
	struct dumper *d = arg;

	if (failed(d, rc, err))
		return;
	d->memlog = memlog;
	if (memlog > d->debug)
		settings_set_async(d->s, d->rpc, "core", "memlog", d->debug,
		    on_memlog_set, d);
	else
		get_summary(d);
}

static void
on_debug(int rc, int64_t debug, const char *err, void *arg)
{
	struct dumper *d = arg;

	if (failed(d, rc, err))
		return;
	d->debug = debug;
	settings_get_async(d->s, d->rpc, "core", "memlog", on_memlog, d);
}

/* core.psx: each process's rank (the log prefix's number) and role. */
static void
on_psx(struct rpc_result *res, void *arg)
{
	struct dumper *d = arg;
	struct rpc_kam_procs procs;
	size_t i;

	if (rpc_kam_psx(res, &procs) != 0)
		log_warnx("%s", res->error);
	else {
		for (i = 0; i < procs.n; i++) {
			struct target_proc *p = target_find(d->t,
			    (pid_t)procs.procs[i].pid);

			if (p == NULL)
				continue;
			p->rank = (int)procs.procs[i].idx;
			free(p->role);
			p->role = procs.procs[i].desc ?
			    xstrdup(procs.procs[i].desc) : NULL;
		}
		rpc_kam_procs_clear(&procs);
	}
	settings_get_async(d->s, d->rpc, "core", "debug", on_debug, d);
}

void
dumper_kam_start(struct dumper *d)
{
	rpc_call_req(d->rpc, rpc_kam_req_psx(), DUMPER_RPC_TIMEOUT, on_psx, d);
}
