/*
 * One dump session. The order matters for the proxy's sake: settings are
 * changed only through the settings guard (saved first), the main process
 * is signalled only after verification, children are asked one at a time
 * (mem_dump_pkg is a single global: asking a second child before the first
 * has printed loses the first), and a child is signalled only when
 * /proc/PID/syscall shows it blocked, never while it runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/dumper.h"
#include "proxy/logtail.h"
#include "proxy/mi.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"

#define DUMPER_RPC_TIMEOUT 3.0
#define DUMPER_CFG_QUIET 1.5	/* ctl handler at once, timers within ~1 s */
#define DUMPER_WAKE_EVERY 0.1
#define DUMPER_WAKE_FOR 3.0	/* wake-ups land on a worker at random */

struct dumper {
	struct event_base *base;
	struct dump_parser *parser;
	struct logtail *lt;
	struct dumper_result *res;
	struct event *sigint, *sigterm, *sighup;
	bool stop;
};

const char *
dumper_path_name(enum dumper_path p)
{
	switch (p) {
	case DUMPER_SIGNAL:
		return "signal";
	case DUMPER_CFG:
		return "cfg";
	case DUMPER_CFG_WOKEN:
		return "cfg+wake";
	case DUMPER_MI:
		return "mi";
	default:
		return "none";
	}
}

static void
on_data(void *arg, const char *buf, size_t len)
{
	struct dumper *d = arg;

	dump_parser_feed(d->parser, buf, len);
}

static void
on_message(void *arg, long pid, const char *msg, size_t len)
{
	struct dumper *d = arg;

	dump_parser_message(d->parser, pid, msg, len);
}

static void
on_event(void *arg, enum logtail_event e, const char *text)
{
	struct dumper *d = arg;

	log_warnx("%s", text);
	if (e == LOGTAIL_ROTATED || e == LOGTAIL_TRUNCATED ||
	    e == LOGTAIL_DELETED) {
		dump_parser_interrupt(d->parser, text);
		if (d->res->log_problem == NULL)
			d->res->log_problem = xstrdup(text);
	}
}

static const struct logtail_ops dumper_ops = {
	.data = on_data,
	.message = on_message,
	.event = on_event,
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dumper *d = arg;

	(void)what;
	log_warnx("%s: stopping, restoring the proxy's settings",
	    sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM");
	d->stop = true;
	d->res->interrupted = true;
	event_base_loopbreak(d->base);
}

/* Run the loop for up to `seconds`, reading the log as it comes. */
static void
spin(struct dumper *d, double seconds)
{
	struct timeval tv = clock_tv(seconds);

	event_base_loopexit(d->base, &tv);
	event_base_dispatch(d->base);
	logtail_poll(d->lt);
}

/*
 * In a PID namespace (a container) the proxy logs the PIDs it sees, its
 * namespace's; the journal records host PIDs. Either is the process's.
 */
static bool
wait_dump(struct dumper *d, size_t mark, const struct target_proc *p,
    enum dump_pool pool, bool need_summary, double seconds)
{
	double end = clock_mono() + seconds;

	for (;;) {
		if (dump_parser_has(d->parser, mark, p->pid, pool,
		    need_summary) || (p->nspid != p->pid &&
		    dump_parser_has(d->parser, mark, p->nspid, pool,
		    need_summary)))
			return true;
		if (d->stop || clock_mono() >= end)
			return false;
		spin(d, 0.05);
	}
}

static struct dumper_note *
add_note(struct dumper_result *r, const struct target_proc *p)
{
	struct dumper_note *n;

	r->notes = xreallocarray(r->notes, r->nnotes + 1, sizeof(*r->notes));
	n = &r->notes[r->nnotes++];
	memset(n, 0, sizeof(*n));
	n->pid = p->pid;
	n->rank = p->rank;
	n->role = p->role ? xstrdup(p->role) : NULL;
	return n;
}

/* core.psx: each process's rank (the log prefix's number) and role. */
static void
learn_roles(struct target *t, const char *rpc)
{
	struct rpc_result *res = rpc_sync(rpc, rpc_kam_req_psx(),
	    DUMPER_RPC_TIMEOUT);
	struct rpc_kam_procs procs;
	size_t i;

	if (rpc_kam_psx(res, &procs) != 0) {
		log_warnx("%s", res->error);
		rpc_result_free(res);
		return;
	}
	rpc_result_free(res);
	for (i = 0; i < procs.n; i++) {
		struct target_proc *p = target_find(t, (pid_t)procs.procs[i].pid);

		if (p == NULL)
			continue;
		p->rank = (int)procs.procs[i].idx;
		free(p->role);
		p->role = procs.procs[i].desc ? xstrdup(procs.procs[i].desc) :
		    NULL;
	}
	rpc_kam_procs_clear(&procs);
}

static void
dump_main(struct dumper *d, struct target *t, const struct dumper_opts *o)
{
	struct dumper_note *n = add_note(d->res, &t->main);
	size_t mark = dump_parser_mark(d->parser);
	char err[512];

	if (target_signal(t, &t->main, SIGUSR1, err, sizeof(err)) != 0) {
		n->problem = xstrdup(err);
		return;
	}
	if (wait_dump(d, mark, &t->main, DUMP_POOL_SHM, true, o->timeout) &&
	    (!o->pkg || wait_dump(d, mark, &t->main, DUMP_POOL_PKG, true,
	    o->timeout)))
		n->path = DUMPER_SIGNAL;
	else
		xasprintf(&n->problem, "no complete dump within %.0f s of "
		    "SIGUSR1 (is the log right? does memlog <= debug hold?)",
		    o->timeout);
}

static void
dump_child(struct dumper *d, struct target *t, struct settings *s,
    struct target_proc *p, const struct dumper_opts *o)
{
	struct dumper_note *n = add_note(d->res, p);
	size_t mark = dump_parser_mark(d->parser);
	bool receiver;
	char err[512];
	double end;
	long sc;

	/* the child compares it with its own PID, as its namespace sees it */
	if (settings_set(s, "core", "mem_dump_pkg", p->nspid, err,
	    sizeof(err)) != 0) {
		n->problem = xstrdup(err);
		return;
	}
	/* receivers serve it when a message arrives: knock at once; other
	 * processes (timers, ctl) serve it on their own within a second */
	receiver = p->role != NULL && strstr(p->role, "receiver") != NULL;
	if (!receiver && wait_dump(d, mark, p, DUMP_POOL_PKG, true,
	    DUMPER_CFG_QUIET)) {
		n->path = DUMPER_CFG;
		return;
	}
	/* nothing to knock with (a passive look): the users' own requests
	 * wake it, if any come */
	if (receiver && o->wake == NULL && wait_dump(d, mark, p,
	    DUMP_POOL_PKG, true, DUMPER_CFG_QUIET)) {
		n->path = DUMPER_CFG;
		return;
	}
	/* which worker gets a message is the kernel's choice: keep knocking */
	end = clock_mono() + DUMPER_WAKE_FOR;
	while (o->wake != NULL && (receiver || p->role == NULL) && !d->stop &&
	    clock_mono() < end) {
		o->wake(o->wake_arg);
		if (wait_dump(d, mark, p, DUMP_POOL_PKG, true,
		    DUMPER_WAKE_EVERY)) {
			n->path = DUMPER_CFG_WOKEN;
			return;
		}
	}
	if (d->stop)
		return;
	/* last resort: its own signal handler, only while it is blocked */
	sc = target_blocked_syscall(p->pid);
	if (sc < 0) {
		xasprintf(&n->problem, "no dump through mem_dump_pkg, and it is "
		    "%s: not signalled", sc == -1 ? "running (not at a safe "
		    "point)" : "of unknown state (/proc/PID/syscall unreadable)");
		return;
	}
	if (target_signal(t, p, SIGUSR1, err, sizeof(err)) != 0) {
		n->problem = xstrdup(err);
		return;
	}
	if (wait_dump(d, mark, p, DUMP_POOL_PKG, true, o->timeout))
		n->path = DUMPER_SIGNAL;
	else
		xasprintf(&n->problem, "no complete dump within %.0f s of "
		    "SIGUSR1", o->timeout);
}

void
dumper_keep_target(const struct target *t, struct dump_result *r)
{
	long *pids;
	size_t i, n = 0;

	if (t == NULL || r == NULL)
		return;
	pids = xcalloc(2 * (t->nkids + 1), sizeof(*pids));
	pids[n++] = t->main.pid;
	pids[n++] = t->main.nspid;
	for (i = 0; i < t->nkids; i++) {
		pids[n++] = t->kids[i].pid;
		pids[n++] = t->kids[i].nspid;
	}
	dump_result_keep_pids(r, pids, n);
	free(pids);
}

/* The log followed, the signals caught: what every session needs. */
static int
session_open(struct dumper *d, struct event_base *base, struct target *t,
    const char *logspec, struct dumper_result *res, char *err,
    size_t errlen)
{
	pid_t *pids;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(d, 0, sizeof(*d));
	d->res = res;
	d->base = base;
	d->parser = dump_parser_new();
	d->lt = logtail_new(d->base, logspec, &dumper_ops, d, err, errlen);
	if (d->lt == NULL) {
		dump_result_free(dump_parser_finish(d->parser));
		return EX_MD_UNAVAILABLE;
	}
	pids = xcalloc(t->nkids + 1, sizeof(*pids));
	pids[0] = t->main.pid;
	for (i = 0; i < t->nkids; i++)
		pids[i + 1] = t->kids[i].pid;
	logtail_set_pids(d->lt, pids, t->nkids + 1);
	free(pids);
	d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sighup = evsignal_new(d->base, SIGHUP, on_signal, d);
	event_add(d->sigint, NULL);
	event_add(d->sigterm, NULL);
	event_add(d->sighup, NULL);
	return 0;
}

/* ok: the dumps into res; else thrown away. */
static void
session_close(struct dumper *d, struct target *t, bool ok)
{
	if (ok) {
		spin(d, 0.2);		/* trailing lines */
		d->res->dumps = dump_parser_finish(d->parser);
		/* mem_dump_pkg fires once per change a child has not seen
		 * yet, all reading the current value: a child idle through
		 * two requests prints twice. The copies are alike; keep one. */
		dump_result_keep_last(d->res->dumps);
		dumper_keep_target(t, d->res->dumps);
	} else
		dump_result_free(dump_parser_finish(d->parser));
	d->parser = NULL;
	logtail_free(d->lt);
	event_free(d->sigint);
	event_free(d->sigterm);
	event_free(d->sighup);
}

int
dumper_run(struct event_base *base, struct target *t, struct settings *s,
    const char *logspec, const struct dumper_opts *o,
    struct dumper_result *res, char *err, size_t errlen)
{
	struct dumper d;
	int64_t debug, memlog, cur;
	size_t i;
	int summary, r;

	if ((r = session_open(&d, base, t, logspec, res, err, errlen)) != 0)
		return r;
	learn_roles(t, s->rpc);

	/* dumps print at level memlog, visible only when memlog <= debug */
	if (settings_get(s, "core", "debug", &debug, err, errlen) != 0 ||
	    settings_get(s, "core", "memlog", &memlog, err, errlen) != 0)
		goto fail;
	if (memlog > debug && settings_set(s, "core", "memlog", debug, err,
	    errlen) != 0)
		goto fail;
	/* summaries (4, 8) are cheap; the status header without its fragment
	 * list (short, 16) gives the totals; a full status is opt-in */
	summary = (o->full ? 0 : 16) | 1 | 4 | (o->shm ? 2 | 8 : 0);
	/* every cfg change leaves the old block in shm until all processes
	 * have updated: a repeated dump changes nothing it need not */
	if (settings_get(s, "core", "mem_summary", &cur, err, errlen) != 0 ||
	    (cur != summary && settings_set(s, "core", "mem_summary", summary,
	    err, errlen) != 0))
		goto fail;
	if (o->shm)
		dump_main(&d, t, o);
	for (i = 0; o->pkg && !d.stop && i < t->nkids; i++)
		dump_child(&d, t, s, &t->kids[i], o);
	session_close(&d, t, true);
	return 0;
fail:
	session_close(&d, t, false);
	return EX_MD_UNAVAILABLE;
}

/*
 * OpenSIPS prints a dump at the log level its MI command gives, and only
 * if that level is within the process's own: the lowest of its
 * processes' levels is seen by all, so nothing on the proxy is changed.
 */
static int
mi_level(const char *mi, int *level, char *err, size_t errlen)
{
	struct mi_reply r;
	const json_t *p;
	size_t i;
	bool any = false;

	if (mi_call(mi, "log_level", NULL, DUMPER_RPC_TIMEOUT, &r) != 0) {
		snprintf(err, errlen, "%s", r.error);
		mi_reply_clear(&r);
		return -1;
	}
	json_array_foreach(json_object_get(r.result, "Processes"), i, p) {
		const json_t *l = json_object_get(p, "Log level");

		if (json_is_integer(l) && (!any || json_integer_value(l) <
		    *level)) {
			*level = (int)json_integer_value(l);
			any = true;
		}
	}
	mi_reply_clear(&r);
	if (!any)
		snprintf(err, errlen, "%s: log_level: no process's level in "
		    "its reply", mi);
	return any ? 0 : -1;
}

/* OpenSIPS's ps: each process's rank (ID) and role (Type). */
static void
mi_roles(struct target *t, const char *mi)
{
	struct mi_reply r;
	const json_t *p;
	size_t i;

	if (mi_call(mi, "ps", NULL, DUMPER_RPC_TIMEOUT, &r) != 0) {
		log_warnx("%s", r.error);
		mi_reply_clear(&r);
		return;
	}
	json_array_foreach(json_object_get(r.result, "Processes"), i, p) {
		struct target_proc *tp = target_find(t, (pid_t)
		    json_integer_value(json_object_get(p, "PID")));
		const char *type = json_string_value(json_object_get(p,
		    "Type"));

		if (tp == NULL || type == NULL)
			continue;
		tp->rank = (int)json_integer_value(json_object_get(p, "ID"));
		free(tp->role);
		tp->role = xstrdup(type);
	}
	mi_reply_clear(&r);
}

/* One MI command by its 3.x name, or 4.0's where the old one is gone. */
static int
mi_dump_call(const char *mi, const char *old, const char *new,
    json_t *params, char *err, size_t errlen, bool *unable)
{
	struct mi_reply r;
	int st;

	*unable = false;
	json_incref(params);
	if ((st = mi_call(mi, old, params, DUMPER_RPC_TIMEOUT, &r)) != 0 &&
	    r.no_method) {
		mi_reply_clear(&r);
		json_incref(params);
		st = mi_call(mi, new, params, DUMPER_RPC_TIMEOUT, &r);
	}
	json_decref(params);
	if (st != 0)
		snprintf(err, errlen, "%s", r.error);
	/* a process without OpenSIPS's IPC (the attendant, the MI
	 * listeners) cannot be asked: it says so */
	*unable = st != 0 && strstr(r.error, "does not support") != NULL;
	mi_reply_clear(&r);
	return st;
}

/* The dump of pool from any of the proxy's processes since mark. */
static bool
any_has(struct dumper *d, size_t mark, struct target *t, enum dump_pool pool,
    bool sums, double seconds)
{
	double end = clock_mono() + seconds;
	size_t i;

	for (;;) {
		if (dump_parser_has(d->parser, mark, t->main.pid, pool, sums))
			return true;
		for (i = 0; i < t->nkids; i++)
			if (dump_parser_has(d->parser, mark, t->kids[i].pid,
			    pool, sums))
				return true;
		if (d->stop || clock_mono() >= end)
			return false;
		spin(d, 0.05);
	}
}

int
dumper_run_mi(struct event_base *base, struct target *t, const char *mi,
    const char *logspec, const struct dumper_opts *o,
    struct dumper_result *res, char *err, size_t errlen)
{
	struct dumper d;
	struct dumper_note *n;
	size_t i, mark;
	int level = 0, r;
	/* only a *_DBG allocator prints the sites' summary */
	bool unable, sums = t->shm_alloc != NULL &&
	    strstr(t->shm_alloc, "_DBG") != NULL;

	if (mi_level(mi, &level, err, errlen) != 0)
		return EX_MD_UNAVAILABLE;
	if ((r = session_open(&d, base, t, logspec, res, err, errlen)) != 0)
		return r;
	mi_roles(t, mi);
	if (o->shm) {
		/* the process serving the MI command prints it */
		n = add_note(res, &t->main);
		mark = dump_parser_mark(d.parser);
		if (mi_dump_call(mi, "mem_shm_dump", "mem:shm_dump", json_pack(
		    "{s:i}", "log_level", level), err, errlen, &unable) != 0)
			n->problem = xstrdup(err);
		else if (any_has(&d, mark, t, DUMP_POOL_SHM, sums, o->timeout))
			n->path = DUMPER_MI;
		else
			xasprintf(&n->problem, "no complete shm dump within "
			    "%.0f s of mem_shm_dump (log_level %d)", o->timeout,
			    level);
	}
	for (i = 0; o->pkg && !d.stop && i <= t->nkids; i++) {
		struct target_proc *p = i == 0 ? &t->main : &t->kids[i - 1];

		mark = dump_parser_mark(d.parser);
		r = mi_dump_call(mi, "mem_pkg_dump", "mem:pkg_dump", json_pack(
		    "{s:i, s:i}", "pid", (int)p->nspid, "log_level", level), err,
		    errlen, &unable);
		if (r != 0 && unable) {
			log_info("pid %d (%s): OpenSIPS cannot dump its pkg on "
			    "demand (no IPC there): not asked", (int)p->pid,
			    p->role ? p->role : "?");
			continue;
		}
		n = add_note(res, p);
		if (r != 0)
			n->problem = xstrdup(err);
		else if (wait_dump(&d, mark, p, DUMP_POOL_PKG, sums,
		    o->timeout))
			n->path = DUMPER_MI;
		else
			xasprintf(&n->problem, "no complete pkg dump within "
			    "%.0f s of mem_pkg_dump", o->timeout);
	}
	err[0] = '\0';
	session_close(&d, t, true);
	return 0;
}

void
dumper_result_clear(struct dumper_result *r)
{
	size_t i;

	dump_result_free(r->dumps);
	for (i = 0; i < r->nnotes; i++) {
		free(r->notes[i].role);
		free(r->notes[i].problem);
	}
	free(r->notes);
	free(r->log_problem);
	memset(r, 0, sizeof(*r));
}
