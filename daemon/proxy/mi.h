/*
 * mi: OpenSIPS's management interface, JSON-RPC 2.0 (jansson on both
 * sides) over the transports a stock install enables:
 *
 *   fifo:PATH[,REPLY_DIR]   mi_fifo: ":REPLY:{request}" written to its
 *                           FIFO, the reply read from a FIFO memdiag makes
 *                           in REPLY_DIR (mi_fifo's reply_dir, default
 *                           /tmp/) for this call only
 *   dgram:PATH              mi_datagram on a unix datagram socket; the
 *                           reply comes back to an abstract socket
 *   dgram:HOST:PORT         mi_datagram on UDP
 *
 * mi_call waits for its reply (the one-shot commands, start-up);
 * mi_call_async hands it to a libevent loop (the diagnosis' samples).
 */
#ifndef MEMDIAG_PROXY_MI_H
#define MEMDIAG_PROXY_MI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct mi_reply {
	json_t *result;		/* the JSON-RPC result; NULL on an error */
	int code;		/* the JSON-RPC error's code; 0: none */
	bool no_method;		/* the proxy does not know the method */
	char error[512];	/* "ADDR: METHOD: what", or "" */
};

/* Is addr spelled as above? (err says why not) */
bool mi_addr_ok(const char *addr, char *err, size_t errlen);

/*
 * Call method with params (an array or object, stolen; NULL: none) and
 * wait at most timeout seconds. 0 with out->result, or -1 with
 * out->error (and out->code where the proxy answered with an error).
 */
int mi_call(const char *addr, const char *method, json_t *params,
    double timeout, struct mi_reply *out);
void mi_reply_clear(struct mi_reply *);
/* The same, for a caller that wants only the result: its own reference,
 * or NULL with the error in err. */
json_t *mi_result(const char *addr, const char *method, json_t *params,
    double timeout, char *err, size_t errlen);

struct event_base;
struct mi_async;
/* The reply (out->result, or out->error); out is cleared after it. */
typedef void (*mi_done_cb)(struct mi_reply *out, void *arg);
/*
 * The same call on base: cb runs exactly once, from the loop (never from
 * inside mi_call_async), with the reply, an error or "no reply in time"
 * after timeout seconds; unless the call is cancelled first.
 */
struct mi_async *mi_call_async(struct event_base *base, const char *addr,
    const char *method, json_t *params, double timeout, mi_done_cb cb,
    void *arg);
/* Drop a call in flight without calling its callback. */
void mi_async_cancel(struct mi_async *);

#endif
