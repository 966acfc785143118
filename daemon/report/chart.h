/*
 * chart: hand-written SVG pictures of one diagnosis (shm over the run) and
 * of a target's history (the nightly floors and their trend), 900x400.
 */
#ifndef MEMDIAG_CHART_H
#define MEMDIAG_CHART_H

#include <stddef.h>

#include <jansson.h>

#include "report/trend.h"

/* An SVG (malloc'd string) of one diagnosis: used shm over the run from report["timeline"]["samples"] ([t, used, real_used]),
 * the phases from ["timeline"]["phases"] ({t, phase, round}: PREFLIGHT, QUIET, DUMP, CALLS, FINISH) shaded/marked (rounds and quiet
 * periods), the settled floors ["timeline"]["floors"] ({round, used}) as marks, the pool size ["timeline"]["pool_size"] as a line,
 * title with verdict and target. NULL when there is no timeline. */
char *chart_run_svg(const json_t *report);
/* An observed diagnosis' leaking sites: bytes kept against the requests of
 * the method they follow (report["pools"][]["suspects"][]["series"] on
 * ["pools"][]["series"]["requests"]), the fitted slope dashed. NULL when
 * it names no leaking site. */
char *chart_growth_svg(const json_t *report);
/* The nightly floors with the trend line and the pool size. */
char *chart_floors_svg(const char *name, const struct trend_point *, size_t n, const struct trend *);

#endif
