/*
 * target: the proxy memdiag acts on. Resolves a PID, pid file or systemd
 * unit to the proxy's main process and its children, verifies a process
 * before every signal (same process as at discovery, a known proxy
 * executable, catches the signal, child of the verified main process),
 * signals through a pidfd, and discovers what an operator would otherwise
 * look up: listening addresses, ctl sockets, log destination, pool sizes.
 */
#ifndef MEMDIAG_TARGET_H
#define MEMDIAG_TARGET_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct target_proc {
	pid_t pid;
	pid_t nspid;		/* innermost-namespace PID (core.psx's view) */
	unsigned long long starttime;	/* identity: /proc/PID/stat field 22 */
	int rank;		/* core.psx IDX; -1 until known */
	char *role;		/* core.psx DSC; NULL until known */
};

enum target_log_kind {
	TARGET_LOG_UNKNOWN,
	TARGET_LOG_FILE,	/* stderr (-E) to a regular file */
	TARGET_LOG_JOURNAL,	/* stderr or syslog into journald */
	TARGET_LOG_SYSLOG,	/* syslog(3) to /dev/log, not journald */
	TARGET_LOG_PIPE,	/* stderr to a pipe or terminal: not readable */
};

struct target_log {
	enum target_log_kind kind;
	char *path;		/* FILE: the file; SYSLOG: a likely file */
	char *why;		/* how this was worked out, for the report */
};

struct target {
	char *spec;		/* as the operator gave it */
	char *exe;		/* the executable's path */
	char *flavour;		/* "kamailio", "opensips", ... */
	bool exe_deleted;	/* replaced on disk since it started */
	struct target_proc main;
	struct target_proc *kids;
	size_t nkids;
	char **argv;
	int argc;
	/* from the command line */
	const char *cfgfile, *rundir, *pidfile;	/* point into argv */
	long shm_mb, pkg_mb;	/* -m, -M; 0 when not given */
	const char *shm_alloc, *pkg_alloc;	/* -x, -X (OpenSIPS: -a);
						 * NULL = default */
	bool stderr_log;	/* -E */
	/* discovered */
	struct addr *listen;
	size_t nlisten;
	char **ctl;		/* rpc addresses, likeliest first */
	size_t nctl;
	struct target_log log;
};

/*
 * Resolve and verify. Returns 0, or an exit status (66 pid file
 * unreadable, 69 no such process or unit, 77 not a verified proxy) with a
 * one-line reason in err. allowed: proxy executable names, NULL for the
 * built-in list (kamailio, openser, ser, opensips).
 */
int target_open(const char *spec, const char *const *allowed,
    struct target **out, char *err, size_t errlen);
/* Replace the built-in list of proxy executables for this process:
 * "kamailio,my-kamailio" (--proxy-exe). 0, or -1 with err. */
int target_set_known(const char *list, char *err, size_t errlen);
void target_free(struct target *);

/* Re-read the children (they may have been restarted). */
void target_refresh_children(struct target *);
/* The process of that PID or namespace PID, or NULL. */
struct target_proc *target_find(struct target *, pid_t pid);

/*
 * Is p still the process found at discovery, a known proxy, catching
 * sig, and (for a child) a child of the verified main process? 0, or 69
 * (gone) / 77 (refused) with the reason in err.
 */
int target_verify(const struct target *, const struct target_proc *p, int sig,
    char *err, size_t errlen);
/* target_verify, then send through a pidfd opened and re-checked. */
int target_signal(const struct target *, const struct target_proc *p, int sig,
    char *err, size_t errlen);

/* Syscall a process is blocked in, -1 running, -2 unknown (no access). */
long target_blocked_syscall(pid_t pid);

/*
 * One memdiag acts on a target at a time: an flock held on a file under
 * dir named after the main process. 0, 75 (held by another memdiag; its
 * PID in err), or 70 (cannot create the lock).
 */
int target_lock(const struct target *, const char *dir, int *fd, char *err,
    size_t errlen);

/* The proxy's nth UDP listening address as "HOST:PORT" ("[v6]:PORT"), a
 * wildcard as loopback: where test calls and wake-ups go. false past the
 * last one. */
bool target_udp_hostport(const struct target *, size_t nth, char *buf,
    size_t len);

const char *target_log_kind_name(enum target_log_kind);

/*
 * The proxy's configuration file (-f, else def) as a path memdiag can
 * open. A relative -f is relative to the directory the proxy was started
 * from, which it leaves at start-up: that is its PWD (/proc/PID/environ),
 * else its working directory now. 0, or -1 with why saying which file
 * was meant and why it cannot be found.
 */
int target_cfg_path(const struct target *, const char *def, char *buf,
    size_t len, char *why, size_t whylen);

#endif
