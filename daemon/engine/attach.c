/*
 * Attaching to a target: which of its unix sockets answers binrpc, and
 * where its log goes, as discovery found them (proxy/target_discover.c).
 * The commands and the service pick these the same way.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/attach.h"
#include "gate/gate.h"
#include "lib/exitcodes.h"
#include "lib/xmalloc.h"
#include "proxy/mi.h"
#include "proxy/settings.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"
#include "proxy/target.h"

/* OpenSIPS: the first MI address that answers. */
static char *
pick_mi(const struct target *t, char *err, size_t errlen)
{
	struct mi_reply r;
	size_t i;

	for (i = 0; i < t->nctl; i++) {
		bool ok = mi_call(t->ctl[i], "version", NULL, 2.0, &r) == 0;

		mi_reply_clear(&r);
		if (ok)
			return xstrdup(t->ctl[i]);
	}
	snprintf(err, errlen, "%s pid %d: none of its %zu MI addresses "
	    "answers (is mi_datagram or mi_fifo loaded? give --rpc)",
	    t->flavour, (int)t->main.pid, t->nctl);
	return NULL;
}

char *
attach_pick_rpc(const struct target *t, char *err, size_t errlen)
{
	size_t i;

	if (strcmp(t->flavour, "opensips") == 0)
		return pick_mi(t, err, errlen);
	for (i = 0; i < t->nctl; i++) {
		struct rpc_result *r = rpc_sync(t->ctl[i], rpc_kam_req_version(),
		    2.0);
		bool ok = r->status == RPC_OK;

		rpc_result_free(r);
		if (ok)
			return xstrdup(t->ctl[i]);
	}
	snprintf(err, errlen, "%s pid %d: none of its %zu unix sockets "
	    "answers binrpc (is the ctl module loaded? give --rpc)",
	    t->flavour, (int)t->main.pid, t->nctl);
	return NULL;
}

char *
attach_pick_log(const struct target *t, char *err, size_t errlen)
{
	switch (t->log.kind) {
	case TARGET_LOG_FILE:
		return xstrdup(t->log.path);
	case TARGET_LOG_JOURNAL:
		return xstrdup("journal");
	case TARGET_LOG_SYSLOG:
		if (t->log.path != NULL)
			return xstrdup(t->log.path);
		break;
	default:
		break;
	}
	snprintf(err, errlen, "%s pid %d: cannot tell where its log goes (%s)",
	    t->flavour, (int)t->main.pid, t->log.why ? t->log.why : "?");
	return NULL;
}

int
attach_open(const struct attach_opts *o, struct attach *a, char *err,
    size_t errlen)
{
	int st, failed;

	a->t = NULL;
	a->lockfd = -1;
	a->rpc = a->log = NULL;
	if (o->rundir != NULL)
		gate_cleanup(o->rundir, &failed);
	if (o->statedir != NULL)
		settings_cleanup(o->statedir, &failed);
	if ((st = target_open(o->target, NULL, &a->t, err, errlen)) != 0)
		return st;
	if (o->lock && (st = target_lock(a->t, o->rundir, &a->lockfd, err,
	    errlen)) != 0)
		return st;
	if (o->check != NULL && (st = o->check(o->check_arg, a->t, err,
	    errlen)) != 0)
		return st;
	a->rpc = o->rpc ? xstrdup(o->rpc) : attach_pick_rpc(a->t, err, errlen);
	if (a->rpc == NULL && o->need_rpc)
		return EX_MD_UNAVAILABLE;
	a->log = o->log ? xstrdup(o->log) : attach_pick_log(a->t, err, errlen);
	if (a->log == NULL && o->need_log)
		return EX_MD_UNAVAILABLE;
	return 0;
}

void
attach_close(struct attach *a)
{
	if (a->lockfd != -1)
		close(a->lockfd);
	free(a->rpc);
	free(a->log);
	target_free(a->t);
	a->lockfd = -1;
	a->rpc = a->log = NULL;
	a->t = NULL;
}
