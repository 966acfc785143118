/*
 * Allocation-site tables: open addressing keyed by the site text as
 * printed, with the last site hit checked first (a qm fragment list often
 * repeats one site many times in a row).
 */
#include <stdlib.h>
#include <string.h>

#include "core/scan.h"
#include "core/site.h"
#include "lib/xmalloc.h"

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h;
}

static void
site_table_grow(struct site_table *t)
{
	size_t nsize = t->size ? t->size * 2 : 64, i;
	struct site_ent *ne = xcalloc(nsize, sizeof(*ne));

	for (i = 0; i < t->size; i++) {
		struct site_ent *e = &t->ent[i];
		size_t j;

		if (e->raw == NULL)
			continue;
		for (j = e->hash & (nsize - 1); ne[j].raw != NULL;
		     j = (j + 1) & (nsize - 1))
			;
		ne[j] = *e;
	}
	free(t->ent);
	t->ent = ne;
	t->size = nsize;
	t->last = NULL;
}

void
site_table_add(struct site_table *t, const char *raw, size_t len, uint64_t count,
    uint64_t bytes)
{
	struct site_ent *e = t->last;
	uint64_t h;
	size_t j;

	if (e != NULL && e->rawlen == len && memcmp(e->raw, raw, len) == 0)
		goto hit;
	h = hash_bytes(raw, len);
	if (t->size == 0 || (t->used + 1) * 4 > t->size * 3)
		site_table_grow(t);
	for (j = h & (t->size - 1); t->ent[j].raw != NULL;
	     j = (j + 1) & (t->size - 1)) {
		e = &t->ent[j];
		if (e->hash == h && e->rawlen == len &&
		    memcmp(e->raw, raw, len) == 0)
			goto hit;
	}
	if (t->used >= SITE_TABLE_MAX) {
		t->overflow = true;
		return;
	}
	e = &t->ent[j];
	/* not strndup: a NUL inside the text would shorten the copy */
	e->raw = xmemdup(raw, len);
	e->rawlen = len;
	e->hash = h;
	t->used++;
hit:
	t->last = e;
	e->count += count;
	e->bytes += bytes;
}

void
site_table_free(struct site_table *t)
{
	size_t i;

	for (i = 0; i < t->size; i++)
		free(t->ent[i].raw);
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

/*
 * "tm: h_table.c: build_cell(334)", "<core>: mem/shm_mem.c: f(179)",
 * "fifo_server.c: init_fifo(310)" (SER, no module), or OpenSIPS's
 * "file.c: func, line 12" (already rewritten by the caller as
 * "file.c: func(12)").
 */
static void
site_split(const char *raw, size_t len, struct dump_site *s)
{
	const char *end = raw + len, *lp, *fs, *sep;
	unsigned long line = 0;

	memset(s, 0, sizeof(*s));
	lp = end;
	if (len > 0 && end[-1] == ')') {
		const char *q = end - 1;

		while (q > raw && scan_isdig(q[-1]))
			q--;
		if (q > raw && q[-1] == '(' && q < end - 1) {
			const char *d = q;
			uint64_t v;

			if (scan_u64(&d, end - 1, &v) && v <= 0xffffffffUL)
				line = (unsigned long)v;
			lp = q - 1;
		}
	}
	s->line = line;
	/* function: after the last ": " before the line number */
	fs = NULL;
	for (sep = raw; sep + 1 < lp; sep++)
		if (sep[0] == ':' && sep[1] == ' ')
			fs = sep;
	if (fs == NULL) {
		s->file = xstrdup("");
		s->func = xstrndup(raw, (size_t)(lp - raw));
		return;
	}
	s->func = xstrndup(fs + 2, (size_t)(lp - fs - 2));
	/* module: before the first ": " if two remain */
	sep = NULL;
	{
		const char *q;

		for (q = raw; q + 1 < fs; q++)
			if (q[0] == ':' && q[1] == ' ') {
				sep = q;
				break;
			}
	}
	if (sep != NULL) {
		size_t ml = (size_t)(sep - raw);

		if (ml == 6 && memcmp(raw, "<core>", 6) == 0)
			s->module = xstrdup("core");
		else
			s->module = xstrndup(raw, ml);
		s->file = xstrndup(sep + 2, (size_t)(fs - sep - 2));
	} else
		s->file = xstrndup(raw, (size_t)(fs - raw));
}

static int
site_cmp(const void *a, const void *b)
{
	const struct dump_site *x = a, *y = b;
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->file, y->file);
	if (c != 0)
		return c;
	c = strcmp(x->func, y->func);
	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

void
site_table_export(struct site_table *t, struct dump_site **out, size_t *nout)
{
	size_t i, n = 0;
	struct dump_site *sites;

	sites = xcalloc(t->used ? t->used : 1, sizeof(*sites));
	for (i = 0; i < t->size; i++) {
		struct site_ent *e = &t->ent[i];

		if (e->raw == NULL)
			continue;
		site_split(e->raw, e->rawlen, &sites[n]);
		sites[n].count = e->count;
		sites[n].bytes = e->bytes;
		n++;
	}
	qsort(sites, n, sizeof(*sites), site_cmp);
	*out = sites;
	*nout = n;
}
