/*
 * Unit tests of the dump parser on hand-made fixtures (old and foreign
 * formats, damage of every kind) and on dumps captured from a real
 * Kamailio (tests/fixtures/kamailio, written by tests/sh/capture-fixtures.sh),
 * checked against what the proxy itself reported over RPC at the same
 * moment and against each dump's own sums.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "report/report.h"

static const size_t chunks[] = { 0, 1, 7, 4096 };

/* The same findings whatever the chunk boundaries: compare the JSON. */
static void
same_for_every_chunking(const char *rel)
{
	struct dump_result *r0 = fixture_parse(rel, 0);
	json_t *j0, *j;
	size_t i;

	assert_non_null(r0);
	j0 = report_analyze_json(r0);
	for (i = 1; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct dump_result *r = fixture_parse(rel, chunks[i]);

		j = report_analyze_json(r);
		if (!json_equal(j0, j)) {
			char *a = json_dumps(j0, JSON_COMPACT);
			char *b = json_dumps(j, JSON_COMPACT);

			fail_msg("%s: chunk %zu differs:\n%s\n%s", rel,
			    chunks[i], a, b);
		}
		json_decref(j);
		dump_result_free(r);
	}
	json_decref(j0);
	dump_result_free(r0);
}

static void
test_openser1x(void **state)
{
	struct dump_result *r = fixture_parse("hand/openser1x.log", 0);
	const struct dump *d;
	const struct dump_site *s;

	(void)state;
	assert_int_equal(r->ndumps, 1);
	d = &r->dumps[0];
	assert_int_equal(d->pid, 17665);
	assert_int_equal(d->process_no, 0);
	assert_int_equal(d->pool, DUMP_POOL_PKG);
	assert_int_equal(d->alloc, DUMP_ALLOC_QM);
	assert_int_equal(d->heap_size, 1048576);
	assert_int_equal(d->used, 3104);
	assert_int_equal(d->real_used, 3520);
	assert_int_equal(d->free, 1045056);
	assert_int_equal(d->max_used, 3600);
	assert_int_equal(d->used_fragments, 3);
	assert_int_equal(d->free_fragments, 2);
	assert_true(d->complete);
	assert_int_equal(d->nsites, 2);
	s = fixture_site(d, "init_fifo", 310);
	assert_non_null(s);
	assert_null(s->module);
	assert_string_equal(s->file, "fifo_server.c");
	assert_int_equal(s->count, 2);
	assert_int_equal(s->bytes, 2080);
	assert_int_equal(fixture_site_bytes(d), d->used);
	/* "out of mem:" and "cannot allocate memory", pool not named */
	assert_int_equal(r->errors_total, 2);
	assert_int_equal(r->errors[0].pid, 17670);
	assert_int_equal(r->errors[0].pool, DUMP_POOL_UNKNOWN);
	dump_result_free(r);
	same_for_every_chunking("hand/openser1x.log");
}

static void
test_opensips(void **state)
{
	struct dump_result *r = fixture_parse("hand/opensips.log", 0);
	const struct dump *d;
	const struct dump_site *s;

	(void)state;
	assert_int_equal(r->ndumps, 2);
	d = fixture_dump(r, 519996, DUMP_POOL_SHM, 0);
	assert_non_null(d);
	assert_int_equal(d->alloc, DUMP_ALLOC_QM);
	assert_int_equal(d->heap_size, 2147483648ULL);
	assert_int_equal(d->used, 3522720);
	assert_int_equal(d->real_used, 3791672);
	assert_true(d->complete);
	assert_true(d->has_summary);
	assert_int_equal(d->nsites, 3);
	assert_int_equal(d->used_fragments, 8);
	s = &d->sites[0];
	assert_string_equal(s->func, "build_new_dlg");
	assert_string_equal(s->file, "dlg_hash.c");
	assert_null(s->module);
	assert_int_equal(s->line, 180);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->bytes, 3522680);
	assert_int_equal(fixture_site_bytes(d), d->used);
	/* container wrapper: the inner PID is the proxy's */
	d = fixture_dump(r, 12, DUMP_POOL_PKG, 0);
	assert_non_null(d);
	assert_int_equal(d->heap_size, 3221225472ULL);
	/* "failed to walk ... (F FIRST LAST_END)" with F one header past
	 * LAST_END: OpenSIPS's overshoot, nothing left out */
	assert_true(d->complete);
	assert_non_null(fixture_site(d, "new_subnet_table", 336));
	assert_int_equal(r->nerrors, 1);
	assert_int_equal(r->errors[0].pid, 519999);
	assert_int_equal(r->errors[0].pool, DUMP_POOL_SHM);
	assert_non_null(strstr(r->errors[0].text, "not enough free shm"));
	dump_result_free(r);
	same_for_every_chunking("hand/opensips.log");
}

static void
test_kamailio4_syslog(void **state)
{
	struct dump_result *r = fixture_parse("hand/kamailio4-syslog.log", 0);
	const struct dump *d;
	const struct dump_site *s;

	(void)state;
	assert_int_equal(r->ndumps, 1);
	d = &r->dumps[0];
	assert_int_equal(d->pid, 44162);
	assert_int_equal(d->process_no, -1);
	assert_int_equal(d->pool, DUMP_POOL_SHM);
	assert_int_equal(d->heap_size, 1073741824);
	assert_int_equal(d->used, 4360);
	assert_int_equal(d->max_used, 1073689816);
	assert_true(d->complete);
	assert_int_equal(d->used_fragments, 3);
	s = fixture_site(d, "shm_mem_init_mallocs", 179);
	assert_non_null(s);
	assert_string_equal(s->module, "core");	/* "<core>" in 4.x */
	assert_string_equal(s->file, "mem/shm_mem.c");
	s = fixture_site(d, "build_dmq_msg", 201);
	assert_non_null(s);
	assert_string_equal(s->module, "dmq");
	assert_int_equal(s->count, 2);
	assert_int_equal(s->bytes, 4352);
	/* the "#012#011" escaped continuation is part of the hash line */
	assert_int_equal(d->free_fragments, 1);
	dump_result_free(r);
	same_for_every_chunking("hand/kamailio4-syslog.log");
}

/*
 * What users paste into bug reports: the status figures of several
 * processes (the main process's pkg and shm back to back), no header
 * line, and one worker's summary rows. Each run of figures is a dump of
 * its own, incomplete, of the allocator the tag names; a figure seen
 * twice starts the next one.
 */
static void
test_paste_pids(void **state)
{
	struct dump_result *r = fixture_parse("hand/fm-paste-pids.log", 0);
	const struct dump *d;

	(void)state;
	assert_int_equal(r->ndumps, 3);
	d = &r->dumps[0];
	assert_int_equal(d->pid, 8219);
	assert_int_equal(d->heap_size, 4194304);
	assert_int_equal(d->used, 502840);
	assert_int_equal(d->max_used, 594552);
	d = &r->dumps[1];
	assert_int_equal(d->pid, 8219);
	assert_int_equal(d->heap_size, 16777216);
	assert_int_equal(d->used, 2438720);
	d = &r->dumps[2];
	assert_int_equal(d->pid, 8222);
	assert_true(d->has_summary);
	assert_int_equal(fixture_site_bytes(d), d->used);
	for (size_t i = 0; i < r->ndumps; i++) {
		assert_false(r->dumps[i].complete);
		assert_int_equal(r->dumps[i].alloc, DUMP_ALLOC_FM);
		assert_int_equal(r->dumps[i].pool, DUMP_POOL_UNKNOWN);
	}
	dump_result_free(r);
	same_for_every_chunking("hand/fm-paste-pids.log");
}

static void
test_interleaved(void **state)
{
	struct dump_result *r = fixture_parse("hand/interleave.log", 0);
	const struct dump *a, *b;
	const struct dump_site *s;

	(void)state;
	assert_int_equal(r->ndumps, 2);
	a = fixture_dump(r, 5593, DUMP_POOL_PKG, 0);
	b = fixture_dump(r, 5594, DUMP_POOL_PKG, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->process_no, 1);
	assert_int_equal(b->process_no, 2);
	assert_true(a->complete);
	assert_true(b->complete);
	assert_int_equal(a->used, 1488);
	assert_int_equal(b->used, 5800);
	assert_int_equal(a->used_fragments, 4);
	assert_int_equal(b->used_fragments, 3);
	s = fixture_site(a, "pv_cache_add", 349);
	assert_non_null(s);
	assert_int_equal(s->count, 2);
	assert_int_equal(s->bytes, 432);
	assert_null(fixture_site(a, "set_var_value", 119));
	assert_non_null(fixture_site(b, "set_var_value", 119));
	dump_result_free(r);
	same_for_every_chunking("hand/interleave.log");
}

static bool
has_problem(const struct dump_result *r, enum dump_problem_kind kind)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].kind == kind)
			return true;
	return false;
}

static void
test_truncated_mid_line(void **state)
{
	struct dump_result *r = fixture_parse("hand/truncated.log", 0);
	const struct dump *d;
	const struct dump_site *s;

	(void)state;
	assert_int_equal(r->ndumps, 1);
	d = &r->dumps[0];
	assert_int_equal(d->pool, DUMP_POOL_SHM);
	assert_false(d->complete);
	assert_non_null(d->incomplete_why);
	assert_true(has_problem(r, DUMP_PROBLEM_TRUNCATED));
	assert_false(has_problem(r, DUMP_PROBLEM_MALFORMED));
	/* only fragments whose lines arrived whole are counted */
	s = fixture_site(d, "build_cell", 334);
	assert_non_null(s);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->bytes, 3 * 8336);
	assert_int_equal(d->used_fragments, DUMP_UNKNOWN);
	assert_int_equal(d->used, 6 * 8336);	/* the header was whole */
	dump_result_free(r);
	same_for_every_chunking("hand/truncated.log");
}

static void
test_truncated_dump(void **state)
{
	struct dump_result *r = fixture_parse("hand/truncated-lines.log", 0);

	(void)state;
	assert_int_equal(r->ndumps, 1);
	assert_false(r->dumps[0].complete);
	assert_non_null(strstr(r->dumps[0].incomplete_why, "ends before"));
	assert_false(has_problem(r, DUMP_PROBLEM_MALFORMED));
	dump_result_free(r);
}

static void
test_missing_middle(void **state)
{
	struct dump_result *r = fixture_parse("hand/missing-middle.log", 0);

	(void)state;
	assert_int_equal(r->ndumps, 1);
	assert_false(r->dumps[0].complete);
	assert_non_null(strstr(r->dumps[0].incomplete_why, "lines are missing"));
	dump_result_free(r);
}

static void
test_rate_limited(void **state)
{
	struct dump_result *r = fixture_parse("hand/ratelimit.log", 0);
	const struct dump *d;

	(void)state;
	assert_int_equal(r->ndumps, 1);
	d = &r->dumps[0];
	assert_int_equal(d->pid, 6069);
	assert_true(d->has_summary);
	assert_false(d->has_status);
	assert_false(d->complete);
	assert_non_null(strstr(d->incomplete_why, "rate limiting"));
	dump_result_free(r);
}

static void
test_corruption(void **state)
{
	struct dump_result *r = fixture_parse("hand/corruption.log", 0);
	const struct dump *d;

	(void)state;
	assert_int_equal(r->ndumps, 1);
	d = &r->dumps[0];
	assert_int_equal(d->pid, 7001);
	/* the BUG line before the dump, the bad check values, the marker */
	assert_int_equal(d->ncorruption, 3);
	assert_non_null(strstr(d->corruption[0].text, "end overwritten"));
	assert_int_equal(d->corruption[0].line, 1);
	assert_non_null(strstr(d->corruption[1].text, "41414141"));
	/* plus the double free of another process, with no dump of its own */
	assert_int_equal(r->ncorruption, 4);
	assert_non_null(strstr(r->corruption[3].text, "already freed"));
	assert_true(d->complete);
	dump_result_free(r);
	same_for_every_chunking("hand/corruption.log");
}

static const struct dump_memerr *
find_err(const struct dump_result *r, const char *needle)
{
	size_t i;

	for (i = 0; i < r->nerrors; i++)
		if (strstr(r->errors[i].text, needle) != NULL)
			return &r->errors[i];
	return NULL;
}

static void
test_memory_errors(void **state)
{
	struct dump_result *r = fixture_parse("hand/memerrors.log", 0);
	const struct dump_memerr *e;

	(void)state;
	assert_int_equal(r->ndumps, 0);
	assert_int_equal(r->errors_total, 11);
	e = find_err(r, "build_cell(): could not allocate shared memory");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->pid, 20982);
	assert_int_equal(e->pool, DUMP_POOL_SHM);
	/* the log_prefix block and the level are not part of the text */
	assert_string_equal(e->text, "tm [h_table.c:336]: build_cell(): "
	    "could not allocate shared memory from shm pool");
	e = find_err(r, "new_t(): out of mem:");
	assert_non_null(e);
	assert_int_equal(e->pool, DUMP_POOL_UNKNOWN);
	assert_int_equal(find_err(r, "cannot allocate shmem")->pool,
	    DUMP_POOL_SHM);
	assert_int_equal(find_err(r, "private memory from pkg")->pool,
	    DUMP_POOL_PKG);
	assert_int_equal(find_err(r, "rv eval out of memory")->pool,
	    DUMP_POOL_UNKNOWN);
	assert_int_equal(find_err(r, "no more shm")->pool, DUMP_POOL_SHM);
	assert_non_null(find_err(r, "qm_find_free"));
	assert_non_null(find_err(r, "called from tm: h_table.c"));
	assert_null(find_err(r, "SO_RCVBUF"));
	dump_result_free(r);
}

/* OpenSIPS 3.6.8 under Q_MALLOC_DBG, a real shm and pkg dump: its walk
 * overshoots last_frag_end by one header in every dump ("failed to walk
 * through all fragments"), which leaves nothing out; a walk that stopped
 * short does. */
static void
test_opensips36_walk(void **state)
{
	struct dump_result *r = fixture_parse("hand/opensips36-qm-dbg.log", 0);
	const struct dump *d;
	const struct dump_site *s = NULL;
	struct dump_parser *p;
	size_t i;
	static const char short_walk[] =
	    "Dec  4 08:16:51 [20173] NOTICE:Memory status (shm):\n"
	    "Dec  4 08:16:51 [20173] NOTICE:qm_status (0x7f9ed5759000):\n"
	    "Dec  4 08:16:51 [20173] NOTICE: heap size= 33554432\n"
	    "Dec  4 08:16:51 [20173] NOTICE: used= 4648480, used+overhead=4971672, free=28582760\n"
	    "Dec  4 08:16:51 [20173] NOTICE: max used (+overhead)= 5263064\n"
	    "Dec  4 08:16:51 [20173] NOTICE:failed to walk through all fragments (0x7f9ed6000000 0x7f9ed578e4f8 0x7f9ed7758fd0)\n"
	    "Dec  4 08:16:51 [20173] NOTICE: dumping summary of all alloc'ed. fragments:\n"
	    "Dec  4 08:16:51 [20173] NOTICE:----------------------------------------------------\n"
	    "Dec  4 08:16:51 [20173] NOTICE:         48 : 1 x [status_report.c: _create_new_group, line 115]\n"
	    "Dec  4 08:16:51 [20173] NOTICE:----------------------------------------------------\n"
	    "Dec  4 08:16:51 [20173] NOTICE: dumping free list stats :\n"
	    "Dec  4 08:16:51 [20173] NOTICE:-----------------------------\n";

	(void)state;
	assert_int_equal(r->ndumps, 2);
	d = fixture_dump(r, 20173, DUMP_POOL_SHM, 0);
	assert_non_null(d);
	assert_true(d->complete);
	assert_int_equal(d->alloc, DUMP_ALLOC_QM);
	assert_int_equal(d->heap_size, 33554432);
	assert_int_equal(d->used, 4648480);
	for (i = 0; i < d->nsites; i++)
		if (strcmp(d->sites[i].func, "build_cell") == 0)
			s = &d->sites[i];
	assert_non_null(s);
	assert_string_equal(s->file, "h_table.c");
	assert_int_equal(s->count, 80);
	d = fixture_dump(r, 20176, DUMP_POOL_PKG, 0);
	assert_non_null(d);
	assert_true(d->complete);
	dump_result_free(r);
	p = dump_parser_new();
	dump_parser_feed(p, short_walk, sizeof(short_walk) - 1);
	r = dump_parser_finish(p);
	assert_int_equal(r->ndumps, 1);
	assert_false(r->dumps[0].complete);
	dump_result_free(r);
}

/* OpenSIPS 3.6's failures, as its allocators print them (real lines,
 * docs/opensips-lab.md): the pool from "shm"/"pkg", every allocator. */
static void
test_opensips_memory_errors(void **state)
{
	struct dump_result *r = fixture_parse("hand/opensips36-memerr.log", 0);
	const struct dump_memerr *e;

	(void)state;
	assert_int_equal(r->ndumps, 0);
	assert_int_equal(r->errors_total, 4);
	e = find_err(r, "qm_malloc_dbg: not enough free shm");
	assert_non_null(e);
	assert_int_equal(e->pid, 24016);
	assert_int_equal(e->pool, DUMP_POOL_SHM);
	assert_int_equal(find_err(r, "fm_malloc_dbg")->pool, DUMP_POOL_SHM);
	assert_int_equal(find_err(r, "hp_shm_malloc_dbg")->pool,
	    DUMP_POOL_SHM);
	e = find_err(r, "not enough free pkg");
	assert_non_null(e);
	assert_int_equal(e->pool, DUMP_POOL_PKG);
	assert_non_null(strstr(e->text, "increase the \"-M\""));
	dump_result_free(r);
}

/* A short status (mem_summary bit 16) ends without a terminator; a summary
 * printed right after it by the same process for the same pool joins it. */
static void
test_short_status_and_summary(void **state)
{
	static const char log[] =
	    " 0(20979) NOTICE: <core> [main.c:744]: handle_sigs(): Memory status (pkg):\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): (0x7fab12d72000):\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): heap size= 4194304\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): used= 24, used+overhead=136, free=4194168\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): max used (+overhead)= 2679072\n"
	    " 0(20979) NOTICE: <core> [main.c:748]: handle_sigs(): Memory still-in-use summary (pkg):\n"
	    " 0(20979) NOTICE: qm_sums: qm_sums(): summarizing all alloc'ed. fragments:\n"
	    " 0(20979) NOTICE: qm_sums: qm_sums():  count=     1 size=         8 bytes from core: core/sr_module.c: init_modules(1009)\n"
	    " 0(20979) NOTICE: qm_sums: qm_sums():  count=     1 size=        16 bytes from core: core/select.c: register_select_table(458)\n"
	    " 0(20979) NOTICE: qm_sums: qm_sums(): -----------------------------\n"
	    " 0(20979) NOTICE: <core> [main.c:755]: handle_sigs(): Memory status (shm):\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): (0x7fab12d73000):\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): heap size= 4194304\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): used= 2438720, used+overhead=2679072, free=1515232\n"
	    " 0(20979) NOTICE: qm_status: qm_status(): max used (+overhead)= 2679072\n"
	    " 0(20979) INFO: <core> [core/cfg/cfg_ctx.c:599]: cfg_set_now(): core.mem_summary has been changed to 18\n";
	struct dump_result *r;
	const struct dump *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		r = fixture_parse_buf(log, sizeof(log) - 1, chunks[i]);
		assert_int_equal(r->ndumps, 2);
		d = &r->dumps[0];
		assert_int_equal(d->pool, DUMP_POOL_PKG);
		assert_true(d->has_status);
		assert_true(d->has_summary);
		assert_false(d->has_fragments);
		assert_true(d->complete);
		assert_int_equal(d->used, 24);
		assert_int_equal(d->nsites, 2);
		assert_int_equal(d->used_fragments, 2);
		d = &r->dumps[1];
		assert_int_equal(d->pool, DUMP_POOL_SHM);
		assert_true(d->complete);
		assert_false(d->has_summary);
		assert_int_equal(d->used, 2438720);
		assert_int_equal(d->used_fragments, DUMP_UNKNOWN);
		dump_result_free(r);
	}
}

/* A pkg summary that does not add up to its status lost lines. */
static void
test_summary_sum_mismatch(void **state)
{
	static const char log[] =
	    " 1(9) INFO: <core> [main.c:886]: sig_usr(): Memory status (pkg):\n"
	    " 1(9) INFO: fm_status: fm_status(): fm_status (0x7f45b5741010):\n"
	    " 1(9) INFO: fm_status: fm_status():  heap size= 4194304\n"
	    " 1(9) INFO: fm_status: fm_status():  used= 500, used+overhead=576, free=4193728\n"
	    " 1(9) INFO: fm_status: fm_status():  max used (+overhead)= 579520\n"
	    " 1(9) INFO: fm_status: fm_status(): dumping free list:\n"
	    " 1(9) INFO: fm_status: fm_status(): TOTAL:      5 free fragments = 3618304 free bytes\n"
	    " 1(9) INFO: fm_status: fm_status(): -----------------------------\n"
	    " 1(9) INFO: <core> [main.c:890]: sig_usr(): Memory still-in-use summary (pkg):\n"
	    " 1(9) INFO: fm_status: fm_sums(): summarizing all alloc'ed. fragments:\n"
	    " 1(9) INFO: fm_status: fm_sums():  count=     1 size=       400 bytes from a: a.c: f(1)\n"
	    " 1(9) INFO: fm_status: fm_sums(): -----------------------------\n";
	struct dump_result *r = fixture_parse_buf(log, sizeof(log) - 1, 0);

	(void)state;
	assert_int_equal(r->ndumps, 1);
	assert_int_equal(r->dumps[0].alloc, DUMP_ALLOC_FM);
	assert_int_equal(r->dumps[0].free_fragments, 5);
	assert_false(r->dumps[0].complete);
	assert_non_null(strstr(r->dumps[0].incomplete_why, "summary adds up"));
	dump_result_free(r);
}

/* RPC-triggered dumps: header without colon, "of process N". */
static void
test_rpc_triggered(void **state)
{
	static const char log[] =
	    " 6(17365) ALERT: <core> [core/pt.c:583]: mem_dump_shm_fixup(): Memory status (shm)\n"
	    " 6(17365) ALERT: qm_status: qm_status(): (0x7fe997b7e000):\n"
	    " 6(17365) ALERT: qm_status: qm_status(): heap size= 33554432\n"
	    " 6(17365) ALERT: qm_status: qm_status(): used= 2525664, used+overhead=2786920, free=30767512\n"
	    " 6(17365) ALERT: qm_status: qm_status(): max used (+overhead)= 5656680\n"
	    " 6(17365) INFO: <core> [core/cfg/cfg_ctx.c:599]: cfg_set_now(): core.mem_dump_shm has been changed to 1\n"
	    " 1(17360) ALERT: <core> [core/pt.c:555]: mem_dump_pkg_cb(): Memory still-in-use summary (pkg) of process 17360:\n"
	    " 1(17360) ALERT: qm_sums: qm_sums(): summarizing all alloc'ed. fragments:\n"
	    " 1(17360) ALERT: qm_sums: qm_sums():  count=     3 size=       400 bytes from core: core/pvapi.c: pv_cache_add(349)\n"
	    " 1(17360) ALERT: qm_sums: qm_sums(): -----------------------------\n";
	struct dump_result *r = fixture_parse_buf(log, sizeof(log) - 1, 0);

	(void)state;
	assert_int_equal(r->ndumps, 2);
	assert_int_equal(r->dumps[0].pid, 17365);
	assert_int_equal(r->dumps[0].process_no, 6);
	assert_int_equal(r->dumps[0].pool, DUMP_POOL_SHM);
	assert_true(r->dumps[0].complete);
	assert_int_equal(r->dumps[0].max_used, 5656680);
	assert_int_equal(r->dumps[1].pid, 17360);
	assert_int_equal(r->dumps[1].pool, DUMP_POOL_PKG);
	assert_true(r->dumps[1].complete);
	assert_int_equal(r->dumps[1].heap_size, DUMP_UNKNOWN);
	assert_int_equal(r->dumps[1].sites[0].count, 3);
	dump_result_free(r);
}

/* journalctl -o export, with a MESSAGE in the binary encoding because it
 * holds the free list's embedded newline. */
static void
test_journal_export(void **state)
{
	static const char head[] =
	    "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\n_PID=6069\n"
	    "SYSLOG_IDENTIFIER=kamailio\n"
	    "MESSAGE=NOTICE: <core> [main.c:755]: handle_sigs(): Memory status (shm):\n\n"
	    "__CURSOR=s=2\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): (0x7f58cc077000):\n\n"
	    "__CURSOR=s=3\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): heap size= 16777216\n\n"
	    "__CURSOR=s=4\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): used= 2577744, used+overhead=2823296, free=13953920\n\n"
	    "__CURSOR=s=5\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): max used (+overhead)= 2823296\n\n"
	    "__CURSOR=s=6\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): dumping free list stats :\n\n"
	    "__CURSOR=s=7\n_PID=6069\nMESSAGE\n";
	static const char bin[] = "NOTICE: qm_status: qm_status(): hash= 2058. "
	    "fragments no.:     1, unused:     0\n\t\t bucket size:   8388608 -  "
	    "16777216 (first  13953920)";
	static const char tail[] = "\n\n__CURSOR=s=8\n_PID=6069\n"
	    "MESSAGE=NOTICE: qm_status: qm_status(): -----------------------------\n\n";
	char buf[4096];
	size_t n = 0, i;
	uint64_t l = sizeof(bin) - 1;
	struct dump_result *r;

	(void)state;
	memcpy(buf, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	for (i = 0; i < 8; i++)
		buf[n++] = (char)((l >> (8 * i)) & 0xff);
	memcpy(buf + n, bin, sizeof(bin) - 1);
	n += sizeof(bin) - 1;
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		r = fixture_parse_buf(buf, n, chunks[i]);
		assert_true(r->journal_export);
		assert_int_equal(r->nproblems, 0);
		assert_int_equal(r->ndumps, 1);
		assert_int_equal(r->dumps[0].pid, 6069);
		assert_int_equal(r->dumps[0].pool, DUMP_POOL_SHM);
		assert_int_equal(r->dumps[0].used, 2577744);
		assert_int_equal(r->dumps[0].free_fragments, 1);
		assert_true(r->dumps[0].complete);
		dump_result_free(r);
	}
}

/* Malformed numbers are reported with their line, never invented. */
static void
test_malformed_header(void **state)
{
	static const char log[] =
	    " 0(1) INFO: <core> [main.c:755]: handle_sigs(): Memory status (shm):\n"
	    " 0(1) INFO: qm_status: qm_status(): (0x7f02a3ea7000):\n"
	    " 0(1) INFO: qm_status: qm_status(): heap size= 99999999999999999999999\n"
	    " 0(1) INFO: qm_status: qm_status(): used= x, used+overhead=1, free=1\n"
	    " 0(1) INFO: qm_status: qm_status(): -----------------------------\n";
	struct dump_result *r = fixture_parse_buf(log, sizeof(log) - 1, 0);

	(void)state;
	assert_int_equal(r->ndumps, 1);
	assert_int_equal(r->dumps[0].heap_size, DUMP_UNKNOWN);
	assert_int_equal(r->dumps[0].used, DUMP_UNKNOWN);
	assert_false(r->dumps[0].complete);
	assert_int_equal(r->nproblems, 2);
	assert_int_equal(r->problems[0].kind, DUMP_PROBLEM_MALFORMED);
	assert_int_equal(r->problems[0].line, 3);
	assert_int_equal(r->problems[1].line, 4);
	dump_result_free(r);
}

/* Binary junk and endless lines: bounded, reported, no crash. */
static void
test_garbage(void **state)
{
	char *buf = malloc(300000);
	struct dump_result *r;
	size_t i;

	(void)state;
	for (i = 0; i < 300000; i++)
		buf[i] = (char)((i * 2654435761u) >> 13);
	r = fixture_parse_buf(buf, 300000, 4096);
	assert_int_equal(r->ndumps, 0);
	dump_result_free(r);
	memset(buf, 'a', 300000);
	r = fixture_parse_buf(buf, 300000, 4096);
	assert_int_equal(r->ndumps, 0);
	assert_true(r->nproblems >= 1);
	dump_result_free(r);
	free(buf);
}

/* Progress queries while a capture runs, a broken log, duplicates. */
static void
test_capture_progress(void **state)
{
	static const char a[] =
	    " 1(9) INFO: <core> [main.c:890]: sig_usr(): Memory still-in-use summary (pkg):\n"
	    " 1(9) INFO: qm_sums: qm_sums(): summarizing all alloc'ed. fragments:\n"
	    " 1(9) INFO: qm_sums: qm_sums():  count=     1 size=         8 bytes from a: a.c: f(1)\n";
	static const char end[] = " 1(9) INFO: qm_sums: qm_sums(): -----------------------------\n";
	struct dump_parser *p = dump_parser_new();
	struct dump_result *r;
	size_t mark = dump_parser_mark(p);

	(void)state;
	dump_parser_feed(p, a, sizeof(a) - 1);
	assert_false(dump_parser_has(p, mark, 9, DUMP_POOL_PKG, true));
	dump_parser_feed(p, end, sizeof(end) - 1);
	assert_true(dump_parser_has(p, mark, 9, DUMP_POOL_PKG, true));
	assert_false(dump_parser_has(p, mark, 9, DUMP_POOL_SHM, false));
	assert_false(dump_parser_has(p, dump_parser_mark(p), 9,
	    DUMP_POOL_PKG, true));
	/* the same child printing twice, then a third time cut by a
	 * rotation of the log */
	dump_parser_feed(p, a, sizeof(a) - 1);
	dump_parser_feed(p, end, sizeof(end) - 1);
	dump_parser_feed(p, a, sizeof(a) - 1);
	dump_parser_interrupt(p, "proxy.log: rotated");
	r = dump_parser_finish(p);
	assert_int_equal(r->ndumps, 3);
	assert_false(r->dumps[2].complete);
	assert_string_equal(r->dumps[2].incomplete_why, "proxy.log: rotated");
	dump_result_keep_last(r);
	assert_int_equal(r->ndumps, 1);
	assert_true(r->dumps[0].complete);
	dump_result_free(r);
}

/* ---- real captures (tests/fixtures/kamailio) ---- */

struct expect {
	char key[64][40];
	char val[64][128];
	int n;
};

static bool
expect_load(const char *dir, struct expect *e)
{
	char path[4096], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/expect.env", dir);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	e->n = 0;
	while (fgets(line, sizeof(line), f) != NULL && e->n < 64) {
		char *eq = strchr(line, '='), *v;
		size_t l;

		if (line[0] == '#' || eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		v[strcspn(v, "\n")] = '\0';
		l = strlen(v);
		if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
			v[l - 1] = '\0';
			v++;
		}
		snprintf(e->key[e->n], sizeof(e->key[0]), "%s", line);
		snprintf(e->val[e->n], sizeof(e->val[0]), "%s", v);
		e->n++;
	}
	fclose(f);
	return true;
}

static const char *
expect_get(const struct expect *e, const char *key)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->key[i], key) == 0)
			return e->val[i];
	return NULL;
}

static uint64_t
expect_u64(const struct expect *e, const char *key)
{
	const char *v = expect_get(e, key);

	if (v == NULL || *v == '\0')
		fail_msg("expect.env has no %s", key);
	return strtoull(v, NULL, 10);
}

static int
alloc_of(const char *name)
{
	return strcmp(name, "qm") == 0 ? DUMP_ALLOC_QM :
	    strcmp(name, "fm") == 0 ? DUMP_ALLOC_FM :
	    strcmp(name, "tlsf") == 0 ? DUMP_ALLOC_TLSF : -1;
}

/*
 * Every capture: each dump complete, of the allocator the proxy ran, its
 * sites adding up to its own "used"; shm figures equal to core.shmmem
 * taken at the same quiet moment, the main process's pkg equal to
 * pkg.stats. Workers' pkg.stats is only refreshed while a worker handles
 * a message (fixtures README): exact under qm, at most 2048 bytes above
 * the dump under fm, frozen under tlsf (lab pitfall 13).
 */
static void
check_capture(const char *name)
{
	char dir[4096], rel[4200], key[64];
	struct dump_result *r;
	struct expect e;
	int alloc, checked_shm = 0, checked_pkg = 0;

	snprintf(dir, sizeof(dir), "%s/kamailio/%s", FIXTURES, name);
	if (!expect_load(dir, &e))
		fail_msg("%s: no expect.env", name);
	alloc = alloc_of(expect_get(&e, "ALLOC"));
	snprintf(rel, sizeof(rel), "kamailio/%s/dump.log", name);
	r = fixture_parse(rel, 0);
	if (strcmp(name, "qm-memerr-burst") == 0) {
		assert_int_equal(r->ndumps, 0);
		assert_true(r->errors_total > 0);
		assert_non_null(find_err(r, "could not allocate shared memory"));
		dump_result_free(r);
		return;
	}
	if (r->ndumps == 0)
		fail_msg("%s: no dump found", name);
	for (size_t i = 0; i < r->ndumps; i++) {
		const struct dump *d = &r->dumps[i];

		if (!d->complete)
			fail_msg("%s: dump %zu incomplete: %s", name, i,
			    d->incomplete_why);
		assert_int_equal(d->alloc, alloc);
		assert_int_equal(d->ncorruption, 0);
		if (d->has_status && d->has_summary &&
		    fixture_site_bytes(d) != d->used)
			fail_msg("%s: dump %zu: sites add up to %llu, used %llu",
			    name, i, (unsigned long long)fixture_site_bytes(d),
			    (unsigned long long)d->used);
		if (!d->has_status)
			continue;
		if (d->pool == DUMP_POOL_SHM) {
			assert_int_equal(d->heap_size, expect_u64(&e, "SHM_TOTAL"));
			assert_int_equal(d->used, expect_u64(&e, "SHM_USED"));
			assert_int_equal(d->real_used,
			    expect_u64(&e, "SHM_REAL_USED"));
			assert_int_equal(d->free, expect_u64(&e, "SHM_FREE"));
			assert_int_equal(d->max_used,
			    expect_u64(&e, "SHM_MAX_USED"));
			checked_shm++;
		} else if (d->pool == DUMP_POOL_PKG) {
			uint64_t rpc;
			bool main_proc = (long)expect_u64(&e, "MAIN_PID") ==
			    d->pid;

			snprintf(key, sizeof(key), "PKG_USED_%ld", d->pid);
			if (expect_get(&e, key) == NULL)
				continue;	/* journal/syslog: no -E PIDs */
			rpc = expect_u64(&e, key);
			snprintf(key, sizeof(key), "PKG_TOTAL_%ld", d->pid);
			if (alloc != DUMP_ALLOC_TLSF)
				assert_int_equal(d->heap_size,
				    expect_u64(&e, key));
			if (main_proc || alloc == DUMP_ALLOC_QM)
				assert_int_equal(d->used, rpc);
			else if (alloc == DUMP_ALLOC_FM)
				assert_true(rpc >= d->used &&
				    rpc - d->used <= 2048);
			checked_pkg++;
		}
	}
	/* the captures that print status figures were all compared */
	if (strstr(name, "ms15") || strstr(name, "ms31") ||
	    strstr(name, "mem_dump_shm"))
		assert_true(checked_shm >= 1);
	if (strstr(name, "worker-ms5"))
		assert_true(checked_pkg >= 1);
	dump_result_free(r);
	same_for_every_chunking(rel);
}

static void
test_real_captures(void **state)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/kamailio", FIXTURES);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '-') == NULL)
			continue;
		check_capture(de->d_name);
		n++;
	}
	closedir(d);
	/* qm, fm, tlsf x 6 triggers, plus the qm-only formats */
	assert_true(n >= 24);
}

/* The stock Debian settings: SIGUSR1 printed nothing until memlog was
 * lowered; the log_prefix blocks of the burst are not part of the text. */
static void
test_capture_formats(void **state)
{
	struct dump_result *r;

	(void)state;
	r = fixture_parse("kamailio/qm-journal-export/dump.log", 0);
	assert_true(r->journal_export);
	/* mem_summary 10: shm status and summary, one dump */
	assert_int_equal(r->ndumps, 1);
	assert_int_equal(r->dumps[0].process_no, -1);
	assert_true(r->dumps[0].pid > 0);
	assert_true(r->dumps[0].has_fragments && r->dumps[0].has_summary);
	dump_result_free(r);
	r = fixture_parse("kamailio/qm-syslog-rfc3339/dump.log", 0);
	assert_int_equal(r->ndumps, 1);
	assert_true(r->dumps[0].has_fragments && r->dumps[0].has_summary);
	assert_int_equal(r->nproblems, 0);
	dump_result_free(r);
	r = fixture_parse("kamailio/qm-memerr-burst/dump.log", 0);
	for (size_t i = 0; i < r->nerrors; i++)
		assert_null(strchr(r->errors[i].text, '{'));
	dump_result_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openser1x),
		cmocka_unit_test(test_opensips),
		cmocka_unit_test(test_kamailio4_syslog),
		cmocka_unit_test(test_paste_pids),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_truncated_mid_line),
		cmocka_unit_test(test_truncated_dump),
		cmocka_unit_test(test_missing_middle),
		cmocka_unit_test(test_rate_limited),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_opensips_memory_errors),
		cmocka_unit_test(test_opensips36_walk),
		cmocka_unit_test(test_short_status_and_summary),
		cmocka_unit_test(test_summary_sum_mismatch),
		cmocka_unit_test(test_rpc_triggered),
		cmocka_unit_test(test_journal_export),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_capture_progress),
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_capture_formats),
	};

	return cmocka_run_group_tests_name("dump", tests, NULL, NULL);
}
