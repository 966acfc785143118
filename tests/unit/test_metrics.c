/*
 * Unit tests of the Prometheus exposition: every line matches the text
 * format 0.0.4 (a strict regular expression stands in for promtool, which
 * Debian 12 ships only with the whole Prometheus server), every family
 * has one HELP and one TYPE before its samples, label values are
 * escaped, the verdict is one-hot, unknown values are left out, and the
 * file for node_exporter is replaced whole with mode 0644.
 */
#include <sys/stat.h>

#include <limits.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "report/metrics.h"

#define NAME "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LVAL "\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
static const char *const re_comment =
    "^# (HELP " NAME " .*|TYPE " NAME " (gauge|counter|untyped))$";
static const char *const re_sample =
    "^(" NAME ")\\{target=" LVAL "(,verdict=\"(healthy|leak|pool-too-small|"
    "fragmentation|inconclusive)\"|,pool=" LVAL ",site=" LVAL ",method="
    LVAL ")?\\} (-?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?|NaN|[-+]Inf)$";

static const struct metrics_target targets[] = {
	{ .name = "edge", .verdict = "leak", .last_run = 1700000000,
	    .status = 2, .shm_used = 8388608, .shm_total = 67108864,
	    .floor = 6291456, .trend_bytes_per_day = 1048576.5,
	    .seconds_to_exhaustion = 5097600, .up = true },
	/* never diagnosed, nothing known, a name that needs escaping */
	{ .name = "a\"b\\c\nd", .verdict = NULL, .trend_bytes_per_day = -1,
	    .seconds_to_exhaustion = -1, .diagnosing = true },
};

/* Check TEXT line by line; returns the number of sample lines. */
static int
validate(const char *text)
{
	regex_t rc, rs;
	regmatch_t m[2];
	char typed[32][64], line[512];
	int ntyped = 0, samples = 0;
	const char *p = text, *nl;

	assert_int_equal(regcomp(&rc, re_comment, REG_EXTENDED), 0);
	assert_int_equal(regcomp(&rs, re_sample, REG_EXTENDED), 0);
	assert_true(text[0] != '\0' && text[strlen(text) - 1] == '\n');
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t l = (size_t)(nl - p);

		assert_true(l < sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		if (line[0] == '#') {
			if (regexec(&rc, line, 0, NULL, 0) != 0)
				fail_msg("not a HELP/TYPE line: %s", line);
			if (strncmp(line, "# TYPE ", 7) == 0) {
				/* each family typed once */
				sscanf(line + 7, "%63s", typed[ntyped]);
				for (int i = 0; i < ntyped; i++)
					assert_string_not_equal(typed[i],
					    typed[ntyped]);
				ntyped++;
			}
			continue;
		}
		if (regexec(&rs, line, 2, m, 0) != 0)
			fail_msg("not a sample line: \"%s\"", line);
		/* a sample of the family typed last */
		assert_true(ntyped > 0);
		assert_int_equal(strlen(typed[ntyped - 1]),
		    (size_t)(m[1].rm_eo - m[1].rm_so));
		assert_memory_equal(typed[ntyped - 1], line + m[1].rm_so,
		    (size_t)(m[1].rm_eo - m[1].rm_so));
		samples++;
	}
	assert_true(*p == '\0');
	regfree(&rc);
	regfree(&rs);
	return samples;
}

static void
test_format(void **state)
{
	char *text = metrics_text(targets, 2);

	(void)state;
	/* edge: up, diagnosing, 5 verdicts, last run, status, used, size,
	 * floor, trend, exhaustion = 14; the other: up, diagnosing, 5 */
	assert_int_equal(validate(text), 14 + 7);
	assert_non_null(strstr(text, "\nmemdiag_verdict{target=\"edge\","
	    "verdict=\"leak\"} 1\n"));
	assert_non_null(strstr(text, "\nmemdiag_verdict{target=\"edge\","
	    "verdict=\"healthy\"} 0\n"));
	assert_non_null(strstr(text, "\nmemdiag_shm_used_bytes{target="
	    "\"edge\"} 8388608\n"));
	assert_non_null(strstr(text, "\nmemdiag_shm_floor_trend_bytes_per_day"
	    "{target=\"edge\"} 1048576.5\n"));
	assert_non_null(strstr(text, "\nmemdiag_shm_seconds_to_exhaustion"
	    "{target=\"edge\"} 5097600\n"));
	assert_non_null(strstr(text, "\nmemdiag_last_run_timestamp_seconds"
	    "{target=\"edge\"} 1700000000\n"));
	assert_non_null(strstr(text, "\nmemdiag_diagnosing{target="
	    "\"a\\\"b\\\\c\\nd\"} 1\n"));
	assert_non_null(strstr(text, "\nmemdiag_up{target=\"a\\\"b\\\\c\\nd\"}"
	    " 0\n"));
	assert_null(strstr(text, "memdiag_shm_used_bytes{target=\"a"));
	assert_null(strstr(text, "_trend_bytes_per_day{target=\"a"));
	assert_null(strstr(text, "verdict=\"leak\"} 1\nmemdiag_verdict"
	    "{target=\"a"));
	free(text);
}

/* one-hot: exactly one 1 per diagnosed target, none for the other */
static void
test_one_hot(void **state)
{
	char *text = metrics_text(targets, 2), *p;
	int ones = 0, zeros = 0;

	(void)state;
	for (p = text; (p = strstr(p, "memdiag_verdict{")) != NULL; p++) {
		const char *sp = strchr(p, ' ');

		ones += strncmp(sp, " 1\n", 3) == 0;
		zeros += strncmp(sp, " 0\n", 3) == 0;
	}
	assert_int_equal(ones, 1);
	assert_int_equal(zeros, 9);
	free(text);
	text = metrics_text(NULL, 0);
	assert_int_equal(validate(text), 0);
	free(text);
}

static void
test_file(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], err[256], buf[8192];
	char *text = metrics_text(targets, 1);
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/memdiag-metrics.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/memdiag.prom", dir);
	assert_int_equal(metrics_write_file(path, targets, 2, err,
	    sizeof(err)), 0);
	/* replaced, not appended to */
	assert_int_equal(metrics_write_file(path, targets, 1, err,
	    sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, text);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);	/* no temporary left */
	assert_int_equal(metrics_write_file(path, targets, 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_non_null(strstr(err, dir));
	free(text);
}

/* an observed diagnosis's growing sites and time to a full pool */
static void
test_site_growth(void **state)
{
	static const char report[] = "{\"verdict\": \"leak\", \"pools\": "
	    "[{\"pool\": \"shm\", \"seconds_to_full\": 36000.5, "
	    "\"suspects\": [{\"module\": \"htable\", \"file\": "
	    "\"ht_api.c\", \"func\": \"ht_cell_new\", \"line\": 253, "
	    "\"bytes_per_request\": 80.25, \"method\": \"INVITE\"}, "
	    "{\"module\": null, \"file\": \"a\\\"b.c\", \"func\": \"f\", "
	    "\"line\": 7, \"bytes_per_request\": 2, \"method\": "
	    "\"REGISTER\"}]}]}";
	struct metrics_target t = { .name = "edge", .verdict = "leak",
		.trend_bytes_per_day = -1, .seconds_to_exhaustion = -1 };
	json_t *j = json_loads(report, 0, NULL);
	char *text;

	(void)state;
	assert_non_null(j);
	metrics_from_report(j, &t);
	json_decref(j);
	assert_int_equal(t.ngrowth, 2);
	text = metrics_text(&t, 1);
	validate(text);
	assert_non_null(strstr(text, "memdiag_site_growth_bytes_per_request{"
	    "target=\"edge\",pool=\"shm\",site=\"htable: ht_api.c: "
	    "ht_cell_new(253)\",method=\"INVITE\"} 80.25\n"));
	assert_non_null(strstr(text, "site=\"a\\\"b.c: f(7)\",method=\""
	    "REGISTER\"} 2\n"));
	assert_non_null(strstr(text, "memdiag_shm_seconds_to_full{target="
	    "\"edge\"} 36000.5\n"));
	free(text);
	/* an active diagnosis's report has no such sites: none, none known */
	j = json_loads("{\"pools\": [{\"pool\": \"shm\", \"suspects\": "
	    "[{\"bytes_per_call\": 9}]}]}", 0, NULL);
	metrics_from_report(j, &t);
	json_decref(j);
	assert_int_equal(t.ngrowth, 0);
	text = metrics_text(&t, 1);
	assert_null(strstr(text, "} 36000.5"));
	assert_null(strstr(text, "memdiag_site_growth_bytes_per_request{"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_one_hot),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_site_growth),
	};

	log_init("test_metrics", -1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
