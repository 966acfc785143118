/*
 * sip: the SIP engine under the test calls. One osip_t (messages and the
 * four RFC 3261 transaction state machines) on a libevent base, one UDP
 * socket connect()ed to the proxy: it serves both the UAC and the UAS, and
 * the kernel drops datagrams from anyone but the proxy. What arrives is
 * parsed, checked, matched to a transaction or handed to the hooks;
 * anything malformed or unexpected is counted, logged once per kind, and
 * dropped.
 */
#ifndef MEMDIAG_SIP_H
#define MEMDIAG_SIP_H

#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <osip2/osip.h>

struct sip;

/* Shortened timers that only absorb late retransmissions (D, I, J, K). */
#define SIP_ABSORB_MS 0

enum sip_drop {
	SIP_DROP_PARSE,		/* osip2 could not parse it */
	SIP_DROP_INVALID,	/* parsed, but fails sipmsg_check */
	SIP_DROP_STRAY,		/* response outside any transaction */
	SIP_DROP_UNEXPECTED,	/* request nobody expects */
	SIP_DROP_LATE,		/* retransmission after the call ended */
	SIP_DROP_OVERSIZE,	/* datagram too large */
	SIP_DROP_NKINDS
};

struct sip_hooks {
	/* A response for a client transaction: provisional or final. */
	void (*response)(void *arg, osip_transaction_t *, osip_message_t *);
	/* Timer B or F fired, or sending failed: no final response. */
	void (*timeout)(void *arg, osip_transaction_t *);
	/*
	 * A request or response no transaction matched (a new request, an
	 * ACK for a 2xx, a 2xx retransmission). For a request other than
	 * ACK, returning true starts a server transaction and request()
	 * follows; false means it was handled or dropped.
	 */
	bool (*unmatched)(void *arg, osip_message_t *);
	/* A new server transaction: answer it with sip_respond. */
	void (*request)(void *arg, osip_transaction_t *, osip_message_t *);
	/* A transaction ends; it is freed after the hook returns. */
	void (*killed)(void *arg, osip_transaction_t *);
	/* The proxy's host refused a datagram (ICMP port unreachable). */
	void (*refused)(void *arg);
};

struct sip_socket {
	const char *proto;	/* "udp" */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/*
 * A socket for proxy "HOST:PORT" (a name is resolved once, here).
 * *status: 64 for a malformed address, 69 if it cannot be reached.
 */
struct sip *sip_new(struct event_base *, const char *proxy,
    const struct sip_hooks *, void *arg, int *status);
void sip_free(struct sip *);

/* Our address as it goes into Via and Contact, and the proxy's. */
const char *sip_local_host(const struct sip *);
unsigned sip_local_port(const struct sip *);
const char *sip_proxy_host(const struct sip *);
unsigned sip_proxy_port(const struct sip *);

/* Every socket the engine uses (the traffic gate must exempt them). */
size_t sip_sockets(const struct sip *, struct sip_socket *, size_t max);

/* Sends a request in a new client transaction, which owns req. */
osip_transaction_t *sip_request(struct sip *, osip_message_t *req);
/* Answers a server transaction, which owns resp. */
int sip_respond(struct sip *, osip_transaction_t *, osip_message_t *resp);
/*
 * Ends a server transaction that cannot be answered (a request whose
 * response osip2 cannot build); freed once the state machines are idle.
 */
void sip_discard(struct sip *, osip_transaction_t *);
/* Sends outside any transaction (ACK for a 2xx); msg stays the caller's. */
int sip_send(struct sip *, osip_message_t *msg);
int sip_send_raw(struct sip *, const char *buf, size_t len);

/* Counts a drop of this kind; the first of each kind is logged. */
void sip_drop(struct sip *, enum sip_drop, const char *detail);
uint64_t sip_drops(const struct sip *, enum sip_drop);
const char *sip_drop_name(enum sip_drop);

/* For fuzzing and tests: one datagram through parse, check and dispatch. */
void sip_input(struct sip *, const char *buf, size_t len);

#endif
