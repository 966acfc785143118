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

#include "core/dump.h"
#include "core/dump_priv.h"
#include "core/logframe.h"
#include "core/logline.h"
#include "core/memerr.h"
#include "core/scan.h"
#include "core/site.h"
#include "lib/xmalloc.h"


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

/* ---- problems, corruption, errors ---- */

void
dump_add_problem(struct dump_parser *p, enum dump_problem_kind kind, uint64_t line,
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

void
dump_corruption_add(struct dump_corruption **arr, size_t *n, uint64_t line,
    const char *text, size_t len)
{
	if (*n >= DUMP_MAX_CORRUPTION)
		return;
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[*n].line = line;
	(*arr)[*n].text = xstrndup(text, len);
	(*n)++;
}

/* ---- contexts and dumps ---- */

struct pctx *
dump_ctx_get(struct dump_parser *p, long pid, int process_no)
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

struct dwork *
dump_cur_work(struct dump_parser *p, struct pctx *c)
{
	return c->cur ? &p->work[c->cur - 1] : NULL;
}

void
dump_set_incomplete(struct dwork *w, const char *why)
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
		dump_set_incomplete(w, buf);
	}
	if (w->frag_sites_seen && w->frag_nosite > 0) {
		snprintf(buf, sizeof(buf),
		    "%llu fragments lack their \"alloc'd from\" line",
		    (unsigned long long)w->frag_nosite);
		dump_set_incomplete(w, buf);
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
		dump_set_incomplete(w, buf);
	}
}

bool
dump_short_status_done(struct dwork *w)
{
	return w->status == PART_OPEN && w->ss == SS_HEADER && w->hdr_heap &&
	    w->hdr_used && w->hdr_max && !w->os &&
	    w->d.alloc != DUMP_ALLOC_TLSF;
}

/* Close the context's open dump. cut: ended without its terminator. */
void
dump_close_cur(struct dump_parser *p, struct pctx *c, const char *cut_why)
{
	struct dwork *w = dump_cur_work(p, c);

	if (w == NULL)
		return;
	if (w->frag_pending) {
		w->frag_pending = false;
		if (w->frag_sites_seen)
			w->frag_nosite++;
	}
	if (w->status == PART_OPEN) {
		if (dump_short_status_done(w) || (w->os && w->os_sums_closed) ||
		    (w->os && w->ss == SS_HEADER && w->hdr_max))
			w->status = PART_DONE;
		else {
			w->status = PART_CUT;
			dump_set_incomplete(w, cut_why);
		}
	}
	if (w->summary == PART_OPEN) {
		w->summary = PART_CUT;
		dump_set_incomplete(w, cut_why);
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

		dump_corruption_add(&w->d.corruption, &w->d.ncorruption, g->line,
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
struct dwork *
dump_start_status(struct dump_parser *p, struct pctx *c, enum dump_alloc alloc,
    bool os)
{
	struct dwork *w;

	dump_close_cur(p, c, "a new dump began before this one ended");
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
struct dwork *
dump_start_summary(struct dump_parser *p, struct pctx *c, enum dump_alloc alloc)
{
	struct dwork *w = dump_cur_work(p, c);
	enum dump_pool pool = c->intro_pending ? c->intro_pool :
	    DUMP_POOL_UNKNOWN;

	if (w != NULL && dump_short_status_done(w) && w->d.pool == pool &&
	    w->summary == PART_NONE) {
		dump_close_cur(p, c, "");
		c->msgs_since_close = c->intro_pending ? 1 : 0;
	} else
		dump_close_cur(p, c, "a new dump began before this one ended");
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
	const char *s = scan_skipsp(b, end);

	if (s >= end)
		return;
	if (summary)
		dump_summary_body(p, c, t, s, end);
	else
		dump_status_body(p, c, t, s, end);
}

static void
handle_message(struct dump_parser *p, long pid, int process_no,
    const char *line, size_t prefixlen, const char *m, size_t n)
{
	struct pctx *c = dump_ctx_get(p, pid, process_no);
	const char *body;
	bool summary = false;
	enum tag t;

	/* syslog's escaped control characters: "... unused: 0#012#011..." */
	t = find_tag(m, n, &body, &summary);
	if (t == TAG_NONE) {
		dump_other_line(p, c, m, n);
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
		dump_add_problem(p, DUMP_PROBLEM_MALFORMED, p->lineno,
		    "binary data (NUL bytes) in a text log");
		return;
	}
	logline_parse(line, len, &ll);
	if (ll.continuation)
		return;		/* free-list "bucket size" continuation */
	handle_message(p, ll.pid, ll.process_no, line, ll.prefixlen, ll.msg,
	    ll.msglen);
}

static void
handle_journal_message(struct dump_parser *p, long pid, const char *msg,
    size_t len)
{
	const char *end = msg + len, *nl;
	size_t skip;

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

void
dump_parser_message(struct dump_parser *p, long pid, const char *msg,
    size_t len)
{
	p->lineno++;
	handle_journal_message(p, pid, msg, len);
}

/* ---- framing callbacks ---- */

static void
frame_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct dump_parser *p = arg;

	p->lineno = lineno;
	process_line(p, line, len);
}

static void
frame_message(void *arg, long pid, const char *msg, size_t len,
    uint64_t lineno)
{
	struct dump_parser *p = arg;

	p->lineno = lineno;
	handle_journal_message(p, pid, msg, len);
}

static void
frame_problem(void *arg, bool truncated, uint64_t lineno, const char *text)
{
	dump_add_problem(arg, truncated ? DUMP_PROBLEM_TRUNCATED :
	    DUMP_PROBLEM_MALFORMED, lineno, text);
}

static void last_line_unterminated(struct dump_parser *, const char *,
    size_t, uint64_t);

static void
frame_partial(void *arg, const char *line, size_t len, uint64_t lineno)
{
	last_line_unterminated(arg, line, len, lineno);
}

static const struct logframe_ops dump_frame_ops = {
	.line = frame_line,
	.message = frame_message,
	.problem = frame_problem,
	.partial = frame_partial,
};

void
dump_parser_feed(struct dump_parser *p, const char *buf, size_t len)
{
	logframe_feed(p->frame, buf, len);
}

size_t
dump_parser_mark(const struct dump_parser *p)
{
	return p->nwork;
}

bool
dump_parser_has(const struct dump_parser *p, size_t mark, long pid,
    enum dump_pool pool, bool need_summary)
{
	size_t i, j;

	for (i = mark; i < p->nwork; i++) {
		const struct dwork *w = &p->work[i];
		bool open = false;

		if (w->d.pid != pid || w->d.pool != pool)
			continue;
		for (j = 0; j < p->nctx; j++)
			if (p->ctx[j]->cur == i + 1)
				open = true;
		if (open || (need_summary && w->summary != PART_DONE))
			continue;
		return true;
	}
	return false;
}

void
dump_parser_interrupt(struct dump_parser *p, const char *why)
{
	size_t i;

	for (i = 0; i < p->nctx; i++) {
		struct dwork *w = dump_cur_work(p, p->ctx[i]);

		if (w != NULL)
			dump_set_incomplete(w, why);
	}
}

struct dump_parser *
dump_parser_new(void)
{
	struct dump_parser *p = xcalloc(1, sizeof(*p));

	p->res = xcalloc(1, sizeof(*p->res));
	p->frame = logframe_new(&dump_frame_ops, p);
	return p;
}

static void
last_line_unterminated(struct dump_parser *p, const char *line, size_t len,
    uint64_t lineno)
{
	static const char term[] = "-----------------------------";
	const size_t tl = sizeof(term) - 1;
	struct logline ll;
	struct dwork *w;

	p->lineno = lineno;
	if (len >= tl && memcmp(line + len - tl, term, tl) == 0) {
		process_line(p, line, len);
		return;
	}
	dump_add_problem(p, DUMP_PROBLEM_TRUNCATED, p->lineno,
	    "the last line is cut off (no newline)");
	logline_parse(line, len, &ll);
	w = dump_cur_work(p, dump_ctx_get(p, ll.continuation && p->lastctx ?
	    p->lastctx->pid : ll.pid, -1));
	if (w != NULL)
		dump_set_incomplete(w, "the log ends in the middle of a line");
}

struct dump_result *
dump_parser_finish(struct dump_parser *p)
{
	struct dump_result *r = p->res;
	size_t i;

	logframe_finish(p->frame);
	r->journal_export = logframe_is_journal(p->frame);
	if (logframe_lineno(p->frame) > p->lineno)
		p->lineno = logframe_lineno(p->frame);
	logframe_free(p->frame);
	for (i = 0; i < p->nctx; i++) {
		struct pctx *c = p->ctx[i];

		dump_close_cur(p, c, "the log ends before the dump does");
		free(c);
	}
	free(p->ctx);
	r->dumps = xcalloc(p->nwork ? p->nwork : 1, sizeof(*r->dumps));
	for (i = 0; i < p->nwork; i++) {
		dump_finish_work(&p->work[i]);
		r->dumps[i] = p->work[i].d;
	}
	r->ndumps = p->nwork;
	r->lines = p->lineno;
	free(p->work);
	free(p);
	return r;
}

