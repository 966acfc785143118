/*
 * Inside the call module: the state shared by the UAC half (call.c), the
 * UAS half (call_uas.c), batches (call_batch.c) and the engine
 * (call_engine.c). Not for other modules.
 */
#ifndef MEMDIAG_CALL_PRIV_H
#define MEMDIAG_CALL_PRIV_H

#include <time.h>

#include "calls/call.h"
#include "calls/sipmsg.h"

#define CALL_T1_MS 500
#define CALL_T2_MS 4000
#define CALL_BUCKETS 4096
#define CALL_URI_MAX 320
#define CALL_GUARD_MS (64 * CALL_T1_MS + 4000)
#define CALL_FORKS 32	/* register flow contacts share the AOR */

enum call_kind {
	CALL_KIND_FLOW,		/* a call of a batch */
	CALL_KIND_PING,		/* OPTIONS to the proxy */
	CALL_KIND_UASREG,	/* the UAS's own registration */
};

enum call_state {
	CALL_S_NEW,
	CALL_S_INVITING,	/* INVITE sent, no final response yet */
	CALL_S_CANCELLING,	/* CANCEL sent, waiting for the 487 */
	CALL_S_HOLDING,		/* ACKed, BYE after the hold time */
	CALL_S_BYEING,		/* BYE sent */
	CALL_S_REGISTERING,	/* REGISTER step sent */
	CALL_S_MESSAGING,	/* MESSAGE sent */
	CALL_S_PINGING,		/* OPTIONS sent */
	CALL_S_DONE,
};

struct call {
	struct call_engine *eng;
	struct call_batch *batch;	/* NULL unless a batch's call */
	struct call *hnext;		/* Call-ID hash chain */
	struct call *prev, *next;	/* every live call */
	enum call_kind kind;
	enum call_flow flow;
	enum call_state state;
	char id[SIPMSG_TOKEN_MAX];	/* Call-ID */
	char from_tag[SIPMSG_TOKEN_MAX], uas_tag[SIPMSG_TOKEN_MAX];
	char branch[SIPMSG_TOKEN_MAX + 8];	/* current INVITE's, for CANCEL */
	const char *method;		/* the UAC request in progress */
	const char *ruri;
	unsigned cseq;
	int step;			/* register flow: 0 add, 1 refresh, 2 remove */
	int expires;
	int auth_tries;
	int got_1xx;
	double t0;		/* first INVITE (clock_mono) */
	struct event *guard, *hold;
	osip_message_t *bye;		/* sent when the hold time is over */
	call_done_cb cb;		/* ping and registration */
	void *cbarg;

	/* UAS half */
	/* cancel flow: INVITEs left ringing, one per branch the proxy forks */
	osip_transaction_t *uas_ist[CALL_FORKS];
	char *uas_2xx;			/* sent 2xx, retransmitted until ACK */
	size_t uas_2xx_len;
	unsigned uas_2xx_wait_ms, uas_2xx_total_ms;
	struct event *uas_retrans;
};

struct call_engine {
	struct event_base *base;
	struct sip *sip;
	char *user, *password, *domain;
	enum call_mode mode;
	char aor[CALL_URI_MAX];		/* sip:USER@DOMAIN */
	char target[CALL_URI_MAX];	/* Request-URI of calls */
	char uas_contact[CALL_URI_MAX];
	char uac_contact[CALL_URI_MAX];
	char proxy_uri[CALL_URI_MAX];	/* sip:DOMAIN, REGISTER's R-URI */
	char ping_uri[CALL_URI_MAX];	/* sip:PROXY:PORT */
	char reg_aor[CALL_URI_MAX];	/* register flow's AOR */
	char tag[16];			/* this run's Call-ID prefix */
	unsigned seq;
	struct call *bucket[CALL_BUCKETS];
	struct call *all;
	struct call *ping;
	struct call_batch *batch;
	struct event *refresh;		/* re-REGISTER of the UAS */
	int registered;
	unsigned hops;			/* most proxies a request crossed */
};

struct call_batch {
	struct call_engine *eng;
	struct call_batch_params p;
	struct callstat stat;
	unsigned placed, inflight;
	double tokens;
	double last, start;	/* clock_mono */
	double elapsed_s;
	struct event *pace;
	call_batch_cb done;
	void *arg;
	int finished;
};


struct call *call_new(struct call_engine *, enum call_kind, unsigned guard_ms);
struct call *call_find(struct call_engine *, const osip_call_id_t *);
void call_start(struct call *);
void call_finish(struct call *, enum callstat_outcome, int code);
void call_free(struct call *);
/* Runs cb(arg, code) from the event loop, never from inside osip2. */
void call_report(struct call_engine *, call_done_cb, void *arg, int code);

/* UAC half: the SIP engine's hooks for responses and timeouts. */
void call_on_response(void *arg, osip_transaction_t *, osip_message_t *);
void call_on_timeout(void *arg, osip_transaction_t *);
void call_on_refused(void *arg);

/* Batches: a call of b ended, or a knob changed: pace again. */
void call_batch_ended(struct call_batch *, enum call_flow,
    enum callstat_outcome, int code);
void call_batch_kick(struct call_batch *);

/* UAS half: the SIP engine's hooks for requests, and its cleanup. */
bool call_uas_unmatched(struct call_engine *, osip_message_t *);
void call_uas_request(struct call_engine *, osip_transaction_t *,
    osip_message_t *);
void call_uas_killed(struct call_engine *, osip_transaction_t *);
void call_uas_end(struct call *);

#endif
