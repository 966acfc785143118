/*
 * What the diagnosis saw over time, for its chart and for the service's
 * status: every shm sample and every change of phase, relative to the
 * start, kept as JSON that goes out with the report ("timeline"). The
 * phase also goes, one line per change, to the status descriptor the
 * service gave it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/diag_priv.h"
#include "lib/clock.h"

#define TIMELINE_MAX_SAMPLES 20000	/* 2.8 h at two samples a second */

static void
timeline_init(struct diag *d)
{
	if (d->tl_samples != NULL)
		return;
	d->tl_start = clock_mono();
	d->tl_wall = (double)time(NULL);
	d->tl_samples = json_array();
	d->tl_phases = json_array();
}

static double
rel(const struct diag *d)
{
	return (double)(long long)((clock_mono() - d->tl_start) * 1000) / 1000;
}

void
diag_timeline_phase(struct diag *d, const char *phase)
{
	char line[96];
	int n;

	timeline_init(d);
	/* an observation without end changes phase with every sample */
	if (json_array_size(d->tl_phases) < TIMELINE_MAX_SAMPLES)
		json_array_append_new(d->tl_phases, json_pack("{s:f, s:s, "
		    "s:i}", "t", rel(d), "phase", phase, "round", d->round));
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
	timeline_init(d);
	if (d->shm.total > 0)
		d->tl_pool = d->shm.total;
	if (json_array_size(d->tl_samples) >= TIMELINE_MAX_SAMPLES)
		return;
	json_array_append_new(d->tl_samples, json_pack("[f, I, I]", rel(d),
	    (json_int_t)d->shm.used, (json_int_t)d->shm.real_used));
}

json_t *
diag_timeline_json(struct diag *d)
{
	json_t *floors = json_array();
	int i;

	timeline_init(d);
	for (i = 0; i <= d->round && i <= VERDICT_MAX_ROUNDS; i++)
		if (d->rounds[i].settled_used > 0)
			json_array_append_new(floors, json_pack("{s:i, s:I}",
			    "round", i, "used",
			    (json_int_t)d->rounds[i].settled_used));
	return json_pack("{s:f, s:I, s:O, s:O, s:o}", "start", d->tl_wall,
	    "pool_size", (json_int_t)d->tl_pool, "samples", d->tl_samples,
	    "phases", d->tl_phases, "floors", floors);
}

void
diag_timeline_free(struct diag *d)
{
	json_decref(d->tl_samples);
	json_decref(d->tl_phases);
	d->tl_samples = d->tl_phases = NULL;
}
