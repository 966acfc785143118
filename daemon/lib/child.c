/*
 * Child processes. The child gets its own process group (a hook's
 * helpers die with it at the deadline), /dev/null as stdin, the default
 * disposition of the signals memdiag handles, and no descriptor of
 * memdiag's but the pipe and keep_fd (everything else is O_CLOEXEC).
 * The parent learns of the exit from the pidfd becoming readable, then
 * reaps that PID only: waitid(P_PIDFD) cannot take another's child.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/child.h"
#include "lib/clock.h"
#include "lib/xmalloc.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct child {
	pid_t pid;
	int pidfd, outfd;
	struct event *exit_ev, *out_ev, *deadline_ev;
	struct child_ops ops;
	void *arg;
	bool timedout, reaped;
};

static void
child_exec(char *const argv[], const struct child_opts *o, int out)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP,
		SIGCHLD, SIGUSR1, SIGUSR2 };
	sigset_t none;
	size_t i;
	int null;

	setpgid(0, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((null = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	dup2(null, 0);
	if (out != -1) {
		dup2(out, 1);
		dup2(out, 2);
	}
	if (o->keep_fd != -1 && fcntl(o->keep_fd, F_SETFD, 0) == -1)
		_exit(127);
	if (o->setup != NULL)
		o->setup(o->setup_arg);
	if (o->path != NULL)
		execv(o->path, argv);
	else
		execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", o->path ? o->path : argv[0],
	    strerror(errno));
	_exit(127);
}

static void
child_reap(struct child *c)
{
	siginfo_t si;
	int status = 0;

	if (c->reaped)
		return;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) == -1 &&
	    errno == EINTR)
		;
	c->reaped = true;
	if (si.si_code == CLD_EXITED)
		status = (si.si_status & 0xff) << 8;
	else
		status = si.si_status & 0x7f;	/* killed: as W_TERMSIG */
	if (c->ops.exited != NULL)
		c->ops.exited(c->arg, status, c->timedout);
}

static void
child_read(struct child *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->outfd, buf, sizeof(buf))) > 0)
		if (c->ops.output != NULL)
			c->ops.output(c->arg, c->pid, buf, (size_t)n);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		event_del(c->out_ev);
		close(c->outfd);
		c->outfd = -1;
	}
}

static void
on_out(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	child_read(arg);
}

static void
on_exit_ev(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	/* what it wrote last is told before its end */
	if (c->outfd != -1)
		child_read(c);
	if (c->deadline_ev != NULL)
		event_del(c->deadline_ev);
	child_reap(c);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	c->timedout = true;
	child_kill(c, SIGKILL);
}

struct child *
child_start(struct event_base *base, char *const argv[],
    const struct child_opts *o, const struct child_ops *ops, void *arg,
    char *err, size_t errlen)
{
	struct child *c;
	int p[2] = { -1, -1 };
	pid_t pid;

	if (o->capture && pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		if (p[0] != -1) {
			close(p[0]);
			close(p[1]);
		}
		return NULL;
	}
	if (pid == 0)
		child_exec(argv, o, p[1]);
	c = xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->ops = *ops;
	c->arg = arg;
	c->outfd = p[0];
	if (p[1] != -1)
		close(p[1]);
	/* its group exists at once, not only once the child ran setpgid */
	setpgid(pid, pid);
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd == -1) {
		snprintf(err, errlen, "pidfd_open %d: %s", (int)pid,
		    strerror(errno));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		if (c->outfd != -1)
			close(c->outfd);
		free(c);
		return NULL;
	}
	c->exit_ev = event_new(base, c->pidfd, EV_READ, on_exit_ev, c);
	event_add(c->exit_ev, NULL);
	if (c->outfd != -1) {
		fcntl(c->outfd, F_SETFL, O_NONBLOCK);
		c->out_ev = event_new(base, c->outfd, EV_READ | EV_PERSIST,
		    on_out, c);
		event_add(c->out_ev, NULL);
	}
	if (o->timeout > 0) {
		struct timeval tv = clock_tv(o->timeout);

		c->deadline_ev = evtimer_new(base, on_deadline, c);
		event_add(c->deadline_ev, &tv);
	}
	return c;
}

pid_t
child_pid(const struct child *c)
{
	return c->pid;
}

void
child_kill(const struct child *c, int sig)
{
	if (c->reaped)
		return;
	if (kill(-c->pid, sig) == -1)
		kill(c->pid, sig);
}

void
child_free(struct child *c)
{
	if (c == NULL)
		return;
	if (!c->reaped) {
		child_kill(c, SIGKILL);
		c->ops.exited = NULL;
		child_reap(c);
	}
	child_release(c);
}

void
child_release(struct child *c)
{
	if (c == NULL)
		return;
	if (c->exit_ev != NULL)
		event_free(c->exit_ev);
	if (c->out_ev != NULL)
		event_free(c->out_ev);
	if (c->deadline_ev != NULL)
		event_free(c->deadline_ev);
	if (c->outfd != -1)
		close(c->outfd);
	close(c->pidfd);
	free(c);
}

struct child_sync {
	struct event_base *base;
	void (*output)(void *, pid_t, const char *, size_t);
	void *arg;
	int status;
	bool timedout, done;
};

static void
sync_output(void *arg, pid_t pid, const char *buf, size_t len)
{
	struct child_sync *s = arg;

	if (s->output != NULL)
		s->output(s->arg, pid, buf, len);
}

static void
sync_exited(void *arg, int status, bool timedout)
{
	struct child_sync *s = arg;

	s->status = status;
	s->timedout = timedout;
	s->done = true;
	event_base_loopbreak(s->base);
}

int
child_run(char *const argv[], const struct child_opts *o,
    void (*output)(void *arg, pid_t, const char *buf, size_t len), void *arg,
    int *status, bool *timedout, char *err, size_t errlen)
{
	static const struct child_ops ops = {
		.output = sync_output,
		.exited = sync_exited,
	};
	struct child_sync s = { .output = output, .arg = arg };
	struct child *c;

	if ((s.base = event_base_new()) == NULL) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	if ((c = child_start(s.base, argv, o, &ops, &s, err, errlen)) ==
	    NULL) {
		event_base_free(s.base);
		return -1;
	}
	while (!s.done)
		event_base_loop(s.base, EVLOOP_ONCE);
	child_free(c);
	event_base_free(s.base);
	*status = s.status;
	*timedout = s.timedout;
	return 0;
}

void
child_status_str(int status, bool timedout, double timeout, char *buf,
    size_t len)
{
	if (timedout)
		snprintf(buf, len, "did not finish within %.0f s; killed",
		    timeout);
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
}
