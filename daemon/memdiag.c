/*
 * memdiag: why does a SIP proxy run out of memory? main() only reads the
 * command line and hands over to the command; the order of start-up is
 * each command's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/cmd.h"
#include "lib/exitcodes.h"
#include "lib/log.h"

struct command {
	const char *name;
	int (*main)(int, char **);
	const char *synopsis;
};

static const struct command commands[] = {
	{ "analyze", analyze_main, analyze_cmd_synopsis },
	{ "diff", diff_main, diff_cmd_synopsis },
	{ "inspect", inspect_main, inspect_cmd_synopsis },
	{ "dump", dump_main, dump_cmd_synopsis },
	{ "check", check_main, check_cmd_synopsis },
	{ "cleanup", cleanup_main, cleanup_cmd_synopsis },
	{ "gate", gate_main, gate_cmd_synopsis },
	{ "call", call_main, call_cmd_synopsis },
	{ "rpc", rpc_main, NULL },	/* developers: one binrpc call */
	{ NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage:\n  memdiag %s\n", diag_cmd_synopsis);
	fprintf(f, "  memdiag %s\n", service_synopsis);
	for (c = commands; c->name != NULL; c++)
		if (c->synopsis != NULL)	/* NULL: a developers' command */
			fprintf(f, "  memdiag %s\n", c->synopsis);
	fprintf(f, "  memdiag --version\n");
}

int
main(int argc, char **argv)
{
	const struct command *c;

	log_init("memdiag", 0);
	if (argc < 2) {
		usage(stderr);
		return EX_MD_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("memdiag %s\n", PACKAGE_VERSION);
		return EX_MD_OK;
	}
	/* the diagnosis is the command without a name */
	if (diag_cmd_wanted(argc, argv))
		return diag_main(argc, argv);
	/* so is the service: memdiag [-n] -c FILE */
	if (service_wanted(argc, argv))
		return service_main(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EX_MD_OK;
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->main(argc - 1, argv + 1);
	log_warnx("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return EX_MD_USAGE;
}
