/*
 * rpc_kam: the Kamailio RPCs the diagnosis uses, as requests to build and
 * replies to read into C structs. Pure: rpc.c carries them.
 *
 * Every rpc_kam_*() reader takes a finished call's result and returns 0
 * with *out filled, or -1 with res->status and res->error saying why (a
 * transport error, a fault, or a reply of the wrong shape). Structs with
 * a _clear() own strings and arrays.
 */
#ifndef MEMDIAG_RPC_KAM_H
#define MEMDIAG_RPC_KAM_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/binrpc.h"
#include "proxy/rpc.h"

/* core.shmmem: fragments counts FREE fragments; max_used never resets. */
struct rpc_kam_shmmem {
	uint64_t total, free, used, real_used, max_used, fragments;
};

/* pkg.stats: one per process */
struct rpc_kam_pkg {
	int64_t entry, pid, rank;
	uint64_t used, free, real_used, total_size, total_frags;
	char *desc;
};
struct rpc_kam_pkg_stats {
	struct rpc_kam_pkg *procs;
	size_t n;
};

struct rpc_kam_tm_stats {
	uint64_t current, waiting, total, total_local, rpl_received,
	    rpl_generated, rpl_sent, r6xx, r5xx, r4xx, r3xx, r2xx, created,
	    freed, delayed_free;
};

/* core.psx: IDX is the process_no of log prefixes. */
struct rpc_kam_proc {
	int64_t idx, pid;
	char *desc;
};
struct rpc_kam_procs {
	struct rpc_kam_proc *procs;
	size_t n;
};

/* mod.mem_stats MOD shm|pkg: "function(line): bytes", no file names. */
struct rpc_kam_site {
	char *func;
	int64_t line;		/* -1 when the name has no (line) */
	uint64_t bytes;
};
struct rpc_kam_mod_mem {
	char *module;
	struct rpc_kam_site *sites;
	size_t nsites;
	uint64_t total;		/* the reply's own "Total" */
};
struct rpc_kam_mem_stats {
	struct rpc_kam_mod_mem *mods;
	size_t n;
};

/* dlg.stats_active */
struct rpc_kam_dlg_active {
	uint64_t starting, connecting, answering, ongoing, all;
};

/* dispatcher.list */
struct rpc_kam_ds_dest {
	char *uri, *flags;
	int64_t priority;
};
struct rpc_kam_ds_set {
	int64_t id;
	struct rpc_kam_ds_dest *dests;
	size_t n;
};
struct rpc_kam_ds_list {
	struct rpc_kam_ds_set *sets;
	size_t n;
};

struct binrpc_req *rpc_kam_req_shmmem(void);
struct binrpc_req *rpc_kam_req_pkg_stats(void);
struct binrpc_req *rpc_kam_req_tm_stats(void);
struct binrpc_req *rpc_kam_req_psx(void);
/* pool: "shm" or "pkg"; module: a module name or "all" */
struct binrpc_req *rpc_kam_req_mem_stats(const char *module, const char *pool);
struct binrpc_req *rpc_kam_req_cfg_get(const char *group, const char *var);
struct binrpc_req *rpc_kam_req_cfg_set_now_int(const char *group,
    const char *var, int32_t value);
struct binrpc_req *rpc_kam_req_version(void);
struct binrpc_req *rpc_kam_req_dlg_active(void);
struct binrpc_req *rpc_kam_req_ds_list(void);

int rpc_kam_shmmem(struct rpc_result *, struct rpc_kam_shmmem *out);
int rpc_kam_pkg_stats(struct rpc_result *, struct rpc_kam_pkg_stats *out);
int rpc_kam_tm_stats(struct rpc_result *, struct rpc_kam_tm_stats *out);
int rpc_kam_psx(struct rpc_result *, struct rpc_kam_procs *out);
int rpc_kam_mem_stats(struct rpc_result *, struct rpc_kam_mem_stats *out);
int rpc_kam_cfg_int(struct rpc_result *, int64_t *out);
/* cfg.set_now_int: only success or failure */
int rpc_kam_done(struct rpc_result *);
int rpc_kam_version(struct rpc_result *, char **out);
/* these two fail with "module X is not loaded" when it is absent */
int rpc_kam_dlg_active(struct rpc_result *, struct rpc_kam_dlg_active *out);
int rpc_kam_ds_list(struct rpc_result *, struct rpc_kam_ds_list *out);

void rpc_kam_pkg_stats_clear(struct rpc_kam_pkg_stats *);
void rpc_kam_procs_clear(struct rpc_kam_procs *);
void rpc_kam_mem_stats_clear(struct rpc_kam_mem_stats *);
void rpc_kam_ds_list_clear(struct rpc_kam_ds_list *);

#endif
