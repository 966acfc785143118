/*
 * The chart of an observed diagnosis that found a leak: each leaking
 * site's bytes (growth since the first sample) against the cumulative
 * requests of the method it follows, with the fitted bytes per request
 * as a dashed line, 900x400. A leak is a straight line here; memory that
 * follows the load is a cloud round a flat one.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/chart.h"
#include "report/chart_priv.h"

#define GROWTH_LINES 5

static const char *const colours[GROWTH_LINES] = { "#d62728", "#1f77b4",
	"#ff7f0e", "#2ca02c", "#9467bd" };

struct line {
	const json_t *x, *y;	/* the pool's requests, the site's bytes */
	double slope;
	char label[96];
};

static double
num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : 0;
}

static const char *
str(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* bytes, KB or MB for an axis whose values reach hi */
static double
unit_of(double hi, const char **name)
{
	if (hi >= 4 * MB) {
		*name = "MB";
		return MB;
	}
	if (hi >= 4 * 1024) {
		*name = "KB";
		return 1024;
	}
	*name = "bytes";
	return 1;
}

static void
axes(FILE *f, const struct chart_plot *p, const char *method)
{
	const char *yu, *xu = "";
	double ys = unit_of(p->y1, &yu), xs = 1, step, v;

	if (p->x1 >= 1e6) {
		xs = 1e6;
		xu = " (millions)";
	} else if (p->x1 >= 1e4) {
		xs = 1e3;
		xu = " (thousands)";
	}
	step = chart_nice_step((p->y1 - p->y0) / ys, 5);
	for (v = ceil(p->y0 / ys / step) * step; v <= p->y1 / ys + 1e-9;
	    v += step)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%.*f</text>\n",
		    p->l, chart_py(p, v * ys), p->r, chart_py(p, v * ys),
		    p->l - 6, chart_py(p, v * ys) + 4, chart_decimals(step), v);
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" "
	    "text-anchor=\"middle\" fill=\"#444\">kept since the first "
	    "sample (%s)</text>\n", (p->t + p->b) / 2, yu);
	step = chart_nice_step((p->x1 - p->x0) / xs, 8);
	for (v = 0; v <= p->x1 / xs + 1e-9; v += step)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#888\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" fill=\"#444\">%.*f</text>\n",
		    chart_px(p, v * xs), p->b, chart_px(p, v * xs), p->b + 4,
		    chart_px(p, v * xs), p->b + 17, chart_decimals(step), v);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#444\">%ss since the first sample%s</text>\n",
	    (p->l + p->r) / 2, p->b + 33, method, xu);
}

/* The leaking sites of every pool, the first GROWTH_LINES. */
static size_t
collect(const json_t *report, struct line *l, const char **method)
{
	const json_t *pool, *sus;
	size_t i, k, n = 0;

	json_array_foreach(json_object_get(report, "pools"), i, pool) {
		const json_t *x = json_object_get(json_object_get(pool,
		    "series"), "requests");

		json_array_foreach(json_object_get(pool, "suspects"), k, sus) {
			const json_t *y = json_object_get(sus, "series");
			const char *m = str(sus, "method");

			if (n == GROWTH_LINES || m == NULL ||
			    json_array_size(y) < 2 ||
			    json_array_size(y) != json_array_size(x))
				continue;
			/* one x axis: the first site's method */
			if (*method == NULL)
				*method = m;
			if (strcmp(m, *method) != 0)
				continue;
			l[n].x = x;
			l[n].y = y;
			l[n].slope = num(json_object_get(sus,
			    "bytes_per_request"));
			snprintf(l[n].label, sizeof(l[n].label), "%s%s(%lld) "
			    "%.1f B/%s", strcmp(str(pool, "pool") ? str(pool,
			    "pool") : "", "pkg") == 0 ? "pkg " : "",
			    str(sus, "func") ? str(sus, "func") : "?",
			    (long long)json_integer_value(json_object_get(sus,
			    "line")), l[n].slope, m);
			n++;
		}
	}
	return n;
}

/* The points' centre, each from the line's first point: the fitted
 * slope is drawn through it. */
static void
centre(const struct line *l, double *mx, double *my)
{
	double x0 = num(json_array_get(l->x, 0)), y0 = num(json_array_get(l->y,
	    0));
	size_t k, m = json_array_size(l->y);

	*mx = *my = 0;
	for (k = 0; k < m; k++) {
		*mx += (num(json_array_get(l->x, k)) - x0) / (double)m;
		*my += (num(json_array_get(l->y, k)) - y0) / (double)m;
	}
}

char *
chart_growth_svg(const json_t *report)
{
	struct line l[GROWTH_LINES];
	struct chart_plot p = { .l = 70, .r = 880, .t = 52, .b = 340 };
	const char *method = NULL, *name;
	char title[256], sub[400], *buf;
	double hi = 0, lo = 0, xmax = 0, lx = 70;
	size_t n, i, k, len;
	FILE *f;

	if (!json_is_number(json_object_get(report, "observe_seconds")) ||
	    (n = collect(report, l, &method)) == 0)
		return NULL;
	for (i = 0; i < n; i++)
		for (k = 0; k < json_array_size(l[i].y); k++) {
			double x = num(json_array_get(l[i].x, k)) -
			    num(json_array_get(l[i].x, 0));
			double y = num(json_array_get(l[i].y, k)) -
			    num(json_array_get(l[i].y, 0));

			xmax = x > xmax ? x : xmax;
			hi = y > hi ? y : hi;
			lo = y < lo ? y : lo;
		}
	p.x0 = 0;
	p.x1 = xmax > 0 ? xmax : 1;
	for (i = 0; i < n; i++) {	/* the fitted lines' ends */
		double mx, my, a, b;

		centre(&l[i], &mx, &my);
		a = my - l[i].slope * mx;
		b = my + l[i].slope * (p.x1 - mx);
		lo = a < lo ? a : b < lo ? b : lo;
		hi = a > hi ? a : b > hi ? b : hi;
	}
	p.y0 = lo;
	p.y1 = hi > lo ? hi + (hi - lo) * 0.08 : lo + 1;
	name = str(json_object_get(report, "target"), "name");
	if (name == NULL)
		name = str(report, "name");
	snprintf(title, sizeof(title), "memdiag: %s: %s, bytes kept per %s",
	    name ? name : "proxy", str(report, "verdict") ? str(report,
	    "verdict") : "?", method);
	snprintf(sub, sizeof(sub), "%s", str(report, "reason") ?
	    str(report, "reason") : "");

	f = chart_start(&buf, &len);
	chart_head(f, title, sub);
	axes(f, &p, method);
	for (i = 0; i < n; i++) {
		double x0 = num(json_array_get(l[i].x, 0)),
		    y0 = num(json_array_get(l[i].y, 0)), mx, my;

		centre(&l[i], &mx, &my);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 4\" "
		    "stroke-opacity=\"0.6\"/>\n", chart_px(&p, 0),
		    chart_py(&p, my - l[i].slope * mx), chart_px(&p, p.x1),
		    chart_py(&p, my + l[i].slope * (p.x1 - mx)), colours[i]);
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"1.8\" points=\"", colours[i]);
		for (k = 0; k < json_array_size(l[i].y); k++)
			fprintf(f, "%.1f,%.1f ", chart_px(&p,
			    num(json_array_get(l[i].x, k)) - x0),
			    chart_py(&p, num(json_array_get(l[i].y, k)) - y0));
		fprintf(f, "\"/>\n");
		for (k = 0; k < json_array_size(l[i].y); k++)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			    "fill=\"%s\"/>\n", chart_px(&p,
			    num(json_array_get(l[i].x, k)) - x0),
			    chart_py(&p, num(json_array_get(l[i].y, k)) - y0),
			    colours[i]);
	}
	chart_frame(f, &p);
	for (i = 0; i < n; i++) {
		char sw[160];

		snprintf(sw, sizeof(sw), "<line x1=\"0\" y1=\"0\" x2=\"16\" "
		    "y2=\"0\" stroke=\"%s\" stroke-width=\"2\"/>", colours[i]);
		chart_legend(f, &lx, sw, l[i].label);
	}
	return chart_finish(f, &buf);
}
