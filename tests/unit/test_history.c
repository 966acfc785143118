/*
 * Unit tests of the saved diagnoses: save, load, prune, the files' modes,
 * the trend's least squares and days-left arithmetic against numbers
 * worked out by hand, and the errors (a name that is no directory, a
 * state directory that cannot hold one). The full disk is
 * tests/sh/history-disk.sh (a tiny tmpfs in a mount namespace of its own).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/log.h"
#include "report/chart.h"
#include "report/history.h"

#define DAY 86400.0
#define MIB 1048576.0
#define T0 1700000000.0		/* 2023-11-14T22:13:20Z */

static struct trend_point
pt(double day, double floor_mb, double pool_mb, const char *verdict)
{
	struct trend_point p;

	memset(&p, 0, sizeof(p));
	p.when = T0 + day * DAY;
	p.floor = (uint64_t)(floor_mb * MIB);
	p.pool_size = (uint64_t)(pool_mb * MIB);
	snprintf(p.verdict, sizeof(p.verdict), "%s", verdict);
	return p;
}

/* 100 MB + 1 MB a day in a 200 MB pool: 1 MB/day, full 96 days after
 * the last (104 MB) */
static void
test_trend_linear(void **state)
{
	struct trend_point p[5];
	struct trend t;

	(void)state;
	for (int i = 0; i < 5; i++)
		p[i] = pt(i, 100 + i, 200, "healthy");
	trend_fit(p, 5, &t);
	assert_int_equal(t.n, 5);
	assert_true(t.slope > MIB - 1e-3 && t.slope < MIB + 1e-3);
	assert_true(t.days_left > 96 - 1e-6 && t.days_left < 96 + 1e-6);
	assert_int_equal(t.last_floor, (uint64_t)(104 * MIB));
	assert_int_equal(t.pool_size, (uint64_t)(200 * MIB));
	assert_string_equal(t.last_verdict, "healthy");
	assert_true(t.last_when == T0 + 4 * DAY);
}

/* floors 1, 3, 2 MB on days 0, 1, 2: Sx = 3, Sy = 6, Sxx = 5, Sxy = 7;
 * slope (n*Sxy - Sx*Sy) / (n*Sxx - Sx^2) = (21 - 18) / (15 - 9) = 0.5
 * MB/day; from the last floor (2 MB), (10 - 2) / 0.5 = 16 days left in a
 * 10 MB pool */
static void
test_trend_noisy(void **state)
{
	struct trend_point p[3] = { pt(0, 1, 10, "healthy"),
		pt(1, 3, 10, "healthy"), pt(2, 2, 10, "inconclusive") };
	struct trend t;

	(void)state;
	trend_fit(p, 3, &t);
	assert_true(t.slope > 0.5 * MIB - 1e-3 && t.slope < 0.5 * MIB + 1e-3);
	assert_true(t.days_left > 16 - 1e-6 && t.days_left < 16 + 1e-6);
	assert_string_equal(t.last_verdict, "inconclusive");
}

/* fewer than three floors: no slope; flat or falling: not rising */
static void
test_trend_unknown(void **state)
{
	struct trend_point two[2] = { pt(0, 1, 10, "healthy"),
		pt(1, 5, 10, "leak") };
	struct trend_point flat[3] = { pt(0, 4, 10, "healthy"),
		pt(1, 4, 10, "healthy"), pt(2, 4, 10, "healthy") };
	struct trend_point fall[3] = { pt(0, 6, 10, "healthy"),
		pt(1, 5, 10, "healthy"), pt(2, 4, 10, "healthy") };
	struct trend_point one_day[3] = { pt(1, 4, 10, "healthy"),
		pt(1, 5, 10, "healthy"), pt(1, 6, 10, "healthy") };
	struct trend t;

	(void)state;
	trend_fit(two, 2, &t);
	assert_int_equal(t.n, 2);
	assert_true(t.slope == 0 && t.days_left == -1);
	assert_int_equal(t.last_floor, (uint64_t)(5 * MIB));
	trend_fit(flat, 3, &t);
	assert_true(t.slope == 0 && t.days_left == -1);
	trend_fit(fall, 3, &t);
	assert_true(t.slope < -0.99 * MIB && t.days_left == -1);
	trend_fit(one_day, 3, &t);
	assert_true(t.slope == 0 && t.days_left == -1);
	trend_fit(NULL, 0, &t);
	assert_true(t.n == 0 && t.days_left == -1 && t.last_verdict[0] == 0);
}

/* runs without a floor (errors) count for the last verdict, not the fit:
 * floors 2, 4, 6 MB on days 0, 2, 3 give (3*26 - 5*12) / (3*13 - 25) =
 * 9/7 MB/day; a pool size unknown: no days left; a floor at the pool: 0 */
static void
test_trend_gaps(void **state)
{
	struct trend_point p[5] = { pt(0, 2, 0, "healthy"),
		pt(1, 0, 0, "error"), pt(2, 4, 0, "leak"), pt(3, 6, 0, "leak"),
		pt(4, 0, 0, "error") };
	struct trend t;

	(void)state;
	trend_fit(p, 5, &t);
	assert_int_equal(t.n, 3);
	assert_true(t.slope > 9.0 / 7 * MIB - 1 && t.slope < 9.0 / 7 * MIB + 1);
	assert_true(t.days_left == -1);
	assert_string_equal(t.last_verdict, "error");
	assert_int_equal(t.last_floor, (uint64_t)(6 * MIB));
	p[1].pool_size = (uint64_t)(6 * MIB);	/* the last known size */
	trend_fit(p, 5, &t);
	assert_true(t.days_left == 0);
}

/* ---- files ---- */

static char statedir[PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	snprintf(statedir, sizeof(statedir), "%s/memdiag-history.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(statedir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", statedir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A diagnosis's report as diag_report.c makes it, with a timeline. */
static json_t *
report(double day, double floor_mb, const char *verdict)
{
	json_int_t f = (json_int_t)(floor_mb * MIB);

	return json_pack("{s:s, s:s, s:{s:i, s:s}, s:[{s:s, s:I}], "
	    "s:{s:f, s:I, s:[[f, I, I], [f, I, I]], s:[{s:f, s:s, s:i}, "
	    "{s:f, s:s, s:i}, {s:f, s:s, s:i}], s:[{s:i, s:I}]}}",
	    "verdict", verdict, "reason", "test",
	    "target", "pid", 42, "version", "kamailio 5.6.3",
	    "pools", "pool", "shm", "baseline_used", f,
	    "timeline", "start", T0 + day * DAY, "pool_size",
	    (json_int_t)(64 * MIB), "samples", 0.0, f, f + 4096, 9.0, f, f + 4096,
	    "phases", "t", 0.0, "phase", "PREFLIGHT", "round", 0,
	    "t", 0.1, "phase", "QUIET", "round", 0, "t", 8.0, "phase", "DUMP",
	    "round", 0, "floors", "round", 0, "used", f);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int
count(const char *dir, const char *suffix, int *hidden)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	*hidden = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);

		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			(*hidden)++;
		else if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_save_load_prune(void **state)
{
	char err[512], dir[PATH_MAX + 32], path[PATH_MAX + 64];
	struct trend_point *p;
	size_t n;
	int hidden;

	(void)state;
	for (int i = 0; i < 5; i++) {
		json_t *r = report(i, 10 + 0.5 * i, i < 3 ? "healthy" : "leak");
		json_t *saved;

		assert_int_equal(history_save(statedir, "edge", r, 3, err,
		    sizeof(err)), 0);
		saved = json_object_get(r, "saved");
		assert_non_null(saved);
		assert_int_equal(access(json_string_value(json_object_get(saved,
		    "json")), R_OK), 0);
		assert_int_equal(access(json_string_value(json_object_get(saved,
		    "svg")), R_OK), 0);
		json_decref(r);
	}
	snprintf(dir, sizeof(dir), "%s/history/edge", statedir);
	assert_int_equal(count(dir, ".json", &hidden), 3);
	assert_int_equal(count(dir, ".svg", &hidden), 4);	/* + floors */
	assert_int_equal(hidden, 0);		/* no temporary left */
	assert_int_equal(mode_of(dir), 0700);
	/* T0 + 2 days is 2023-11-16T22:13:20Z, the oldest kept */
	snprintf(path, sizeof(path), "%s/20231116T221320Z.json", dir);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/20231115T221320Z.json", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/20231115T221320Z.svg", dir);
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(history_load(statedir, "edge", &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_true(p[0].when == T0 + 2 * DAY && p[2].when == T0 + 4 * DAY);
	assert_int_equal(p[0].floor, (uint64_t)(11 * MIB));
	assert_int_equal(p[2].floor, (uint64_t)(12 * MIB));
	assert_int_equal(p[2].pool_size, (uint64_t)(64 * MIB));
	assert_string_equal(p[2].verdict, "leak");
	free(p);
}

/* an error report (no timeline, no chart) is kept, dated now */
static void
test_save_error(void **state)
{
	json_t *r = json_pack("{s:s, s:i}", "error", "the proxy's RPC "
	    "cannot be reached", "status", 69);
	struct trend_point *p;
	char err[512];
	size_t n;

	(void)state;
	assert_int_equal(history_save(statedir, "core", r, 10, err,
	    sizeof(err)), 0);
	assert_true(json_is_null(json_object_get(json_object_get(r, "saved"),
	    "svg")));
	assert_int_equal(history_load(statedir, "core", &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].verdict, "error");
	assert_int_equal(p[0].floor, 0);
	assert_true(p[0].when > T0);
	free(p);
	json_decref(r);
}

/* two diagnoses started in the same second are both kept */
static void
test_same_second(void **state)
{
	struct trend_point *p;
	char err[512];
	size_t n;

	(void)state;
	for (int i = 0; i < 2; i++) {
		json_t *r = report(0, 10 + i, "healthy");

		assert_int_equal(history_save(statedir, "twice", r, 0, err,
		    sizeof(err)), 0);
		json_decref(r);
	}
	assert_int_equal(history_load(statedir, "twice", &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	free(p);
}

static void
test_errors(void **state)
{
	char err[512], file[PATH_MAX + 16];
	json_t *r = report(0, 10, "healthy");
	struct trend_point *p;
	size_t n;
	FILE *f;

	(void)state;
	assert_int_equal(history_save(statedir, "../etc", r, 3, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "../etc"));
	assert_null(json_object_get(r, "saved"));
	/* a state directory that is a file: the path and the reason */
	snprintf(file, sizeof(file), "%s/plain", statedir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	assert_int_equal(history_save(file, "edge", r, 3, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "plain/history: Not a directory"));
	assert_null(json_object_get(r, "saved"));
	/* nothing saved yet: no points, no error */
	assert_int_equal(history_load(statedir, "never", &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(p);
	json_decref(r);
}

/* a damaged file is skipped, the others still load */
static void
test_load_damaged(void **state)
{
	char err[512], path[PATH_MAX + 64];
	json_t *r = report(0, 10, "healthy");
	struct trend_point *p;
	size_t n;
	FILE *f;

	(void)state;
	assert_int_equal(history_save(statedir, "dmg", r, 0, err,
	    sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/history/dmg/20200101T000000Z.json",
	    statedir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"verdict\": \"he", f);
	fclose(f);
	assert_int_equal(history_load(statedir, "dmg", &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].floor, (uint64_t)(10 * MIB));
	free(p);
	json_decref(r);
}

/* ---- charts: text from the report is escaped ---- */

static void
test_chart_escape(void **state)
{
	json_t *r = report(0, 10, "leak");
	struct trend_point p[3] = { pt(0, 1, 10, "healthy"),
		pt(1, 2, 10, "<b>"), pt(2, 3, 10, "leak") };
	struct trend t;
	char *svg;

	(void)state;
	json_object_set_new(json_object_get(r, "target"), "name",
	    json_string("edge<1>&\"2\""));
	svg = chart_run_svg(r);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "edge&lt;1&gt;&amp;&quot;2&quot;"));
	assert_null(strstr(svg, "edge<1"));
	free(svg);
	json_object_del(r, "timeline");
	assert_null(chart_run_svg(r));
	trend_fit(p, 3, &t);
	svg = chart_floors_svg("a&b", p, 3, &t);
	assert_non_null(strstr(svg, "a&amp;b"));
	assert_non_null(strstr(svg, "&lt;b&gt;"));
	assert_null(strstr(svg, "<b>"));
	free(svg);
	json_decref(r);
}

/* ---- the observed leak's chart: sites against requests ---- */

static void
test_chart_growth(void **state)
{
	json_t *r = json_pack("{s:s, s:s, s:f, s:{s:s}, s:[{s:s, "
	    "s:{s:[i,i,i,i]}, s:[{s:s, s:i, s:f, s:s, s:[i,i,i,i]}]}]}",
	    "verdict", "leak", "reason", "a <site> grows", "observe_seconds",
	    90.0, "target", "name", "edge", "pools", "pool", "shm", "series",
	    "requests", 100, 600, 1100, 1600, "suspects", "func",
	    "ht_cell_new", "line", 186, "bytes_per_request", 750.0, "method",
	    "INVITE", "series", 5000, 380000, 755000, 1130000);
	char *svg;

	(void)state;
	assert_non_null(svg = chart_growth_svg(r));
	assert_non_null(strstr(svg, "bytes kept per INVITE"));
	assert_non_null(strstr(svg, "ht_cell_new(186) 750.0 B/INVITE"));
	assert_non_null(strstr(svg, "INVITEs since the first sample"));
	assert_non_null(strstr(svg, "(KB)"));
	assert_non_null(strstr(svg, "a &lt;site&gt; grows"));
	/* four points on the line, the first at the origin (70, 340) */
	assert_non_null(strstr(svg, "points=\"70.0,340.0 "));
	free(svg);
	/* a series that does not match its requests is not drawn */
	json_array_append_new(json_object_get(json_array_get(
	    json_object_get(json_array_get(json_object_get(r, "pools"), 0),
	    "suspects"), 0), "series"), json_integer(1));
	assert_null(chart_growth_svg(r));
	/* no leaking site, or not an observed diagnosis: no such chart */
	json_object_del(r, "observe_seconds");
	assert_null(chart_growth_svg(r));
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trend_linear),
		cmocka_unit_test(test_trend_noisy),
		cmocka_unit_test(test_trend_unknown),
		cmocka_unit_test(test_trend_gaps),
		cmocka_unit_test_setup_teardown(test_save_load_prune, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_save_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_same_second, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_damaged, setup,
		    teardown),
		cmocka_unit_test(test_chart_escape),
		cmocka_unit_test(test_chart_growth),
	};

	log_init("test_history", -1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
