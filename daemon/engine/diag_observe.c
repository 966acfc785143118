/*
 * OBSERVE: the passive diagnosis over a window (--observe S). No gate,
 * no test call: the proxy's own users are the load. Every interval the
 * proxy's request counters (stats.get_statistics core:, per method), its
 * transactions in flight (tmx:inuse_transactions) and shm are read, and
 * an shm summary dump gives the bytes of every allocation site; at the
 * end core/growth.c tells, per site, memory that follows the load from
 * memory that follows the count of some request (a leak).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "core/growth.h"
#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"
#include "report/report.h"

#define OBS_MAX_SITES 4096
#define OBS_MIN_INTERVAL 5.0	/* s between samples, at least ... */
#define OBS_MAX_INTERVAL 60.0	/* ... and at most */

static const char *const obs_methods[GROWTH_METHODS] = { "INVITE",
	"REGISTER", "MESSAGE", "SUBSCRIBE", "OPTIONS", "other" };
static const char *const obs_stats[GROWTH_METHODS - 1] = {
	"core:rcv_requests_invite", "core:rcv_requests_register",
	"core:rcv_requests_message", "core:rcv_requests_subscribe",
	"core:rcv_requests_options" };

struct obs_site {
	char *name;		/* "MOD: FILE: FUNC(LINE)" */
	char *module, *file, *func;
	unsigned long line;
	double bytes[GROWTH_MAX_SAMPLES];
	double count[GROWTH_MAX_SAMPLES];	/* its fragments */
};

struct diag_obs {
	struct growth_sample s[GROWTH_MAX_SAMPLES];
	size_t n;
	struct obs_site *sites;
	size_t nsites;
	double t0, interval, pool_size;
	struct event *ev;
	bool last;		/* the window is over: this is the final one */
	struct growth_sample pre;	/* the counters read as a dump began */
	bool have_pre;
	double dump_s;		/* time the dumps took, in all */
};

static void begin_sample(struct diag *);

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	if (d->state != DIAG_OBSERVE)
		return;
	d->obs->last = clock_mono() - d->obs->t0 >= d->o->observe;
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
	o->t0 = clock_mono();
	o->pool_size = (double)d->shm.total;
	o->ev = evtimer_new(d->base, on_tick, d);
	d->obs = o;
	log_info("observing for %.0f s: a sample every %.0f s (counters, "
	    "shm, an shm summary dump); no gate, no test call", d->o->observe,
	    o->interval);
	/* the first sample now */
	d->obs->last = false;
	begin_sample(d);
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
	left = d->o->observe - (clock_mono() - d->obs->t0);
	tv = clock_tv(left < d->obs->interval ? left : d->obs->interval);
	diag_enter_state(d, DIAG_OBSERVE);
	event_add(d->obs->ev, &tv);
}

/* "core:rcv_requests_invite = 12", as stats.get_statistics says it */
static void
stat_line(const char *s, double *req, double *all, double *inflight)
{
	const char *eq = strstr(s, " = ");
	size_t n, i;

	if (eq == NULL)
		return;
	n = (size_t)(eq - s);
	for (i = 0; i < GROWTH_METHODS - 1; i++)
		if (strlen(obs_stats[i]) == n &&
		    strncmp(s, obs_stats[i], n) == 0)
			req[i] = strtod(eq + 3, NULL);
	if (n == 17 && strncmp(s, "core:rcv_requests", n) == 0)
		*all = strtod(eq + 3, NULL);
	if (n == 22 && strncmp(s, "tmx:inuse_transactions", 22) == 0)
		*inflight = strtod(eq + 3, NULL);
}

static void
stat_vals(const struct binrpc_val *v, size_t n, double *req, double *all,
    double *inflight)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].type == BINRPC_STR)
			stat_line(v[i].u.str.s, req, all, inflight);
		else if (v[i].type == BINRPC_ARRAY ||
		    v[i].type == BINRPC_STRUCT)
			stat_vals(v[i].u.list.v, v[i].u.list.n, req, all,
			    inflight);
}

/* The counters now; false when the proxy has no statistics (kex). */
static bool
read_counters(struct diag *d, struct growth_sample *s)
{
	static const char *const groups[] = { "core:", "tmx:" };
	double all = -1, sum = 0;
	size_t g, i;
	bool ok = false;

	for (g = 0; g < 2; g++) {
		struct binrpc_req *req = binrpc_req_new("stats.get_statistics");
		struct rpc_result *r;

		binrpc_req_add_str(req, groups[g]);
		r = rpc_sync(d->rpcaddr, req, DIAG_RPC_TIMEOUT);
		if (r->status == RPC_OK && r->reply != NULL) {
			stat_vals(r->reply->vals, r->reply->nvals, s->requests,
			    &all, &s->inflight);
			ok = ok || g == 0;
		} else if (g == 0)
			log_warnx("%s: no request counters (is kex loaded?)",
			    r->error ? r->error : "stats.get_statistics");
		rpc_result_free(r);
	}
	for (i = 0; i < GROWTH_METHODS - 1; i++)
		sum += s->requests[i];
	s->requests[GROWTH_METHODS - 1] = all > sum ? all - sum : 0;
	return ok;
}

/*
 * A sample's counters are read as its dump begins, not after: the proxy
 * takes its snapshot when the signal arrives, and reading the dump back
 * from its log can lag by seconds on a loaded machine, while the users'
 * requests go on. The dump's bytes and the counters then describe the
 * same moment.
 */
static void
begin_sample(struct diag *d)
{
	struct diag_obs *o = d->obs;

	memset(&o->pre, 0, sizeof(o->pre));
	o->pre.t = clock_mono() - o->t0;
	o->have_pre = read_counters(d, &o->pre);
	diag_enter_state(d, DIAG_DUMP);
}

static struct obs_site *
site_of(struct diag_obs *o, const struct dump_site *ds)
{
	char name[512];
	size_t i;

	snprintf(name, sizeof(name), "%s: %s: %s(%lu)", ds->module ?
	    ds->module : "?", ds->file ? ds->file : "?", ds->func ?
	    ds->func : "?", ds->line);
	for (i = 0; i < o->nsites; i++)
		if (strcmp(o->sites[i].name, name) == 0)
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
	return &o->sites[o->nsites++];
}

/* One sample: the counters, shm, and the sites of the shm dump taken. */
void
diag_observe_add(struct diag *d, const struct dumper_result *res)
{
	struct diag_obs *o = d->obs;
	struct growth_sample *s;
	struct rpc_kam_shmmem m;
	struct rpc_result *r;
	const struct dump *dm = NULL;
	size_t i;

	if (o->n == GROWTH_MAX_SAMPLES)
		return;
	for (i = 0; res->dumps != NULL && i < res->dumps->ndumps; i++)
		if (res->dumps->dumps[i].pool == DUMP_POOL_SHM &&
		    res->dumps->dumps[i].has_summary)
			dm = &res->dumps->dumps[i];
	if (dm == NULL) {
		log_warnx("observe: no shm summary in this sample's dump");
		return;
	}
	if (!o->have_pre)
		return;
	s = &o->s[o->n];
	*s = o->pre;
	r = rpc_sync(d->rpcaddr, rpc_kam_req_shmmem(), DIAG_RPC_TIMEOUT);
	if (rpc_kam_shmmem(r, &m) == 0) {
		s->pool_used = (double)m.used;
		d->shm = m;
		diag_timeline_sample(d);
	}
	rpc_result_free(r);
	for (i = 0; i < dm->nsites; i++) {
		struct obs_site *site = site_of(o, &dm->sites[i]);

		if (site != NULL) {
			site->bytes[o->n] += (double)dm->sites[i].bytes;
			site->count[o->n] += (double)dm->sites[i].count;
		}
	}
	log_info("observe: sample %zu at %.0f s: %.0f INVITE, %.0f REGISTER "
	    "so far, %.0f in flight, shm %.0f, %zu sites", o->n + 1, s->t,
	    s->requests[0], s->requests[1], s->inflight, s->pool_used,
	    dm->nsites);
	o->n++;
}

static const char *
alloc_name(const struct diag *d)
{
	return d->t->shm_alloc != NULL ? d->t->shm_alloc : "qm";
}

/* n values as a JSON array */
static json_t *
series(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

/* what the judgement saw, sample by sample, to check it by */
static json_t *
samples_json(const struct diag_obs *o, int method)
{
	double t[GROWTH_MAX_SAMPLES], req[GROWTH_MAX_SAMPLES],
	    fl[GROWTH_MAX_SAMPLES], used[GROWTH_MAX_SAMPLES];
	size_t i;

	for (i = 0; i < o->n; i++) {
		t[i] = o->s[i].t;
		req[i] = o->s[i].requests[method >= 0 ? method : 0];
		fl[i] = o->s[i].inflight;
		used[i] = o->s[i].pool_used;
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "t", series(t, o->n),
	    "requests", series(req, o->n), "inflight", series(fl, o->n),
	    "used", series(used, o->n));
}

int
diag_observe_report(struct diag *d)
{
	struct diag_obs *o = d->obs;
	struct growth_site *gs = xcalloc(o->nsites + 1, sizeof(*gs));
	struct growth_input in;
	struct growth_result res;
	json_t *j, *req, *sus, *pool;
	enum verdict v;
	size_t i, k;
	int st;

	for (i = 0; i < o->nsites; i++) {
		gs[i].name = o->sites[i].name;
		gs[i].bytes = o->sites[i].bytes;
		gs[i].counts = o->sites[i].count;
	}
	memset(&in, 0, sizeof(in));
	in.samples = o->s;
	in.nsamples = o->n;
	in.methods = obs_methods;
	in.sites = gs;
	in.nsites = o->nsites;
	/* qm rounds to 8 bytes; fm and tlsf to coarser buckets */
	in.granularity = strcmp(alloc_name(d), "qm") == 0 ? 8 : 16;
	in.timer_s = d->timers.longest_s;
	in.pool_size = o->pool_size;
	growth_judge(&in, &res);
	v = res.verdict == GROWTH_LEAK ? VERDICT_LEAK :
	    res.verdict == GROWTH_FLAT ? VERDICT_HEALTHY :
	    VERDICT_INCONCLUSIVE;
	if (d->interrupted) {
		v = VERDICT_INCONCLUSIVE;
		snprintf(res.reason, sizeof(res.reason), "%s", d->stop_why);
	}
	st = verdict_status(v, false);
	req = json_object();
	for (k = 0; k < GROWTH_METHODS && o->n > 1; k++)
		json_object_set_new(req, obs_methods[k], json_integer(
		    (json_int_t)(o->s[o->n - 1].requests[k] -
		    o->s[0].requests[k])));
	sus = json_array();
	for (i = 0; i < res.nsuspects; i++) {
		const struct growth_suspect *g = &res.suspects[i];
		const struct obs_site *site = NULL;

		for (k = 0; k < o->nsites && site == NULL; k++)
			if (o->sites[k].name == g->name)
				site = &o->sites[k];
		json_array_append_new(sus, json_pack("{s:s?, s:s?, s:s?, s:I, "
		    "s:f, s:f, s:s, s:s?, s:o, s:o}", "module", site->module,
		    "file",
		    site->file, "func", site->func, "line",
		    (json_int_t)site->line, "bytes_per_request",
		    g->bytes_per_request, "error", g->se, "method",
		    obs_methods[g->method], "or_method", g->also >= 0 ?
		    obs_methods[g->also] : NULL, "series",
		    series(site->bytes, o->n), "fragments",
		    series(site->count, o->n)));
	}
	pool = json_pack("{s:s, s:s, s:s, s:o, s:o, s:f}", "pool", "shm",
	    "verdict", verdict_name(v), "reason", res.reason, "requests", req,
	    "suspects", sus, "sensitivity_bytes_per_request", res.sensitivity);
	json_object_set_new(pool, "series", samples_json(o, res.method));
	json_object_set_new(pool, "seconds_to_full", res.seconds_to_full >= 0 ?
	    json_real(res.seconds_to_full) : json_null());
	j = json_pack("{s:s, s:s, s:f, s:I, s:f, s:s, s:[o]}", "verdict",
	    verdict_name(v), "reason", res.reason, "observe_seconds",
	    o->n > 1 ? o->s[o->n - 1].t - o->s[0].t : 0.0, "samples",
	    (json_int_t)o->n, "interval_s", o->interval, "allocator",
	    alloc_name(d), "pools", pool);
	if (d->o->quiet_report)
		;
	else if (d->o->json)
		report_print_json(stdout, j);
	else {
		printf("%s: %s\n  %s\n", d->t->flavour, verdict_name(v),
		    res.reason);
		for (i = 0; i < res.nsuspects; i++)
			printf("  %10.1f bytes per %s  %s\n",
			    res.suspects[i].bytes_per_request,
			    obs_methods[res.suspects[i].method],
			    res.suspects[i].name);
		if (res.seconds_to_full >= 0)
			printf("  the pool is full in %.1f hours at the "
			    "observed rate\n", res.seconds_to_full / 3600);
		printf("  observed %.0f s, %zu samples, no gate, no test "
		    "call\n", o->n > 1 ? o->s[o->n - 1].t - o->s[0].t : 0.0,
		    o->n);
	}
	if (d->o->result != NULL) {
		json_object_set_new(j, "timeline", diag_timeline_json(d));
		*d->o->result = json_incref(j);
	}
	json_decref(j);
	fflush(stdout);
	free(gs);
	return st;
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
	free(o->sites);
	if (o->ev != NULL)
		event_free(o->ev);
	free(o);
	d->obs = NULL;
}
