/* trend: the nightly floors' least-squares line (trend.c). */
#ifndef MEMDIAG_REPORT_TREND_H
#define MEMDIAG_REPORT_TREND_H

#include <stddef.h>
#include <stdint.h>

struct trend_point { double when; uint64_t floor, pool_size; char verdict[24]; };
struct trend {
	size_t n;                    /* points used (diagnoses with a floor) */
	double slope;                /* bytes per day, least squares; 0 when n < 3 */
	double days_left;            /* until floor reaches pool_size at slope; -1: not rising/unknown */
	uint64_t last_floor, pool_size;
	char last_verdict[24];
	double last_when;
};

/* The line through the points that have a floor, oldest first. */
void trend_fit(const struct trend_point *, size_t n, struct trend *);

#endif
