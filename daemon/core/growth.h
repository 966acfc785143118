/*
 * growth: the live judgement. While the proxy's own users call, memory
 * at an allocation site either follows the load (what is in flight now:
 * transactions, dialogs; it comes and goes with the rate) or the
 * cumulative count of some request (each one leaves something behind: a
 * leak). Per site, from samples taken over a window:
 *
 *   bytes(t) = a + b * N_m(t) + c * L(t)
 *
 * N_m the requests of method m so far, L the transactions in flight, fit
 * by iteratively reweighted least squares (Huber weights: a dump taken
 * while a burst was in flight does not move the line), b with its
 * standard error. The method is the one whose count explains the site
 * best.
 *
 * A significant slope is not yet a leak. Under steady traffic the
 * fragments a transaction holds vary in size (the messages' mix, the
 * allocator's reuse of larger free fragments): measured on Kamailio 5.6
 * at 20 calls/s, the tm and message-clone sites grew 7-16 % in bytes
 * over five minutes with their fragment count flat at the transactions
 * in flight. So a leak must also add fragments (its count grows with the
 * requests, beyond what is in flight), or, with a flat count, grow by
 * more than half of what the site held in the window's first half (one
 * buffer re-allocated ever larger). Growth short of both is drift; it is
 * reported with its size, never called healthy silently.
 *
 * Nor is it a leak while the transactions in flight rise in step with the
 * requests (a window opened as the users' traffic still builds up, or a
 * proxy falling behind): then b and c are one line, and memory that
 * follows what is in flight fits a count as well. Such a window judges
 * nothing (GROWTH_RAMP, a verdict of GROWTH_WARMUP that says so).
 *
 * Pure: numbers in, a judgement out; no I/O, no globals.
 */
#ifndef MEMDIAG_CORE_GROWTH_H
#define MEMDIAG_CORE_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GROWTH_METHODS 6	/* INVITE, REGISTER, MESSAGE, SUBSCRIBE, ... */
#define GROWTH_MAX_SAMPLES 256
#define GROWTH_MAX_SUSPECTS 10

enum growth_class {
	GROWTH_FLAT,		/* no growth the data can see */
	GROWTH_LOAD,		/* follows what is in flight */
	GROWTH_LEAK,		/* follows a request count, steadily */
	GROWTH_WARMUP,		/* grew, then levelled off */
	GROWTH_TIMER,		/* could still be a declared timer's */
	GROWTH_INSUFFICIENT,	/* too few samples or requests to say */
	GROWTH_DRIFT,		/* bytes grew, fragments did not, within
				 * what their sizes vary by */
	GROWTH_RAMP,		/* grew while the transactions in flight
				 * rose in step with the requests: the two
				 * cannot be told apart */
};

struct growth_sample {
	double t;				/* seconds */
	double requests[GROWTH_METHODS];	/* cumulative, per method */
	double inflight;			/* transactions now */
	double pool_used;			/* the pool's used bytes */
};

/* One site's bytes, one value per sample (0 where it was absent). */
struct growth_site {
	const char *name;	/* borrowed */
	const double *bytes;	/* nsamples values, borrowed */
	const double *counts;	/* its fragments, the same; NULL: unknown */
};

struct growth_input {
	const struct growth_sample *samples;	/* time order, borrowed */
	size_t nsamples;
	const char *const *methods;	/* names, GROWTH_METHODS, borrowed */
	const struct growth_site *sites;
	size_t nsites;
	double granularity;	/* the allocator's rounding, bytes */
	double timer_s;		/* the longest declared timer; 0: none */
	double pool_size;	/* bytes; 0: unknown */
	size_t min_samples;	/* fewer: insufficient (default 6) */
	double min_requests;	/* fewer of a method: insufficient (100) */
};

struct growth_fit {
	double a, b, c;		/* bytes, bytes per request, per in flight */
	double se_b;		/* standard error of b */
	double first_b, last_b;	/* b over each half of the window */
	int method;		/* index into methods; -1: none */
	int also;		/* another count that fits as well (the two
				 * grew in step); -1: none */
	double frag_growth;	/* fragments added over the window (the
				 * count's fit), where the bytes' growth could
				 * be drift; else 0 */
	double level;		/* bytes held in the window's first half */
	enum growth_class cls;
};

struct growth_suspect {
	const char *name;	/* borrowed from the input */
	int method;
	int also;		/* or this method's count: -1 none */
	double bytes_per_request, se;
};

struct growth_result {
	enum growth_class verdict;	/* LEAK, FLAT (healthy), INSUFFICIENT,
					 * TIMER or WARMUP (not a leak yet) */
	char reason[512];
	struct growth_suspect suspects[GROWTH_MAX_SUSPECTS];
	size_t nsuspects;	/* leaking sites, the most bytes/s first */
	int method;		/* the leak's method, or the busiest */
	double requests;	/* of that method over the window */
	double rate;		/* of that method, per second */
	double sensitivity;	/* no site grew more than this per request */
	const char *drift_site;	/* the site that drifted most, or NULL */
	double inflight_from, inflight_to;	/* GROWTH_RAMP: in flight */
	double drift;		/* its bytes per request */
	int drift_method;
	double seconds_to_full;	/* at the observed rate; < 0: unknown */
};

/* One site against the samples (the model above). */
void growth_fit_site(const struct growth_input *, const struct growth_site *,
    struct growth_fit *);
void growth_judge(const struct growth_input *, struct growth_result *);
const char *growth_class_name(enum growth_class);

#endif
