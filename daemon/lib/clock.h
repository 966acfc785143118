/*
 * clock: the one monotonic clock memdiag measures with (seconds as a
 * double, from an arbitrary start), and seconds as libevent's timeval.
 */
#ifndef MEMDIAG_LIB_CLOCK_H
#define MEMDIAG_LIB_CLOCK_H

#include <sys/time.h>

/* CLOCK_MONOTONIC, in seconds. */
double clock_mono(void);

/* secs (negative counts as 0) as a timeval for event_add(). */
struct timeval clock_tv(double secs);

#endif
