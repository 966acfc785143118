/* Unit tests of the diff: pairing rules and per-site deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/diff.h"
#include "fixture.h"

#define SUMS(pid, rank, pool, rows) \
	" " #rank "(" #pid ") INFO: <core> [main.c:759]: handle_sigs(): " \
	"Memory still-in-use summary (" pool "):\n" \
	" " #rank "(" #pid ") INFO: qm_sums: qm_sums(): summarizing all " \
	"alloc'ed. fragments:\n" rows \
	" " #rank "(" #pid ") INFO: qm_sums: qm_sums(): " \
	"-----------------------------\n"
#define ROW(pid, rank, c, s, site) \
	" " #rank "(" #pid ") INFO: qm_sums: qm_sums():  count=" #c \
	" size=" #s " bytes from " site "\n"

static struct dump_result *
parse(const char *s)
{
	return fixture_parse_buf(s, strlen(s), 0);
}

static const struct diff_pair *
pair(const struct diff_result *d, enum dump_pool pool, long pid_after)
{
	size_t i;

	for (i = 0; i < d->npairs; i++)
		if (d->pairs[i].pool == pool &&
		    d->pairs[i].after->pid == pid_after)
			return &d->pairs[i];
	return NULL;
}

static void
test_pairing_and_sites(void **state)
{
	/* shm printed by different PIDs still pairs; pkg pairs by rank even
	 * when the worker was restarted with a new PID */
	struct dump_result *a = parse(
	    SUMS(100, 0, "shm", ROW(100, 0, 1, 2097152, "tm: h_table.c: init_hash_table(482)")
		ROW(100, 0, 100, 52000, "htable: ht_api.c: ht_cell_new(186)"))
	    SUMS(101, 1, "pkg", ROW(101, 1, 3, 400, "core: core/pvapi.c: pv_cache_add(349)")));
	struct dump_result *b = parse(
	    SUMS(107, 6, "shm", ROW(107, 6, 1, 2097152, "tm: h_table.c: init_hash_table(482)")
		ROW(107, 6, 300, 156000, "htable: ht_api.c: ht_cell_new(186)")
		ROW(107, 6, 2, 16672, "tm: h_table.c: build_cell(334)"))
	    SUMS(201, 1, "pkg", ROW(201, 1, 103, 41200, "core: core/pvapi.c: pv_cache_add(349)"))
	    SUMS(202, 2, "pkg", ROW(202, 2, 1, 8, "core: a.c: f(1)")));
	struct diff_result *d = diff_dumps(a, b);
	const struct diff_pair *p;

	(void)state;
	assert_int_equal(d->npairs, 2);
	p = pair(d, DUMP_POOL_SHM, 107);
	assert_non_null(p);
	assert_int_equal(p->before->pid, 100);
	assert_true(p->have_sites);
	assert_false(p->have_used);	/* summaries carry no header */
	assert_int_equal(p->nsites, 2);
	assert_string_equal(p->sites[0].func, "ht_cell_new");
	assert_int_equal(p->sites[0].bytes_delta, 104000);
	assert_int_equal(p->sites[0].count_delta, 200);
	assert_string_equal(p->sites[1].func, "build_cell");
	assert_int_equal(p->sites[1].bytes_delta, 16672);
	p = pair(d, DUMP_POOL_PKG, 201);
	assert_non_null(p);
	assert_int_equal(p->before->pid, 101);
	assert_int_equal(p->sites[0].count_delta, 100);
	assert_int_equal(d->nonly_before, 0);
	assert_int_equal(d->nonly_after, 1);
	assert_int_equal(d->only_after[0]->pid, 202);
	diff_result_free(d);
	dump_result_free(a);
	dump_result_free(b);
}

static void
test_used_delta_and_vanished_site(void **state)
{
	struct dump_result *a = fixture_parse("hand/interleave.log", 0);
	struct dump_result *b = fixture_parse("hand/interleave.log", 0);
	struct diff_result *d;
	size_t i;

	(void)state;
	/* pretend the first worker freed its pv cache entries */
	for (i = 0; i < b->dumps[0].nsites; i++)
		if (strcmp(b->dumps[0].sites[i].func, "pv_cache_add") == 0) {
			b->dumps[0].sites[i].count = 0;
			b->dumps[0].sites[i].bytes = 0;
		}
	b->dumps[0].used -= 432;
	d = diff_dumps(a, b);
	assert_int_equal(d->npairs, 2);
	assert_true(d->pairs[0].have_used);
	assert_int_equal(d->pairs[0].used_delta, -432);
	assert_int_equal(d->pairs[0].nsites, 1);
	assert_int_equal(d->pairs[0].sites[0].bytes_delta, -432);
	assert_int_equal(d->pairs[0].sites[0].count_delta, -2);
	assert_int_equal(d->pairs[1].nsites, 0);
	diff_result_free(d);
	dump_result_free(a);
	dump_result_free(b);
}

/* When a log has several dumps of one key, the last complete one counts. */
static void
test_last_complete_wins(void **state)
{
	struct dump_result *a = parse(
	    SUMS(100, 0, "shm", ROW(100, 0, 1, 10, "a: a.c: f(1)")));
	struct dump_result *b = parse(
	    SUMS(100, 0, "shm", ROW(100, 0, 1, 20, "a: a.c: f(1)"))
	    " 0(100) INFO: <core> [main.c:759]: handle_sigs(): Memory still-in-use summary (shm):\n"
	    " 0(100) INFO: qm_sums: qm_sums(): summarizing all alloc'ed. fragments:\n"
	    ROW(100, 0, 9, 999, "a: a.c: f(1)"));
	struct diff_result *d = diff_dumps(a, b);

	(void)state;
	assert_int_equal(b->ndumps, 2);
	assert_false(b->dumps[1].complete);
	assert_int_equal(d->npairs, 1);
	assert_int_equal(d->pairs[0].sites[0].bytes_delta, 10);
	diff_result_free(d);
	dump_result_free(a);
	dump_result_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairing_and_sites),
		cmocka_unit_test(test_used_delta_and_vanished_site),
		cmocka_unit_test(test_last_complete_wins),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
