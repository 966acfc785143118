/*
 * The diagnosis' judgement: settled floors and dumps into verdict.c, one
 * pool at a time (shm; pkg per group of processes with the same role,
 * since which worker takes a call is the kernel's choice), and the pool
 * size to recommend. diag_report.c prints what it found.
 */
#ifndef MEMDIAG_ENGINE_DIAG_JUDGE_H
#define MEMDIAG_ENGINE_DIAG_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/verdict.h"

struct diag;

#define DIAG_MAX_POOLS 32

struct diag_pool {
	enum dump_pool pool;
	const char *group;	/* pkg: the role; borrowed */
	long pid;
	size_t nprocs;
	uint64_t peak[VERDICT_MAX_ROUNDS];
	int64_t transient[VERDICT_MAX_ROUNDS];	/* shm after the dumps */
	bool before_dump[VERDICT_MAX_ROUNDS];
	struct dump merged[VERDICT_MAX_ROUNDS + 1];	/* pkg groups */
	struct verdict_input in;
	struct verdict_result res;
};

struct diag_pools {
	struct diag_pool p[DIAG_MAX_POOLS];
	size_t n;
};

/* Every pool judged from the rounds up to nr. */
void diag_judge_pools(struct diag *, struct diag_pools *, int nr);
void diag_judge_free(struct diag_pools *);
/* The pool size to recommend where shm's pool is too small. */
bool diag_judge_recommend(struct diag *, const struct diag_pools *,
    struct verdict_recommendation *);
/* "qm", "fm" or "tlsf": the pool's allocator as the dumps or -x say. */
const char *diag_judge_allocator(const struct diag *, enum dump_pool);

#endif
