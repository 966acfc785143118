/*
 * Saved diagnoses and their trend. Each report goes to
 * STATEDIR/history/NAME/YYYYmmddTHHMMSSZ.json (the diagnosis's start, UTC)
 * with its chart beside it; the newest KEEP are kept. Every file is
 * written to a temporary name, synced and renamed, so a crash or a full
 * disk leaves either the old file or the new one, never half of one.
 *
 * A night's floor is the settled shm floor before memdiag's own test calls
 * (round 0): what the users' traffic of the day left behind. Floors that
 * rise night after night are a slow leak even when no single run can show
 * it; a least-squares line through them says how fast, and when the pool
 * would be full at that rate.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/statedir.h"
#include "lib/xmalloc.h"
#include "report/chart.h"
#include "report/history.h"

#define HISTORY_STAMP_LEN 16	/* YYYYmmddTHHMMSSZ */
#define HISTORY_PATH (PATH_MAX + 64)	/* a directory and a file in it */

static int
fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -1;
}

/* A target's name becomes a directory: one path component, nothing else. */
static int
name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
	    strlen(name) < NAME_MAX - 32;
}

static int
mkdir_0700(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return fail(err, errlen, path, errno);
	return 0;
}

/* DIR/FILE holds LEN bytes of BUF, whole or not at all. */
static int
write_atomic(const char *dir, const char *file, const char *buf, size_t len,
    char *err, size_t errlen)
{
	char path[HISTORY_PATH];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return fail(err, errlen, dir, ENAMETOOLONG);
	return statedir_write_atomic(path, buf, len, 0600, err, errlen);
}

static int
stamp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_stamp_json(const char *f)
{
	size_t l = strlen(f);

	return l == HISTORY_STAMP_LEN + 5 && f[8] == 'T' &&
	    f[HISTORY_STAMP_LEN - 1] == 'Z' &&
	    strcmp(f + HISTORY_STAMP_LEN, ".json") == 0;
}

/* The saved reports' file names, oldest first. */
static int
list_reports(const char *dir, char ***out, size_t *n, char *err,
    size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : fail(err, errlen, dir, errno);
	while ((e = readdir(d)) != NULL) {
		if (!is_stamp_json(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), stamp_cmp);
	*out = v;
	return 0;
}

static void
names_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* Remove all but the newest KEEP reports and their charts. */
static void
prune(const char *dir, unsigned keep)
{
	char **v, path[HISTORY_PATH], err[PATH_MAX + 64];
	size_t n, i;

	if (keep == 0 || list_reports(dir, &v, &n, err, sizeof(err)) == -1)
		return;
	for (i = 0; i + keep < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("history: %s", path);
		memcpy(path + strlen(path) - 5, ".svg", 5);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("history: %s", path);
	}
	names_free(v, n);
}

static double
report_start(const json_t *report)
{
	json_t *s = json_object_get(json_object_get(report, "timeline"),
	    "start");

	return json_is_number(s) ? json_number_value(s) : 0;
}

/* The report's file name (without .json): its start, or now, in UTC; a
 * second later while that name is taken. */
static void
stamp_for(const char *dir, const json_t *report, char *buf, size_t len)
{
	char path[HISTORY_PATH];
	double when = report_start(report);
	time_t t = when > 0 ? (time_t)when : time(NULL);
	struct tm tm;

	for (int i = 0; i < 3600; i++, t++) {
		gmtime_r(&t, &tm);
		strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
		snprintf(path, sizeof(path), "%s/%s.json", dir, buf);
		if (access(path, F_OK) == -1)
			return;
	}
}

static int
save_floors(const char *statedir, const char *name, const char *dir,
    char *err, size_t errlen)
{
	struct trend_point *pts;
	struct trend tr;
	size_t n;
	char *svg;
	int r;

	if (history_load(statedir, name, &pts, &n, err, errlen) == -1)
		return -1;
	trend_fit(pts, n, &tr);
	svg = chart_floors_svg(name, pts, n, &tr);
	r = write_atomic(dir, "floors.svg", svg, strlen(svg), err, errlen);
	free(svg);
	free(pts);
	return r;
}

int
history_save(const char *statedir, const char *name, json_t *report,
    unsigned keep, char *err, size_t errlen)
{
	char dir[PATH_MAX], stamp[32], file[64], jpath[PATH_MAX + 64],
	    spath[PATH_MAX + 64];
	char *svg, *text;
	bool chart;
	int r;

	if (!name_ok(name)) {
		snprintf(err, errlen, "history: \"%s\" cannot name a "
		    "directory", name);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/history", statedir);
	if (mkdir_0700(dir, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/history/%s", statedir,
	    name) >= sizeof(dir))
		return fail(err, errlen, statedir, ENAMETOOLONG);
	if (mkdir_0700(dir, err, errlen) == -1)
		return -1;
	stamp_for(dir, report, stamp, sizeof(stamp));
	snprintf(jpath, sizeof(jpath), "%s/%s.json", dir, stamp);
	snprintf(spath, sizeof(spath), "%s/%s.svg", dir, stamp);

	/* a leak found under the users' traffic: its sites against the
	 * requests; else the run over time */
	if ((svg = chart_growth_svg(report)) == NULL)
		svg = chart_run_svg(report);
	if ((chart = svg != NULL)) {
		snprintf(file, sizeof(file), "%s.svg", stamp);
		r = write_atomic(dir, file, svg, strlen(svg), err, errlen);
		free(svg);
		if (r == -1)
			return -1;
	}
	json_object_set_new(report, "saved", json_pack("{s:s, s:s?}", "json",
	    jpath, "svg", chart ? spath : NULL));
	if ((text = json_dumps(report, JSON_INDENT(1) | JSON_PRESERVE_ORDER))
	    == NULL) {
		json_object_del(report, "saved");
		snprintf(err, errlen, "%s: the report cannot be written as "
		    "JSON", jpath);
		return -1;
	}
	snprintf(file, sizeof(file), "%s.json", stamp);
	r = write_atomic(dir, file, text, strlen(text), err, errlen);
	free(text);
	if (r == -1) {
		json_object_del(report, "saved");
		if (chart)
			unlink(spath);
		return -1;
	}
	prune(dir, keep);
	return save_floors(statedir, name, dir, err, errlen);
}

/* The shm pool's settled floor before the test calls, in a report. */
static uint64_t
report_floor(const json_t *report)
{
	json_t *floors, *f, *pools, *p;
	size_t i;

	floors = json_object_get(json_object_get(report, "timeline"),
	    "floors");
	json_array_foreach(floors, i, f)
		if (json_integer_value(json_object_get(f, "round")) == 0 &&
		    json_integer_value(json_object_get(f, "used")) > 0)
			return (uint64_t)json_integer_value(
			    json_object_get(f, "used"));
	pools = json_object_get(report, "pools");
	json_array_foreach(pools, i, p)
		if (json_is_string(json_object_get(p, "pool")) &&
		    strcmp(json_string_value(json_object_get(p, "pool")),
		    "shm") == 0 &&
		    json_integer_value(json_object_get(p, "baseline_used")) > 0)
			return (uint64_t)json_integer_value(
			    json_object_get(p, "baseline_used"));
	return 0;
}

static int
point_cmp(const void *a, const void *b)
{
	const struct trend_point *x = a, *y = b;

	return (x->when > y->when) - (x->when < y->when);
}

static bool
read_point(const char *dir, const char *file, struct trend_point *p)
{
	char path[HISTORY_PATH];
	json_error_t je;
	json_t *j, *v;
	struct tm tm;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((j = json_load_file(path, 0, &je)) == NULL) {
		log_warnx("history: %s:%d: %s", path, je.line, je.text);
		return false;
	}
	memset(p, 0, sizeof(*p));
	if ((p->when = report_start(j)) <= 0) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(file, "%Y%m%dT%H%M%SZ", &tm) != NULL)
			p->when = (double)timegm(&tm);
	}
	p->floor = report_floor(j);
	v = json_object_get(json_object_get(j, "timeline"), "pool_size");
	p->pool_size = json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) : 0;
	v = json_object_get(j, "verdict");
	snprintf(p->verdict, sizeof(p->verdict), "%s", json_is_string(v) ?
	    json_string_value(v) : json_object_get(j, "error") ? "error" :
	    "none");
	json_decref(j);
	return true;
}

/* The newest report of a listing, or NULL. */
static json_t *
newest(const char *dir, char *const *v, size_t nv)
{
	char path[HISTORY_PATH];
	json_error_t je;
	json_t *j;

	if (nv == 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, v[nv - 1]);
	if ((j = json_load_file(path, 0, &je)) == NULL)
		log_warnx("history: %s:%d: %s", path, je.line, je.text);
	return j;
}

int
history_read(const char *statedir, const char *name,
    struct trend_point **out, size_t *n, json_t **latest, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], **v;
	size_t nv, i;

	*out = NULL;
	*n = 0;
	if (latest != NULL)
		*latest = NULL;
	if (!name_ok(name)) {
		snprintf(err, errlen, "history: \"%s\" cannot name a "
		    "directory", name);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/history/%s", statedir, name);
	if (list_reports(dir, &v, &nv, err, errlen) == -1)
		return -1;
	*out = xcalloc(nv ? nv : 1, sizeof(**out));
	for (i = 0; i < nv; i++)
		if (read_point(dir, v[i], &(*out)[*n]))
			(*n)++;
	if (latest != NULL)
		*latest = newest(dir, v, nv);
	names_free(v, nv);
	qsort(*out, *n, sizeof(**out), point_cmp);
	return 0;
}

int
history_load(const char *statedir, const char *name,
    struct trend_point **out, size_t *n, char *err, size_t errlen)
{
	return history_read(statedir, name, out, n, NULL, err, errlen);
}

json_t *
history_latest(const char *statedir, const char *name)
{
	char dir[PATH_MAX], err[512], **v;
	json_t *j;
	size_t nv;

	if (!name_ok(name))
		return NULL;
	snprintf(dir, sizeof(dir), "%s/history/%s", statedir, name);
	if (list_reports(dir, &v, &nv, err, sizeof(err)) == -1)
		return NULL;
	j = newest(dir, v, nv);
	names_free(v, nv);
	return j;
}
