/*
 * Unit tests of the verdict on the patterns measured with Kamailio
 * 5.6 (tests/sh/diag-matrix.sh runs them live): a linear shm leak, a
 * 1-byte-per-call leak without new fragments, a warm-up, memory held by a
 * 25 s timer, an undersized pool, a leak in a small pool; and the cases no
 * scenario produces reliably: fragmentation, every kind of inconclusive,
 * the order of verdicts and the exit statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/verdict.h"
#include "lib/exitcodes.h"

/* Rounds of N, N, 2N calls with settled floors base+d[i]. */
static void
rounds(struct verdict_input *in, uint64_t base, unsigned n, const int64_t *d,
    size_t nr)
{
	static const unsigned mult[] = { 1, 1, 2, 2, 4 };

	memset(in, 0, sizeof(*in));
	in->pool = DUMP_POOL_SHM;
	in->heap_size = 67108864;
	in->max_used = 8400000;
	in->baseline_used = base;
	in->dumps_complete = true;
	in->nrounds = nr;
	for (size_t i = 0; i < nr; i++) {
		in->rounds[i].calls = n * mult[i];
		in->rounds[i].completed = n * mult[i];
		in->rounds[i].settled_used = (uint64_t)((int64_t)base + d[i]);
		in->rounds[i].settled_fragments = DUMP_UNKNOWN;
		in->rounds[i].quiet = true;
	}
}

static void
test_leak_linear(void **state)
{
	/* leak.cfg: 520 B and one fragment per call, 100/100/200 calls */
	static const int64_t d[] = { 52000, 104000, 208000 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_true(r.bytes_per_call > 519.9 && r.bytes_per_call < 520.1);
	assert_false(r.warmup);
	assert_non_null(strstr(r.reason, "520.0 bytes per call"));
}

static void
test_leak_one_byte_no_fragments(void **state)
{
	/* slowleak.cfg: +1 byte per call in one htable cell */
	static const int64_t d[] = { 100, 200, 400 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 100, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_true(r.bytes_per_call > 0.99 && r.bytes_per_call < 1.01);
}

static void
test_fm_rounding_still_a_leak(void **state)
{
	/* fm rounds up: 567 B per call in one round, 520 in another */
	static const int64_t d[] = { 52000, 108700, 212700 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
}

static void
test_warmup_not_a_leak(void **state)
{
	/* warmup.cfg: +88 bytes once (one counter cell) */
	static const int64_t d[] = { 88, 88, 88 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2472712, 100, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_HEALTHY);
	assert_true(r.warmup);
	assert_int_equal(r.warmup_bytes, 88);
}

static void
test_timer_held_not_a_leak(void **state)
{
	/* a 25 s expiry timer: the floor tracks the latest round, N, N, 2N */
	static const int64_t d[] = { 52000, 52000, 104000 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	in.timer_pending = true;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "timer"));
	/* and the other phase of the same timer: N, 2N, 2N */
	static const int64_t d2[] = { 52000, 104000, 104000 };
	rounds(&in, 2471808, 100, d2, 3);
	verdict_judge(&in, &r);
	assert_int_not_equal(r.verdict, VERDICT_LEAK);
}

static void
test_two_rounds_cannot_tell_timer_from_leak(void **state)
{
	/* with N, N a timer holding N calls' worth looks flat after round 1
	 * (warm-up); the third, larger round is what tells them apart */
	static const int64_t d[] = { 52000, 104000 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 2);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	static const int64_t one[] = { 52000 };
	rounds(&in, 2471808, 100, one, 1);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "one round"));
}

static void
test_healthy(void **state)
{
	static const int64_t d[] = { 0, 0, 0 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 100, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_HEALTHY);
	assert_non_null(strstr(r.reason, "no leak was reproduced"));
	assert_false(r.warmup);
}

static void
test_below_what_the_run_sees(void **state)
{
	/* 0.1 byte per call: every later round adds a few bytes, within
	 * the allocator's rounding; neither healthy nor a measured leak */
	static const int64_t d[] = { 16, 24, 40 };
	static const int64_t flat[] = { 16, 24, 24 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 40, d, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "below what the run can see"));
	assert_non_null(strstr(r.reason, "--calls"));
	/* one round flat: not growth in every round */
	rounds(&in, 2438720, 40, flat, 3);
	verdict_judge(&in, &r);
	assert_int_not_equal(r.verdict, VERDICT_LEAK);
	assert_null(strstr(r.reason, "below what"));
}

/* a worker group's pkg floors (no pool size, no high-water mark), judged
 * with the allocator's noise */
static void
judge_pkg(struct verdict_input *in, struct verdict_result *r, uint64_t base,
    unsigned n, const int64_t *d, uint64_t noise)
{
	rounds(in, base, n, d, 3);
	in->pool = DUMP_POOL_PKG;
	in->heap_size = in->max_used = DUMP_UNKNOWN;
	in->noise_bytes = noise;
	verdict_judge(in, r);
}

static void
test_falling_floor_healthy(void **state)
{
	/* fm pkg, measured: a worker group's floor fell 440, then 584 */
	static const int64_t d[] = { -440, -1024, -1024 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	judge_pkg(&in, &r, 1012488, 40, d, 0);
	assert_int_equal(r.verdict, VERDICT_HEALTHY);
	assert_non_null(strstr(r.reason, "1024 bytes below"));
}

static void
test_noisy_floor(void **state)
{
	/* fm pkg, measured: floors wander by hundreds of bytes */
	static const int64_t wander[] = { -1840, -1840, 400 };
	static const int64_t leak[] = { 3560, 8208, 19488 };
	static const int64_t measured[] = { 3712, 8424, 11328 };
	static const int64_t timer[] = { 11600, 12600, 23200 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	judge_pkg(&in, &r, 1013304, 40, wander, 0);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	judge_pkg(&in, &r, 1013304, 40, wander, 1536);
	assert_int_equal(r.verdict, VERDICT_HEALTHY);
	assert_non_null(strstr(r.reason, "allocator's noise"));
	/* a leak well above the noise is still a leak */
	judge_pkg(&in, &r, 1013304, 200, leak, 1536);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	/* measured (pkgleak, fm, 4 workers): round 3 got 2904 bytes of its
	 * 400 calls' 5760; still the leak's story, not a timer's */
	judge_pkg(&in, &r, 1024456, 200, measured, 768 * 4);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_true(r.bytes_per_call > 12 && r.bytes_per_call < 16);
	/* a timer's: the first two rounds alike, the third twice */
	judge_pkg(&in, &r, 1024456, 200, timer, 768 * 4);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "latest round"));
}

static void
test_timer_pending_named(void **state)
{
	/* a leak-like slope while a declared timer outlives the run */
	static const int64_t d[] = { 52000, 104000, 208000 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	in.timer_pending = true;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_non_null(strstr(r.reason, "timer longer than the run"));
}

static void
test_undersized_pool(void **state)
{
	/* -m 4: memory back to the byte, max_used pinned near the heap,
	 * hundreds of allocation failures during a burst before the run */
	static const int64_t d[] = { 0, 0, 0 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 20, d, 3);
	in.heap_size = 4194304;
	in.max_used = 4190584;
	in.alloc_failures = 347;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_POOL_TOO_SMALL);
	assert_non_null(strstr(r.reason, "347 allocation failures"));
	/* the high-water mark alone says so too */
	in.alloc_failures = 0;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_POOL_TOO_SMALL);
}

static void
test_fragmentation(void **state)
{
	static const int64_t d[] = { 0, 0, 0 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 100, d, 3);
	in.heap_size = 4194304;
	in.max_used = 3600000;
	in.alloc_failures = 2;
	in.fragment_failures = 2;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_FRAGMENTATION);
	assert_non_null(strstr(r.reason, "Free fragment not found"));
}

static void
test_leak_in_small_pool(void **state)
{
	/* leak-m4: the floor rises across rounds while most calls of the
	 * bursts before were rejected; both findings are reported */
	static const int64_t d[] = { 67048, 132792, 168504 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	in.rounds[1].calls = in.rounds[1].completed = 126;
	in.rounds[2].calls = in.rounds[2].completed = 69;
	in.heap_size = 4194304;
	in.max_used = 4194304;
	in.alloc_failures = 1400;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_non_null(strstr(r.reason, "also:"));
}

static void
test_inconclusive_reasons(void **state)
{
	static const int64_t d[] = { 52000, 104000, 208000 };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	in.dumps_complete = false;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "incomplete"));

	rounds(&in, 2471808, 100, d, 3);
	in.rounds[2].quiet = false;
	in.budget_spent = true;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "gate budget"));

	rounds(&in, 2471808, 100, d, 3);
	in.rounds[1].completed = 12;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "12 of 100 completed in round 2"));

	rounds(&in, 2471808, 100, d, 3);
	in.proxy_restarted = true;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(r.reason, "restarted"));

	/* noise: moves that follow nothing */
	static const int64_t noise[] = { 0, 900, 100 };
	rounds(&in, 2471808, 100, noise, 3);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
}

static void
test_suspects(void **state)
{
	static const int64_t d[] = { 52000, 104000, 208000 };
	struct dump_site s1[] = {
		{ "tm", "h_table.c", "build_cell", 334, 2, 16672 },
		{ "htable", "ht_api.c", "ht_cell_new", 186, 100, 52000 },
	};
	struct dump_site s3[] = {
		{ "htable", "ht_api.c", "ht_cell_new", 186, 400, 208000 },
		{ "tm", "h_table.c", "build_cell", 334, 2, 16672 },
		{ "core", "core/str_hash.h", "str_hash_alloc", 59, 1, 16 },
	};
	struct dump a = { .pid = 1, .pool = DUMP_POOL_SHM, .has_summary = true,
	    .sites = s1, .nsites = 2, .complete = true };
	struct dump c = { .pid = 1, .pool = DUMP_POOL_SHM, .has_summary = true,
	    .sites = s3, .nsites = 3, .complete = true };
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2471808, 100, d, 3);
	in.rounds[0].dump = &a;
	in.rounds[2].dump = &c;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_LEAK);
	assert_int_equal(r.nsuspects, 2);
	assert_string_equal(r.suspects[0].func, "ht_cell_new");
	/* 300 more cells over the 300 calls after round 1 */
	assert_true(r.suspects[0].bytes_per_call > 519.9 &&
	    r.suspects[0].bytes_per_call < 520.1);
	assert_true(r.suspects[0].count_per_call > 0.99 &&
	    r.suspects[0].count_per_call < 1.01);
}

static void
test_order_and_status(void **state)
{
	enum verdict v1[] = { VERDICT_HEALTHY, VERDICT_INCONCLUSIVE,
	    VERDICT_FRAGMENTATION };
	enum verdict v2[] = { VERDICT_POOL_TOO_SMALL, VERDICT_LEAK,
	    VERDICT_FRAGMENTATION };
	enum verdict v3[] = { VERDICT_HEALTHY, VERDICT_INCONCLUSIVE };

	(void)state;
	assert_int_equal(verdict_overall(v1, 3), VERDICT_FRAGMENTATION);
	assert_int_equal(verdict_overall(v2, 3), VERDICT_LEAK);
	assert_int_equal(verdict_overall(v3, 2), VERDICT_INCONCLUSIVE);
	assert_int_equal(verdict_overall(NULL, 0), VERDICT_HEALTHY);
	assert_int_equal(verdict_status(VERDICT_HEALTHY, false), 0);
	assert_int_equal(verdict_status(VERDICT_POOL_TOO_SMALL, false), 1);
	assert_int_equal(verdict_status(VERDICT_FRAGMENTATION, false), 1);
	assert_int_equal(verdict_status(VERDICT_LEAK, false), 2);
	assert_int_equal(verdict_status(VERDICT_INCONCLUSIVE, false), 3);
	assert_int_equal(verdict_status(VERDICT_HEALTHY, true), 2);
	assert_int_equal(verdict_status(VERDICT_POOL_TOO_SMALL, true), 2);
	assert_int_equal(verdict_status(VERDICT_INCONCLUSIVE, true), 3);
	assert_string_equal(verdict_name(VERDICT_POOL_TOO_SMALL),
	    "pool-too-small");
}

static void
test_passive(void **state)
{
	struct verdict_input in;
	struct verdict_result r;

	(void)state;
	rounds(&in, 2438720, 100, NULL, 0);
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_HEALTHY);
	assert_non_null(strstr(r.reason, "cannot be seen"));
	in.alloc_failures = 3;
	verdict_judge(&in, &r);
	assert_int_equal(r.verdict, VERDICT_POOL_TOO_SMALL);
}

static void
test_recommendation(void **state)
{
	struct verdict_sizing z = {
		.pool = DUMP_POOL_SHM, .flavour = "kamailio", .major = 5,
		.debian = true, .floor = 2438720, .per_call = 29350,
		.peak_cps = 400, .lifetime_s = 5.5, .heap_size = 67108864,
		.margin = 1.5,
	};
	struct verdict_recommendation rec;

	(void)state;
	/* 2.3 MB + 29350 B x 2200 in flight = 63.9 MB, x1.5 = 95.9 MB */
	verdict_recommend(&z, &rec);
	assert_int_equal(rec.value_mb, 96);
	assert_non_null(strstr(rec.knob, "-m 96"));
	assert_non_null(strstr(rec.knob, "SHM_MEMORY=96 in /etc/default/kamailio"));
	assert_non_null(strstr(rec.reasoning, "2200 calls in flight"));
	z.debian = false;
	verdict_recommend(&z, &rec);
	assert_non_null(strstr(rec.knob, "SHM_MEM_SIZE in src/core/config.h"));
	/* pkg is per process, and the total is said */
	z.pool = DUMP_POOL_PKG;
	z.floor = 503000;
	z.per_call = 530;
	z.peak_cps = 100;
	z.nprocs = 25;
	verdict_recommend(&z, &rec);
	assert_non_null(strstr(rec.knob, "-M"));
	assert_non_null(strstr(rec.reasoning, "25 processes"));
	/* OpenSER 1.x: the FAQ's config.h, in bytes */
	z.flavour = "openser";
	verdict_recommend(&z, &rec);
	assert_non_null(strstr(rec.knob, "PKG_MEM_POOL_SIZE in config.h"));
	/* OpenSIPS on Debian */
	z.flavour = "opensips";
	z.pool = DUMP_POOL_SHM;
	z.debian = true;
	verdict_recommend(&z, &rec);
	assert_non_null(strstr(rec.knob, "S_MEMORY"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_linear),
		cmocka_unit_test(test_leak_one_byte_no_fragments),
		cmocka_unit_test(test_fm_rounding_still_a_leak),
		cmocka_unit_test(test_warmup_not_a_leak),
		cmocka_unit_test(test_timer_held_not_a_leak),
		cmocka_unit_test(test_two_rounds_cannot_tell_timer_from_leak),
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_below_what_the_run_sees),
		cmocka_unit_test(test_timer_pending_named),
		cmocka_unit_test(test_falling_floor_healthy),
		cmocka_unit_test(test_noisy_floor),
		cmocka_unit_test(test_undersized_pool),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_leak_in_small_pool),
		cmocka_unit_test(test_inconclusive_reasons),
		cmocka_unit_test(test_suspects),
		cmocka_unit_test(test_order_and_status),
		cmocka_unit_test(test_passive),
		cmocka_unit_test(test_recommendation),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
