/*
 * The diagnosis' end: settled floors and dumps into verdict.c, one pool
 * at a time (shm; pkg per group of processes with the same role, since
 * which worker takes a call is the kernel's choice), then the report as
 * text or as JSON (memdiag(8), JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/diag_bundle.h"
#include "engine/diag_priv.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/report.h"

#define DIAG_MAX_POOLS 32
#define DIAG_FM_PKG_NOISE 768	/* bytes per process, see fill_rounds */

struct diag_pool {
	enum dump_pool pool;
	const char *group;	/* pkg: the role; borrowed */
	long pid;
	size_t nprocs;
	uint64_t peak[VERDICT_MAX_ROUNDS];
	int64_t transient[VERDICT_MAX_ROUNDS];	/* shm after the dumps */
	bool before_dump[VERDICT_MAX_ROUNDS];
	struct dump merged[VERDICT_MAX_ROUNDS + 1];	/* pkg groups */
	struct verdict_input in;
	struct verdict_result res;
};

struct diag_pools {
	struct diag_pool p[DIAG_MAX_POOLS];
	size_t n;
};

static const struct dump *
find_in(const struct dump_result *res, enum dump_pool pool, long pid)
{
	size_t i;

	for (i = 0; res != NULL && i < res->ndumps; i++)
		if (res->dumps[i].pool == pool && (pool == DUMP_POOL_SHM ||
		    res->dumps[i].pid == pid))
			return &res->dumps[i];
	return NULL;
}

static const struct dump *
find_dump(const struct diag_round *r, enum dump_pool pool, long pid)
{
	const struct dump *x = find_in(r->dumps.dumps, pool, pid);

	return x != NULL ? x : find_in(r->kids.dumps, pool, pid);
}

static bool
same_site(const struct dump_site *a, const struct dump_site *b)
{
	return a->line == b->line &&
	    strcmp(a->file ? a->file : "", b->file ? b->file : "") == 0 &&
	    strcmp(a->func ? a->func : "", b->func ? b->func : "") == 0 &&
	    strcmp(a->module ? a->module : "", b->module ? b->module : "") == 0;
}

/* One group's pkg dumps as one (sites summed; strings borrowed). */
static const struct dump *
merge_group(struct diag *d, struct diag_pool *p, int round)
{
	const struct diag_round *r = &d->rounds[round];
	struct dump *m = &p->merged[round];
	size_t i, j, k;

	memset(m, 0, sizeof(*m));
	m->pool = DUMP_POOL_PKG;
	m->process_no = -1;
	m->complete = true;
	m->has_summary = true;	/* diff.c compares summaries' sites */
	m->used = m->real_used = DUMP_UNKNOWN;
	for (i = 0; i < r->npkg; i++) {
		const struct dump *x;

		if (strcmp(r->pkg[i].group, p->group) != 0)
			continue;
		if ((x = find_dump(r, DUMP_POOL_PKG, r->pkg[i].pid)) == NULL)
			return NULL;
		m->complete = m->complete && x->complete;
		m->alloc = x->alloc;
		for (j = 0; j < x->nsites; j++) {
			for (k = 0; k < m->nsites; k++)
				if (same_site(&m->sites[k], &x->sites[j]))
					break;
			if (k == m->nsites) {
				m->sites = xreallocarray(m->sites,
				    m->nsites + 1, sizeof(*m->sites));
				m->sites[k] = x->sites[j];
				m->sites[k].count = m->sites[k].bytes = 0;
				m->nsites++;
			}
			m->sites[k].count += x->sites[j].count;
			m->sites[k].bytes += x->sites[j].bytes;
		}
	}
	return m;
}

static uint64_t
group_used(const struct diag_pkg *pkg, size_t n, const char *group)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(pkg[i].group, group) == 0)
			sum += pkg[i].used;
	return sum;
}

/* Failure lines naming pool, in the dumps and between them. */
static void
count_errors(const struct dump_result *r, enum dump_pool pool,
    struct verdict_input *in)
{
	size_t i;

	for (i = 0; r != NULL && i < r->nerrors; i++) {
		if (r->errors[i].pool != pool)
			continue;
		in->alloc_failures += r->errors[i].count;
		if (strstr(r->errors[i].text, "Free fragment not found"))
			in->fragment_failures += r->errors[i].count;
	}
}

/*
 * Bytes of Kamailio's cfg framework in an shm dump. Each cfg change
 * memdiag makes (memlog, mem_summary, mem_dump_pkg) leaves blocks in shm
 * until every process has applied it, and an idle worker applies it only
 * when a message wakes it: the floors are judged without them.
 */
static uint64_t
cfg_bytes(const struct dump *dm)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; dm != NULL && i < dm->nsites; i++)
		if (dm->sites[i].file != NULL &&
		    strstr(dm->sites[i].file, "core/cfg/cfg_struct.c") != NULL)
			sum += dm->sites[i].bytes;
	return sum;
}

static const char *allocator(const struct diag *, enum dump_pool);

static void
fill_rounds(struct diag *d, struct diag_pool *p, int nr)
{
	struct verdict_input *in = &p->in;
	int i;

	in->pool = p->pool;
	in->dumps_complete = true;
	in->budget_spent = d->budget_spent;
	in->timer_pending = d->timer_pending;
	/* fm hands out a free fragment whole when the rest is too small to
	 * split, so a worker's pkg floor moves by a few hundred bytes with
	 * which fragment it was given (measured: -1840 to +904 over rounds, two workers) */
	if (p->pool == DUMP_POOL_PKG &&
	    strcmp(allocator(d, DUMP_POOL_PKG), "fm") == 0)
		in->noise_bytes = DIAG_FM_PKG_NOISE * p->nprocs;
	for (i = 0; i <= nr; i++) {
		const struct dump *dm;

		if (p->pool == DUMP_POOL_SHM)
			dm = find_dump(&d->rounds[i], DUMP_POOL_SHM, 0);
		else if (p->nprocs == 1)
			dm = find_dump(&d->rounds[i], DUMP_POOL_PKG, p->pid);
		else
			dm = merge_group(d, p, i);
		if (dm != NULL && !dm->complete)
			in->dumps_complete = false;
		count_errors(d->rounds[i].dumps.dumps, p->pool, in);
		count_errors(d->rounds[i].kids.dumps, p->pool, in);
		if (i == 0) {
			in->baseline = dm;
			if (p->pool == DUMP_POOL_SHM)
				in->baseline_used = d->rounds[0].settled_used -
				    cfg_bytes(dm);
			continue;
		}
		in->rounds[i - 1].calls = d->rounds[i].calls;
		in->rounds[i - 1].completed = d->rounds[i].completed;
		in->rounds[i - 1].quiet = d->rounds[i].quiet;
		in->rounds[i - 1].settled_fragments = DUMP_UNKNOWN;
		in->rounds[i - 1].dump = dm;
		if (p->pool == DUMP_POOL_SHM) {
			in->rounds[i - 1].settled_used =
			    d->rounds[i].settled_used - cfg_bytes(dm);
			p->peak[i - 1] = d->rounds[i].peak_used;
			p->transient[i - 1] = d->rounds[i].dump_transient;
			p->before_dump[i - 1] = d->rounds[i].floor_before_dump;
		} else if (d->pkg_frozen) {
			/* pkg.stats frozen (tlsf): every round was dumped */
			in->rounds[i - 1].settled_used =
			    diag_quiet_dump_used(dm);
			p->peak[i - 1] = 0;	/* not sampled */
		} else {
			in->rounds[i - 1].settled_used = group_used(
			    d->rounds[i].pkg, d->rounds[i].npkg, p->group);
			p->peak[i - 1] = group_used(d->rounds[i].pkg_peak,
			    d->rounds[i].npkg_peak, p->group);
		}
	}
	in->nrounds = (size_t)nr;
	/* pkg dumps exist at the baseline and the end only (diag.c) */
	if (p->pool == DUMP_POOL_PKG && nr > 0 && !d->pkg_frozen)
		in->rounds[0].dump = in->baseline;
	count_errors(d->errs, p->pool, in);
	count_errors(d->before, p->pool, in);
	if (p->pool == DUMP_POOL_SHM) {
		in->heap_size = d->shm.total;
		in->max_used = d->shm.max_used;
	} else {
		in->baseline_used = d->pkg_frozen ?
		    diag_quiet_dump_used(in->baseline) :
		    group_used(d->rounds[0].pkg, d->rounds[0].npkg, p->group);
		in->heap_size = DUMP_UNKNOWN;
		in->max_used = DUMP_UNKNOWN;
	}
}

/*
 * verdict.c spreads the sites' growth from the first round's dump over
 * the later rounds' calls; a pkg "first" dump is the baseline's, so the
 * growth spans every round's calls.
 */
static void
rescale(struct diag_pool *p)
{
	uint64_t all = 0, later;
	size_t i;

	for (i = 0; i < p->in.nrounds; i++)
		all += p->in.rounds[i].calls;
	later = all - (p->in.nrounds ? p->in.rounds[0].calls : 0);
	for (i = 0; all > 0 && i < p->res.nsuspects; i++) {
		p->res.suspects[i].bytes_per_call *= (double)later / all;
		p->res.suspects[i].count_per_call *= (double)later / all;
	}
}

/*
 * A noisy floor (fm pkg) gives a leak's size only roughly: the sites
 * that grew say it better (those within a quarter of the largest).
 */
static void
noisy_slope(struct diag_pool *p)
{
	struct verdict_result *r = &p->res;
	double sum = 0;
	size_t i;

	if (p->in.noise_bytes == 0 || r->verdict != VERDICT_LEAK ||
	    r->nsuspects == 0)
		return;
	for (i = 0; i < r->nsuspects; i++)
		if (r->suspects[i].bytes_per_call >=
		    r->suspects[0].bytes_per_call / 4)
			sum += r->suspects[i].bytes_per_call;
	r->bytes_per_call = sum;
}

static void
build_pools(struct diag *d, struct diag_pools *ps, int nr)
{
	const struct diag_round *b = &d->rounds[0];
	size_t i, j;

	memset(ps, 0, sizeof(*ps));
	ps->p[0].pool = DUMP_POOL_SHM;
	ps->p[0].pid = d->t->main.pid;
	ps->p[0].nprocs = 1;
	ps->n = 1;
	for (i = 0; i < b->npkg; i++) {
		for (j = 1; j < ps->n; j++)
			if (strcmp(ps->p[j].group, b->pkg[i].group) == 0)
				break;
		if (j < ps->n) {
			ps->p[j].nprocs++;
			continue;
		}
		if (ps->n == DIAG_MAX_POOLS)
			break;
		ps->p[j].pool = DUMP_POOL_PKG;
		ps->p[j].group = b->pkg[i].group;
		ps->p[j].pid = b->pkg[i].pid;
		ps->p[j].nprocs = 1;
		ps->n++;
	}
	for (i = 0; i < ps->n; i++) {
		fill_rounds(d, &ps->p[i], nr);
		if (!d->rounds[0].quiet) {
			memset(&ps->p[i].res, 0, sizeof(ps->p[i].res));
			ps->p[i].res.verdict = VERDICT_INCONCLUSIVE;
			snprintf(ps->p[i].res.reason,
			    sizeof(ps->p[i].res.reason), "memory never "
			    "settled before the test calls (--quiet-max %.0f "
			    "s%s)", d->o->quiet_max, d->budget_spent ?
			    ", or the gate's budget" : "");
		} else if (!d->o->passive && nr == 0) {
			/* no test call ran: a passive look's "healthy" would
			 * claim what the run never tried */
			memset(&ps->p[i].res, 0, sizeof(ps->p[i].res));
			ps->p[i].res.verdict = VERDICT_INCONCLUSIVE;
			snprintf(ps->p[i].res.reason,
			    sizeof(ps->p[i].res.reason), "no round of test "
			    "calls ran%s", d->budget_spent ? ": the gate's "
			    "budget was spent after the baseline "
			    "(--gate-budget)" : "");
		} else {
			verdict_judge(&ps->p[i].in, &ps->p[i].res);
			if (ps->p[i].pool == DUMP_POOL_PKG)
				if (!d->pkg_frozen)
					rescale(&ps->p[i]);
			noisy_slope(&ps->p[i]);
		}
	}
}

static void
pools_free(struct diag_pools *ps)
{
	size_t i, j;

	for (i = 0; i < ps->n; i++)
		for (j = 0; j <= VERDICT_MAX_ROUNDS; j++)
			free(ps->p[i].merged[j].sites);
}

static bool
recommend(struct diag *d, const struct diag_pools *ps,
    struct verdict_recommendation *rec)
{
	const struct diag_pool *p = &ps->p[0];
	struct verdict_sizing z;
	double per_call = 29000, held;
	size_t i;

	if (p->res.verdict != VERDICT_POOL_TOO_SMALL)
		return false;
	for (i = 0; i < p->in.nrounds; i++) {
		held = d->rate * 5.5 < p->in.rounds[i].calls ? d->rate * 5.5 :
		    (double)p->in.rounds[i].calls;
		if (held > 0 && p->peak[i] > p->in.baseline_used)
			per_call = (double)(p->peak[i] - p->in.baseline_used) /
			    held;
	}
	memset(&z, 0, sizeof(z));
	z.pool = DUMP_POOL_SHM;
	z.flavour = d->t->flavour;
	z.debian = access("/etc/default/kamailio", F_OK) == 0;
	z.floor = p->in.baseline_used;
	z.per_call = per_call;
	z.peak_cps = d->o->peak_cps > 0 ? d->o->peak_cps : d->rate;
	z.lifetime_s = 5.5;
	z.heap_size = d->shm.total;
	z.margin = 1.5;
	verdict_recommend(&z, rec);
	return true;
}

static const char *
allocator(const struct diag *d, enum dump_pool pool)
{
	const struct dump_result *r = d->rounds[0].dumps.dumps;
	const char *cl = pool == DUMP_POOL_SHM ? d->t->shm_alloc :
	    (d->t->pkg_alloc ? d->t->pkg_alloc : d->t->shm_alloc);
	size_t i;

	for (i = 0; r != NULL && i < r->ndumps; i++)
		if (r->dumps[i].pool == pool &&
		    dump_alloc_name(r->dumps[i].alloc) != NULL)
			return dump_alloc_name(r->dumps[i].alloc);
	return cl ? cl : "qm";
}

static void
add_errors(json_t *a, const struct dump_result *r, bool corruption)
{
	size_t i;

	for (i = 0; r != NULL && !corruption && i < r->nerrors; i++)
		json_array_append_new(a, json_pack("{s:I, s:s?, s:s, s:I}",
		    "pid", (json_int_t)r->errors[i].pid, "pool",
		    dump_pool_name(r->errors[i].pool), "text",
		    r->errors[i].text, "count", (json_int_t)r->errors[i].count));
	for (i = 0; r != NULL && corruption && i < r->ncorruption; i++)
		json_array_append_new(a, json_string(r->corruption[i].text));
}

/* Failure lines already in the log before the run. */
static uint64_t
before_lines(const struct diag *d)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; d->before != NULL && i < d->before->nerrors; i++)
		n += d->before->errors[i].count;
	return n;
}

static json_t *
pool_json(const struct diag_pool *p)
{
	json_t *rounds = json_array(), *sus = json_array(), *j;
	size_t i;

	for (i = 0; i < p->in.nrounds; i++) {
		const struct verdict_round *r = &p->in.rounds[i];

		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}", "calls",
		    (json_int_t)r->calls, "completed", (json_int_t)r->completed,
		    "failed", (json_int_t)(r->calls - r->completed),
		    "settled_used", (json_int_t)r->settled_used, "peak_used",
		    (json_int_t)p->peak[i]);

		/* shm the dumps left for a while: not in the floor */
		if (p->pool == DUMP_POOL_SHM) {
			json_object_set_new(o, "dump_transient",
			    json_integer(p->transient[i]));
			json_object_set_new(o, "floor_before_dump",
			    json_boolean(p->before_dump[i]));
		}
		json_array_append_new(rounds, o);
	}
	for (i = 0; i < p->res.nsuspects; i++) {
		const struct verdict_suspect *s = &p->res.suspects[i];

		json_array_append_new(sus, json_pack("{s:s?, s:s?, s:s?, s:I, "
		    "s:f, s:f}", "module", s->module, "file", s->file, "func",
		    s->func, "line", (json_int_t)s->line, "bytes_per_call",
		    s->bytes_per_call, "count_per_call", s->count_per_call));
	}
	j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:o, s:f, s:o, s:I}",
	    "pool", dump_pool_name(p->pool), "pid", (json_int_t)p->pid,
	    "process", p->group ? p->group : "all processes (shared)",
	    "verdict", verdict_name(p->res.verdict), "reason", p->res.reason,
	    "baseline_used", (json_int_t)p->in.baseline_used, "rounds", rounds,
	    "bytes_per_call", p->res.bytes_per_call, "suspects", sus,
	    "processes", (json_int_t)p->nprocs);
	json_object_set_new(j, "heap_size", p->in.heap_size != DUMP_UNKNOWN &&
	    p->in.heap_size > 0 ? json_integer((json_int_t)p->in.heap_size) :
	    json_null());
	return j;
}

static json_t *
report_json(struct diag *d, const struct diag_pools *ps, enum verdict v,
    const char *reason, const struct verdict_recommendation *rec)
{
	json_t *pools = json_array(), *errs = json_array(),
	    *corr = json_array(), *j;
	size_t i, nbefore;

	for (i = 0; i < ps->n; i++)
		json_array_append_new(pools, pool_json(&ps->p[i]));
	/* already in the log before the run (diag_before.c) first */
	add_errors(errs, d->before, false);
	nbefore = json_array_size(errs);
	add_errors(errs, d->errs, false);
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		add_errors(errs, d->rounds[i].dumps.dumps, false);
		add_errors(corr, d->rounds[i].dumps.dumps, true);
		add_errors(errs, d->rounds[i].kids.dumps, false);
		add_errors(corr, d->rounds[i].kids.dumps, true);
	}
	for (i = 0; i < json_array_size(errs); i++)
		json_object_set_new(json_array_get(errs, i), "before_run",
		    json_boolean(i < nbefore));
	j = json_pack("{s:s, s:s, s:{s:I, s:s?, s:{s:s, s:s}}, "
	    "s:{s:s, s:f, s:I}, s:f, s:{s:f, s:I, s:s}, s:o, s:o, s:o, s:o, "
	    "s:b}",
	    "verdict", verdict_name(v), "reason", reason,
	    "target", "pid", (json_int_t)d->t->main.pid, "version", d->version,
	    "allocators", "shm", allocator(d, DUMP_POOL_SHM), "pkg",
	    allocator(d, DUMP_POOL_PKG),
	    "gate", "backend", d->o->passive ? "none" : d->o->gate,
	    "closed_s", d->gate_closed_s, "lapses", (json_int_t)d->lapses,
	    "quiet_seconds", d->quiet_total,
	    "load", "rate", d->o->passive ? 0.0 : d->rate, "concurrency",
	    (json_int_t)(d->o->passive ? 0 : d->concurrency), "why",
	    d->o->passive ? "passive: no test calls" : d->load_why,
	    "pools", pools,
	    "recommendation", rec ? json_pack("{s:s, s:I, s:s, s:s}", "knob",
	    rec->knob, "value", (json_int_t)rec->value_mb, "unit", "MB",
	    "reasoning", rec->reasoning) : json_null(),
	    "memory_errors", errs, "corruption", corr,
	    "settings_restored", d->restored);
	json_object_set_new(j, "quiet", diag_quiet_json(d));
	json_object_set_new(j, "pkg_stats_frozen", json_boolean(d->pkg_frozen));
	json_object_set_new(j, "before_run", json_pack("{s:s, s:I, s:I, s:I, "
	    "s:I}", "log", d->before_what[0] ? d->before_what : "not read",
	    "memory_errors", (json_int_t)before_lines(d), "distinct",
	    (json_int_t)nbefore, "shm_max_used",
	    (json_int_t)d->shm_start.max_used, "shm_size",
	    (json_int_t)d->shm_start.total));
	return j;
}

static void
report_text(FILE *f, struct diag *d, const struct diag_pools *ps,
    enum verdict v,
    const char *reason, const struct verdict_recommendation *rec,
    size_t nerr, size_t ncorr)
{
	size_t i, j;

	fprintf(f, "%s pid %d (%s): %s\n  %s\n", d->t->flavour,
	    (int)d->t->main.pid, d->version ? d->version : "?",
	    verdict_name(v), reason);
	fprintf(f, "gate %s, closed %.1f s; quiet %.1f s; load %s\n",
	    d->o->passive ? "none" : d->o->gate, d->gate_closed_s,
	    d->quiet_total, d->o->passive ? "none (passive)" : d->load_why);
	diag_quiet_text(f, d);
	for (i = 0; i < ps->n; i++) {
		const struct diag_pool *p = &ps->p[i];

		fprintf(f, "\n%s %s%s: %s\n  %s\n  baseline %llu", dump_pool_name(
		    p->pool), p->group ? p->group : "(shared)",
		    p->nprocs > 1 ? " (all of them)" : "",
		    verdict_name(p->res.verdict), p->res.reason,
		    (unsigned long long)p->in.baseline_used);
		for (j = 0; j < p->in.nrounds; j++)
			fprintf(f, "; %llu/%llu calls -> %llu (peak %llu)",
			    (unsigned long long)p->in.rounds[j].completed,
			    (unsigned long long)p->in.rounds[j].calls,
			    (unsigned long long)p->in.rounds[j].settled_used,
			    (unsigned long long)p->peak[j]);
		fprintf(f, "\n");
		for (j = 0; j < p->res.nsuspects && j < 5; j++) {
			const struct verdict_suspect *s = &p->res.suspects[j];

			fprintf(f, "  suspect: %s: %s: %s(%lu): %.1f bytes, %.2f "
			    "fragments per call\n", s->module ? s->module : "?",
			    s->file ? s->file : "?", s->func ? s->func : "?",
			    s->line, s->bytes_per_call, s->count_per_call);
		}
	}
	if (d->lapses > 0)
		fprintf(f, "\nthe gate opened by itself %u time%s while meant to be "
		    "closed: its floors may hold users' traffic\n", d->lapses,
		    d->lapses == 1 ? "" : "s");
	if (rec != NULL)
		fprintf(f, "\nrecommendation: %s\n  %s\n", rec->knob,
		    rec->reasoning);
	fprintf(f, "\nmemory errors in the log during the run: %zu; corruption: "
	    "%zu; settings restored: %s\n", nerr, ncorr, d->restored ? "yes" :
	    "NO");
	fprintf(f, "before the run: %llu memory error%s in the log (%s); "
	    "shm high-water mark %llu of %llu bytes\n",
	    (unsigned long long)before_lines(d), before_lines(d) == 1 ? "" :
	    "s", d->before_what[0] ? d->before_what : "not read",
	    (unsigned long long)d->shm_start.max_used,
	    (unsigned long long)d->shm_start.total);
}

int
diag_report(struct diag *d)
{
	static struct diag_pools ps;
	struct verdict_recommendation rec;
	enum verdict vs[DIAG_MAX_POOLS], v;
	char reason[600];
	bool corruption = false, have_rec;
	size_t i, nerr = 0, ncorr = 0;
	int nr = d->round, st;
	json_t *j;

	diag_progress_end();	/* the report starts at a clean line */
	if (d->parser != NULL) {
		d->errs = dump_parser_finish(d->parser);
		d->parser = NULL;
		nerr += d->errs->nerrors;
	}
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		if (d->rounds[i].dumps.dumps != NULL) {
			nerr += d->rounds[i].dumps.dumps->nerrors;
			ncorr += d->rounds[i].dumps.dumps->ncorruption;
		}
		if (d->rounds[i].kids.dumps != NULL) {
			nerr += d->rounds[i].kids.dumps->nerrors;
			ncorr += d->rounds[i].kids.dumps->ncorruption;
		}
	}
	corruption = ncorr > 0;
	build_pools(d, &ps, nr);
	for (i = 0; i < ps.n; i++)
		vs[i] = ps.p[i].res.verdict;
	v = verdict_overall(vs, ps.n);
	if (d->interrupted) {
		v = VERDICT_INCONCLUSIVE;
		if (d->stop_why[0] != '\0')
			snprintf(reason, sizeof(reason), "%s", d->stop_why);
		else
			snprintf(reason, sizeof(reason), "interrupted in round "
			    "%d", d->round);
	} else if (ps.n == 0) {
		/* nothing was judged: never "healthy" by default */
		v = VERDICT_INCONCLUSIVE;
		snprintf(reason, sizeof(reason), "no pool could be judged: %s",
		    d->budget_spent ? "the gate's budget was spent before "
		    "memory settled (--gate-budget)" : !d->rounds[0].quiet ?
		    "memory never settled (--quiet-max)" :
		    "no dump was taken");
	} else {
		for (i = 0; i < ps.n && ps.p[i].res.verdict != v; i++)
			;
		snprintf(reason, sizeof(reason), "%s %s: %s",
		    dump_pool_name(ps.p[i].pool), ps.p[i].group ?
		    ps.p[i].group : "(shared)", ps.p[i].res.reason);
	}
	have_rec = recommend(d, &ps, &rec);
	st = verdict_status(v, corruption);
	if (d->interrupted)
		st = EX_MD_UNKNOWN;
	j = report_json(d, &ps, v, reason, have_rec ? &rec : NULL);
	if (d->o->quiet_report)
		;
	else if (d->o->nagios)
		nagios_print(j, st);
	else if (d->o->json)
		report_print_json(stdout, j);
	else
		report_text(stdout, d, &ps, v, reason, have_rec ? &rec : NULL,
		    nerr, ncorr);
	if (d->o->bundle != NULL) {
		char *text = NULL;
		size_t len = 0;
		FILE *mf;

		if ((mf = open_memstream(&text, &len)) == NULL)
			fatal(EX_MD_INTERNAL, "open_memstream");
		report_text(mf, d, &ps, v, reason, have_rec ? &rec : NULL,
		    nerr, ncorr);
		fclose(mf);
		diag_bundle_write(d, text, j);
		free(text);
	}
	if (d->o->result != NULL) {
		json_object_set_new(j, "timeline", diag_timeline_json(d));
		*d->o->result = json_incref(j);
	}
	json_decref(j);
	fflush(stdout);
	pools_free(&ps);
	return st;
}
