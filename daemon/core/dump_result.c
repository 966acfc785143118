/*
 * Results: a finished dump's sites exported and sorted, duplicates of one
 * process's dump dropped, and everything freed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/dump_priv.h"
#include "lib/xmalloc.h"

static void dump_free_one(struct dump *);

void
dump_finish_work(struct dwork *w)
{
	struct dump *d = &w->d;

	if (w->summary != PART_NONE && w->sum.used > 0)
		site_table_export(&w->sum, &d->sites, &d->nsites);
	else if (w->d.has_fragments)
		site_table_export(&w->frag, &d->sites, &d->nsites);
	else
		site_table_export(&w->sum, &d->sites, &d->nsites);
	if (w->sum.overflow || w->frag.overflow)
		dump_set_incomplete(w, "more than 65536 distinct allocation sites");
	if (d->has_fragments && w->status == PART_DONE)
		d->used_fragments = w->frag_count;
	else if (d->has_summary && w->summary == PART_DONE)
		d->used_fragments = w->sum_count;
	d->complete = d->incomplete_why == NULL;
	site_table_free(&w->frag);
	site_table_free(&w->sum);
}

/*
 * A last line without its newline may be cut anywhere: only a terminator
 * is trusted, numbers are not; the dump it belongs to is incomplete.
 */
void
dump_result_keep_last(struct dump_result *r)
{
	bool *keep = xcalloc(r->ndumps + 1, sizeof(*keep));
	size_t i, j, n = 0;

	for (i = 0; i < r->ndumps; i++) {
		size_t chosen = i;

		/* the key's chosen one: its last complete dump, else its last */
		for (j = 0; j < r->ndumps; j++) {
			if (r->dumps[j].pid != r->dumps[i].pid ||
			    r->dumps[j].pool != r->dumps[i].pool)
				continue;
			if (r->dumps[j].complete ||
			    !r->dumps[chosen].complete)
				chosen = j;
		}
		keep[i] = chosen == i;
	}
	for (i = 0; i < r->ndumps; i++) {
		if (keep[i])
			r->dumps[n++] = r->dumps[i];
		else
			dump_free_one(&r->dumps[i]);
	}
	r->ndumps = n;
	free(keep);
}

static bool
pid_in(long pid, const long *pids, size_t n)
{
	size_t i;

	if (pid < 0)
		return true;
	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

void
dump_result_keep_pids(struct dump_result *r, const long *pids, size_t npids)
{
	size_t i, n = 0;

	for (i = 0; i < r->ndumps; i++) {
		if (pid_in(r->dumps[i].pid, pids, npids))
			r->dumps[n++] = r->dumps[i];
		else
			dump_free_one(&r->dumps[i]);
	}
	r->ndumps = n;
	for (i = n = 0; i < r->nerrors; i++) {
		if (pid_in(r->errors[i].pid, pids, npids))
			r->errors[n++] = r->errors[i];
		else
			free(r->errors[i].text);
	}
	r->nerrors = n;
}

static void
corruption_free(struct dump_corruption *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].text);
	free(c);
}

static void
dump_free_one(struct dump *d)
{
	size_t j;

	for (j = 0; j < d->nsites; j++) {
		free(d->sites[j].module);
		free(d->sites[j].file);
		free(d->sites[j].func);
	}
	free(d->sites);
	corruption_free(d->corruption, d->ncorruption);
	free(d->incomplete_why);
	free(d->address);
}

void
dump_result_free(struct dump_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ndumps; i++)
		dump_free_one(&r->dumps[i]);
	free(r->dumps);
	for (i = 0; i < r->nerrors; i++)
		free(r->errors[i].text);
	free(r->errors);
	corruption_free(r->corruption, r->ncorruption);
	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i].text);
	free(r->problems);
	free(r);
}
