/*
 * Test calls, the UAC half. Every call, registration and ping is
 * a struct call found by its Call-ID, never through a pointer a
 * transaction keeps: a late message for a call that has ended finds
 * nothing and is dropped. Each call has a guard timer, because osip2's
 * INVITE client transaction waits forever once it has seen a provisional
 * response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "calls/call_priv.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define CALL_FLOW_EXPIRES 60		/* register flow */

static const char *const call_state_names[] = {
	"new", "inviting", "cancelling", "holding", "byeing", "registering",
	"messaging", "pinging", "done",
};

static void call_send(struct call *, const char *auth);

static unsigned
call_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % CALL_BUCKETS;
}

struct call *
call_find(struct call_engine *e, const osip_call_id_t *ci)
{
	char id[256];
	struct call *c;

	sipmsg_call_id(ci, id, sizeof(id));
	for (c = e->bucket[call_hash(id)]; c != NULL; c = c->hnext)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static void
call_enter_state(struct call *c, enum call_state s)
{
	log_debug("call %s: %s -> %s", c->id, call_state_names[c->state],
	    call_state_names[s]);
	c->state = s;
}

static void call_on_guard(evutil_socket_t, short, void *);

struct call *
call_new(struct call_engine *e, enum call_kind kind, unsigned guard_ms)
{
	struct call *c = xcalloc(1, sizeof(*c));
	struct timeval tv = { guard_ms / 1000, (guard_ms % 1000) * 1000 };
	unsigned h;

	c->eng = e;
	c->kind = kind;
	c->cseq = 1;
	snprintf(c->id, sizeof(c->id), "%s-%u", e->tag, ++e->seq);
	sipmsg_token(c->from_tag, sizeof(c->from_tag));
	sipmsg_token(c->uas_tag, sizeof(c->uas_tag));
	h = call_hash(c->id);
	c->hnext = e->bucket[h];
	e->bucket[h] = c;
	c->next = e->all;
	if (e->all != NULL)
		e->all->prev = c;
	e->all = c;
	c->guard = event_new(e->base, -1, 0, call_on_guard, c);
	event_add(c->guard, &tv);
	return c;
}

void
call_free(struct call *c)
{
	struct call_engine *e = c->eng;
	struct call **pp;

	call_uas_end(c);
	for (pp = &e->bucket[call_hash(c->id)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (e->ping == c)
		e->ping = NULL;
	event_free(c->guard);
	if (c->hold != NULL)
		event_free(c->hold);
	if (c->bye != NULL)
		osip_message_free(c->bye);
	free(c);
}

void
call_finish(struct call *c, enum callstat_outcome o, int code)
{
	struct call_batch *b = c->batch;

	log_debug("call %s (%s): %s %d", c->id, c->kind == CALL_KIND_FLOW ?
	    callstat_flow_name(c->flow) : c->method,
	    o == CALLSTAT_COMPLETED ? "completed" : o == CALLSTAT_FAILED ?
	    "failed" : "timed out", code);
	call_enter_state(c, CALL_S_DONE);
	if (b != NULL)
		call_batch_ended(b, c->flow, o, code);
	else if (c->kind == CALL_KIND_UASREG && code >= 200 && code < 300 &&
	    c->expires > 0)
		c->eng->registered = 1;
	if (c->kind != CALL_KIND_FLOW)
		call_report(c->eng, c->cb, c->cbarg,
		    o == CALLSTAT_TIMEOUT ? 0 : code);
	call_free(c);
}

static void
call_send_cancel(struct call *c)
{
	struct call_engine *e = c->eng;
	char from[CALL_URI_MAX + 64], to[CALL_URI_MAX + 2];
	struct sipmsg_req r;
	osip_message_t *m;

	memset(&r, 0, sizeof(r));
	snprintf(from, sizeof(from), "<%s>;tag=%s", e->aor, c->from_tag);
	snprintf(to, sizeof(to), "<%s>", e->target);
	r.method = "CANCEL";
	r.ruri = c->ruri;
	r.from = from;
	r.to = to;
	r.call_id = c->id;
	r.cseq = c->cseq;
	r.via_host = sip_local_host(e->sip);
	r.via_port = sip_local_port(e->sip);
	r.branch = c->branch;
	if ((m = sipmsg_request_new(&r)) != NULL)
		sip_request(e->sip, m);
	call_enter_state(c, CALL_S_CANCELLING);
}

static void
call_on_guard(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CALL_S_INVITING && c->got_1xx)
		call_send_cancel(c);
	call_finish(c, CALLSTAT_TIMEOUT, 0);
}

static void
call_send_bye(struct call *c)
{
	osip_message_t *bye = c->bye;

	c->bye = NULL;
	c->cseq++;
	c->method = "BYE";
	call_enter_state(c, CALL_S_BYEING);
	sip_request(c->eng->sip, bye);
}

static void
call_on_hold(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	call_send_bye(arg);
}

/* 2xx to our INVITE: ACK it, then BYE now or after the hold time. */
static void
call_answered(struct call *c, osip_message_t *resp)
{
	struct call_engine *e = c->eng;
	char branch[SIPMSG_TOKEN_MAX + 8];
	struct sipmsg_dialog d;
	char *ack;
	size_t acklen;
	unsigned hold = c->batch != NULL ? c->batch->p.hold_ms : 0;

	if (c->batch != NULL)
		callstat_latency(&c->batch->stat, (clock_mono() - c->t0) * 1e3);
	if (sipmsg_dialog_init(&d, resp) != 0) {
		call_finish(c, CALLSTAT_FAILED, 200);
		return;
	}
	sipmsg_branch(branch, sizeof(branch));
	ack = sipmsg_dialog_text_new(&d, "ACK", c->cseq, sip_local_host(e->sip),
	    sip_local_port(e->sip), branch, &acklen);
	sipmsg_branch(branch, sizeof(branch));
	c->bye = sipmsg_dialog_request_new(&d, "BYE", c->cseq + 1,
	    sip_local_host(e->sip), sip_local_port(e->sip), branch);
	sipmsg_dialog_clear(&d);
	sip_send_raw(e->sip, ack, acklen);
	free(ack);
	if (c->bye == NULL) {
		call_finish(c, CALLSTAT_FAILED, 200);
		return;
	}
	if (c->flow != CALL_FLOW_OK) {
		/* A busy or cancel call was answered: hang up, count 200. */
		call_send_bye(c);
		call_finish(c, CALLSTAT_FAILED, 200);
	} else if (hold == 0)
		call_send_bye(c);
	else {
		struct timeval tv = { hold / 1000, (hold % 1000) * 1000 };

		call_enter_state(c, CALL_S_HOLDING);
		c->hold = event_new(e->base, -1, 0, call_on_hold, c);
		event_add(c->hold, &tv);
	}
}

static void
call_invite_final(struct call *c, osip_message_t *resp, int code)
{
	if (code < 300) {
		call_answered(c, resp);
		return;
	}
	if ((c->flow == CALL_FLOW_BUSY && code == 486) ||
	    (c->flow == CALL_FLOW_CANCEL && code == 487))
		call_finish(c, CALLSTAT_COMPLETED, code);
	else
		call_finish(c, CALLSTAT_FAILED, code);
}

static void
call_register_step(struct call *c)
{
	c->step++;
	c->cseq++;
	c->auth_tries = 0;
	c->expires = c->step == 2 ? 0 : CALL_FLOW_EXPIRES;
	call_send(c, NULL);
}

void
call_on_response(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	struct call *c = call_find(arg, m->call_id);
	const char *method = m->cseq->method;
	int code = m->status_code;
	char *auth;

	(void)tr;
	if (c == NULL || c->state == CALL_S_DONE || strcmp(method, "CANCEL") ==
	    0 || strtoul(m->cseq->number, NULL, 10) != c->cseq ||
	    strcmp(method, c->method) != 0)
		return;		/* a step that is over */
	if (code < 200) {
		if (strcmp(method, "INVITE") == 0 && code > 100) {
			c->got_1xx = 1;
			if (c->flow == CALL_FLOW_CANCEL &&
			    c->state == CALL_S_INVITING)
				call_send_cancel(c);
		}
		return;
	}
	if ((code == 401 || code == 407) && c->eng->password != NULL &&
	    c->auth_tries < 2 && strcmp(method, "BYE") != 0 &&
	    (auth = sipmsg_authorization_new(m, method, c->ruri, c->eng->user,
	    c->eng->password)) != NULL) {
		c->auth_tries++;
		c->cseq++;
		call_send(c, auth);
		free(auth);
		return;
	}
	if (strcmp(method, "INVITE") == 0)
		call_invite_final(c, m, code);
	else if (code >= 300)
		call_finish(c, CALLSTAT_FAILED, code);
	else if (c->kind == CALL_KIND_FLOW && c->flow == CALL_FLOW_REGISTER &&
	    c->step < 2)
		call_register_step(c);
	else
		call_finish(c, CALLSTAT_COMPLETED, code);
}

void
call_on_timeout(void *arg, osip_transaction_t *tr)
{
	struct call *c = call_find(arg, tr->callid);

	if (c == NULL || tr->cseq == NULL || tr->cseq->method == NULL ||
	    strcmp(tr->cseq->method, "CANCEL") == 0 ||
	    strtoul(tr->cseq->number, NULL, 10) != c->cseq)
		return;
	call_finish(c, CALLSTAT_TIMEOUT, 0);
}

void
call_on_refused(void *arg)
{
	struct call_engine *e = arg;

	if (e->ping != NULL) {
		log_debug("%s:%u refused the OPTIONS (ICMP)",
		    sip_proxy_host(e->sip), sip_proxy_port(e->sip));
		call_finish(e->ping, CALLSTAT_TIMEOUT, 0);
	}
}

/* The body of INVITE (SDP) or MESSAGE, with pad bytes; caller frees. */
static char *
call_body(const struct call *c, size_t *len)
{
	size_t pad = c->batch != NULL ? c->batch->p.body_pad : 0;
	const char *text = strcmp(c->method, "INVITE") == 0 ?
	    "v=0\r\no=memdiag 1 1 IN IP4 0.0.0.0\r\ns=memdiag\r\n"
	    "c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n" :
	    "memdiag test message\r\n";
	size_t tl = strlen(text);
	char *b = xmalloc(tl + pad + 16);

	memcpy(b, text, tl);
	*len = tl;
	if (pad > 0) {
		const char *pre = strcmp(c->method, "INVITE") == 0 ? "a=x-pad:" :
		    "";

		memcpy(b + *len, pre, strlen(pre));
		*len += strlen(pre);
		memset(b + *len, 'x', pad);
		*len += pad;
		memcpy(b + *len, "\r\n", 2);
		*len += 2;
	}
	return b;
}

/* Sends the current step's request, new transaction, new branch. */
static void
call_send(struct call *c, const char *auth)
{
	struct call_engine *e = c->eng;
	char from[CALL_URI_MAX + 64], to[CALL_URI_MAX + 2];
	char contact[CALL_URI_MAX], extra[1024];
	struct sipmsg_req r;
	osip_message_t *m;
	const char *aor;
	char *body = NULL;

	memset(&r, 0, sizeof(r));
	r.method = c->method;
	r.ruri = c->ruri;
	r.from = from;
	r.to = to;
	r.call_id = c->id;
	r.cseq = c->cseq;
	r.via_host = sip_local_host(e->sip);
	r.via_port = sip_local_port(e->sip);
	sipmsg_branch(c->branch, sizeof(c->branch));
	r.branch = c->branch;
	/* the ping proves the proxy alive with any answer, 483 included,
	 * and must never be forwarded (to itself, in a loop) */
	if (c->kind == CALL_KIND_PING)
		r.max_forwards = "0";
	aor = c->kind == CALL_KIND_FLOW && c->flow == CALL_FLOW_REGISTER ?
	    e->reg_aor : e->aor;
	snprintf(from, sizeof(from), "<%s>;tag=%s", aor, c->from_tag);
	snprintf(to, sizeof(to), "<%s>", strcmp(c->method, "REGISTER") == 0 ?
	    aor : c->ruri);
	extra[0] = '\0';
	if (strcmp(c->method, "REGISTER") == 0) {
		if (c->kind == CALL_KIND_UASREG)
			snprintf(contact, sizeof(contact), "%s", e->uas_contact);
		else
			snprintf(contact, sizeof(contact), "sip:%s@%s:%u",
			    c->id, sip_local_host(e->sip),
			    sip_local_port(e->sip));
		r.contact = contact;
		snprintf(extra, sizeof(extra), "Expires: %d\r\n", c->expires);
	} else if (strcmp(c->method, "INVITE") == 0) {
		r.contact = e->uac_contact;
		r.content_type = "application/sdp";
	} else if (strcmp(c->method, "MESSAGE") == 0)
		r.content_type = "text/plain";
	if (r.content_type != NULL)
		r.body = body = call_body(c, &r.body_len);
	if (auth != NULL)
		strncat(extra, auth, sizeof(extra) - strlen(extra) - 1);
	r.extra = extra;
	m = sipmsg_request_new(&r);
	free(body);
	if (m == NULL) {
		log_warnx("call %s: cannot build the %s", c->id, c->method);
		return;		/* the guard timer ends the call */
	}
	sip_request(e->sip, m);
}

void
call_start(struct call *c)
{
	struct call_engine *e = c->eng;

	c->ruri = e->target;
	if (c->kind == CALL_KIND_PING) {
		c->method = "OPTIONS";
		c->ruri = e->ping_uri;
		call_enter_state(c, CALL_S_PINGING);
	} else if (c->kind == CALL_KIND_UASREG) {
		c->method = "REGISTER";
		c->ruri = e->proxy_uri;
		call_enter_state(c, CALL_S_REGISTERING);
	} else if (c->flow == CALL_FLOW_OK || c->flow == CALL_FLOW_BUSY ||
	    c->flow == CALL_FLOW_CANCEL) {
		c->method = "INVITE";
		call_enter_state(c, CALL_S_INVITING);
		c->t0 = clock_mono();
	} else if (c->flow == CALL_FLOW_MESSAGE) {
		c->method = "MESSAGE";
		call_enter_state(c, CALL_S_MESSAGING);
	} else {
		c->method = "REGISTER";
		c->ruri = e->proxy_uri;
		c->expires = CALL_FLOW_EXPIRES;
		call_enter_state(c, CALL_S_REGISTERING);
	}
	call_send(c, NULL);
}

