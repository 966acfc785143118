/*
 * OBSERVE's samples, shared by its two files: diag_observe.c takes them
 * (the proxy's counters, then one dump pass: shm with the main process's
 * pkg, and every child's pkg), diag_observe_report.c judges them, per
 * pool: shm, and pkg per group of processes alike (the udp receivers,
 * the timers, ...: what one process of a group leaks, its siblings leak
 * too, each a share of the requests).
 */
#ifndef MEMDIAG_ENGINE_DIAG_OBSERVE_H
#define MEMDIAG_ENGINE_DIAG_OBSERVE_H

#include <stdbool.h>

#include "core/dump.h"
#include "core/growth.h"

#define OBS_MAX_SITES 4096
#define OBS_MAX_POOLS 16	/* shm and the pkg groups */

struct event;

/* A pool: shm (index 0), or one group's pkg. */
struct obs_pool {
	char *group;		/* NULL for shm; "udp receiver", ... */
	enum dump_alloc alloc;
	double used[GROWTH_MAX_SAMPLES];	/* the group's sum */
	double size[GROWTH_MAX_SAMPLES];	/* its pools' sum */
	unsigned procs[GROWTH_MAX_SAMPLES];	/* processes that dumped */
	bool totals_only;	/* its dumps named no site: judged whole */
};

struct obs_site {
	char *name;		/* "MOD: FILE: FUNC(LINE)" */
	char *module, *file, *func;
	unsigned long line;
	size_t pool;		/* index into diag_obs.pools */
	double bytes[GROWTH_MAX_SAMPLES];
	double count[GROWTH_MAX_SAMPLES];	/* its fragments */
};

struct diag_obs {
	struct growth_sample s[GROWTH_MAX_SAMPLES];
	size_t n;
	size_t cap;		/* samples kept: the window's (rolling) */
	const char *const *methods;	/* the counts' names */
	struct obs_pool pools[OBS_MAX_POOLS];
	size_t npools;
	struct obs_site *sites;
	size_t nsites;
	double t0, interval, pool_size;
	struct event *ev;
	bool retry;		/* ev: px was busy, begin the sample again */
	bool last;		/* the window is over: this is the final one */
	struct growth_sample pre;	/* the counters read as a dump began */
	bool have_pre;
	double dump_s;		/* time the dumps took, in all */
};

struct diag;
/* diag_observe_report.c: the samples kept, judged (prints nothing but
 * the text report, when not quiet); *status the verdict's */
struct json_t;
struct json_t *diag_observe_judge(struct diag *, int *status);

#endif
