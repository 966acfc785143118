/*
 * The one monotonic clock: every deadline, rate and elapsed time in
 * memdiag is measured on it, so that a change of the wall clock (NTP, an
 * operator) never fires a gate's budget early or stretches a wait.
 */
#include <time.h>

#include "lib/clock.h"

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct timeval
clock_tv(double secs)
{
	struct timeval tv;

	if (!(secs > 0))
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	if (tv.tv_usec >= 1000000)
		tv.tv_usec = 999999;
	return tv;
}
