/*
 * Drives history.c and chart.c for the shell tests:
 *   history_drive save STATEDIR NAME REPORT.json KEEP   (prints "saved" or
 *                                                      the error; 1 on error)
 *   history_drive run REPORT.json > OUT.svg             (2: no chart)
 *   history_drive floors STATEDIR NAME > OUT.svg        (and the trend on
 *                                                      stderr)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/log.h"
#include "report/chart.h"
#include "report/history.h"

static json_t *
load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (j == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
		exit(1);
	}
	return j;
}

int
main(int argc, char **argv)
{
	char err[512];

	log_init("history_drive", 0);
	if (argc == 6 && strcmp(argv[1], "save") == 0) {
		json_t *r = load(argv[4]);

		if (history_save(argv[2], argv[3], r, (unsigned)atoi(argv[5]),
		    err, sizeof(err)) == -1) {
			printf("%s\n", err);
			json_decref(r);
			return 1;
		}
		json_dumpf(json_object_get(r, "saved"), stdout, JSON_COMPACT);
		printf("\n");
		json_decref(r);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "run") == 0) {
		json_t *r = load(argv[2]);
		/* the chart history_save draws for it */
		char *svg = chart_growth_svg(r);

		if (svg == NULL)
			svg = chart_run_svg(r);

		if (svg == NULL) {
			json_decref(r);
			return 2;
		}
		fputs(svg, stdout);
		free(svg);
		json_decref(r);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "floors") == 0) {
		struct trend_point *p;
		struct trend t;
		size_t n;
		char *svg;

		if (history_load(argv[2], argv[3], &p, &n, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		trend_fit(p, n, &t);
		svg = chart_floors_svg(argv[3], p, n, &t);
		fputs(svg, stdout);
		fprintf(stderr, "points %zu used %zu slope %.1f days_left %.2f\n",
		    n, t.n, t.slope, t.days_left);
		free(svg);
		free(p);
		return 0;
	}
	fprintf(stderr, "usage: history_drive save STATEDIR NAME REPORT KEEP | "
	    "run REPORT | floors STATEDIR NAME\n");
	return 64;
}
