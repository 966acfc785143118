/*
 * px over OpenSIPS's MI (mi.c): get_statistics (shmem:, pkmem:,
 * tm:, core:, dialog:), ps, ul_dump, ds_list. OpenSIPS 4.0's new names
 * (statistics:get ...) keep these as aliases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/mi.h"
#include "proxy/px_priv.h"

/* OpenSIPS counts requests in all: each is "request" */
static const char *const os_methods[PX_METHODS] = { "INVITE", "REGISTER",
	"MESSAGE", "SUBSCRIBE", "OPTIONS", "request" };

struct os {
	struct px *px;
	struct mi_async *call;	/* in flight */
	unsigned what;
	double timeout;
	json_t *stats;		/* the sample's statistics */
};

static void *
os_open(struct px *px, char *err, size_t errlen)
{
	struct os *o;

	if (!mi_addr_ok(px->addr, err, errlen))
		return NULL;
	o = xcalloc(1, sizeof(*o));
	o->px = px;
	return o;
}

static void
os_close(void *priv)
{
	struct os *o = priv;

	mi_async_cancel(o->call);
	json_decref(o->stats);
	free(o);
}

static bool
num(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* shmem:'s figures as core.shmmem's */
static int
shm_of(const json_t *s, struct rpc_kam_shmmem *m)
{
	double total, used, real, max, fr, frags;

	if (!num(s, "shmem:total_size", &total) ||
	    !num(s, "shmem:used_size", &used) ||
	    !num(s, "shmem:real_used_size", &real) ||
	    !num(s, "shmem:max_used_size", &max) ||
	    !num(s, "shmem:free_size", &fr))
		return -1;
	if (!num(s, "shmem:fragments", &frags))
		frags = 0;
	m->total = (uint64_t)total;
	m->used = (uint64_t)used;
	m->real_used = (uint64_t)real;
	m->max_used = (uint64_t)max;
	m->free = (uint64_t)fr;
	m->fragments = (uint64_t)frags;
	return 0;
}

/*
 * Every process's pkg: ps's processes (ID, PID, Type) with pkmem:'s
 * "pkmem:ID-used_size" and its kin. A read asks each process (over
 * OpenSIPS's IPC, at most every 2 s) to update its figures and returns
 * those of the last update: they lag by up to a few seconds.
 */
static int
pkg_of(const json_t *stats, const json_t *ps, struct rpc_kam_pkg_stats *st)
{
	const json_t *procs = json_object_get(ps, "Processes"), *p;
	size_t i;

	if (!json_is_array(procs))
		return -1;
	json_array_foreach(procs, i, p) {
		const char *type = json_string_value(json_object_get(p,
		    "Type"));
		json_int_t id = json_integer_value(json_object_get(p, "ID"));
		struct rpc_kam_pkg *k;
		char key[64];
		double used, fr = 0, real = 0, total = 0, frags = 0;

		snprintf(key, sizeof(key), "pkmem:%lld-used_size",
		    (long long)id);
		if (!num(stats, key, &used))
			continue;
		snprintf(key, sizeof(key), "pkmem:%lld-free_size",
		    (long long)id);
		num(stats, key, &fr);
		snprintf(key, sizeof(key), "pkmem:%lld-real_used_size",
		    (long long)id);
		num(stats, key, &real);
		snprintf(key, sizeof(key), "pkmem:%lld-total_size",
		    (long long)id);
		/* 0: the process has not answered its first update yet */
		if (!num(stats, key, &total) || total == 0)
			continue;
		snprintf(key, sizeof(key), "pkmem:%lld-fragments",
		    (long long)id);
		num(stats, key, &frags);
		st->procs = xreallocarray(st->procs, st->n + 1,
		    sizeof(*st->procs));
		k = &st->procs[st->n++];
		memset(k, 0, sizeof(*k));
		k->entry = k->rank = id;
		k->pid = json_integer_value(json_object_get(p, "PID"));
		k->used = (uint64_t)used;
		k->free = (uint64_t)fr;
		k->real_used = (uint64_t)real;
		k->total_size = (uint64_t)total;
		k->total_frags = (uint64_t)frags;
		k->desc = xstrdup(type ? type : "?");
	}
	return st->n > 0 ? 0 : -1;
}

static void
tm_of(const json_t *stats, struct px_sample *s)
{
	double v;

	if (num(stats, "tm:inuse_transactions", &v))
		s->tm_current = (int64_t)v;
	else
		s->no_tm = true;	/* no tm: nothing to wait for */
}

/* core:rcv_requests, tm:inuse_transactions (none without tm) */
static void
counters_of(struct px *px, const json_t *stats)
{
	struct px_counters *c = &px->s.counters;
	double req, fl;

	if (!num(stats, "core:rcv_requests", &req)) {
		snprintf(px->cerr, sizeof(px->cerr), "%s: get_statistics: no "
		    "core:rcv_requests", px->addr);
		px->s.counters_err = px->cerr;
		return;
	}
	c->requests[PX_METHODS - 1] = req;
	c->inflight = num(stats, "tm:inuse_transactions", &fl) ? fl : -1;
	px->s.have_counters = true;
}

static void
on_ps(struct mi_reply *r, void *arg)
{
	struct os *o = arg;

	o->call = NULL;
	if (r->result == NULL || pkg_of(o->stats, r->result,
	    &o->px->s.pkg) != 0) {
		log_debug("%s: ps or pkmem: %s", o->px->addr, r->error[0] ?
		    r->error : "no process's pkg in the reply");
		rpc_kam_pkg_stats_clear(&o->px->s.pkg);
	} else
		o->px->s.have_pkg = true;
	json_decref(o->stats);
	o->stats = NULL;
	px_sample_done(o->px);
}

static void
on_stats(struct mi_reply *r, void *arg)
{
	struct os *o = arg;
	struct px *px = o->px;

	o->call = NULL;
	if (r->result == NULL || shm_of(r->result, &px->s.shm) != 0) {
		snprintf(px->err, sizeof(px->err), "%s", r->error[0] ?
		    r->error : "get_statistics shmem:: a figure missing from "
		    "its reply");
		px->s.err = px->err;
		px_sample_done(px);
		return;
	}
	if (o->what & PX_TM)
		tm_of(r->result, &px->s);
	if (o->what & PX_COUNTERS)
		counters_of(px, r->result);
	if (o->what & PX_PKG) {
		o->stats = json_incref(r->result);
		o->call = mi_call_async(px->base, px->addr, "ps", NULL,
		    o->timeout, on_ps, o);
		return;
	}
	px_sample_done(px);
}

static void
os_sample(struct px *px, unsigned what, double timeout)
{
	struct os *o = px->priv;
	json_t *groups = json_pack("[s]", "shmem:");

	o->what = what;
	o->timeout = timeout;
	if (what & (PX_TM | PX_COUNTERS))
		json_array_append_new(groups, json_string("tm:"));
	if (what & PX_COUNTERS)
		json_array_append_new(groups, json_string("core:"));
	if (what & PX_PKG)
		json_array_append_new(groups, json_string("pkmem:"));
	o->call = mi_call_async(px->base, px->addr, "get_statistics",
	    json_pack("{s:o}", "statistics", groups), timeout, on_stats, o);
}

static char *
os_version(struct px *px, double timeout, char *err, size_t errlen)
{
	const char *v;
	char *out = NULL;
	json_t *r;

	if ((r = mi_result(px->addr, "version", NULL, timeout, err,
	    errlen)) == NULL)
		return NULL;
	if ((v = json_string_value(json_object_get(r, "Server"))) == NULL)
		snprintf(err, errlen, "%s: version: no \"Server\" in its reply",
		    px->addr);
	else
		out = xstrdup(v);
	json_decref(r);
	return out;
}

/* get_statistics of a group: the flat object of "group:name": value, or
 * NULL with err */
static json_t *
stats(struct px *px, const char *group, double timeout, char *err,
    size_t errlen)
{
	return mi_result(px->addr, "get_statistics", json_pack("{s:[s]}",
	    "statistics", group), timeout, err, errlen);
}

static int
os_shm(struct px *px, double timeout, struct rpc_kam_shmmem *m, char *err,
    size_t errlen)
{
	json_t *s = stats(px, "shmem:", timeout, err, errlen);
	int r;

	if (s == NULL)
		return -1;
	if ((r = shm_of(s, m)) != 0)
		snprintf(err, errlen, "%s: get_statistics shmem:: a figure "
		    "missing from its reply", px->addr);
	json_decref(s);
	return r;
}

static int
os_pkg(struct px *px, double timeout, struct rpc_kam_pkg_stats *st,
    char *err, size_t errlen)
{
	json_t *st_all, *ps;
	int r = -1;

	if ((st_all = stats(px, "pkmem:", timeout, err, errlen)) ==
	    NULL)
		return -1;
	if ((ps = mi_result(px->addr, "ps", NULL, timeout, err, errlen)) !=
	    NULL) {
		if ((r = pkg_of(st_all, ps, st)) != 0) {
			snprintf(err, errlen, "%s: get_statistics pkmem:: no "
			    "process's pkg in its reply", px->addr);
			rpc_kam_pkg_stats_clear(st);
		}
		json_decref(ps);
	}
	json_decref(st_all);
	return r;
}

/* ul_dump's "Expires": seconds left, or a word (permanent, expired) */
static void
count_expiring(const json_t *v, unsigned budget, unsigned *n, unsigned *all)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (strcmp(key, "Expires") == 0) {
				(*all)++;
				if (json_is_integer(e) &&
				    json_integer_value(e) >= 0 &&
				    json_integer_value(e) <= (json_int_t)budget)
					(*n)++;
			} else
				count_expiring(e, budget, n, all);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, e)
			count_expiring(e, budget, n, all);
}

static void
os_harm(struct px *px, unsigned budget, struct px_harm *h)
{
	json_t *v;
	double active, early;

	if ((v = stats(px, "dialog:", 3.0, h->why_dialogs,
	    sizeof(h->why_dialogs))) != NULL) {
		if (num(v, "dialog:active_dialogs", &active)) {
			h->dialogs_known = true;
			h->dialogs = (uint64_t)active;
			if (num(v, "dialog:early_dialogs", &early))
				h->starting = (uint64_t)early;
			h->ongoing = h->dialogs > h->starting ? h->dialogs -
			    h->starting : 0;
		} else
			snprintf(h->why_dialogs, sizeof(h->why_dialogs),
			    "%s: no dialog module: its calls cannot be "
			    "counted", px->addr);
		json_decref(v);
	}
	if ((v = mi_result(px->addr, "ul_dump", NULL, 5.0, h->why_contacts,
	    sizeof(h->why_contacts))) != NULL) {
		h->contacts_known = true;
		count_expiring(v, budget, &h->expiring, &h->contacts);
		json_decref(v);
	}
}

/* ds_list's destinations: every "URI" */
static void
uris(const json_t *v, char ***out, size_t *n)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (strcmp(key, "URI") == 0 && json_is_string(e)) {
				*out = xreallocarray(*out, *n + 1,
				    sizeof(**out));
				(*out)[(*n)++] = xstrdup(json_string_value(e));
			} else
				uris(e, out, n);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, e)
			uris(e, out, n);
}

static char **
os_peers(struct px *px, size_t *n)
{
	char err[512], **v = NULL;
	json_t *r;

	if ((r = mi_result(px->addr, "ds_list", NULL, 3.0, err,
	    sizeof(err))) == NULL) {
		log_debug("no dispatcher peers: %s", err);
		return NULL;
	}
	uris(r, &v, n);
	json_decref(r);
	return v;
}

static json_t *
about_call(struct px *px, const char *method, json_t *params)
{
	char err[512];
	json_t *v = mi_result(px->addr, method, params, 5.0, err,
	    sizeof(err));

	return v != NULL ? v : json_pack("{s:s}", "error", err);
}

static json_t *
os_about(struct px *px)
{
	return json_pack("{s:o, s:o, s:o}",
	    "version", about_call(px, "version", NULL),
	    "ps", about_call(px, "ps", NULL),
	    "get_statistics", about_call(px, "get_statistics",
	    json_pack("{s:[s]}", "statistics", "all")));
}

const struct px_ops px_os_ops = {
	.flavour = "opensips",
	.methods = os_methods,
	.open = os_open,
	.close = os_close,
	.sample = os_sample,
	.version = os_version,
	.shm = os_shm,
	.pkg = os_pkg,
	.harm = os_harm,
	.peers = os_peers,
	.about = os_about,
};
