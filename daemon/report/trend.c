/*
 * The trend of a target's settled floors, night after night: a floor
 * that keeps rising is a slow leak even when one night cannot show it.
 * Pure: points in, a least-squares line and the day the pool is full out.
 */
#include <stdio.h>
#include <string.h>

#include "report/trend.h"

#define TREND_DAY 86400.0

void
trend_fit(const struct trend_point *p, size_t n, struct trend *t)
{
	double t0 = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, den;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->days_left = -1;
	for (i = 0; i < n; i++) {
		if (p[i].pool_size > 0)
			t->pool_size = p[i].pool_size;
		if (p[i].floor == 0)
			continue;
		if (t->n == 0)
			t0 = p[i].when;
		/* days since the first floor: small numbers, exact sums */
		x = (p[i].when - t0) / TREND_DAY;
		y = (double)p[i].floor;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		t->n++;
		t->last_floor = p[i].floor;
	}
	if (n > 0) {
		t->last_when = p[n - 1].when;
		snprintf(t->last_verdict, sizeof(t->last_verdict), "%s",
		    p[n - 1].verdict);
	}
	if (t->n < 3)
		return;
	den = (double)t->n * sxx - sx * sx;
	if (den <= 0)
		return;		/* every floor on one day: no slope */
	t->slope = ((double)t->n * sxy - sx * sy) / den;
	if (t->slope <= 0 || t->pool_size == 0)
		return;
	t->days_left = t->last_floor >= t->pool_size ? 0 :
	    (double)(t->pool_size - t->last_floor) / t->slope;
}
