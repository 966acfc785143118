/*
 * One binrpc call, waited for on a private event base: for start-up and
 * the commands, before anything is gated or changed on the proxy. The
 * diagnosis' own samples go through rpc_call on its loop instead.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/rpc.h"

static void
rpc_sync_done(struct rpc_result *res, void *arg)
{
	struct rpc_result *out = arg;

	*out = *res;
	out->addr = xstrdup(res->addr);
	out->method = xstrdup(res->method);
	out->error = res->error != NULL ? xstrdup(res->error) : NULL;
	res->reply = NULL;
}

struct rpc_result *
rpc_sync(const char *addr, struct binrpc_req *req, double timeout)
{
	struct rpc_result *res = xcalloc(1, sizeof(*res));
	struct event_base *base;
	struct rpc *rpc;
	char err[512];

	if ((base = event_base_new()) == NULL) {
		res->addr = xstrdup(addr);
		res->method = xstrdup(binrpc_req_method(req));
		rpc_result_fail(res, RPC_UNREACHABLE, "cannot create an event "
		    "base");
		binrpc_req_free(req);
		return res;
	}
	if ((rpc = rpc_new(base, addr, err, sizeof(err))) == NULL) {
		res->addr = xstrdup(addr);
		res->method = xstrdup(binrpc_req_method(req));
		res->status = RPC_BADADDR;
		res->error = xstrdup(err);
		binrpc_req_free(req);
		event_base_free(base);
		return res;
	}
	rpc_call_req(rpc, req, timeout, rpc_sync_done, res);
	event_base_dispatch(base);
	rpc_free(rpc);
	event_base_free(base);
	return res;
}
