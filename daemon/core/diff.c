/*
 * Pairing dumps across two logs and subtracting them. When a log holds
 * several dumps for one key (a pool, a process), the last complete one
 * speaks for it: that is the state the log ends in.
 */
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "lib/xmalloc.h"

static int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
diff_site_key_cmp(const struct dump_site *x, const struct dump_site *y)
{
	int c;

	if ((c = strcmp_null(x->module, y->module)) != 0)
		return c;
	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if ((c = strcmp(x->func, y->func)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
site_ptr_cmp(const void *a, const void *b)
{
	return diff_site_key_cmp(*(const struct dump_site *const *)a,
	    *(const struct dump_site *const *)b);
}

/* The pairing key: pool, then process number or PID (pkg, unknown). */
static bool
same_key(const struct dump *a, const struct dump *b)
{
	if (a->pool != b->pool)
		return false;
	if (a->pool == DUMP_POOL_SHM)
		return true;
	if (a->process_no >= 0 && b->process_no >= 0)
		return a->process_no == b->process_no;
	return a->pid == b->pid;
}

/* Indexes of the dumps that speak for each key, in first-seen order. */
static size_t
representatives(const struct dump_result *r, const struct dump **out)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->ndumps; i++) {
		const struct dump *d = &r->dumps[i];

		for (j = 0; j < n; j++)
			if (same_key(out[j], d))
				break;
		if (j == n)
			out[n++] = d;
		else if (d->complete || !out[j]->complete)
			out[j] = d;
	}
	return n;
}

static int
pair_site_cmp(const void *a, const void *b)
{
	const struct diff_site *x = a, *y = b;

	if (x->bytes_delta != y->bytes_delta)
		return x->bytes_delta > y->bytes_delta ? -1 : 1;
	if (x->count_delta != y->count_delta)
		return x->count_delta > y->count_delta ? -1 : 1;
	return 0;
}

static void
push_site(struct diff_pair *p, const struct dump_site *s, int64_t dc,
    int64_t db)
{
	struct diff_site *d;

	if (dc == 0 && db == 0)
		return;
	p->sites = xreallocarray(p->sites, p->nsites + 1, sizeof(*p->sites));
	d = &p->sites[p->nsites++];
	d->module = s->module;
	d->file = s->file;
	d->func = s->func;
	d->line = s->line;
	d->count_delta = dc;
	d->bytes_delta = db;
}

static void
diff_sites(struct diff_pair *p)
{
	const struct dump *a = p->before, *b = p->after;
	const struct dump_site **sa, **sb;
	size_t i = 0, j = 0;

	p->have_sites = (a->has_fragments || a->has_summary) &&
	    (b->has_fragments || b->has_summary);
	if (!p->have_sites)
		return;
	sa = xcalloc(a->nsites + 1, sizeof(*sa));
	sb = xcalloc(b->nsites + 1, sizeof(*sb));
	for (i = 0; i < a->nsites; i++)
		sa[i] = &a->sites[i];
	for (i = 0; i < b->nsites; i++)
		sb[i] = &b->sites[i];
	qsort(sa, a->nsites, sizeof(*sa), site_ptr_cmp);
	qsort(sb, b->nsites, sizeof(*sb), site_ptr_cmp);
	i = 0;
	while (i < a->nsites || j < b->nsites) {
		int c = i == a->nsites ? 1 : j == b->nsites ? -1 :
		    diff_site_key_cmp(sa[i], sb[j]);

		if (c < 0) {
			push_site(p, sa[i], -(int64_t)sa[i]->count,
			    -(int64_t)sa[i]->bytes);
			i++;
		} else if (c > 0) {
			push_site(p, sb[j], (int64_t)sb[j]->count,
			    (int64_t)sb[j]->bytes);
			j++;
		} else {
			push_site(p, sb[j],
			    (int64_t)sb[j]->count - (int64_t)sa[i]->count,
			    (int64_t)sb[j]->bytes - (int64_t)sa[i]->bytes);
			i++;
			j++;
		}
	}
	free(sa);
	free(sb);
	if (p->nsites > 1)
		qsort(p->sites, p->nsites, sizeof(*p->sites), pair_site_cmp);
}

struct diff_result *
diff_dumps(const struct dump_result *before, const struct dump_result *after)
{
	struct diff_result *r = xcalloc(1, sizeof(*r));
	const struct dump **rb, **ra;
	size_t nb, na, i, j;
	bool *used;

	rb = xcalloc(before->ndumps + 1, sizeof(*rb));
	ra = xcalloc(after->ndumps + 1, sizeof(*ra));
	nb = representatives(before, rb);
	na = representatives(after, ra);
	used = xcalloc(na + 1, sizeof(*used));
	r->pairs = xcalloc(nb + 1, sizeof(*r->pairs));
	r->only_before = xcalloc(nb + 1, sizeof(*r->only_before));
	r->only_after = xcalloc(na + 1, sizeof(*r->only_after));
	for (i = 0; i < nb; i++) {
		for (j = 0; j < na; j++)
			if (!used[j] && same_key(rb[i], ra[j]))
				break;
		if (j == na) {
			r->only_before[r->nonly_before++] = rb[i];
			continue;
		}
		used[j] = true;
		{
			struct diff_pair *p = &r->pairs[r->npairs++];

			p->pool = rb[i]->pool;
			p->before = rb[i];
			p->after = ra[j];
			p->have_used = rb[i]->used != DUMP_UNKNOWN &&
			    ra[j]->used != DUMP_UNKNOWN &&
			    rb[i]->real_used != DUMP_UNKNOWN &&
			    ra[j]->real_used != DUMP_UNKNOWN;
			if (p->have_used) {
				p->used_delta = (int64_t)ra[j]->used -
				    (int64_t)rb[i]->used;
				p->real_used_delta = (int64_t)ra[j]->real_used -
				    (int64_t)rb[i]->real_used;
			}
			diff_sites(p);
		}
	}
	for (j = 0; j < na; j++)
		if (!used[j])
			r->only_after[r->nonly_after++] = ra[j];
	free(used);
	free(rb);
	free(ra);
	return r;
}

void
diff_result_free(struct diff_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->npairs; i++)
		free(r->pairs[i].sites);
	free(r->pairs);
	free(r->only_before);
	free(r->only_after);
	free(r);
}
