/*
 * px over Kamailio's ctl socket (binrpc, rpc.c and rpc_kam.c): core.shmmem,
 * pkg.stats, tm.stats, stats.get_statistics, dlg.stats_active, ul.dump,
 * dispatcher.list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/px_priv.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"

static const char *const kam_methods[PX_METHODS] = { "INVITE", "REGISTER",
	"MESSAGE", "SUBSCRIBE", "OPTIONS", "other" };
static const char *const kam_stats[PX_METHODS - 1] = {
	"core:rcv_requests_invite", "core:rcv_requests_register",
	"core:rcv_requests_message", "core:rcv_requests_subscribe",
	"core:rcv_requests_options" };

struct kam {
	struct px *px;
	struct rpc *rpc;
	unsigned what;
	double timeout;
	int group;		/* PX_COUNTERS: the statistics group asked */
	double all;		/* core:rcv_requests */
};

static void counters_ask(struct kam *);
static void stat_vals(const struct binrpc_val *, size_t, struct px_counters *,
    double *);

static void *
kam_open(struct px *px, char *err, size_t errlen)
{
	struct kam *k = xcalloc(1, sizeof(*k));

	k->px = px;
	if ((k->rpc = rpc_new(px->base, px->addr, err, errlen)) == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

static void
kam_close(void *priv)
{
	struct kam *k = priv;

	rpc_free(k->rpc);
	free(k);
}

/* The sample's last part, when asked: core: (kex) for the requests,
 * then tmx: for those in flight. */
static void
on_counters(struct rpc_result *res, void *arg)
{
	struct kam *k = arg;
	struct px_sample *s = &k->px->s;
	double sum = 0;
	size_t i;

	if (res->status == RPC_OK && res->reply != NULL) {
		stat_vals(res->reply->vals, res->reply->nvals, &s->counters,
		    &k->all);
		if (k->group == 0)
			s->have_counters = true;
	} else if (k->group == 0) {
		snprintf(k->px->cerr, sizeof(k->px->cerr), "%s: no request "
		    "counters (is kex loaded?)", res->error ? res->error :
		    "stats.get_statistics");
		s->counters_err = k->px->cerr;
	}
	if (++k->group < 2) {
		counters_ask(k);
		return;
	}
	for (i = 0; i < PX_METHODS - 1; i++)
		sum += s->counters.requests[i];
	s->counters.requests[PX_METHODS - 1] = k->all > sum ? k->all - sum :
	    0;
	if (!s->have_counters) {
		memset(&s->counters, 0, sizeof(s->counters));
		s->counters.inflight = -1;
	}
	px_sample_done(k->px);
}

static void
counters_ask(struct kam *k)
{
	static const char *const groups[] = { "core:", "tmx:" };
	struct binrpc_req *req = binrpc_req_new("stats.get_statistics");

	binrpc_req_add_str(req, groups[k->group]);
	rpc_call_req(k->rpc, req, k->timeout, on_counters, k);
}

static void
counters_or_done(struct kam *k)
{
	if (k->what & PX_COUNTERS) {
		k->group = 0;
		k->all = -1;
		counters_ask(k);
	} else
		px_sample_done(k->px);
}

static void
on_pkg(struct rpc_result *res, void *arg)
{
	struct kam *k = arg;

	if (rpc_kam_pkg_stats(res, &k->px->s.pkg) == 0)
		k->px->s.have_pkg = true;
	else
		log_debug("%s", res->error);
	counters_or_done(k);
}

static void
pkg_or_done(struct kam *k)
{
	if (k->what & PX_PKG)
		rpc_call_req(k->rpc, rpc_kam_req_pkg_stats(), k->timeout,
		    on_pkg, k);
	else
		counters_or_done(k);
}

static void
on_tm(struct rpc_result *res, void *arg)
{
	struct kam *k = arg;
	struct rpc_kam_tm_stats tm;

	if (rpc_kam_tm_stats(res, &tm) == 0)
		k->px->s.tm_current = (int64_t)tm.current;
	else
		k->px->s.no_tm = res->no_method != 0;
	pkg_or_done(k);
}

static void
on_shm(struct rpc_result *res, void *arg)
{
	struct kam *k = arg;

	if (rpc_kam_shmmem(res, &k->px->s.shm) != 0) {
		snprintf(k->px->err, sizeof(k->px->err), "%s", res->error);
		k->px->s.err = k->px->err;
		px_sample_done(k->px);
		return;
	}
	if (k->what & PX_TM)
		rpc_call_req(k->rpc, rpc_kam_req_tm_stats(), k->timeout,
		    on_tm, k);
	else
		pkg_or_done(k);
}

static void
kam_sample(struct px *px, unsigned what, double timeout)
{
	struct kam *k = px->priv;

	k->what = what;
	k->timeout = timeout;
	rpc_call_req(k->rpc, rpc_kam_req_shmmem(), timeout, on_shm, k);
}

static char *
kam_version(struct px *px, double timeout, char *err, size_t errlen)
{
	struct rpc_result *res;
	char *v = NULL;

	res = rpc_sync(px->addr, rpc_kam_req_version(), timeout);
	if (rpc_kam_version(res, &v) != 0)
		snprintf(err, errlen, "%s", res->error);
	rpc_result_free(res);
	return v;
}

static int
kam_shm(struct px *px, double timeout, struct rpc_kam_shmmem *m, char *err,
    size_t errlen)
{
	struct rpc_result *res;
	int st;

	res = rpc_sync(px->addr, rpc_kam_req_shmmem(), timeout);
	if ((st = rpc_kam_shmmem(res, m)) != 0)
		snprintf(err, errlen, "%s", res->error);
	rpc_result_free(res);
	return st;
}

static int
kam_pkg(struct px *px, double timeout, struct rpc_kam_pkg_stats *st,
    char *err, size_t errlen)
{
	struct rpc_result *res;
	int r;

	res = rpc_sync(px->addr, rpc_kam_req_pkg_stats(), timeout);
	if ((r = rpc_kam_pkg_stats(res, st)) != 0)
		snprintf(err, errlen, "%s", res->error);
	rpc_result_free(res);
	return r;
}

/* "core:rcv_requests_invite = 12", as stats.get_statistics says it */
static void
stat_line(const char *s, struct px_counters *c, double *all)
{
	const char *eq = strstr(s, " = ");
	size_t n, i;

	if (eq == NULL)
		return;
	n = (size_t)(eq - s);
	for (i = 0; i < PX_METHODS - 1; i++)
		if (strlen(kam_stats[i]) == n &&
		    strncmp(s, kam_stats[i], n) == 0)
			c->requests[i] = strtod(eq + 3, NULL);
	if (n == 17 && strncmp(s, "core:rcv_requests", n) == 0)
		*all = strtod(eq + 3, NULL);
	if (n == 22 && strncmp(s, "tmx:inuse_transactions", 22) == 0)
		c->inflight = strtod(eq + 3, NULL);
}

static void
stat_vals(const struct binrpc_val *v, size_t n, struct px_counters *c,
    double *all)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].type == BINRPC_STR)
			stat_line(v[i].u.str.s, c, all);
		else if (v[i].type == BINRPC_ARRAY ||
		    v[i].type == BINRPC_STRUCT)
			stat_vals(v[i].u.list.v, v[i].u.list.n, c, all);
}

/* Registrations whose contacts expire within the budget (ul.dump). */
static void
count_expiring(const struct binrpc_val *v, unsigned budget, unsigned *n,
    unsigned *all)
{
	size_t i;

	if (v->type == BINRPC_INT && v->name != NULL &&
	    strcmp(v->name, "Expires") == 0) {
		(*all)++;
		if (v->u.i >= 0 && v->u.i <= (int64_t)budget)
			(*n)++;
		return;
	}
	if (v->type != BINRPC_STRUCT && v->type != BINRPC_ARRAY)
		return;
	for (i = 0; i < v->u.list.n; i++)
		count_expiring(&v->u.list.v[i], budget, n, all);
}

static void
kam_harm(struct px *px, unsigned budget, struct px_harm *h)
{
	struct rpc_kam_dlg_active d;
	struct rpc_result *r;
	size_t i;

	r = rpc_sync(px->addr, rpc_kam_req_dlg_active(), 3.0);
	if (rpc_kam_dlg_active(r, &d) == 0) {
		h->dialogs_known = true;
		h->dialogs = d.all;
		h->starting = d.starting;
		h->connecting = d.connecting;
		h->answering = d.answering;
		h->ongoing = d.ongoing;
	} else
		snprintf(h->why_dialogs, sizeof(h->why_dialogs), "%s",
		    r->error ? r->error : "dlg.stats_active failed");
	rpc_result_free(r);
	r = rpc_sync(px->addr, binrpc_req_new("ul.dump"), 5.0);
	if (r->status == RPC_OK && r->reply != NULL) {
		h->contacts_known = true;
		for (i = 0; i < r->reply->nvals; i++)
			count_expiring(&r->reply->vals[i], budget,
			    &h->expiring, &h->contacts);
	} else
		snprintf(h->why_contacts, sizeof(h->why_contacts), "%s",
		    r->error ? r->error : "ul.dump failed");
	rpc_result_free(r);
}

static char **
kam_peers(struct px *px, size_t *n)
{
	struct rpc_kam_ds_list l;
	struct rpc_result *r = rpc_sync(px->addr, rpc_kam_req_ds_list(), 3.0);
	char **v = NULL;
	size_t i, j;

	if (rpc_kam_ds_list(r, &l) != 0) {
		log_debug("no dispatcher peers: %s", r->error ? r->error : "?");
		rpc_result_free(r);
		return NULL;
	}
	rpc_result_free(r);
	for (i = 0; i < l.n; i++)
		for (j = 0; j < l.sets[i].n; j++) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrdup(l.sets[i].dests[j].uri);
		}
	rpc_kam_ds_list_clear(&l);
	return v;
}

/* One RPC's first value, or {"error": ...}. */
static json_t *
call_json(struct px *px, const char *method, const char *a1, const char *a2)
{
	struct binrpc_req *req = binrpc_req_new(method);
	struct rpc_result *r;
	json_t *j, *v;

	if (a1 != NULL)
		binrpc_req_add_str(req, a1);
	if (a2 != NULL)
		binrpc_req_add_str(req, a2);
	r = rpc_sync(px->addr, req, 5.0);
	if (r->status != RPC_OK || r->reply == NULL) {
		j = json_pack("{s:s}", "error", r->error ? r->error : "?");
		rpc_result_free(r);
		return j;
	}
	j = binrpc_reply_json(r->reply);
	rpc_result_free(r);
	/* one value: itself; several (core.modules): the list */
	if (json_array_size(j) == 1) {
		v = json_incref(json_array_get(j, 0));
		json_decref(j);
		return v;
	}
	return j;
}

static json_t *
kam_about(struct px *px)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	    "core.info", call_json(px, "core.info", NULL, NULL),
	    "core.flags", call_json(px, "core.flags", NULL, NULL),
	    "core.modules", call_json(px, "core.modules", NULL, NULL),
	    "mod.stats", call_json(px, "mod.stats", "all", "all"),
	    "shm.info", call_json(px, "shm.info", NULL, NULL),
	    "pkg.info", call_json(px, "pkg.info", NULL, NULL));
}

const struct px_ops px_kam_ops = {
	.flavour = "kamailio",
	.methods = kam_methods,
	.open = kam_open,
	.close = kam_close,
	.sample = kam_sample,
	.version = kam_version,
	.shm = kam_shm,
	.pkg = kam_pkg,
	.harm = kam_harm,
	.peers = kam_peers,
	.about = kam_about,
};
