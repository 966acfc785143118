/*
 * The diagnosis' shared state, for diag.c (the state machine),
 * diag_io.c (what it drives: gate, calls, log, samples) and
 * diag_report.c (the verdict and the report).
 */
#ifndef MEMDIAG_DIAG_PRIV_H
#define MEMDIAG_DIAG_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "diag.h"
#include "dump.h"
#include "dumper.h"
#include "gate.h"
#include "logtail.h"
#include "rpc.h"
#include "rpc_kam.h"
#include "settings.h"
#include "target.h"
#include "verdict.h"

enum diag_state {
	DIAG_START,
	DIAG_PREFLIGHT,	/* an OPTIONS ping (and REGISTER) through the proxy */
	DIAG_QUIET,	/* sampling until memory is flat for the settle window */
	DIAG_DUMP,	/* the dumper takes shm + every process's pkg */
	DIAG_CALLS,	/* one round of test calls */
	DIAG_FINISH,	/* open the gate, restore the proxy */
};

/* One process's pkg, from pkg.stats. */
struct diag_pkg {
	long pid;
	char *group;		/* role without "child=N sock=...": owned */
	uint64_t used;
};

/* Round 0 is the baseline. */
struct diag_round {
	unsigned calls;
	uint64_t completed, failed;
	uint64_t settled_used, peak_used;	/* shm */
	bool quiet;
	struct diag_pkg *pkg;	/* settled, one per process */
	size_t npkg;
	struct diag_pkg *pkg_peak;	/* highest per group seen */
	size_t npkg_peak;
	struct dumper_result dumps;	/* shm and the main process's pkg */
	struct dumper_result kids;	/* children's pkg: baseline, end */
	bool dumped;
};

struct diag {
	const struct diag_opts *o;
	struct event_base *base;
	struct target *t;
	char *rpcaddr, *logspec, *version;
	char proxy[80];
	struct rpc *rpc;
	struct settings *s;
	int lockfd;
	/* test calls */
	struct call_conf conf;
	struct call_engine *eng;
	struct call_batch *batch;
	double rate;
	unsigned concurrency;
	char load_why[512];
	/* gate */
	struct gate *gate;
	struct gate_spec spec;
	double gate_closed_at, gate_closed_s;
	unsigned lapses;
	/* the machine */
	enum diag_state state;
	double state_since;
	struct event *deadline_ev, *sample_ev, *sigint, *sigterm, *refresh_ev,
	    *budget_ev;
	int round;
	struct diag_round rounds[VERDICT_MAX_ROUNDS + 1];
	bool stop_after_dump, interrupted, budget_spent;
	/* samples */
	bool sampling, tm_busy;
	int rpc_failures;
	struct rpc_kam_shmmem shm, shm_start;
	uint64_t free_start;	/* free shm at the baseline's floor */
	struct diag_pkg *pkg;	/* latest */
	size_t npkg;
	double flat_since, quiet_total;
	/* memory errors seen in the log outside the dumps */
	struct logtail *lt;
	struct dump_parser *parser;
	struct dump_result *errs;
	/* the end */
	int status;
	char err[1024];
	bool restored;
};

/* diag.c */
double diag_now(void);
void diag_enter_state(struct diag *, enum diag_state);
void diag_fail(struct diag *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* diag_io.c */
int diag_proxy_addr(struct diag *);
int diag_harm_check(struct diag *);
int diag_gate_close(struct diag *);
void diag_gate_open(struct diag *);
unsigned diag_round_calls(const struct diag *, int round);
void diag_calls_start(struct diag *);
void diag_calls_end(struct diag *);
void diag_wake(void *diag);
bool diag_tail_check(struct diag *, char *err, size_t errlen);
void diag_tail_open(struct diag *);
void diag_tail_close(struct diag *);
bool diag_pkg_update(struct diag *, const struct rpc_kam_pkg_stats *);
void diag_pkg_keep(struct diag *, struct diag_round *);
void diag_pkg_free(struct diag_pkg *, size_t n);
void diag_round_clear(struct diag_round *);
void diag_note_dumps(struct diag *, const struct dumper_result *);

/* diag_report.c */
int diag_report(struct diag *);

#endif
