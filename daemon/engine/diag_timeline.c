/*
 * What the diagnosis saw over time, for its chart and for the service's
 * status: every shm sample and every change of phase, relative to the
 * start, kept as JSON that goes out with the report ("timeline"). The
 * phase also goes, one line per change, to the status descriptor the
 * service gave it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/diag_priv.h"
#include "lib/clock.h"
#include "lib/xmalloc.h"

#define TIMELINE_MAX_SAMPLES 20000	/* 2.8 h at two samples a second */

/* Its own: nothing else reads or writes these. */
struct diag_timeline {
	json_t *samples, *phases;
	double start, wall;
	uint64_t pool;
};

static struct diag_timeline *
timeline_init(struct diag *d)
{
	struct diag_timeline *tl = d->tl;

	if (tl != NULL)
		return tl;
	tl = d->tl = xcalloc(1, sizeof(*tl));
	tl->start = clock_mono();
	tl->wall = (double)time(NULL);
	tl->samples = json_array();
	tl->phases = json_array();
	return tl;
}

static double
rel(const struct diag_timeline *tl)
{
	return (double)(long long)((clock_mono() - tl->start) * 1000) / 1000;
}

void
diag_timeline_phase(struct diag *d, const char *phase)
{
	struct diag_timeline *tl = timeline_init(d);
	char line[96];
	int n;

	/* an observation without end changes phase with every sample */
	if (json_array_size(tl->phases) < TIMELINE_MAX_SAMPLES)
		json_array_append_new(tl->phases, json_pack("{s:f, s:s, "
		    "s:i}", "t", rel(tl), "phase", phase, "round", d->round));
	if (d->o->status_fd <= 0)
		return;
	n = snprintf(line, sizeof(line), "%s %d\n", phase, d->round);
	/* a status reader that went away must not stop the diagnosis */
	while (write(d->o->status_fd, line, (size_t)n) == -1 &&
	    errno == EINTR)
		;
}

void
diag_timeline_sample(struct diag *d)
{
	struct diag_timeline *tl = timeline_init(d);

	if (d->shm.total > 0)
		tl->pool = d->shm.total;
	if (json_array_size(tl->samples) >= TIMELINE_MAX_SAMPLES)
		return;
	json_array_append_new(tl->samples, json_pack("[f, I, I]", rel(tl),
	    (json_int_t)d->shm.used, (json_int_t)d->shm.real_used));
}

json_t *
diag_timeline_json(struct diag *d)
{
	struct diag_timeline *tl = timeline_init(d);
	json_t *floors = json_array();
	int i;

	for (i = 0; i <= d->round && i <= VERDICT_MAX_ROUNDS; i++)
		if (d->rounds[i].settled_used > 0)
			json_array_append_new(floors, json_pack("{s:i, s:I}",
			    "round", i, "used",
			    (json_int_t)d->rounds[i].settled_used));
	return json_pack("{s:f, s:I, s:O, s:O, s:o}", "start", tl->wall,
	    "pool_size", (json_int_t)tl->pool, "samples", tl->samples,
	    "phases", tl->phases, "floors", floors);
}

void
diag_timeline_free(struct diag *d)
{
	if (d->tl == NULL)
		return;
	json_decref(d->tl->samples);
	json_decref(d->tl->phases);
	free(d->tl);
	d->tl = NULL;
}
