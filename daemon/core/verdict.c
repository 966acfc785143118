/*
 * The judgement. Round 1 may carry warm-up (caches filled once, counters
 * created), so a leak is read from the rounds after it: each must add
 * memory in proportion to its own number of calls. Memory held by a timer
 * tracks the latest round instead, and a warm-up adds nothing after round
 * 1; neither is a leak. Healthy floors come back to the byte once tm's
 * wait timer has passed (engine/diag_quiet.c), so the tolerance is small.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/verdict.h"
#include "lib/exitcodes.h"
#include "lib/xmalloc.h"

#define VERDICT_TOL_BYTES 16		/* allocator rounding of one floor */
#define TOL(in) ((int64_t)((in)->noise_bytes > VERDICT_TOL_BYTES ? \
    (in)->noise_bytes : VERDICT_TOL_BYTES))
#define VERDICT_SLOPE_SPREAD 1.5	/* fm rounds 520 B up to 567 */
#define VERDICT_MIN_COMPLETED 0.9	/* of each round's calls */
#define VERDICT_FULL_POOL 0.99		/* max_used / heap: exhausted */

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_HEALTHY:
		return "healthy";
	case VERDICT_LEAK:
		return "leak";
	case VERDICT_POOL_TOO_SMALL:
		return "pool-too-small";
	case VERDICT_FRAGMENTATION:
		return "fragmentation";
	default:
		return "inconclusive";
	}
}

static int
verdict_rank(enum verdict v)
{
	switch (v) {
	case VERDICT_LEAK:
		return 0;
	case VERDICT_POOL_TOO_SMALL:
		return 1;
	case VERDICT_FRAGMENTATION:
		return 2;
	case VERDICT_INCONCLUSIVE:
		return 3;
	default:
		return 4;
	}
}

enum verdict
verdict_overall(const enum verdict *v, size_t n)
{
	enum verdict best = VERDICT_HEALTHY;
	size_t i;

	for (i = 0; i < n; i++)
		if (verdict_rank(v[i]) < verdict_rank(best))
			best = v[i];
	return best;
}

int
verdict_status(enum verdict v, bool corruption)
{
	int s;

	switch (v) {
	case VERDICT_HEALTHY:
		s = EX_MD_OK;
		break;
	case VERDICT_POOL_TOO_SMALL:
	case VERDICT_FRAGMENTATION:
		s = EX_MD_WARNING;
		break;
	case VERDICT_LEAK:
		s = EX_MD_CRITICAL;
		break;
	default:
		s = EX_MD_UNKNOWN;
		break;
	}
	return corruption && s < EX_MD_CRITICAL ? EX_MD_CRITICAL : s;
}

static void
say(struct verdict_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct verdict_result *r, const char *fmt, ...)
{
	size_t l = strlen(r->reason);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason + l, sizeof(r->reason) - l, fmt, ap);
	va_end(ap);
}

/* Why the rounds cannot be judged, or NULL. */
static const char *
unusable(const struct verdict_input *in, char *buf, size_t len)
{
	size_t i;

	if (in->proxy_restarted)
		return "the proxy restarted during the run";
	if (!in->dumps_complete)
		return "a dump was incomplete (the log lost lines); its figures "
		    "were not used";
	for (i = 0; i < in->nrounds; i++) {
		const struct verdict_round *r = &in->rounds[i];

		if (!r->quiet) {
			snprintf(buf, len, "memory never settled after round "
			    "%zu%s", i + 1, in->budget_spent ? " before the "
			    "gate budget was spent" : "");
			return buf;
		}
		if (r->calls == 0 || (double)r->completed <
		    VERDICT_MIN_COMPLETED * (double)r->calls) {
			snprintf(buf, len, "test calls failed: %llu of %llu "
			    "completed in round %zu",
			    (unsigned long long)r->completed,
			    (unsigned long long)r->calls, i + 1);
			return buf;
		}
	}
	return NULL;
}

static int
suspect_cmp(const void *a, const void *b)
{
	const struct verdict_suspect *x = a, *y = b;

	return (x->bytes_per_call < y->bytes_per_call) -
	    (x->bytes_per_call > y->bytes_per_call);
}

/* Sites that grew between two settled dumps, per call, largest first. */
static void
suspects(const struct dump *from, const struct dump *to, uint64_t calls,
    struct verdict_result *r)
{
	struct dump_result a = { 0 }, b = { 0 };
	struct diff_result *d;
	struct verdict_suspect all[64];
	size_t i, n = 0;

	if (from == NULL || to == NULL || calls == 0)
		return;
	a.dumps = (struct dump *)from;
	a.ndumps = 1;
	b.dumps = (struct dump *)to;
	b.ndumps = 1;
	d = diff_dumps(&a, &b);
	for (i = 0; d->npairs == 1 && i < d->pairs[0].nsites && n < 64; i++) {
		const struct diff_site *s = &d->pairs[0].sites[i];

		if (s->bytes_delta <= 0)
			continue;
		all[n].module = s->module;
		all[n].file = s->file;
		all[n].func = s->func;
		all[n].line = s->line;
		all[n].bytes_per_call = (double)s->bytes_delta / (double)calls;
		all[n].count_per_call = (double)s->count_delta / (double)calls;
		n++;
	}
	diff_result_free(d);
	qsort(all, n, sizeof(*all), suspect_cmp);
	r->nsuspects = n < VERDICT_MAX_SUSPECTS ? n : VERDICT_MAX_SUSPECTS;
	memcpy(r->suspects, all, r->nsuspects * sizeof(*all));
}

/*
 * Growth after round 1, per round: a leak when every later round added
 * memory, each in proportion to its calls. Returns the slope, 0 if none.
 */
/*
 * A noisy floor (fm pkg: a worker's floor moves by kilobytes with the
 * fragments it was handed) may miss a round's share of a leak by more
 * than the noise allows, yet tell which of two stories it follows. Past
 * the first round (its warm-up), the floor rose by e_i after round i: a
 * leak makes e_i the calls since the first round times s; memory a timer
 * holds makes it the latest round's calls less the first's times s.
 * Least squares for each; the leak's slope when it fits better, every
 * later round rose, and all of it is over twice the noise. Measured
 * (pkgleak, fm, 200/200/400 calls): +3712, +8424, +11328 is 13.8 B per
 * call against 14.4 in the dumps; the timer's story fits five times
 * worse.
 */
static double
noisy_leak_slope(const struct verdict_input *in, const int64_t *inc)
{
	double e = 0, since = 0, ln = 0, ld = 0, tn = 0, td = 0, rl = 0,
	    rt = 0, sl, st;
	size_t i;

	if (in->noise_bytes == 0 || in->nrounds < 3)
		return 0;
	for (i = 1; i < in->nrounds; i++) {
		double dt = (double)in->rounds[i].calls -
		    (double)in->rounds[0].calls;

		if (inc[i] <= 0)
			return 0;
		e += (double)inc[i];
		since += (double)in->rounds[i].calls;
		ln += e * since;
		ld += since * since;
		tn += e * dt;
		td += dt * dt;
	}
	if (e <= 2.0 * (double)TOL(in) || ld == 0)
		return 0;
	sl = ln / ld;
	st = td > 0 ? tn / td : 0;
	e = since = 0;
	for (i = 1; i < in->nrounds; i++) {
		double dt = (double)in->rounds[i].calls -
		    (double)in->rounds[0].calls;

		e += (double)inc[i];
		since += (double)in->rounds[i].calls;
		rl += (e - sl * since) * (e - sl * since);
		rt += (e - st * dt) * (e - st * dt);
	}
	return sl > 0 && rl < rt ? sl : 0;
}

static double
leak_slope(const struct verdict_input *in, const int64_t *inc)
{
	double lo = INFINITY, hi = 0, bytes = 0, calls = 0;
	size_t i;

	for (i = 1; i < in->nrounds; i++) {
		double s;

		if (inc[i] <= TOL(in))
			return noisy_leak_slope(in, inc);
		s = (double)inc[i] / (double)in->rounds[i].calls;
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
		bytes += (double)inc[i];
		calls += (double)in->rounds[i].calls;
	}
	if (calls == 0)
		return 0;
	if (hi > lo * VERDICT_SLOPE_SPREAD && in->noise_bytes == 0)
		return 0;
	/* a noisy floor: each round within the noise of the common slope */
	for (i = 1; in->noise_bytes > 0 && i < in->nrounds; i++)
		if (fabs((double)inc[i] - bytes / calls *
		    (double)in->rounds[i].calls) > (double)in->noise_bytes &&
		    hi > lo * VERDICT_SLOPE_SPREAD)
			return noisy_leak_slope(in, inc);
	return bytes / calls;
}

static int64_t
maxabs(const int64_t *v, size_t n)
{
	int64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		m = llabs(v[i]) > m ? llabs(v[i]) : m;
	return m;
}

static void
pressure(const struct verdict_input *in, struct verdict_result *r,
    bool primary)
{
	bool full = in->heap_size != DUMP_UNKNOWN && in->heap_size > 0 &&
	    in->max_used != DUMP_UNKNOWN &&
	    (double)in->max_used >= VERDICT_FULL_POOL * (double)in->heap_size;

	if (in->fragment_failures > 0 && !full) {
		if (primary)
			r->verdict = VERDICT_FRAGMENTATION;
		say(r, "%sallocations failed with \"Free fragment not found\" "
		    "(%llu) while the pool had free memory: fragmentation",
		    primary ? "" : "; also: ",
		    (unsigned long long)in->fragment_failures);
	} else if (in->alloc_failures > 0 || full) {
		if (primary)
			r->verdict = VERDICT_POOL_TOO_SMALL;
		if (in->alloc_failures > 0)
			say(r, "%sthe proxy logged %llu allocation failure%s",
			    primary ? "" : "; also: ",
			    (unsigned long long)in->alloc_failures,
			    in->alloc_failures == 1 ? "" : "s");
		else
			say(r, "%sits high-water mark reached the pool size",
			    primary ? "" : "; also: ");
		say(r, "%s", primary ? ", and memory returns to its floor: the "
		    "pool is too small for the load" : "");
	}
}

void
verdict_judge(const struct verdict_input *in, struct verdict_result *r)
{
	int64_t d[VERDICT_MAX_ROUNDS], inc[VERDICT_MAX_ROUNDS];
	uint64_t calls = 0, later = 0;
	char buf[256];
	const char *why;
	double slope;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->verdict = VERDICT_HEALTHY;
	if ((why = unusable(in, buf, sizeof(buf))) != NULL) {
		r->verdict = VERDICT_INCONCLUSIVE;
		say(r, "%s", why);
		return;
	}
	if (in->nrounds == 0) {
		pressure(in, r, true);
		if (r->verdict == VERDICT_HEALTHY)
			say(r, "passive look: no allocation failures and room "
			    "in the pool; without test calls a leak cannot be "
			    "seen");
		return;
	}
	for (i = 0; i < in->nrounds; i++) {
		d[i] = (int64_t)in->rounds[i].settled_used -
		    (int64_t)in->baseline_used;
		inc[i] = i == 0 ? d[0] : d[i] - d[i - 1];
		calls += in->rounds[i].calls;
		if (i > 0)
			later += in->rounds[i].calls;
	}
	slope = in->nrounds >= 2 ? leak_slope(in, inc) : 0;
	if (slope > 0) {
		double first = slope * (double)in->rounds[0].calls;

		r->verdict = VERDICT_LEAK;
		r->bytes_per_call = slope;
		say(r, "the settled floor grew with the calls in every round "
		    "after the first: %.1f bytes per call (", slope);
		for (i = 0; i < in->nrounds; i++)
			say(r, "%s%+lld after %llu", i ? ", " : "",
			    (long long)d[i],
			    (unsigned long long)in->rounds[i].calls);
		say(r, ")");
		if ((double)inc[0] > first + TOL(in)) {
			r->warmup = true;
			r->warmup_bytes = (uint64_t)((double)inc[0] - first);
		}
		if (in->timer_pending)
			say(r, "; a module timer longer than the run could "
			    "still hold it");
		suspects(in->rounds[0].dump, in->rounds[in->nrounds - 1].dump,
		    later, r);
		pressure(in, r, false);
		return;
	}
	if (in->nrounds >= 2) {
		bool later_flat = true, later_up = true;

		/* a floor that only falls (fm's pkg bookkeeping after
		 * fragments merge) holds nothing */
		for (i = 1; i < in->nrounds; i++) {
			if (inc[i] > TOL(in))
				later_flat = false;
			if (inc[i] <= 0)
				later_up = false;
		}
		/* healthy floors come back to the byte: growth in every
		 * round, however small, is a leak the rounds were too small
		 * to measure */
		if (later_flat && later_up && in->noise_bytes == 0) {
			r->verdict = VERDICT_INCONCLUSIVE;
			say(r, "the floor grew a little in every round after the "
			    "first (");
			for (i = 1; i < in->nrounds; i++)
				say(r, "%s%+lld after %llu", i > 1 ? ", " : "",
				    (long long)inc[i],
				    (unsigned long long)in->rounds[i].calls);
			say(r, "), within the allocator's rounding: a leak of "
			    "under %.2f bytes per call is below what the run "
			    "can see; more calls per round (--calls) would "
			    "tell", (double)TOL(in) /
			    (double)in->rounds[1].calls);
			return;
		}
		/* a noisy allocator's floor wanders: no leak is all a
		 * wandering floor can say */
		if (!later_flat && in->noise_bytes > 0 &&
		    maxabs(d, in->nrounds) <= 2 * TOL(in)) {
			say(r, "the floor wandered by up to %lld bytes without "
			    "following the calls: the allocator's noise; ",
			    (long long)maxabs(inc, in->nrounds));
			later_flat = true;
		}
		if (later_flat && inc[0] > TOL(in)) {
			r->warmup = true;
			r->warmup_bytes = (uint64_t)inc[0];
		} else if (!later_flat) {
			r->verdict = VERDICT_INCONCLUSIVE;
			if (d[in->nrounds - 1] > TOL(in))
				say(r, "the floor follows the latest round's "
				    "calls, not their total (%+lld, %+lld): "
				    "memory still held by a timer%s",
				    (long long)d[in->nrounds - 2],
				    (long long)d[in->nrounds - 1],
				    in->timer_pending ? " the proxy's "
				    "configuration declares; wait it out" :
				    "; a longer quiet period would tell");
			else
				say(r, "the floor moved by more than the "
				    "allocator's rounding without following "
				    "the calls");
			return;
		}
	} else if (llabs(inc[0]) > TOL(in)) {
		r->verdict = VERDICT_INCONCLUSIVE;
		say(r, "the floor grew by %+lld after one round: one round "
		    "cannot tell a leak from warm-up", (long long)inc[0]);
		return;
	}
	pressure(in, r, true);
	if (r->verdict != VERDICT_HEALTHY)
		return;
	say(r, "memory returned to its floor after %llu calls: no leak was "
	    "reproduced by this call mix (a leak of %.2f bytes per call "
	    "would have shown)", (unsigned long long)calls,
	    (double)TOL(in) / (double)(later ? later : calls));
	if (r->warmup)
		say(r, "; warm-up of %llu bytes in the first round",
		    (unsigned long long)r->warmup_bytes);
	if (d[in->nrounds - 1] < -TOL(in))
		say(r, "; the floor ended %lld bytes below the baseline",
		    (long long)-d[in->nrounds - 1]);
}

/*
 * Size: floor + per-call footprint x calls in flight (peak rate x the
 * time a call's memory lives), times a margin, rounded up (16 MB steps
 * for shm, 1 MB for pkg). The knob is the one this proxy and version
 * read: -m/-M on the command line (Debian: SHM_MEMORY/PKG_MEMORY in
 * /etc/default), or config.h for builds without them.
 */
void
verdict_recommend(const struct verdict_sizing *z,
    struct verdict_recommendation *rec)
{
	bool shm = z->pool == DUMP_POOL_SHM;
	bool kam = z->flavour != NULL && strcmp(z->flavour, "kamailio") == 0;
	bool osips = z->flavour != NULL && strcmp(z->flavour, "opensips") == 0;
	bool old = !kam && !osips;	/* SER, OpenSER 1.x */
	double inflight = z->peak_cps * z->lifetime_s, need, step;
	uint64_t mb;

	memset(rec, 0, sizeof(*rec));
	need = ((double)z->floor + z->per_call * inflight) *
	    (z->margin > 1 ? z->margin : 1.5);
	step = shm ? 16.0 : 1.0;
	mb = (uint64_t)(ceil(need / (1024.0 * 1024.0) / step) * step);
	if (mb < (uint64_t)step)
		mb = (uint64_t)step;
	rec->value_mb = mb;
	if (old && !shm)
		snprintf(rec->knob, sizeof(rec->knob), "PKG_MEM_POOL_SIZE in "
		    "config.h (bytes; rebuild): %llu",
		    (unsigned long long)mb * 1024 * 1024);
	else if (z->debian)
		snprintf(rec->knob, sizeof(rec->knob), "%s %llu on the "
		    "command line, or %s=%llu in /etc/default/%s",
		    shm ? "-m" : "-M", (unsigned long long)mb,
		    osips ? (shm ? "S_MEMORY" : "P_MEMORY") :
		    (shm ? "SHM_MEMORY" : "PKG_MEMORY"), (unsigned long long)mb,
		    z->flavour ? z->flavour : "kamailio");
	else
		snprintf(rec->knob, sizeof(rec->knob), "%s %llu on the "
		    "command line (MB)%s", shm ? "-m" : "-M",
		    (unsigned long long)mb, kam ? (shm ? "; builds without "
		    "it: SHM_MEM_SIZE in src/core/config.h" : "; builds "
		    "without it: PKG_MEM_SIZE in src/core/config.h") : "");
	snprintf(rec->reasoning, sizeof(rec->reasoning),
	    "floor %.1f MB + %.0f bytes per call in flight x %.0f calls in "
	    "flight (%.0f calls/s x %.1f s), x%.1f margin = %.1f MB%s; now "
	    "%.1f MB", (double)z->floor / 1048576.0, z->per_call, inflight,
	    z->peak_cps, z->lifetime_s, z->margin > 1 ? z->margin : 1.5,
	    need / 1048576.0, shm ? "" : " per process",
	    z->heap_size != DUMP_UNKNOWN ? (double)z->heap_size / 1048576.0 :
	    0.0);
	if (!shm && z->nprocs > 0) {
		size_t l = strlen(rec->reasoning);

		snprintf(rec->reasoning + l, sizeof(rec->reasoning) - l,
		    "; %u processes: %llu MB of the machine's memory in all",
		    z->nprocs, (unsigned long long)mb * z->nprocs);
	}
}
