/*
 * What the two charts share (chart_svg.c): the canvas, the scales, the
 * axes, the legend and the SVG text around them.
 */
#ifndef MEMDIAG_REPORT_CHART_PRIV_H
#define MEMDIAG_REPORT_CHART_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define W 900
#define H 400
#define MB 1048576.0
#define DAY 86400.0
#define FONT "font-family=\"sans-serif\""
#define HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""
#define SUB_MAX 128	/* characters of the subtitle shown */

struct chart_plot {
	double x0, x1, y0, y1;		/* data */
	double l, r, t, b;		/* pixels */
	bool pool_on_scale;
};

double chart_px(const struct chart_plot *p, double x);
double chart_py(const struct chart_plot *p, double y);
void chart_esc(FILE *f, const char *s);
double chart_nice_step(double range, int want);
int chart_decimals(double step);
void chart_fit_y(struct chart_plot *p, double lo, double hi, double pool);
void chart_head(FILE *f, const char *title, char *sub);
void chart_y_axis(FILE *f, const struct chart_plot *p);
void chart_frame(FILE *f, const struct chart_plot *p);
void chart_pool_line(FILE *f, const struct chart_plot *p, double pool);
void chart_legend(FILE *f, double *x, const char *swatch, const char *label);
char *chart_finish(FILE *f, char **buf);
FILE *chart_start(char **buf, size_t *len);

#endif
