/*
 * Progress while the diagnosis runs: the phase, the time since the start
 * and shm used now against the baseline's floor. On a terminal (stderr)
 * one live line, rewritten in place; otherwise a log line at each phase
 * change and at most every DIAG_PROGRESS_EVERY seconds. Never on stdout,
 * which carries the report. One diagnosis per process: the state is
 * this file's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "report/report.h"

#define DIAG_PROGRESS_EVERY 10.0	/* s between log lines */
#define DIAG_PROGRESS_TTY 0.5		/* s between live line updates */

static struct {
	bool started, tty, live;
	double start, last;
	char phase[32];
} pg;

static void
show(struct diag *d, bool changed)
{
	char now[32], floor[32], round[24], line[160];
	double t = clock_mono();
	const struct diag_round *b = &d->rounds[0];

	if (!changed && t - pg.last < (pg.tty ? DIAG_PROGRESS_TTY :
	    DIAG_PROGRESS_EVERY))
		return;
	pg.last = t;
	report_bytes(now, sizeof(now), (double)d->shm.used);
	if (b->quiet || b->dumped)
		report_bytes(floor, sizeof(floor), (double)b->settled_used);
	else
		snprintf(floor, sizeof(floor), "not yet known");
	if (d->round > 0)
		snprintf(round, sizeof(round), " round %d", d->round);
	else
		round[0] = '\0';
	snprintf(line, sizeof(line), "%s%s, %.0f s: shm %s, floor %s",
	    pg.phase, round, t - pg.start, now, floor);
	if (pg.tty) {
		/* the cursor stays at the start: log lines overwrite it */
		fprintf(stderr, "memdiag: %s\033[K\r", line);
		fflush(stderr);
		pg.live = true;
	} else
		log_info("progress: %s", line);
}

void
diag_progress_phase(struct diag *d, const char *phase)
{
	if (!pg.started) {
		pg.started = true;
		pg.tty = isatty(2) == 1;
		pg.start = clock_mono();
	}
	snprintf(pg.phase, sizeof(pg.phase), "%s", phase);
	show(d, true);
}

void
diag_progress_sample(struct diag *d)
{
	if (pg.started)
		show(d, false);
}

void
diag_progress_end(void)
{
	if (pg.live) {
		fprintf(stderr, "\033[K");
		fflush(stderr);
		pg.live = false;
	}
}
