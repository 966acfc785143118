/*
 * dumper: get complete memory dumps out of a running Kamailio, safely.
 * shm and the main process's pkg by SIGUSR1 to the main process (its
 * handler runs in the main loop, a safe point); a child's pkg through
 * cfg mem_dump_pkg, which the child serves at its next cfg update (an idle
 * worker reaches it when a SIP message wakes it), and only as a last
 * resort by SIGUSR1 while the child is blocked in its wait call.
 * OpenSIPS's come by MI commands, at a log level its processes print.
 * The lines are read from the proxy's own log and parsed as they arrive.
 */
#ifndef MEMDIAG_DUMPER_H
#define MEMDIAG_DUMPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/dump.h"
#include "proxy/settings.h"
#include "proxy/target.h"

struct event_base;

struct dumper_opts {
	bool shm;		/* shm (and the main process's pkg) */
	bool pkg;		/* every child's pkg */
	bool full;		/* full status (qm: every fragment, under the
				 * shm lock: stalls live calls) */
	double timeout;		/* seconds to wait for one dump */
	/* sends one SIP message to the proxy, to wake an idle worker */
	void (*wake)(void *arg);
	void *wake_arg;
};

enum dumper_path {
	DUMPER_NONE,		/* no dump came */
	DUMPER_SIGNAL,		/* SIGUSR1 (main; a blocked child) */
	DUMPER_CFG,		/* mem_dump_pkg, served at once */
	DUMPER_CFG_WOKEN,	/* mem_dump_pkg, served once a message woke it */
	DUMPER_MI,		/* OpenSIPS: mem_shm_dump, mem_pkg_dump */
};

struct dumper_note {
	pid_t pid;
	int rank;
	char *role;
	enum dumper_path path;
	char *problem;		/* why there is no dump; NULL otherwise */
};

struct dumper_result {
	struct dump_result *dumps;
	struct dumper_note *notes;	/* one per process asked */
	size_t nnotes;
	char *log_problem;	/* the log rotated/truncated meanwhile */
	bool interrupted;	/* SIGINT/SIGTERM arrived */
};

struct dumper;
/* status 0 with the dumps in res, or an exit status with err (nothing was
 * dumped) */
typedef void (*dumper_done_cb)(int status, const char *err, void *arg);

/*
 * Take t's dumps into res on base, by t's flavour: Kamailio over its ctl
 * socket at addr, changing settings only through s (the caller restores
 * them on every exit path); OpenSIPS over its MI at addr (s unused).
 * The lines are read from logspec (logtail_new's spelling). Every step
 * is an event of base, so the caller's timers (a gate's refresh, its
 * budget) and signals keep being served; cb runs once from the loop,
 * and the dumper is gone after it. NULL with err when it cannot start.
 */
struct dumper *dumper_start(struct event_base *base, struct target *t,
    struct settings *s, const char *addr, const char *logspec,
    const struct dumper_opts *, struct dumper_result *res, dumper_done_cb cb,
    void *arg, char *err, size_t errlen);
/* Ask nothing more: res keeps what came, res->interrupted is set, and
 * cb runs from the loop once the lines in flight are read. */
void dumper_stop(struct dumper *);
/* Drop it at once; cb does not run, res is left for the caller to clear. */
void dumper_cancel(struct dumper *);
/*
 * The one-shot command's way: dumper_start, then base runs until cb;
 * SIGINT, SIGTERM and SIGHUP stop it (dumper_stop). Call it from outside
 * base's dispatch. 0, or an exit status with err set.
 */
int dumper_run(struct event_base *base, struct target *t, struct settings *s,
    const char *addr, const char *logspec, const struct dumper_opts *,
    struct dumper_result *, char *err, size_t errlen);
void dumper_result_clear(struct dumper_result *);
const char *dumper_path_name(enum dumper_path);

/* The target's processes' dumps and memory errors only, by PID or
 * namespace PID (what a containerized proxy's lines show): a shared log
 * carries anyone's lines, and anything may write "out of memory". */
void dumper_keep_target(const struct target *, struct dump_result *);

#endif
