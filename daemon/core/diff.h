/*
 * diff: what changed between two sets of dumps, per pool and per site.
 * shm pairs by pool (one shared pool, whatever PID printed it); pkg pairs
 * by process number where the log shows it, else by PID. Pure.
 */
#ifndef MEMDIAG_DIFF_H
#define MEMDIAG_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dump.h"

struct diff_site {
	const char *module;	/* borrowed from the dumps */
	const char *file;
	const char *func;
	unsigned long line;
	int64_t count_delta;
	int64_t bytes_delta;
};

struct diff_pair {
	enum dump_pool pool;
	const struct dump *before;	/* borrowed */
	const struct dump *after;	/* borrowed */
	bool have_used;		/* both dumps printed their header figures */
	int64_t used_delta;
	int64_t real_used_delta;
	bool have_sites;	/* both dumps listed their sites */
	struct diff_site *sites;	/* nonzero deltas, largest growth first */
	size_t nsites;
};

struct diff_result {
	struct diff_pair *pairs;
	size_t npairs;
	const struct dump **only_before;	/* no partner in the other log */
	size_t nonly_before;
	const struct dump **only_after;
	size_t nonly_after;
};

/* The dumps must outlive the result. */
struct diff_result *diff_dumps(const struct dump_result *before,
    const struct dump_result *after);
void diff_result_free(struct diff_result *);

/* Site identity, shared with the verdict: module, file, function, line. */
int diff_site_key_cmp(const struct dump_site *, const struct dump_site *);

#endif
