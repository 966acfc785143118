/*
 * OBSERVE: the passive diagnosis over a window (--observe S). No gate,
 * no test call: the proxy's own users are the load. Every interval the
 * proxy's request counters (stats.get_statistics core:, per method), its
 * transactions in flight (tmx:inuse_transactions) and shm are read, and
 * one dump pass gives the bytes of every allocation site: shm and every
 * process's pkg (summaries; a child prints its own at a safe point, when
 * the users' next request wakes it). diag_observe_report.c then tells,
 * per site and pool, memory that follows the load from memory that
 * follows the count of some request (a leak).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "core/growth.h"
#include "engine/diag_observe.h"
#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/px.h"
#include "proxy/rpc.h"
#include "report/report.h"

#define OBS_MIN_INTERVAL 5.0	/* s between samples, at least ... */
#define OBS_MAX_INTERVAL 60.0	/* ... and at most */

_Static_assert(PX_METHODS == GROWTH_METHODS, "px counts the methods "
    "growth judges");

static void begin_sample(struct diag *);

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	if (d->obs->retry) {
		d->obs->retry = false;
		begin_sample(d);
		return;
	}
	if (d->state != DIAG_OBSERVE)
		return;
	d->obs->last = !d->o->rolling &&
	    clock_mono() - d->obs->t0 >= d->o->observe;
	begin_sample(d);
}

void
diag_observe_start(struct diag *d)
{
	struct diag_obs *o = xcalloc(1, sizeof(*o));

	/* a dozen samples over the window, within the bounds */
	o->interval = d->o->observe / 12;
	if (o->interval < OBS_MIN_INTERVAL)
		o->interval = OBS_MIN_INTERVAL;
	if (o->interval > OBS_MAX_INTERVAL)
		o->interval = OBS_MAX_INTERVAL;
	/* rolling: the window's samples, the oldest dropped as one comes */
	o->cap = GROWTH_MAX_SAMPLES;
	if (d->o->rolling && d->o->observe / o->interval + 2 < o->cap)
		o->cap = (size_t)(d->o->observe / o->interval) + 2;
	o->t0 = clock_mono();
	o->pool_size = (double)d->shm.total;
	o->ev = evtimer_new(d->base, on_tick, d);
	d->obs = o;
	o->npools = 1;		/* shm; pkg groups as their dumps come */
	o->methods = px_methods(d->px);
	log_info("observing %s %.0f s: a sample every %.0f s (counters, "
	    "shm, summary dumps of shm and of every process's pkg); no gate, "
	    "no test call", d->o->rolling ? "without end, judging every "
	    "window of" : "for", d->o->observe, o->interval);
	/* the first sample now */
	d->obs->last = false;
	begin_sample(d);
}

/* Rolling: the newest window judged, once the samples span one. */
static void
judge_window(struct diag *d)
{
	struct diag_obs *o = d->obs;
	json_t *j;
	int st;

	if (o->n < 2 || o->s[o->n - 1].t - o->s[0].t < d->o->observe -
	    o->interval / 2 || d->o->judged == NULL)
		return;
	j = diag_observe_judge(d, &st);
	d->o->judged(d->o->judged_arg, j, st);
	json_decref(j);
}

/* After a sample: wait for the next, or the window is over. */
void
diag_observe_next(struct diag *d)
{
	struct timeval tv;
	double left;

	if (d->obs->last || d->status != 0 || d->interrupted) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	if (d->o->rolling) {
		judge_window(d);
		tv = clock_tv(d->obs->interval);
		diag_enter_state(d, DIAG_OBSERVE);
		event_add(d->obs->ev, &tv);
		return;
	}
	left = d->o->observe - (clock_mono() - d->obs->t0);
	tv = clock_tv(left < d->obs->interval ? left : d->obs->interval);
	diag_enter_state(d, DIAG_OBSERVE);
	event_add(d->obs->ev, &tv);
}

/*
 * A sample's counters are read as its dump begins, not after: the proxy
 * takes its snapshot when the signal arrives, and reading the dump back
 * from its log can lag by seconds on a loaded machine, while the users'
 * requests go on. The dump's bytes and the counters then describe the
 * same moment.
 */
static void
on_counted(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	struct diag_obs *o = d->obs;
	size_t i;

	if (d->state != DIAG_OBSERVE && d->state != DIAG_PREFLIGHT)
		return;
	o->have_pre = s->err == NULL && s->have_counters;
	if (s->err != NULL || s->counters_err != NULL)
		log_warnx("%s", s->err != NULL ? s->err : s->counters_err);
	for (i = 0; o->have_pre && i < GROWTH_METHODS; i++)
		o->pre.requests[i] = s->counters.requests[i];
	o->pre.inflight = s->counters.inflight > 0 ? s->counters.inflight : 0;
	diag_enter_state(d, DIAG_DUMP);
}

static void
begin_sample(struct diag *d)
{
	struct diag_obs *o = d->obs;
	struct timeval tv = clock_tv(0.05);

	/* a sample of the start-up's still on its way */
	if (px_busy(d->px)) {
		o->retry = true;
		event_add(o->ev, &tv);
		return;
	}
	memset(&o->pre, 0, sizeof(o->pre));
	o->pre.t = clock_mono() - o->t0;
	px_sample(d->px, PX_COUNTERS, DIAG_RPC_TIMEOUT, on_counted, d);
}

/* The pool of a dump: shm, or its process's group's pkg. SIZE_MAX: none
 * (a process not the proxy's, or no room left). */
static size_t
pool_of(struct diag *d, const struct dump *dm)
{
	struct diag_obs *o = d->obs;
	struct target_proc *p;
	char *group;
	size_t i;

	if (dm->pool == DUMP_POOL_SHM)
		return 0;
	if ((p = target_find(d->t, (pid_t)dm->pid)) == NULL)
		return SIZE_MAX;
	group = p == &d->t->main ? xstrdup("main process") :
	    diag_role_group(p->role);
	for (i = 1; i < o->npools; i++)
		if (strcmp(o->pools[i].group, group) == 0) {
			free(group);
			return i;
		}
	if (o->npools == OBS_MAX_POOLS) {
		free(group);
		return SIZE_MAX;
	}
	o->pools[o->npools].group = group;
	return o->npools++;
}

static struct obs_site *
site_of(struct diag_obs *o, size_t pool, const struct dump_site *ds)
{
	char name[512];
	size_t i;

	/* OpenSIPS names no module */
	snprintf(name, sizeof(name), "%s%s%s: %s(%lu)", ds->module ?
	    ds->module : "", ds->module ? ": " : "", ds->file ? ds->file :
	    "?", ds->func ? ds->func : "?", ds->line);
	for (i = 0; i < o->nsites; i++)
		if (o->sites[i].pool == pool &&
		    strcmp(o->sites[i].name, name) == 0)
			return &o->sites[i];
	if (o->nsites == OBS_MAX_SITES)
		return NULL;
	o->sites = xreallocarray(o->sites, o->nsites + 1, sizeof(*o->sites));
	memset(&o->sites[o->nsites], 0, sizeof(o->sites[0]));
	o->sites[o->nsites].name = xstrdup(name);
	o->sites[o->nsites].module = ds->module ? xstrdup(ds->module) : NULL;
	o->sites[o->nsites].file = ds->file ? xstrdup(ds->file) : NULL;
	o->sites[o->nsites].func = ds->func ? xstrdup(ds->func) : NULL;
	o->sites[o->nsites].line = ds->line;
	o->sites[o->nsites].pool = pool;
	return &o->sites[o->nsites++];
}

/*
 * The cfg framework's blocks in shm are memdiag's own: each change it
 * makes (memlog, mem_summary, mem_dump_pkg for each child's dump) stays
 * until every process has applied it. Not the users' memory.
 */
static bool
own_site(const struct dump_site *ds)
{
	return ds->file != NULL && strstr(ds->file, "core/cfg/cfg_struct.c") !=
	    NULL;
}

/* One dump's sites into its pool's sample. */
static void
add_dump(struct diag *d, const struct dump *dm)
{
	struct diag_obs *o = d->obs;
	size_t i, pool = pool_of(d, dm);
	struct obs_pool *p;

	if (pool == SIZE_MAX)
		return;
	p = &o->pools[pool];
	p->procs[o->n]++;
	p->alloc = dm->alloc;
	if (dm->heap_size != DUMP_UNKNOWN)
		p->size[o->n] += (double)dm->heap_size;
	/* no sites (OpenSIPS without a *_DBG allocator): its totals */
	if (!dm->has_summary) {
		p->totals_only = true;
		if (dm->used != DUMP_UNKNOWN)
			p->used[o->n] += (double)dm->used;
		return;
	}
	for (i = 0; i < dm->nsites; i++) {
		struct obs_site *site;

		if (dm->pool == DUMP_POOL_SHM && own_site(&dm->sites[i]))
			continue;
		p->used[o->n] += (double)dm->sites[i].bytes;
		if ((site = site_of(o, pool, &dm->sites[i])) != NULL) {
			site->bytes[o->n] += (double)dm->sites[i].bytes;
			site->count[o->n] += (double)dm->sites[i].count;
		}
	}
}

/* Rolling: the window moves on by one sample. */
static void
drop_oldest(struct diag_obs *o)
{
	size_t i, k = o->n - 1;

	memmove(o->s, o->s + 1, k * sizeof(o->s[0]));
	for (i = 0; i < o->npools; i++) {
		struct obs_pool *p = &o->pools[i];

		memmove(p->used, p->used + 1, k * sizeof(p->used[0]));
		memmove(p->size, p->size + 1, k * sizeof(p->size[0]));
		memmove(p->procs, p->procs + 1, k * sizeof(p->procs[0]));
		p->used[k] = p->size[k] = 0;
		p->procs[k] = 0;
	}
	for (i = 0; i < o->nsites; i++) {
		struct obs_site *st = &o->sites[i];

		memmove(st->bytes, st->bytes + 1, k * sizeof(st->bytes[0]));
		memmove(st->count, st->count + 1, k * sizeof(st->count[0]));
		st->bytes[k] = st->count[k] = 0;
	}
	o->n = k;
}

/* One sample: the counters, shm, and the sites of the dumps taken. */
void
diag_observe_add(struct diag *d, const struct dumper_result *res,
    const struct rpc_kam_shmmem *m)
{
	struct diag_obs *o = d->obs;
	struct growth_sample *s;
	size_t i, nshm = 0, npkg = 0;

	if (o->n == o->cap && d->o->rolling)
		drop_oldest(o);
	if (o->n == o->cap)
		return;
	for (i = 0; res->dumps != NULL && i < res->dumps->ndumps; i++)
		if (res->dumps->dumps[i].pool == DUMP_POOL_SHM &&
		    (res->dumps->dumps[i].has_summary ||
		    res->dumps->dumps[i].has_status))
			nshm++;
	if (nshm != 1) {
		log_warnx("observe: %s shm summary in this sample's dump: "
		    "not counted", nshm ? "more than one" : "no");
		return;
	}
	if (!o->have_pre)
		return;
	s = &o->s[o->n];
	*s = o->pre;
	if (m != NULL) {
		s->pool_used = (double)m->used;
		d->shm = *m;
		diag_timeline_sample(d);
	}
	for (i = 0; i < res->dumps->ndumps; i++) {
		const struct dump *dm = &res->dumps->dumps[i];

		if (!dm->has_summary && !dm->has_status)
			continue;
		npkg += dm->pool == DUMP_POOL_PKG;
		add_dump(d, dm);
	}
	log_info("observe: sample %zu at %.0f s: %.0f INVITE, %.0f REGISTER "
	    "so far, %.0f in flight, shm %.0f, %zu sites, pkg of %zu "
	    "processes", o->n + 1, s->t, s->requests[0], s->requests[1],
	    s->inflight, s->pool_used, o->nsites, npkg);
	o->n++;
}

void
diag_observe_free(struct diag *d)
{
	struct diag_obs *o = d->obs;
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nsites; i++) {
		free(o->sites[i].name);
		free(o->sites[i].module);
		free(o->sites[i].file);
		free(o->sites[i].func);
	}
	for (i = 0; i < o->npools; i++)
		free(o->pools[i].group);
	free(o->sites);
	if (o->ev != NULL)
		event_free(o->ev);
	free(o);
	d->obs = NULL;
}
