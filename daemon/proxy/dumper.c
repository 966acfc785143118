/*
 * One dump session: the proxy's log followed and parsed, the waits for
 * each process's dump, the end. How the proxy is asked is its flavour's
 * (dumper_kam.c, dumper_mi.c); the order there matters for the proxy's
 * sake. Nothing here blocks: a wait is a tick of the caller's loop every
 * DUMPER_TICK seconds that reads the log and looks for the dump.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/dumper.h"
#include "proxy/dumper_priv.h"
#include "proxy/logtail.h"
#include "proxy/mi.h"
#include "proxy/rpc.h"

#define DUMPER_TICK 0.05
#define DUMPER_TRAILING 0.2	/* lines still on their way at the end */

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

/*
 * In a PID namespace (a container) the proxy logs the PIDs it sees, its
 * namespace's; the journal records host PIDs. Either is the process's.
 */
static bool
has(struct dumper *d, const struct target_proc *p)
{
	const struct target *t = d->t;
	size_t i;

	if (p != NULL)
		return dump_parser_has(d->parser, d->mark, p->pid, d->w.pool,
		    d->w.sums) || (p->nspid != p->pid && dump_parser_has(
		    d->parser, d->mark, p->nspid, d->w.pool, d->w.sums));
	if (dump_parser_has(d->parser, d->mark, t->main.pid, d->w.pool,
	    d->w.sums))
		return true;
	for (i = 0; i < t->nkids; i++)
		if (dump_parser_has(d->parser, d->mark, t->kids[i].pid,
		    d->w.pool, d->w.sums))
			return true;
	return false;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dumper *d = arg;
	struct timeval tv = clock_tv(DUMPER_TICK);

	(void)fd;
	(void)what;
	logtail_poll(d->lt);
	d->found = d->w.cond && has(d, d->w.p);
	if (!d->w.cond || d->found || d->stop || clock_mono() >= d->w.end) {
		d->w.next(d);
		return;
	}
	event_add(d->tick, &tv);
}

/* Wait up to seconds for p's (NULL: any process's) dump of pool since
 * d->mark; then next, with d->found. */
void
dumper_wait(struct dumper *d, const struct target_proc *p,
    enum dump_pool pool, bool sums, double seconds, dumper_step next)
{
	struct timeval tv = clock_tv(DUMPER_TICK);

	d->w.cond = true;
	d->w.p = p;
	d->w.pool = pool;
	d->w.sums = sums;
	d->w.end = clock_mono() + seconds;
	d->w.next = next;
	d->found = false;
	event_add(d->tick, &tv);
}

void
dumper_after(struct dumper *d, double seconds, dumper_step next)
{
	struct timeval tv = clock_tv(seconds);

	d->w.cond = false;
	d->w.end = clock_mono() + seconds;
	d->w.next = next;
	d->found = false;
	event_add(d->tick, &tv);
}

struct dumper_note *
dumper_note_add(struct dumper *d, const struct target_proc *p)
{
	struct dumper_result *r = d->res;
	struct dumper_note *n;

	r->notes = xreallocarray(r->notes, r->nnotes + 1, sizeof(*r->notes));
	d->note = r->nnotes;
	n = &r->notes[r->nnotes++];
	memset(n, 0, sizeof(*n));
	n->pid = p->pid;
	n->rank = p->rank;
	n->role = p->role ? xstrdup(p->role) : NULL;
	return n;
}

/* The note of the process being asked. */
struct dumper_note *
dumper_note(struct dumper *d)
{
	return &d->res->notes[d->note];
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

/* The replies still due are not waited for (a settings call goes with
 * the rpc). */
static void
drop_calls(struct dumper *d)
{
	if (d->mi != NULL)
		mi_async_cancel(d->mi);
	d->mi = NULL;
	if (d->rpc != NULL)
		rpc_free(d->rpc);
	d->rpc = NULL;
	if (d->s != NULL)
		settings_drop(d->s);
}

/* Everything it holds but res; no callback. */
static void
release(struct dumper *d)
{
	if (d->parser != NULL)
		dump_result_free(dump_parser_finish(d->parser));
	drop_calls(d);
	json_decref(d->mi_params);
	logtail_free(d->lt);
	event_free(d->tick);
	free(d->addr);
	free(d);
}

static void
end(struct dumper *d, int status)
{
	dumper_done_cb cb = d->cb;
	void *arg = d->arg;
	char err[sizeof(d->err)];

	snprintf(err, sizeof(err), "%s", status != 0 ? d->err : "");
	release(d);
	cb(status, err, arg);
}

static void
trailing_read(struct dumper *d)
{
	d->res->dumps = dump_parser_finish(d->parser);
	d->parser = NULL;
	/* mem_dump_pkg fires once per change a child has not seen yet, all
	 * reading the current value: a child idle through two requests
	 * prints twice. The copies are alike; keep one. */
	dump_result_keep_last(d->res->dumps);
	dumper_keep_target(d->t, d->res->dumps);
	end(d, 0);
}

/* Every process asked: the lines still in flight, then the dumps. */
void
dumper_finish(struct dumper *d)
{
	dumper_after(d, DUMPER_TRAILING, trailing_read);
}

/* Nothing dumped: status and err to the caller. */
void
dumper_fail(struct dumper *d, int status, const char *err)
{
	if (err != d->err)
		snprintf(d->err, sizeof(d->err), "%s", err);
	end(d, status);
}

struct dumper *
dumper_start(struct event_base *base, struct target *t, struct settings *s,
    const char *addr, const char *logspec, const struct dumper_opts *o,
    struct dumper_result *res, dumper_done_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct dumper *d = xcalloc(1, sizeof(*d));
	bool osips = strcmp(t->flavour, "opensips") == 0;
	pid_t *pids;
	size_t i;

	memset(res, 0, sizeof(*res));
	d->base = base;
	d->t = t;
	d->s = osips ? NULL : s;
	d->addr = xstrdup(addr);
	d->o = *o;
	d->res = res;
	d->cb = cb;
	d->arg = arg;
	d->tick = event_new(base, -1, 0, on_tick, d);
	d->parser = dump_parser_new();
	if ((!osips && (d->s == NULL ||
	    (d->rpc = rpc_new(base, addr, err, errlen)) == NULL)) ||
	    (d->lt = logtail_new(base, logspec, &dumper_ops, d, err,
	    errlen)) == NULL) {
		if (!osips && d->s == NULL)
			snprintf(err, errlen, "dumper: no settings guard");
		release(d);
		return NULL;
	}
	pids = xcalloc(t->nkids + 1, sizeof(*pids));
	pids[0] = t->main.pid;
	for (i = 0; i < t->nkids; i++)
		pids[i + 1] = t->kids[i].pid;
	logtail_set_pids(d->lt, pids, t->nkids + 1);
	free(pids);
	if (osips)
		dumper_mi_start(d);
	else
		dumper_kam_start(d);
	return d;
}

void
dumper_stop(struct dumper *d)
{
	struct dumper_note *n;

	if (d->stop)
		return;
	d->stop = true;
	d->res->interrupted = true;
	drop_calls(d);
	if (d->res->nnotes > 0) {
		n = dumper_note(d);
		if (n->path == DUMPER_NONE && n->problem == NULL)
			n->problem = xstrdup("interrupted before its dump came");
	}
	event_del(d->tick);
	dumper_finish(d);
}

void
dumper_cancel(struct dumper *d)
{
	if (d != NULL)
		release(d);
}

/* dumper_run's loop */
struct dumper_run {
	struct event_base *base;
	struct dumper *d;
	bool done;
	int status;
	char *err;
	size_t errlen;
};

static void
run_done(int status, const char *err, void *arg)
{
	struct dumper_run *r = arg;

	r->done = true;
	r->d = NULL;
	r->status = status;
	snprintf(r->err, r->errlen, "%s", err);
	event_base_loopbreak(r->base);
}

static void
run_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dumper_run *r = arg;

	(void)what;
	log_warnx("%s: stopping, restoring the proxy's settings",
	    sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM");
	if (r->d != NULL)
		dumper_stop(r->d);
}

int
dumper_run(struct event_base *base, struct target *t, struct settings *s,
    const char *addr, const char *logspec, const struct dumper_opts *o,
    struct dumper_result *res, char *err, size_t errlen)
{
	struct dumper_run r = { .base = base, .err = err, .errlen = errlen };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct event *ev[3];
	size_t i;

	r.d = dumper_start(base, t, s, addr, logspec, o, res, run_done, &r,
	    err, errlen);
	if (r.d == NULL)
		return EX_MD_UNAVAILABLE;
	for (i = 0; i < 3; i++) {
		ev[i] = evsignal_new(base, sigs[i], run_signal, &r);
		event_add(ev[i], NULL);
	}
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	for (i = 0; i < 3; i++)
		event_free(ev[i]);
	return r.status;
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
