/*
 * The offline commands: read a log in large chunks into the parser, then
 * report. Errors name the file and line and map to memdiag(8)'s statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diff.h"
#include "core/dump.h"
#include "face/cmd.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "report/report.h"

#define ANALYZE_CHUNK (128 * 1024)

const char analyze_cmd_synopsis[] = "analyze [--json] FILE|-";
const char diff_cmd_synopsis[] = "diff [--json] BEFORE AFTER";

/*
 * Parse a whole log file ("-" for stdin). On failure prints one line
 * naming the file and returns NULL with *status set (66: cannot open).
 */
static struct dump_result *
analyze_read(const char *path, int *status)
{
	struct dump_parser *p;
	char *buf;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s: cannot open", path);
		*status = EX_MD_NOINPUT;
		return NULL;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = malloc(ANALYZE_CHUNK);
	if (buf == NULL)
		fatal(EX_MD_INTERNAL, "malloc");
	p = dump_parser_new();
	for (;;) {
		n = read(fd, buf, ANALYZE_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		dump_parser_feed(p, buf, (size_t)n);
	}
	if (n == -1) {
		log_warn("%s: read error", path);
		dump_result_free(dump_parser_finish(p));
		free(buf);
		if (fd != STDIN_FILENO)
			close(fd);
		*status = EX_MD_NOINPUT;
		return NULL;
	}
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	*status = EX_MD_OK;
	return dump_parser_finish(p);
}

/* Exit status for a parsed log; prints the problems on stderr. */
static int
analyze_status(const char *path, const struct dump_result *r)
{
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t i, shown = 0;
	int status = EX_MD_OK;

	for (i = 0; i < r->nproblems; i++) {
		const struct dump_problem *pr = &r->problems[i];

		if (pr->kind == DUMP_PROBLEM_MALFORMED) {
			if (status != EX_MD_DATAERR)
				log_warnx("%s:%llu: %s", name,
				    (unsigned long long)pr->line, pr->text);
			status = EX_MD_DATAERR;
		} else if (shown++ < 3)
			log_warnx("%s:%llu: warning: %s", name,
			    (unsigned long long)pr->line, pr->text);
	}
	if (status != EX_MD_OK)
		return status;
	if (r->ndumps == 0) {
		log_warnx("%s: no memory dump found in %llu lines (is memlog "
		    "<= debug? see memdiag(8))", name,
		    (unsigned long long)r->lines);
		return EX_MD_DATAERR;
	}
	for (i = 0; i < r->ndumps; i++)
		if (!r->dumps[i].complete)
			log_warnx("%s:%llu: warning: dump %zu is incomplete: %s",
			    name, (unsigned long long)r->dumps[i].first_line,
			    i + 1, r->dumps[i].incomplete_why);
	return r->ncorruption > 0 ? EX_MD_CRITICAL : EX_MD_OK;
}

/*
 * The options analyze and diff share ([--json] and nargs files). -1 with
 * *json set when the arguments are right, else the exit status to return.
 */
static int
parse_opts(int argc, char **argv, int nargs, const char *usage, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*json = false;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			*json = true;
			break;
		case 'h':
			fprintf(stderr, "usage: memdiag %s\n", usage);
			return EX_MD_OK;
		default:
			fprintf(stderr, "usage: memdiag %s\n", usage);
			return EX_MD_USAGE;
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "usage: memdiag %s\n", usage);
		return EX_MD_USAGE;
	}
	return -1;
}

int
analyze_main(int argc, char **argv)
{
	struct dump_result *r;
	bool json;
	int status;

	if ((status = parse_opts(argc, argv, 1, analyze_cmd_synopsis, &json)) >= 0)
		return status;
	if ((r = analyze_read(argv[optind], &status)) == NULL)
		return status;
	if (json) {
		json_t *j = report_analyze_json(r);

		report_print_json(stdout, j);
		json_decref(j);
	} else
		report_analyze_text(stdout, strcmp(argv[optind], "-") == 0 ?
		    "<stdin>" : argv[optind], r);
	fflush(stdout);
	status = analyze_status(argv[optind], r);
	dump_result_free(r);
	return status;
}

int
diff_main(int argc, char **argv)
{
	struct dump_result *a, *b;
	struct diff_result *d;
	bool json;
	int status, sa, sb;

	if ((status = parse_opts(argc, argv, 2, diff_cmd_synopsis, &json)) >= 0)
		return status;
	if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0) {
		log_warnx("diff: only one of BEFORE and AFTER can be stdin");
		return EX_MD_USAGE;
	}
	if ((a = analyze_read(argv[optind], &status)) == NULL)
		return status;
	if ((b = analyze_read(argv[optind + 1], &status)) == NULL) {
		dump_result_free(a);
		return status;
	}
	d = diff_dumps(a, b);
	if (json) {
		json_t *j = report_diff_json(d);

		report_print_json(stdout, j);
		json_decref(j);
	} else
		report_diff_text(stdout, d);
	fflush(stdout);
	sa = analyze_status(argv[optind], a);
	sb = analyze_status(argv[optind + 1], b);
	status = sa == EX_MD_DATAERR || sb == EX_MD_DATAERR ? EX_MD_DATAERR :
	    sa == EX_MD_CRITICAL || sb == EX_MD_CRITICAL ? EX_MD_CRITICAL :
	    EX_MD_OK;
	diff_result_free(d);
	dump_result_free(a);
	dump_result_free(b);
	return status;
}
