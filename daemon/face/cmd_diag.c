/*
 * memdiag --target TARGET [options]: read the options, validate them
 * once, and hand over to the diagnosis (diag.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diag.h"
#include "engine/diag_bundle.h"
#include "face/cmd.h"
#include "face/cmdline.h"
#include "gate/gate.h"
#include "lib/addr.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "report/nagios.h"

const char diag_cmd_synopsis[] = "--target TARGET [--proxy HOST:PORT] "
    "[--rpc SOCKET] [--log SOURCE]\n"
    "          [--gate nft|hook|none] [--gate-budget S] [--force] "
    "[--peer IP[:PORT]]...\n"
    "          [--quiet-max S] [--settle S] [--calls N] [--rounds R] "
    "[--mix LIST]\n"
    "          [--mode direct|registered] [--peak-cps N] [--passive "
    "[--observe S]]\n"
    "          [--json] [--nagios]"
    "\n"
    "          [--bundle DIR] [--state-dir DIR] [--run-dir DIR] "
    "[--proxy-exe LIST] [-v]";

bool
diag_cmd_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--target") == 0 ||
		    strncmp(argv[i], "--target=", 9) == 0)
			return argv[1][0] == '-';
	return false;
}

static int
parse_args(struct diag_opts *o, int argc, char **argv, int *verbose)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "proxy", required_argument, NULL, 'p' },
		{ "rpc", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "gate", required_argument, NULL, 'g' },
		{ "gate-budget", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "peer", required_argument, NULL, 'e' },
		{ "quiet-max", required_argument, NULL, 'Q' },
		{ "settle", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'N' },
		{ "mix", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "peak-cps", required_argument, NULL, 'P' },
		{ "passive", no_argument, NULL, 'a' },
		{ "observe", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "nagios", no_argument, NULL, 'G' },
		{ "bundle", required_argument, NULL, 'B' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "proxy-exe", required_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* argv's strings, for the run's lifetime */
	static const char *peers[GATE_MAX_ADDRS];
	size_t npeers = 0;
	struct addr a;
	char err[256];
	double v;
	int ch;

	diag_opts_defaults(o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			o->target = optarg;
			break;
		case 'p':
			o->proxy = optarg;
			break;
		case 'r':
			o->rpc = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'g':
			if (gate_ops_find(optarg) == NULL) {
				log_warnx("--gate %s: one of %s", optarg,
				    gate_ops_names());
				return EX_MD_USAGE;
			}
			o->gate = optarg;
			break;
		case 'b':
			if (cmdline_conf_number("--gate-budget", "gate_budget", optarg,
			    &v))
				return EX_MD_USAGE;
			o->gate_budget = (unsigned)v;
			break;
		case 'f':
			o->force = true;
			break;
		case 'e':
			if (addr_parse(optarg, false, &a, err,
			    sizeof(err)) != 0) {
				log_warnx("--peer %s", err);
				return EX_MD_USAGE;
			}
			if (npeers == GATE_MAX_ADDRS) {
				log_warnx("--peer: at most %d", GATE_MAX_ADDRS);
				return EX_MD_USAGE;
			}
			peers[npeers++] = optarg;
			o->peers = peers;
			o->npeers = npeers;
			break;
		case 'Q':
			if (cmdline_conf_number("--quiet-max", "quiet_max", optarg,
			    &o->quiet_max))
				return EX_MD_USAGE;
			break;
		case 's':
			if (cmdline_conf_number("--settle", "settle", optarg,
			    &o->settle))
				return EX_MD_USAGE;
			break;
		case 'n':
			if (cmdline_conf_number("--calls", "calls", optarg, &v))
				return EX_MD_USAGE;
			o->calls = (unsigned)v;
			break;
		case 'N':
			if (cmdline_conf_number("--rounds", "rounds", optarg, &v))
				return EX_MD_USAGE;
			o->rounds = (unsigned)v;
			break;
		case 'm':
			o->mix = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "direct") == 0)
				o->mode = CALL_MODE_DIRECT;
			else if (strcmp(optarg, "registered") == 0)
				o->mode = CALL_MODE_REGISTERED;
			else {
				log_warnx("--mode %s: direct or registered",
				    optarg);
				return EX_MD_USAGE;
			}
			o->mode_auto = false;
			break;
		case 'P':
			if (cmdline_conf_number("--peak-cps", "peak_cps", optarg,
			    &o->peak_cps))
				return EX_MD_USAGE;
			break;
		case 'O':
			if (cmdline_conf_number("--observe", "observe", optarg,
			    &o->observe))
				return EX_MD_USAGE;
			break;
		case 'a':
			o->passive = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'G':
			o->nagios = true;
			break;
		case 'B':
			o->bundle = optarg;
			break;
		case 'S':
			o->statedir = optarg;
			break;
		case 'R':
			o->rundir = optarg;
			break;
		case 'X':
			if (cmdline_proxy_exe(optarg) != 0)
				return EX_MD_USAGE;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'h':
			printf("usage: memdiag %s\n", diag_cmd_synopsis);
			return -1;
		default:
			fprintf(stderr, "usage: memdiag %s\n",
			    diag_cmd_synopsis);
			return EX_MD_USAGE;
		}
	}
	if (o->target == NULL || optind != argc) {
		fprintf(stderr, "usage: memdiag %s\n", diag_cmd_synopsis);
		return EX_MD_USAGE;
	}
	if (o->settle >= o->quiet_max) {
		log_warnx("--settle %.1f must be shorter than --quiet-max %.1f",
		    o->settle, o->quiet_max);
		return EX_MD_USAGE;
	}
	return 0;
}

/* The report's options together, and the bundle's directory usable. */
static int
report_args(const struct diag_opts *o)
{
	char err[4200];

	if (o->nagios && o->json) {
		log_warnx("--nagios and --json: choose one (--bundle DIR keeps "
		    "the JSON too)");
		return EX_MD_USAGE;
	}
	if (o->bundle != NULL && diag_bundle_prepare(o->bundle, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EX_MD_USAGE;
	}
	return 0;
}

int
diag_main(int argc, char **argv)
{
	struct diag_opts o;
	int r, verbose = 0;

	if ((r = parse_args(&o, argc, argv, &verbose)) == 0)
		r = report_args(&o);
	/* --nagios: a monitoring system reads one line and 0-3 only */
	if (r > 0 && nagios_wanted(argc, argv))
		return nagios_error(r, "usage error (memdiag --help)");
	if (r != 0)
		return r < 0 ? EX_MD_OK : r;
	log_init("memdiag", verbose);
	return diag_run(&o);
}
