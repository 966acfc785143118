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
#include <stdio.h>

#include <jansson.h>

#include "calls/call.h"
#include "core/dump.h"
#include "core/verdict.h"
#include "engine/diag.h"
#include "gate/gate.h"
#include "lib/linebuf.h"
#include "proxy/cfgtimers.h"
#include "proxy/dumper.h"
#include "proxy/loghist.h"
#include "proxy/logtail.h"
#include "proxy/px.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"
#include "proxy/settings.h"
#include "proxy/target.h"
#include "report/nagios.h"

enum diag_state {
	DIAG_START,
	DIAG_PREFLIGHT, /* an OPTIONS ping (and REGISTER) through the proxy */
	DIAG_QUIET,   /* sampling until memory is flat for the settle window */
	DIAG_DUMP,    /* the dumper takes shm + every process's pkg */
	DIAG_CALLS,   /* one round of test calls */
	DIAG_OBSERVE, /* passive, over a window: between samples */
	DIAG_FINISH,  /* open the gate, restore the proxy */
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
	double quiet_s;		/* QUIET's length before this floor */
	/* shm the dumps left behind for a while (memdiag's own pings to
	 * wake the children among it), and how long it took to go */
	int64_t dump_transient;
	double dump_settle_s;
	bool floor_before_dump;	/* it never went: the floor is QUIET's */
};

/* The diagnosis' constants, shared by its files. */
#define DIAG_SAMPLE_EVERY 0.5	/* s between core.shmmem samples */
#define DIAG_RPC_TIMEOUT 2.0
#define DIAG_RPC_FAILURES 4	/* consecutive failed samples: give up */
#define DIAG_PING_MS 3000
#define DIAG_PREFLIGHT_S 10.0
#define DIAG_PROBE_MS 4000	/* the direct call that picks the mode */
#define DIAG_DUMP_TIMEOUT 10.0
#define DIAG_DUMP_TRANSIENT 16384	/* bytes: more after a dump, wait */
#define DIAG_OOM_FREE 0.05	/* less free shm at the start: out of it */
#define DIAG_OOM_TICK 2.0	/* s between samples while it recovers */
#define DIAG_OOM_MAX 600.0	/* s it may wait for that, at most */
#define DIAG_CALL_BYTES 29000.0	/* shm a call holds (Kamailio 5.6) ... */
#define DIAG_CALL_LIFE 5.5	/* ... for this long after it ends */
#define DIAG_RATE 50.0		/* modest start: calls/s ... */
#define DIAG_CONCURRENCY 20	/* ... and calls in flight */
#define DIAG_FREE_SHARE 0.5	/* test calls may hold this much of free shm */
#define DIAG_LOW_FREE 0.35	/* of the baseline's free shm: lower the
				 * load below it (it was to hold 0.5) */

struct hold;
struct diag_obs;
struct diag_timeline;

/* Test calls: the engine, the load chosen and the mode (diag_preflight.c
 * chooses them, diag_io.c runs the rounds). */
struct diag_calls {
	struct call_conf conf;
	struct call_engine *eng;
	struct call_batch *batch;
	double rate;
	unsigned concurrency;
	char load_why[768];
	struct call_batch *probe; /* the direct call that picks the mode */
	char mode_why[256];	/* which mode, and why */
};

/* The gate held around the run (diag_io.c). */
struct diag_gate {
	struct hold *hold;		/* NULL: passive, or gate none */
	double closed_s;
	unsigned lapses;
};

/* Out of memory now: waiting, before anything is gated, for what the
 * proxy holds (INVITEs it could not answer) to expire (diag_preflight.c). */
struct diag_oom {
	struct event *ev;
	double since, until;
	bool sampling;
};

/* When a floor counts (diag_quiet.c): flat long enough, tm's
 * transactions back, the config's timers waited out. */
struct diag_quiet {
	double flat_since, total;
	bool tm_busy;
	uint64_t tm_pre;	/* tm.stats current before the round */
	bool tm_seen;		/* tm.stats answered */
	struct cfgtimers timers;
	char timers_err[256];	/* why the config was not read */
	double min;		/* s after the calls before a floor counts */
	bool timer_pending;	/* a declared timer outlives QUIET */
};

/* The proxy's log: memory errors while it runs (diag_io.c) and what it
 * held before the run (diag_before.c). */
struct diag_log {
	struct linebuf tail_lines;	/* line by line, for memdiag's own */
	unsigned own_failures;	/* allocation failures on its calls */
	struct logtail *lt;
	struct dump_parser *parser;
	struct dump_result *errs;
	struct loghist_mark mark;
	struct dump_result *before;
	char before_what[512];
};

struct diag;

/* DUMP's pass in flight and the floor read after it (diag_dump.c). */
struct diag_dumping {
	struct dumper *dumper;		/* the pass in flight */
	struct dumper_result *res;	/* where it goes */
	struct dumper_result obs;	/* an observed sample's */
	bool shm;			/* it takes shm */
	void (*next)(struct diag *, bool ok);
	bool last;			/* the run's last floor */
	bool stopping;			/* diag_dump_stop: to FINISH */
	struct event *ev;		/* the steps' pauses */
	void (*then)(struct diag *);
	unsigned what;			/* the sample asked */
	void (*cb)(const struct px_sample *, void *);
	/* shm settling again after the dumps */
	struct rpc_kam_shmmem m;
	double t0, flat_since;
	uint64_t last_used, peak;
};

struct diag {
	const struct diag_opts *o;
	struct event_base *base;
	struct target *t;
	char *rpcaddr, *logspec, *version;
	bool osips;		/* OpenSIPS: its MI at rpcaddr, dumps by MI */
	char proxy[80];
	struct px *px;		/* its RPC (binrpc) or MI */
	struct settings *s;
	int lockfd;
	struct diag_calls calls;
	struct diag_gate gate;
	/* the machine */
	enum diag_state state;
	double state_since;
	struct event *deadline_ev, *sample_ev, *sigint, *sigterm, *sighup;
	int round;
	struct diag_round rounds[VERDICT_MAX_ROUNDS + 1];
	bool stop_after_dump, interrupted, budget_spent;
	bool acted;		/* reached QUIET or DUMP: a report is due */
	int proxyfd;		/* pidfd of the proxy's main process */
	struct event *proxy_ev;
	char stop_why[512];	/* why it stopped early: the report's reason */
	struct diag_log log;
	struct diag_obs *obs;	/* --observe: the samples (diag_observe.c) */
	struct diag_oom oom;
	struct diag_dumping dump;
	/* samples */
	bool sampling;
	int rpc_failures;
	struct rpc_kam_shmmem shm, shm_start;
	uint64_t free_start;	/* free shm at the baseline's floor */
	struct diag_pkg *pkg;	/* latest */
	size_t npkg;
	struct diag_quiet quiet;
	/* tlsf pkg: pkg.stats frozen, pkg judged from every round's dumps */
	bool pkg_frozen, pkg_moved;
	struct diag_timeline *tl;	/* diag_timeline.c's own */
	/* the end */
	int status;
	char err[1024];
	bool restored;
};

/* diag.c */
void diag_events_new(struct diag *);
/* Stop early, safely, with why as the report's reason (inconclusive). */
void diag_stop(struct diag *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* diag_preflight.c */
int diag_start(struct diag *);
void diag_choose_load(struct diag *);
/* diag_dump.c: DUMP's steps, from diag_enter_state; stop: end the pass
 * (what came is kept), then FINISH */
void diag_dump_start(struct diag *);
void diag_dump_stop(struct diag *);
void diag_dump_free(struct diag *);
/* diag_observe.c */
void diag_observe_start(struct diag *);
/* the dumps of a sample, and shm read after them (NULL: unread) */
void diag_observe_add(struct diag *, const struct dumper_result *,
    const struct rpc_kam_shmmem *);
void diag_observe_next(struct diag *);
int diag_observe_report(struct diag *);
void diag_observe_free(struct diag *);
/* diag.c */
void diag_enter_state(struct diag *, enum diag_state);
void diag_fail(struct diag *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* diag_rights.c */
int diag_rights_check(struct diag *);

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
/* "udp receiver child=0 sock=..." -> "udp receiver" (allocated) */
char *diag_role_group(const char *desc);

/* diag_timeline.c */
void diag_timeline_phase(struct diag *, const char *phase);
void diag_timeline_sample(struct diag *);
json_t *diag_timeline_json(struct diag *);
void diag_timeline_free(struct diag *);

/* diag_quiet.c */
void diag_quiet_setup(struct diag *);
void diag_quiet_tm(struct diag *, int64_t current, bool no_tm);
bool diag_quiet_ready(const struct diag *);
void diag_quiet_pkg_check(struct diag *);
uint64_t diag_quiet_dump_used(const struct dump *);
json_t *diag_quiet_json(const struct diag *);
void diag_quiet_text(FILE *, const struct diag *);

/* diag_report.c */
int diag_report(struct diag *);

/* diag_before.c */
void diag_before_read(struct diag *);

/* diag_progress.c: on a terminal one live line, else a log line per
 * phase and at most every DIAG_PROGRESS_EVERY s; never on stdout */
void diag_progress_phase(struct diag *, const char *phase);
void diag_progress_sample(struct diag *);
void diag_progress_end(void);

#endif
