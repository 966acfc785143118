/*
 * The SIP engine: osip2's transactions driven from libevent. Everything
 * osip2 does happens on the event loop's thread: a datagram batch or a
 * timer tick feeds events in, then the four execute functions run the
 * state machines and the hooks answer. Transactions are freed only after
 * the execute functions return (osip2 still reads them in the kill
 * callback). Incoming messages find their transaction through an index
 * by branch (sip_index.c), not osip2's walk over every transaction.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <osip2/osip.h>

#include "calls/sip.h"
#include "calls/sip_index.h"
#include "calls/sip_udp.h"
#include "calls/sipmsg.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define SIP_BATCH 256		/* datagrams read per wakeup */
#define SIP_BUFSIZE 65536
#define SIP_TICK_MS 10

struct sip {
	struct event_base *base;
	osip_t *osip;
	const struct sip_hooks *hooks;
	void *arg;
	struct sip_udp udp;
	struct sip_index *index;
	struct event *read_ev, *tick_ev, *run_ev;
	osip_transaction_t **dead;
	size_t ndead, deadcap;
	int running;
	uint64_t drops[SIP_DROP_NKINDS];
	char *buf;
};

static const char *const sip_drop_names[SIP_DROP_NKINDS] = {
	"unparsable SIP", "invalid SIP", "stray response",
	"unexpected request", "late retransmission", "oversized datagram",
};

const char *
sip_drop_name(enum sip_drop k)
{
	return sip_drop_names[k];
}

void
sip_drop(struct sip *s, enum sip_drop k, const char *detail)
{
	/* A retransmission after a call ended is normal, not news. */
	if (s->drops[k]++ == 0 && k != SIP_DROP_LATE)
		log_warnx("dropped %s from %s:%u: %s (further ones are only "
		    "counted)", sip_drop_names[k], s->udp.proxy_host,
		    s->udp.proxy_port, detail);
	else
		log_debug("dropped %s: %s", sip_drop_names[k], detail);
}

uint64_t
sip_drops(const struct sip *s, enum sip_drop k)
{
	return s->drops[k];
}

/* Frees tr, out of the index first. */
static void
sip_transaction_free(struct sip *s, osip_transaction_t *tr)
{
	sip_index_remove(s->index, tr);
	osip_transaction_free(tr);
}

static struct sip *
sip_of(osip_transaction_t *tr)
{
	return osip_get_application_context((osip_t *)tr->config);
}

static void sip_trace(const char *, int, osip_trace_level_t, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

static void
sip_trace(const char *file, int line, osip_trace_level_t level,
    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\r\n")] = '\0';
	log_debug("osip2 %s:%d (level %d): %s", file, line, (int)level, msg);
}

/* -vv shows every datagram. */
static void
sip_trace_msg(const char *dir, const char *buf, size_t len)
{
	if (log_verbosity() >= 2)
		log_debug("%s %zu bytes:\n%.*s", dir, len,
		    (int)(len > 4000 ? 4000 : len), buf);
}

int
sip_send_raw(struct sip *s, const char *buf, size_t len)
{
	sip_trace_msg("sent", buf, len);
	if (send(s->udp.fd, buf, len, 0) != -1)
		return 0;
	if (errno == ECONNREFUSED) {
		if (s->hooks->refused != NULL)
			s->hooks->refused(s->arg);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		log_warn("send to %s:%u", s->udp.proxy_host, s->udp.proxy_port);
	return -1;
}

int
sip_send(struct sip *s, osip_message_t *m)
{
	char *buf;
	size_t len;
	int rc;

	/* sipmsg's messages carry their text: sent as it is, not copied */
	if (osip_message_get__property(m) == 1 && m->message != NULL)
		return sip_send_raw(s, m->message, m->message_length);
	if (osip_message_to_str(m, &buf, &len) != 0)
		return -1;
	rc = sip_send_raw(s, buf, len);
	osip_free(buf);
	return rc;
}

/*
 * Every message goes to the proxy, whatever host osip2 picked: the proxy
 * is our outbound proxy. A lost datagram is the retransmission timers'
 * business, so this never fails the transaction.
 */
static int
sip_cb_send(osip_transaction_t *tr, osip_message_t *m, char *host, int port,
    int sock)
{
	(void)host;
	(void)port;
	(void)sock;
	if (tr == NULL)
		return -1;	/* ixt: not used, we retransmit 2xx ourselves */
	(void)sip_send(sip_of(tr), m);
	return 0;
}

static void
sip_cb_response(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sip *s = sip_of(tr);

	(void)type;
	s->hooks->response(s->arg, tr, m);
}

static void
sip_cb_timeout(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sip *s = sip_of(tr);

	(void)type;
	(void)m;
	s->hooks->timeout(s->arg, tr);
}

static void
sip_cb_transport(int type, osip_transaction_t *tr, int error)
{
	struct sip *s = sip_of(tr);

	(void)error;
	if (type == OSIP_ICT_TRANSPORT_ERROR || type == OSIP_NICT_TRANSPORT_ERROR)
		s->hooks->timeout(s->arg, tr);
}

static void
sip_cb_request(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sip *s = sip_of(tr);

	(void)type;
	s->hooks->request(s->arg, tr, m);
}

static void
sip_cb_kill(int type, osip_transaction_t *tr)
{
	(void)type;
	sip_discard(sip_of(tr), tr);
}

void
sip_discard(struct sip *s, osip_transaction_t *tr)
{
	size_t i;

	for (i = 0; i < s->ndead; i++)
		if (s->dead[i] == tr)
			return;
	if (s->hooks->killed != NULL)
		s->hooks->killed(s->arg, tr);
	if (s->ndead == s->deadcap) {
		s->deadcap = s->deadcap ? 2 * s->deadcap : 64;
		s->dead = xreallocarray(s->dead, s->deadcap, sizeof(*s->dead));
	}
	s->dead[s->ndead++] = tr;
}

static void
sip_callbacks(osip_t *o)
{
	static const int resp[] = {
		OSIP_ICT_STATUS_1XX_RECEIVED, OSIP_ICT_STATUS_2XX_RECEIVED,
		OSIP_ICT_STATUS_3XX_RECEIVED, OSIP_ICT_STATUS_4XX_RECEIVED,
		OSIP_ICT_STATUS_5XX_RECEIVED, OSIP_ICT_STATUS_6XX_RECEIVED,
		OSIP_NICT_STATUS_1XX_RECEIVED, OSIP_NICT_STATUS_2XX_RECEIVED,
		OSIP_NICT_STATUS_3XX_RECEIVED, OSIP_NICT_STATUS_4XX_RECEIVED,
		OSIP_NICT_STATUS_5XX_RECEIVED, OSIP_NICT_STATUS_6XX_RECEIVED,
	};
	static const int req[] = {
		OSIP_IST_INVITE_RECEIVED, OSIP_NIST_REGISTER_RECEIVED,
		OSIP_NIST_BYE_RECEIVED, OSIP_NIST_OPTIONS_RECEIVED,
		OSIP_NIST_INFO_RECEIVED, OSIP_NIST_CANCEL_RECEIVED,
		OSIP_NIST_NOTIFY_RECEIVED, OSIP_NIST_SUBSCRIBE_RECEIVED,
		OSIP_NIST_UNKNOWN_REQUEST_RECEIVED,
	};
	size_t i;

	osip_set_cb_send_message(o, sip_cb_send);
	for (i = 0; i < sizeof(resp) / sizeof(resp[0]); i++)
		osip_set_message_callback(o, resp[i], sip_cb_response);
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		osip_set_message_callback(o, req[i], sip_cb_request);
	osip_set_message_callback(o, OSIP_ICT_STATUS_TIMEOUT, sip_cb_timeout);
	osip_set_message_callback(o, OSIP_NICT_STATUS_TIMEOUT, sip_cb_timeout);
	osip_set_kill_transaction_callback(o, OSIP_ICT_KILL_TRANSACTION,
	    sip_cb_kill);
	osip_set_kill_transaction_callback(o, OSIP_IST_KILL_TRANSACTION,
	    sip_cb_kill);
	osip_set_kill_transaction_callback(o, OSIP_NICT_KILL_TRANSACTION,
	    sip_cb_kill);
	osip_set_kill_transaction_callback(o, OSIP_NIST_KILL_TRANSACTION,
	    sip_cb_kill);
	osip_set_transport_error_callback(o, OSIP_ICT_TRANSPORT_ERROR,
	    sip_cb_transport);
	osip_set_transport_error_callback(o, OSIP_NICT_TRANSPORT_ERROR,
	    sip_cb_transport);
}

static bool
sip_idle(const struct sip *s)
{
	osip_t *o = s->osip;

	return osip_list_size(&o->osip_ict_transactions) <= 0 &&
	    osip_list_size(&o->osip_ist_transactions) <= 0 &&
	    osip_list_size(&o->osip_nict_transactions) <= 0 &&
	    osip_list_size(&o->osip_nist_transactions) <= 0;
}

static void
sip_reap(struct sip *s)
{
	size_t i;

	for (i = 0; i < s->ndead; i++)
		sip_transaction_free(s, s->dead[i]);
	s->ndead = 0;
}

/* Runs the state machines until the hooks stop adding events. */
static void
sip_run(struct sip *s)
{
	int round;

	for (round = 0; round < 8; round++) {
		s->running = 1;
		osip_ict_execute(s->osip);
		osip_ist_execute(s->osip);
		osip_nict_execute(s->osip);
		osip_nist_execute(s->osip);
		sip_reap(s);
		if (s->running == 1)
			break;
	}
	if (s->running > 1)
		event_active(s->run_ev, 0, 0);
	s->running = 0;
}

/* Something was queued: run soon, and keep the timers ticking. */
static void
sip_wake(struct sip *s)
{
	static const struct timeval tick = { 0, SIP_TICK_MS * 1000 };

	if (s->running)
		s->running = 2;
	else
		event_active(s->run_ev, 0, 0);
	if (!event_pending(s->tick_ev, EV_TIMEOUT, NULL))
		event_add(s->tick_ev, &tick);
}

static void
sip_on_run(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sip_run(arg);
}

static void
sip_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sip *s = arg;

	(void)fd;
	(void)what;
	osip_timers_ict_execute(s->osip);
	osip_timers_ist_execute(s->osip);
	osip_timers_nict_execute(s->osip);
	osip_timers_nist_execute(s->osip);
	sip_run(s);
	if (sip_idle(s))
		event_del(s->tick_ev);
}

static void
sip_shorten(osip_transaction_t *tr)
{
	if (tr->ict_context != NULL)
		tr->ict_context->timer_d_length = SIP_ABSORB_MS;
	if (tr->ist_context != NULL)
		tr->ist_context->timer_i_length = SIP_ABSORB_MS;
	if (tr->nict_context != NULL)
		tr->nict_context->timer_k_length = SIP_ABSORB_MS;
	if (tr->nist_context != NULL)
		tr->nist_context->timer_j_length = SIP_ABSORB_MS;
}

osip_transaction_t *
sip_request(struct sip *s, osip_message_t *req)
{
	osip_transaction_t *tr;
	osip_event_t *ev;

	if (osip_transaction_init(&tr, MSG_IS_INVITE(req) ? ICT : NICT,
	    s->osip, req) != 0) {
		osip_message_free(req);
		return NULL;
	}
	osip_transaction_set_out_socket(tr, s->udp.fd);
	sip_shorten(tr);
	sip_index_add(s->index, tr);
	ev = osip_new_outgoing_sipmessage(req);
	ev->transactionid = tr->transactionid;
	osip_transaction_add_event(tr, ev);
	sip_wake(s);
	return tr;
}

int
sip_respond(struct sip *s, osip_transaction_t *tr, osip_message_t *resp)
{
	osip_event_t *ev = osip_new_outgoing_sipmessage(resp);

	if (ev == NULL) {
		osip_message_free(resp);
		return -1;
	}
	ev->transactionid = tr->transactionid;
	osip_transaction_add_event(tr, ev);
	sip_wake(s);
	return 0;
}

static void
sip_new_server(struct sip *s, osip_event_t *ev)
{
	osip_transaction_t *tr = osip_create_transaction(s->osip, ev);

	if (tr == NULL) {
		sip_drop(s, SIP_DROP_INVALID, "no transaction for request");
		osip_event_free(ev);
		return;
	}
	osip_transaction_set_out_socket(tr, s->udp.fd);
	sip_shorten(tr);
	sip_index_add(s->index, tr);
	osip_transaction_add_event(tr, ev);
	sip_wake(s);
}

void
sip_input(struct sip *s, const char *buf, size_t len)
{
	osip_event_t *ev;
	const char *why;
	size_t i;

	sip_trace_msg("received", buf, len);
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (i == len)
		return;		/* keep-alive */
	if ((ev = osip_parse(buf, len)) == NULL || ev->sip == NULL) {
		sip_drop(s, SIP_DROP_PARSE, "osip2 cannot parse it");
		if (ev != NULL)
			osip_event_free(ev);
		return;
	}
	if ((why = sipmsg_check(ev->sip)) != NULL) {
		sip_drop(s, SIP_DROP_INVALID, why);
		osip_event_free(ev);
		return;
	}
	if (sip_index_add_event(s->index, s->osip, ev) == 0) {
		sip_wake(s);
		return;
	}
	if (MSG_IS_REQUEST(ev->sip) && !MSG_IS_ACK(ev->sip) &&
	    s->hooks->unmatched(s->arg, ev->sip)) {
		sip_new_server(s, ev);
		return;
	}
	if (MSG_IS_RESPONSE(ev->sip) || MSG_IS_ACK(ev->sip))
		(void)s->hooks->unmatched(s->arg, ev->sip);
	osip_event_free(ev);
}

static void
sip_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct sip *s = arg;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < SIP_BATCH; i++) {
		n = recv(fd, s->buf, SIP_BUFSIZE, MSG_TRUNC);
		if (n == -1) {
			if (errno == ECONNREFUSED) {
				if (s->hooks->refused != NULL)
					s->hooks->refused(s->arg);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("receive from %s:%u", s->udp.proxy_host,
				    s->udp.proxy_port);
			break;
		}
		if (n > SIP_BUFSIZE - 1) {
			sip_drop(s, SIP_DROP_OVERSIZE, "larger than 64 KB");
			continue;
		}
		sip_input(s, s->buf, (size_t)n);
	}
	sip_run(s);
}

struct sip *
sip_new(struct event_base *base, const char *proxy,
    const struct sip_hooks *hooks, void *arg, int *status)
{
	static int traced;
	struct sip *s = xcalloc(1, sizeof(*s));

	s->udp.fd = -1;
	s->base = base;
	s->hooks = hooks;
	s->arg = arg;
	if ((*status = sip_udp_open(&s->udp, proxy)) != EX_MD_OK) {
		free(s);
		return NULL;
	}
	if (!traced++)
		osip_trace_initialize_func(OSIP_WARNING, sip_trace);
	if (osip_init(&s->osip) != 0)
		fatalx(EX_MD_INTERNAL, "osip_init failed");
	osip_set_application_context(s->osip, s);
	sip_callbacks(s->osip);
	s->index = sip_index_new();
	s->buf = xmalloc(SIP_BUFSIZE);
	s->read_ev = event_new(base, s->udp.fd, EV_READ | EV_PERSIST, sip_on_read,
	    s);
	s->tick_ev = event_new(base, -1, EV_PERSIST, sip_on_tick, s);
	s->run_ev = event_new(base, -1, 0, sip_on_run, s);
	if (s->read_ev == NULL || s->tick_ev == NULL || s->run_ev == NULL)
		fatalx(EX_MD_INTERNAL, "event_new failed");
	event_add(s->read_ev, NULL);
	log_debug("SIP on udp %s:%u, proxy %s:%u", s->udp.local_host,
	    s->udp.local_port, s->udp.proxy_host, s->udp.proxy_port);
	return s;
}

static void
sip_free_list(struct sip *s, osip_list_t *l)
{
	osip_transaction_t *tr;

	while ((tr = osip_list_get(l, 0)) != NULL)
		sip_transaction_free(s, tr);
}

void
sip_free(struct sip *s)
{
	if (s == NULL)
		return;
	event_free(s->read_ev);
	event_free(s->tick_ev);
	event_free(s->run_ev);
	sip_reap(s);
	sip_free_list(s, &s->osip->osip_ict_transactions);
	sip_free_list(s, &s->osip->osip_ist_transactions);
	sip_free_list(s, &s->osip->osip_nict_transactions);
	sip_free_list(s, &s->osip->osip_nist_transactions);
	osip_release(s->osip);
	sip_index_free(s->index);
	close(s->udp.fd);
	free(s->dead);
	free(s->buf);
	free(s);
}

const char *
sip_local_host(const struct sip *s)
{
	return s->udp.local_host;
}

unsigned
sip_local_port(const struct sip *s)
{
	return s->udp.local_port;
}

const char *
sip_proxy_host(const struct sip *s)
{
	return s->udp.proxy_host;
}

unsigned
sip_proxy_port(const struct sip *s)
{
	return s->udp.proxy_port;
}

size_t
sip_sockets(const struct sip *s, struct sip_socket *out, size_t max)
{
	if (max < 1)
		return 1;
	out[0].proto = "udp";
	out[0].addr = s->udp.local;
	out[0].addrlen = s->udp.locallen;
	return 1;
}
