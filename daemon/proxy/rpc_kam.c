/*
 * The Kamailio 5.6 RPCs memdiag reads, and the shapes ctl gives them
 * (captured with kamcmd; tests/fixtures/kamailio holds them):
 *
 *   core.shmmem      { total free used real_used max_used fragments }
 *   pkg.stats        { entry pid rank used free real_used total_size
 *                      total_frags desc } per process
 *   core.psx         { IDX PID DSC } per process
 *   tm.stats         { current waiting total ... delayed_free }
 *   mod.mem_stats    "Module: NAME" { "func(line)": bytes ... Total } ""
 *   cfg.get G V      one int
 *   dlg.stats_active { starting connecting answering ongoing all }
 *   dispatcher.list  { NRSETS RECORDS { SET { ID TARGETS { DEST {URI
 *                      FLAGS PRIORITY ...} ... } } ... } }
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "proxy/rpc_kam.h"

struct field {
	const char *name;
	size_t off;
};

#define F(type, m) { #m, offsetof(type, m) }
#define FN(type, n, m) { n, offsetof(type, m) }

static const struct field shmmem_fields[] = {
	F(struct rpc_kam_shmmem, total), F(struct rpc_kam_shmmem, free),
	F(struct rpc_kam_shmmem, used), F(struct rpc_kam_shmmem, real_used),
	F(struct rpc_kam_shmmem, max_used),
	F(struct rpc_kam_shmmem, fragments), { NULL, 0 },
};

static const struct field pkg_fields[] = {
	F(struct rpc_kam_pkg, used), F(struct rpc_kam_pkg, free),
	F(struct rpc_kam_pkg, real_used), F(struct rpc_kam_pkg, total_size),
	F(struct rpc_kam_pkg, total_frags), { NULL, 0 },
};

static const struct field tm_fields[] = {
	F(struct rpc_kam_tm_stats, current),
	F(struct rpc_kam_tm_stats, waiting),
	F(struct rpc_kam_tm_stats, total),
	F(struct rpc_kam_tm_stats, total_local),
	F(struct rpc_kam_tm_stats, rpl_received),
	F(struct rpc_kam_tm_stats, rpl_generated),
	F(struct rpc_kam_tm_stats, rpl_sent),
	FN(struct rpc_kam_tm_stats, "6xx", r6xx),
	FN(struct rpc_kam_tm_stats, "5xx", r5xx),
	FN(struct rpc_kam_tm_stats, "4xx", r4xx),
	FN(struct rpc_kam_tm_stats, "3xx", r3xx),
	FN(struct rpc_kam_tm_stats, "2xx", r2xx),
	F(struct rpc_kam_tm_stats, created),
	F(struct rpc_kam_tm_stats, freed),
	F(struct rpc_kam_tm_stats, delayed_free), { NULL, 0 },
};

static const struct field dlg_fields[] = {
	F(struct rpc_kam_dlg_active, starting),
	F(struct rpc_kam_dlg_active, connecting),
	F(struct rpc_kam_dlg_active, answering),
	F(struct rpc_kam_dlg_active, ongoing),
	F(struct rpc_kam_dlg_active, all), { NULL, 0 },
};

/* The reply, or -1 when the call itself failed (res says why). */
static const struct binrpc_reply *
kam_reply(struct rpc_result *res)
{
	if (res->status != RPC_OK || res->reply == NULL) {
		if (res->error == NULL)
			rpc_result_fail(res, res->status, "%s",
			    rpc_status_name(res->status));
		return NULL;
	}
	return res->reply;
}

/* The first top-level value, which must be of type t. */
static const struct binrpc_val *
kam_first(struct rpc_result *res, enum binrpc_type t)
{
	const struct binrpc_reply *r = kam_reply(res);

	if (r == NULL)
		return NULL;
	if (r->nvals == 0 || r->vals[0].type != t) {
		rpc_result_fail(res, RPC_BADREPLY, "unexpected reply: %s "
		    "instead of %s", r->nvals == 0 ? "nothing" :
		    binrpc_type_name(r->vals[0].type), binrpc_type_name(t));
		return NULL;
	}
	return &r->vals[0];
}

static int
kam_sizes(struct rpc_result *res, const struct binrpc_val *st,
    const struct field *f, void *out)
{
	for (; f->name != NULL; f++) {
		uint64_t *p = (uint64_t *)((char *)out + f->off);

		if (binrpc_member_size(st, f->name, p) == -1) {
			rpc_result_fail(res, RPC_BADREPLY, "unexpected reply: "
			    "no number \"%s\"", f->name);
			return -1;
		}
	}
	return 0;
}

/* Fails a missing module's call with what to do about it. */
static void
kam_module(struct rpc_result *res, const char *module)
{
	if (res->status == RPC_FAULT && res->no_method && res->reply != NULL)
		rpc_result_fail(res, RPC_FAULT, "module %s is not loaded "
		    "(%d %s)", module, res->reply->fault_code,
		    res->reply->fault_msg);
}

struct binrpc_req *
rpc_kam_req_shmmem(void)
{
	return binrpc_req_new("core.shmmem");
}

struct binrpc_req *
rpc_kam_req_pkg_stats(void)
{
	return binrpc_req_new("pkg.stats");
}

struct binrpc_req *
rpc_kam_req_tm_stats(void)
{
	return binrpc_req_new("tm.stats");
}

struct binrpc_req *
rpc_kam_req_psx(void)
{
	return binrpc_req_new("core.psx");
}

struct binrpc_req *
rpc_kam_req_mem_stats(const char *module, const char *pool)
{
	struct binrpc_req *r = binrpc_req_new("mod.mem_stats");

	binrpc_req_add_str(r, module);
	binrpc_req_add_str(r, pool);
	return r;
}

struct binrpc_req *
rpc_kam_req_cfg_get(const char *group, const char *var)
{
	struct binrpc_req *r = binrpc_req_new("cfg.get");

	binrpc_req_add_str(r, group);
	binrpc_req_add_str(r, var);
	return r;
}

struct binrpc_req *
rpc_kam_req_cfg_set_now_int(const char *group, const char *var,
    int32_t value)
{
	struct binrpc_req *r = binrpc_req_new("cfg.set_now_int");

	binrpc_req_add_str(r, group);
	binrpc_req_add_str(r, var);
	binrpc_req_add_int(r, value);
	return r;
}

struct binrpc_req *
rpc_kam_req_version(void)
{
	return binrpc_req_new("core.version");
}

struct binrpc_req *
rpc_kam_req_dlg_active(void)
{
	return binrpc_req_new("dlg.stats_active");
}

struct binrpc_req *
rpc_kam_req_ds_list(void)
{
	return binrpc_req_new("dispatcher.list");
}

int
rpc_kam_shmmem(struct rpc_result *res, struct rpc_kam_shmmem *out)
{
	const struct binrpc_val *st = kam_first(res, BINRPC_STRUCT);

	memset(out, 0, sizeof(*out));
	return st == NULL ? -1 : kam_sizes(res, st, shmmem_fields, out);
}

int
rpc_kam_tm_stats(struct rpc_result *res, struct rpc_kam_tm_stats *out)
{
	const struct binrpc_val *st = kam_first(res, BINRPC_STRUCT);

	memset(out, 0, sizeof(*out));
	return st == NULL ? -1 : kam_sizes(res, st, tm_fields, out);
}

int
rpc_kam_dlg_active(struct rpc_result *res, struct rpc_kam_dlg_active *out)
{
	const struct binrpc_val *st;

	memset(out, 0, sizeof(*out));
	kam_module(res, "dialog");
	if ((st = kam_first(res, BINRPC_STRUCT)) == NULL)
		return -1;
	return kam_sizes(res, st, dlg_fields, out);
}

int
rpc_kam_pkg_stats(struct rpc_result *res, struct rpc_kam_pkg_stats *out)
{
	const struct binrpc_reply *r = kam_reply(res);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	out->procs = xcalloc(r->nvals + 1, sizeof(*out->procs));
	for (i = 0; i < r->nvals; i++) {
		const struct binrpc_val *st = &r->vals[i];
		struct rpc_kam_pkg *p = &out->procs[out->n];
		const char *desc = binrpc_member_str(st, "desc");

		if (st->type != BINRPC_STRUCT ||
		    binrpc_member_int(st, "entry", &p->entry) == -1 ||
		    binrpc_member_int(st, "pid", &p->pid) == -1 ||
		    binrpc_member_int(st, "rank", &p->rank) == -1 ||
		    kam_sizes(res, st, pkg_fields, p) == -1) {
			if (res->status == RPC_OK)
				rpc_result_fail(res, RPC_BADREPLY, "unexpected "
				    "reply: process %zu is not {entry pid "
				    "rank ...}", i);
			rpc_kam_pkg_stats_clear(out);
			return -1;
		}
		p->desc = xstrdup(desc != NULL ? desc : "");
		out->n++;
	}
	return 0;
}

int
rpc_kam_psx(struct rpc_result *res, struct rpc_kam_procs *out)
{
	const struct binrpc_reply *r = kam_reply(res);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	out->procs = xcalloc(r->nvals + 1, sizeof(*out->procs));
	for (i = 0; i < r->nvals; i++) {
		const struct binrpc_val *st = &r->vals[i];
		struct rpc_kam_proc *p = &out->procs[out->n];
		const char *desc = binrpc_member_str(st, "DSC");

		if (binrpc_member_int(st, "IDX", &p->idx) == -1 ||
		    binrpc_member_int(st, "PID", &p->pid) == -1) {
			rpc_result_fail(res, RPC_BADREPLY, "unexpected reply: "
			    "process %zu is not {IDX PID DSC}", i);
			rpc_kam_procs_clear(out);
			return -1;
		}
		p->desc = xstrdup(desc != NULL ? desc : "");
		out->n++;
	}
	return 0;
}

/* "func(line)" as ctl names a site; line -1 if the name has none. */
static void
kam_site(struct rpc_kam_site *s, const char *name)
{
	size_t n = strlen(name), i;
	const char *open = strrchr(name, '(');

	s->line = -1;
	if (open != NULL && n >= 3 && name[n - 1] == ')' &&
	    open < name + n - 2) {
		int64_t line = 0;

		for (i = (size_t)(open - name) + 1; i < n - 1; i++) {
			if (name[i] < '0' || name[i] > '9' || line > 1000000000)
				break;
			line = line * 10 + (name[i] - '0');
		}
		if (i == n - 1) {
			s->func = xstrndup(name, (size_t)(open - name));
			s->line = line;
			return;
		}
	}
	s->func = xstrdup(name);
}

int
rpc_kam_mem_stats(struct rpc_result *res, struct rpc_kam_mem_stats *out)
{
	const struct binrpc_reply *r = kam_reply(res);
	struct rpc_kam_mod_mem *m = NULL;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	out->mods = xcalloc(r->nvals + 1, sizeof(*out->mods));
	for (i = 0; i < r->nvals; i++) {
		const struct binrpc_val *v = &r->vals[i];

		if (v->type == BINRPC_STR && strncmp(v->u.str.s, "Module: ",
		    8) == 0) {
			m = &out->mods[out->n++];
			m->module = xstrdup(v->u.str.s + 8);
			continue;
		}
		if (v->type == BINRPC_STR && v->u.str.len == 0)
			continue;
		if (v->type != BINRPC_STRUCT || m == NULL) {
			rpc_result_fail(res, RPC_BADREPLY, "unexpected reply: "
			    "value %zu is not \"Module: NAME\" or its sites", i);
			rpc_kam_mem_stats_clear(out);
			return -1;
		}
		m->sites = xreallocarray(m->sites, m->nsites + v->u.list.n + 1,
		    sizeof(*m->sites));
		for (j = 0; j < v->u.list.n; j++) {
			const struct binrpc_val *e = &v->u.list.v[j];
			struct rpc_kam_site *s = &m->sites[m->nsites];
			uint64_t bytes;

			if (e->name == NULL || binrpc_val_size(e, &bytes) == -1)
				continue;
			if (strcmp(e->name, "Total") == 0) {
				m->total += bytes;
				continue;
			}
			kam_site(s, e->name);
			s->bytes = bytes;
			m->nsites++;
		}
	}
	return 0;
}

int
rpc_kam_cfg_int(struct rpc_result *res, int64_t *out)
{
	const struct binrpc_val *v = kam_first(res, BINRPC_INT);

	*out = 0;
	if (v == NULL)
		return -1;
	*out = v->u.i;
	return 0;
}

int
rpc_kam_done(struct rpc_result *res)
{
	return kam_reply(res) == NULL ? -1 : 0;
}

int
rpc_kam_version(struct rpc_result *res, char **out)
{
	const struct binrpc_val *v = kam_first(res, BINRPC_STR);

	*out = v != NULL ? xstrdup(v->u.str.s) : NULL;
	return v != NULL ? 0 : -1;
}

static void
kam_ds_set(struct rpc_kam_ds_set *set, const struct binrpc_val *st)
{
	const struct binrpc_val *t = binrpc_member(st, "TARGETS");
	size_t i;

	if (binrpc_member_int(st, "ID", &set->id) == -1)
		set->id = -1;
	if (t == NULL || t->type != BINRPC_STRUCT)
		return;
	set->dests = xcalloc(t->u.list.n + 1, sizeof(*set->dests));
	for (i = 0; i < t->u.list.n; i++) {
		const struct binrpc_val *d = &t->u.list.v[i];
		struct rpc_kam_ds_dest *dst = &set->dests[set->n];
		const char *uri = binrpc_member_str(d, "URI");
		const char *flags = binrpc_member_str(d, "FLAGS");

		if (d->type != BINRPC_STRUCT || uri == NULL)
			continue;
		dst->uri = xstrdup(uri);
		dst->flags = xstrdup(flags != NULL ? flags : "");
		if (binrpc_member_int(d, "PRIORITY", &dst->priority) == -1)
			dst->priority = 0;
		set->n++;
	}
}

int
rpc_kam_ds_list(struct rpc_result *res, struct rpc_kam_ds_list *out)
{
	const struct binrpc_val *st, *rec;
	size_t i;

	memset(out, 0, sizeof(*out));
	kam_module(res, "dispatcher");
	if ((st = kam_first(res, BINRPC_STRUCT)) == NULL)
		return -1;
	rec = binrpc_member(st, "RECORDS");
	if (rec == NULL || rec->type != BINRPC_STRUCT) {
		rpc_result_fail(res, RPC_BADREPLY, "unexpected reply: no "
		    "RECORDS");
		return -1;
	}
	out->sets = xcalloc(rec->u.list.n + 1, sizeof(*out->sets));
	for (i = 0; i < rec->u.list.n; i++)
		if (rec->u.list.v[i].type == BINRPC_STRUCT)
			kam_ds_set(&out->sets[out->n++], &rec->u.list.v[i]);
	return 0;
}

void
rpc_kam_pkg_stats_clear(struct rpc_kam_pkg_stats *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->procs[i].desc);
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

void
rpc_kam_procs_clear(struct rpc_kam_procs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->procs[i].desc);
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

void
rpc_kam_mem_stats_clear(struct rpc_kam_mem_stats *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->mods[i].nsites; j++)
			free(s->mods[i].sites[j].func);
		free(s->mods[i].sites);
		free(s->mods[i].module);
	}
	free(s->mods);
	memset(s, 0, sizeof(*s));
}

void
rpc_kam_ds_list_clear(struct rpc_kam_ds_list *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->sets[i].n; j++) {
			free(s->sets[i].dests[j].uri);
			free(s->sets[i].dests[j].flags);
		}
		free(s->sets[i].dests);
	}
	free(s->sets);
	memset(s, 0, sizeof(*s));
}
