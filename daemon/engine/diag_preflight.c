/*
 * The diagnosis' start: attach to the proxy (engine/attach.c), check
 * that its RPC, its log and its SIP answer, take the gate (engine/hold.c)
 * before anything is gated, choose the call mode with one direct probe
 * call, and choose a load that cannot exhaust the pool.
 */
#include <sys/syscall.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/attach.h"
#include "engine/diag.h"
#include "engine/diag_priv.h"
#include "engine/hold.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/px.h"

/*
 * Load that cannot exhaust the pool: a share of the free shm at the
 * baseline's floor, per call held.
 */
void
diag_choose_load(struct diag *d)
{
	double room = DIAG_FREE_SHARE * (double)d->shm.free;
	double cap = room / (DIAG_CALL_BYTES * DIAG_CALL_LIFE);

	d->free_start = d->shm.free;
	d->calls.rate = DIAG_RATE;
	d->calls.concurrency = DIAG_CONCURRENCY;
	if (cap < d->calls.rate)
		d->calls.rate = cap >= 1 ? cap : 1;
	if (d->o->peak_cps > 0 && d->o->peak_cps < d->calls.rate)
		d->calls.rate = d->o->peak_cps;
	if (room / DIAG_CALL_BYTES < d->calls.concurrency)
		d->calls.concurrency = room / DIAG_CALL_BYTES >= 1 ?
		    (unsigned)(room / DIAG_CALL_BYTES) : 1;
	snprintf(
	    d->calls.load_why, sizeof(d->calls.load_why),
	    "%.0f calls/s, %u in "
	    "flight: at ~%.0f KB per call held ~%.1f s, at most %.1f MB of "
	    "%.1f MB free shm%s",
	    d->calls.rate, d->calls.concurrency, DIAG_CALL_BYTES / 1000,
	    DIAG_CALL_LIFE,
	    d->calls.rate * DIAG_CALL_BYTES * DIAG_CALL_LIFE / 1048576.0,
	    (double)d->shm.free / 1048576.0,
	    d->o->peak_cps > 0 && d->calls.rate == d->o->peak_cps
		? " (capped at --peak-cps)"
		: "");
	if (d->calls.mode_why[0] != '\0' && strlen(d->calls.load_why) +
	    strlen(d->calls.mode_why) + 2 < sizeof(d->calls.load_why)) {
		strcat(d->calls.load_why, "; ");
		strcat(d->calls.load_why, d->calls.mode_why);
	}
}

/* RPC, version, memory now, the log: all answer, or a status. */
static int
preflight_sync(struct diag *d)
{
	char err[512];

	if ((d->version = px_version(d->px, DIAG_RPC_TIMEOUT, d->err,
	    sizeof(d->err))) == NULL || px_shm(d->px, DIAG_RPC_TIMEOUT,
	    &d->shm_start, d->err, sizeof(d->err)) != 0)
		return EX_MD_UNAVAILABLE;
	d->shm = d->shm_start;
	if (d->shm_start.max_used >= d->shm_start.total / 100 * 99)
		log_warnx(
		    "shm high-water mark %llu of %llu bytes: the pool was "
		    "exhausted at some point before this run",
		    (unsigned long long)d->shm_start.max_used,
		    (unsigned long long)d->shm_start.total);
	else
		log_info("shm: %llu of %llu bytes used, high-water mark %llu",
		    (unsigned long long)d->shm_start.used,
		    (unsigned long long)d->shm_start.total,
		    (unsigned long long)d->shm_start.max_used);
	if (!diag_tail_check(d, err, sizeof(err))) {
		snprintf(d->err, sizeof(d->err), "%s", err);
		return EX_MD_UNAVAILABLE;
	}
	diag_before_read(d);
	return diag_harm_check(d);
}

static void
on_ready(struct diag *d)
{
	if (d->state != DIAG_PREFLIGHT)
		return;
	if (!d->o->passive && diag_gate_close(d) != 0) {
		diag_enter_state(d, DIAG_FINISH);
		return;
	}
	/* passive over a window: the users' own traffic is the load */
	if (d->o->passive && d->o->observe > 0) {
		diag_observe_start(d);
		return;
	}
	/* passive: the floor is whatever it is now; no waiting, no calls */
	if (d->o->passive) {
		diag_timeline_sample(d);
		d->rounds[0].settled_used = d->shm.used;
		d->rounds[0].quiet = true;
		diag_enter_state(d, DIAG_DUMP);
	} else
		diag_enter_state(d, DIAG_QUIET);
}

static void
on_registered(void *arg, int code)
{
	struct diag *d = arg;

	if (code < 200 || code >= 300) {
		diag_fail(d, EX_MD_UNAVAILABLE, "REGISTER through %s: %s%s%s",
		    d->proxy, code ? "refused" : "no answer",
		    d->calls.mode_why[0] ? "; " : "", d->calls.mode_why);
		return;
	}
	if (d->calls.mode_why[0] != '\0')
		log_info("test calls: %s", d->calls.mode_why);
	on_ready(d);
}

/* The first final code a probe call got, 0 if none. */
static int
probe_code(struct call_batch *b)
{
	const struct callstat_flow *f = &call_batch_stat(b)->flow[CALL_FLOW_OK];
	int i;

	for (i = 0; i < CALLSTAT_CODES; i++)
		if (f->failed[i] > 0)
			return i;
	return 0;
}

/* Codes by which a proxy refuses to route a call for this caller. */
static bool
probe_refused(int code)
{
	switch (code) {
	case 401: case 403: case 404: case 407: case 416: case 484: case 485:
	case 604:
		return true;
	default:
		return false;
	}
}

/*
 * --mode not given: a proxy that refuses a direct call (Debian's stock
 * config answers 403 "Not relaying" to any Request-URI not its own) may
 * still route calls to a user registered with it, so memdiag registers
 * an AOR and calls that instead.
 */
static void
on_probe(struct call_batch *b, void *arg)
{
	struct diag *d = arg;
	struct callstat_totals t;
	char got[64];
	int code = probe_code(b), st;

	callstat_totals(call_batch_stat(b), &t);
	call_batch_free(b);
	d->calls.probe = NULL;
	if (call_engine_hops(d->calls.eng) > 1) {
		diag_stop(d, "the direct test call crossed %u proxies to reach "
		    "memdiag, not one: the proxy routes it on, and test calls "
		    "must never travel further (memdiag(8), test calls)",
		    call_engine_hops(d->calls.eng));
		return;
	}
	if (t.completed > 0) {
		snprintf(d->calls.mode_why, sizeof(d->calls.mode_why),
			 "direct mode (a "
			 "direct test call through %s completed)",
			 d->proxy);
		log_info("test calls: %s", d->calls.mode_why);
		on_ready(d);
		return;
	}
	if (code != 0)
		snprintf(got, sizeof(got), "got %d", code);
	else
		snprintf(got, sizeof(got), "got no answer within %u ms",
		    DIAG_PROBE_MS);
	/* a refusal says "not for you"; a server error or silence says
	 * nothing about routing (a proxy short of memory answers 500) */
	if (!probe_refused(code)) {
		snprintf(
		    d->calls.mode_why, sizeof(d->calls.mode_why),
		    "direct mode (a "
		    "direct test call through %s %s, which says nothing about "
		    "routing; the proxy may be short of memory)",
		    d->proxy, got);
		log_info("test calls: %s", d->calls.mode_why);
		on_ready(d);
		return;
	}
	snprintf(
	    d->calls.mode_why, sizeof(d->calls.mode_why),
	    "registered mode (a direct "
	    "test call through %s %s; calls go to an AOR memdiag registers "
	    "there)",
	    d->proxy, got);
	call_engine_free(d->calls.eng);
	d->calls.conf.mode = CALL_MODE_REGISTERED;
	if ((d->calls.eng = call_engine_new(d->base, &d->calls.conf, &st)) ==
	    NULL) {
		diag_fail(d, st, "cannot set up registered test calls to %s",
		    d->proxy);
		return;
	}
	call_engine_register(d->calls.eng, on_registered, d);
}

static void
probe_direct(struct diag *d)
{
	struct call_batch_params p;
	char err[128];

	memset(&p, 0, sizeof(p));
	p.calls = 1;
	p.concurrency = 1;
	p.timeout_ms = DIAG_PROBE_MS;
	if (callstat_mix_parse(&p.mix, NULL, err, sizeof(err)) != 0)
		fatalx(EX_MD_INTERNAL, "probe mix: %s", err);
	d->calls.probe = call_batch_start(d->calls.eng, &p, on_probe, d);
}

static void oom_tick(evutil_socket_t, short, void *);
static void on_ping(void *, int);

static uint64_t
errors_before(const struct diag *d)
{
	return d->log.before != NULL ? d->log.before->errors_total : 0;
}

/*
 * Out of memory right now: its RPC answers (preflight), but shm is all
 * but full, or its SIP is silent while its log shows memory errors.
 * What fills it (INVITEs it could not answer are held until tm's
 * fr_inv_timer) goes by itself; nothing is judged before it has.
 */
static bool
oom_now(const struct diag *d, bool sip_silent)
{
	return d->shm.total > 0 && ((double)d->shm.free <
	    DIAG_OOM_FREE * (double)d->shm.total ||
	    (sip_silent && errors_before(d) > 0));
}

static void
oom_wait(struct diag *d, bool sip_silent)
{
	double wait =
	    (d->quiet.timers.tm_fr_inv_s > 0 ? d->quiet.timers.tm_fr_inv_s
					     : 120.0) +
	    d->quiet.timers.tm_wait_s + 10;
	struct timeval tv = clock_tv(DIAG_OOM_TICK);

	if (wait > DIAG_OOM_MAX)
		wait = DIAG_OOM_MAX;
	d->oom.since = clock_mono();
	d->oom.until = d->oom.since + wait;
	log_warnx("%s pid %d is out of shm now (%llu of %llu bytes free%s, "
	    "%llu memory errors in its log): waiting up to %.0f s for what it "
	    "holds to expire (tm fr_inv_timer %.0f s) before anything else",
	    d->t->flavour, (int)d->t->main.pid,
	    (unsigned long long)d->shm.free,
	    (unsigned long long)d->shm.total, sip_silent ?
	    "; its SIP does not answer, its RPC does" : "",
	    (unsigned long long)errors_before(d), wait,
	    d->quiet.timers.tm_fr_inv_s);
	/* PREFLIGHT's deadline makes room for the wait */
	event_del(d->deadline_ev);
	tv = clock_tv(wait + DIAG_PREFLIGHT_S);
	event_add(d->deadline_ev, &tv);
	d->oom.ev = evtimer_new(d->base, oom_tick, d);
	tv = clock_tv(DIAG_OOM_TICK);
	event_add(d->oom.ev, &tv);
}

static void
oom_give_up(struct diag *d, bool sip_silent)
{
	diag_stop(
	    d,
	    "%s pid %d is out of shm now and stayed so for %.0f s "
	    "(%llu of %llu bytes free%s; %llu memory errors in its log): a "
	    "leak "
	    "and a pool too small look alike until memory comes back, so "
	    "nothing was judged; run memdiag again once it has (what tm holds "
	    "expires after fr_inv_timer, %.0f s), or restart the proxy with a "
	    "larger -m and diagnose it before it fills again",
	    d->t->flavour, (int)d->t->main.pid, clock_mono() - d->oom.since,
	    (unsigned long long)d->shm.free, (unsigned long long)d->shm.total,
	    sip_silent ? "; its SIP did not answer" : "",
	    (unsigned long long)errors_before(d), d->quiet.timers.tm_fr_inv_s);
}

static void
on_oom_shmmem(const struct px_sample *s, void *arg)
{
	struct diag *d = arg;
	struct timeval tv = clock_tv(DIAG_OOM_TICK);

	d->oom.sampling = false;
	if (d->state != DIAG_PREFLIGHT)
		return;
	if (s->err == NULL) {
		d->shm = s->shm;
		diag_timeline_sample(d);
	}
	if (!oom_now(d, false)) {
		log_info("shm came back after %.0f s: %llu of %llu bytes free",
			 clock_mono() - d->oom.since,
			 (unsigned long long)d->shm.free,
			 (unsigned long long)d->shm.total);
		call_engine_ping(d->calls.eng, DIAG_PING_MS, on_ping, d);
		return;
	}
	if (clock_mono() >= d->oom.until) {
		oom_give_up(d, false);
		return;
	}
	event_add(d->oom.ev, &tv);
}

static void
oom_tick(evutil_socket_t fd, short what, void *arg)
{
	struct diag *d = arg;

	(void)fd;
	(void)what;
	if (d->oom.sampling || d->state != DIAG_PREFLIGHT)
		return;
	d->oom.sampling = true;
	px_sample(d->px, 0, DIAG_RPC_TIMEOUT, on_oom_shmmem, d);
}

static void
observe_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	on_ready(arg);
}

/* The proxy's answer to OPTIONS (0: none): alive, or out of memory? */
static void
on_ping(void *arg, int code)
{
	struct diag *d = arg;

	if (code == 0 && d->oom.ev == NULL && oom_now(d, true)) {
		oom_wait(d, true);
		return;
	}
	if (code == 0 && d->oom.ev != NULL) {
		/* memory is back but SIP is not, or it went again */
		if (clock_mono() >= d->oom.until)
			oom_give_up(d, true);
		else {
			struct timeval tv = clock_tv(DIAG_OOM_TICK);

			event_add(d->oom.ev, &tv);
		}
		return;
	}
	if (code == 0) {
		diag_fail(
		    d, EX_MD_UNAVAILABLE,
		    "OPTIONS to %s: no answer within "
		    "%u ms, while its RPC answers and its log shows no memory "
		    "error (is --proxy right?)",
		    d->proxy, DIAG_PING_MS);
		return;
	}
	log_debug("OPTIONS to %s: %d", d->proxy, code);
	if (d->o->passive)
		on_ready(d);
	else if (d->o->mode_auto)
		probe_direct(d);
	else if (d->calls.conf.mode == CALL_MODE_REGISTERED)
		call_engine_register(d->calls.eng, on_registered, d);
	else
		on_ready(d);
}

/* The rights it needs, checked before anything changes on the proxy. */
static int
rights_check(void *arg, struct target *t, char *err, size_t errlen)
{
	struct diag *d = arg;

	(void)err;
	(void)errlen;
	d->t = t;	/* diag_rights_check reads the target from d */
	return diag_rights_check(d);
}

int
diag_start(struct diag *d)
{
	const struct diag_opts *o = d->o;
	struct attach_opts ao = {
		.target = o->target,
		.rpc = o->rpc,
		.log = o->log,
		.statedir = o->statedir,
		.rundir = o->rundir,
		.lock = true,
		.need_rpc = true,
		.need_log = true,
		.check = rights_check,
		.check_arg = d,
	};
	struct attach a;
	char err[512];
	int st;

	st = attach_open(&ao, &a, d->err, sizeof(d->err));
	/* the diagnosis owns what was reached, and frees it at its end */
	d->t = a.t;
	d->lockfd = a.lockfd;
	d->rpcaddr = a.rpc;
	d->logspec = a.log;
	if (st != 0)
		return st;
	d->osips = strcmp(d->t->flavour, "opensips") == 0;
	if ((st = diag_proxy_addr(d)) != 0)
		return st;
	log_info("proxy %s, rpc %s%s, log %s%s%s%s", d->proxy, d->rpcaddr,
	    o->rpc ? " (--rpc)" : "", d->logspec, o->log ? " (--log)" : "",
	    o->log || d->t->log.why == NULL ? "" : ": ",
	    o->log || d->t->log.why == NULL ? "" : d->t->log.why);
	diag_events_new(d);
	if ((d->px = px_new(d->base, d->t, d->rpcaddr, err,
	    sizeof(err))) == NULL) {
		snprintf(d->err, sizeof(d->err), "--rpc %s: %s", d->rpcaddr,
		    err);
		return EX_MD_USAGE;
	}
	if ((st = preflight_sync(d)) != 0)
		return st;
	diag_quiet_setup(d);
	d->s = settings_new(o->statedir, d->t, d->rpcaddr);
	d->calls.conf.proxy = d->proxy;
	d->calls.conf.user = o->user;
	d->calls.conf.password = o->password;
	d->calls.conf.domain = o->domain;
	d->calls.conf.mode = o->passive ? CALL_MODE_DIRECT : o->mode;
	if ((d->calls.eng = call_engine_new(d->base, &d->calls.conf, &st)) ==
	    NULL) {
		snprintf(d->err, sizeof(d->err), "cannot set up test calls to "
		    "%s", d->proxy);
		return st;
	}
	diag_enter_state(d, DIAG_PREFLIGHT);
	if (o->passive && o->observe > 0) {
		/* only looking: no SIP request of its own, and a proxy out of
		 * memory now is observed as it is (its failures weighed) */
		struct timeval now = { 0, 0 };

		event_base_once(d->base, -1, EV_TIMEOUT, observe_now, d, &now);
	} else if (oom_now(d, false))
		oom_wait(d, false);
	else
		call_engine_ping(d->calls.eng, DIAG_PING_MS, on_ping, d);
	return 0;
}
