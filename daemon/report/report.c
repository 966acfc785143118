/*
 * Output of analyze and diff. JSON keys follow memdiag(8), JSON; extra keys
 * (incomplete_reason, lines, problems) only add to it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define REPORT_TOP_SITES 10

static json_t *
jnum(uint64_t v)
{
	return v == DUMP_UNKNOWN ? json_null() : json_integer((json_int_t)v);
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jpid(long pid)
{
	return pid >= 0 ? json_integer(pid) : json_null();
}

static json_t *
corruption_json(const struct dump_corruption *c, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s}", "line",
		    (json_int_t)c[i].line, "text", c[i].text));
	return a;
}

static json_t *
dump_json(const struct dump *d)
{
	json_t *o = json_object(), *sites = json_array();
	size_t i;

	json_object_set_new(o, "pid", jpid(d->pid));
	json_object_set_new(o, "process_no", d->process_no >= 0 ?
	    json_integer(d->process_no) : json_null());
	json_object_set_new(o, "pool", jstr(dump_pool_name(d->pool)));
	json_object_set_new(o, "allocator", jstr(dump_alloc_name(d->alloc)));
	json_object_set_new(o, "heap_size", jnum(d->heap_size));
	json_object_set_new(o, "used", jnum(d->used));
	json_object_set_new(o, "real_used", jnum(d->real_used));
	json_object_set_new(o, "free", jnum(d->free));
	json_object_set_new(o, "max_used", jnum(d->max_used));
	json_object_set_new(o, "used_fragments", jnum(d->used_fragments));
	json_object_set_new(o, "free_fragments", jnum(d->free_fragments));
	json_object_set_new(o, "complete", json_boolean(d->complete));
	json_object_set_new(o, "incomplete_reason", jstr(d->incomplete_why));
	json_object_set_new(o, "has_status", json_boolean(d->has_status));
	json_object_set_new(o, "has_fragments",
	    json_boolean(d->has_fragments));
	json_object_set_new(o, "has_summary", json_boolean(d->has_summary));
	json_object_set_new(o, "first_line",
	    json_integer((json_int_t)d->first_line));
	json_object_set_new(o, "last_line",
	    json_integer((json_int_t)d->last_line));
	for (i = 0; i < d->nsites; i++) {
		const struct dump_site *s = &d->sites[i];

		json_array_append_new(sites, json_pack("{s:o, s:s, s:s, s:I, "
		    "s:I, s:I}", "module", jstr(s->module), "file", s->file,
		    "func", s->func, "line", (json_int_t)s->line, "count",
		    (json_int_t)s->count, "bytes", (json_int_t)s->bytes));
	}
	json_object_set_new(o, "sites", sites);
	json_object_set_new(o, "corruption",
	    corruption_json(d->corruption, d->ncorruption));
	return o;
}

json_t *
report_analyze_json(const struct dump_result *r)
{
	json_t *o = json_object(), *dumps = json_array(), *errs = json_array();
	json_t *probs = json_array();
	size_t i;

	for (i = 0; i < r->ndumps; i++)
		json_array_append_new(dumps, dump_json(&r->dumps[i]));
	for (i = 0; i < r->nerrors; i++) {
		const struct dump_memerr *e = &r->errors[i];

		json_array_append_new(errs, json_pack("{s:o, s:o, s:s, s:I, "
		    "s:I}", "pid", jpid(e->pid), "pool",
		    jstr(dump_pool_name(e->pool)), "text", e->text, "count",
		    (json_int_t)e->count, "first_line",
		    (json_int_t)e->first_line));
	}
	for (i = 0; i < r->nproblems; i++) {
		const struct dump_problem *p = &r->problems[i];

		json_array_append_new(probs, json_pack("{s:s, s:I, s:s}",
		    "kind", p->kind == DUMP_PROBLEM_MALFORMED ? "malformed" :
		    "truncated", "line", (json_int_t)p->line, "text", p->text));
	}
	json_object_set_new(o, "dumps", dumps);
	json_object_set_new(o, "memory_errors", errs);
	json_object_set_new(o, "memory_errors_total",
	    json_integer((json_int_t)r->errors_total));
	json_object_set_new(o, "corruption",
	    corruption_json(r->corruption, r->ncorruption));
	json_object_set_new(o, "problems", probs);
	json_object_set_new(o, "lines", json_integer((json_int_t)r->lines));
	return o;
}

const char *
report_bytes(char *buf, size_t len, double b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double a = b < 0 ? -b : b;
	int u = 0;

	while (a >= 1024 && u < 4) {
		a /= 1024;
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", b);
	else
		snprintf(buf, len, "%.1f %s", b, unit[u]);
	return buf;
}

static void
site_name(char *buf, size_t len, const char *module, const char *file,
    const char *func, unsigned long line)
{
	if (module != NULL)
		snprintf(buf, len, "%s: %s: %s(%lu)", module, file, func, line);
	else if (file[0] != '\0')
		snprintf(buf, len, "%s: %s(%lu)", file, func, line);
	else
		snprintf(buf, len, "%s(%lu)", func, line);
}

static void
print_figure(FILE *f, const char *label, uint64_t v)
{
	char b[32];

	if (v == DUMP_UNKNOWN)
		return;
	fprintf(f, "  %-11s %12" PRIu64 "  (%s)\n", label, v,
	    report_bytes(b, sizeof(b), (double)v));
}

static void
dump_text(FILE *f, size_t idx, const struct dump *d)
{
	char site[512];
	size_t i, n;

	fprintf(f, "\ndump %zu: %s", idx + 1,
	    dump_pool_name(d->pool) ? dump_pool_name(d->pool) :
	    "pool unknown");
	if (d->pid >= 0)
		fprintf(f, ", pid %ld", d->pid);
	if (d->process_no >= 0)
		fprintf(f, " (process %d)", d->process_no);
	if (dump_alloc_name(d->alloc))
		fprintf(f, ", %s", dump_alloc_name(d->alloc));
	fprintf(f, ", lines %" PRIu64 "-%" PRIu64 "%s\n", d->first_line,
	    d->last_line, d->has_summary && !d->has_status ? ", summary only" :
	    d->has_fragments ? ", full fragment list" : "");
	if (!d->complete)
		fprintf(f, "  INCOMPLETE: %s\n", d->incomplete_why);
	print_figure(f, "heap size", d->heap_size);
	print_figure(f, "used", d->used);
	print_figure(f, "real used", d->real_used);
	print_figure(f, "free", d->free);
	print_figure(f, "max used", d->max_used);
	if (d->heap_size != DUMP_UNKNOWN && d->real_used != DUMP_UNKNOWN &&
	    d->heap_size > 0)
		fprintf(f, "  %-11s %11.1f%%%s\n", "in use",
		    100.0 * (double)d->real_used / (double)d->heap_size,
		    d->max_used != DUMP_UNKNOWN &&
		    d->max_used * 100 >= d->heap_size * 99 ?
		    "  (max used reached the pool size)" : "");
	if (d->used_fragments != DUMP_UNKNOWN)
		fprintf(f, "  %-11s %12" PRIu64 "\n", "fragments", d->used_fragments);
	if (d->ncorruption > 0)
		fprintf(f, "  CORRUPTION: %zu report(s), first at line %" PRIu64
		    ": %s\n", d->ncorruption, d->corruption[0].line,
		    d->corruption[0].text);
	if (d->nsites == 0)
		return;
	n = d->nsites < REPORT_TOP_SITES ? d->nsites : REPORT_TOP_SITES;
	fprintf(f, "  top %zu of %zu sites by bytes:\n", n, d->nsites);
	fprintf(f, "  %12s %8s  %s\n", "bytes", "count", "site");
	for (i = 0; i < n; i++) {
		const struct dump_site *s = &d->sites[i];

		site_name(site, sizeof(site), s->module, s->file, s->func,
		    s->line);
		fprintf(f, "  %12" PRIu64 " %8" PRIu64 "  %s\n", s->bytes,
		    s->count, site);
	}
}

void
report_analyze_text(FILE *f, const char *name, const struct dump_result *r)
{
	size_t i;

	fprintf(f, "%s: %zu dump%s, %" PRIu64 " memory error line%s, %zu "
	    "corruption report%s (%" PRIu64 " lines)\n", name, r->ndumps,
	    r->ndumps == 1 ? "" : "s", r->errors_total,
	    r->errors_total == 1 ? "" : "s", r->ncorruption,
	    r->ncorruption == 1 ? "" : "s", r->lines);
	if (r->ncorruption > 0) {
		fprintf(f, "\nMEMORY CORRUPTION reported by the allocator:\n");
		for (i = 0; i < r->ncorruption; i++)
			fprintf(f, "  line %" PRIu64 ": %s\n",
			    r->corruption[i].line, r->corruption[i].text);
	}
	if (r->nerrors > 0) {
		fprintf(f, "\nmemory allocation failures (count, pid, pool, "
		    "text):\n");
		for (i = 0; i < r->nerrors; i++) {
			const struct dump_memerr *e = &r->errors[i];
			const char *pool = dump_pool_name(e->pool);

			fprintf(f, "  %6" PRIu64 "  %-7ld %-4s %s\n", e->count,
			    e->pid, pool ? pool : "?", e->text);
		}
		if (r->errors_dropped > 0)
			fprintf(f, "  (%" PRIu64 " more lines with other texts "
			    "not listed)\n", r->errors_dropped);
	}
	for (i = 0; i < r->ndumps; i++)
		dump_text(f, i, &r->dumps[i]);
}

static json_t *
pair_json(const struct diff_pair *p)
{
	json_t *o = json_object(), *sites = json_array();
	size_t i;

	json_object_set_new(o, "pool", jstr(dump_pool_name(p->pool)));
	json_object_set_new(o, "pid_before", jpid(p->before->pid));
	json_object_set_new(o, "pid_after", jpid(p->after->pid));
	json_object_set_new(o, "process_no", p->after->process_no >= 0 ?
	    json_integer(p->after->process_no) : json_null());
	json_object_set_new(o, "used_delta", p->have_used ?
	    json_integer(p->used_delta) : json_null());
	json_object_set_new(o, "real_used_delta", p->have_used ?
	    json_integer(p->real_used_delta) : json_null());
	json_object_set_new(o, "complete", json_boolean(p->before->complete &&
	    p->after->complete));
	json_object_set_new(o, "sites_compared", json_boolean(p->have_sites));
	for (i = 0; i < p->nsites; i++) {
		const struct diff_site *s = &p->sites[i];

		json_array_append_new(sites, json_pack("{s:o, s:s, s:s, s:I, "
		    "s:I, s:I}", "module", jstr(s->module), "file", s->file,
		    "func", s->func, "line", (json_int_t)s->line,
		    "count_delta", (json_int_t)s->count_delta, "bytes_delta",
		    (json_int_t)s->bytes_delta));
	}
	json_object_set_new(o, "sites", sites);
	return o;
}

static json_t *
unpaired_json(const struct dump *const *d, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "pool",
		    jstr(dump_pool_name(d[i]->pool)), "pid", jpid(d[i]->pid),
		    "process_no", d[i]->process_no >= 0 ?
		    json_integer(d[i]->process_no) : json_null()));
	return a;
}

json_t *
report_diff_json(const struct diff_result *r)
{
	json_t *o = json_object(), *pairs = json_array();
	size_t i;

	for (i = 0; i < r->npairs; i++)
		json_array_append_new(pairs, pair_json(&r->pairs[i]));
	json_object_set_new(o, "pairs", pairs);
	json_object_set_new(o, "only_before",
	    unpaired_json(r->only_before, r->nonly_before));
	json_object_set_new(o, "only_after",
	    unpaired_json(r->only_after, r->nonly_after));
	return o;
}

static void
delta_line(FILE *f, const char *label, int64_t d)
{
	char b[32];

	fprintf(f, "  %-10s %+13" PRId64 "  (%s%s)\n", label, d,
	    d > 0 ? "+" : "", report_bytes(b, sizeof(b), (double)d));
}

void
report_diff_text(FILE *f, const struct diff_result *r)
{
	char site[512];
	size_t i, k;

	for (i = 0; i < r->npairs; i++) {
		const struct diff_pair *p = &r->pairs[i];
		const char *pool = dump_pool_name(p->pool);

		fprintf(f, "%s%s, pid %ld -> %ld", i ? "\n" : "",
		    pool ? pool : "pool unknown", p->before->pid,
		    p->after->pid);
		if (p->after->process_no >= 0)
			fprintf(f, " (process %d)", p->after->process_no);
		fprintf(f, "%s\n", p->before->complete && p->after->complete ?
		    "" : "  [a dump is incomplete: figures may be off]");
		if (p->have_used) {
			delta_line(f, "used", p->used_delta);
			delta_line(f, "real used", p->real_used_delta);
		}
		if (!p->have_sites) {
			fprintf(f, "  sites: not compared (a dump lists none)\n");
			continue;
		}
		if (p->nsites == 0) {
			fprintf(f, "  sites: no change\n");
			continue;
		}
		fprintf(f, "  %13s %9s  %s\n", "bytes", "count", "site");
		for (k = 0; k < p->nsites && k < 2 * REPORT_TOP_SITES; k++) {
			const struct diff_site *s = &p->sites[k];

			site_name(site, sizeof(site), s->module, s->file,
			    s->func, s->line);
			fprintf(f, "  %+13" PRId64 " %+9" PRId64 "  %s\n",
			    s->bytes_delta, s->count_delta, site);
		}
		if (p->nsites > k)
			fprintf(f, "  (%zu more sites changed)\n", p->nsites - k);
	}
	for (i = 0; i < r->nonly_before; i++)
		fprintf(f, "\nonly before: %s dump of pid %ld\n",
		    dump_pool_name(r->only_before[i]->pool) ?
		    dump_pool_name(r->only_before[i]->pool) : "unknown-pool",
		    r->only_before[i]->pid);
	for (i = 0; i < r->nonly_after; i++)
		fprintf(f, "\nonly after: %s dump of pid %ld\n",
		    dump_pool_name(r->only_after[i]->pool) ?
		    dump_pool_name(r->only_after[i]->pool) : "unknown-pool",
		    r->only_after[i]->pid);
}

int
report_print_json(FILE *f, json_t *j)
{
	int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	fputc('\n', f);
	return rc;
}
