/*
 * call: test calls through the proxy under test, memdiag playing both ends
 * (UAC and UAS) on the SIP engine. Non-blocking on the caller's event
 * base: every operation reports through a callback, which runs from the
 * event loop (never from inside osip2), so it may free what it likes.
 *
 *   call_engine_new -> call_engine_ping -> [call_engine_register]
 *   -> call_batch_start ... (set_rate / set_concurrency) ... done
 *   -> [call_engine_unregister] -> call_engine_free
 */
#ifndef MEMDIAG_CALL_H
#define MEMDIAG_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "calls/callstat.h"
#include "calls/sip.h"

enum call_mode {
	CALL_MODE_DIRECT,	/* Request-URI is the UAS's contact */
	CALL_MODE_REGISTERED,	/* the UAS registers an AOR, calls go there */
};

struct call_conf {
	const char *proxy;	/* HOST:PORT */
	enum call_mode mode;
	const char *user;	/* AOR user and digest username */
	const char *password;	/* NULL: no credentials */
	const char *domain;	/* NULL: the proxy's host */
};

struct call_engine;
struct call_batch;

/* *status is 64 or 69 on failure (see sip_new). */
struct call_engine *call_engine_new(struct event_base *,
    const struct call_conf *, int *status);
void call_engine_free(struct call_engine *);

/* The sockets test traffic uses; the gate must let exactly these pass. */
size_t call_engine_sockets(const struct call_engine *, struct sip_socket *,
    size_t max);
/* The call identities' prefix ("md" and 8 hex digits): a log line that
 * carries it is about one of this engine's calls. */
const char *call_engine_tag(const struct call_engine *);
/* The most proxies one of its calls' requests crossed on the way to its
 * UAS (0: none arrived yet). Test calls are meant to take one. */
unsigned call_engine_hops(const struct call_engine *);
/* The SIP engine, for its drop counters. */
struct sip *call_engine_sip(struct call_engine *);

/*
 * OPTIONS to the proxy. done gets the status code of its answer, or 0
 * when nothing came within timeout_ms (or the host refused).
 */
typedef void (*call_done_cb)(void *arg, int code);
void call_engine_ping(struct call_engine *, unsigned timeout_ms,
    call_done_cb, void *arg);
/*
 * Registered mode: the UAS registers the AOR (register) or removes its
 * contact (unregister); done gets the final status code, 0 on timeout.
 * In direct mode both report 200 at once.
 */
void call_engine_register(struct call_engine *, call_done_cb, void *arg);
void call_engine_unregister(struct call_engine *, call_done_cb, void *arg);

struct call_batch_params {
	unsigned calls;		/* N */
	double rate;		/* new calls per second; <= 0: no limit */
	unsigned concurrency;	/* K: at most this many in flight */
	struct callstat_mix mix;
	unsigned hold_ms;	/* between ACK and BYE */
	size_t body_pad;	/* extra body bytes on INVITE and MESSAGE */
	unsigned timeout_ms;	/* per call; 0: 64*T1 + hold + 4 s */
};

typedef void (*call_batch_cb)(struct call_batch *, void *arg);

/* One batch at a time per engine; done runs once all N have ended. */
struct call_batch *call_batch_start(struct call_engine *,
    const struct call_batch_params *, call_batch_cb done, void *arg);
/* Both take effect at once (calls in flight above a lower K finish). */
void call_batch_set_rate(struct call_batch *, double rate);
void call_batch_set_concurrency(struct call_batch *, unsigned k);
/* Results so far (final once done has run). */
struct callstat *call_batch_stat(struct call_batch *);
const struct callstat_mix *call_batch_mix(const struct call_batch *);
unsigned call_batch_inflight(const struct call_batch *);
/* From the start to the end of the last call (or until now). */
double call_batch_seconds(const struct call_batch *);
/* Ends calls still in flight without counting them; frees. */
void call_batch_free(struct call_batch *);

#endif
