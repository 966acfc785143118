/*
 * metrics: the last verdict, pool usage, floor trend and time to
 * exhaustion per target as Prometheus text, for node_exporter's textfile
 * collector (a file) and for a scraper (a loopback HTTP endpoint).
 */
#ifndef MEMDIAG_METRICS_H
#define MEMDIAG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#include <jansson.h>

#define METRICS_MAX_GROWTH 10

/* A site the last observed diagnosis found growing with a request count. */
struct metrics_growth {
	char pool[8], method[16], site[200];
	double bytes_per_request;
};

struct metrics_target { const char *name; const char *verdict; /* NULL: none yet */ double last_run; /* unix time, 0: never */
	int status; uint64_t shm_used, shm_total, floor; double trend_bytes_per_day, seconds_to_exhaustion; /* -1: unknown */ bool diagnosing; bool up;
	/* from the last observed (--observe) diagnosis */
	struct metrics_growth growth[METRICS_MAX_GROWTH];
	size_t ngrowth;
	double seconds_to_full;	/* shm at the observed rate; <= 0: unknown */
};
/* growth and seconds_to_full from a saved diagnosis report (NULL: none) */
void metrics_from_report(const json_t *report, struct metrics_target *);
char *metrics_text(const struct metrics_target *, size_t n);   /* Prometheus text exposition 0.0.4, HELP/TYPE lines, label target="NAME" (escaped), memdiag_verdict{target,verdict} 1 one-hot over the five verdict words */
int metrics_write_file(const char *path, const struct metrics_target *, size_t n, char *err, size_t errlen); /* temp + rename, 0644 */
/* The file at path from each named target's latest diagnosis saved under
 * statedir (history.c); problems are logged, never fatal. */
void metrics_write_history(const char *path, const char *statedir,
    const char *const *names, size_t n);
struct metrics_http;  /* libevent evhttp (explicit base) on a loopback address: GET /metrics serves the latest text; anything else 404 */
struct metrics_http *metrics_http_new(struct event_base *, const char *listen /* HOST:PORT */, char *err, size_t errlen);
void metrics_http_set(struct metrics_http *, const char *text);
void metrics_http_free(struct metrics_http *);

#endif
