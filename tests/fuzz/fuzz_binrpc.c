/*
 * Fuzz target for the binrpc reply decoder: the input is one packet from
 * the ctl socket. Whatever decodes also goes through the JSON view and
 * every typed reader, which walk the tree the way the daemon does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proxy/binrpc.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_readers(struct binrpc_reply *r)
{
	struct rpc_result res = { RPC_OK, "fuzz", "fuzz", NULL, r, 0 };
	struct rpc_kam_shmmem shm;
	struct rpc_kam_pkg_stats pkg;
	struct rpc_kam_tm_stats tm;
	struct rpc_kam_procs ps;
	struct rpc_kam_mem_stats ms;
	struct rpc_kam_dlg_active dlg;
	struct rpc_kam_ds_list ds;
	int64_t i;
	char *s = NULL;
	int k;

	res.status = r->fault ? RPC_FAULT : RPC_OK;
	res.no_method = r->fault;
	for (k = 0; k < 10; k++) {
		switch (k) {
		case 0:
			rpc_kam_shmmem(&res, &shm);
			break;
		case 1:
			if (rpc_kam_pkg_stats(&res, &pkg) == 0)
				rpc_kam_pkg_stats_clear(&pkg);
			break;
		case 2:
			rpc_kam_tm_stats(&res, &tm);
			break;
		case 3:
			if (rpc_kam_psx(&res, &ps) == 0)
				rpc_kam_procs_clear(&ps);
			break;
		case 4:
			if (rpc_kam_mem_stats(&res, &ms) == 0)
				rpc_kam_mem_stats_clear(&ms);
			break;
		case 5:
			rpc_kam_cfg_int(&res, &i);
			break;
		case 6:
			rpc_kam_version(&res, &s);
			free(s);
			s = NULL;
			break;
		case 7:
			rpc_kam_dlg_active(&res, &dlg);
			break;
		case 8:
			if (rpc_kam_ds_list(&res, &ds) == 0)
				rpc_kam_ds_list_clear(&ds);
			break;
		case 9:
			rpc_kam_done(&res);
			break;
		}
		free(res.error);
		res.error = NULL;
		res.status = r->fault ? RPC_FAULT : RPC_OK;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct binrpc_reply *r = binrpc_reply_decode(data, size, err,
	    sizeof(err));
	size_t len;
	const char *e;
	json_t *j;
	char *s;

	binrpc_frame(data, size, &len, &e);
	if (r == NULL)
		return 0;
	j = binrpc_reply_json(r);
	s = json_dumps(j, JSON_ENCODE_ANY);
	free(s);
	json_decref(j);
	fuzz_readers(r);
	binrpc_reply_free(r);
	return 0;
}
