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

#include "face/cmd.h"
#include "face/conf.h"
#include "face/service_priv.h"
#include "gate/gate.h"
#include "lib/child.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/logtail.h"
#include "proxy/settings.h"
#include "report/metrics.h"

#define SERVICE_STOP_WAIT 10.0	/* s for diagnoses to finish on SIGTERM */

void
service_notify_status(struct service *s)
{
	char buf[sizeof(s->status)];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < s->nw && off < sizeof(buf); i++) {
		const struct watcher *w = &s->w[i];
		const char *what = w->child > 0 ? (w->rolling ? "observing" :
		    "diagnosing") : w->up ? "watching" : "proxy not reachable";
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

void
service_update_metrics(struct service *s)
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
		metrics_from_report(w->last_report, &m[i]);
	}
	if (s->http != NULL && (text = metrics_text(m, s->nw)) != NULL) {
		metrics_http_set(s->http, text);
		free(text);
	}
	free(m);
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
	/* an observation without end saved a window's verdict: news for
	 * the metrics */
	if (strstr(buf, "saved ") != NULL) {
		service_watch_history(w);
		service_update_metrics(w->svc);
		conf_write_metrics(w->svc->conf);
	}
	/* the latest complete line is the phase now */
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	nl = strrchr(buf, '\n');
	if (strncmp(nl ? nl + 1 : buf, "saved ", 6) != 0)
		snprintf(w->phase, sizeof(w->phase), "%.63s", nl ? nl + 1 :
		    buf);
	service_notify_status(w->svc);
}

static void on_child_exit(void *, int, bool);

struct service_setup {
	int fd;
};

/* In the diagnosis' process: where its phase goes. */
static void
spawn_setup(void *arg)
{
	struct service_setup *ss = arg;
	char fdnum[16];

	snprintf(fdnum, sizeof(fdnum), "%d", ss->fd);
	setenv("MEMDIAG_STATUS_FD", fdnum, 1);
}

void
service_spawn(struct watcher *w, const char *why, bool rolling)
{
	static const struct child_ops ops = { .exited = on_child_exit };
	struct service *s = w->svc;
	struct service_setup ss;
	struct child_opts o = {
		.path = "/proc/self/exe",
		.setup = spawn_setup,
		.setup_arg = &ss,
	};
	char *argv[12], err[256];
	int p[2], i = 0;

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
	argv[i++] = (char *)"memdiag";
	argv[i++] = (char *)"check";
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)s->path;
	argv[i++] = (char *)"--trigger";
	argv[i++] = (char *)why;
	if (rolling)
		argv[i++] = (char *)"--rolling";
	if (s->verbose > 0)
		argv[i++] = (char *)"-v";
	if (s->verbose > 1)
		argv[i++] = (char *)"-v";
	argv[i++] = (char *)"--";
	argv[i++] = (char *)w->t->name;
	argv[i] = NULL;
	ss.fd = o.keep_fd = p[1];
	w->proc = child_start(s->base, argv, &o, &ops, w, err, sizeof(err));
	close(p[1]);
	if (w->proc == NULL) {
		log_warnx("%s: %s", w->t->name, err);
		close(p[0]);
		return;
	}
	w->child = child_pid(w->proc);
	w->rolling = rolling;
	w->status_fd = p[0];
	snprintf(w->phase, sizeof(w->phase), "%s", "starting");
	w->status_ev = event_new(s->base, p[0], EV_READ | EV_PERSIST,
	    on_status, w);
	event_add(w->status_ev, NULL);
	service_notify_status(s);
	service_update_metrics(s);
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
	service_watch_all(s);
	conf_write_metrics(s->conf);
	service_update_metrics(s);
	return 0;
}

static void
teardown(struct service *s)
{
	service_unwatch_all(s);
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
	service_notify_status(s);
}

/* A diagnosis ended: its verdict is in the history now. */
static void
on_child_exit(void *arg, int wst, bool timedout)
{
	struct watcher *w = arg;
	struct service *s = w->svc;

	(void)timedout;		/* no deadline: the diagnosis has its own */
	child_free(w->proc);
	w->proc = NULL;
	w->child = 0;
	w->phase[0] = '\0';
	if (w->rolling)
		w->rolling_end = clock_mono();
	w->rolling = false;
	w->last_status = WIFEXITED(wst) ? WEXITSTATUS(wst) : EX_MD_INTERNAL;
	if (WIFEXITED(wst))
		log_info("%s: the diagnosis ended with status %d", w->t->name,
		    w->last_status);
	else {
		int gf = 0, sf = 0, g, r;

		log_warnx("%s: the diagnosis died of signal %d", w->t->name,
		    WTERMSIG(wst));
		/* it could not open its gate or restore the proxy's settings
		 * itself: what `memdiag cleanup` does, now (only a dead
		 * owner's files are acted on) */
		g = gate_cleanup(s->conf->rundir, &gf);
		r = settings_cleanup(s->conf->statedir, &sf);
		log_info("%s: after the dead diagnosis: opened %d gate%s, "
		    "restored the settings of %d run%s%s", w->t->name, g,
		    g == 1 ? "" : "s", r, r == 1 ? "" : "s", gf || sf ?
		    "; some could not be (see above)" : "");
	}
	service_watch_history(w);
	w->last_diag = (double)time(NULL);
	w->window_n = w->nfloors = 0;
	if (!s->stopping)
		service_watch_log(w);
	service_notify_status(s);
	service_update_metrics(s);
	if (running(s) > 0)
		return;
	if (s->stopping)
		event_base_loopbreak(s->base);
	else if (s->reload)
		reload(s);
	else
		conf_write_metrics(s->conf);
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
	struct timeval tv;
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
	tv = clock_tv(SERVICE_STOP_WAIT);
	event_add(s->stop_ev, &tv);
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
	event_add(s.sigterm, NULL);
	event_add(s.sigint, NULL);
	event_add(s.sighup, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((st = setup(&s)) == 0) {
		log_info("watching %zu target%s from %s", s.nw, s.nw == 1 ?
		    "" : "s", s.path);
		sd_notify(0, "READY=1");
		service_notify_status(&s);
		event_base_dispatch(s.base);
	}
	teardown(&s);
	if (s.stop_ev != NULL)
		event_free(s.stop_ev);
	event_free(s.sigterm);
	event_free(s.sigint);
	event_free(s.sighup);
	event_base_free(s.base);
	conf_free(s.conf);
	return st;
}
