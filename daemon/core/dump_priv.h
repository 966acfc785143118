/*
 * The parser's private parts, shared by dump.c (contexts, dispatch, the
 * public API), dump_lines.c (what each allocator prints) and
 * dump_result.c (results). Nothing outside the parser includes this.
 */
#ifndef MEMDIAG_DUMP_PRIV_H
#define MEMDIAG_DUMP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dump.h"
#include "core/logframe.h"
#include "core/site.h"

#define DUMP_MAX_ERRORS 1000		/* distinct failure texts kept */
#define DUMP_MAX_CORRUPTION 1000
#define DUMP_MAX_PROBLEMS 1000
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

struct dwork {
	struct dump d;
	struct site_table frag;	/* from the qm fragment list */
	struct site_table sum;	/* from a summary */
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

	struct logframe *frame;
	uint64_t lineno;

	/* fast path: the previous tagged line's prefix */
	char fast[DUMP_FAST_MAX];
	size_t fastlen;
	struct pctx *fastctx;
	enum tag fasttag;

	struct dump_result *res;
	size_t caperrors, capcorr, capprob;
};

/* dump.c */
void dump_add_problem(struct dump_parser *, enum dump_problem_kind,
    uint64_t line, const char *text);
void dump_corruption_add(struct dump_corruption **, size_t *, uint64_t line,
    const char *text, size_t len);
struct pctx *dump_ctx_get(struct dump_parser *, long pid, int process_no);
struct dwork *dump_cur_work(struct dump_parser *, struct pctx *);
void dump_set_incomplete(struct dwork *, const char *why);
bool dump_short_status_done(struct dwork *);
void dump_close_cur(struct dump_parser *, struct pctx *, const char *cut_why);
struct dwork *dump_start_status(struct dump_parser *, struct pctx *,
    enum dump_alloc, bool os);
struct dwork *dump_start_summary(struct dump_parser *, struct pctx *,
    enum dump_alloc);

/* dump_lines.c: one message body each */
void dump_note_corruption(struct dump_parser *, struct dwork *,
    const char *text, size_t len);
void dump_status_body(struct dump_parser *, struct pctx *, enum tag,
    const char *b, const char *end);
void dump_summary_body(struct dump_parser *, struct pctx *, enum tag,
    const char *b, const char *end);
void dump_other_line(struct dump_parser *, struct pctx *, const char *m,
    size_t n);

/* dump_result.c */
void dump_finish_work(struct dwork *);

#endif
