/*
 * The hook gate: operator-supplied commands close and open the gate (run
 * with argv, never a shell, with a timeout, their output logged). A hook
 * has no kernel-side timeout, so a watchdog process outlives memdiag: it
 * waits on memdiag's pidfd and runs the open command if memdiag dies,
 * when the budget has run out and memdiag has not opened the gate itself,
 * or when memdiag stops renewing its lease (hung, stopped): each refresh
 * renews it for the element timeout plus a second, as the nft gate's
 * elements expire in the kernel.
 * A state file under the run directory names the owner and the open
 * command, so that gate_cleanup opens the gate of a run whose memdiag and
 * watchdog are both gone (systemd kills the whole cgroup on stop).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gate/gate.h"
#include "gate/gate_priv.h"
#include "lib/addr.h"
#include "lib/child.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/statedir.h"
#include "lib/xmalloc.h"

/* The watchdog waits this long past the budget for memdiag to open. */
#define HOOK_WATCHDOG_GRACE 2
/* A lease outlives the element timeout it was renewed for by this. */
#define HOOK_LEASE_GRACE 1

struct hook_gate {
	char *state;		/* the state file */
	pid_t watchdog;
	int standdown;		/* write end: 'o' = memdiag opened the gate */
	time_t closed_at;
};

static unsigned long long
starttime_of(pid_t pid)
{
	struct procfs_stat st;

	return procfs_read_stat(pid, &st) ? st.starttime : 0;
}

/* NAME="a b c": a list of addresses as addr_str spells them */
static void
hook_env_list(const char *name, const struct addr *l, size_t n)
{
	char buf[4096], a[INET6_ADDRSTRLEN + 16];
	size_t i, used;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		used = strlen(buf);
		addr_str(&l[i], a, sizeof(a));
		snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "",
		    a);
	}
	setenv(name, buf, 1);
}

static void
hook_env(const struct gate_spec *s, const char *action)
{
	char buf[32];

	setenv("MEMDIAG_GATE_ACTION", action, 1);
	if (s == NULL)
		return;
	hook_env_list("MEMDIAG_GATE_ADDRS", s->gated, s->ngated);
	hook_env_list("MEMDIAG_GATE_EXEMPT", s->self, s->nself);
	hook_env_list("MEMDIAG_GATE_PEERS", s->peers, s->npeers);
	snprintf(buf, sizeof(buf), "%u", s->budget);
	setenv("MEMDIAG_GATE_BUDGET", buf, 1);
	setenv("MEMDIAG_GATE_CUT_TCP", s->cut_tcp ? "1" : "0", 1);
}

struct hook_out {
	const char *action;
	char buf[1024];
	size_t len;
};

/* Each line the hook writes, logged as it comes; a line longer than the
 * buffer in pieces. */
static void
hook_output(void *arg, pid_t pid, const char *data, size_t n)
{
	struct hook_out *h = arg;
	char *nl;

	while (n > 0 || h->len == sizeof(h->buf)) {
		size_t take = sizeof(h->buf) - h->len < n ?
		    sizeof(h->buf) - h->len : n;

		memcpy(h->buf + h->len, data, take);
		h->len += take;
		data += take;
		n -= take;
		while ((nl = memchr(h->buf, '\n', h->len)) != NULL ||
		    h->len == sizeof(h->buf)) {
			size_t l = nl ? (size_t)(nl - h->buf) : h->len;

			log_info("hook %s (pid %d): %.*s", h->action, (int)pid,
			    (int)l, h->buf);
			l = nl ? l + 1 : l;
			memmove(h->buf, h->buf + l, h->len - l);
			h->len -= l;
		}
	}
}

struct hook_setup {
	const struct gate_spec *s;
	const char *action;
};

static void
hook_setup(void *arg)
{
	struct hook_setup *hs = arg;

	hook_env(hs->s, hs->action);
}

/*
 * Run argv with a timeout, its output logged line by line. 0 when it
 * exited 0, else -1 with the reason in err. A command still running at
 * its timeout, whatever it did with its output, is killed with its
 * process group (lib/child.c).
 */
static int
hook_run(char *const *argv, const struct gate_spec *s, const char *action,
    unsigned timeout, char *err, size_t errlen)
{
	struct hook_setup hs = { s, action };
	struct child_opts o = {
		.timeout = timeout,
		.keep_fd = -1,
		.capture = true,
		.setup = hook_setup,
		.setup_arg = &hs,
	};
	struct hook_out h = { .action = action };
	char why[128];
	int status;
	bool timedout;

	log_info("hook %s: running %s (timeout %u s)", action, argv[0],
	    timeout);
	if (child_run(argv, &o, hook_output, &h, &status, &timedout, err,
	    errlen) == -1)
		return -1;
	if (h.len > 0)
		log_info("hook %s: %.*s", action, (int)h.len, h.buf);
	if (!timedout && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	child_status_str(status, timedout, timeout, why, sizeof(why));
	snprintf(err, errlen, "%s %s", argv[0], why);
	return -1;
}

static int
state_write(const char *path, const struct gate_spec *s, pid_t watchdog,
    char *err, size_t errlen)
{
	json_t *o, *argv = json_array();
	char tmp[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; s->open_argv[i] != NULL; i++)
		json_array_append_new(argv, json_string(s->open_argv[i]));
	o = json_pack("{s:i, s:I, s:i, s:I, s:o, s:i}", "owner_pid",
	    (int)s->owner_pid, "owner_starttime",
	    (json_int_t)s->owner_starttime, "watchdog_pid", (int)watchdog,
	    "watchdog_starttime", (json_int_t)starttime_of(watchdog), "open",
	    argv, "timeout", (int)s->hook_timeout);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = json_dump_file(o, tmp, JSON_INDENT(2));
	json_decref(o);
	if (rc != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot write the gate's state: %s",
		    path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The watchdog's life: never returns. */
static void
watchdog_main(const struct gate_spec *s, const char *state, int pidfd,
    int standdown, double budget_left)
{
	double deadline = clock_mono() + budget_left + HOOK_WATCHDOG_GRACE;
	double lease_s = (double)s->element_timeout + HOOK_LEASE_GRACE;
	double lease = clock_mono() + lease_s;
	const char *why = NULL;
	char err[512];

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	while (why == NULL) {
		struct pollfd pfd[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = standdown, .events = POLLIN },
		};
		double now = clock_mono();
		double left = (deadline < lease ? deadline : lease) - now;
		char c;
		ssize_t n;

		if (deadline - now <= 0) {
			why = "the gate's budget ran out and memdiag did not "
			    "open it";
			break;
		}
		if (lease - now <= 0) {
			why = "memdiag stopped renewing the gate (hung or "
			    "stopped)";
			break;
		}
		if (poll(pfd, 2, (int)(left * 1000) + 1) == -1) {
			if (errno == EINTR)
				continue;
			why = "poll failed";
			break;
		}
		if (pfd[1].revents != 0) {
			n = read(standdown, &c, 1);
			if (n == 1 && c == 'o')
				_exit(0);	/* memdiag opened it */
			if (n == 1 && c == 'r') {	/* renewed */
				lease = clock_mono() + lease_s;
				continue;
			}
			if (n == -1 && errno == EINTR)
				continue;
			why = "memdiag died";
		} else if (pfd[0].revents != 0)
			why = "memdiag died";
	}
	log_warnx("gate watchdog (pid %d): %s (pid %d): running the open "
	    "command", (int)getpid(), why, (int)s->owner_pid);
	if (hook_run(s->open_argv, s, "open", s->hook_timeout, err,
	    sizeof(err)) != 0) {
		log_warnx("gate watchdog: the open command failed: %s; the "
		    "next memdiag start or memdiag cleanup tries again", err);
		_exit(1);
	}
	unlink(state);
	log_info("gate watchdog: gate opened");
	_exit(0);
}

static int
watchdog_start(struct gate *g, struct hook_gate *h, char *err, size_t errlen)
{
	int pidfd, p[2];
	pid_t pid;

	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd == -1) {
		snprintf(err, errlen, "pidfd_open: %s (the watchdog needs "
		    "Linux 5.3 or later)", strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(pidfd);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pidfd);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int fd, devnull = open("/dev/null", O_RDWR);

		close(p[1]);
		dup2(devnull, 0);
		dup2(devnull, 1);
		/* nothing of memdiag's but the pidfd and the pipe */
		for (fd = 3; fd < 1024; fd++)
			if (fd != pidfd && fd != p[0])
				close(fd);
		watchdog_main(&g->spec, h->state, pidfd, p[0], g->spec.budget);
	}
	close(pidfd);
	close(p[0]);
	h->watchdog = pid;
	h->standdown = p[1];
	log_info("gate watchdog started (pid %d): it opens the gate if memdiag "
	    "dies, stops renewing it for %u s, or %d s after the budget",
	    (int)pid, g->spec.element_timeout + HOOK_LEASE_GRACE,
	    HOOK_WATCHDOG_GRACE);
	return 0;
}

static void
watchdog_stop(struct hook_gate *h)
{
	int status;

	if (h->watchdog <= 0)
		return;
	if (write(h->standdown, "o", 1) != 1)
		log_warn("gate watchdog (pid %d): cannot tell it to stand down",
		    (int)h->watchdog);
	close(h->standdown);
	while (waitpid(h->watchdog, &status, 0) == -1 && errno == EINTR)
		;
	h->watchdog = 0;
	h->standdown = -1;
}

static enum gate_result
hook_init(struct gate *g, char *err, size_t errlen)
{
	struct hook_gate *h = xcalloc(1, sizeof(*h));

	(void)err;
	(void)errlen;
	h->standdown = -1;
	g->priv = h;
	(void)mkdir(g->rundir, 0750);
	xasprintf(&h->state, "%s/gate-hook-%d-%llu.json", g->rundir,
	    (int)g->spec.owner_pid, g->spec.owner_starttime);
	return GATE_OK;
}

static enum gate_result
hook_close(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	struct hook_gate *h = g->priv;
	char oerr[512];

	(void)timeout;
	/* the way back is on disk and watched before anything is closed */
	if (watchdog_start(g, h, err, errlen) != 0)
		return GATE_ERROR;
	if (state_write(h->state, &g->spec, h->watchdog, err, errlen) != 0) {
		watchdog_stop(h);
		return GATE_ERROR;
	}
	if (hook_run(g->spec.close_argv, &g->spec, "close",
	    g->spec.hook_timeout, err, errlen) == 0)
		return GATE_OK;
	/* it may have closed part of it before failing */
	if (hook_run(g->spec.open_argv, &g->spec, "open", g->spec.hook_timeout,
	    oerr, sizeof(oerr)) != 0)
		log_warnx("after the failed close, the open command failed "
		    "too: %s", oerr);
	else
		unlink(h->state);
	watchdog_stop(h);
	return GATE_ERROR;
}

static enum gate_result
hook_refresh(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	struct hook_gate *h = g->priv;
	int status;

	(void)timeout;
	if (h->watchdog > 0 && waitpid(h->watchdog, &status, WNOHANG) ==
	    h->watchdog) {
		h->watchdog = 0;
		snprintf(err, errlen, "the gate watchdog exited");
		return GATE_ERROR;
	}
	/* renew the lease: a memdiag that stops doing this is opened */
	if (h->watchdog > 0 && write(h->standdown, "r", 1) != 1) {
		snprintf(err, errlen, "the gate watchdog: cannot renew: %s",
		    strerror(errno));
		return GATE_ERROR;
	}
	return GATE_OK;
}

static enum gate_result
hook_open(struct gate *g, char *err, size_t errlen)
{
	struct hook_gate *h = g->priv;
	int rc;

	if (h->watchdog <= 0 && access(h->state, F_OK) != 0)
		return GATE_OK;	/* never closed */
	rc = hook_run(g->spec.open_argv, &g->spec, "open", g->spec.hook_timeout,
	    err, errlen);
	watchdog_stop(h);
	if (rc != 0)
		return GATE_ERROR;	/* the state file stays for cleanup */
	unlink(h->state);
	return GATE_OK;
}

static void
hook_fini(struct gate *g)
{
	struct hook_gate *h = g->priv;

	if (h == NULL)
		return;
	watchdog_stop(h);
	free(h->state);
	free(h);
	g->priv = NULL;
}

const struct gate_ops gate_hook_ops = {
	.name = "hook",
	.init = hook_init,
	.close = hook_close,
	.refresh = hook_refresh,
	.open = hook_open,
	.fini = hook_fini,
};

/* One state file: 1 opened, 0 left alone, -1 failed. */
static int
hook_cleanup_one(const char *path)
{
	char lerr[512];
	json_t *o = statedir_load(path, lerr, sizeof(lerr)), *argv, *v;
	json_int_t opid = 0, ost = 0, wpid = 0, wst = 0, timeout = 10;
	char **av, err[512];
	size_t i;
	int rc;

	if (o == NULL || json_unpack(o, "{s:I, s:I, s:I, s:I, s:o, s?I}",
	    "owner_pid", &opid, "owner_starttime", &ost, "watchdog_pid", &wpid,
	    "watchdog_starttime", &wst, "open", &argv, "timeout",
	    &timeout) != 0 || !json_is_array(argv) ||
	    json_array_size(argv) == 0) {
		if (o == NULL)
			log_warnx("%s; left alone", lerr);
		else
			log_warnx("%s: not a memdiag gate state file (wrong "
			    "keys); left alone", path);
		json_decref(o);
		return -1;
	}
	if (gate_owner_alive((pid_t)opid, (unsigned long long)ost) ||
	    gate_owner_alive((pid_t)wpid, (unsigned long long)wst)) {
		json_decref(o);
		return 0;	/* a live run or its watchdog: theirs */
	}
	av = xcalloc(json_array_size(argv) + 1, sizeof(*av));
	json_array_foreach(argv, i, v)
		av[i] = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	json_decref(o);
	if (hook_run(av, NULL, "open", timeout > 0 ? (unsigned)timeout : 10,
	    err, sizeof(err)) == 0) {
		log_info("opened the hook gate of a dead memdiag (pid %lld): "
		    "%s", (long long)opid, path);
		unlink(path);
		rc = 1;
	} else {
		log_warnx("%s: the open command of dead memdiag pid %lld "
		    "failed: %s", path, (long long)opid, err);
		rc = -1;
	}
	gate_argv_free(av);
	return rc;
}

int
gate_hook_cleanup(const char *rundir, int *failed)
{
	return statedir_each(rundir, "gate-hook-", hook_cleanup_one, failed);
}
