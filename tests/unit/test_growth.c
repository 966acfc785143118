/*
 * Unit tests of the live judgement (core/growth.c) on synthetic series
 * shaped like what the proxy shows under its users' traffic: a leak per
 * INVITE (8 B and 1 B, under an allocator that rounds), a leak only on
 * REGISTER, memory that follows the load while the rate doubles, a cache
 * that warms up and levels off, a timer longer than the window, a burst
 * caught by one dump, no traffic at all; and a healthy Kamailio's own
 * series, whose transaction sites drift in bytes with a flat fragment
 * count.
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
	double counts[4][GROWTH_MAX_SAMPLES];
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
	for (i = 0; i < 3; i++) {
		x->sites[i].bytes = x->bytes[i];
		x->sites[i].counts = x->counts[i];
	}
	x->in.nsites = 3;
}

/* what every series has: transactions in flight and a constant site */
static void
background(struct series *x)
{
	size_t i;

	for (i = 0; i < x->in.nsamples; i++) {
		x->bytes[1][i] = 4200 * x->s[i].inflight;
		x->counts[1][i] = x->s[i].inflight;
		x->bytes[2][i] = 123456;
		x->counts[2][i] = 12;
	}
}

/* site 0 leaks a fragment of `size` bytes every so many INVITEs, over
 * `base` bytes in 10 fragments it held before */
static void
leak_fragments(struct series *x, int method, double per, double size,
    double base)
{
	size_t i;

	for (i = 0; i < x->in.nsamples; i++) {
		double n = floor(x->s[i].requests[method] * per / size);

		x->bytes[0][i] = base + n * size;
		x->counts[0][i] = 10 + n;
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
	if (per >= 8)		/* a fragment per INVITE */
		leak_fragments(&x, INV, per, round_to(per, 8), 50000);
	else			/* one buffer, ever larger */
		for (i = 0; i < n; i++) {
			x.bytes[0][i] = round_to(2000 + per *
			    x.s[i].requests[INV], x.in.granularity);
			x.counts[0][i] = 1;
		}
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
	}
	leak_fragments(&x, REG, 100, 112, 9000);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_int_equal(r.suspects[0].method, REG);
	assert_int_equal(r.suspects[0].also, -1);
	assert_true(fabs(r.suspects[0].bytes_per_request - 100) < 10);
	assert_non_null(strstr(r.reason, "per REGISTER"));
	/* steady rates: the counts grow in step, and both are named */
	traffic(&x, 21, 15, 20, 5, 0);
	background(&x);
	leak_fragments(&x, REG, 100, 112, 9000);
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
	memcpy(x.counts[0], x.counts[2], sizeof(x.counts[0]));
	growth_fit_site(&x.in, &x.sites[1], &f);
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
	for (i = 0; i < 21; i++) {
		x.bytes[0][i] = round_to(80000 * (1 - exp(-x.s[i].requests[INV] /
		    800)), 80);
		x.counts[0][i] = x.bytes[0][i] / 80;
	}
	growth_fit_site(&x.in, &x.sites[0], &f);
	assert_int_equal(f.cls, GROWTH_WARMUP);
	growth_judge(&x.in, &r);
	assert_int_not_equal(r.verdict, GROWTH_LEAK);
}

/*
 * A window opened while the users' traffic still builds up (diag-live's
 * healthy proxy on a loaded machine, 7 samples in 42 s, in flight 40 ->
 * 190): tm's site follows what is in flight, which rose in step with the
 * INVITEs. Not a leak, not healthy: it says so.
 */
static void
test_inflight_ramp(void **state)
{
	struct growth_result r;
	struct growth_fit f;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 7, 7, 20, 0, 0);
	background(&x);
	/* the dump reads the site a few seconds after the counters: it
	 * sees the transactions of a little later */
	for (i = 0; i < 7; i++) {
		x.s[i].inflight = round(40 + 150 * pow(i / 6.0, 1.2));
		x.counts[1][i] = round(40 + 150 * pow((i + 0.4) / 6.4, 1.2));
		x.bytes[1][i] = 4200 * x.counts[1][i];
		x.bytes[0][i] = 50000;
		x.counts[0][i] = 10;
	}
	growth_fit_site(&x.in, &x.sites[1], &f);
	assert_int_equal(f.cls, GROWTH_RAMP);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_WARMUP);
	assert_non_null(strstr(r.reason, "in flight rose in step"));
	assert_non_null(strstr(r.reason, "(40 to 190)"));
	/* a leak observed as the traffic starts: in flight is up after the
	 * first sample, the leak goes on: still a leak */
	traffic(&x, 13, 5, 20, 0, 0);
	background(&x);
	x.s[0].inflight = 20;
	for (i = 0; i < 13; i++)
		x.bytes[1][i] = 4200 * x.s[i].inflight;
	leak_fragments(&x, INV, 736, 736, 50000);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_string_equal(r.suspects[0].name, x.sites[0].name);
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
	leak_fragments(&x, INV, 500, 504, 0);
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
	for (i = 0; i < 21; i++) {
		x.bytes[0][i] = 5000;
		x.counts[0][i] = 10;
	}
	x.bytes[0][10] = 300000;
	x.counts[0][10] = 300;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_FLAT);
	leak_fragments(&x, INV, 8, 8, 5000);
	x.bytes[0][10] += 300000;
	x.counts[0][10] += 300;
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

/* a proxy that has leaked for days: the site holds 30 MB in 43000
 * fragments, and 10 minutes add 1 % to it; new fragments make it a leak
 * however much the site held */
static void
test_leak_on_a_large_site(void **state)
{
	struct growth_result r;
	struct series x;

	(void)state;
	traffic(&x, 13, 50, 20, 0, 0);
	background(&x);
	leak_fragments(&x, INV, 704, 704, 30e6);
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_true(fabs(r.suspects[0].bytes_per_request - 704) < 20);
}

/* a leak hidden among transactions: 1 in 100 keeps its 8 KB cell, at
 * the site where 60 cells come and go */
static void
test_leak_among_transients(void **state)
{
	struct growth_result r;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 13, 50, 20, 0, 0);
	background(&x);
	for (i = 0; i < 13; i++) {
		double kept = floor(x.s[i].requests[INV] / 100);

		x.bytes[1][i] = 8192 * (x.s[i].inflight + kept) +
		    (i % 3) * 2000;
		x.counts[1][i] = x.s[i].inflight + kept;
	}
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_string_equal(r.suspects[0].name, x.sites[1].name);
	assert_true(fabs(r.suspects[0].bytes_per_request - 81.92) < 8);
}

/*
 * A healthy Kamailio 5.6 (tests/lib/proxy.cfg, qm) under 20 calls/s for
 * five minutes, one summary dump every 25 s: the transaction sites grow
 * 7-17 % in bytes while their fragments stay at the transactions in
 * flight. Drift, not a leak; and said so.
 */
static void
test_kamailio_healthy_drift(void **state)
{
	static const double inv[13] = { 58, 487, 915, 1344, 1773, 2202, 2630,
		3059, 3488, 3917, 4345, 4774, 5202 };
	static const double fl[13] = { 116, 192, 190, 190, 192, 192, 190, 190,
		192, 192, 190, 190, 190 };
	static const double cnt[13] = { 118, 190, 190, 190, 190, 190, 190, 192,
		190, 190, 192, 190, 192 };
	static const double b[4][13] = {
		{ 983648, 1621032, 1663392, 1685672, 1661528, 1694360, 1748312,
		  1746704, 1826656, 1865624, 1833920, 1910320, 1892736 },
		{ 496544, 809552, 809912, 815264, 824480, 837616, 842200,
		  850800, 867456, 842648, 859320, 858704, 864728 },
		{ 71272, 114760, 114760, 114760, 114760, 114760, 114760, 117960,
		  118672, 118888, 127624, 134048, 129792 },
		{ 63248, 101840, 102248, 102304, 102768, 103808, 105904, 108424,
		  110080, 110248, 111768, 111192, 111968 } };
	static const char *const names[4] = { "tm: h_table.c: build_cell(334)",
		"core: core/sip_msg_clone.c: sip_msg_shm_clone(495)",
		"core: core/sip_msg_clone.c: msg_lump_cloner(973)",
		"core: core/msg_translator.c: build_req_buf_from_sip_req(2233)" };
	struct growth_result r;
	struct series x;
	size_t i, k;

	(void)state;
	traffic(&x, 13, 25, 0, 0, 0);
	for (i = 0; i < 13; i++) {
		x.s[i].requests[INV] = inv[i];
		x.s[i].requests[OTH] = 2 * inv[i];
		x.s[i].inflight = fl[i];
		for (k = 0; k < 4; k++) {
			x.bytes[k][i] = b[k][i];
			x.counts[k][i] = cnt[i];
		}
	}
	for (k = 0; k < 4; k++) {
		x.sites[k].name = names[k];
		x.sites[k].bytes = x.bytes[k];
		x.sites[k].counts = x.counts[k];
	}
	x.in.nsites = 4;
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_FLAT);
	assert_non_null(strstr(r.reason, "drifted"));
	assert_non_null(strstr(r.reason, "without new fragments"));
	/* without the fragments the dumps give, the bytes alone cannot tell
	 * (the judgement then needs growth beyond the drift's bound) */
	for (k = 0; k < 4; k++)
		x.sites[k].counts = NULL;
	growth_judge(&x.in, &r);
	assert_int_not_equal(r.verdict, GROWTH_LEAK);
	/* the same series plus one 700 B cell per INVITE at a fifth site */
	for (i = 0; i < 13; i++) {
		x.bytes[3][i] = 700 * inv[i];
		x.counts[3][i] = inv[i];
	}
	x.sites[3].name = "htable: ht_api.c: ht_cell_new(253)";
	x.sites[3].counts = x.counts[3];
	x.sites[0].counts = x.counts[0];
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_int_equal(r.nsuspects, 1);
	assert_string_equal(r.suspects[0].name, x.sites[3].name);
}

/* 1 B per INVITE into one string a proxy has grown for a day (1.7 MB):
 * no new fragment, 1 % in 15 minutes, yet never falling and on the line */
static void
test_one_byte_on_a_long_string(void **state)
{
	struct growth_result r;
	struct series x;
	size_t i;

	(void)state;
	traffic(&x, 19, 50, 20, 0, 0);
	background(&x);
	for (i = 0; i < 19; i++) {
		x.bytes[0][i] = round_to(1.7e6 + x.s[i].requests[INV], 8);
		x.counts[0][i] = 1;
	}
	growth_judge(&x.in, &r);
	assert_int_equal(r.verdict, GROWTH_LEAK);
	assert_string_equal(r.suspects[0].name, x.sites[0].name);
	assert_true(fabs(r.suspects[0].bytes_per_request - 1) < 0.1);
}

/*
 * One allocation made once mid-window (OpenSIPS 3.6's timer handler:
 * context_alloc, 48 bytes, measured healthy under 20 calls/s) is a step
 * that never falls: not a buffer every request makes longer, not a leak.
 */
static void
test_one_step_is_not_a_leak(void **state)
{
	struct growth_result r;
	struct series x;
	size_t i, step;

	(void)state;
	for (step = 48; step <= 4096; step *= 4) {
		traffic(&x, 12, 5, 20, 0, 0);
		background(&x);
		for (i = 0; i < 12; i++) {
			x.bytes[0][i] = 2000 + (i >= 7 ? (double)step : 0);
			x.counts[0][i] = 3 + (i >= 7);
		}
		growth_judge(&x.in, &r);
		assert_int_equal(r.verdict, GROWTH_FLAT);
		assert_int_equal(r.nsuspects, 0);
	}
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
		cmocka_unit_test(test_leak_on_a_large_site),
		cmocka_unit_test(test_leak_among_transients),
		cmocka_unit_test(test_kamailio_healthy_drift),
		cmocka_unit_test(test_one_byte_on_a_long_string),
		cmocka_unit_test(test_one_step_is_not_a_leak),
		cmocka_unit_test(test_inflight_ramp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
