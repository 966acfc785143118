/*
 * The diagnosis' end: what diag_judge.c found, as text or as JSON
 * (memdiag(8), JSON), saved in a bundle where asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/diag_bundle.h"
#include "engine/diag_judge.h"
#include "engine/diag_priv.h"
#include "proxy/dumper.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/report.h"

static void
add_errors(json_t *a, const struct dump_result *r, bool corruption)
{
	size_t i;

	for (i = 0; r != NULL && !corruption && i < r->nerrors; i++)
		json_array_append_new(
		    a, json_pack("{s:I, s:s?, s:s, s:I}", "pid",
				 (json_int_t)r->errors[i].pid, "pool",
				 dump_pool_name(r->errors[i].pool), "text",
				 r->errors[i].text, "count",
				 (json_int_t)r->errors[i].count));
	for (i = 0; r != NULL && corruption && i < r->ncorruption; i++)
		json_array_append_new(a, json_string(r->corruption[i].text));
}

/* Failure lines already in the log before the run. */
static uint64_t
before_lines(const struct diag *d)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; d->log.before != NULL && i < d->log.before->nerrors; i++)
		n += d->log.before->errors[i].count;
	return n;
}

static json_t *
pool_json(const struct diag_pool *p)
{
	json_t *rounds = json_array(), *sus = json_array(), *j;
	size_t i;

	for (i = 0; i < p->in.nrounds; i++) {
		const struct verdict_round *r = &p->in.rounds[i];

		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}", "calls",
		    (json_int_t)r->calls, "completed", (json_int_t)r->completed,
		    "failed", (json_int_t)(r->calls - r->completed),
		    "settled_used", (json_int_t)r->settled_used, "peak_used",
		    (json_int_t)p->peak[i]);

		/* shm the dumps left for a while: not in the floor */
		if (p->pool == DUMP_POOL_SHM) {
			json_object_set_new(o, "dump_transient",
			    json_integer(p->transient[i]));
			json_object_set_new(o, "floor_before_dump",
			    json_boolean(p->before_dump[i]));
		}
		json_array_append_new(rounds, o);
	}
	for (i = 0; i < p->res.nsuspects; i++) {
		const struct verdict_suspect *s = &p->res.suspects[i];

		json_array_append_new(sus, json_pack("{s:s?, s:s?, s:s?, s:I, "
		    "s:f, s:f}", "module", s->module, "file", s->file, "func",
		    s->func, "line", (json_int_t)s->line, "bytes_per_call",
		    s->bytes_per_call, "count_per_call", s->count_per_call));
	}
	j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:o, s:f, s:o, s:I}",
	    "pool", dump_pool_name(p->pool), "pid", (json_int_t)p->pid,
	    "process", p->group ? p->group : "all processes (shared)",
	    "verdict", verdict_name(p->res.verdict), "reason", p->res.reason,
	    "baseline_used", (json_int_t)p->in.baseline_used, "rounds", rounds,
	    "bytes_per_call", p->res.bytes_per_call, "suspects", sus,
	    "processes", (json_int_t)p->nprocs);
	json_object_set_new(j, "heap_size", p->in.heap_size != DUMP_UNKNOWN &&
	    p->in.heap_size > 0 ? json_integer((json_int_t)p->in.heap_size) :
	    json_null());
	return j;
}

static json_t *
report_json(struct diag *d, const struct diag_pools *ps, enum verdict v,
    const char *reason, const struct verdict_recommendation *rec)
{
	json_t *pools = json_array(), *errs = json_array(),
	    *corr = json_array(), *j;
	size_t i, nbefore;

	for (i = 0; i < ps->n; i++)
		json_array_append_new(pools, pool_json(&ps->p[i]));
	/* already in the log before the run (diag_before.c) first */
	add_errors(errs, d->log.before, false);
	nbefore = json_array_size(errs);
	add_errors(errs, d->log.errs, false);
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		add_errors(errs, d->rounds[i].dumps.dumps, false);
		add_errors(corr, d->rounds[i].dumps.dumps, true);
		add_errors(errs, d->rounds[i].kids.dumps, false);
		add_errors(corr, d->rounds[i].kids.dumps, true);
	}
	for (i = 0; i < json_array_size(errs); i++)
		json_object_set_new(json_array_get(errs, i), "before_run",
		    json_boolean(i < nbefore));
	j = json_pack("{s:s, s:s, s:{s:I, s:s?, s:{s:s, s:s}}, "
	    "s:{s:s, s:f, s:I}, s:f, s:{s:f, s:I, s:s}, s:o, s:o, s:o, s:o, "
	    "s:b}",
	    "verdict", verdict_name(v), "reason", reason,
	    "target", "pid", (json_int_t)d->t->main.pid, "version", d->version,
	    "allocators", "shm", diag_judge_allocator(d, DUMP_POOL_SHM), "pkg",
	    diag_judge_allocator(d, DUMP_POOL_PKG),
	    "gate", "backend", d->o->passive ? "none" : d->o->gate,
	    "closed_s", d->gate.closed_s, "lapses", (json_int_t)d->gate.lapses,
	    "quiet_seconds", d->quiet.total,
	    "load", "rate", d->o->passive ? 0.0 : d->calls.rate, "concurrency",
	    (json_int_t)(d->o->passive ? 0 : d->calls.concurrency), "why",
	    d->o->passive ? "passive: no test calls" : d->calls.load_why,
	    "pools", pools,
	    "recommendation", rec ? json_pack("{s:s, s:I, s:s, s:s}", "knob",
	    rec->knob, "value", (json_int_t)rec->value_mb, "unit", "MB",
	    "reasoning", rec->reasoning) : json_null(),
	    "memory_errors", errs, "corruption", corr,
	    "settings_restored", d->restored);
	json_object_set_new(j, "quiet", diag_quiet_json(d));
	json_object_set_new(j, "pkg_stats_frozen", json_boolean(d->pkg_frozen));
	json_object_set_new(
	    j, "before_run",
	    json_pack("{s:s, s:I, s:I, s:I, "
		      "s:I}",
		      "log",
		      d->log.before_what[0] ? d->log.before_what : "not read",
		      "memory_errors", (json_int_t)before_lines(d), "distinct",
		      (json_int_t)nbefore, "shm_max_used",
		      (json_int_t)d->shm_start.max_used, "shm_size",
		      (json_int_t)d->shm_start.total));
	return j;
}

static void
report_text(FILE *f, struct diag *d, const struct diag_pools *ps,
    enum verdict v,
    const char *reason, const struct verdict_recommendation *rec,
    size_t nerr, size_t ncorr)
{
	size_t i, j;

	fprintf(f, "%s pid %d (%s): %s\n  %s\n", d->t->flavour,
	    (int)d->t->main.pid, d->version ? d->version : "?",
	    verdict_name(v), reason);
	fprintf(f, "gate %s, closed %.1f s; quiet %.1f s; load %s\n",
		d->o->passive ? "none" : d->o->gate, d->gate.closed_s,
		d->quiet.total,
		d->o->passive ? "none (passive)" : d->calls.load_why);
	diag_quiet_text(f, d);
	for (i = 0; i < ps->n; i++) {
		const struct diag_pool *p = &ps->p[i];

		fprintf(f, "\n%s %s%s: %s\n  %s\n  baseline %llu",
			dump_pool_name(p->pool),
			p->group ? p->group : "(shared)",
			p->nprocs > 1 ? " (all of them)" : "",
			verdict_name(p->res.verdict), p->res.reason,
			(unsigned long long)p->in.baseline_used);
		for (j = 0; j < p->in.nrounds; j++)
			fprintf(f, "; %llu/%llu calls -> %llu (peak %llu)",
			    (unsigned long long)p->in.rounds[j].completed,
			    (unsigned long long)p->in.rounds[j].calls,
			    (unsigned long long)p->in.rounds[j].settled_used,
			    (unsigned long long)p->peak[j]);
		fprintf(f, "\n");
		for (j = 0; j < p->res.nsuspects && j < 5; j++) {
			const struct verdict_suspect *s = &p->res.suspects[j];

			fprintf(f,
				"  suspect: %s: %s: %s(%lu): %.1f bytes, %.2f "
				"fragments per call\n",
				s->module ? s->module : "?",
				s->file ? s->file : "?",
				s->func ? s->func : "?", s->line,
				s->bytes_per_call, s->count_per_call);
		}
	}
	if (d->gate.lapses > 0)
		fprintf(
		    f,
		    "\nthe gate opened by itself %u time%s while meant to be "
		    "closed: its floors may hold users' traffic\n",
		    d->gate.lapses, d->gate.lapses == 1 ? "" : "s");
	if (rec != NULL)
		fprintf(f, "\nrecommendation: %s\n  %s\n", rec->knob,
		    rec->reasoning);
	fprintf(f,
		"\nmemory errors in the log during the run: %zu; corruption: "
		"%zu; settings restored: %s\n",
		nerr, ncorr, d->restored ? "yes" : "NO");
	fprintf(f, "before the run: %llu memory error%s in the log (%s); "
	    "shm high-water mark %llu of %llu bytes\n",
	    (unsigned long long)before_lines(d), before_lines(d) == 1 ? "" :
	    "s", d->log.before_what[0] ? d->log.before_what : "not read",
	    (unsigned long long)d->shm_start.max_used,
	    (unsigned long long)d->shm_start.total);
}

int
diag_report(struct diag *d)
{
	static struct diag_pools ps;
	struct verdict_recommendation rec;
	enum verdict vs[DIAG_MAX_POOLS], v;
	char reason[600];
	bool corruption = false, have_rec;
	size_t i, nerr = 0, ncorr = 0;
	int nr = d->round, st;
	json_t *j;

	diag_progress_end();	/* the report starts at a clean line */
	if (d->log.parser != NULL) {
		d->log.errs = dump_parser_finish(d->log.parser);
		dumper_keep_target(d->t, d->log.errs);
		d->log.parser = NULL;
		nerr += d->log.errs->nerrors;
	}
	for (i = 0; i <= VERDICT_MAX_ROUNDS; i++) {
		if (d->rounds[i].dumps.dumps != NULL) {
			nerr += d->rounds[i].dumps.dumps->nerrors;
			ncorr += d->rounds[i].dumps.dumps->ncorruption;
		}
		if (d->rounds[i].kids.dumps != NULL) {
			nerr += d->rounds[i].kids.dumps->nerrors;
			ncorr += d->rounds[i].kids.dumps->ncorruption;
		}
	}
	corruption = ncorr > 0;
	diag_judge_pools(d, &ps, nr);
	for (i = 0; i < ps.n; i++)
		vs[i] = ps.p[i].res.verdict;
	v = verdict_overall(vs, ps.n);
	if (d->interrupted) {
		v = VERDICT_INCONCLUSIVE;
		if (d->stop_why[0] != '\0')
			snprintf(reason, sizeof(reason), "%s", d->stop_why);
		else
			snprintf(reason, sizeof(reason), "interrupted in round "
			    "%d", d->round);
	} else if (ps.n == 0) {
		/* nothing was judged: never "healthy" by default */
		v = VERDICT_INCONCLUSIVE;
		snprintf(reason, sizeof(reason), "no pool could be judged: %s",
		    d->budget_spent ? "the gate's budget was spent before "
		    "memory settled (--gate-budget)" : !d->rounds[0].quiet ?
		    "memory never settled (--quiet-max)" :
		    "no dump was taken");
	} else {
		for (i = 0; i < ps.n && ps.p[i].res.verdict != v; i++)
			;
		snprintf(reason, sizeof(reason), "%s %s: %s",
		    dump_pool_name(ps.p[i].pool), ps.p[i].group ?
		    ps.p[i].group : "(shared)", ps.p[i].res.reason);
	}
	have_rec = diag_judge_recommend(d, &ps, &rec);
	st = verdict_status(v, corruption);
	if (d->interrupted)
		st = EX_MD_UNKNOWN;
	j = report_json(d, &ps, v, reason, have_rec ? &rec : NULL);
	if (d->o->quiet_report)
		;
	else if (d->o->nagios)
		nagios_print(j, st);
	else if (d->o->json)
		report_print_json(stdout, j);
	else
		report_text(stdout, d, &ps, v, reason, have_rec ? &rec : NULL,
		    nerr, ncorr);
	if (d->o->bundle != NULL) {
		char *text = NULL;
		size_t len = 0;
		FILE *mf;

		if ((mf = open_memstream(&text, &len)) == NULL)
			fatal(EX_MD_INTERNAL, "open_memstream");
		report_text(mf, d, &ps, v, reason, have_rec ? &rec : NULL,
		    nerr, ncorr);
		fclose(mf);
		diag_bundle_write(d, text, j);
		free(text);
	}
	if (d->o->result != NULL) {
		json_object_set_new(j, "timeline", diag_timeline_json(d));
		*d->o->result = json_incref(j);
	}
	json_decref(j);
	fflush(stdout);
	diag_judge_free(&ps);
	return st;
}
