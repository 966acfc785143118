/*
 * The memory-dump parser.
 *
 * Every line is first taken apart by logline (who wrote it, where the
 * message starts). Lines are then routed to a per-PID context, because
 * dumps of several processes interleave line by line. A context runs a
 * small state machine over the allocator's output: header figures, the
 * qm fragment list, free-list statistics, the tlsf matrix, per-site
 * summaries, and OpenSIPS's untagged variant of all of these.
 *
 * The bulk of a big dump is the qm fragment list, three lines per
 * fragment with the same prefix; the parser remembers the last prefix it
 * saw (log prefix + allocator tag + function) and skips straight to the
 * body when the next line starts with the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "logline.h"
#include "xmalloc.h"

#define DUMP_MAX_LINE (64 * 1024)	/* longer lines are cut, then skipped */
#define DUMP_MAX_SITES 65536		/* distinct sites per dump */
#define DUMP_MAX_ERRORS 1000		/* distinct failure texts kept */
#define DUMP_MAX_CORRUPTION 1000
#define DUMP_MAX_PROBLEMS 1000
#define DUMP_MAX_JOURNAL_FIELD (1024 * 1024)
#define DUMP_FAST_MAX 160

enum tag {
	TAG_NONE,
	TAG_QM_STATUS,
	TAG_QM_SUMS,
	TAG_FM_STATUS,
	TAG_FM_SUMS,
	TAG_TLSF_STATUS,
	TAG_TLSF_SUMS,
};

enum part { PART_NONE, PART_OPEN, PART_DONE, PART_CUT };

enum sstate {
	SS_HEADER,	/* header figures */
	SS_FRAGS,	/* qm fragment list */
	SS_FREELIST,	/* free-list statistics */
	SS_MATRIX,	/* tlsf free-blocks matrix */
	SS_OS_SUMS,	/* OpenSIPS summary table */
};

struct site_ent {
	char *raw;		/* "MOD: FILE: FUNC(LINE)" as printed */
	size_t rawlen;
	uint64_t hash;
	uint64_t count;
	uint64_t bytes;
};

struct sitetab {
	struct site_ent *ent;	/* open addressing, power-of-two size */
	size_t size;
	size_t used;
	bool overflow;		/* DUMP_MAX_SITES reached */
	struct site_ent *last;	/* the last site hit, checked first */
};

struct dwork {
	struct dump d;
	struct sitetab frag;	/* from the qm fragment list */
	struct sitetab sum;	/* from a summary */
	enum part status, summary;
	enum sstate ss;
	bool hdr_heap, hdr_used, hdr_max;
	bool os;		/* OpenSIPS layout */
	bool os_sums_closed;
	int os_dashes;
	int tlsf_rows;
	uint64_t frag_count, frag_bytes;
	bool frag_pending;	/* a fragment line waits for its site */
	bool frag_pending_used;
	uint64_t frag_pending_size;
	bool frag_sites_seen;	/* the build prints "alloc'd from" lines */
	uint64_t frag_nosite;	/* fragments whose site line never came */
	uint64_t sum_count, sum_bytes;
};

struct pctx {
	long pid;
	int process_no;
	size_t cur;		/* open dump index + 1, 0 when none */
	size_t last;		/* last finished dump index + 1 */
	uint64_t msgs_since_close;
	enum dump_pool intro_pool;
	int intro_kind;		/* 0 none, 1 status, 2 summary */
	bool intro_pending;
	size_t pending_bug;	/* corruption lines waiting for a dump */
	size_t pending_bug_first;
};

struct dump_parser {
	struct dwork *work;
	size_t nwork, capwork;
	struct pctx **ctx;
	size_t nctx, capctx;
	struct pctx *lastctx;

	/* line splitting */
	char *carry;
	size_t carrylen, carrycap;
	bool carry_overlong;
	uint64_t lineno;
	bool first_line_seen;

	/* fast path: the previous tagged line's prefix */
	char fast[DUMP_FAST_MAX];
	size_t fastlen;
	struct pctx *fastctx;
	enum tag fasttag;

	/* journalctl -o export */
	bool journal;
	int jstate;		/* 0 text, 1 binary length, 2 binary data */
	char jname[64];
	uint8_t jlenbuf[8];
	size_t jlenhave;
	uint64_t jlen, jhave;
	char *jmsg;
	size_t jmsglen;
	long jpid, jsyslogpid;
	bool jmsg_binary;
	uint64_t jentry_line;

	struct dump_result *res;
	size_t caperrors, capcorr, capprob;
};

const char *
dump_pool_name(enum dump_pool p)
{
	switch (p) {
	case DUMP_POOL_SHM:
		return "shm";
	case DUMP_POOL_PKG:
		return "pkg";
	default:
		return NULL;
	}
}

const char *
dump_alloc_name(enum dump_alloc a)
{
	switch (a) {
	case DUMP_ALLOC_QM:
		return "qm";
	case DUMP_ALLOC_FM:
		return "fm";
	case DUMP_ALLOC_TLSF:
		return "tlsf";
	default:
		return NULL;
	}
}

/* ---- small text helpers ---- */

static bool
starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && memcmp(s, lit, l) == 0;
}

static const char *
skipsp(const char *s, const char *end)
{
	while (s < end && *s == ' ')
		s++;
	return s;
}

static bool
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal u64 at *p, spaces first; false on no digits or overflow. */
static bool
num_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = skipsp(*p, end);
	uint64_t v = 0;
	int n = 0;

	while (s < end && isdig(*s)) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
		n++;
	}
	if (n == 0)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* Find "key" in [s,end) and read the number after it. */
static bool
field_u64(const char *s, const char *end, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	const char *k = memmem(s, (size_t)(end - s), key, kl);

	if (k == NULL)
		return false;
	k += kl;
	return num_u64(&k, end, out);
}

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

/* ---- problems, corruption, errors ---- */

static void
add_problem(struct dump_parser *p, enum dump_problem_kind kind, uint64_t line,
    const char *text)
{
	struct dump_result *r = p->res;

	if (r->nproblems >= DUMP_MAX_PROBLEMS)
		return;
	if (r->nproblems == p->capprob) {
		p->capprob = p->capprob ? p->capprob * 2 : 8;
		r->problems = xreallocarray(r->problems, p->capprob,
		    sizeof(*r->problems));
	}
	r->problems[r->nproblems].kind = kind;
	r->problems[r->nproblems].line = line;
	r->problems[r->nproblems].text = xstrdup(text);
	r->nproblems++;
}

static void
corruption_add(struct dump_corruption **arr, size_t *n, uint64_t line,
    const char *text, size_t len)
{
	if (*n >= DUMP_MAX_CORRUPTION)
		return;
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[*n].line = line;
	(*arr)[*n].text = xstrndup(text, len);
	(*n)++;
}

/* ---- site tables ---- */

static void
sitetab_grow(struct sitetab *t)
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

static void
sitetab_add(struct sitetab *t, const char *raw, size_t len, uint64_t count,
    uint64_t bytes)
{
	struct site_ent *e = t->last;
	uint64_t h;
	size_t j;

	if (e != NULL && e->rawlen == len && memcmp(e->raw, raw, len) == 0)
		goto hit;
	h = hash_bytes(raw, len);
	if (t->size == 0 || (t->used + 1) * 4 > t->size * 3)
		sitetab_grow(t);
	for (j = h & (t->size - 1); t->ent[j].raw != NULL;
	     j = (j + 1) & (t->size - 1)) {
		e = &t->ent[j];
		if (e->hash == h && e->rawlen == len &&
		    memcmp(e->raw, raw, len) == 0)
			goto hit;
	}
	if (t->used >= DUMP_MAX_SITES) {
		t->overflow = true;
		return;
	}
	e = &t->ent[j];
	/* not strndup: a NUL inside the text would shorten the copy */
	e->raw = xmalloc(len + 1);
	memcpy(e->raw, raw, len);
	e->raw[len] = '\0';
	e->rawlen = len;
	e->hash = h;
	t->used++;
hit:
	t->last = e;
	e->count += count;
	e->bytes += bytes;
}

static void
sitetab_free(struct sitetab *t)
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

		while (q > raw && isdig(q[-1]))
			q--;
		if (q > raw && q[-1] == '(' && q < end - 1) {
			const char *d = q;
			uint64_t v;

			if (num_u64(&d, end - 1, &v) && v <= 0xffffffffUL)
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

static void
sitetab_export(struct sitetab *t, struct dump *d)
{
	size_t i, n = 0;

	d->sites = xcalloc(t->used ? t->used : 1, sizeof(*d->sites));
	for (i = 0; i < t->size; i++) {
		struct site_ent *e = &t->ent[i];

		if (e->raw == NULL)
			continue;
		site_split(e->raw, e->rawlen, &d->sites[n]);
		d->sites[n].count = e->count;
		d->sites[n].bytes = e->bytes;
		n++;
	}
	d->nsites = n;
	qsort(d->sites, n, sizeof(*d->sites), site_cmp);
}

/* ---- contexts and dumps ---- */

static struct pctx *
ctx_get(struct dump_parser *p, long pid, int process_no)
{
	struct pctx *c;
	size_t i;

	if (p->lastctx != NULL && p->lastctx->pid == pid)
		c = p->lastctx;
	else {
		c = NULL;
		for (i = 0; i < p->nctx; i++)
			if (p->ctx[i]->pid == pid) {
				c = p->ctx[i];
				break;
			}
		if (c == NULL) {
			if (p->nctx == p->capctx) {
				p->capctx = p->capctx ? p->capctx * 2 : 16;
				p->ctx = xreallocarray(p->ctx, p->capctx,
				    sizeof(*p->ctx));
			}
			c = xcalloc(1, sizeof(*c));
			c->pid = pid;
			c->process_no = -1;
			p->ctx[p->nctx++] = c;
		}
		p->lastctx = c;
	}
	if (process_no >= 0)
		c->process_no = process_no;
	return c;
}

static struct dwork *
cur_work(struct dump_parser *p, struct pctx *c)
{
	return c->cur ? &p->work[c->cur - 1] : NULL;
}

static void
set_incomplete(struct dwork *w, const char *why)
{
	if (w->d.incomplete_why == NULL)
		w->d.incomplete_why = xstrdup(why);
}

/* Checks a finished status against its own sums. */
static void
status_verify(struct dwork *w)
{
	char buf[160];

	if (w->d.has_fragments && w->status == PART_DONE &&
	    w->d.used != DUMP_UNKNOWN && w->frag_bytes != w->d.used) {
		snprintf(buf, sizeof(buf),
		    "fragment list adds up to %llu bytes, header says used=%llu:"
		    " lines are missing",
		    (unsigned long long)w->frag_bytes,
		    (unsigned long long)w->d.used);
		set_incomplete(w, buf);
	}
	if (w->frag_sites_seen && w->frag_nosite > 0) {
		snprintf(buf, sizeof(buf),
		    "%llu fragments lack their \"alloc'd from\" line",
		    (unsigned long long)w->frag_nosite);
		set_incomplete(w, buf);
	}
}

static void
summary_verify(struct dwork *w)
{
	char buf[160];

	/* A process's pkg status and summary come from one walk of a heap
	 * only it touches: they must agree. shm may move in between. */
	if (w->d.pool == DUMP_POOL_PKG && w->status == PART_DONE &&
	    w->summary == PART_DONE && !w->os && w->d.used != DUMP_UNKNOWN &&
	    w->sum_bytes != w->d.used) {
		snprintf(buf, sizeof(buf),
		    "summary adds up to %llu bytes, header says used=%llu:"
		    " lines are missing",
		    (unsigned long long)w->sum_bytes,
		    (unsigned long long)w->d.used);
		set_incomplete(w, buf);
	}
}

static bool
short_status_done(struct dwork *w)
{
	return w->status == PART_OPEN && w->ss == SS_HEADER && w->hdr_heap &&
	    w->hdr_used && w->hdr_max && !w->os &&
	    w->d.alloc != DUMP_ALLOC_TLSF;
}

/* Close the context's open dump. cut: ended without its terminator. */
static void
close_cur(struct dump_parser *p, struct pctx *c, const char *cut_why)
{
	struct dwork *w = cur_work(p, c);

	if (w == NULL)
		return;
	if (w->frag_pending) {
		w->frag_pending = false;
		if (w->frag_sites_seen)
			w->frag_nosite++;
	}
	if (w->status == PART_OPEN) {
		if (short_status_done(w) || (w->os && w->os_sums_closed) ||
		    (w->os && w->ss == SS_HEADER && w->hdr_max))
			w->status = PART_DONE;
		else {
			w->status = PART_CUT;
			set_incomplete(w, cut_why);
		}
	}
	if (w->summary == PART_OPEN) {
		w->summary = PART_CUT;
		set_incomplete(w, cut_why);
	}
	if (w->status == PART_DONE)
		status_verify(w);
	if (w->summary == PART_DONE)
		summary_verify(w);
	c->last = c->cur;
	c->cur = 0;
	c->msgs_since_close = 0;
}

static void
attach_pending_bugs(struct dump_parser *p, struct pctx *c, struct dwork *w)
{
	size_t i;

	for (i = c->pending_bug_first; i < c->pending_bug_first +
	     c->pending_bug && i < p->res->ncorruption; i++) {
		struct dump_corruption *g = &p->res->corruption[i];

		corruption_add(&w->d.corruption, &w->d.ncorruption, g->line,
		    g->text, strlen(g->text));
	}
	c->pending_bug = 0;
}

static struct dwork *
new_work(struct dump_parser *p, struct pctx *c, enum dump_alloc alloc)
{
	struct dwork *w;

	if (p->nwork == p->capwork) {
		p->capwork = p->capwork ? p->capwork * 2 : 8;
		p->work = xreallocarray(p->work, p->capwork, sizeof(*p->work));
	}
	w = &p->work[p->nwork++];
	memset(w, 0, sizeof(*w));
	w->d.pid = c->pid;
	w->d.process_no = c->process_no;
	w->d.alloc = alloc;
	w->d.pool = c->intro_pending ? c->intro_pool : DUMP_POOL_UNKNOWN;
	w->d.heap_size = w->d.used = w->d.real_used = w->d.free =
	    w->d.max_used = DUMP_UNKNOWN;
	w->d.used_fragments = w->d.free_fragments = DUMP_UNKNOWN;
	w->d.first_line = w->d.last_line = p->lineno;
	c->intro_pending = false;
	c->cur = p->nwork;
	if (c->pending_bug)
		attach_pending_bugs(p, c, w);
	return w;
}

/* A status header line: a new dump starts, whatever was open ends. */
static struct dwork *
start_status(struct dump_parser *p, struct pctx *c, enum dump_alloc alloc,
    bool os)
{
	struct dwork *w;

	close_cur(p, c, "a new dump began before this one ended");
	w = new_work(p, c, alloc);
	w->status = PART_OPEN;
	w->ss = SS_HEADER;
	w->os = os;
	w->d.has_status = true;
	return w;
}

/*
 * A summary begins. It belongs to the status just printed by the same
 * process for the same pool (SIGUSR1 prints status, then summary) when
 * nothing but its intro line came in between; otherwise it is a dump of
 * its own.
 */
static struct dwork *
start_summary(struct dump_parser *p, struct pctx *c, enum dump_alloc alloc)
{
	struct dwork *w = cur_work(p, c);
	enum dump_pool pool = c->intro_pending ? c->intro_pool :
	    DUMP_POOL_UNKNOWN;

	if (w != NULL && short_status_done(w) && w->d.pool == pool &&
	    w->summary == PART_NONE) {
		close_cur(p, c, "");
		c->msgs_since_close = c->intro_pending ? 1 : 0;
	} else
		close_cur(p, c, "a new dump began before this one ended");
	if (c->last != 0 && c->msgs_since_close <= 1) {
		w = &p->work[c->last - 1];
		if (w->status == PART_DONE && w->summary == PART_NONE &&
		    w->d.pool == pool && w->d.alloc == alloc) {
			c->cur = c->last;
			c->intro_pending = false;
			w->summary = PART_OPEN;
			w->d.has_summary = true;
			return w;
		}
	}
	w = new_work(p, c, alloc);
	w->summary = PART_OPEN;
	w->d.has_summary = true;
	return w;
}

/* ---- allocator lines ---- */

static void
parse_header_figures(struct dwork *w, const char *b, const char *end,
    struct dump_parser *p)
{
	uint64_t v;
	bool ok = true;

	if (starts(b, (size_t)(end - b), "heap size=")) {
		ok = field_u64(b, end, "heap size=", &v);
		if (ok) {
			w->d.heap_size = v;
			w->hdr_heap = true;
		}
	} else if (starts(b, (size_t)(end - b), "used=")) {
		ok = field_u64(b, end, "used=", &w->d.used) &&
		    field_u64(b, end, "used+overhead=", &w->d.real_used) &&
		    field_u64(b, end, "free=", &w->d.free);
		if (ok) {
			w->hdr_used = true;
			if (field_u64(b, end, "fragments=", &v))
				w->d.free_fragments = v;
		}
	} else if (starts(b, (size_t)(end - b), "max used (+overhead)=")) {
		ok = field_u64(b, end, "max used (+overhead)=", &w->d.max_used);
		if (ok)
			w->hdr_max = true;
	}
	if (!ok) {
		char buf[200];

		snprintf(buf, sizeof(buf),
		    "malformed allocator header line: \"%.*s\"",
		    (int)(end - b > 100 ? 100 : end - b), b);
		add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno, buf);
		set_incomplete(w, "a header line could not be read");
	}
}

static bool
is_header_figure(const char *b, size_t n)
{
	return starts(b, n, "heap size=") || starts(b, n, "used=") ||
	    starts(b, n, "max used (+overhead)=");
}

static void
frag_flush(struct dwork *w)
{
	if (w->frag_pending && w->frag_sites_seen)
		w->frag_nosite++;
	w->frag_pending = false;
}

/* "   49. N  address=0x.. frag=0x.. size=8336 used=1": the bulk of a big
 * dump, so scanned by hand rather than with memmem. */
static void
frag_line(struct dump_parser *p, struct dwork *w, const char *b,
    const char *end)
{
	const char *s = b, *q;
	uint64_t size;
	char kind;

	frag_flush(w);
	while (s < end && isdig(*s))
		s++;
	if (s == b || s >= end || *s != '.')
		goto bad;
	s = skipsp(s + 1, end);
	if (s >= end || (*s != 'N' && *s != 'A'))
		goto bad;
	kind = *s;
	for (q = s;; q++) {
		q = memchr(q, 's', (size_t)(end - q));
		if (q == NULL || end - q < 6)
			goto bad;
		if (q[1] == 'i' && q[2] == 'z' && q[3] == 'e' && q[4] == '=')
			break;
	}
	q += 5;
	if (!num_u64(&q, end, &size))
		goto bad;
	if (kind == 'A')
		return;		/* a free fragment (mem_status_mode) */
	w->d.has_fragments = true;
	w->frag_count++;
	w->frag_bytes += size;
	w->frag_pending = true;
	w->frag_pending_size = size;
	return;
bad:
	add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
	    "malformed fragment line");
	set_incomplete(w, "a fragment line could not be read");
}

static void
frag_site(struct dwork *w, const char *site, const char *end)
{
	w->frag_sites_seen = true;
	if (!w->frag_pending)
		return;
	while (end > site && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	sitetab_add(&w->frag, site, (size_t)(end - site), 1,
	    w->frag_pending_size);
	w->frag_pending = false;
}

static const char check_ok[] = "f0f0f0f0, end check= c0c0c0c0, abcdefed";

static void
note_corruption(struct dump_parser *p, struct dwork *w, const char *text,
    size_t len)
{
	corruption_add(&p->res->corruption, &p->res->ncorruption, p->lineno,
	    text, len);
	if (w != NULL)
		corruption_add(&w->d.corruption, &w->d.ncorruption, p->lineno,
		    text, len);
}

static void
summary_row(struct dump_parser *p, struct dwork *w, const char *b,
    const char *end)
{
	uint64_t count, size;
	const char *from;

	if (!field_u64(b, end, "count=", &count) ||
	    !field_u64(b, end, "size=", &size) ||
	    (from = memmem(b, (size_t)(end - b), " bytes from ", 12)) == NULL) {
		add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
		    "malformed summary line");
		set_incomplete(w, "a summary line could not be read");
		return;
	}
	from += 12;
	while (end > from && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	sitetab_add(&w->sum, from, (size_t)(end - from), count, size);
	w->sum_count += count;
	w->sum_bytes += size;
}

static enum dump_alloc
tag_alloc(enum tag t)
{
	switch (t) {
	case TAG_QM_STATUS:
	case TAG_QM_SUMS:
		return DUMP_ALLOC_QM;
	case TAG_FM_STATUS:
	case TAG_FM_SUMS:
		return DUMP_ALLOC_FM;
	case TAG_TLSF_STATUS:
	case TAG_TLSF_SUMS:
		return DUMP_ALLOC_TLSF;
	default:
		return DUMP_ALLOC_UNKNOWN;
	}
}

static bool
is_terminator(const char *b, size_t n)
{
	return n >= 10 && memcmp(b, "----------", 10) == 0;
}

static void
summary_body(struct dump_parser *p, struct pctx *c, enum tag tag,
    const char *b, const char *end)
{
	struct dwork *w = cur_work(p, c);
	size_t n = (size_t)(end - b);

	if (memmem(b, n, "summarizing all alloc'ed. fragments:", 36) != NULL) {
		start_summary(p, c, tag_alloc(tag));
		return;
	}
	if (w == NULL || w->summary != PART_OPEN) {
		/* A summary line with no start: its head was cut off. */
		if (starts(b, n, "count=")) {
			w = start_summary(p, c, tag_alloc(tag));
			set_incomplete(w, "the summary's first lines are "
			    "missing");
			summary_row(p, w, b, end);
		}
		return;
	}
	w->d.last_line = p->lineno;
	if (starts(b, n, "count="))
		summary_row(p, w, b, end);
	else if (is_terminator(b, n)) {
		w->summary = PART_DONE;
		close_cur(p, c, "");
	}
}

/*
 * One line of a status body, tagged or not; false when it is no status
 * line at all.
 */
static bool
status_line(struct dump_parser *p, struct pctx *c, struct dwork *w,
    const char *b, const char *end)
{
	size_t n = (size_t)(end - b);

	w->d.last_line = p->lineno;
	switch (w->ss) {
	case SS_FRAGS:
		if (isdig(*b)) {
			frag_line(p, w, b, end);
			return true;
		}
		if (starts(b, n, "alloc'd from ")) {
			frag_site(w, b + 13, end);
			return true;
		}
		if (starts(b, n, "start check=")) {
			if (n - 12 < sizeof(check_ok) - 1 ||
			    memcmp(b + 12, check_ok, sizeof(check_ok) - 1) != 0)
				note_corruption(p, w, b, n);
			return true;
		}
		if (starts(b, n, "freed from "))
			return true;
		if (b[0] == '*') {
			note_corruption(p, w, b, n);
			return true;
		}
		break;
	case SS_FREELIST:
		if (starts(b, n, "hash")) {
			uint64_t v;

			if (field_u64(b, end, "fragments no.:", &v)) {
				if (w->d.free_fragments == DUMP_UNKNOWN)
					w->d.free_fragments = 0;
				w->d.free_fragments += v;
			}
			return true;
		}
		if (starts(b, n, "TOTAL:")) {
			uint64_t v;
			const char *s = b + 6;

			if (num_u64(&s, end, &v))
				w->d.free_fragments = v;
			return true;
		}
		if (starts(b, n, "unused fragm."))
			return true;
		break;
	case SS_MATRIX:
		if (isdig(*b)) {
			if (++w->tlsf_rows >= 32) {
				w->status = PART_DONE;
				close_cur(p, c, "");
			}
			return true;
		}
		break;
	default:
		break;
	}
	if (is_header_figure(b, n)) {
		parse_header_figures(w, b, end, p);
		return true;
	}
	if (starts(b, n, "dumping all")) {
		frag_flush(w);
		w->ss = SS_FRAGS;
		return true;
	}
	if (starts(b, n, "dumping free list")) {
		frag_flush(w);
		w->ss = SS_FREELIST;
		return true;
	}
	if (starts(b, n, "Free blocks matrix")) {
		w->ss = SS_MATRIX;
		return true;
	}
	if (is_terminator(b, n)) {
		frag_flush(w);
		w->status = PART_DONE;
		close_cur(p, c, "");
		return true;
	}
	return false;
}

static void
status_body(struct dump_parser *p, struct pctx *c, enum tag tag,
    const char *b, const char *end)
{
	struct dwork *w = cur_work(p, c);
	size_t n = (size_t)(end - b);

	/* header: "(0x..):", "fm_status (0x..):", "status of pool (0x..):" */
	if ((n > 2 && b[0] == '(' && b[n - 1] == ':') ||
	    starts(b, n, "fm_status (") || starts(b, n, "status of pool (")) {
		const char *a = memchr(b, '(', n), *z;

		w = start_status(p, c, tag_alloc(tag), false);
		if (a != NULL && (z = memchr(a, ')', (size_t)(end - a))) != NULL)
			w->d.address = xstrndup(a + 1, (size_t)(z - a - 1));
		return;
	}
	if (w == NULL || w->status != PART_OPEN) {
		if (!is_header_figure(b, n) && !starts(b, n, "dumping all"))
			return;
		/* the header line was lost: keep what follows */
		w = start_status(p, c, tag_alloc(tag), false);
		set_incomplete(w, "the dump's first line is missing");
	}
	status_line(p, c, w, b, end);
}

/* ---- OpenSIPS (no tags after the header) ---- */

/* "      48 : 3 x [dlg_hash.c: build_new_dlg, line 180]" */
static bool
os_summary_row(struct dump_parser *p, struct dwork *w, const char *b,
    const char *end)
{
	const char *s = b, *lb, *rb, *ln;
	uint64_t bytes, count, line;
	char site[512];
	int k;

	if (!num_u64(&s, end, &bytes))
		return false;
	s = skipsp(s, end);
	if (s >= end || *s != ':')
		return false;
	s++;
	if (!num_u64(&s, end, &count))
		return false;
	lb = memchr(s, '[', (size_t)(end - s));
	rb = lb ? memchr(lb, ']', (size_t)(end - lb)) : NULL;
	ln = lb && rb ? memmem(lb, (size_t)(rb - lb), ", line ", 7) : NULL;
	if (ln == NULL)
		return false;
	s = ln + 7;
	if (!num_u64(&s, rb, &line))
		return false;
	k = snprintf(site, sizeof(site), "%.*s(%llu)", (int)(ln - lb - 1),
	    lb + 1, (unsigned long long)line);
	if (k < 0 || (size_t)k >= sizeof(site))
		return false;
	sitetab_add(&w->sum, site, (size_t)k, count, bytes);
	w->sum_count += count;
	w->sum_bytes += bytes;
	(void)p;
	return true;
}

/* Returns true when the line belonged to the open OpenSIPS dump. */
static bool
os_body(struct dump_parser *p, struct pctx *c, const char *b, const char *end)
{
	struct dwork *w = cur_work(p, c);
	size_t n;

	if (w == NULL || !w->os || w->status != PART_OPEN)
		return false;
	b = skipsp(b, end);
	n = (size_t)(end - b);
	w->d.last_line = p->lineno;
	if (n == 0)
		return true;
	if (starts(b, n, "failed to walk through all fragments")) {
		set_incomplete(w, "the proxy failed to walk through all "
		    "fragments");
		return true;
	}
	if (starts(b, n, "dumping summary of all alloc'ed. fragments")) {
		w->ss = SS_OS_SUMS;
		w->os_dashes = 0;
		w->summary = PART_OPEN;
		w->d.has_summary = true;
		return true;
	}
	if (w->ss == SS_OS_SUMS) {
		if (is_terminator(b, n) || starts(b, n, "------------+")) {
			if (++w->os_dashes >= 3) {
				w->summary = PART_DONE;
				w->os_sums_closed = true;
				w->ss = SS_HEADER;
			}
			return true;
		}
		if (starts(b, n, "total_bytes |"))
			return true;
		if (isdig(*b) && os_summary_row(p, w, b, end))
			return true;
		return false;
	}
	if (starts(b, n, "Dumping free")) {
		w->ss = SS_FREELIST;
		return true;
	}
	return status_line(p, c, w, b, end);
}

/* ---- everything that is not an allocator line ---- */

static const struct {
	const char *text;
	enum dump_pool pool;
} memerr_pats[] = {
	{ "could not allocate shared memory", DUMP_POOL_SHM },
	{ "could not allocate private memory", DUMP_POOL_PKG },
	{ "no more shm", DUMP_POOL_SHM },
	{ "no more pkg", DUMP_POOL_PKG },
	{ "no more share memory", DUMP_POOL_SHM },
	{ "no more private memory", DUMP_POOL_PKG },
	{ "not enough free shm memory", DUMP_POOL_SHM },
	{ "not enough free pkg memory", DUMP_POOL_PKG },
	{ "cannot allocate shmem", DUMP_POOL_SHM },
	{ "Free fragment not found", DUMP_POOL_UNKNOWN },
	{ "out of mem", DUMP_POOL_UNKNOWN },
	{ "mem. allocation failure", DUMP_POOL_UNKNOWN },
	{ "no more memory", DUMP_POOL_UNKNOWN },
	{ "cannot allocate memory", DUMP_POOL_UNKNOWN },
	{ "not enough free", DUMP_POOL_UNKNOWN },
	{ NULL, DUMP_POOL_UNKNOWN },
};

static void
memerr_add(struct dump_parser *p, long pid, enum dump_pool pool,
    const char *msg, size_t len)
{
	struct dump_result *r = p->res;
	size_t i;

	while (len > 0 && (msg[len - 1] == ' ' || msg[len - 1] == '\r'))
		len--;
	r->errors_total++;
	for (i = 0; i < r->nerrors; i++) {
		struct dump_memerr *e = &r->errors[i];

		if (e->pid == pid && strlen(e->text) == len &&
		    memcmp(e->text, msg, len) == 0) {
			e->count++;
			return;
		}
	}
	if (r->nerrors >= DUMP_MAX_ERRORS) {
		r->errors_dropped++;
		return;
	}
	if (r->nerrors == p->caperrors) {
		p->caperrors = p->caperrors ? p->caperrors * 2 : 16;
		r->errors = xreallocarray(r->errors, p->caperrors,
		    sizeof(*r->errors));
	}
	r->errors[r->nerrors].pid = pid;
	r->errors[r->nerrors].pool = pool;
	r->errors[r->nerrors].text = xstrndup(msg, len);
	r->errors[r->nerrors].count = 1;
	r->errors[r->nerrors].first_line = p->lineno;
	r->nerrors++;
}

static bool
is_memerr(const char *msg, size_t len, enum dump_pool *pool)
{
	int i;

	for (i = 0; memerr_pats[i].text != NULL; i++)
		if (memmem(msg, len, memerr_pats[i].text,
		    strlen(memerr_pats[i].text)) != NULL) {
			*pool = memerr_pats[i].pool;
			/* a generic phrase on a line that names its pool */
			if (*pool == DUMP_POOL_UNKNOWN) {
				if (memmem(msg, len, "shm", 3) != NULL ||
				    memmem(msg, len, "shared mem", 10) != NULL)
					*pool = DUMP_POOL_SHM;
				else if (memmem(msg, len, "pkg", 3) != NULL ||
				    memmem(msg, len, "private mem", 11) != NULL)
					*pool = DUMP_POOL_PKG;
			}
			return true;
		}
	return false;
}

static bool
is_corruption(const char *msg, size_t len)
{
	const char *bug = memmem(msg, len, "BUG:", 4);
	size_t rest;

	if (bug == NULL)
		return false;
	rest = len - (size_t)(bug - msg);
	return memmem(bug, rest, "overwritten", 11) != NULL ||
	    memmem(bug, rest, "already freed", 13) != NULL ||
	    memmem(bug, rest, "bad pointer", 11) != NULL ||
	    memmem(bug, rest, "free frag", 9) != NULL ||
	    memmem(bug, rest, "fragm.", 6) != NULL;
}

static void
intro_line(struct dump_parser *p, struct pctx *c, const char *m,
    const char *end, int kind)
{
	const char *s = memchr(m, '(', (size_t)(end - m));
	enum dump_pool pool = DUMP_POOL_UNKNOWN;
	struct dwork *w = cur_work(p, c);

	if (s != NULL && end - s >= 5) {
		if (memcmp(s, "(shm)", 5) == 0)
			pool = DUMP_POOL_SHM;
		else if (memcmp(s, "(pkg)", 5) == 0)
			pool = DUMP_POOL_PKG;
	}
	/* A short status (no terminator) is finished by what follows it;
	 * a summary intro may still claim it, so leave it to start_summary. */
	if (w != NULL && !(kind == 2 && short_status_done(w)))
		close_cur(p, c, "a new dump began before this one ended");
	c->intro_pending = true;
	c->intro_pool = pool;
	c->intro_kind = kind;
}

static void
rate_limited(struct dump_parser *p, long pid)
{
	size_t i;

	for (i = 0; i < p->nctx; i++) {
		struct pctx *c = p->ctx[i];
		struct dwork *w = cur_work(p, c);

		if (w != NULL && (pid < 0 || c->pid == pid))
			set_incomplete(w, "the log dropped lines (rate "
			    "limiting) while the dump was written");
	}
}

static void
other_line(struct dump_parser *p, struct pctx *c, const char *m, size_t n)
{
	const char *end = m + n, *s;
	enum dump_pool pool;
	struct dwork *w;

	if (os_body(p, c, m, end))
		return;
	c->msgs_since_close++;
	w = cur_work(p, c);
	if ((s = memmem(m, n, "Memory s", 8)) != NULL) {
		size_t r = (size_t)(end - s);

		if (starts(s, r, "Memory status (")) {
			intro_line(p, c, s, end, 1);
			return;
		}
		if (starts(s, r, "Memory still-in-use summary (")) {
			intro_line(p, c, s, end, 2);
			return;
		}
	}
	if (starts(m, n, "qm_status (") || starts(m, n, "fm_status (") ||
	    starts(m, n, "hp_status (")) {
		enum dump_alloc a = m[0] == 'q' ? DUMP_ALLOC_QM :
		    m[0] == 'f' ? DUMP_ALLOC_FM : DUMP_ALLOC_UNKNOWN;
		const char *z;

		w = start_status(p, c, a, true);
		if ((z = memchr(m, ')', n)) != NULL && z - m > 11)
			w->d.address = xstrndup(m + 11, (size_t)(z - m - 11));
		return;
	}
	if (is_corruption(m, n)) {
		if (w == NULL && c->pending_bug == 0)
			c->pending_bug_first = p->res->ncorruption;
		note_corruption(p, w, m, n);
		if (w == NULL)
			c->pending_bug++;
		return;
	}
	if (is_memerr(m, n, &pool)) {
		memerr_add(p, c->pid, pool, m, n);
		return;
	}
	if ((memmem(m, n, "rate-limiting", 13) != NULL &&
	    memmem(m, n, "imuxsock", 8) != NULL)) {
		const char *q = memmem(m, n, "from pid ", 9);
		uint64_t v;

		if (q != NULL && (q += 9, num_u64(&q, end, &v)))
			rate_limited(p, (long)v);
		else
			rate_limited(p, -1);
		return;
	}
	if (starts(m, n, "Suppressed ") && memmem(m, n, "messages from",
	    13) != NULL) {
		rate_limited(p, -1);
		return;
	}
	if (w != NULL && short_status_done(w))
		close_cur(p, c, "");
	if (w != NULL && w->os && w->os_sums_closed)
		close_cur(p, c, "");
}

/* ---- dispatch ---- */

/*
 * "qm_status: qm_status(): body", "qm_status: body" (3.x/4.x),
 * "fm_status: fm_sums(): body". Sets *body; TAG_NONE if not a tag.
 */
static enum tag
find_tag(const char *m, size_t n, const char **body, bool *summary)
{
	static const struct {
		const char *lit;
		enum tag tag;
	} tags[] = {
		{ "qm_status: ", TAG_QM_STATUS },
		{ "qm_sums: ", TAG_QM_SUMS },
		{ "fm_status: ", TAG_FM_STATUS },
		{ "fm_sums: ", TAG_FM_SUMS },
		{ "tlsf_status: ", TAG_TLSF_STATUS },
		{ "tlsf_sums: ", TAG_TLSF_SUMS },
	};
	const char *end = m + n, *s;
	enum tag t = TAG_NONE;
	size_t i, l = 0;

	if (n < 8 || (m[0] != 'q' && m[0] != 'f' && m[0] != 't'))
		return TAG_NONE;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		l = strlen(tags[i].lit);
		if (n >= l && memcmp(m, tags[i].lit, l) == 0) {
			t = tags[i].tag;
			break;
		}
	}
	if (t == TAG_NONE)
		return TAG_NONE;
	*summary = t == TAG_QM_SUMS || t == TAG_FM_SUMS || t == TAG_TLSF_SUMS;
	s = m + l;
	/* 5.x repeats the function: "qm_status(): " */
	{
		const char *q = s;

		while (q < end && (*q == '_' || (*q >= 'a' && *q <= 'z')))
			q++;
		if (q > s && end - q >= 3 && q[0] == '(' && q[1] == ')' &&
		    q[2] == ':') {
			if (q - s >= 5 && memcmp(q - 5, "_sums", 5) == 0)
				*summary = true;
			s = q + 3;
			if (s < end && *s == ' ')
				s++;
		}
	}
	*body = s;
	return t;
}

static void
tagged_body(struct dump_parser *p, struct pctx *c, enum tag t, bool summary,
    const char *b, const char *end)
{
	const char *s = skipsp(b, end);

	if (s >= end)
		return;
	if (summary)
		summary_body(p, c, t, s, end);
	else
		status_body(p, c, t, s, end);
}

static void
handle_message(struct dump_parser *p, long pid, int process_no,
    const char *line, size_t prefixlen, const char *m, size_t n)
{
	struct pctx *c = ctx_get(p, pid, process_no);
	const char *body;
	bool summary = false;
	enum tag t;

	/* syslog's escaped control characters: "... unused: 0#012#011..." */
	t = find_tag(m, n, &body, &summary);
	if (t == TAG_NONE) {
		other_line(p, c, m, n);
		return;
	}
	if (line != NULL && prefixlen + (size_t)(body - m) <= DUMP_FAST_MAX) {
		p->fastlen = prefixlen + (size_t)(body - m);
		memcpy(p->fast, line, p->fastlen);
		p->fastctx = c;
		p->fasttag = summary ? (t == TAG_FM_STATUS ? TAG_FM_SUMS : t) : t;
	} else
		p->fastlen = 0;
	tagged_body(p, c, t, summary, body, m + n);
}

static bool
tag_is_summary(enum tag t)
{
	return t == TAG_QM_SUMS || t == TAG_FM_SUMS || t == TAG_TLSF_SUMS;
}

static void
process_line(struct dump_parser *p, const char *line, size_t len)
{
	struct logline ll;

	p->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (p->fastlen != 0 && len > p->fastlen &&
	    memcmp(line, p->fast, p->fastlen) == 0) {
		tagged_body(p, p->fastctx, p->fasttag,
		    tag_is_summary(p->fasttag), line + p->fastlen, line + len);
		return;
	}
	if (len == 0)
		return;
	if (memchr(line, '\0', len) != NULL) {
		add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
		    "binary data (NUL bytes) in a text log");
		return;
	}
	logline_parse(line, len, &ll);
	if (ll.continuation)
		return;		/* free-list "bucket size" continuation */
	handle_message(p, ll.pid, ll.process_no, line, ll.prefixlen, ll.msg,
	    ll.msglen);
}

void
dump_parser_message(struct dump_parser *p, long pid, const char *msg,
    size_t len)
{
	const char *end = msg + len, *nl;
	size_t skip;

	if (p->jentry_line == 0)
		p->lineno++;
	/* One message may carry "\n\t\t bucket size..." continuations. */
	nl = memchr(msg, '\n', len);
	if (nl != NULL)
		end = nl;
	while (end > msg && end[-1] == '\r')
		end--;
	skip = logline_skip_level(msg, (size_t)(end - msg));
	p->fastlen = 0;
	handle_message(p, pid, -1, NULL, 0, msg + skip,
	    (size_t)(end - msg) - skip);
}

/* ---- journalctl -o export ---- */

static void
journal_entry_end(struct dump_parser *p)
{
	long pid = p->jpid >= 0 ? p->jpid : p->jsyslogpid;

	if (p->jmsg != NULL) {
		uint64_t save = p->lineno;

		p->lineno = p->jentry_line;
		dump_parser_message(p, pid, p->jmsg, p->jmsglen);
		p->lineno = save;
	}
	free(p->jmsg);
	p->jmsg = NULL;
	p->jmsglen = 0;
	p->jpid = p->jsyslogpid = -1;
	p->jentry_line = 0;
}

static long
journal_pid(const char *v, size_t n)
{
	const char *s = v;
	uint64_t x;

	if (!num_u64(&s, v + n, &x) || s != v + n || x > 0x7fffffff)
		return -1;
	return (long)x;
}

static void
journal_field(struct dump_parser *p, const char *name, size_t nl,
    const char *val, size_t vl)
{
	if (p->jentry_line == 0)
		p->jentry_line = p->lineno;
	if (nl == 7 && memcmp(name, "MESSAGE", 7) == 0) {
		free(p->jmsg);
		p->jmsg = xstrndup(val, vl);
		p->jmsglen = vl;
	} else if (nl == 4 && memcmp(name, "_PID", 4) == 0)
		p->jpid = journal_pid(val, vl);
	else if (nl == 10 && memcmp(name, "SYSLOG_PID", 10) == 0)
		p->jsyslogpid = journal_pid(val, vl);
}

static void
journal_line(struct dump_parser *p, const char *line, size_t len)
{
	const char *eq;

	p->lineno++;
	if (len == 0) {
		journal_entry_end(p);
		return;
	}
	eq = memchr(line, '=', len);
	if (eq != NULL) {
		journal_field(p, line, (size_t)(eq - line), eq + 1,
		    (size_t)(line + len - eq - 1));
		return;
	}
	/* a field name alone: a binary field follows (length, data, \n) */
	if (len >= sizeof(p->jname)) {
		add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
		    "journal export: over-long field name");
		len = sizeof(p->jname) - 1;
	}
	memcpy(p->jname, line, len);
	p->jname[len] = '\0';
	p->jstate = 1;
	p->jlenhave = 0;
}

/* ---- line splitting ---- */

static void
carry_append(struct dump_parser *p, const char *s, size_t n)
{
	if (p->carrylen + n > DUMP_MAX_LINE) {
		if (!p->carry_overlong)
			add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno + 1,
			    "line longer than 64 KiB skipped");
		p->carry_overlong = true;
		return;
	}
	if (p->carrylen + n > p->carrycap) {
		p->carrycap = p->carrylen + n + 4096;
		p->carry = xreallocarray(p->carry, p->carrycap, 1);
	}
	memcpy(p->carry + p->carrylen, s, n);
	p->carrylen += n;
}

static void
dispatch_line(struct dump_parser *p, const char *line, size_t len)
{
	if (!p->first_line_seen) {
		p->first_line_seen = true;
		if (starts(line, len, "__CURSOR=") ||
		    starts(line, len, "__REALTIME_TIMESTAMP=")) {
			p->journal = true;
			p->res->journal_export = true;
		}
	}
	if (p->journal)
		journal_line(p, line, len);
	else
		process_line(p, line, len);
}

/* Binary journal fields: returns bytes consumed from buf. */
static size_t
journal_binary(struct dump_parser *p, const char *buf, size_t len)
{
	size_t used = 0;

	if (p->jstate == 1) {
		while (used < len && p->jlenhave < 8)
			p->jlenbuf[p->jlenhave++] = (uint8_t)buf[used++];
		if (p->jlenhave < 8)
			return used;
		p->jlen = 0;
		for (int i = 7; i >= 0; i--)
			p->jlen = (p->jlen << 8) | p->jlenbuf[i];
		p->jhave = 0;
		p->jmsg_binary = strcmp(p->jname, "MESSAGE") == 0;
		if (p->jmsg_binary) {
			free(p->jmsg);
			p->jmsg = NULL;
			p->jmsglen = 0;
			if (p->jentry_line == 0)
				p->jentry_line = p->lineno;
		}
		if (p->jlen > DUMP_MAX_JOURNAL_FIELD) {
			add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
			    "journal export: binary field larger than 1 MiB");
			p->jmsg_binary = false;
		}
		p->jstate = 2;
	}
	while (used < len && p->jhave < p->jlen) {
		size_t take = len - used;

		if (take > p->jlen - p->jhave)
			take = (size_t)(p->jlen - p->jhave);
		if (p->jmsg_binary) {
			p->jmsg = xreallocarray(p->jmsg, p->jmsglen + take + 1,
			    1);
			memcpy(p->jmsg + p->jmsglen, buf + used, take);
			p->jmsglen += take;
			p->jmsg[p->jmsglen] = '\0';
		}
		p->jhave += take;
		used += take;
	}
	if (p->jhave == p->jlen && used < len) {
		if (buf[used] != '\n')
			add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
			    "journal export: binary field not followed by a "
			    "newline");
		else
			used++;
		p->jstate = 0;
	}
	return used;
}

void
dump_parser_feed(struct dump_parser *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *nl;

	while (s < end) {
		if (p->jstate != 0) {
			s += journal_binary(p, s, (size_t)(end - s));
			continue;
		}
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL) {
			carry_append(p, s, (size_t)(end - s));
			return;
		}
		if (p->carrylen > 0 || p->carry_overlong) {
			carry_append(p, s, (size_t)(nl - s));
			if (p->carry_overlong)
				p->lineno++;
			else
				dispatch_line(p, p->carry, p->carrylen);
			p->carrylen = 0;
			p->carry_overlong = false;
		} else
			dispatch_line(p, s, (size_t)(nl - s));
		s = nl + 1;
	}
}

struct dump_parser *
dump_parser_new(void)
{
	struct dump_parser *p = xcalloc(1, sizeof(*p));

	p->res = xcalloc(1, sizeof(*p->res));
	p->jpid = p->jsyslogpid = -1;
	return p;
}

static void
finish_work(struct dwork *w)
{
	struct dump *d = &w->d;

	if (w->summary != PART_NONE && w->sum.used > 0)
		sitetab_export(&w->sum, d);
	else if (w->d.has_fragments)
		sitetab_export(&w->frag, d);
	else
		sitetab_export(&w->sum, d);
	if (w->sum.overflow || w->frag.overflow)
		set_incomplete(w, "more than 65536 distinct allocation sites");
	if (d->has_fragments && w->status == PART_DONE)
		d->used_fragments = w->frag_count;
	else if (d->has_summary && w->summary == PART_DONE)
		d->used_fragments = w->sum_count;
	d->complete = d->incomplete_why == NULL;
	sitetab_free(&w->frag);
	sitetab_free(&w->sum);
}

/*
 * A last line without its newline may be cut anywhere: only a terminator
 * is trusted, numbers are not; the dump it belongs to is incomplete.
 */
static void
last_line_unterminated(struct dump_parser *p)
{
	static const char term[] = "-----------------------------";
	const size_t tl = sizeof(term) - 1;
	struct logline ll;
	struct dwork *w;

	if (p->carrylen >= tl &&
	    memcmp(p->carry + p->carrylen - tl, term, tl) == 0) {
		process_line(p, p->carry, p->carrylen);
		return;
	}
	p->lineno++;
	add_problem(p, DUMP_PROBLEM_TRUNCATED, p->lineno,
	    "the last line is cut off (no newline)");
	logline_parse(p->carry, p->carrylen, &ll);
	w = cur_work(p, ctx_get(p, ll.continuation && p->lastctx ?
	    p->lastctx->pid : ll.pid, -1));
	if (w != NULL)
		set_incomplete(w, "the log ends in the middle of a line");
}

struct dump_result *
dump_parser_finish(struct dump_parser *p)
{
	struct dump_result *r = p->res;
	size_t i;

	if (p->jstate != 0) {
		add_problem(p, DUMP_PROBLEM_TRUNCATED, p->lineno,
		    "journal export ends inside a binary field");
	} else if (p->carrylen > 0 && !p->carry_overlong && !p->journal)
		last_line_unterminated(p);
	if (p->journal && (p->jmsg != NULL || p->jentry_line != 0))
		journal_entry_end(p);
	for (i = 0; i < p->nctx; i++) {
		struct pctx *c = p->ctx[i];

		close_cur(p, c, "the log ends before the dump does");
		free(c);
	}
	free(p->ctx);
	r->dumps = xcalloc(p->nwork ? p->nwork : 1, sizeof(*r->dumps));
	for (i = 0; i < p->nwork; i++) {
		finish_work(&p->work[i]);
		r->dumps[i] = p->work[i].d;
	}
	r->ndumps = p->nwork;
	r->lines = p->lineno;
	free(p->work);
	free(p->carry);
	free(p->jmsg);
	free(p);
	return r;
}

static void
corruption_free(struct dump_corruption *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].text);
	free(c);
}

void
dump_result_free(struct dump_result *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->ndumps; i++) {
		struct dump *d = &r->dumps[i];

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
