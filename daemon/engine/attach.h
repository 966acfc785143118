/* Attaching to a target: its RPC socket and its log (attach.c). */
#ifndef MEMDIAG_ENGINE_ATTACH_H
#define MEMDIAG_ENGINE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct target;

/*
 * Attaching to a target, in the order of safety every command follows:
 * what a dead run left behind first (its gates; its changed settings
 * when statedir is given), then the proxy found and verified, then the
 * lock that keeps a second memdiag off it, then the caller's own checks,
 * then its RPC socket and its log. Each may be given (rpc, log) or found.
 */
struct attach_opts {
	const char *target;	/* memdiag(8), TARGET */
	const char *rpc, *log;	/* given, or NULL: found */
	const char *statedir;	/* NULL: leave settings alone */
	const char *rundir;	/* gates and locks; NULL: leave gates alone */
	bool lock;		/* take the target's lock */
	bool need_rpc;		/* no ctl socket answers: 69 */
	bool need_log;		/* no log found: 69 */
	/* after the lock: 0, or an exit status with err set */
	int (*check)(void *arg, struct target *, char *err, size_t errlen);
	void *check_arg;
};

struct attach {
	struct target *t;
	int lockfd;		/* -1: none */
	char *rpc, *log;	/* NULL: none (when not needed) */
};

/* 0, or an exit status with err set; a holds what was reached either
 * way, for attach_close or for the caller to take over. */
int attach_open(const struct attach_opts *, struct attach *, char *err,
    size_t errlen);
void attach_close(struct attach *);

/*
 * The first of the target's unix sockets that answers a binrpc
 * core.version within 2 s (blocking), or NULL with err set.
 */
char *attach_pick_rpc(const struct target *, char *err, size_t errlen);

/* Where the target's log goes: a path, "journal" or NULL with err set. */
char *attach_pick_log(const struct target *, char *err, size_t errlen);

#endif
