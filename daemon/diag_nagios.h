/*
 * diag_nagios: --nagios, the diagnosis as one Nagios status line with
 * perfdata on stdout. Both functions return the status to exit with:
 * 0-3 as they are, anything else (64-78) as 3, UNKNOWN.
 */
#ifndef MEMDIAG_DIAG_NAGIOS_H
#define MEMDIAG_DIAG_NAGIOS_H

#include <stdbool.h>

#include <jansson.h>

/* report: the diagnosis' JSON (INTERFACE.md), borrowed */
int diag_nagios_print(json_t *report, int status);
/* The run ended with status (64-78) before a verdict: why, one line. */
int diag_nagios_error(int status, const char *err);
/* --nagios anywhere on the command line (before "--") */
bool diag_nagios_wanted(int argc, char **argv);

#endif
