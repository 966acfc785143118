/*
 * history: every diagnosis of a target saved as JSON (with its chart) under
 * STATEDIR/history/NAME/, and the trend of its settled floors night after
 * night: a floor that keeps rising is a slow leak even when one night
 * cannot show it.
 */
#ifndef MEMDIAG_HISTORY_H
#define MEMDIAG_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "report/trend.h"

/* Save one diagnosis report (memdiag(8)'s diagnosis JSON, plus "timeline"; or {"error","status"}) of target NAME under
 * STATEDIR/history/NAME/YYYYmmddTHHMMSSZ.json (0600, dir 0700, write to temp + fsync + rename) with its chart beside it (.svg),
 * add "saved":{"json","svg"} paths into the report, keep the newest KEEP; then refresh STATEDIR/history/NAME/floors.svg.
 * Returns 0 or -1 with err (e.g. "STATEDIR/history/edge: No space left on device") — a full disk must not crash anything. */
int history_save(const char *statedir, const char *name, json_t *report, unsigned keep, char *err, size_t errlen);
/* The points of NAME's history, oldest first (malloc'd), and the trend. */
int history_load(const char *statedir, const char *name, struct trend_point **, size_t *n, char *err, size_t errlen);

/* NAME's newest saved report, or NULL (none, unreadable). */
json_t *history_latest(const char *statedir, const char *name);
/* Both from one listing of the directory: the points, and the newest
 * report in *latest (NULL when none; the caller's). */
int history_read(const char *statedir, const char *name,
    struct trend_point **, size_t *n, json_t **latest, char *err,
    size_t errlen);

#endif
