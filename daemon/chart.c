/*
 * SVG charts, written by hand (SVG is text; no library needed): one of a
 * diagnosis (used shm over the run, its phases, the settled floors, the
 * pool size) and one of a target's history (the nightly floors, their
 * trend, the pool size). Both 900x400, readable in any browser.
 *
 * When the pool is more than three times what was used, a line at the
 * pool's height would flatten the curve that matters into the floor of
 * the chart; the axis then fits the data and the legend gives the pool.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "chart.h"
#include "log.h"
#include "xmalloc.h"

#define W 900
#define H 400
#define MB 1048576.0
#define DAY 86400.0
#define FONT "font-family=\"sans-serif\""
#define HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""
#define SUB_MAX 128	/* characters of the subtitle shown */

struct plot {
	double x0, x1, y0, y1;		/* data */
	double l, r, t, b;		/* pixels */
	bool pool_on_scale;
};

static double
px(const struct plot *p, double x)
{
	return p->l + (x - p->x0) / (p->x1 - p->x0) * (p->r - p->l);
}

static double
py(const struct plot *p, double y)
{
	return p->b - (y - p->y0) / (p->y1 - p->y0) * (p->b - p->t);
}

static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* control characters are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
		}
}

/* 1, 2 or 5 times a power of ten, near range/want */
static double
nice_step(double range, int want)
{
	double raw = range / want, mag = pow(10, floor(log10(raw))), f;

	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static int
decimals(double step)
{
	return step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
}

/* Fit the y axis to [lo, hi] bytes, with the pool on it when it fits. */
static void
fit_y(struct plot *p, double lo, double hi, double pool)
{
	double pad;

	if (pool > 0 && pool <= 3 * hi) {
		p->y0 = 0;
		p->y1 = (pool > hi ? pool : hi) * 1.05;
		p->pool_on_scale = true;
		return;
	}
	pad = (hi - lo) * 0.15;
	if (pad < 65536)
		pad = 65536;
	p->y0 = lo - pad < 0 ? 0 : lo - pad;
	p->y1 = hi + pad;
	p->pool_on_scale = false;
}

static void
head(FILE *f, const char *title, char *sub)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" " FONT " font-size=\"12\">\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	    "<text x=\"70\" y=\"22\" font-size=\"16\" font-weight=\"bold\" "
	    "fill=\"#222\">", W, H, W, H, W, H);
	esc(f, title);
	fprintf(f, "</text>\n<text x=\"70\" y=\"40\" fill=\"#555\"><title>");
	esc(f, sub);
	fprintf(f, "</title>");
	/* what fits on one line (about 6.5 px a character), whole words */
	if (strlen(sub) > SUB_MAX) {
		size_t n = SUB_MAX;

		while (n > SUB_MAX / 2 && sub[n] != ' ')
			n--;
		/* never inside a UTF-8 character */
		while (n > 0 && ((unsigned char)sub[n] & 0xc0) == 0x80)
			n--;
		sub[n] = '\0';
		esc(f, sub);
		fputs(" &#8230;", f);
	} else
		esc(f, sub);
	fprintf(f, "</text>\n");
}

static void
y_axis(FILE *f, const struct plot *p)
{
	double step = nice_step((p->y1 - p->y0) / MB, 5), v;
	int dec = decimals(step);

	for (v = ceil(p->y0 / MB / step) * step; v <= p->y1 / MB + 1e-9;
	    v += step) {
		double y = py(p, v * MB);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%.*f</text>\n",
		    p->l, y, p->r, y, p->l - 6, y + 4, dec, v);
	}
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" "
	    "text-anchor=\"middle\" fill=\"#444\">shm used (MB)</text>\n",
	    (p->t + p->b) / 2);
}

static void
frame(FILE *f, const struct plot *p)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	    "fill=\"none\" stroke=\"#888\"/>\n", p->l, p->t, p->r - p->l,
	    p->b - p->t);
}

static void
pool_line(FILE *f, const struct plot *p, double pool)
{
	if (!p->pool_on_scale)
		return;
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#d62728\" stroke-width=\"1.5\" "
	    "stroke-dasharray=\"8 4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
	    "text-anchor=\"end\" fill=\"#d62728\">pool %.1f MB</text>\n",
	    p->l, py(p, pool), p->r, py(p, pool), p->r - 4, py(p, pool) + 14,
	    pool / MB);
}

/* One legend entry at *x on the bottom row: a swatch, then the label. */
static void
legend(FILE *f, double *x, const char *swatch, const char *label)
{
	fprintf(f, "<g transform=\"translate(%.1f 388)\">%s<text x=\"22\" "
	    "y=\"4\" fill=\"#333\">", *x, swatch);
	esc(f, label);
	fprintf(f, "</text></g>\n");
	*x += 30 + 6.6 * (double)strlen(label);
}

/* open_memstream sets *buf at fclose: read it after */
static char *
finish(FILE *f, char **buf)
{
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0)
		fatalx(70, "chart: out of memory");
	return *buf;
}

static FILE *
start(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		fatalx(70, "chart: out of memory");
	return f;
}

/* ---- one diagnosis ---- */

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
phases(FILE *f, const struct plot *p, const json_t *ph, double tend)
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
		    "height=\"%.1f\" fill=\"%s\"/>\n", px(p, a), p->t,
		    px(p, z) - px(p, a), p->b - p->t, b->fill);
		round = (int)json_integer_value(json_object_get(e, "round"));
		if (strcmp(b->phase, "CALLS") == 0)
			snprintf(label, sizeof(label), "round %d", round);
		else if (strcmp(b->phase, "QUIET") == 0 && round == 0)
			snprintf(label, sizeof(label), "quiet (baseline)");
		else
			snprintf(label, sizeof(label), "%s", b->label);
		if (label[0] != '\0' && px(p, z) - px(p, a) >=
		    6.2 * (double)strlen(label) + 4)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\" font-size=\"11\" "
			    "fill=\"#555\" " HALO ">%s</text>\n",
			    (px(p, a) + px(p, z)) / 2,
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
curve(FILE *f, const struct plot *p, const json_t *samples, size_t col,
    const char *style)
{
	const json_t *s;
	double cur = -1, lo = 0, hi = 0, tlo = 0, thi = 0;
	size_t i;

	fprintf(f, "<polyline fill=\"none\" %s points=\"", style);
	json_array_foreach(samples, i, s) {
		double t = num(json_array_get(s, 0)), v = num(json_array_get(s,
		    col)), c = floor(px(p, t));

		if (!sample_ok(s))
			continue;
		if (c != cur) {
			if (cur >= 0 && tlo <= thi)
				fprintf(f, "%.1f,%.1f %.1f,%.1f ", px(p, tlo),
				    py(p, lo), px(p, thi), py(p, hi));
			else if (cur >= 0)
				fprintf(f, "%.1f,%.1f %.1f,%.1f ", px(p, thi),
				    py(p, hi), px(p, tlo), py(p, lo));
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
		fprintf(f, "%.1f,%.1f %.1f,%.1f", px(p, tlo), py(p, lo),
		    px(p, thi), py(p, hi));
	fprintf(f, "\"/>\n");
}

static void
x_axis_seconds(FILE *f, const struct plot *p)
{
	double step = nice_step(p->x1 - p->x0, 8), v;

	for (v = 0; v <= p->x1 + 1e-9; v += step)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#888\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" fill=\"#444\">%.*f</text>\n",
		    px(p, v), p->b, px(p, v), p->b + 4, px(p, v), p->b + 17,
		    decimals(step), v);
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
	struct plot p = { .l = 70, .r = 880, .t = 52, .b = 340 };
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
	fit_y(&p, lo, hi, pool);

	f = start(&buf, &len);
	run_title(report, tl, title, sizeof(title), sub, sizeof(sub));
	head(f, title, sub);
	phases(f, &p, ph, tend);
	y_axis(f, &p);
	x_axis_seconds(f, &p);
	pool_line(f, &p, pool);
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
		x = px(&p, t);
		y = py(&p, v);
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
	frame(f, &p);
	legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
	    "stroke=\"#1f77b4\" stroke-width=\"2\"/>", "used");
	legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
	    "stroke=\"#9467bd\" stroke-dasharray=\"4 3\"/>",
	    "real_used");
	legend(f, &lx, "<path d=\"M8 -6l6 6l-6 6l-6 -6z\" fill=\"#2ca02c\"/>",
	    "settled floor");
	if (pool > 0) {
		snprintf(pooltxt, sizeof(pooltxt), p.pool_on_scale ?
		    "pool size %.1f MB" : "pool size %.1f MB (above)",
		    pool / MB);
		legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#d62728\" stroke-dasharray=\"8 4\"/>", pooltxt);
	}
	legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#dbe9f6\"/>", "quiet");
	legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#fbd9bf\"/>", "test calls");
	legend(f, &lx, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" "
	    "fill=\"#fff2b3\"/>", "dump");
	return finish(f, &buf);
}

/* ---- the history ---- */

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
x_axis_dates(FILE *f, const struct plot *p)
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
		    "fill=\"#444\">%s</text>\n", px(p, v), p->t, px(p, v), p->b,
		    px(p, v), p->b, px(p, v), p->b + 4, px(p, v), p->b + 17,
		    label);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#444\">date of the diagnosis (UTC)</text>\n",
	    (p->l + p->r) / 2, p->b + 33);
}

static void
floors_sub(const struct history_trend *tr, char *sub, size_t len)
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
chart_floors_svg(const char *name, const struct history_point *pts,
    size_t n, const struct history_trend *tr)
{
	struct plot p = { .l = 70, .r = 880, .t = 52, .b = 340 };
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
	fit_y(&p, lo, hi, pool);

	f = start(&buf, &len);
	snprintf(title, sizeof(title), "memdiag: %s: shm floor night after "
	    "night", name);
	floors_sub(tr, sub, sizeof(sub));
	head(f, title, sub);
	y_axis(f, &p);
	x_axis_dates(f, &p);
	fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
	    "<g clip-path=\"url(#plot)\">\n", p.l, p.t, p.r - p.l, p.b - p.t);
	pool_line(f, &p, pool);
	if (tr->n >= 3)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#555\" stroke-width=\"1.5\" "
		    "stroke-dasharray=\"6 4\"/>\n", px(&p, p.x0), py(&p, my +
		    tr->slope * (p.x0 - mx) / DAY), px(&p, p.x1), py(&p, my +
		    tr->slope * (p.x1 - mx) / DAY));
	fprintf(f, "</g>\n");
	for (i = 0; i < n; i++) {
		const char *c = verdict_colour(pts[i].verdict);

		if (pts[i].floor == 0)
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" "
		    "fill=\"%s\" stroke=\"#fff\"><title>", px(&p, pts[i].when),
		    py(&p, (double)pts[i].floor), c);
		esc(f, pts[i].verdict);
		fprintf(f, " %.2f MB</title></circle>\n",
		    (double)pts[i].floor / MB);
		if (strcmp(c, "#222222") == 0)
			other = true;
	}
	if (nf == 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		    "fill=\"#888\">no diagnosis with a settled floor yet</text>\n",
		    (p.l + p.r) / 2, (p.t + p.b) / 2);
	frame(f, &p);
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
			legend(f, &lx, sw, vs[i]);
		}
	}
	if (other)
		legend(f, &lx, "<circle cx=\"8\" cy=\"0\" r=\"4.5\" "
		    "fill=\"#222222\"/>", "other");
	if (tr->n >= 3)
		legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#555\" stroke-dasharray=\"6 4\"/>",
		    "trend (least squares)");
	if (pool > 0) {
		snprintf(txt, sizeof(txt), p.pool_on_scale ?
		    "pool size %.1f MB" : "pool size %.1f MB (above)",
		    pool / MB);
		legend(f, &lx, "<line x1=\"0\" y1=\"0\" x2=\"16\" y2=\"0\" "
		    "stroke=\"#d62728\" stroke-dasharray=\"8 4\"/>", txt);
	}
	return finish(f, &buf);
}
