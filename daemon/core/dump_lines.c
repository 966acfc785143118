/*
 * What each allocator prints, line by line: status headers and figures,
 * the qm fragment list with its check values, free-list statistics, the
 * tlsf matrix, per-site summaries, OpenSIPS's untagged variant; and the
 * lines around dumps (intro lines, allocation failures, corruption
 * reports, rate-limit notices).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dump_priv.h"
#include "core/memerr.h"
#include "core/scan.h"
#include "lib/xmalloc.h"

/* ---- allocator lines ---- */

static void
parse_header_figures(struct dwork *w, const char *b, const char *end,
    struct dump_parser *p)
{
	uint64_t v;
	bool ok = true;

	if (scan_starts(b, (size_t)(end - b), "heap size=")) {
		ok = scan_field(b, end, "heap size=", &v);
		if (ok) {
			w->d.heap_size = v;
			w->hdr_heap = true;
		}
	} else if (scan_starts(b, (size_t)(end - b), "used=")) {
		ok = scan_field(b, end, "used=", &w->d.used) &&
		    scan_field(b, end, "used+overhead=", &w->d.real_used) &&
		    scan_field(b, end, "free=", &w->d.free);
		if (ok) {
			w->hdr_used = true;
			if (scan_field(b, end, "fragments=", &v))
				w->d.free_fragments = v;
		}
	} else if (scan_starts(b, (size_t)(end - b), "max used (+overhead)=")) {
		ok = scan_field(b, end, "max used (+overhead)=", &w->d.max_used);
		if (ok)
			w->hdr_max = true;
	}
	if (!ok) {
		char buf[200];

		snprintf(buf, sizeof(buf),
		    "malformed allocator header line: \"%.*s\"",
		    (int)(end - b > 100 ? 100 : end - b), b);
		dump_add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno, buf);
		dump_set_incomplete(w, "a header line could not be read");
	}
}

static bool
is_header_figure(const char *b, size_t n)
{
	return scan_starts(b, n, "heap size=") || scan_starts(b, n, "used=") ||
	    scan_starts(b, n, "max used (+overhead)=");
}

/* A header figure the open dump already has. */
static bool
header_repeats(const struct dwork *w, const char *b, size_t n)
{
	return (w->hdr_heap && scan_starts(b, n, "heap size=")) ||
	    (w->hdr_used && scan_starts(b, n, "used=")) ||
	    (w->hdr_max && scan_starts(b, n, "max used (+overhead)="));
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
	while (s < end && scan_isdig(*s))
		s++;
	if (s == b || s >= end || *s != '.')
		goto bad;
	s = scan_skipsp(s + 1, end);
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
	if (!scan_u64(&q, end, &size))
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
	dump_add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
	    "malformed fragment line");
	dump_set_incomplete(w, "a fragment line could not be read");
}

static void
frag_site(struct dwork *w, const char *site, const char *end)
{
	w->frag_sites_seen = true;
	if (!w->frag_pending)
		return;
	while (end > site && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	site_table_add(&w->frag, site, (size_t)(end - site), 1,
	    w->frag_pending_size);
	w->frag_pending = false;
}

static const char check_ok[] = "f0f0f0f0, end check= c0c0c0c0, abcdefed";

void
dump_note_corruption(struct dump_parser *p, struct dwork *w, const char *text,
    size_t len)
{
	dump_corruption_add(&p->res->corruption, &p->res->ncorruption, p->lineno,
	    text, len);
	if (w != NULL)
		dump_corruption_add(&w->d.corruption, &w->d.ncorruption, p->lineno,
		    text, len);
}

static void
summary_row(struct dump_parser *p, struct dwork *w, const char *b,
    const char *end)
{
	uint64_t count, size;
	const char *from;

	if (!scan_field(b, end, "count=", &count) ||
	    !scan_field(b, end, "size=", &size) ||
	    (from = memmem(b, (size_t)(end - b), " bytes from ", 12)) == NULL) {
		dump_add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
		    "malformed summary line");
		dump_set_incomplete(w, "a summary line could not be read");
		return;
	}
	from += 12;
	while (end > from && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	site_table_add(&w->sum, from, (size_t)(end - from), count, size);
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

void
dump_summary_body(struct dump_parser *p, struct pctx *c, enum tag tag,
    const char *b, const char *end)
{
	struct dwork *w = dump_cur_work(p, c);
	size_t n = (size_t)(end - b);

	if (memmem(b, n, "summarizing all alloc'ed. fragments:", 36) != NULL) {
		dump_start_summary(p, c, tag_alloc(tag));
		return;
	}
	if (w == NULL || w->summary != PART_OPEN) {
		/* A summary line with no start: its head was cut off. */
		if (scan_starts(b, n, "count=")) {
			w = dump_start_summary(p, c, tag_alloc(tag));
			dump_set_incomplete(w, "the summary's first lines are "
			    "missing");
			summary_row(p, w, b, end);
		}
		return;
	}
	w->d.last_line = p->lineno;
	if (scan_starts(b, n, "count="))
		summary_row(p, w, b, end);
	else if (is_terminator(b, n)) {
		w->summary = PART_DONE;
		dump_close_cur(p, c, "");
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
		if (scan_isdig(*b)) {
			frag_line(p, w, b, end);
			return true;
		}
		if (scan_starts(b, n, "alloc'd from ")) {
			frag_site(w, b + 13, end);
			return true;
		}
		if (scan_starts(b, n, "start check=")) {
			if (n - 12 < sizeof(check_ok) - 1 ||
			    memcmp(b + 12, check_ok, sizeof(check_ok) - 1) != 0)
				dump_note_corruption(p, w, b, n);
			return true;
		}
		if (scan_starts(b, n, "freed from "))
			return true;
		if (b[0] == '*') {
			dump_note_corruption(p, w, b, n);
			return true;
		}
		break;
	case SS_FREELIST:
		if (scan_starts(b, n, "hash")) {
			uint64_t v;

			if (scan_field(b, end, "fragments no.:", &v)) {
				if (w->d.free_fragments == DUMP_UNKNOWN)
					w->d.free_fragments = 0;
				w->d.free_fragments += v;
			}
			return true;
		}
		if (scan_starts(b, n, "TOTAL:")) {
			uint64_t v;
			const char *s = b + 6;

			if (scan_u64(&s, end, &v))
				w->d.free_fragments = v;
			return true;
		}
		if (scan_starts(b, n, "unused fragm."))
			return true;
		break;
	case SS_MATRIX:
		if (scan_isdig(*b)) {
			if (++w->tlsf_rows >= 32) {
				w->status = PART_DONE;
				dump_close_cur(p, c, "");
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
	if (scan_starts(b, n, "dumping all")) {
		frag_flush(w);
		w->ss = SS_FRAGS;
		return true;
	}
	if (scan_starts(b, n, "dumping free list")) {
		frag_flush(w);
		w->ss = SS_FREELIST;
		return true;
	}
	if (scan_starts(b, n, "Free blocks matrix")) {
		w->ss = SS_MATRIX;
		return true;
	}
	if (is_terminator(b, n)) {
		frag_flush(w);
		w->status = PART_DONE;
		dump_close_cur(p, c, "");
		return true;
	}
	return false;
}

void
dump_status_body(struct dump_parser *p, struct pctx *c, enum tag tag,
    const char *b, const char *end)
{
	struct dwork *w = dump_cur_work(p, c);
	size_t n = (size_t)(end - b);

	/* header: "(0x..):", "fm_status (0x..):", "status of pool (0x..):" */
	if ((n > 2 && b[0] == '(' && b[n - 1] == ':') ||
	    scan_starts(b, n, "fm_status (") || scan_starts(b, n, "status of pool (")) {
		const char *a = memchr(b, '(', n), *z;

		w = dump_start_status(p, c, tag_alloc(tag), false);
		if (a != NULL && (z = memchr(a, ')', (size_t)(end - a))) != NULL)
			w->d.address = xstrndup(a + 1, (size_t)(z - a - 1));
		return;
	}
	if (w != NULL && w->status == PART_OPEN && header_repeats(w, b, n)) {
		/* a figure twice: the next dump began, its first line and
		 * this one's end lost (a paste of several dumps) */
		dump_close_cur(p, c, "the dump's last lines are missing");
		w = NULL;
	}
	if (w == NULL || w->status != PART_OPEN) {
		if (!is_header_figure(b, n) && !scan_starts(b, n, "dumping all"))
			return;
		/* the header line was lost: keep what follows */
		w = dump_start_status(p, c, tag_alloc(tag), false);
		dump_set_incomplete(w, "the dump's first line is missing");
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

	if (!scan_u64(&s, end, &bytes))
		return false;
	s = scan_skipsp(s, end);
	if (s >= end || *s != ':')
		return false;
	s++;
	if (!scan_u64(&s, end, &count))
		return false;
	lb = memchr(s, '[', (size_t)(end - s));
	rb = lb ? memchr(lb, ']', (size_t)(end - lb)) : NULL;
	ln = lb && rb ? memmem(lb, (size_t)(rb - lb), ", line ", 7) : NULL;
	if (ln == NULL)
		return false;
	s = ln + 7;
	if (!scan_u64(&s, rb, &line))
		return false;
	k = snprintf(site, sizeof(site), "%.*s(%llu)", (int)(ln - lb - 1),
	    lb + 1, (unsigned long long)line);
	if (k < 0 || (size_t)k >= sizeof(site))
		return false;
	site_table_add(&w->sum, site, (size_t)k, count, bytes);
	w->sum_count += count;
	w->sum_bytes += bytes;
	(void)p;
	return true;
}

/* Returns true when the line belonged to the open OpenSIPS dump. */
/*
 * "failed to walk through all fragments (F FIRST LAST_END)": OpenSIPS 3.6
 * and 4.0 print it in every Q_MALLOC_DBG dump, their walk ending one
 * fragment header (0x30) past last_frag_end: the summary that follows is
 * whole (docs/opensips-lab.md). Only a walk that stopped short, or
 * overshot by more than a header, left fragments out.
 */
static bool
os_walk_overshoot(const char *b, size_t n)
{
	char line[160];
	unsigned long long f, first, last;
	const char *p;

	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n :
	    sizeof(line) - 1), b);
	if ((p = strchr(line, '(')) == NULL ||
	    sscanf(p, "(%llx %llx %llx)", &f, &first, &last) != 3)
		return false;
	return f > last && f - last <= 0x40 && first < last;
}

bool
dump_os_body(struct dump_parser *p, struct pctx *c, const char *b, const char *end)
{
	struct dwork *w = dump_cur_work(p, c);
	size_t n;

	if (w == NULL || !w->os || w->status != PART_OPEN)
		return false;
	b = scan_skipsp(b, end);
	n = (size_t)(end - b);
	w->d.last_line = p->lineno;
	if (n == 0)
		return true;
	if (scan_starts(b, n, "failed to walk through all fragments")) {
		if (!os_walk_overshoot(b, n))
			dump_set_incomplete(w, "the proxy failed to walk "
			    "through all fragments");
		return true;
	}
	if (scan_starts(b, n, "dumping summary of all alloc'ed. fragments")) {
		w->ss = SS_OS_SUMS;
		w->os_dashes = 0;
		w->summary = PART_OPEN;
		w->d.has_summary = true;
		return true;
	}
	if (w->ss == SS_OS_SUMS) {
		if (is_terminator(b, n) || scan_starts(b, n, "------------+")) {
			if (++w->os_dashes >= 3) {
				w->summary = PART_DONE;
				w->os_sums_closed = true;
				w->ss = SS_HEADER;
			}
			return true;
		}
		if (scan_starts(b, n, "total_bytes |"))
			return true;
		if (scan_isdig(*b) && os_summary_row(p, w, b, end))
			return true;
		return false;
	}
	if (scan_starts(b, n, "Dumping free")) {
		w->ss = SS_FREELIST;
		return true;
	}
	return status_line(p, c, w, b, end);
}

/* ---- everything that is not an allocator line ---- */

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

static void
intro_line(struct dump_parser *p, struct pctx *c, const char *m,
    const char *end, int kind)
{
	const char *s = memchr(m, '(', (size_t)(end - m));
	enum dump_pool pool = DUMP_POOL_UNKNOWN;
	struct dwork *w = dump_cur_work(p, c);

	if (s != NULL && end - s >= 5) {
		if (memcmp(s, "(shm)", 5) == 0)
			pool = DUMP_POOL_SHM;
		else if (memcmp(s, "(pkg)", 5) == 0)
			pool = DUMP_POOL_PKG;
	}
	/* A short status (no terminator) is finished by what follows it;
	 * a summary intro may still claim it, so leave it to start_summary. */
	if (w != NULL && !(kind == 2 && dump_short_status_done(w)))
		dump_close_cur(p, c, "a new dump began before this one ended");
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
		struct dwork *w = dump_cur_work(p, c);

		if (w != NULL && (pid < 0 || c->pid == pid))
			dump_set_incomplete(w, "the log dropped lines (rate "
			    "limiting) while the dump was written");
	}
}

void
dump_other_line(struct dump_parser *p, struct pctx *c, const char *m, size_t n)
{
	const char *end = m + n, *s;
	enum dump_pool pool;
	struct dwork *w;

	if (dump_os_body(p, c, m, end))
		return;
	c->msgs_since_close++;
	w = dump_cur_work(p, c);
	if ((s = memmem(m, n, "Memory s", 8)) != NULL) {
		size_t r = (size_t)(end - s);

		if (scan_starts(s, r, "Memory status (")) {
			intro_line(p, c, s, end, 1);
			return;
		}
		if (scan_starts(s, r, "Memory still-in-use summary (")) {
			intro_line(p, c, s, end, 2);
			return;
		}
	}
	if (scan_starts(m, n, "qm_status (") || scan_starts(m, n, "fm_status (") ||
	    scan_starts(m, n, "hp_status (")) {
		enum dump_alloc a = m[0] == 'q' ? DUMP_ALLOC_QM :
		    m[0] == 'f' ? DUMP_ALLOC_FM : DUMP_ALLOC_UNKNOWN;
		const char *z;

		w = dump_start_status(p, c, a, true);
		if ((z = memchr(m, ')', n)) != NULL && z - m > 11)
			w->d.address = xstrndup(m + 11, (size_t)(z - m - 11));
		return;
	}
	if (memerr_is_corruption(m, n)) {
		if (w == NULL && c->pending_bug == 0)
			c->pending_bug_first = p->res->ncorruption;
		dump_note_corruption(p, w, m, n);
		if (w == NULL)
			c->pending_bug++;
		return;
	}
	if (memerr_classify(m, n, &pool)) {
		memerr_add(p, c->pid, pool, m, n);
		return;
	}
	if ((memmem(m, n, "rate-limiting", 13) != NULL &&
	    memmem(m, n, "imuxsock", 8) != NULL)) {
		const char *q = memmem(m, n, "from pid ", 9);
		uint64_t v;

		if (q != NULL && (q += 9, scan_u64(&q, end, &v)))
			rate_limited(p, (long)v);
		else
			rate_limited(p, -1);
		return;
	}
	if (scan_starts(m, n, "Suppressed ") && memmem(m, n, "messages from",
	    13) != NULL) {
		rate_limited(p, -1);
		return;
	}
	if (w != NULL && dump_short_status_done(w))
		dump_close_cur(p, c, "");
	if (w != NULL && w->os && w->os_sums_closed)
		dump_close_cur(p, c, "");
}

