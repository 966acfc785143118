/*
 * dumper: get complete memory dumps out of a running Kamailio, safely.
 * shm and the main process's pkg by SIGUSR1 to the main process (its
 * handler runs in the main loop, a safe point); a child's pkg through
 * cfg mem_dump_pkg, which the child serves at its next cfg update (an idle
 * worker reaches it when a SIP message wakes it), and only as a last
 * resort by SIGUSR1 while the child is blocked in its wait call. The
 * lines are read from the proxy's own log and parsed as they arrive.
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

/*
 * Run against t, changing settings only through s (the caller restores
 * them on every exit path), reading logspec (logtail_new's spelling).
 * Runs the caller's base until the dumps are in, so the caller's timers
 * (a gate's refresh) keep firing meanwhile; call it from outside that
 * base's dispatch (libevent loops do not nest). A pending loopexit may
 * end the caller's next dispatch early. 0, or an exit status with err
 * set (nothing was dumped).
 */
int dumper_run(struct event_base *base, struct target *t, struct settings *s,
    const char *logspec, const struct dumper_opts *, struct dumper_result *,
    char *err, size_t errlen);
/*
 * OpenSIPS: the same dumps asked over its MI (mi: an MI address): shm
 * through mem_shm_dump, each process's pkg (o->pkg: the main process's
 * too) through mem_pkg_dump, at the lowest log level its processes log,
 * read from logspec. Nothing is changed on the proxy; no signal is sent.
 * o->wake and o->full are not used.
 */
int dumper_run_mi(struct event_base *base, struct target *t, const char *mi,
    const char *logspec, const struct dumper_opts *o,
    struct dumper_result *res, char *err, size_t errlen);
void dumper_result_clear(struct dumper_result *);
const char *dumper_path_name(enum dumper_path);

/* The target's processes' dumps and memory errors only, by PID or
 * namespace PID (what a containerized proxy's lines show): a shared log
 * carries anyone's lines, and anything may write "out of memory". */
void dumper_keep_target(const struct target *, struct dump_result *);

#endif
