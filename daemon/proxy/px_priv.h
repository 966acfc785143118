/* px's flavours: the ops table px.c dispatches to (px.h). */
#ifndef MEMDIAG_PROXY_PX_PRIV_H
#define MEMDIAG_PROXY_PX_PRIV_H

#include "proxy/px.h"

struct px_ops {
	const char *flavour;		/* target's flavour */
	const char *const *methods;	/* PX_METHODS names */
	/* its private state; NULL with err when addr is not its own */
	void *(*open)(struct px *, char *err, size_t errlen);
	void (*close)(void *);		/* drops calls in flight */
	void (*sample)(struct px *, unsigned what, double timeout);
	char *(*version)(struct px *, double, char *, size_t);
	int (*shm)(struct px *, double, struct rpc_kam_shmmem *, char *,
	    size_t);
	int (*pkg)(struct px *, double, struct rpc_kam_pkg_stats *, char *,
	    size_t);
	void (*harm)(struct px *, unsigned budget, struct px_harm *);
	char **(*peers)(struct px *, size_t *n);
	json_t *(*about)(struct px *);
};

struct px {
	const struct px_ops *ops;
	struct event_base *base;
	char *addr;
	void *priv;
	/* the sample in flight: one at a time */
	bool busy;
	struct px_sample s;
	px_sample_cb cb;
	void *arg;
	char err[512];		/* s.err points here */
	char cerr[512];		/* s.counters_err */
};

extern const struct px_ops px_kam_ops, px_os_ops;

/* A flavour's sample is complete (s filled, s.err set on failure). */
void px_sample_done(struct px *);

#endif
