/*
 * hold: the gate held for a while, the same way for `memdiag gate` and
 * for the diagnosis. Before it closes: what it would gate (the proxy's
 * listening addresses), what passes (memdiag's own sockets, the peers
 * given and the proxy's dispatcher destinations), and what it would hurt
 * (active dialogs refuse it without force; registrations that expire
 * meanwhile are counted). While closed: refreshed on a timer with a
 * kernel-side fail-safe no longer than what is left of the budget, opened
 * at the budget, and (if asked) at the proxy's exit. Every RPC it makes
 * is made before the gate closes.
 */
#ifndef MEMDIAG_ENGINE_HOLD_H
#define MEMDIAG_ENGINE_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/gate.h"
#include "proxy/px.h"

struct event_base;
struct target;
struct call_engine;

struct hold_opts {
	const char *backend;		/* nft, hook or none */
	const char *rundir;
	bool force;			/* gate even with calls active */
	bool watch_proxy;		/* open at the proxy's exit */
	/*
	 * What the caller knows: budget, element timeout, hook commands and
	 * timeout, cut_tcp, sources given to pass (self) and peers given.
	 * hold_new adds the proxy's addresses, memdiag's own sockets, the
	 * dispatcher's destinations and the owner. Borrowed.
	 */
	const struct gate_spec *spec;
};

enum hold_end {
	HOLD_BUDGET,		/* the budget is spent: opened */
	HOLD_REFRESH_FAILED,	/* refreshing failed: opened */
	HOLD_PROXY_EXIT,	/* the proxy exited: opened */
};

struct hold;

/*
 * ended: the gate opened by itself (budget, refresh failure with why,
 * the proxy's exit); called once, after it opened.
 *
 * Ready to close: the proxy's addresses and peers known, the harm
 * checked (all over px, before anything is gated). px may be NULL (no
 * harm check, no dispatcher peers: said in the log). *harm is filled
 * where px answers. NULL with *status (64, 77) and err on refusal.
 */
struct hold *hold_new(struct event_base *, const struct hold_opts *,
    const struct target *, struct px *px,
    void (*ended)(void *arg, enum hold_end, const char *why), void *arg,
    struct px_harm *harm, int *status, char *err, size_t errlen);
/* Close it and keep it closed, eng's sockets let through (eng may be
 * NULL): 0, or a status (64, 77, 78, 70) with err; open on failure. */
int hold_close(struct hold *, struct call_engine *eng, char *err,
    size_t errlen);
/* Open it (also from ended's callback): 0, or 70 with err set. */
int hold_open(struct hold *, char *err, size_t errlen);
bool hold_closed(const struct hold *);
/* Seconds of budget left (the budget when never closed). */
double hold_budget_left(const struct hold *);
/* Seconds it was closed in all, and how often it had opened by itself. */
double hold_closed_seconds(const struct hold *);
unsigned hold_lapses(const struct hold *);
const char *hold_backend(const struct hold *);
/* One line: what is gated, what passes, for how long. */
void hold_describe(const struct hold *, char *buf, size_t len);
/* Opens it if closed, then frees. */
void hold_free(struct hold *);

#endif
