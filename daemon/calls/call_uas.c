/*
 * The UAS half of test calls: what memdiag answers when the proxy relays
 * its own calls back to it. The Call-ID names the call and so the flow:
 * ok rings and answers 200, busy answers 486, cancel rings until the
 * CANCEL comes. osip2's IST ends as soon as it sends a 2xx, so the 2xx is
 * retransmitted here until the ACK (RFC 3261 13.3.1.4), and an INVITE
 * retransmitted after it is answered with the same 2xx, not a new dialog.
 * When the proxy forks a call (several contacts registered for the AOR
 * are all ours), the first branch answers and the others answer 486, or
 * all ring in the cancel flow: the proxy's choice of the best response
 * then gives the same result as one branch would.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "calls/call_priv.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* Sends resp in tr; NULL (osip2 could not build it) ends tr unanswered. */
static bool
uas_send(struct call_engine *e, osip_transaction_t *tr, osip_message_t *resp)
{
	if (resp == NULL) {
		sip_drop(e->sip, SIP_DROP_INVALID, "no response can be built");
		sip_discard(e->sip, tr);
		return false;
	}
	sip_respond(e->sip, tr, resp);
	return true;
}

static void
uas_answer(struct call_engine *e, struct call *c, osip_transaction_t *tr,
    osip_message_t *req, int code, const char *reason)
{
	uas_send(e, tr, sipmsg_response_new(req, code, reason,
	    c != NULL ? c->uas_tag : NULL,
	    code >= 200 && code < 300 && MSG_IS_INVITE(req) ?
	    e->uas_contact : NULL));
}

static void
uas_retrans(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (c->uas_2xx == NULL)
		return;
	c->uas_2xx_total_ms += c->uas_2xx_wait_ms;
	if (c->uas_2xx_total_ms >= 64 * CALL_T1_MS) {
		log_debug("call %s: no ACK for the 2xx within 64*T1", c->id);
		return;
	}
	sip_send_raw(c->eng->sip, c->uas_2xx, c->uas_2xx_len);
	c->uas_2xx_wait_ms *= 2;
	if (c->uas_2xx_wait_ms > CALL_T2_MS)
		c->uas_2xx_wait_ms = CALL_T2_MS;
	tv = clock_tv(c->uas_2xx_wait_ms / 1e3);
	event_add(c->uas_retrans, &tv);
}

/* The 2xx goes out in tr, then again until the ACK comes. */
static void
uas_answer_2xx(struct call_engine *e, struct call *c, osip_transaction_t *tr,
    osip_message_t *resp)
{
	static const struct timeval t1 = { 0, CALL_T1_MS * 1000 };

	if (resp != NULL) {
		/* sipmsg's text is the message (see sipmsg.h) */
		c->uas_2xx = xmalloc(resp->message_length);
		memcpy(c->uas_2xx, resp->message, resp->message_length);
		c->uas_2xx_len = resp->message_length;
		c->uas_2xx_wait_ms = CALL_T1_MS;
		c->uas_2xx_total_ms = 0;
		c->uas_retrans = event_new(e->base, -1, 0, uas_retrans, c);
		event_add(c->uas_retrans, &t1);
	}
	uas_send(e, tr, resp);
}

static void
uas_stop_2xx(struct call *c)
{
	if (c->uas_retrans != NULL)
		event_free(c->uas_retrans);
	c->uas_retrans = NULL;
	free(c->uas_2xx);
	c->uas_2xx = NULL;
}

/* A 2xx to INVITE that no transaction wants: our ACK was lost. */
static void
uas_reack(struct call_engine *e, osip_message_t *resp)
{
	char branch[SIPMSG_TOKEN_MAX + 8];
	char *ack;
	size_t len;

	sipmsg_branch(branch, sizeof(branch));
	ack = sipmsg_indialog_text_new(resp, "ACK",
	    (unsigned)strtoul(resp->cseq->number, NULL, 10),
	    sip_local_host(e->sip), sip_local_port(e->sip), branch, &len);
	if (ack == NULL) {
		sip_drop(e->sip, SIP_DROP_STRAY, "2xx without Contact");
		return;
	}
	sip_send_raw(e->sip, ack, len);
	free(ack);
	sip_drop(e->sip, SIP_DROP_LATE, "2xx retransmission, ACKed again");
}

bool
call_uas_unmatched(struct call_engine *e, osip_message_t *m)
{
	struct call *c = call_find(e, m->call_id);

	if (MSG_IS_RESPONSE(m)) {
		if (m->status_code >= 200 && m->status_code < 300 &&
		    strcmp(m->cseq->method, "INVITE") == 0)
			uas_reack(e, m);
		else if (m->status_code < 200 || c != NULL)
			sip_drop(e->sip, SIP_DROP_LATE, "provisional response "
			    "overtaken by the final one");
		else
			sip_drop(e->sip, SIP_DROP_STRAY, "response outside a "
			    "transaction");
		return false;
	}
	if (MSG_IS_OPTIONS(m))
		return true;
	if (c == NULL) {
		sip_drop(e->sip, MSG_IS_INVITE(m) || MSG_IS_MESSAGE(m) ?
		    SIP_DROP_UNEXPECTED : SIP_DROP_LATE,
		    "request for no call of ours");
		return false;
	}
	if (MSG_IS_ACK(m)) {
		uas_stop_2xx(c);
		return false;
	}
	if (MSG_IS_INVITE(m)) {
		if (c->uas_2xx != NULL) {
			sip_send_raw(e->sip, c->uas_2xx, c->uas_2xx_len);
			return false;
		}
		if (c->flow != CALL_FLOW_OK && c->flow != CALL_FLOW_BUSY &&
		    c->flow != CALL_FLOW_CANCEL) {
			sip_drop(e->sip, SIP_DROP_UNEXPECTED, "INVITE in a "
			    "call without one");
			return false;
		}
		return true;
	}
	if (MSG_IS_BYE(m) || MSG_IS_CANCEL(m) || MSG_IS_MESSAGE(m))
		return true;
	sip_drop(e->sip, SIP_DROP_UNEXPECTED, m->sip_method);
	return false;
}

static void
uas_invite(struct call_engine *e, struct call *c, osip_transaction_t *tr,
    osip_message_t *req)
{
	int i;

	if (c->flow == CALL_FLOW_BUSY ||
	    (c->flow == CALL_FLOW_OK && c->uas_2xx != NULL)) {
		uas_answer(e, c, tr, req, 486, "Busy Here");
		return;
	}
	if (c->flow == CALL_FLOW_OK) {
		struct sipmsg_reply rp;

		/* 180 and 200 copy the same headers: written once */
		if (sipmsg_reply_init(&rp, req, c->uas_tag) != 0) {
			uas_send(e, tr, NULL);
			return;
		}
		if (uas_send(e, tr, sipmsg_reply_new(&rp, 180, "Ringing", NULL)))
			uas_answer_2xx(e, c, tr, sipmsg_reply_new(&rp, 200, "OK",
			    e->uas_contact));
		sipmsg_reply_clear(&rp);
		return;
	}
	uas_answer(e, c, tr, req, 180, "Ringing");
	for (i = 0; i < CALL_FORKS; i++)
		if (c->uas_ist[i] == NULL) {
			c->uas_ist[i] = tr;
			return;
		}
	uas_answer(e, c, tr, req, 486, "Busy Here");	/* too many forks */
}

static const char *
uas_branch(osip_via_t *via)
{
	osip_generic_param_t *b = NULL;

	if (via == NULL || osip_via_param_get_byname(via, "branch", &b) != 0 ||
	    b == NULL || b->gvalue == NULL)
		return "";
	return b->gvalue;
}

/* CANCEL: the ringing INVITE of the same branch ends with 487. */
static void
uas_cancel(struct call *c, osip_transaction_t *cancel)
{
	const char *branch = uas_branch(cancel->topvia);
	int i;

	for (i = 0; i < CALL_FORKS; i++) {
		osip_transaction_t *ist = c->uas_ist[i];

		if (ist == NULL || strcmp(uas_branch(ist->topvia), branch) != 0)
			continue;
		c->uas_ist[i] = NULL;
		uas_answer(c->eng, c, ist, ist->orig_request, 487,
		    "Request Terminated");
	}
}

void
call_uas_request(struct call_engine *e, osip_transaction_t *tr,
    osip_message_t *req)
{
	struct call *c = call_find(e, req->call_id);
	unsigned vias;

	if (MSG_IS_OPTIONS(req)) {
		uas_answer(e, NULL, tr, req, 200, "OK");
		return;
	}
	if (c == NULL) {
		uas_answer(e, NULL, tr, req, 481, "Call Does Not Exist");
		return;
	}
	/* memdiag's Via and one per proxy: more than one proxy means the
	 * call was routed on, and further routing could loop */
	vias = (unsigned)osip_list_size(&req->vias);
	if (vias > 1 && vias - 1 > e->hops) {
		e->hops = vias - 1;
		if (e->hops > 1)
			log_warnx("call %s: its %s crossed %u proxies to reach "
			    "memdiag, not one", c->id, req->sip_method,
			    e->hops);
	}
	if (e->hops > 1) {
		uas_answer(e, c, tr, req, 482, "Loop Detected");
		return;
	}
	if (MSG_IS_INVITE(req))
		uas_invite(e, c, tr, req);
	else if (MSG_IS_CANCEL(req)) {
		uas_answer(e, c, tr, req, 200, "OK");
		uas_cancel(c, tr);
	} else
		uas_answer(e, c, tr, req, 200, "OK");
}

void
call_uas_killed(struct call_engine *e, osip_transaction_t *tr)
{
	struct call *c;
	int i;

	if (tr->ctx_type != IST)
		return;
	c = call_find(e, tr->callid);
	for (i = 0; c != NULL && i < CALL_FORKS; i++)
		if (c->uas_ist[i] == tr)
			c->uas_ist[i] = NULL;
}

/* The call is over: ringing INVITEs get their final answer. */
void
call_uas_end(struct call *c)
{
	int i;

	uas_stop_2xx(c);
	for (i = 0; i < CALL_FORKS; i++) {
		osip_transaction_t *ist = c->uas_ist[i];

		if (ist == NULL)
			continue;
		c->uas_ist[i] = NULL;
		uas_answer(c->eng, c, ist, ist->orig_request, 487,
		    "Request Terminated");
	}
}
