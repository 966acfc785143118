/*
 * Drives the batch API the way the diagnosis will, against the proxy in
 * argv[1]: ping, then one batch whose rate and concurrency change while
 * it runs. Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
 *
 *   phase 1: 10 calls at 20/s, K 50     pacing holds them to >= 0.4 s
 *   phase 2: K 1, rate unlimited         never more than 1 in flight
 *   phase 3: K 6                         6 in flight at once, right away
 *   phase 4: the rest, K 6               never more than 6 in flight
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/event.h>

#include "calls/call.h"

#define TOTAL 120

static struct event_base *base;
static struct call_engine *eng;
static struct call_batch *batch;
static struct event *sample, *check_k;
static int failures, phase, max_k = 50;
static unsigned peak;
static struct timespec t0;

static void
expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static uint64_t
placed(void)
{
	struct callstat_totals t;

	callstat_totals(call_batch_stat(batch), &t);
	return t.placed;
}

static void
on_check_k(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	expect(call_batch_inflight(batch) == 6,
	    "a higher K is used at once (6 in flight)");
}

static void
on_sample(evutil_socket_t fd, short what, void *arg)
{
	unsigned n = call_batch_inflight(batch);

	(void)fd;
	(void)what;
	(void)arg;
	if (n > (unsigned)max_k && n > peak) {
		printf("    %u in flight, K %d\n", n, max_k);
		peak = n;
	}
	if (phase == 1 && placed() >= 10) {
		expect(since(&t0) >= 0.4, "10 calls at 20/s take >= 0.4 s");
		phase = 2;
		max_k = 1;
		call_batch_set_concurrency(batch, 1);
		call_batch_set_rate(batch, 0);
	} else if (phase == 2 && placed() >= 40) {
		phase = 3;
		max_k = 6;
		call_batch_set_concurrency(batch, 6);
		event_active(check_k, EV_TIMEOUT, 0);
	}
}

static void
on_done(struct call_batch *b, void *arg)
{
	struct callstat_totals t;

	(void)arg;
	callstat_totals(call_batch_stat(b), &t);
	expect(t.placed == TOTAL && t.completed == TOTAL,
	    "every call of the batch completed");
	expect(peak == 0, "in flight never above K");
	event_base_loopbreak(base);
}

static void
on_ping(void *arg, int code)
{
	static const struct timeval ms = { 0, 1000 };
	struct call_batch_params p;
	char err[64];

	(void)arg;
	/* Max-Forwards 0: the maxfwd check answers 483 before any route */
	expect(code == 483, "the proxy answers the ping (483 at Max-Forwards "
	    "0: never relayed)");
	if (code == 0) {
		event_base_loopbreak(base);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.calls = TOTAL;
	p.rate = 20;
	p.concurrency = 50;
	callstat_mix_parse(&p.mix, "ok,message", err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	phase = 1;
	batch = call_batch_start(eng, &p, on_done, NULL);
	sample = event_new(base, -1, EV_PERSIST, on_sample, NULL);
	check_k = event_new(base, -1, 0, on_check_k, NULL);
	event_add(sample, &ms);
}

int
main(int argc, char **argv)
{
	struct call_conf conf = { .proxy = argv[1] };
	struct sip_socket socks[4];
	char addr[64];
	size_t n;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: call_batch_drive HOST:PORT\n");
		return 2;
	}
	base = event_base_new();
	if ((eng = call_engine_new(base, &conf, &status)) == NULL)
		return 1;
	n = call_engine_sockets(eng, socks, 4);
	expect(n == 1 && strcmp(socks[0].proto, "udp") == 0,
	    "one UDP socket serves UAC and UAS");
	inet_ntop(AF_INET, &((struct sockaddr_in *)&socks[0].addr)->sin_addr,
	    addr, sizeof(addr));
	printf("socket udp %s:%u\n", addr,
	    ntohs(((struct sockaddr_in *)&socks[0].addr)->sin_port));
	call_engine_ping(eng, 2000, on_ping, NULL);
	event_base_dispatch(base);
	if (sample != NULL)
		event_free(sample);
	if (check_k != NULL)
		event_free(check_k);
	call_batch_free(batch);
	call_engine_free(eng);
	event_base_free(base);
	return failures > 0;
}
