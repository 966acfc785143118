/*
 * Unit tests of the live judgement (core/growth.c) on synthetic series
 * shaped like what the proxy shows under its users' traffic: a leak per
 * INVITE (8 B and 1 B, under an allocator that rounds), a leak only on
 * REGISTER, memory that follows the load while the rate doubles, a cache
 * that warms up and levels off, a timer longer than the window, a burst
 * caught by one dump, no traffic at all.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/growth.h"

enum { INV, REG, MSG, SUB, OPT, OTH };
static const char *const methods[GROWTH_METHODS] = { "INVITE", "REGISTER",
	"MESSAGE", "SUBSCRIBE", "OPTIONS", "other" };

struct series {
	struct growth_sample s[GROWTH_MAX_SAMPLES];
	double bytes[4][GROWTH_MAX_SAMPLES];
	struct growth_site sites[4];
	struct growth_input in;
};

/* n samples every dt s; inv and reg calls/s (inv doubling at double_at
 * s if > 0); in flight = 3 s of INVITEs */
static void
traffic(struct series *x, size_t n, double dt, double inv, double reg,
    double double_at)
{
	double ninv = 0, nreg = 0, rate;
	size_t i;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < n; i++) {
		rate = double_at > 0 && i * dt >= double_at ? 2 * inv : inv;
		x->s[i].t = i * dt;
		x->s[i].requests[INV] = ninv;
		x->s[i].requests[REG] = nreg;
		x->s[i].inflight = rate * 3;
		x->s[i].pool_used = 4e6;
		ninv += rate * dt;
		nreg += reg * dt;
	}
	x->in.samples = x->s;
	x->in.nsamples = n;
	x->in.methods = methods;
	x->in.sites = x->sites;
	x->in.granularity = 8;
	x->in.pool_size = 64 << 20;
	x->sites[0].name = "htable: ht_api.c: ht_cell_new(253)";
	x->sites[1].name = "tm: h_table.c: build_cell(334)";
	x->sites[2].name = "core: core/pt.c: init_pt(62)";
	for (i = 0; i < 3; i++)
		x->sites[i].bytes = x->bytes[i];
	x->in.nsites = 3;
}

/* what every series has: transactions in flight and a constant site */
static void
background(struct series *x)
{
	size_t i;

	for (i = 0; i < x->in.nsamples; i++) {
		x->bytes[1][i] = 4200 * x->s[i].inflight;
		x->bytes[2][i] = 123456;
	}
}

static double
round_to(double v, double g)
{
	return floor(v / g) * g;
}

static void
leak_per_invite(double per, double seconds, double dt, double *got)
{
	struct growth_result r;
	struct series x;
	size_t i, n = (size_t)(seconds / dt) + 1;

	traffic(&x, n, dt, 20, 0, 0);
	background(&x);
	for (i = 0; i < n; i++)
		x.bytes[0][i] = round_to(50000 + per * x.s[i].requests[INV],
		    x.in.granularity);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_int_equal(r.nsuspects, 1);
	assert_string_equal(r.suspects[0].name, x.sites[0].name);
	assert_int_equal(r.suspects[0].method, INV);
	assert_true(r.seconds_to_full > 0);
	*got = r.suspects[0].bytes_per_request;
}

/* 20 calls/s: 8 B per INVITE within 5 minutes, 1 B within 15, +-10 % */
static void
test_leak_invite(void **state)
{
	double b;

	(void)state;
	leak_per_invite(8, 300, 30, &b);
	assert_true(fabs(b - 8) < 0.8);
	leak_per_invite(1, 900, 30, &b);
	assert_true(fabs(b - 1) < 0.1);
	leak_per_invite(80, 120, 15, &b);
	assert_true(fabs(b - 80) < 8);
}

/* registrations come in a storm, then settle: their count and the
 * INVITEs' part ways, and the leak follows the REGISTERs */
static void
test_leak_register_only(void **state)
{
	struct growth_result r;
	struct series x;
	double nreg = 0;
	size_t i;

	(void)state;
	traffic(&x, 21, 15, 20, 0, 0);
	background(&x);
	for (i = 0; i < 21; i++) {
		x.s[i].requests[REG] = nreg;
		nreg += (i < 7 ? 12 : 2) * 15.0;
		x.bytes[0][i] = round_to(9000 + 100 * x.s[i].requests[REG], 16);
	}
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_int_equal(r.suspects[0].method, REG);
	assert_int_equal(r.suspects[0].also, -1);
	assert_true(fabs(r.suspects[0].bytes_per_request - 100) < 10);
	assert_non_null(strstr(r.reason, "per REGISTER"));
	/* steady rates: the counts grow in step, and both are named */
	traffic(&x, 21, 15, 20, 5, 0);
	background(&x);
	for (i = 0; i < 21; i++)
		x.bytes[0][i] = round_to(9000 + 100 * x.s[i].requests[REG], 16);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_non_null(strstr(r.reason, "the two counts grew in step"));
}

/* the rate doubles mid-window: in-flight memory doubles, nothing stays */
static void
test_load_doubles(void **state)
{
	struct growth_result r;
	struct growth_fit f;
	struct series x;

	(void)state;
	traffic(&x, 21, 15, 20, 0, 150);
	background(&x);
	memcpy(x.bytes[0], x.bytes[2], sizeof(x.bytes[0]));
	growth_fit_site(&x.in, x.bytes[1], &f);
	assert_int_equal(f.cls, GROWTH_LOAD);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_FLAT);
	assert_non_null(strstr(r.reason, "no site grew by more than"));
	assert_true(r.sensitivity < 2);
}

/* a cache that fills and levels off */
static void
test_warmup(void **state)
{
	struct growth_result r;
	struct growth_fit f;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 21, 15, 20, 0, 0);
	background(&x);
	for (i = 0; i < 21; i++)
		x.bytes[0][i] = round_to(80000 * (1 - exp(-x.s[i].requests[INV] /
		    800)), 8);
	growth_fit_site(&x.in, x.bytes[0], &f);
	assert_int_equal(f.cls, GROWTH_WARMUP);
	growth_judge(&x.in, &r);
	assert_int_not_equal(r.verdict, GROWTH_LEAK);
}

/* htable autoexpire longer than the window: could be the timer's */
static void
test_timer_longer_than_window(void **state)
{
	struct growth_result r;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 21, 15, 20, 0, 0);
	background(&x);
	for (i = 0; i < 21; i++)
		x.bytes[0][i] = round_to(500 * x.s[i].requests[INV], 8);
	x.in.timer_s = 600;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_TIMER);
	assert_non_null(strstr(r.reason, "observe for at least 1200 s"));
	/* the same window, once it outlasts the timer twice: a leak */
	x.in.timer_s = 100;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
}

/* one dump taken in a burst does not make a leak nor hide one */
static void
test_outlier(void **state)
{
	struct growth_result r;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 21, 15, 20, 0, 0);
	background(&x);
	for (i = 0; i < 21; i++)
		x.bytes[0][i] = 5000;
	x.bytes[0][10] = 300000;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_FLAT);
	for (i = 0; i < 21; i++)
		x.bytes[0][i] = round_to(5000 + 8 * x.s[i].requests[INV], 8);
	x.bytes[0][10] += 300000;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_true(fabs(r.suspects[0].bytes_per_request - 8) < 0.8);
}

static void
test_no_traffic(void **state)
{
	struct growth_result r;
	struct series x;

	(void)state;
	traffic(&x, 21, 15, 0, 0, 0);
	background(&x);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_INSUFFICIENT);
	assert_non_null(strstr(r.reason, "no request reached the proxy"));
	/* too little: 0.1 calls/s for a minute */
	traffic(&x, 5, 15, 0.1, 0, 0);
	background(&x);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_INSUFFICIENT);
	assert_non_null(strstr(r.reason, "too few to judge"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_invite),
		cmocka_unit_test(test_leak_register_only),
		cmocka_unit_test(test_load_doubles),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_timer_longer_than_window),
		cmocka_unit_test(test_outlier),
		cmocka_unit_test(test_no_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
