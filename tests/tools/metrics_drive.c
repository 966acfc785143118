/*
 * Drives metrics.c's HTTP endpoint for tests/sh/metrics-http.sh:
 *   metrics_drive HOST:PORT
 * serves two targets' metrics ("edge" leaking, "core" not diagnosed yet),
 * prints "ready" once listening; SIGUSR1 makes "core" healthy (the text
 * served changes), SIGTERM ends it (status 0). A listen address refused
 * prints the error and exits 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "lib/log.h"
#include "report/metrics.h"

static struct metrics_target t[2] = {
	{ .name = "edge", .verdict = "leak", .last_run = 1700000000, .status = 2,
	    .shm_used = 8388608, .shm_total = 67108864, .floor = 6291456,
	    .trend_bytes_per_day = 1048576, .seconds_to_exhaustion = 5097600,
	    .up = true },
	{ .name = "core \"b\"", .verdict = NULL, .trend_bytes_per_day = -1,
	    .seconds_to_exhaustion = -1, .up = true, .diagnosing = true },
};

static void
serve(struct metrics_http *m)
{
	char *text = metrics_text(t, 2);

	metrics_http_set(m, text);
	free(text);
}

static void
on_usr1(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	t[1].verdict = "healthy";
	t[1].diagnosing = false;
	t[1].last_run = 1700003600;
	serve(arg);
}

static void
on_term(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct metrics_http *m;
	struct event *usr1, *term;
	char err[256];

	if (argc != 2) {
		fprintf(stderr, "usage: metrics_drive HOST:PORT\n");
		return 64;
	}
	log_init("metrics_drive", 0);
	base = event_base_new();
	if ((m = metrics_http_new(base, argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		event_base_free(base);
		return 1;
	}
	serve(m);
	usr1 = evsignal_new(base, SIGUSR1, on_usr1, m);
	term = evsignal_new(base, SIGTERM, on_term, base);
	event_add(usr1, NULL);
	event_add(term, NULL);
	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(base);
	event_free(usr1);
	event_free(term);
	metrics_http_free(m);
	event_base_free(base);
	return 0;
}
