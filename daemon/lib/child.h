/*
 * child: the one way memdiag runs another program. argv, never a shell;
 * its output (stdout and stderr) captured; a deadline after which it is
 * killed with its process group; reaped through a pidfd on the caller's
 * event base, so nothing else has to reap (no SIGCHLD handler, no
 * waitpid(-1)). child_run() is the same on a private base, for callers
 * that must wait for the answer.
 */
#ifndef MEMDIAG_LIB_CHILD_H
#define MEMDIAG_LIB_CHILD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct child;

struct child_opts {
	const char *path;	/* what to exec; NULL: argv[0] on PATH */
	double timeout;		/* seconds; 0: none */
	int keep_fd;		/* inherited by the child as it is; -1: none */
	bool capture;		/* output to the callback, else memdiag's */
	/* in the child, before exec (its environment, say); borrowed */
	void (*setup)(void *arg);
	void *setup_arg;
};

struct child_ops {
	/* output as it comes, in pieces of any size (capture only) */
	void (*output)(void *arg, pid_t, const char *buf, size_t len);
	/* the end: waitpid's status, or killed at the deadline; once */
	void (*exited)(void *arg, int status, bool timedout);
};

/* Started and watched on base, or NULL with err ("fork: ...").
 * The callbacks' arg is borrowed. */
struct child *child_start(struct event_base *, char *const argv[],
    const struct child_opts *, const struct child_ops *, void *arg,
    char *err, size_t errlen);
pid_t child_pid(const struct child *);
/* A signal to the child's process group. */
void child_kill(const struct child *, int sig);
/* Forget it; a child still running is killed (SIGKILL) and reaped. */
void child_free(struct child *);
/* Forget it and leave a child still running to finish on its own (one
 * that must clean up after itself); init reaps it once memdiag exits. */
void child_release(struct child *);

/*
 * Run argv to its end (or its deadline): output to the callback (may be
 * NULL), the exit as waitpid's status in *status. 0, or -1 with err when
 * it could not be started.
 */
int child_run(char *const argv[], const struct child_opts *,
    void (*output)(void *arg, pid_t, const char *buf, size_t len), void *arg,
    int *status, bool *timedout, char *err, size_t errlen);

/* "exited with status 3", "killed by signal 9", ... for an error line. */
void child_status_str(int status, bool timedout, double timeout,
    char *buf, size_t len);

#endif
