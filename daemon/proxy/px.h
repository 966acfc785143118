/*
 * px: what the engine asks a proxy over its control interface, one face
 * over each flavour's own (an ops table, px_kam.c: Kamailio's binrpc on
 * its ctl socket; px_os.c: OpenSIPS's MI, JSON-RPC): its version, its
 * shm pool, every process's pkg, its transactions in flight, its
 * requests, and what a gate would hurt. Samples taken while the
 * diagnosis runs (shm, tm, pkg, the request counters) go through the
 * caller's loop (px_sample); the rest, asked before anything is gated or
 * after it opened, are synchronous.
 */
#ifndef MEMDIAG_PROXY_PX_H
#define MEMDIAG_PROXY_PX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proxy/rpc_kam.h"
#include "proxy/target.h"

struct event_base;
struct px;

/* The requests it received, for the observed diagnosis: cumulative, per
 * method as px_methods() names them, the last one the rest. */
#define PX_METHODS 6
struct px_counters {
	double requests[PX_METHODS];
	double inflight;	/* transactions in flight; -1: unknown */
};

/* One sample (px_sample): shm always; the rest as asked. */
struct px_sample {
	const char *err;	/* shm could not be read: why; else NULL */
	struct rpc_kam_shmmem shm;
	bool tm_asked;
	int64_t tm_current;	/* transactions in flight; -1: unknown */
	bool no_tm;		/* the proxy has no tm module */
	bool have_pkg;
	struct rpc_kam_pkg_stats pkg;	/* px owns it: copy what you keep */
	bool have_counters;
	struct px_counters counters;
	/* why there are none (Kamailio without kex); else NULL */
	const char *counters_err;
};

#define PX_TM 0x1
#define PX_PKG 0x2
#define PX_COUNTERS 0x4

typedef void (*px_sample_cb)(const struct px_sample *, void *arg);

/* What a gate would hurt. */
struct px_harm {
	bool dialogs_known;
	uint64_t dialogs, starting, connecting, answering, ongoing;
	char why_dialogs[256];
	bool contacts_known;
	unsigned contacts, expiring;	/* expiring within the budget */
	char why_contacts[256];
};

/*
 * The proxy t (its flavour picks the ops) at addr, its ctl socket
 * (Kamailio) or MI address (OpenSIPS); base carries px_sample. NULL with
 * err when addr is not one this flavour speaks.
 */
struct px *px_new(struct event_base *base, const struct target *t,
    const char *addr, char *err, size_t errlen);
/* Drops samples in flight without calling their callbacks. */
void px_free(struct px *);
const char *px_addr(const struct px *);
/* "kamailio" or "opensips" */
const char *px_flavour(const struct px *);
/* PX_METHODS names: Kamailio counts INVITE, REGISTER, MESSAGE, SUBSCRIBE
 * and OPTIONS apart ("other"); OpenSIPS counts requests in all, the last
 * ("request"), the others stay 0. Static. */
const char *const *px_methods(const struct px *);

/* shm now, and the rest of what is asked; cb runs from the loop. One
 * at a time: px_busy says whether one is on its way. */
void px_sample(struct px *, unsigned what, double timeout, px_sample_cb cb,
    void *arg);
bool px_busy(const struct px *);

/* Synchronous: 0, or -1 with err naming the address and the call. */
char *px_version(struct px *, double timeout, char *err, size_t errlen);
int px_shm(struct px *, double timeout, struct rpc_kam_shmmem *,
    char *err, size_t errlen);
int px_pkg(struct px *, double timeout, struct rpc_kam_pkg_stats *,
    char *err, size_t errlen);
/* Active calls and registrations expiring within budget seconds; never
 * fails: what it cannot tell is said in why_*. */
void px_harm(struct px *, unsigned budget, struct px_harm *);
/* Addresses (URIs) the proxy sends to on its own (dispatcher
 * destinations): allocated, *n of them; none when it cannot tell. */
char **px_peers(struct px *, size_t *n);
/* What it says about itself, for a bundle: {"call": reply, ...} */
json_t *px_about(struct px *);

void px_strings_free(char **, size_t n);

#endif
