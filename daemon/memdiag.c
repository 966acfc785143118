/*
 * memdiag: why does a SIP proxy run out of memory? main() only reads the
 * command line and hands over to the command; the order of start-up is
 * each command's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "check_cmd.h"
#include "diag_cmd.h"
#include "dump_cmd.h"
#include "inspect.h"
#include "call_cmd.h"
#include "exitcodes.h"
#include "gate.h"
#include "log.h"
#include "rpc.h"
#include "service.h"

struct command {
	const char *name;
	int (*main)(int, char **);
	const char *synopsis;
};

static const struct command commands[] = {
	{ "analyze", analyze_main, "analyze [--json] FILE|-" },
	{ "diff", diff_main, "diff [--json] BEFORE AFTER" },
	{ "inspect", inspect_main, "inspect --target TARGET [--json]" },
	{ "dump", dump_main, "dump --target TARGET [--pool shm|pkg|all] [--json] "
	    "[--full] [--rpc SOCKET] [--log SOURCE]" },
	{ "check", check_main, check_cmd_synopsis },
	{ "cleanup", cleanup_main, "cleanup [-c FILE] [--state-dir DIR] [--run-dir DIR]" },
	{ "gate", gate_main, "gate --target TARGET --hold SECONDS "
	    "[--gate nft|hook|none] [options] (see gate --help)" },
	{ "call", call_main, "call --proxy HOST:PORT [options] (see call --help)" },
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
