/*
 * memdiag cleanup [-c FILE]: what ExecStopPost runs and what an operator
 * runs after a crash: open the gates and restore the settings of runs
 * that died, never those of a live one (gate.c and settings.c decide).
 */
#include <getopt.h>
#include <stdio.h>

#include "face/cmd.h"
#include "face/conf.h"
#include "gate/gate.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "proxy/settings.h"

const char cleanup_cmd_synopsis[] = "cleanup [-c FILE] [--state-dir DIR] "
    "[--run-dir DIR]";

int
cleanup_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *statedir = MEMDIAG_STATEDIR, *rundir = MEMDIAG_RUNDIR;
	const char *path = NULL;
	struct conf *conf = NULL;
	char err[1024];
	int restored, failed, gates, gfailed, ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "S:R:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'S':
			statedir = optarg;
			break;
		case 'R':
			rundir = optarg;
			break;
		default:
			fprintf(stderr, "usage: memdiag %s\n",
			    cleanup_cmd_synopsis);
			return ch == 'h' ? EX_MD_OK : EX_MD_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: memdiag %s\n", cleanup_cmd_synopsis);
		return EX_MD_USAGE;
	}
	/* a broken file must not keep a gate closed: its directories if it
	 * loads, the defaults (or the options) if not */
	if (path != NULL && conf_load(path, &conf, err, sizeof(err)) != 0)
		log_warnx("%s; cleaning up %s and %s", err, statedir, rundir);
	else if (conf != NULL) {
		statedir = conf->statedir;
		rundir = conf->rundir;
	}
	/* gates first: users' traffic matters more than log settings */
	gates = gate_cleanup(rundir, &gfailed);
	restored = settings_cleanup(statedir, &failed);
	log_info("cleanup: opened %d gate%s and restored the settings of %d "
	    "run%s that died%s", gates, gates == 1 ? "" : "s", restored,
	    restored == 1 ? "" : "s", failed || gfailed ? "; some could not "
	    "be (see above)" : "");
	conf_free(conf);
	return failed || gfailed ? EX_MD_UNAVAILABLE : EX_MD_OK;
}
