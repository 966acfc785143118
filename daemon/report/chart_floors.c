/*
 * The chart of a target's history: the nightly floors coloured by
 * verdict, their least-squares trend and the day the pool would be full
 * at that rate (trend.c), 900x400.
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

static const char *
verdict_colour(const char *v)
{
	static const struct { const char *v, *c; } c[] = {
		{ "healthy", "#2ca02c" }, { "leak", "#d62728" },
		{ "pool-too-small", "#ff7f0e" }, { "fragmentation", "#9467bd" },
		{ "inconclusive", "#7f7f7f" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(c[i].v, v) == 0)
			return c[i].c;
	return "#222222";
}

static void
x_axis_dates(FILE *f, const struct chart_plot *p)
{
	static const double steps[] = { 3600, 3 * 3600, 6 * 3600, 12 * 3600,
		DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 364 * DAY };
	double step = steps[0], v;
	char label[32];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if ((p->x1 - p->x0) / step <= 9)
			break;
	}
	for (v = ceil(p->x0 / step) * step; v <= p->x1; v += step) {
		time_t t = (time_t)v;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(label, sizeof(label), step < DAY ? "%b %d %H:%M" :
		    "%b %d", &tm);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#eeeeee\"/>\n<line x1=\"%.1f\" "
		    "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		    "fill=\"#444\">%s</text>\n", chart_px(p, v), p->t, chart_px(p, v), p->b,
		    chart_px(p, v), p->b, chart_px(p, v), p->b + 4, chart_px(p, v), p->b + 17,
		    label);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#444\">date of the diagnosis (UTC)</text>\n",
	    (p->l + p->r) / 2, p->b + 33);
}

static void
floors_sub(const struct trend *tr, char *sub, size_t len)
{
	if (tr->n < 3)
		snprintf(sub, len, "%zu diagnos%s with a floor: a trend needs "
		    "3", tr->n, tr->n == 1 ? "is" : "es");
	else if (tr->days_left >= 0 && tr->days_left < 2)
		snprintf(sub, len, "floor rising %+.2f MB/day over %zu "
		    "diagnoses: the pool is full in %.0f hours at that rate",
		    tr->slope / MB, tr->n, tr->days_left * 24);
	else if (tr->days_left >= 0) {
		time_t full = (time_t)(tr->last_when + tr->days_left * DAY);
		char date[24] = "";
		struct tm tm;

		if (tr->days_left < 3650 && gmtime_r(&full, &tm) != NULL)
			strftime(date, sizeof(date), " (%b %d)", &tm);
		snprintf(sub, len, "floor rising %+.2f MB/day over %zu "
		    "diagnoses: the pool is full in %.0f days%s at that rate",
		    tr->slope / MB, tr->n, tr->days_left, date);
	}
	else
		snprintf(sub, len, "floor trend %+.2f MB/day over %zu "
		    "diagnoses: not rising", tr->slope / MB, tr->n);
}

char *
chart_floors_svg(const char *name, const struct trend_point *pts,
    size_t n, const struct trend *tr)
{
	struct chart_plot p = { .l = 70, .r = 880, .t = 52, .b = 340 };
	double lo = INFINITY, hi = -INFINITY, first = 0, last = 0, mx = 0,
	    my = 0, lx = 70, pool = (double)tr->pool_size, span;
	bool other = false;
	char title[256], sub[200], *buf, txt[64];
	size_t i, k = 0, nf, len;
	FILE *f;

	for (i = 0; i < n; i++) {
		if (pts[i].floor == 0)
			continue;
		if (k++ == 0)
			first = pts[i].when;
		last = pts[i].when;
		lo = (double)pts[i].floor < lo ? (double)pts[i].floor : lo;
		hi = (double)pts[i].floor > hi ? (double)pts[i].floor : hi;
		mx += pts[i].when;
		my += (double)pts[i].floor;
	}
	nf = k;
	if (k > 0) {
		mx /= (double)k;
		my /= (double)k;
	}
	span = last - first;
	p.x0 = k == 0 ? (double)time(NULL) - 7 * DAY : first - (span > 0 ?
	    span * 0.05 : DAY);
	p.x1 = k == 0 ? (double)time(NULL) : last + (span > 0 ? span * 0.2 :
	    DAY);
	if (k == 0) {
		lo = 0;
		hi = pool > 0 ? pool : MB;
	} else if (tr->n >= 3) {
		/* the trend line's ends are on the chart too */
		double a = my + tr->slope * (p.x0 - mx) / DAY,
		    z = my + tr->slope * (p.x1 - mx) / DAY;

		lo = fmin(lo, fmax(0, fmin(a, z)));
		hi = fmax(hi, fmin(pool > 0 ? pool : INFINITY, fmax(a, z)));
	}
	chart_fit_y(&p, lo, hi, pool);

	f = chart_start(&buf, &len);
	snprintf(title, sizeof(title), "memdiag: %s: shm floor night after "
	    "night", name);
	floors_sub(tr, sub, sizeof(sub));
	chart_head(f, title, sub);
	chart_y_axis(f, &p);
	x_axis_dates(f, &p);
	fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
	    "<g clip-path=\"url(#plot)\">\n", p.l, p.t, p.r - p.l, p.b - p.t);
	chart_pool_line(f, &p, pool);
	if (tr->n >= 3)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#555\" stroke-width=\"1.5\" "
		    "stroke-dasharray=\"6 4\"/>\n", chart_px(&p, p.x0), chart_py(&p, my +
		    tr->slope * (p.x0 - mx) / DAY), chart_px(&p, p.x1), chart_py(&p, my +
		    tr->slope * (p.x1 - mx) / DAY));
	fprintf(f, "</g>\n");
	for (i = 0; i < n; i++) {
		const char *c = verdict_colour(pts[i].verdict);

		if (pts[i].floor == 0)
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" "
		    "fill=\"%s\" stroke=\"#fff\"><title>", chart_px(&p, pts[i].when),
		    chart_py(&p, (double)pts[i].floor), c);
		chart_esc(f, pts[i].verdict);
		fprintf(f, " %.2f MB</title></circle>\n",
		    (double)pts[i].floor / MB);
		if (strcmp(c, "#222222") == 0)
			other = true;
	}
	if (nf == 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		    "fill=\"#888\">no diagnosis with a settled floor yet</text>\n",
		    (p.l + p.r) / 2, (p.t + p.b) / 2);
	chart_frame(f, &p);
	{
		static const char *vs[] = { "healthy", "leak", "pool-too-small",
			"fragmentation", "inconclusive" };

		for (i = 0; i < 5; i++) {
			char sw[160];

			for (k = 0; k < n && (pts[k].floor == 0 ||
			    strcmp(pts[k].verdict, vs[i]) != 0); k++)
				;
			if (k == n)
				continue;
			snprintf(sw, sizeof(sw), "<circle cx=\"8\" cy=\"0\" "
			    "r=\"4.5\" fill=\"%s\"/>", verdict_colour(vs[i]));
			chart_legend(f, &lx, sw, vs[i]);
		}
	}
	if (other)
		chart_legend(f, &lx, "<circle cx=\"8\" cy=\"0\" r=\"4.5\" "
		    "fill=\"#222222\"/>", "other");
	if (tr->n >= 3)
		chart_legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#555\" stroke-dasharray=\"6 4\"/>",
		    "trend (least squares)");
	if (pool > 0) {
		snprintf(txt, sizeof(txt), p.pool_on_scale ?
		    "pool size %.1f MB" : "pool size %.1f MB (above)",
		    pool / MB);
		chart_legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#d62728\" stroke-dasharray=\"8 4\"/>", txt);
	}
	return chart_finish(f, &buf);
}
