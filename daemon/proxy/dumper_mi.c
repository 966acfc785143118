/*
 * OpenSIPS's dumps, asked over its MI: shm through mem_shm_dump (the
 * process serving the command prints it), each process's pkg (o->pkg:
 * the main process's too) through mem_pkg_dump, at the lowest log level
 * its processes log, so that every one prints it: nothing on the proxy
 * is changed and no signal is sent. o->wake and o->full are not used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/dumper.h"
#include "proxy/dumper_priv.h"
#include "proxy/mi.h"

static void pkg_next(struct dumper *);

/* One MI command by its 3.x name, or 4.0's where the old one is gone;
 * then next, with d->mi_rc, d->mi_unable and d->err. */
static void
on_dump_reply(struct mi_reply *r, void *arg)
{
	struct dumper *d = arg;

	d->mi = NULL;
	if (r->result == NULL && r->no_method && d->mi_new != NULL) {
		const char *m = d->mi_new;

		d->mi_new = NULL;
		json_incref(d->mi_params);
		d->mi = mi_call_async(d->base, d->addr, m, d->mi_params,
		    DUMPER_RPC_TIMEOUT, on_dump_reply, d);
		return;
	}
	json_decref(d->mi_params);
	d->mi_params = NULL;
	d->mi_rc = r->result != NULL ? 0 : -1;
	snprintf(d->err, sizeof(d->err), "%s", r->error);
	/* a process without OpenSIPS's IPC (the attendant, the MI
	 * listeners) cannot be asked: it says so */
	d->mi_unable = d->mi_rc != 0 &&
	    strstr(r->error, "does not support") != NULL;
	d->mi_next(d);
}

static void
dump_call(struct dumper *d, const char *old, const char *new,
    json_t *params, dumper_step next)
{
	d->mi_new = new;
	d->mi_params = params;
	d->mi_next = next;
	json_incref(params);
	d->mi = mi_call_async(d->base, d->addr, old, params,
	    DUMPER_RPC_TIMEOUT, on_dump_reply, d);
}

static void
pkg_waited(struct dumper *d)
{
	if (d->found)
		dumper_note(d)->path = DUMPER_MI;
	else
		xasprintf(&dumper_note(d)->problem, "no complete pkg dump "
		    "within %.0f s of mem_pkg_dump", d->o.timeout);
	pkg_next(d);
}

static void
pkg_called(struct dumper *d)
{
	if (d->mi_rc != 0 && d->mi_unable) {
		log_info("pid %d (%s): OpenSIPS cannot dump its pkg on demand "
		    "(no IPC there): not asked", (int)d->p->pid,
		    d->p->role ? d->p->role : "?");
		pkg_next(d);
		return;
	}
	dumper_note_add(d, d->p);
	if (d->mi_rc != 0) {
		dumper_note(d)->problem = xstrdup(d->err);
		pkg_next(d);
	} else
		dumper_wait(d, d->p, DUMP_POOL_PKG, d->sums, d->o.timeout,
		    pkg_waited);
}

/* d->i: 0 the main process, then the children */
static void
pkg_next(struct dumper *d)
{
	if (!d->o.pkg || d->i > d->t->nkids) {
		d->err[0] = '\0';
		dumper_finish(d);
		return;
	}
	d->p = d->i == 0 ? &d->t->main : &d->t->kids[d->i - 1];
	d->i++;
	d->mark = dump_parser_mark(d->parser);
	dump_call(d, "mem_pkg_dump", "mem:pkg_dump", json_pack("{s:i, s:i}",
	    "pid", (int)d->p->nspid, "log_level", d->level), pkg_called);
}

static void
shm_waited(struct dumper *d)
{
	if (d->found)
		dumper_note(d)->path = DUMPER_MI;
	else
		xasprintf(&dumper_note(d)->problem, "no complete shm dump "
		    "within %.0f s of mem_shm_dump (log_level %d)",
		    d->o.timeout, d->level);
	pkg_next(d);
}

static void
shm_called(struct dumper *d)
{
	if (d->mi_rc != 0) {
		dumper_note(d)->problem = xstrdup(d->err);
		pkg_next(d);
	} else
		dumper_wait(d, NULL, DUMP_POOL_SHM, d->sums, d->o.timeout,
		    shm_waited);
}

static void
shm_dump(struct dumper *d)
{
	if (!d->o.shm) {
		pkg_next(d);
		return;
	}
	dumper_note_add(d, &d->t->main);
	d->mark = dump_parser_mark(d->parser);
	dump_call(d, "mem_shm_dump", "mem:shm_dump", json_pack("{s:i}",
	    "log_level", d->level), shm_called);
}

/* ps: each process's rank (ID) and role (Type). */
static void
on_ps(struct mi_reply *r, void *arg)
{
	struct dumper *d = arg;
	const json_t *p;
	size_t i;

	d->mi = NULL;
	if (r->result == NULL)
		log_warnx("%s", r->error);
	json_array_foreach(json_object_get(r->result, "Processes"), i, p) {
		struct target_proc *tp = target_find(d->t, (pid_t)
		    json_integer_value(json_object_get(p, "PID")));
		const char *type = json_string_value(json_object_get(p,
		    "Type"));

		if (tp == NULL || type == NULL)
			continue;
		tp->rank = (int)json_integer_value(json_object_get(p, "ID"));
		free(tp->role);
		tp->role = xstrdup(type);
	}
	shm_dump(d);
}

/*
 * OpenSIPS prints a dump at the log level its MI command gives, and only
 * if that level is within the process's own: the lowest of its
 * processes' levels is seen by all.
 */
static void
on_level(struct mi_reply *r, void *arg)
{
	struct dumper *d = arg;
	const json_t *p;
	size_t i;
	bool any = false;

	d->mi = NULL;
	if (r->result == NULL) {
		dumper_fail(d, EX_MD_UNAVAILABLE, r->error);
		return;
	}
	json_array_foreach(json_object_get(r->result, "Processes"), i, p) {
		const json_t *l = json_object_get(p, "Log level");

		if (json_is_integer(l) && (!any || json_integer_value(l) <
		    d->level)) {
			d->level = (int)json_integer_value(l);
			any = true;
		}
	}
	if (!any) {
		snprintf(d->err, sizeof(d->err), "%s: log_level: no process's "
		    "level in its reply", d->addr);
		dumper_fail(d, EX_MD_UNAVAILABLE, d->err);
		return;
	}
	d->mi = mi_call_async(d->base, d->addr, "ps", NULL, DUMPER_RPC_TIMEOUT,
	    on_ps, d);
}

void
dumper_mi_start(struct dumper *d)
{
	/* only a *_DBG allocator prints the sites' summary */
	d->sums = d->t->shm_alloc != NULL &&
	    strstr(d->t->shm_alloc, "_DBG") != NULL;
	d->mi = mi_call_async(d->base, d->addr, "log_level", NULL,
	    DUMPER_RPC_TIMEOUT, on_level, d);
}
