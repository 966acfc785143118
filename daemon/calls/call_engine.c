/*
 * The call engine: the SIP engine plus the identities test calls use (the
 * AOR, the UAS's contact, the Request-URI calls go to), the OPTIONS ping,
 * and the UAS's own registration in registered mode, refreshed at half
 * its expiry until it is removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "calls/call_priv.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define CALL_REG_EXPIRES 300		/* the UAS's registration */

struct call_report {
	call_done_cb cb;
	void *arg;
	int code;
};

static void
call_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct call_report *r = arg;

	(void)fd;
	(void)what;
	r->cb(r->arg, r->code);
	free(r);
}

/* Reports from the event loop, never from inside osip2. */
void
call_report(struct call_engine *e, call_done_cb cb, void *arg, int code)
{
	struct call_report *r;

	if (cb == NULL)
		return;
	r = xmalloc(sizeof(*r));
	r->cb = cb;
	r->arg = arg;
	r->code = code;
	if (event_base_once(e->base, -1, EV_TIMEOUT, call_report_cb, r,
	    NULL) == -1)
		fatalx(EX_MD_INTERNAL, "event_base_once failed");
}

static bool
call_on_unmatched(void *arg, osip_message_t *m)
{
	return call_uas_unmatched(arg, m);
}

static void
call_on_request(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	call_uas_request(arg, tr, m);
}

static void
call_on_killed(void *arg, osip_transaction_t *tr)
{
	call_uas_killed(arg, tr);
}

static const struct sip_hooks call_hooks = {
	.response = call_on_response,
	.timeout = call_on_timeout,
	.unmatched = call_on_unmatched,
	.request = call_on_request,
	.killed = call_on_killed,
	.refused = call_on_refused,
};

struct call_engine *
call_engine_new(struct event_base *base, const struct call_conf *conf,
    int *status)
{
	struct call_engine *e = xcalloc(1, sizeof(*e));
	const char *lh;
	unsigned lp;

	e->base = base;
	e->mode = conf->mode;
	e->user = xstrdup(conf->user != NULL ? conf->user : "memdiag");
	e->password = conf->password != NULL ? xstrdup(conf->password) : NULL;
	if ((e->sip = sip_new(base, conf->proxy, &call_hooks, e, status)) ==
	    NULL) {
		free(e->user);
		free(e->password);
		free(e);
		return NULL;
	}
	e->domain = xstrdup(conf->domain != NULL ? conf->domain :
	    sip_proxy_host(e->sip));
	lh = sip_local_host(e->sip);
	lp = sip_local_port(e->sip);
	snprintf(e->aor, sizeof(e->aor), "sip:%s@%s", e->user, e->domain);
	snprintf(e->proxy_uri, sizeof(e->proxy_uri), "sip:%s", e->domain);
	snprintf(e->ping_uri, sizeof(e->ping_uri), "sip:%s:%u",
	    sip_proxy_host(e->sip), sip_proxy_port(e->sip));
	/* Without credentials the register flow keeps off the UAS's AOR,
	 * so that calls to it are not forked to the flow's contacts. */
	if (e->password != NULL)
		snprintf(e->reg_aor, sizeof(e->reg_aor), "%s", e->aor);
	else
		snprintf(e->reg_aor, sizeof(e->reg_aor), "sip:%s-reg@%s",
		    e->user, e->domain);
	snprintf(e->uac_contact, sizeof(e->uac_contact), "sip:uac@%s:%u",
	    lh, lp);
	if (e->mode == CALL_MODE_REGISTERED) {
		snprintf(e->uas_contact, sizeof(e->uas_contact),
		    "sip:%s@%s:%u", e->user, lh, lp);
		snprintf(e->target, sizeof(e->target), "%s", e->aor);
	} else {
		snprintf(e->uas_contact, sizeof(e->uas_contact),
		    "sip:uas@%s:%u", lh, lp);
		snprintf(e->target, sizeof(e->target), "%s", e->uas_contact);
	}
	snprintf(e->tag, sizeof(e->tag), "md%08x", osip_build_random_number());
	return e;
}

void
call_engine_free(struct call_engine *e)
{
	if (e == NULL)
		return;
	call_batch_free(e->batch);
	while (e->all != NULL)
		call_free(e->all);
	if (e->refresh != NULL)
		event_free(e->refresh);
	sip_free(e->sip);
	free(e->user);
	free(e->password);
	free(e->domain);
	free(e);
}

size_t
call_engine_sockets(const struct call_engine *e, struct sip_socket *out,
    size_t max)
{
	return sip_sockets(e->sip, out, max);
}

struct sip *
call_engine_sip(struct call_engine *e)
{
	return e->sip;
}

const char *
call_engine_tag(const struct call_engine *e)
{
	return e->tag;
}

unsigned
call_engine_hops(const struct call_engine *e)
{
	return e->hops;
}

void
call_engine_ping(struct call_engine *e, unsigned timeout_ms, call_done_cb cb,
    void *arg)
{
	struct call *c = call_new(e, CALL_KIND_PING, timeout_ms);

	c->cb = cb;
	c->cbarg = arg;
	e->ping = c;
	call_start(c);
}

static void call_uasreg(struct call_engine *, int expires, call_done_cb,
    void *);

static void
call_on_refresh(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	call_uasreg(arg, CALL_REG_EXPIRES, NULL, NULL);
}

static void
call_uasreg(struct call_engine *e, int expires, call_done_cb cb, void *arg)
{
	struct call *c = call_new(e, CALL_KIND_UASREG, CALL_GUARD_MS);

	c->cb = cb;
	c->cbarg = arg;
	c->expires = expires;
	call_start(c);
	if (expires > 0) {
		struct timeval tv = { expires / 2, 0 };

		if (e->refresh == NULL)
			e->refresh = event_new(e->base, -1, 0, call_on_refresh,
			    e);
		event_add(e->refresh, &tv);
	} else if (e->refresh != NULL)
		event_del(e->refresh);
}

void
call_engine_register(struct call_engine *e, call_done_cb cb, void *arg)
{
	if (e->mode != CALL_MODE_REGISTERED)
		call_report(e, cb, arg, 200);
	else
		call_uasreg(e, CALL_REG_EXPIRES, cb, arg);
}

void
call_engine_unregister(struct call_engine *e, call_done_cb cb, void *arg)
{
	if (e->mode != CALL_MODE_REGISTERED || !e->registered)
		call_report(e, cb, arg, 200);
	else {
		e->registered = 0;
		call_uasreg(e, 0, cb, arg);
	}
}
