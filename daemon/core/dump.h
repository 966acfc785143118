/*
 * dump: the memory-dump parser. Feed it a log in chunks of any size; it
 * returns every memory dump in it (per process and per pool), every
 * memory-allocation failure and every corruption report. Pure: buffers in,
 * structs out; no I/O, no globals. Peak memory depends on the number of
 * dumps and distinct allocation sites, not on the size of the input.
 */
#ifndef MEMDIAG_DUMP_H
#define MEMDIAG_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dump_types.h"

struct dump_corruption {
	uint64_t line;		/* input line */
	char *text;
};

struct dump {
	long pid;
	int process_no;		/* -1: unknown */
	enum dump_pool pool;
	enum dump_alloc alloc;
	uint64_t heap_size, used, real_used, free, max_used;
	uint64_t used_fragments;	/* in use; DUMP_UNKNOWN if not shown */
	uint64_t free_fragments;	/* from the free list or tlsf header */
	bool has_status;	/* header figures were printed */
	bool has_fragments;	/* the per-fragment list was printed */
	bool has_summary;	/* a per-site summary was printed */
	bool complete;
	char *incomplete_why;	/* NULL when complete */
	uint64_t first_line, last_line;
	char *address;		/* heap address as printed, or NULL */
	struct dump_site *sites;	/* sorted by bytes, largest first */
	size_t nsites;
	struct dump_corruption *corruption;
	size_t ncorruption;
};

struct dump_memerr {
	long pid;
	enum dump_pool pool;
	char *text;		/* the message, prefix and log_prefix removed */
	uint64_t count;		/* identical lines from this PID */
	uint64_t first_line;
};

enum dump_problem_kind { DUMP_PROBLEM_MALFORMED, DUMP_PROBLEM_TRUNCATED };

struct dump_problem {
	enum dump_problem_kind kind;
	uint64_t line;
	char *text;
};

struct dump_result {
	struct dump *dumps;	/* in the order they started */
	size_t ndumps;
	struct dump_memerr *errors;
	size_t nerrors;
	uint64_t errors_total;	/* failure lines seen, including dropped */
	uint64_t errors_dropped;	/* distinct texts past the cap */
	struct dump_corruption *corruption;	/* every corruption line */
	size_t ncorruption;
	struct dump_problem *problems;
	size_t nproblems;
	uint64_t lines;
	bool journal_export;	/* the input was journalctl -o export */
};

struct dump_parser;

struct dump_parser *dump_parser_new(void);
/* Bytes of a log, split anywhere. */
void dump_parser_feed(struct dump_parser *, const char *buf, size_t len);
/* One message whose PID is known from elsewhere (sd-journal, a datagram). */
void dump_parser_message(struct dump_parser *, long pid, const char *msg,
    size_t len);
/* Progress while a capture runs: dumps begun so far (a mark), and
 * whether one begun after mark, of that PID and pool, is finished (and,
 * with need_summary, finished with its per-site summary). */
size_t dump_parser_mark(const struct dump_parser *);
bool dump_parser_has(const struct dump_parser *, size_t mark, long pid,
    enum dump_pool pool, bool need_summary);
/* The log itself broke (rotated, truncated, deleted): every dump still
 * being written is incomplete, for that reason. */
void dump_parser_interrupt(struct dump_parser *, const char *why);
/* Ends the input; the parser is freed and its findings returned. */
struct dump_result *dump_parser_finish(struct dump_parser *);
void dump_result_free(struct dump_result *);
/* Keep one dump per (PID, pool): the last complete one, else the last.
 * (Kamailio can print a child's pkg twice for one request; see dumper.) */
void dump_result_keep_last(struct dump_result *);
/* Keep only the dumps and memory errors of these PIDs (and those whose
 * PID the log did not say): a shared log carries anyone's lines. */
void dump_result_keep_pids(struct dump_result *, const long *pids,
    size_t npids);

const char *dump_pool_name(enum dump_pool);	/* "shm", "pkg" or NULL */
const char *dump_alloc_name(enum dump_alloc);	/* "qm", ... or NULL */

#endif
