/*
 * --nagios: the diagnosis as one status line a monitoring system reads,
 * "MEMDIAG WARNING - pool-too-small: REASON | PERFDATA", with per pool
 * the settled use (the pool's size as the maximum), the floor's growth
 * over the run and the bytes per call. Statuses 0-3 are Nagios' own;
 * anything else (64-78) is UNKNOWN, 3. Drawn from the JSON report, so
 * both say the same.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lib/exitcodes.h"
#include "report/nagios.h"

static const char *
word(int status)
{
	static const char *const w[] = { "OK", "WARNING", "CRITICAL",
		"UNKNOWN" };

	return status >= 0 && status <= 3 ? w[status] : w[3];
}

/* One line: no '|' (perfdata's separator) nor line breaks. */
static void
put_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		fputc(*s == '|' ? '/' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* 'shm' or 'pkg_udp_receiver': a label without quotes nor '=' */
static void
label(char *buf, size_t len, const char *pool, const char *process)
{
	size_t i, n;

	if (strcmp(pool, "shm") == 0 || process == NULL) {
		snprintf(buf, len, "%s", pool);
		return;
	}
	snprintf(buf, len, "%s_%s", pool, process);
	for (i = 0, n = strlen(buf); i < n; i++)
		if (buf[i] == ' ' || buf[i] == '\'' || buf[i] == '=')
			buf[i] = '_';
}

static void
perfdata(FILE *f, json_t *pools)
{
	json_t *p;
	size_t i;

	json_array_foreach(pools, i, p) {
		json_t *rounds = json_object_get(p, "rounds");
		json_t *heap = json_object_get(p, "heap_size");
		json_int_t base = json_integer_value(json_object_get(p,
		    "baseline_used")), used = base;
		char l[96];

		if (json_array_size(rounds) > 0)
			used = json_integer_value(json_object_get(
			    json_array_get(rounds, json_array_size(rounds) - 1),
			    "settled_used"));
		label(l, sizeof(l), json_string_value(json_object_get(p,
		    "pool")), json_string_value(json_object_get(p,
		    "process")));
		fprintf(f, " '%s_used'=%lldB;;;0;", l, (long long)used);
		if (json_is_integer(heap) && json_integer_value(heap) > 0)
			fprintf(f, "%lld", (long long)json_integer_value(heap));
		fprintf(f, " '%s_floor_growth'=%lldB '%s_bytes_per_call'=%.1fB",
		    l, (long long)(used - base), l, json_number_value(
		    json_object_get(p, "bytes_per_call")));
	}
}

int
nagios_print(json_t *report, int status)
{
	int st = status >= 0 && status <= 3 ? status : EX_MD_UNKNOWN;

	printf("MEMDIAG %s - %s: ", word(st), json_string_value(
	    json_object_get(report, "verdict")));
	put_text(stdout, json_string_value(json_object_get(report, "reason")));
	printf(" |");
	perfdata(stdout, json_object_get(report, "pools"));
	printf("\n");
	fflush(stdout);
	return st;
}

int
nagios_error(int status, const char *err)
{
	printf("MEMDIAG UNKNOWN - error (status %d): ", status);
	put_text(stdout, err != NULL && *err != '\0' ? err :
	    "the diagnosis did not finish");
	printf("\n");
	fflush(stdout);
	return EX_MD_UNKNOWN;
}

bool
nagios_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--nagios") == 0)
			return true;
	return false;
}
