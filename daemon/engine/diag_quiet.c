/*
 * When QUIET may call memory settled. Flat for the settle window is not
 * enough: after a round's last call, tm keeps each transaction for its
 * wait timer (~5 s), and a module timer the configuration declares
 * (htable autoexpire, dialog end_timeout) keeps per-call memory longer.
 * Under CPU load a floor sampled inside those windows can look flat and
 * still hold the round's calls. So a floor counts only once the longest
 * timer that fits in QUIET has passed, tm's transactions are back to
 * their level before the round, and memory stayed flat for the settle
 * window. A timer longer than QUIET can wait is reported: the verdict
 * cannot rule it out.
 *
 * Also here: Kamailio 5.6's pkg.stats under the tlsf pkg manager reports
 * one frozen figure for every process (tests/unit/test_dump.c); seen that way
 * while calls were handled, pkg is judged from every round's dumps.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define DIAG_TIMER_MARGIN 1.0	/* s past a timer: its run, the sample */
#define DIAG_DEFAULT_CFG "/etc/kamailio/kamailio.cfg"
#define DIAG_MAX_DEFINES 64

/* The -A defines of the proxy's command line. */
static size_t
cmdline_defines(const struct diag *d, const char **defs, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 1; i < d->t->argc && n < max; i++) {
		const char *a = d->t->argv[i];

		if (strcmp(a, "-A") == 0 && i + 1 < d->t->argc)
			defs[n++] = d->t->argv[++i];
		else if (strncmp(a, "-A", 2) == 0 && a[2] != '\0')
			defs[n++] = a + 2;
	}
	return n;
}

void
diag_quiet_setup(struct diag *d)
{
	const char *defs[DIAG_MAX_DEFINES];
	char path[PATH_MAX + 32];
	double limit, need;
	size_t n;

	n = cmdline_defines(d, defs, DIAG_MAX_DEFINES);
	if (target_cfg_path(d->t, DIAG_DEFAULT_CFG, path, sizeof(path),
	    d->quiet.timers_err, sizeof(d->quiet.timers_err)) != 0 ||
	    cfgtimers_read(path, defs, n, &d->quiet.timers, d->quiet.timers_err,
	    sizeof(d->quiet.timers_err)) != 0) {
		/* unreadable: tm's default is all that is known */
		log_warnx("%s: module timers in the proxy's configuration go "
		    "unseen", d->quiet.timers_err);
		d->quiet.timers.tm_wait_s = 5.0;
	}
	d->quiet.min = d->quiet.timers.tm_wait_s > 0 ?
	    d->quiet.timers.tm_wait_s + DIAG_TIMER_MARGIN : 0;
	if (d->quiet.timers.longest_s <= 0) {
		log_info("QUIET waits %.1f s after the calls at least (tm "
		    "wt_timer %.1f s), no longer module timer in %s",
		    d->quiet.min, d->quiet.timers.tm_wait_s, path);
		return;
	}
	/* QUIET also needs the settle window; the gate holds every QUIET */
	need = d->quiet.timers.longest_s + DIAG_TIMER_MARGIN;
	limit = d->o->quiet_max - d->o->settle;
	if (!d->o->passive && strcmp(d->o->gate, "none") != 0 &&
	    (double)d->o->gate_budget / (d->o->rounds + 1) - d->o->settle <
	    limit)
		limit = (double)d->o->gate_budget / (d->o->rounds + 1) -
		    d->o->settle;
	if (need <= limit) {
		d->quiet.min = need > d->quiet.min ? need : d->quiet.min;
		log_info("QUIET waits %.1f s after the calls at least: %s "
		    "(%s)", d->quiet.min, d->quiet.timers.what, path);
	} else {
		d->quiet.timer_pending = true;
		log_warnx(
		    "%s (%s) holds memory for up to %.0f s, longer than "
		    "QUIET can wait (%.0f s within --quiet-max and the gate's "
		    "budget): memory it holds cannot be told from a leak",
		    d->quiet.timers.what, path, d->quiet.timers.longest_s,
		    limit);
	}
}

/* tm.stats answered: its transactions, or -1 when it failed. */
void
diag_quiet_tm(struct diag *d, int64_t current, bool no_tm)
{
	if (no_tm) {
		d->quiet.tm_busy = false;
		return;
	}
	if (current < 0) {
		/* unknown is busy: a timed-out sample proves nothing */
		d->quiet.tm_busy = true;
		return;
	}
	d->quiet.tm_seen = true;
	/* the baseline has no level before it; the proxy's own traffic
	 * (probes, keepalives) keeps going under the gate */
	d->quiet.tm_busy = d->round > 0 && (uint64_t)current > d->quiet.tm_pre;
	if (d->state == DIAG_QUIET && d->round == 0)
		d->quiet.tm_pre = (uint64_t)current;
}

bool
diag_quiet_ready(const struct diag *d)
{
	double now = clock_mono();

	return !d->quiet.tm_busy && now - d->state_since >= d->quiet.min &&
	    now - d->quiet.flat_since >= d->o->settle;
}

/* Every process the same figure to the byte, and none moved in a round
 * whose calls completed: pkg.stats is not looking at the processes. */
void
diag_quiet_pkg_check(struct diag *d)
{
	const struct diag_round *r = &d->rounds[d->round];
	size_t i;

	if (d->pkg_frozen || d->round == 0 || r->completed == 0 ||
	    d->pkg_moved || d->npkg < 2)
		return;
	for (i = 1; i < d->npkg; i++)
		if (d->pkg[i].used != d->pkg[0].used)
			return;
	d->pkg_frozen = true;
	log_warnx("pkg.stats gave %llu bytes for all %zu processes and did "
	    "not move while %llu calls were handled (Kamailio's tlsf pkg "
	    "manager): pkg is judged from every round's dumps",
	    (unsigned long long)d->pkg[0].used, d->npkg,
	    (unsigned long long)r->completed);
}

/* A process's, or a group's, pkg as its dumps sum it (frozen pkg.stats). */
uint64_t
diag_quiet_dump_used(const struct dump *dm)
{
	uint64_t sum = 0;
	size_t i;

	if (dm == NULL)
		return 0;
	for (i = 0; i < dm->nsites; i++)
		sum += dm->sites[i].bytes;
	return sum;
}

/* "quiet": each QUIET's length, what it waited for, what it could not */
json_t *
diag_quiet_json(const struct diag *d)
{
	json_t *rounds = json_array(), *timer = json_null();
	int i;

	for (i = 0; i <= d->round && i <= VERDICT_MAX_ROUNDS; i++)
		if (d->rounds[i].quiet_s > 0)
			json_array_append_new(rounds,
			    json_real(d->rounds[i].quiet_s));
	if (d->quiet.timers.longest_s > 0)
		timer =
		    json_pack("{s:s, s:f, s:b}", "what", d->quiet.timers.what,
			      "seconds", d->quiet.timers.longest_s, "waited",
			      !d->quiet.timer_pending);
	return json_pack("{s:o, s:f, s:f, s:o, s:s?}", "rounds", rounds,
	    "tm_wait_s", d->quiet.timers.tm_wait_s, "min_s", d->quiet.min,
	    "timer", timer, "config_error",
	    d->quiet.timers_err[0] ? d->quiet.timers_err : NULL);
}

void
diag_quiet_text(FILE *f, const struct diag *d)
{
	int i;

	fprintf(f, "quiet per round (s):");
	for (i = 0; i <= d->round && i <= VERDICT_MAX_ROUNDS; i++)
		fprintf(f, " %s%.1f", i == 0 ? "baseline " : "",
		    d->rounds[i].quiet_s);
	fprintf(f, "; at least %.1f s after the calls (tm wt_timer %.1f s)",
	    d->quiet.min, d->quiet.timers.tm_wait_s);
	if (d->quiet.timers.longest_s > 0)
		fprintf(f, "; %s: %s", d->quiet.timers.what,
			d->quiet.timer_pending
			    ? "longer than QUIET can wait, cannot be ruled out"
			    : "waited out");
	fprintf(f, "\n");
	if (d->pkg_frozen)
		fprintf(f, "pkg.stats did not move (tlsf pkg): pkg judged from "
		    "every round's dumps\n");
}
