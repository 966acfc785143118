/*
 * Batches of test calls: N calls, paced by a token bucket at the rate,
 * never more than K in flight; both knobs may change while it runs (the
 * diagnosis lowers them when the proxy's memory runs short). The done
 * callback runs from the event loop once the last call has ended.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "calls/call_priv.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

void
call_batch_ended(struct call_batch *b, enum call_flow flow,
    enum callstat_outcome o, int code)
{
	callstat_outcome(&b->stat, flow, o, code);
	b->inflight--;
	call_batch_kick(b);
}

static void
batch_on_pace(evutil_socket_t fd, short what, void *arg)
{
	struct call_batch *b = arg;
	struct call_engine *e = b->eng;
	double now, burst, wait;
	struct call *c;

	(void)fd;
	(void)what;
	now = clock_mono();
	if (b->p.rate > 0) {
		burst = b->p.rate / 50 > 1 ? b->p.rate / 50 : 1;
		b->tokens += (now - b->last) * b->p.rate;
		if (b->tokens > burst)
			b->tokens = burst;
	} else
		b->tokens = 1e9;
	b->last = now;
	while (b->placed < b->p.calls && b->inflight < b->p.concurrency &&
	    b->tokens >= 1) {
		unsigned guard = b->p.timeout_ms ? b->p.timeout_ms :
		    CALL_GUARD_MS + b->p.hold_ms;

		c = call_new(e, CALL_KIND_FLOW, guard);
		c->batch = b;
		c->flow = callstat_mix_next(&b->p.mix);
		callstat_placed(&b->stat, c->flow);
		b->placed++;
		b->inflight++;
		b->tokens -= 1;
		call_start(c);
	}
	if (b->placed == b->p.calls && b->inflight == 0) {
		if (!b->finished++) {
			b->elapsed_s = (clock_mono() - b->start);
			b->done(b, b->arg);
		}
		return;
	}
	if (b->placed < b->p.calls && b->inflight < b->p.concurrency &&
	    b->p.rate > 0) {
		struct timeval tv;

		wait = (1 - b->tokens) / b->p.rate;
		/* a microsecond late rather than a token short */
		tv = clock_tv(wait + 1e-6);
		event_add(b->pace, &tv);
	}
}

/* Re-evaluate soon (a call ended, a knob changed), from the loop. */
void
call_batch_kick(struct call_batch *b)
{
	event_del(b->pace);
	event_active(b->pace, EV_TIMEOUT, 0);
}

struct call_batch *
call_batch_start(struct call_engine *e, const struct call_batch_params *p,
    call_batch_cb done, void *arg)
{
	struct call_batch *b;

	if (e->batch != NULL)
		fatalx(EX_MD_INTERNAL, "call_batch_start: a batch is running");
	b = xcalloc(1, sizeof(*b));
	b->eng = e;
	b->p = *p;
	if (b->p.concurrency == 0)
		b->p.concurrency = 1;
	b->done = done;
	b->arg = arg;
	callstat_init(&b->stat);
	b->tokens = 1;
	b->last = clock_mono();
	b->start = b->last;
	b->pace = event_new(e->base, -1, 0, batch_on_pace, b);
	e->batch = b;
	call_batch_kick(b);
	return b;
}

void
call_batch_set_rate(struct call_batch *b, double rate)
{
	b->p.rate = rate;
	call_batch_kick(b);
}

void
call_batch_set_concurrency(struct call_batch *b, unsigned k)
{
	b->p.concurrency = k > 0 ? k : 1;
	call_batch_kick(b);
}

struct callstat *
call_batch_stat(struct call_batch *b)
{
	return &b->stat;
}

const struct callstat_mix *
call_batch_mix(const struct call_batch *b)
{
	return &b->p.mix;
}

double
call_batch_seconds(const struct call_batch *b)
{
	return b->finished ? b->elapsed_s : (clock_mono() - b->start);
}

unsigned
call_batch_inflight(const struct call_batch *b)
{
	return b->inflight;
}

void
call_batch_free(struct call_batch *b)
{
	struct call *c, *next;

	if (b == NULL)
		return;
	for (c = b->eng->all; c != NULL; c = next) {
		next = c->next;
		if (c->batch == b)
			call_free(c);
	}
	b->eng->batch = NULL;
	event_free(b->pace);
	callstat_clear(&b->stat);
	free(b);
}

