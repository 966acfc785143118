/*
 * The judgement (diag_judge.h): the rounds' floors, peaks and dumps per
 * pool into verdict.c's input, the adjustments the allocators need, and
 * the recommendation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/diag_judge.h"
#include "engine/diag_priv.h"
#include "lib/xmalloc.h"

#define DIAG_FM_PKG_NOISE 768	/* bytes per process, see fill_rounds */

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

static void
fill_rounds(struct diag *d, struct diag_pool *p, int nr)
{
	struct verdict_input *in = &p->in;
	int i;

	in->pool = p->pool;
	in->dumps_complete = true;
	in->budget_spent = d->budget_spent;
	in->timer_pending = d->quiet.timer_pending;
	/* fm hands out a free fragment whole when the rest is too small to
	 * split, so a worker's pkg floor moves by a few hundred bytes with
	 * which fragment it was given (measured: -1840 to +904 over rounds, two
	 * workers) */
	if (p->pool == DUMP_POOL_PKG &&
	    strcmp(diag_judge_allocator(d, DUMP_POOL_PKG), "fm") == 0)
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
	count_errors(d->log.errs, p->pool, in);
	count_errors(d->log.before, p->pool, in);
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

/* A leak whose dumps name no site: where to get them said. */
static void
no_site(const struct diag *d, struct verdict_result *r)
{
	size_t l = strlen(r->reason);

	if (r->verdict != VERDICT_LEAK || r->nsuspects > 0)
		return;
	snprintf(r->reason + l, sizeof(r->reason) - l, "; its dumps name no "
	    "allocation site%s", d->osips ? " (OpenSIPS names them only "
	    "under a *_DBG allocator: restart it with -a Q_MALLOC_DBG, or "
	    "F_MALLOC_DBG, to see where)" : "");
}

void
diag_judge_pools(struct diag *d, struct diag_pools *ps, int nr)
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
			no_site(d, &ps->p[i].res);
		}
	}
}

void
diag_judge_free(struct diag_pools *ps)
{
	size_t i, j;

	for (i = 0; i < ps->n; i++)
		for (j = 0; j <= VERDICT_MAX_ROUNDS; j++)
			free(ps->p[i].merged[j].sites);
}

bool
diag_judge_recommend(struct diag *d, const struct diag_pools *ps,
    struct verdict_recommendation *rec)
{
	const struct diag_pool *p = &ps->p[0];
	struct verdict_sizing z;
	double per_call = 29000, held;
	char path[64];
	size_t i;

	if (p->res.verdict != VERDICT_POOL_TOO_SMALL)
		return false;
	for (i = 0; i < p->in.nrounds; i++) {
		held = d->calls.rate * 5.5 < p->in.rounds[i].calls
			   ? d->calls.rate * 5.5
			   : (double)p->in.rounds[i].calls;
		if (held > 0 && p->peak[i] > p->in.baseline_used)
			per_call = (double)(p->peak[i] - p->in.baseline_used) /
			    held;
	}
	memset(&z, 0, sizeof(z));
	z.pool = DUMP_POOL_SHM;
	z.flavour = d->t->flavour;
	snprintf(path, sizeof(path), "/etc/default/%s", d->t->flavour);
	z.debian = access(path, F_OK) == 0;
	z.floor = p->in.baseline_used;
	z.per_call = per_call;
	z.peak_cps = d->o->peak_cps > 0 ? d->o->peak_cps : d->calls.rate;
	z.lifetime_s = 5.5;
	z.heap_size = d->shm.total;
	z.margin = 1.5;
	verdict_recommend(&z, rec);
	return true;
}

const char *
diag_judge_allocator(const struct diag *d, enum dump_pool pool)
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
