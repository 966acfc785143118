/*
 * The chart of one diagnosis: used shm over the run, its phases, the
 * settled floors and the pool size, 900x400, readable in any browser
 * (chart_svg.c draws the parts; chart_floors.c is the history's chart).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/chart.h"
#include "report/chart_priv.h"

struct band {
	const char *phase, *fill, *label;
};

static const struct band bands[] = {
	{ "PREFLIGHT", "#eeeeee", "preflight" },
	{ "QUIET", "#dbe9f6", "quiet" },
	{ "DUMP", "#fff2b3", "dump" },
	{ "CALLS", "#fbd9bf", "calls" },
	{ "FINISH", "#eeeeee", "" },
};

static const struct band *
band_of(const char *phase)
{
	size_t i;

	for (i = 0; phase != NULL && i < sizeof(bands) / sizeof(bands[0]); i++)
		if (strcmp(bands[i].phase, phase) == 0)
			return &bands[i];
	return NULL;
}

static double
num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : 0;
}

static const char *
str(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
phases(FILE *f, const struct chart_plot *p, const json_t *ph, double tend)
{
	const json_t *e;
	size_t i, n = json_array_size(ph);

	for (i = 0; i < n; i++) {
		const struct band *b;
		double a, z;
		char label[48];
		int round;

		e = json_array_get(ph, i);
		if ((b = band_of(str(e, "phase"))) == NULL)
			continue;
		a = num(json_object_get(e, "t"));
		z = i + 1 < n ? num(json_object_get(json_array_get(ph, i + 1),
		    "t")) : tend;
		if (z <= a || a > p->x1)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\"/>\n", chart_px(p, a), p->t,
		    chart_px(p, z) - chart_px(p, a), p->b - p->t, b->fill);
		round = (int)json_integer_value(json_object_get(e, "round"));
		if (strcmp(b->phase, "CALLS") == 0)
			snprintf(label, sizeof(label), "round %d", round);
		else if (strcmp(b->phase, "QUIET") == 0 && round == 0)
			snprintf(label, sizeof(label), "quiet (baseline)");
		else
			snprintf(label, sizeof(label), "%s", b->label);
		if (label[0] != '\0' && chart_px(p, z) - chart_px(p, a) >=
		    6.2 * (double)strlen(label) + 4)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\" font-size=\"11\" "
			    "fill=\"#555\" " HALO ">%s</text>\n",
			    (chart_px(p, a) + chart_px(p, z)) / 2,
			    p->b - 6, label);
	}
}

/* Where round R's floor settled: when its dump began (else its quiet
 * ended); -1 when the timeline does not say. */
static double
floor_time(const json_t *ph, int round)
{
	const json_t *e;
	double quiet_end = -1;
	size_t i;

	json_array_foreach(ph, i, e) {
		const char *s = str(e, "phase");

		if (s == NULL || json_integer_value(json_object_get(e,
		    "round")) != round)
			continue;
		if (strcmp(s, "DUMP") == 0)
			return num(json_object_get(e, "t"));
		if (strcmp(s, "QUIET") == 0 && i + 1 < json_array_size(ph))
			quiet_end = num(json_object_get(json_array_get(ph,
			    i + 1), "t"));
	}
	return quiet_end;
}

/* [t, used, real_used], all numbers: anything else is not drawn */
static bool
sample_ok(const json_t *s)
{
	return json_is_number(json_array_get(s, 0)) &&
	    json_is_number(json_array_get(s, 1)) &&
	    json_is_number(json_array_get(s, 2));
}

/* A polyline of column COL of the samples, at most a min and a max per
 * pixel column so a long run stays a small file. */
static void
curve(FILE *f, const struct chart_plot *p, const json_t *samples, size_t col,
    const char *style)
{
	const json_t *s;
	double cur = -1, lo = 0, hi = 0, tlo = 0, thi = 0;
	size_t i;

	fprintf(f, "<polyline fill=\"none\" %s points=\"", style);
	json_array_foreach(samples, i, s) {
		double t = num(json_array_get(s, 0)), v = num(json_array_get(s,
		    col)), c = floor(chart_px(p, t));

		if (!sample_ok(s))
			continue;
		if (c != cur) {
			if (cur >= 0 && tlo <= thi)
				fprintf(f, "%.1f,%.1f %.1f,%.1f ", chart_px(p, tlo),
				    chart_py(p, lo), chart_px(p, thi), chart_py(p, hi));
			else if (cur >= 0)
				fprintf(f, "%.1f,%.1f %.1f,%.1f ", chart_px(p, thi),
				    chart_py(p, hi), chart_px(p, tlo), chart_py(p, lo));
			cur = c;
			lo = hi = v;
			tlo = thi = t;
			continue;
		}
		if (v < lo) {
			lo = v;
			tlo = t;
		}
		if (v > hi) {
			hi = v;
			thi = t;
		}
	}
	if (cur >= 0)
		fprintf(f, "%.1f,%.1f %.1f,%.1f", chart_px(p, tlo), chart_py(p, lo),
		    chart_px(p, thi), chart_py(p, hi));
	fprintf(f, "\"/>\n");
}

static void
x_axis_seconds(FILE *f, const struct chart_plot *p)
{
	double step = chart_nice_step(p->x1 - p->x0, 8), v;

	for (v = 0; v <= p->x1 + 1e-9; v += step)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#888\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" fill=\"#444\">%.*f</text>\n",
		    chart_px(p, v), p->b, chart_px(p, v), p->b + 4, chart_px(p, v), p->b + 17,
		    chart_decimals(step), v);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#444\">seconds since the start</text>\n", (p->l + p->r) / 2,
	    p->b + 33);
}

static void
run_title(const json_t *report, const json_t *tl, char *title, size_t tlen,
    char *sub, size_t slen)
{
	const json_t *tg = json_object_get(report, "target");
	const char *verdict = str(report, "verdict"), *name = str(tg, "name"),
	    *version = str(tg, "version");
	char who[160], when[40];
	time_t t = (time_t)num(json_object_get(tl, "start"));
	struct tm tm;
	size_t vl;

	if (name != NULL)
		snprintf(who, sizeof(who), "%s", name);
	else
		snprintf(who, sizeof(who), "pid %lld", (long long)
		    json_integer_value(json_object_get(tg, "pid")));
	snprintf(title, tlen, "memdiag: %s: %s", who, verdict ? verdict :
	    str(report, "error") ? "error" : "no verdict");
	when[0] = '\0';
	if (t > 0 && gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	/* Kamailio's version string ends with a space */
	vl = version ? strlen(version) : 0;
	while (vl > 0 && version[vl - 1] == ' ')
		vl--;
	snprintf(sub, slen, "%s%s%.*s%s%s", when, version ? ", " : "",
	    (int)vl, version ? version : "",
	    str(report, "reason") ? ": " : "",
	    str(report, "reason") ? str(report, "reason") : "");
}

char *
chart_run_svg(const json_t *report)
{
	const json_t *tl = json_object_get(report, "timeline"), *samples, *ph,
	    *floors, *e;
	struct chart_plot p = { .l = 70, .r = 880, .t = 52, .b = 340 };
	double lo = INFINITY, hi = -INFINITY, tend = 0, pool, lx = 70;
	char title[256], sub[400], *buf, pooltxt[64];
	size_t i, len;
	FILE *f;

	if (!json_is_object(tl))
		return NULL;
	samples = json_object_get(tl, "samples");
	ph = json_object_get(tl, "phases");
	floors = json_object_get(tl, "floors");
	pool = num(json_object_get(tl, "pool_size"));
	json_array_foreach(samples, i, e) {
		double t = num(json_array_get(e, 0));

		if (!sample_ok(e))
			continue;
		tend = t > tend ? t : tend;
		for (size_t c = 1; c <= 2; c++) {
			double v = num(json_array_get(e, c));

			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	json_array_foreach(floors, i, e) {
		double v = num(json_object_get(e, "used"));

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	json_array_foreach(ph, i, e) {
		double t = num(json_object_get(e, "t"));

		tend = t > tend ? t : tend;
	}
	if (lo > hi) {
		lo = 0;
		hi = pool > 0 ? pool : MB;
	}
	p.x0 = 0;
	p.x1 = tend > 0 ? tend : 1;
	chart_fit_y(&p, lo, hi, pool);

	f = chart_start(&buf, &len);
	run_title(report, tl, title, sizeof(title), sub, sizeof(sub));
	chart_head(f, title, sub);
	phases(f, &p, ph, tend);
	chart_y_axis(f, &p);
	x_axis_seconds(f, &p);
	chart_pool_line(f, &p, pool);
	if (json_array_size(samples) == 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		    "fill=\"#888\">no memory samples</text>\n", (p.l + p.r) / 2,
		    (p.t + p.b) / 2);
	else {
		curve(f, &p, samples, 2, "stroke=\"#9467bd\" stroke-width=\"1\" "
		    "stroke-dasharray=\"4 3\"");
		curve(f, &p, samples, 1, "stroke=\"#1f77b4\" "
		    "stroke-width=\"1.8\"");
	}
	json_array_foreach(floors, i, e) {
		int r = (int)json_integer_value(json_object_get(e, "round"));
		double t = floor_time(ph, r), v = num(json_object_get(e, "used"));
		double x, y;

		if (t < 0)
			continue;
		x = chart_px(&p, t);
		y = chart_py(&p, v);
		/* under the mark where the phase labels leave room, else
		 * above; left of it, or right near the axis; a white halo
		 * keeps it readable over the curves */
		fprintf(f, "<path d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" "
		    "fill=\"#2ca02c\" stroke=\"#1b6e1b\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\" "
		    "fill=\"#1b6e1b\" " HALO ">%s %.2f MB</text>\n", x, y - 6,
		    x - p.l < 110 ? x + 8 : x - 8, y + 24 < p.b - 16 ? y + 22 :
		    y - 8, x - p.l < 110 ?
		    "start" : "end", r == 0 ? "baseline" : "floor", v / MB);
	}
	chart_frame(f, &p);
	chart_legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
	    "stroke=\"#1f77b4\" stroke-width=\"2\"/>", "used");
	chart_legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
	    "stroke=\"#9467bd\" stroke-dasharray=\"4 3\"/>",
	    "real_used");
	chart_legend(f, &lx, "<path d=\"M8 -6l6 6l-6 6l-6 -6z\" fill=\"#2ca02c\"/>",
	    "settled floor");
	if (pool > 0) {
		snprintf(pooltxt, sizeof(pooltxt), p.pool_on_scale ?
		    "pool size %.1f MB" : "pool size %.1f MB (above)",
		    pool / MB);
		chart_legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#d62728\" stroke-dasharray=\"8 4\"/>", pooltxt);
	}
	chart_legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#dbe9f6\"/>", "quiet");
	chart_legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#fbd9bf\"/>", "test calls");
	chart_legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#fff2b3\"/>", "dump");
	return chart_finish(f, &buf);
}
