/*
 * callstat: what test calls to place and what came of them. The flow mix
 * (a weighted list, spread evenly), outcome counters per flow and code,
 * and INVITE->200 latency. Pure: no I/O, no event loop.
 */
#ifndef MEMDIAG_CALLSTAT_H
#define MEMDIAG_CALLSTAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum call_flow {
	CALL_FLOW_OK,		/* INVITE, 180, 200, ACK, BYE */
	CALL_FLOW_BUSY,		/* INVITE answered 486 */
	CALL_FLOW_CANCEL,	/* INVITE, 180, CANCEL, 487 */
	CALL_FLOW_REGISTER,	/* REGISTER, refresh, remove */
	CALL_FLOW_MESSAGE,	/* MESSAGE answered 200 */
	CALL_NFLOWS
};

struct callstat_mix {
	unsigned weight[CALL_NFLOWS];
	int current[CALL_NFLOWS];	/* smooth weighted round robin */
};

/* The flow's name in --mix and in results; NULL if out of range. */
const char *callstat_flow_name(enum call_flow);

/*
 * "ok,busy:2,cancel" into mix (weights default to 1); NULL mix text means
 * all ok. Returns 0, or -1 with a one-line reason in err.
 */
int callstat_mix_parse(struct callstat_mix *, const char *text, char *err,
    size_t errlen);
/* Canonical text, "ok:1,busy:2", into buf. */
const char *callstat_mix_format(const struct callstat_mix *, char *buf,
    size_t len);
/* The next flow: over any sum of weights W, each flow gets its share. */
enum call_flow callstat_mix_next(struct callstat_mix *);

#define CALLSTAT_CODES 700

struct callstat_flow {
	uint64_t placed, completed, timeout;
	uint64_t failed[CALLSTAT_CODES];	/* by final status code */
};

struct callstat {
	struct callstat_flow flow[CALL_NFLOWS];
	double *latency_ms;	/* INVITE -> 200, one per answered call */
	size_t nlatency, latcap;
};

enum callstat_outcome { CALLSTAT_COMPLETED, CALLSTAT_FAILED, CALLSTAT_TIMEOUT };

void callstat_init(struct callstat *);
void callstat_clear(struct callstat *);
void callstat_placed(struct callstat *, enum call_flow);
/* code: the final status for FAILED (0 when there was none). */
void callstat_outcome(struct callstat *, enum call_flow,
    enum callstat_outcome, int code);
void callstat_latency(struct callstat *, double ms);

struct callstat_totals {
	uint64_t placed, completed, failed, timeout;
	size_t nlatency;
	double min, p50, p99, max;	/* valid when nlatency > 0 */
};

/* Totals over every flow; sorts the latency samples. */
void callstat_totals(struct callstat *, struct callstat_totals *);

/* The JSON of `memdiag call --json` (memdiag(8), JSON). */
json_t *callstat_json(struct callstat *, const struct callstat_mix *);

#endif
