/*
 * nagios: --nagios, the diagnosis as one Nagios status line with
 * perfdata on stdout. Both functions return the status to exit with:
 * 0-3 as they are, anything else (64-78) as 3, UNKNOWN.
 */
#ifndef MEMDIAG_REPORT_NAGIOS_H
#define MEMDIAG_REPORT_NAGIOS_H

#include <stdbool.h>

#include <jansson.h>

/* report: the diagnosis' JSON (memdiag(8), JSON), borrowed */
int nagios_print(json_t *report, int status);
/* The run ended with status (64-78) before a verdict: why, one line. */
int nagios_error(int status, const char *err);
/* --nagios anywhere on the command line (before "--") */
bool nagios_wanted(int argc, char **argv);

#endif
