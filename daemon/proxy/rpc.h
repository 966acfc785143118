/*
 * rpc: an asynchronous client of Kamailio's ctl socket (binrpc) on a
 * caller's libevent base. Every call ends in its callback exactly once,
 * with the reply or a one-line error naming the socket and the method;
 * nothing blocks the loop, and every call has its own deadline.
 */
#ifndef MEMDIAG_RPC_H
#define MEMDIAG_RPC_H

#include <stdint.h>

#include "proxy/binrpc.h"

struct event_base;
struct rpc;

enum rpc_status {
	RPC_OK,
	RPC_FAULT,		/* the proxy answered with an error */
	RPC_UNREACHABLE,	/* cannot connect, send, or the peer closed */
	RPC_TIMEOUT,		/* no complete reply before the deadline */
	RPC_BADREPLY,		/* a reply that is not what it should be */
	RPC_BADADDR,		/* the --rpc spelling is invalid */
};

struct rpc_result {
	enum rpc_status status;
	const char *addr;		/* the socket, as spelled */
	const char *method;
	char *error;			/* "ADDR: METHOD: what"; NULL if OK */
	struct binrpc_reply *reply;	/* RPC_OK and RPC_FAULT, else NULL */
	int no_method;			/* RPC_FAULT: "command X not found" */
};

/*
 * The callback may keep res->reply by setting it to NULL; the rest of res
 * is freed when it returns. It may call rpc_call and rpc_free.
 */
typedef void (*rpc_done_cb)(struct rpc_result *res, void *arg);

/*
 * addr: unix:PATH, unixs:PATH (stream), unixd:PATH (datagram),
 * tcp:HOST:PORT, udp:HOST:PORT ([v6]:PORT; the port defaults to ctl's
 * 2049), or a bare /PATH (stream). NULL with a reason in err when the
 * spelling is invalid. Host names are resolved here, once.
 */
struct rpc *rpc_new(struct event_base *base, const char *addr, char *err,
    size_t errlen);
/* Drops pending calls without calling their callbacks. */
void rpc_free(struct rpc *);
const char *rpc_addr(const struct rpc *);

/*
 * Send req (rpc owns it from now on); cb runs when the reply is in, on an
 * error, or after timeout seconds, never from inside rpc_call_req.
 */
void rpc_call_req(struct rpc *, struct binrpc_req *req, double timeout,
    rpc_done_cb cb, void *arg);
/* The same with parameters from fmt: 'd' int, 's' string, 'f' double. */
void rpc_call(struct rpc *, double timeout, rpc_done_cb cb, void *arg,
    const char *method, const char *fmt, ...);

/* One call on a private event base, for one-shot commands. */
struct rpc_result *rpc_sync(const char *addr, struct binrpc_req *req,
    double timeout);
void rpc_result_free(struct rpc_result *);

/* Mark res failed (decoders use it): error becomes "ADDR: METHOD: fmt". */
void rpc_result_fail(struct rpc_result *res, enum rpc_status status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *rpc_status_name(enum rpc_status);


#endif
