/*
 * The service's watchers, one per configured target: the proxy found and
 * verified, its log followed by events, core.shmmem once per
 * sample_interval, and the triggers (memory-error lines, shm above its
 * share, a floor rising six windows in a row) that start a diagnosis
 * unless min_interval says not yet. A proxy that goes away is looked for
 * again at each sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/logline.h"
#include "core/memerr.h"
#include "engine/attach.h"
#include "face/conf.h"
#include "face/service_priv.h"
#include "lib/child.h"
#include "lib/clock.h"
#include "lib/linebuf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/logtail.h"
#include "proxy/px.h"
#include "proxy/target.h"
#include "report/history.h"

static void watch_start(struct watcher *);
static void watch_stop(struct watcher *);

void
service_watch_history(struct watcher *w)
{
	struct trend_point *pts = NULL;
	json_t *last;
	char err[512];
	size_t n = 0;

	if (history_read(w->svc->conf->statedir, w->t->name, &pts, &n, &last,
	    err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return;
	}
	json_decref(w->last_report);
	w->last_report = last;
	if (n > 0) {
		w->last_diag = pts[n - 1].when;
		snprintf(w->last_verdict, sizeof(w->last_verdict), "%s",
		    pts[n - 1].verdict);
	}
	free(pts);
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
	service_spawn(w, why, false);
}

/*
 * A memory error counts only from the proxy's own processes: a shared
 * syslog file or socket carries any process's lines, and anything may
 * write "out of memory". A line that names no PID is the proxy's own
 * file's (-E). pid < 0: not said.
 */
static void
log_line(struct watcher *w, long pid, const char *msg, size_t len)
{
	enum dump_pool pool;

	if (!memerr_classify(msg, len, &pool))
		return;
	if (pid >= 0 && w->tgt != NULL && target_find(w->tgt, (pid_t)pid) ==
	    NULL) {
		/* a new child? At most once a second: a shared log may
		 * carry another program's errors by the thousand */
		if (clock_mono() - w->kids_refreshed >= 1.0) {
			target_refresh_children(w->tgt);
			w->kids_refreshed = clock_mono();
		}
		if (target_find(w->tgt, (pid_t)pid) == NULL) {
			log_debug("%s: a memory error from pid %ld, not the "
			    "proxy's: ignored", w->t->name, pid);
			return;
		}
	}
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
log_line_cb(void *arg, const char *line, size_t len)
{
	struct logline ll;

	logline_parse(line, len, &ll);
	log_line(arg, ll.pid, line, len);
}

static void
tail_data(void *arg, const char *buf, size_t len)
{
	struct watcher *w = arg;

	linebuf_feed(&w->lines, buf, len, log_line_cb, w);
	log_flush(w);
}

static void
tail_message(void *arg, long pid, const char *msg, size_t len)
{
	struct watcher *w = arg;

	log_line(w, pid, msg, len);
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

void
service_watch_log(struct watcher *w)
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
	service_notify_status(w->svc);
}

static void
on_shmmem(const struct px_sample *s, void *arg)
{
	struct watcher *w = arg;
	const struct rpc_kam_shmmem *m = &s->shm;
	char why[160];

	w->sampling = false;
	if (s->err != NULL) {
		set_down(w, s->err);
		return;
	}
	w->used = m->used;
	w->total = m->total;
	floor_sample(w);
	if (w->t->used_above > 0 && m->total > 0 &&
	    (double)m->used / (double)m->total > w->t->used_above) {
		snprintf(why, sizeof(why), "shm %.0f%% used, above %.0f%%",
		    100.0 * (double)m->used / (double)m->total,
		    100.0 * w->t->used_above);
		trigger(w, why);
	}
	service_update_metrics(w->svc);
}

static void
arm(struct event *ev, double secs)
{
	struct timeval tv = clock_tv(secs);

	event_add(ev, &tv);
}

/*
 * A passive target (no gate, no calls) is observed without end: its
 * users' traffic judged on a rolling window (memdiag check --rolling).
 * An observation that ended (the proxy restarted, a dump failed) starts
 * again a minute later.
 */
static bool
wants_rolling(const struct watcher *w)
{
	const struct conf_target *t = w->t;

	return t->continuous && !t->allow_gate && t->observe > 0;
}

static void
on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;

	(void)fd;
	(void)what;
	arm(w->sample_ev, w->t->sample_interval);
	if ((w->child > 0 && !w->rolling) || w->sampling)
		return;	/* the diagnosis samples for itself */
	if (!w->up)
		watch_start(w);
	if (!w->up || w->px == NULL)
		return;
	if (w->child == 0 && wants_rolling(w) && !w->svc->stopping &&
	    !w->svc->reload && (w->rolling_end == 0 ||
	    clock_mono() - w->rolling_end >= SERVICE_ROLLING_AGAIN))
		service_spawn(w, "continuous observation (a passive target)",
		    true);
	w->sampling = true;
	px_sample(w->px, 0, SERVICE_RPC_TIMEOUT, on_shmmem, w);
}

/* Find the proxy, its RPC and its log; w->up when all is there. */
static void
watch_start(struct watcher *w)
{
	const struct conf_target *t = w->t;
	/* no lock: a diagnosis of this target takes it; dead runs were
	 * cleaned up once at the start */
	struct attach_opts ao = {
		.target = t->target,
		.rpc = t->rpc,
		.log = t->log,
		.need_rpc = true,
	};
	struct attach a;
	char err[512];
	int st;

	watch_stop(w);
	st = attach_open(&ao, &a, err, sizeof(err));
	w->tgt = a.t;
	w->rpcaddr = a.rpc;
	w->logspec = a.log;
	if (st != 0) {
		set_down(w, err);
		return;
	}
	if ((w->px = px_new(w->svc->base, w->tgt, w->rpcaddr, err,
	    sizeof(err))) == NULL) {
		set_down(w, err);
		return;
	}
	if (w->logspec == NULL)
		log_warnx("%s: not following its log: %s", t->name, err);
	service_watch_log(w);
	if (!w->up)
		log_info("%s: watching %s pid %d (rpc %s, log %s)", t->name,
		    w->tgt->flavour, (int)w->tgt->main.pid, w->rpcaddr,
		    w->logspec ? w->logspec : "none");
	w->up = true;
	w->down_why[0] = '\0';
	service_notify_status(w->svc);
}

static void
watch_stop(struct watcher *w)
{
	if (w->lt != NULL)
		logtail_free(w->lt);
	px_free(w->px);
	w->lt = NULL;
	w->px = NULL;
	w->sampling = false;
	free(w->rpcaddr);
	free(w->logspec);
	w->rpcaddr = w->logspec = NULL;
	target_free(w->tgt);
	w->tgt = NULL;
	linebuf_reset(&w->lines);
}

void
service_watch_all(struct service *s)
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
		service_watch_history(w);
	}
	for (i = 0; i < s->nw; i++) {
		struct watcher *w = &s->w[i];

		watch_start(w);
		arm(w->sample_ev, w->up ? 0 : w->t->sample_interval);
	}
}

void
service_unwatch_all(struct service *s)
{
	size_t i;

	for (i = 0; i < s->nw; i++) {
		watch_stop(&s->w[i]);
		event_free(s->w[i].sample_ev);
		if (s->w[i].status_ev != NULL)
			event_free(s->w[i].status_ev);
		if (s->w[i].status_fd != -1)
			close(s->w[i].status_fd);
		/* a diagnosis still running finishes, opening its gate */
		child_release(s->w[i].proc);
		json_decref(s->w[i].last_report);
	}
	free(s->w);
	s->w = NULL;
	s->nw = 0;
}

