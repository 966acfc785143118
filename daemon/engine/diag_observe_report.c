/*
 * OBSERVE's end: the samples judged (core/growth.c), pool by pool -- shm,
 * then each group's pkg -- and one verdict from them, printed and kept.
 *
 * A pool's samples count only where all of its processes dumped: a group
 * sum that lacks a process would fall by that process's whole heap. What
 * the proxy's log says about failed allocations is weighed in: memory
 * that is full cannot grow, so with failures and no growth seen the
 * look cannot tell a small pool from a leak that has already filled it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/growth.h"
#include "engine/diag_observe.h"
#include "engine/diag_priv.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/report.h"

/* The name of a pool judged whole, its dumps naming no site. */
#define OBS_WHOLE_POOL "the pool in all (its dumps name no allocation " \
	"site: OpenSIPS names them only under a *_DBG allocator, " \
	"-a Q_MALLOC_DBG)"

/* One pool, judged. */
struct obs_judged {
	size_t pool;
	struct growth_sample s[GROWTH_MAX_SAMPLES];
	size_t idx[GROWTH_MAX_SAMPLES];	/* the samples kept, by index */
	size_t n;
	struct growth_result res;
	enum verdict v;
};

static const char *
alloc_name(const struct diag *d)
{
	return d->t->shm_alloc != NULL ? d->t->shm_alloc : "qm";
}

static const char *
pool_label(const struct obs_pool *p, char *buf, size_t len)
{
	if (p->group == NULL)
		return "shm";
	snprintf(buf, len, "pkg of the %s process%s", p->group,
	    strcmp(p->group, "main process") == 0 ? "" : "es");
	return buf;
}

#define OBS_WHOLE_MIN_B 1.0	/* bytes per request a whole pool must
				 * grow by to say anything of it */
#define OBS_WHOLE_SHARE 0.01	/* ... and this share of what it held */

/*
 * A pool judged whole (no site information): what is in flight moves its
 * total, and no fragment count tells a leak from it. A leak stands only
 * when it is large (a byte per request and a percent of the pool over
 * the window); growth short of that is below what a whole pool can tell
 * (healthy, the bound said), growth that a site would have decided is
 * inconclusive, with the start option that gives sites.
 */
static void
whole_pool(const struct diag_obs *o, struct obs_judged *j)
{
	struct growth_result *r = &j->res;
	double b = r->verdict == GROWTH_LEAK ? r->suspects[0].bytes_per_request :
	    r->drift_site != NULL ? r->drift : 0;
	double level = j->n > 0 ? j->s[0].pool_used : 0;
	const char *m = r->method >= 0 ? o->methods[r->method] : "request";

	if (j->v != VERDICT_LEAK && j->v != VERDICT_HEALTHY)
		return;
	if (b < OBS_WHOLE_MIN_B) {
		j->v = VERDICT_HEALTHY;
		r->nsuspects = 0;
		snprintf(r->reason, sizeof(r->reason), "the pool in all grew "
		    "by less than %.1f bytes per %s over %.0f %ss (its dumps "
		    "name no allocation site: -a Q_MALLOC_DBG would tell "
		    "smaller leaks)", OBS_WHOLE_MIN_B, m, r->requests, m);
		return;
	}
	if (j->v == VERDICT_LEAK && b * r->requests >= OBS_WHOLE_SHARE *
	    level)
		return;
	j->v = VERDICT_INCONCLUSIVE;
	r->nsuspects = 0;
	snprintf(r->reason, sizeof(r->reason), "the pool grew %.1f bytes per "
	    "%s over %.0f %ss, and its dumps name no allocation site to tell "
	    "a leak from what is in flight by: restart it with -a "
	    "Q_MALLOC_DBG (or F_MALLOC_DBG) and observe again", b, m,
	    r->requests, m);
}

static void
judge_pool(const struct diag *d, size_t pool, struct obs_judged *j)
{
	const struct diag_obs *o = d->obs;
	const struct obs_pool *p = &o->pools[pool];
	struct growth_site *gs;
	struct growth_input in;
	double *vals;
	char lab[96];
	unsigned most = 0;
	bool whole = false;
	size_t i, k, ns = 0;

	memset(j, 0, sizeof(*j));
	j->pool = pool;
	for (i = 0; i < o->n; i++)
		most = p->procs[i] > most ? p->procs[i] : most;
	for (i = 0; i < o->n; i++) {
		if (p->procs[i] < most)
			continue;
		j->idx[j->n] = i;
		j->s[j->n] = o->s[i];
		if (pool > 0)
			j->s[j->n].pool_used = p->used[i];
		j->n++;
	}
	for (k = 0; k < o->nsites; k++)
		ns += o->sites[k].pool == pool;
	gs = xcalloc(ns + 2, sizeof(*gs));
	vals = xcalloc(2 * (ns + 2) * (j->n + 1), sizeof(*vals));
	for (k = 0, ns = 0; k < o->nsites; k++) {
		const struct obs_site *site = &o->sites[k];
		double *b = vals + 2 * ns * (j->n + 1), *c = b + j->n + 1;

		if (site->pool != pool)
			continue;
		for (i = 0; i < j->n; i++) {
			b[i] = site->bytes[j->idx[i]];
			c[i] = site->count[j->idx[i]];
		}
		gs[ns].name = site->name;
		gs[ns].bytes = b;
		gs[ns].counts = c;
		ns++;
	}
	/* no site information: the pool in all, one "site" */
	if (ns == 0 && p->totals_only) {
		double *b = vals;

		for (i = 0; i < j->n; i++)
			b[i] = p->used[j->idx[i]];
		gs[0].name = OBS_WHOLE_POOL;
		gs[0].bytes = b;
		gs[0].counts = NULL;
		ns = 1;
		whole = true;
	}
	memset(&in, 0, sizeof(in));
	in.samples = j->s;
	in.nsamples = j->n;
	in.methods = o->methods;
	in.sites = gs;
	in.nsites = ns;
	/* qm rounds to 8 bytes; fm and tlsf to coarser buckets */
	in.granularity = (pool == 0 ? strcmp(alloc_name(d), "qm") == 0 :
	    p->alloc == DUMP_ALLOC_QM) ? 8 : 16;
	in.timer_s = d->quiet.timers.longest_s;
	in.pool_size = pool == 0 ? o->pool_size : j->n > 0 ?
	    p->size[j->idx[j->n - 1]] : 0;
	growth_judge(&in, &j->res);
	j->v = j->res.verdict == GROWTH_LEAK ? VERDICT_LEAK :
	    j->res.verdict == GROWTH_FLAT ? VERDICT_HEALTHY :
	    VERDICT_INCONCLUSIVE;
	if (whole)
		whole_pool(o, j);
	if (pool > 0 && j->n < o->n)
		log_info("observe: %s: %zu of %zu samples complete (a process "
		    "did not dump in the others)", pool_label(p, lab,
		    sizeof(lab)), j->n, o->n);
	free(vals);
	free(gs);
}

/* Allocation failures of a pool in the log, before and during the look. */
static uint64_t
failures(const struct diag *d, enum dump_pool pool)
{
	const struct dump_result *rs[2] = { d->log.before, d->log.errs };
	uint64_t n = 0;
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; rs[k] != NULL && i < rs[k]->nerrors; i++)
			if (rs[k]->errors[i].pool == pool)
				n += rs[k]->errors[i].count;
	return n;
}

/* Which leaking pool to name first: the one full soonest, where both
 * are known; else the one that leaks the most bytes per second. */
static bool
more_urgent(const struct obs_judged *a, const struct obs_judged *b)
{
	if (a->res.seconds_to_full >= 0 && b->res.seconds_to_full >= 0)
		return a->res.seconds_to_full < b->res.seconds_to_full;
	return a->res.suspects[0].bytes_per_request * a->res.rate >
	    b->res.suspects[0].bytes_per_request * b->res.rate;
}

/*
 * The pools' verdicts as one: a leak anywhere is the verdict (the most
 * urgent pool's named first); a pool that could not be judged makes it
 * inconclusive; healthy only when every pool was.
 */
static void
overall(const struct diag *d, struct obs_judged *j, size_t n, char *why,
    size_t whylen, enum verdict *v)
{
	char lab[96];
	size_t i, first = SIZE_MAX;

	*v = VERDICT_HEALTHY;
	for (i = 0; i < n; i++)
		if (j[i].v == VERDICT_LEAK && (first == SIZE_MAX ||
		    more_urgent(&j[i], &j[first])))
			first = i;
	if (first != SIZE_MAX)
		*v = VERDICT_LEAK;
	for (i = 0; first == SIZE_MAX && i < n; i++)
		if (j[i].v == VERDICT_INCONCLUSIVE)
			first = i;
	if (first == SIZE_MAX) {
		/* healthy: shm's sensitivity is the statement */
		first = 0;
	} else if (*v != VERDICT_LEAK)
		*v = VERDICT_INCONCLUSIVE;
	if (first == 0)
		snprintf(why, whylen, "%s", j[0].res.reason);
	else
		snprintf(why, whylen, "%s: %s", pool_label(
		    &d->obs->pools[j[first].pool], lab, sizeof(lab)),
		    j[first].res.reason);
}

#define OBS_HOLDERS 3
#define OBS_HOLDER_FRAGS 16	/* fewer: a table allocated once */

static size_t
holders_min(const struct diag_obs *o, const struct obs_site **top,
    double min_frags)
{
	size_t i, k, n = 0;

	for (i = 0; o->n > 0 && i < o->nsites; i++) {
		const struct obs_site *st = &o->sites[i];
		double b = st->bytes[o->n - 1];

		if (st->pool != 0 || b <= 0 || st->count[o->n - 1] < min_frags)
			continue;
		for (k = n; k > 0 && top[k - 1]->bytes[o->n - 1] < b; k--)
			if (k < OBS_HOLDERS)
				top[k] = top[k - 1];
		if (k < OBS_HOLDERS) {
			top[k] = st;
			n += n < OBS_HOLDERS;
		}
	}
	return n;
}

/*
 * The shm sites that hold the most in the newest sample, most first:
 * among those holding many fragments (what requests leave behind), not a
 * table the proxy allocated once at start; all sites where none does.
 */
static size_t
holders(const struct diag_obs *o, const struct obs_site **top)
{
	size_t n = holders_min(o, top, OBS_HOLDER_FRAGS);

	return n > 0 ? n : holders_min(o, top, 0);
}

static json_t *
holders_json(const struct diag_obs *o)
{
	const struct obs_site *top[OBS_HOLDERS];
	json_t *a = json_array();
	size_t i, n = holders(o, top);

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s?, s:s?, s:s?, s:I, "
		    "s:f, s:f}", "module", top[i]->module, "file",
		    top[i]->file, "func", top[i]->func, "line",
		    (json_int_t)top[i]->line, "bytes", top[i]->bytes[o->n - 1],
		    "fragments", top[i]->count[o->n - 1]));
	return a;
}

/* Failed allocations: what they mean beside what was seen to grow. */
static void
weigh_failures(const struct diag *d, char *why, size_t whylen,
    enum verdict *v)
{
	uint64_t shm = failures(d, DUMP_POOL_SHM), pkg = failures(d,
	    DUMP_POOL_PKG);
	const struct obs_site *top[OBS_HOLDERS];
	char tmp[1024], held[400] = "";

	if (shm + pkg == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", why);
	if (*v == VERDICT_LEAK) {
		snprintf(why, whylen, "%.700s; the log shows %llu failed "
		    "allocation%s: it has run out already", tmp,
		    (unsigned long long)(shm + pkg), shm + pkg == 1 ? "" : "s");
		return;
	}
	*v = VERDICT_INCONCLUSIVE;
	if (shm > 0 && holders(d->obs, top) > 0 && d->obs->pool_size > 0)
		snprintf(held, sizeof(held), "; holding the most shm now in "
		    "many fragments: %s (%.0f bytes, %.0f %% of the pool)",
		    top[0]->name,
		    top[0]->bytes[d->obs->n - 1], 100 *
		    top[0]->bytes[d->obs->n - 1] / d->obs->pool_size);
	snprintf(why, whylen, "the log shows %llu failed %s allocation%s, "
	    "and no site grew with the requests while observed (%.400s); a "
	    "full pool cannot grow, so this look cannot tell a pool too small "
	    "from a leak that has already filled it, and no floor was "
	    "measured: a gated diagnosis (allow_gate, or without --passive) "
	    "decides, or observe again soon after the proxy's restart%s",
	    (unsigned long long)(shm + pkg), shm >= pkg ? "shm" : "pkg",
	    shm + pkg == 1 ? "" : "s", tmp, held);
}

/* n values as a JSON array */
static json_t *
series(const double *v, const size_t *idx, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[idx[i]]));
	return a;
}

/* what the judgement saw, sample by sample, to check it by */
static json_t *
samples_json(const struct obs_judged *j)
{
	json_t *t = json_array(), *req = json_array(), *fl = json_array(),
	    *used = json_array();
	int m = j->res.method >= 0 ? j->res.method : 0;
	size_t i;

	for (i = 0; i < j->n; i++) {
		json_array_append_new(t, json_real(j->s[i].t));
		json_array_append_new(req, json_real(j->s[i].requests[m]));
		json_array_append_new(fl, json_real(j->s[i].inflight));
		json_array_append_new(used, json_real(j->s[i].pool_used));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "t", t, "requests", req,
	    "inflight", fl, "used", used);
}

static json_t *
pool_json(const struct diag_obs *o, const struct obs_judged *j)
{
	const struct obs_pool *p = &o->pools[j->pool];
	json_t *req = json_object(), *sus = json_array(), *pool;
	size_t i, k;

	for (k = 0; k < GROWTH_METHODS && j->n > 1; k++)
		json_object_set_new(req, o->methods[k], json_integer(
		    (json_int_t)(j->s[j->n - 1].requests[k] -
		    j->s[0].requests[k])));
	for (i = 0; i < j->res.nsuspects; i++) {
		const struct growth_suspect *g = &j->res.suspects[i];
		const struct obs_site *site = NULL;

		for (k = 0; k < o->nsites && site == NULL; k++)
			if (o->sites[k].name == g->name)
				site = &o->sites[k];
		if (site == NULL) {
			/* the whole pool: no site information */
			json_array_append_new(sus, json_pack("{s:s, s:f, s:f, "
			    "s:s}", "site", g->name, "bytes_per_request",
			    g->bytes_per_request, "error", g->se, "method",
			    o->methods[g->method]));
			continue;
		}
		json_array_append_new(sus, json_pack("{s:s?, s:s?, s:s?, s:I, "
		    "s:f, s:f, s:s, s:s?, s:o, s:o}", "module", site->module,
		    "file", site->file, "func", site->func, "line",
		    (json_int_t)site->line, "bytes_per_request",
		    g->bytes_per_request, "error", g->se, "method",
		    o->methods[g->method], "or_method", g->also >= 0 ?
		    o->methods[g->also] : NULL, "series",
		    series(site->bytes, j->idx, j->n), "fragments",
		    series(site->count, j->idx, j->n)));
	}
	pool = json_pack("{s:s, s:s, s:s, s:o, s:o, s:f, s:I}", "pool",
	    p->group == NULL ? "shm" : "pkg", "verdict", verdict_name(j->v),
	    "reason", j->res.reason, "requests", req, "suspects", sus,
	    "sensitivity_bytes_per_request", j->res.sensitivity, "samples",
	    (json_int_t)j->n);
	if (p->group != NULL)
		json_object_set_new(pool, "process", json_string(p->group));
	json_object_set_new(pool, "series", samples_json(j));
	json_object_set_new(pool, "seconds_to_full", j->res.seconds_to_full >=
	    0 ? json_real(j->res.seconds_to_full) : json_null());
	return pool;
}

static void
print_text(const struct diag *d, const struct obs_judged *j, size_t n,
    enum verdict v, const char *why, double span)
{
	char lab[96];
	size_t i, k;

	printf("%s: %s\n  %s\n", d->t->flavour, verdict_name(v), why);
	for (k = 0; k < n; k++)
		for (i = 0; i < j[k].res.nsuspects; i++)
			printf("  %10.1f bytes per %-8s %s%s%s\n",
			       j[k].res.suspects[i].bytes_per_request,
			       d->obs->methods[j[k].res.suspects[i].method],
			       k > 0 ? pool_label(&d->obs->pools[j[k].pool],
						  lab, sizeof(lab))
				     : "",
			       k > 0 ? ": " : "", j[k].res.suspects[i].name);
	for (k = 0; k < n; k++)
		if (j[k].v == VERDICT_LEAK && j[k].res.seconds_to_full >= 0)
			printf("  %s is full in %.1f hours at the observed "
			    "rate\n", pool_label(&d->obs->pools[j[k].pool],
			    lab, sizeof(lab)), j[k].res.seconds_to_full / 3600);
	printf("  observed %.0f s, %zu samples, no gate, no test call\n",
	    span, d->obs->n);
}

/*
 * The judgement of the samples kept, as memdiag(8)'s JSON; *status the
 * verdict's exit status. Prints nothing.
 */
json_t *
diag_observe_judge(struct diag *d, int *status)
{
	struct diag_obs *o = d->obs;
	struct obs_judged *j = xcalloc(o->npools, sizeof(*j));
	json_t *out, *pools = json_array();
	char why[1024];
	enum verdict v;
	double span = o->n > 1 ? o->s[o->n - 1].t - o->s[0].t : 0.0;
	size_t i;

	for (i = 0; i < o->npools; i++)
		judge_pool(d, i, &j[i]);
	overall(d, j, o->npools, why, sizeof(why), &v);
	weigh_failures(d, why, sizeof(why), &v);
	if (d->interrupted) {
		v = VERDICT_INCONCLUSIVE;
		snprintf(why, sizeof(why), "%s", d->stop_why);
	}
	*status = verdict_status(v, false);
	for (i = 0; i < o->npools; i++)
		json_array_append_new(pools, pool_json(o, &j[i]));
	out = json_pack("{s:s, s:s, s:f, s:I, s:f, s:s, s:o}", "verdict",
	    verdict_name(v), "reason", why, "observe_seconds", span,
	    "samples", (json_int_t)o->n, "interval_s", o->interval,
	    "allocator", alloc_name(d), "pools", pools);
	json_object_set_new(out, "allocation_failures", json_pack("{s:I, s:I}",
	    "shm", (json_int_t)failures(d, DUMP_POOL_SHM), "pkg",
	    (json_int_t)failures(d, DUMP_POOL_PKG)));
	json_object_set_new(out, "holders", holders_json(o));
	if (!d->o->quiet_report && !d->o->json)
		print_text(d, j, o->npools, v, why, span);
	free(j);
	return out;
}

int
diag_observe_report(struct diag *d)
{
	json_t *out;
	int st;

	if (d->o->rolling && !d->interrupted && d->status == 0)
		return EX_MD_OK;	/* each window was judged as it came */
	out = diag_observe_judge(d, &st);
	if (!d->o->quiet_report && d->o->json)
		report_print_json(stdout, out);
	if (d->o->result != NULL) {
		json_object_set_new(out, "timeline", diag_timeline_json(d));
		*d->o->result = json_incref(out);
	}
	json_decref(out);
	fflush(stdout);
	return st;
}
