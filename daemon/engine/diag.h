/*
 * diag: the one-shot diagnosis of a proxy's memory, as a state machine on
 * one event base. Preflight (RPC, log, an OPTIONS ping), the gate closes,
 * memory settles (QUIET), baseline dumps, then rounds of test calls each
 * followed by QUIET and dumps; the gate opens, settings are restored, and
 * verdict.c judges every pool from the settled floors.
 */
#ifndef MEMDIAG_DIAG_H
#define MEMDIAG_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "calls/call.h"

struct diag_opts {
	const char *target;
	const char *proxy;	/* HOST:PORT; NULL: the target's first UDP */
	const char *rpc;	/* NULL: the first ctl socket that answers */
	const char *log;	/* NULL: where the target's log goes */
	const char *gate;	/* "nft", "hook", "none" */
	const char *mix;	/* NULL: all "ok" */
	const char *statedir, *rundir;
	unsigned gate_budget;	/* seconds of gated time in all */
	double quiet_max;	/* seconds one QUIET may last */
	double settle;		/* seconds memory must stay flat */
	unsigned calls;		/* N: rounds of N, N, 2N, 2N ... */
	unsigned rounds;
	enum call_mode mode;
	bool mode_auto;		/* mode not given: a direct call picks it */
	double peak_cps;	/* the proxy's expected peak; 0: unknown */
	bool force;		/* gate although calls are active */
	bool passive;		/* no gate, no test calls */
	double observe;		/* passive: watch this long (s); 0: one look
				 * (DIAG_OBSERVE_DEFAULT) */
	/* passive, observe > 0: watch until stopped, judging the newest
	 * window of `observe` s after each sample, each judgement (the
	 * report's JSON, borrowed) and its status given to judged */
	bool rolling;
	void (*judged)(void *arg, json_t *report, int status);
	void *judged_arg;
	bool json;
	bool quiet_report;	/* print nothing on stdout (check, service) */
	/* registered mode's credentials (NULL: none) */
	const char *user, *password, *domain;
	/* peers whose requests pass the gate: "IP[:PORT]" */
	const char *const *peers;
	size_t npeers;
	/* hook gate: commands, NULL-terminated argv vectors */
	char *const *hook_close, *const *hook_open;
	/* set: the report as memdiag(8)'s JSON plus a "timeline" (or
	 * {"error", "status"} when the run could not start), the caller's */
	json_t **result;
	int status_fd;		/* > 0: the phase, one line per change */
	bool nagios;		/* one status line with perfdata */
	const char *bundle;	/* NULL, or the directory for a bug report */
};

/* The defaults every caller starts from. */
/* a passive diagnosis watches its users' traffic this long unless told:
 * one look cannot see a leak, and 10 minutes see 8 B per INVITE at 20
 * calls/s */
#define DIAG_OBSERVE_DEFAULT 600

void diag_opts_defaults(struct diag_opts *);
/* Run it and print the report; returns the exit status (memdiag(8)). */
int diag_run(const struct diag_opts *);

#endif
