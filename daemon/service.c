/*
 * memdiag -c FILE: the service. It watches every configured proxy and
 * starts a diagnosis (`memdiag check NAME`, a child process, so that
 * the watcher stays small and a diagnosis that fails cannot take it
 * down) when the proxy shows memory trouble:
 *
 *   - memory-error lines in the proxy's log (followed by events: inotify,
 *     sd-journal or a syslog socket; nothing is read while nothing comes),
 *   - used shm above the configured share of the pool (RPC core.shmmem,
 *     one request per sample_interval: the only periodic wake-up),
 *   - a floor that keeps rising (the lowest sample of each window, six
 *     windows in a row each higher than the one before).
 *
 * systemd Type=notify: READY once every target is being watched, STATUS
 * with each target's phase, STOPPING on SIGTERM. SIGHUP reloads the
 * configuration between diagnoses; a broken one is logged and the old
 * one kept. SIGTERM passes on to running diagnoses (they open the gate
 * and restore the proxy's settings) and the service exits when they have.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "check_cmd.h"
#include "conf.h"
#include "dump_cmd.h"
#include "exitcodes.h"
#include "gate.h"
#include "history.h"
#include "log.h"
#include "logtail.h"
#include "memerr.h"
#include "metrics.h"
#include "rpc.h"
#include "rpc_kam.h"
#include "service.h"
#include "settings.h"
#include "target.h"
#include "xmalloc.h"

#define SERVICE_RPC_TIMEOUT 2.0
#define SERVICE_FLOOR_WINDOWS 6	/* rising windows in a row: a trend */
#define SERVICE_FLOOR_SAMPLES 30	/* samples per floor window */
#define SERVICE_LINE_MAX 4096
#define SERVICE_STOP_WAIT 10.0	/* s for diagnoses to finish on SIGTERM */
#define SERVICE_SUPPRESS_LOG 900.0	/* s between "not again yet" lines */

struct service;

struct watcher {
	struct service *svc;
	const struct conf_target *t;
	struct target *tgt;
	char *rpcaddr, *logspec;
	struct rpc *rpc;
	struct logtail *lt;
	struct event *sample_ev;
	bool sampling, up;
	char down_why[256];
	/* the log, split into lines */
	char line[SERVICE_LINE_MAX];
	size_t linelen;
	bool overlong;
	unsigned errors;	/* memory-error lines since the last look */
	char first_error[200];
	/* samples */
	uint64_t used, total;
	uint64_t window_min;
	unsigned window_n;
	uint64_t floors[SERVICE_FLOOR_WINDOWS];
	unsigned nfloors;
	/* the diagnosis */
	pid_t child;
	int status_fd;
	struct event *status_ev;
	char phase[64];
	double last_diag;	/* wall clock; 0: never */
	int last_status;
	char last_verdict[24];
	double suppressed_at;	/* when a held-back trigger was last said */
};

struct service {
	struct conf *conf;
	const char *path;
	struct event_base *base;
	struct event *sigterm, *sigint, *sighup, *sigchld, *stop_ev;
	struct watcher *w;
	size_t nw;
	struct metrics_http *http;
	int verbose;
	bool stopping, reload;
	char status[1024];
};

static void watch_start(struct watcher *);
static void watch_stop(struct watcher *);

static void
notify_status(struct service *s)
{
	char buf[sizeof(s->status)];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < s->nw && off < sizeof(buf); i++) {
		const struct watcher *w = &s->w[i];
		const char *what = w->child > 0 ? "diagnosing" : w->up ?
		    "watching" : "proxy not reachable";
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%s: %s%s%s",
		    i ? "; " : "", w->t->name, what, w->child > 0 &&
		    w->phase[0] ? ", " : "", w->child > 0 ? w->phase : "");

		off += n > 0 ? (size_t)n : 0;
	}
	if (strcmp(buf, s->status) == 0)
		return;
	snprintf(s->status, sizeof(s->status), "%s", buf);
	sd_notifyf(0, "STATUS=%s", buf);
}

static void
update_metrics(struct service *s)
{
	struct metrics_target *m;
	char *text;
	size_t i;

	if (s->http == NULL && s->conf->metrics_file == NULL)
		return;
	m = xcalloc(s->nw, sizeof(*m));
	for (i = 0; i < s->nw; i++) {
		const struct watcher *w = &s->w[i];

		m[i].name = w->t->name;
		m[i].verdict = w->last_verdict[0] ? w->last_verdict : NULL;
		m[i].last_run = w->last_diag;
		m[i].status = w->last_status;
		m[i].shm_used = w->used;
		m[i].shm_total = w->total;
		m[i].floor = w->nfloors ? w->floors[w->nfloors - 1] :
		    w->window_min;
		m[i].seconds_to_exhaustion = -1;
		m[i].diagnosing = w->child > 0;
		m[i].up = w->up;
	}
	if (s->http != NULL && (text = metrics_text(m, s->nw)) != NULL) {
		metrics_http_set(s->http, text);
		free(text);
	}
	free(m);
}

/* What the last saved diagnosis of w's target said. */
static void
read_history(struct watcher *w)
{
	struct history_point *pts = NULL;
	char err[512];
	size_t n = 0;

	if (history_load(w->svc->conf->statedir, w->t->name, &pts, &n, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return;
	}
	if (n > 0) {
		w->last_diag = pts[n - 1].when;
		snprintf(w->last_verdict, sizeof(w->last_verdict), "%s",
		    pts[n - 1].verdict);
	}
	free(pts);
}

static void
on_status(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;
	char buf[256], *nl;
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		event_free(w->status_ev);
		w->status_ev = NULL;
		close(w->status_fd);
		w->status_fd = -1;
		return;
	}
	buf[n] = '\0';
	/* the latest complete line is the phase now */
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	nl = strrchr(buf, '\n');
	snprintf(w->phase, sizeof(w->phase), "%.63s", nl ? nl + 1 : buf);
	notify_status(w->svc);
}

static void
spawn(struct watcher *w, const char *why)
{
	struct service *s = w->svc;
	char fdnum[16];
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", w->t->name);
		return;
	}
	log_info("%s: %s: starting a diagnosis", w->t->name, why);
	/* a syslog socket can be bound once: the diagnosis needs it now */
	if (w->logspec != NULL && strncmp(w->logspec, "syslog:", 7) == 0 &&
	    w->lt != NULL) {
		logtail_free(w->lt);
		w->lt = NULL;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", w->t->name);
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		char *argv[12];
		int i = 0;
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (fcntl(p[1], F_SETFD, 0) == -1)
			_exit(EX_MD_INTERNAL);
		snprintf(fdnum, sizeof(fdnum), "%d", p[1]);
		setenv("MEMDIAG_STATUS_FD", fdnum, 1);
		argv[i++] = (char *)"memdiag";
		argv[i++] = (char *)"check";
		argv[i++] = (char *)"-c";
		argv[i++] = (char *)s->path;
		argv[i++] = (char *)"--trigger";
		argv[i++] = (char *)why;
		if (s->verbose > 0)
			argv[i++] = (char *)"-v";
		if (s->verbose > 1)
			argv[i++] = (char *)"-v";
		argv[i++] = (char *)"--";
		argv[i++] = w->t->name;
		argv[i] = NULL;
		execv("/proc/self/exe", argv);
		_exit(EX_MD_INTERNAL);
	}
	close(p[1]);
	w->child = pid;
	w->status_fd = p[0];
	snprintf(w->phase, sizeof(w->phase), "%s", "starting");
	w->status_ev = event_new(s->base, p[0], EV_READ | EV_PERSIST,
	    on_status, w);
	event_add(w->status_ev, NULL);
	notify_status(s);
	update_metrics(s);
}

/* Something looks wrong: diagnose, unless the policy says not now. */
static void
trigger(struct watcher *w, const char *why)
{
	const struct conf_target *t = w->t;
	double now = (double)time(NULL);

	if (w->svc->stopping || w->svc->reload || w->child > 0)
		return;
	if (w->last_diag > 0 && now - w->last_diag < t->min_interval) {
		/* said once per quarter of an hour, not once per line */
		if (now - w->suppressed_at >= SERVICE_SUPPRESS_LOG) {
			log_info("%s: %s; not diagnosing again before %.0f s "
			    "after the last one (min_interval)", t->name, why,
			    w->last_diag + t->min_interval - now);
			w->suppressed_at = now;
		}
		return;
	}
	w->suppressed_at = 0;
	spawn(w, why);
}

static void
log_line(struct watcher *w, const char *msg, size_t len)
{
	enum dump_pool pool;

	if (!memerr_classify(msg, len, &pool))
		return;
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof(w->first_error), "%.*s",
		    (int)(len > 150 ? 150 : len), msg);
}

/* After a burst of lines, one trigger for all of its errors. */
static void
log_flush(struct watcher *w)
{
	char why[300];

	if (w->errors == 0 || !w->t->on_memory_errors)
		return;
	snprintf(why, sizeof(why), "%u memory error%s in the log (\"%s\")",
	    w->errors, w->errors == 1 ? "" : "s", w->first_error);
	w->errors = 0;
	trigger(w, why);
}

static void
tail_data(void *arg, const char *buf, size_t len)
{
	struct watcher *w = arg;
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (!w->overlong)
				log_line(w, w->line, w->linelen);
			w->linelen = 0;
			w->overlong = false;
		} else if (w->linelen < sizeof(w->line))
			w->line[w->linelen++] = buf[i];
		else
			w->overlong = true;
	}
	log_flush(w);
}

static void
tail_message(void *arg, long pid, const char *msg, size_t len)
{
	struct watcher *w = arg;

	(void)pid;
	log_line(w, msg, len);
	log_flush(w);
}

static void
tail_event(void *arg, enum logtail_event e, const char *text)
{
	struct watcher *w = arg;

	(void)e;
	log_info("%s: %s", w->t->name, text);
}

static const struct logtail_ops service_tail_ops = {
	.data = tail_data,
	.message = tail_message,
	.event = tail_event,
};

static void
open_tail(struct watcher *w)
{
	char err[512];
	pid_t pids[1];

	if (w->lt != NULL || w->logspec == NULL || w->child > 0)
		return;
	w->lt = logtail_new(w->svc->base, w->logspec, &service_tail_ops, w,
	    err, sizeof(err));
	if (w->lt == NULL) {
		log_warnx("%s: log %s: %s", w->t->name, w->logspec, err);
		return;
	}
	pids[0] = w->tgt->main.pid;
	if (strncmp(w->logspec, "journal", 7) == 0 && w->t->log == NULL) {
		pid_t *all = xcalloc(w->tgt->nkids + 1, sizeof(*all));
		size_t i;

		all[0] = pids[0];
		for (i = 0; i < w->tgt->nkids; i++)
			all[i + 1] = w->tgt->kids[i].pid;
		logtail_set_pids(w->lt, all, w->tgt->nkids + 1);
		free(all);
	}
}

/* The floor: the lowest sample of each window; rising six in a row. */
static void
floor_sample(struct watcher *w)
{
	char why[160];
	unsigned i;
	bool rising = true;

	if (w->window_n == 0 || w->used < w->window_min)
		w->window_min = w->used;
	if (++w->window_n < SERVICE_FLOOR_SAMPLES)
		return;
	if (w->nfloors == SERVICE_FLOOR_WINDOWS) {
		memmove(w->floors, w->floors + 1, sizeof(w->floors[0]) *
		    (SERVICE_FLOOR_WINDOWS - 1));
		w->nfloors--;
	}
	w->floors[w->nfloors++] = w->window_min;
	w->window_n = 0;
	if (w->nfloors < SERVICE_FLOOR_WINDOWS || !w->t->on_rising_floor)
		return;
	for (i = 1; i < w->nfloors; i++)
		rising = rising && w->floors[i] > w->floors[i - 1];
	if (!rising)
		return;
	snprintf(why, sizeof(why), "the shm floor rose %d windows in a row, "
	    "%llu -> %llu bytes", SERVICE_FLOOR_WINDOWS,
	    (unsigned long long)w->floors[0],
	    (unsigned long long)w->floors[w->nfloors - 1]);
	trigger(w, why);
}

static void
set_down(struct watcher *w, const char *why)
{
	if (w->up || strcmp(w->down_why, why) != 0)
		log_warnx("%s: %s", w->t->name, why);
	snprintf(w->down_why, sizeof(w->down_why), "%s", why);
	w->up = false;
	watch_stop(w);
	notify_status(w->svc);
}

static void
on_shmmem(struct rpc_result *res, void *arg)
{
	struct watcher *w = arg;
	struct rpc_kam_shmmem m;
	char why[160];

	w->sampling = false;
	if (rpc_kam_shmmem(res, &m) != 0) {
		set_down(w, res->error ? res->error : "core.shmmem failed");
		return;
	}
	w->used = m.used;
	w->total = m.total;
	floor_sample(w);
	if (w->t->used_above > 0 && m.total > 0 &&
	    (double)m.used / (double)m.total > w->t->used_above) {
		snprintf(why, sizeof(why), "shm %.0f%% used, above %.0f%%",
		    100.0 * (double)m.used / (double)m.total,
		    100.0 * w->t->used_above);
		trigger(w, why);
	}
	update_metrics(w->svc);
}

static void
arm(struct event *ev, double secs)
{
	struct timeval tv = { (time_t)secs,
		(suseconds_t)((secs - (double)(time_t)secs) * 1e6) };

	event_add(ev, &tv);
}

static void
on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;

	(void)fd;
	(void)what;
	arm(w->sample_ev, w->t->sample_interval);
	if (w->child > 0 || w->sampling)
		return;	/* the diagnosis samples for itself */
	if (!w->up)
		watch_start(w);
	if (!w->up || w->rpc == NULL)
		return;
	w->sampling = true;
	rpc_call_req(w->rpc, rpc_kam_req_shmmem(), SERVICE_RPC_TIMEOUT,
	    on_shmmem, w);
}

/* Find the proxy, its RPC and its log; w->up when all is there. */
static void
watch_start(struct watcher *w)
{
	const struct conf_target *t = w->t;
	char err[512];
	int st;

	watch_stop(w);
	if ((st = target_open(t->target, NULL, &w->tgt, err,
	    sizeof(err))) != 0) {
		set_down(w, err);
		return;
	}
	w->rpcaddr = t->rpc ? xstrdup(t->rpc) : dump_pick_rpc(w->tgt, err,
	    sizeof(err));
	if (w->rpcaddr == NULL) {
		set_down(w, err);
		return;
	}
	if ((w->rpc = rpc_new(w->svc->base, w->rpcaddr, err, sizeof(err))) ==
	    NULL) {
		set_down(w, err);
		return;
	}
	w->logspec = t->log ? xstrdup(t->log) : dump_pick_log(w->tgt, err,
	    sizeof(err));
	if (w->logspec == NULL)
		log_warnx("%s: not following its log: %s", t->name, err);
	open_tail(w);
	if (!w->up)
		log_info("%s: watching %s pid %d (rpc %s, log %s)", t->name,
		    w->tgt->flavour, (int)w->tgt->main.pid, w->rpcaddr,
		    w->logspec ? w->logspec : "none");
	w->up = true;
	w->down_why[0] = '\0';
	notify_status(w->svc);
}

static void
watch_stop(struct watcher *w)
{
	if (w->lt != NULL)
		logtail_free(w->lt);
	if (w->rpc != NULL)
		rpc_free(w->rpc);
	w->lt = NULL;
	w->rpc = NULL;
	w->sampling = false;
	free(w->rpcaddr);
	free(w->logspec);
	w->rpcaddr = w->logspec = NULL;
	target_free(w->tgt);
	w->tgt = NULL;
	w->linelen = 0;
}

static void
watchers_new(struct service *s)
{
	size_t i;

	s->nw = s->conf->ntargets;
	s->w = xcalloc(s->nw, sizeof(*s->w));
	for (i = 0; i < s->nw; i++) {
		struct watcher *w = &s->w[i];

		w->svc = s;
		w->t = &s->conf->targets[i];
		w->status_fd = -1;
		w->sample_ev = event_new(s->base, -1, 0, on_sample, w);
		read_history(w);
	}
	for (i = 0; i < s->nw; i++) {
		struct watcher *w = &s->w[i];

		watch_start(w);
		arm(w->sample_ev, w->up ? 0 : w->t->sample_interval);
	}
}

static void
watchers_free(struct service *s)
{
	size_t i;

	for (i = 0; i < s->nw; i++) {
		watch_stop(&s->w[i]);
		event_free(s->w[i].sample_ev);
		if (s->w[i].status_ev != NULL)
			event_free(s->w[i].status_ev);
		if (s->w[i].status_fd != -1)
			close(s->w[i].status_fd);
	}
	free(s->w);
	s->w = NULL;
	s->nw = 0;
}

static size_t
running(const struct service *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nw; i++)
		n += s->w[i].child > 0;
	return n;
}

static int
setup(struct service *s)
{
	char err[512];
	int failed = 0;

	/* what a run that died left behind goes first */
	gate_cleanup(s->conf->rundir, &failed);
	settings_cleanup(s->conf->statedir, &failed);
	if (s->conf->metrics_listen != NULL) {
		s->http = metrics_http_new(s->base, s->conf->metrics_listen,
		    err, sizeof(err));
		if (s->http == NULL) {
			log_warnx("metrics_listen %s: %s",
			    s->conf->metrics_listen, err);
			return EX_MD_CONFIG;
		}
	}
	watchers_new(s);
	check_write_metrics(s->conf, NULL, 0);
	update_metrics(s);
	return 0;
}

static void
teardown(struct service *s)
{
	watchers_free(s);
	if (s->http != NULL)
		metrics_http_free(s->http);
	s->http = NULL;
}

static void
reload(struct service *s)
{
	struct conf *c;
	char err[1024];

	s->reload = false;
	if (conf_load(s->path, &c, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the configuration in use", err);
		sd_notify(0, "READY=1");
		return;
	}
	teardown(s);
	conf_free(s->conf);
	s->conf = c;
	s->status[0] = '\0';
	if (setup(s) != 0) {
		log_warnx("reload: %s: the metrics endpoint cannot be set up",
		    s->path);
	}
	log_info("reloaded %s: %zu target%s", s->path, s->nw,
	    s->nw == 1 ? "" : "s");
	sd_notify(0, "READY=1");
	notify_status(s);
}

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct service *s = arg;
	struct watcher *w;
	size_t i;
	pid_t pid;
	int wst;

	(void)sig;
	(void)what;
	while ((pid = waitpid(-1, &wst, WNOHANG)) > 0) {
		for (i = 0; i < s->nw && s->w[i].child != pid; i++)
			;
		if (i == s->nw)
			continue;
		w = &s->w[i];
		w->child = 0;
		w->phase[0] = '\0';
		w->last_status = WIFEXITED(wst) ? WEXITSTATUS(wst) :
		    EX_MD_INTERNAL;
		if (WIFEXITED(wst))
			log_info("%s: the diagnosis ended with status %d",
			    w->t->name, w->last_status);
		else
			log_warnx("%s: the diagnosis died of signal %d",
			    w->t->name, WTERMSIG(wst));
		read_history(w);
		w->last_diag = (double)time(NULL);
		w->window_n = w->nfloors = 0;
		if (!s->stopping)
			open_tail(w);
	}
	notify_status(s);
	update_metrics(s);
	if (running(s) > 0)
		return;
	if (s->stopping)
		event_base_loopbreak(s->base);
	else if (s->reload)
		reload(s);
	else
		check_write_metrics(s->conf, NULL, 0);
}

static void
on_stop_wait(evutil_socket_t fd, short what, void *arg)
{
	struct service *s = arg;

	(void)fd;
	(void)what;
	log_warnx("diagnoses still running after %.0f s: leaving them to "
	    "finish on their own", SERVICE_STOP_WAIT);
	event_base_loopbreak(s->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct service *s = arg;
	size_t i;

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading %s%s", s->path, running(s) ?
		    " once the running diagnoses end" : "");
		s->reload = true;
		sd_notify(0, "RELOADING=1");
		if (running(s) == 0)
			reload(s);
		return;
	}
	if (s->stopping)
		return;
	s->stopping = true;
	sd_notify(0, "STOPPING=1");
	log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	for (i = 0; i < s->nw; i++)
		if (s->w[i].child > 0)
			kill(s->w[i].child, SIGTERM);
	if (running(s) == 0) {
		event_base_loopbreak(s->base);
		return;
	}
	s->stop_ev = evtimer_new(s->base, on_stop_wait, s);
	arm(s->stop_ev, SERVICE_STOP_WAIT);
}

static int
check_config(const char *path)
{
	struct conf *c;
	char err[1024];
	int st;

	if ((st = conf_load(path, &c, err, sizeof(err))) != 0) {
		fprintf(stderr, "%s\n", err);
		return st;
	}
	printf("%s: %zu target%s, configuration OK\n", path, c->ntargets,
	    c->ntargets == 1 ? "" : "s");
	conf_free(c);
	return EX_MD_OK;
}

const char service_synopsis[] = "[-n] -c FILE [-v]";

bool
service_wanted(int argc, char **argv)
{
	int i;

	if (argc < 2 || argv[1][0] != '-')
		return false;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config")
		    == 0 || strncmp(argv[i], "--config=", 9) == 0 ||
		    (argv[i][0] == '-' && argv[i][1] != '-' &&
		    strchr(argv[i], 'c') != NULL))
			return true;
	return false;
}

int
service_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct service s;
	char err[1024];
	bool check = false;
	int ch, st;

	memset(&s, 0, sizeof(s));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:nv", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			s.path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			s.verbose++;
			break;
		default:
			fprintf(stderr, "usage: memdiag %s\n",
			    service_synopsis);
			return EX_MD_USAGE;
		}
	}
	if (s.path == NULL || optind != argc) {
		fprintf(stderr, "usage: memdiag %s\n", service_synopsis);
		return EX_MD_USAGE;
	}
	if (check)
		return check_config(s.path);
	log_init("memdiag", s.verbose);
	if ((st = conf_load(s.path, &s.conf, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return st;
	}
	if ((s.base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
	s.sigterm = evsignal_new(s.base, SIGTERM, on_signal, &s);
	s.sigint = evsignal_new(s.base, SIGINT, on_signal, &s);
	s.sighup = evsignal_new(s.base, SIGHUP, on_signal, &s);
	s.sigchld = evsignal_new(s.base, SIGCHLD, on_sigchld, &s);
	event_add(s.sigterm, NULL);
	event_add(s.sigint, NULL);
	event_add(s.sighup, NULL);
	event_add(s.sigchld, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((st = setup(&s)) == 0) {
		log_info("watching %zu target%s from %s", s.nw, s.nw == 1 ?
		    "" : "s", s.path);
		sd_notify(0, "READY=1");
		notify_status(&s);
		event_base_dispatch(s.base);
	}
	teardown(&s);
	if (s.stop_ev != NULL)
		event_free(s.stop_ev);
	event_free(s.sigterm);
	event_free(s.sigint);
	event_free(s.sighup);
	event_free(s.sigchld);
	event_base_free(s.base);
	conf_free(s.conf);
	return st;
}
