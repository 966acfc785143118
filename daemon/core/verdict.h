/*
 * verdict: the judgement, per pool, from settled floors measured over
 * rounds of test calls. Pure: numbers and dumps in, a verdict with its
 * reason, bytes per call and ranked suspects out.
 *
 * Rounds are sized N, N, 2N (or any sizes). Settled growth over the
 * baseline after each round tells the cases apart:
 *   leak        grows with the cumulative calls: each round adds in
 *               proportion to its own size (N, N, 2N -> +1, +1, +2 units)
 *   timer-held  tracks only the latest round (+1, +1, +2 as totals, not
 *               increments): memory waiting for a module timer
 *   warm-up     grows in the first round only
 *   healthy     back to the byte (lab: healthy floors return exactly)
 */
#ifndef MEMDIAG_VERDICT_H
#define MEMDIAG_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dump.h"

enum verdict {
	VERDICT_HEALTHY,
	VERDICT_LEAK,
	VERDICT_POOL_TOO_SMALL,
	VERDICT_FRAGMENTATION,
	VERDICT_INCONCLUSIVE,
};

#define VERDICT_MAX_ROUNDS 8
#define VERDICT_MAX_SUSPECTS 10

struct verdict_round {
	uint64_t calls;		/* test calls placed in this round */
	uint64_t completed;	/* of them, completed */
	uint64_t settled_used;	/* floor after the quiet period */
	uint64_t settled_fragments;	/* in use; DUMP_UNKNOWN if unknown */
	bool quiet;		/* the floor was reached (flat long enough) */
	const struct dump *dump;	/* the settled dump (sites), borrowed */
};

struct verdict_input {
	enum dump_pool pool;
	uint64_t heap_size;
	uint64_t max_used;	/* high-water mark (never reset) */
	uint64_t baseline_used;
	const struct dump *baseline;	/* borrowed; sites */
	struct verdict_round rounds[VERDICT_MAX_ROUNDS];
	size_t nrounds;
	uint64_t noise_bytes;	/* how far a healthy floor moves (fm pkg);
				 * 0: to the byte, bar allocator rounding */
	uint64_t alloc_failures;	/* failure lines naming this pool */
	uint64_t fragment_failures;	/* "Free fragment not found" */
	bool dumps_complete;	/* every dump used here was whole */
	bool timer_pending;	/* a declared module timer outlives the run */
	bool budget_spent;	/* the gate budget ran out */
	bool proxy_restarted;
};

struct verdict_suspect {
	const char *module, *file, *func;	/* borrowed from the dumps */
	unsigned long line;
	double bytes_per_call;
	double count_per_call;
};

struct verdict_result {
	enum verdict verdict;
	char reason[512];
	double bytes_per_call;	/* the leak's slope; 0 otherwise */
	bool warmup;		/* first-round-only growth was seen */
	uint64_t warmup_bytes;
	struct verdict_suspect suspects[VERDICT_MAX_SUSPECTS];
	size_t nsuspects;
};

void verdict_judge(const struct verdict_input *, struct verdict_result *);

/* What the pool should be, from what a call in flight costs. */
struct verdict_sizing {
	enum dump_pool pool;
	const char *flavour;	/* "kamailio", "openser", "ser", "opensips" */
	int major;		/* version, 0 if unknown */
	bool debian;		/* /etc/default/<proxy> sets the sizes */
	uint64_t floor;		/* settled used with no traffic */
	double per_call;	/* bytes one call in flight holds (measured) */
	double peak_cps;	/* the proxy's expected peak call rate */
	double lifetime_s;	/* how long a call's memory stays (tm: ~5 s
				 * after it ends, plus its duration) */
	uint64_t heap_size;	/* what it is now */
	unsigned nprocs;	/* pkg: processes, each with its own pool */
	double margin;		/* e.g. 1.5 */
};

struct verdict_recommendation {
	char knob[160];		/* "-m (MB) or SHM_MEMORY in /etc/default/kamailio" */
	uint64_t value_mb;
	char reasoning[512];
};

void verdict_recommend(const struct verdict_sizing *,
    struct verdict_recommendation *);

/* The first of several in memdiag(8)'s order (JSON): leak, pool-too-small,
 * fragmentation, inconclusive, healthy. */
enum verdict verdict_overall(const enum verdict *, size_t n);
const char *verdict_name(enum verdict);
/* Exit status of a verdict (corruption raises it to at least 2). */
int verdict_status(enum verdict, bool corruption);

#endif
