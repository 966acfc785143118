/*
 * SVG charts, written by hand (SVG is text; no library needed): the parts
 * both charts draw with. When the pool is more than three times what was
 * used, a line at the pool's height would flatten the curve that matters
 * into the floor of the chart; the axis then fits the data and the legend
 * gives the pool.
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

double
chart_px(const struct chart_plot *p, double x)
{
	return p->l + (x - p->x0) / (p->x1 - p->x0) * (p->r - p->l);
}

double
chart_py(const struct chart_plot *p, double y)
{
	return p->b - (y - p->y0) / (p->y1 - p->y0) * (p->b - p->t);
}

void
chart_esc(FILE *f, const char *s)
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
double
chart_nice_step(double range, int want)
{
	double raw = range / want, mag = pow(10, floor(log10(raw))), f;

	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

int
chart_decimals(double step)
{
	return step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
}

/* Fit the y axis to [lo, hi] bytes, with the pool on it when it fits. */
void
chart_fit_y(struct chart_plot *p, double lo, double hi, double pool)
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

void
chart_head(FILE *f, const char *title, char *sub)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" " FONT " font-size=\"12\">\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	    "<text x=\"70\" y=\"22\" font-size=\"16\" font-weight=\"bold\" "
	    "fill=\"#222\">", W, H, W, H, W, H);
	chart_esc(f, title);
	fprintf(f, "</text>\n<text x=\"70\" y=\"40\" fill=\"#555\"><title>");
	chart_esc(f, sub);
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
		chart_esc(f, sub);
		fputs(" &#8230;", f);
	} else
		chart_esc(f, sub);
	fprintf(f, "</text>\n");
}

void
chart_y_axis(FILE *f, const struct chart_plot *p)
{
	double step = chart_nice_step((p->y1 - p->y0) / MB, 5), v;
	int dec = chart_decimals(step);

	for (v = ceil(p->y0 / MB / step) * step; v <= p->y1 / MB + 1e-9;
	    v += step) {
		double y = chart_py(p, v * MB);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%.*f</text>\n",
		    p->l, y, p->r, y, p->l - 6, y + 4, dec, v);
	}
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" "
	    "text-anchor=\"middle\" fill=\"#444\">shm used (MB)</text>\n",
	    (p->t + p->b) / 2);
}

void
chart_frame(FILE *f, const struct chart_plot *p)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	    "fill=\"none\" stroke=\"#888\"/>\n", p->l, p->t, p->r - p->l,
	    p->b - p->t);
}

void
chart_pool_line(FILE *f, const struct chart_plot *p, double pool)
{
	if (!p->pool_on_scale)
		return;
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#d62728\" stroke-width=\"1.5\" "
	    "stroke-dasharray=\"8 4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
	    "text-anchor=\"end\" fill=\"#d62728\">pool %.1f MB</text>\n",
	    p->l, chart_py(p, pool), p->r, chart_py(p, pool), p->r - 4, chart_py(p, pool) + 14,
	    pool / MB);
}

/* One legend entry at *x on the bottom row: a swatch, then the label. */
void
chart_legend(FILE *f, double *x, const char *swatch, const char *label)
{
	fprintf(f, "<g transform=\"translate(%.1f 388)\">%s<text x=\"22\" "
	    "y=\"4\" fill=\"#333\">", *x, swatch);
	chart_esc(f, label);
	fprintf(f, "</text></g>\n");
	*x += 30 + 6.6 * (double)strlen(label);
}

/* open_memstream sets *buf at fclose: read it after */
char *
chart_finish(FILE *f, char **buf)
{
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0)
		fatalx(70, "chart: out of memory");
	return *buf;
}

FILE *
chart_start(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		fatalx(70, "chart: out of memory");
	return f;
}
