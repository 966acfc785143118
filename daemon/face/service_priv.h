/*
 * The service's parts: service.c (configuration, signals, the diagnoses
 * it starts, what it tells systemd and the metrics) and service_watch.c
 * (one watcher per target: its log, its shm samples, the triggers).
 */
#ifndef MEMDIAG_FACE_SERVICE_PRIV_H
#define MEMDIAG_FACE_SERVICE_PRIV_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "face/conf.h"
#include "lib/linebuf.h"

#define SERVICE_RPC_TIMEOUT 2.0
#define SERVICE_FLOOR_WINDOWS 6	/* rising windows in a row: a trend */
#define SERVICE_FLOOR_SAMPLES 30	/* samples per floor window */
#define SERVICE_SUPPRESS_LOG 900.0	/* s between "not again yet" lines */
#define SERVICE_ROLLING_AGAIN 60.0	/* s before an ended observation
					 * without end starts again */

struct child;
struct service;

struct watcher {
	struct service *svc;
	const struct conf_target *t;
	struct target *tgt;
	char *rpcaddr, *logspec;
	struct px *px;		/* its RPC or MI */
	struct logtail *lt;
	struct event *sample_ev;
	bool sampling, up;
	char down_why[256];
	/* the log, split into lines */
	struct linebuf lines;
	unsigned errors;	/* memory-error lines since the last look */
	double kids_refreshed;	/* monotonic: the children last listed */
	char first_error[200];
	/* samples */
	uint64_t used, total;
	uint64_t window_min;
	unsigned window_n;
	uint64_t floors[SERVICE_FLOOR_WINDOWS];
	unsigned nfloors;
	/* the diagnosis */
	struct child *proc;
	pid_t child;
	int status_fd;
	struct event *status_ev;
	char phase[64];
	bool rolling;		/* the child observes without end */
	double rolling_end;	/* monotonic: when the last one ended */
	double last_diag;	/* wall clock; 0: never */
	int last_status;
	char last_verdict[24];
	json_t *last_report;	/* the newest saved, for the metrics */
	double suppressed_at;	/* when a held-back trigger was last said */
};

struct service {
	struct conf *conf;
	const char *path;
	struct event_base *base;
	struct event *sigterm, *sigint, *sighup, *stop_ev;
	struct watcher *w;
	size_t nw;
	struct metrics_http *http;
	int verbose;
	bool stopping, reload;
	char status[1024];
};

/* service.c */
void service_notify_status(struct service *);
void service_update_metrics(struct service *);
/* Start `memdiag check NAME` for w's target, its phase read from a pipe;
 * rolling: `--rolling`, the observation without end of a passive one. */
void service_spawn(struct watcher *, const char *why, bool rolling);

/* service_watch.c */
/* A watcher for every configured target, each sampled from now on. */
void service_watch_all(struct service *);
void service_unwatch_all(struct service *);
/* Follow w's log again (after a diagnosis had it). */
void service_watch_log(struct watcher *);
/* What the last saved diagnosis of w's target said. */
void service_watch_history(struct watcher *);

#endif
