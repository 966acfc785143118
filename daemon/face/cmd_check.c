/*
 * memdiag check [--all | NAME...] -c FILE: the one-shot diagnosis of
 * configured targets, one after the other; what the nightly timer runs
 * and what the service starts when a target shows trouble. Each result
 * is saved in the target's history (with its chart), compared with the
 * nights before (the floor's trend), and the metrics file is refreshed.
 *
 * A target without allow_gate, or inside its quiet hours, is only
 * looked at (passive): RPC and per-site summaries, no gate, no calls.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/diag.h"
#include "face/cmd.h"
#include "face/conf.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "report/history.h"
#include "report/metrics.h"
#include "report/report.h"

const char check_cmd_synopsis[] = "check [--all | NAME...] -c FILE "
    "[--json] [--trigger WHY] [--rolling] [-v]";

struct check {
	const struct conf *conf;
	const char *trigger;
	bool json;
	bool rolling;		/* the service's continuous observation */
	json_t *out;		/* --json: one report per target */
};

/* --rolling: what was saved last, to save again only on news */
struct rolling {
	struct check *k;
	const struct conf_target *t;
	int status_fd;
	char verdict[24];	/* "": nothing saved yet */
	time_t saved;
};

/*
 * The worse of two statuses: an error (64-78: the target could not be
 * diagnosed, which an operator must see) before any verdict, then the
 * verdicts' order: leak (2), pool-too-small (1), inconclusive (3),
 * healthy (0).
 */
static int
worse(int a, int b)
{
	static const int rank[] = { 0, 2, 3, 1 };	/* 0, 1, 2, 3 */

	if (a > 3 || b > 3)
		return a > 3 ? a : b;
	return rank[a] >= rank[b] ? a : b;
}

static void
add_trend(const struct conf *c, const char *name, json_t *rep)
{
	struct trend_point *pts = NULL;
	struct trend tr;
	char err[512];
	size_t n = 0;

	if (history_load(c->statedir, name, &pts, &n, err, sizeof(err)) !=
	    0) {
		log_warnx("%s", err);
		return;
	}
	trend_fit(pts, n, &tr);
	json_object_set_new(rep, "trend", json_pack("{s:I, s:f, s:f, s:I}",
	    "diagnoses", (json_int_t)tr.n, "bytes_per_day", tr.slope,
	    "days_left", tr.days_left, "pool_size", (json_int_t)tr.pool_size));
	free(pts);
}

static void
print_line(const char *name, const json_t *rep, int st)
{
	const char *v = json_string_value(json_object_get(rep, "verdict"));
	const char *why = json_string_value(json_object_get(rep, "reason"));
	const char *saved = json_string_value(json_object_get(
	    json_object_get(rep, "saved"), "json"));
	const char *svg = json_string_value(json_object_get(
	    json_object_get(rep, "saved"), "svg"));
	const json_t *tr = json_object_get(rep, "trend");
	double days = json_real_value(json_object_get(tr, "days_left"));

	if (v == NULL) {
		v = "error";
		why = json_string_value(json_object_get(rep, "error"));
	}
	printf("%s: %s (status %d): %s\n", name, v, st, why ? why : "");
	if (json_integer_value(json_object_get(tr, "diagnoses")) >= 3)
		printf("  floor trend over %lld diagnoses: %+.0f bytes/day%s",
		    (long long)json_integer_value(json_object_get(tr,
		    "diagnoses")), json_real_value(json_object_get(tr,
		    "bytes_per_day")), days >= 0 ? "" : "\n");
	if (json_integer_value(json_object_get(tr, "diagnoses")) >= 3 &&
	    days >= 0)
		printf("; the pool runs out in %.1f days at this rate\n", days);
	if (saved != NULL)
		printf("  saved: %s\n", saved);
	if (svg != NULL)
		printf("  chart: %s\n", svg);
}

static void
save(struct check *k, const struct conf_target *t, json_t *rep, bool passive)
{
	char err[512];

	json_object_set_new(rep, "name", json_string(t->name));
	if (json_is_object(json_object_get(rep, "target")))
		json_object_set_new(json_object_get(rep, "target"), "name",
		    json_string(t->name));
	json_object_set_new(rep, "passive", json_boolean(passive));
	json_object_set_new(rep, "when", json_integer((json_int_t)time(NULL)));
	if (k->trigger != NULL)
		json_object_set_new(rep, "trigger", json_string(k->trigger));
	if (history_save(k->conf->statedir, t->name, rep,
	    k->conf->history_keep, err, sizeof(err)) != 0) {
		log_warnx("%s: the diagnosis is not saved: %s", t->name, err);
		json_object_set_new(rep, "save_error", json_string(err));
	}
	add_trend(k->conf, t->name, rep);
}

/*
 * A window judged while observing without end: kept when its verdict is
 * news (another than the last kept) or the last kept is min_interval old
 * (a point a day for the trend), and the service told ("saved").
 */
static void
on_judged(void *arg, json_t *rep, int st)
{
	struct rolling *r = arg;
	const char *v = json_string_value(json_object_get(rep, "verdict"));
	time_t now = time(NULL);

	if (v == NULL || (strcmp(v, r->verdict) == 0 && now - r->saved <
	    (time_t)r->t->min_interval))
		return;
	log_info("%s: %s (status %d): %s", r->t->name, v, st,
	    json_string_value(json_object_get(rep, "reason")));
	json_object_set_new(rep, "status", json_integer(st));
	json_object_set_new(rep, "rolling", json_true());
	save(r->k, r->t, rep, true);
	snprintf(r->verdict, sizeof(r->verdict), "%s", v);
	r->saved = now;
	if (r->status_fd > 0) {
		char line[64];
		int n = snprintf(line, sizeof(line), "saved %d\n", st);

		if (write(r->status_fd, line, (size_t)n) == -1)
			log_debug("status: %s", strerror(errno));
	}
}

/*
 * Locked by the service's observation without end: its newest kept
 * window is the target's verdict now (it keeps one whenever the verdict
 * changes). Anything else holding the lock: status 75, as before.
 */
static int
from_service(struct check *k, const struct conf_target *t, json_t **rep,
    int st)
{
	json_t *last = history_latest(k->conf->statedir, t->name);
	const json_t *s = json_object_get(last, "status");

	if (!json_is_true(json_object_get(last, "rolling")) ||
	    !json_is_integer(s)) {
		json_decref(last);
		return st;
	}
	log_info("%s: the service observes it without end: its newest "
	    "judgement stands", t->name);
	json_decref(*rep);
	json_object_set_new(last, "observed_by_service", json_true());
	*rep = last;
	return (int)json_integer_value(s);
}

static int
check_one(struct check *k, const struct conf_target *t)
{
	struct diag_opts o;
	struct rolling roll;
	json_t *rep = NULL;
	const char *fd;
	bool quiet_hours = conf_quiet_now(t, (long)time(NULL));
	int st;

	conf_diag_opts(k->conf, t, &o);
	if (quiet_hours && !o.passive) {
		log_info("%s: inside its quiet hours: looking only (passive)",
		    t->name);
		o.passive = true;
	}
	o.quiet_report = true;
	o.json = false;
	o.result = &rep;
	if ((fd = getenv("MEMDIAG_STATUS_FD")) != NULL)
		o.status_fd = atoi(fd);
	if (k->rolling) {
		if (!o.passive || o.observe <= 0) {
			log_warnx("%s: --rolling: only a passive target with "
			    "observe > 0 is observed without end", t->name);
			return EX_MD_USAGE;
		}
		memset(&roll, 0, sizeof(roll));
		roll.k = k;
		roll.t = t;
		roll.status_fd = o.status_fd;
		o.rolling = true;
		o.judged = on_judged;
		o.judged_arg = &roll;
	}
	log_info("%s: %s %s (%s)%s%s", t->name, k->rolling ? "observing" :
	    "diagnosing", t->target, o.passive ? "passive" :
	    "gate and test calls allowed", k->trigger ? ", because " : "",
	    k->trigger ? k->trigger : "");
	st = diag_run(&o);
	if (st == EX_MD_LOCKED && o.passive && !k->rolling)
		st = from_service(k, t, &rep, st);
	if (rep == NULL)
		rep = json_pack("{s:s, s:i}", "error", "no report", "status",
		    st);
	json_object_set_new(rep, "status", json_integer(st));
	/* the lock is someone else's run, not a result worth keeping; nor
	 * is the end of an observation without end (its windows were) */
	if (st != EX_MD_LOCKED && !(k->rolling && st <= 3) &&
	    !json_is_true(json_object_get(rep, "observed_by_service")))
		save(k, t, rep, o.passive);
	else
		json_object_set_new(rep, "name", json_string(t->name));
	if (k->json)
		json_array_append(k->out, rep);
	else
		print_line(t->name, rep, st);
	json_decref(rep);
	return st;
}

int
check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "trigger", required_argument, NULL, 't' },
		{ "rolling", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check k;
	struct conf *conf;
	const char *path = NULL;
	char err[1024];
	bool all = false;
	int ch, i, st, verbose = 0, worst = EX_MD_OK, n = 0;
	size_t j;

	memset(&k, 0, sizeof(k));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "ac:jvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = true;
			break;
		case 'c':
			path = optarg;
			break;
		case 'j':
			k.json = true;
			break;
		case 't':
			k.trigger = optarg;
			break;
		case 'r':
			k.rolling = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			printf("usage: memdiag %s\n", check_cmd_synopsis);
			return EX_MD_OK;
		default:
			fprintf(stderr, "usage: memdiag %s\n",
			    check_cmd_synopsis);
			return EX_MD_USAGE;
		}
	}
	if (path == NULL || all == (optind < argc)) {
		fprintf(stderr, "usage: memdiag %s\n", check_cmd_synopsis);
		return EX_MD_USAGE;
	}
	log_init("memdiag", verbose);
	if ((st = conf_load(path, &conf, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return st;
	}
	for (i = optind; i < argc; i++)
		if (conf_find(conf, argv[i]) == NULL) {
			log_warnx("%s: no target named \"%s\"", path, argv[i]);
			conf_free(conf);
			return EX_MD_USAGE;
		}
	k.conf = conf;
	k.out = json_array();
	if (all)
		for (j = 0; j < conf->ntargets; j++, n++) {
			st = check_one(&k, &conf->targets[j]);
			worst = n == 0 ? st : worse(worst, st);
		}
	else
		for (i = optind; i < argc; i++, n++) {
			st = check_one(&k, conf_find(conf, argv[i]));
			worst = n == 0 ? st : worse(worst, st);
		}
	if (k.json)
		report_print_json(stdout, k.out);
	json_decref(k.out);
	conf_write_metrics(conf);
	conf_free(conf);
	return worst;
}
