/*
 * report: what memdiag prints. Text for people (corruption and memory
 * errors first, then totals and the top sites), JSON for scripts with the
 * keys fixed in memdiag(8), JSON.
 */
#ifndef MEMDIAG_REPORT_H
#define MEMDIAG_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "core/diff.h"
#include "core/dump.h"

json_t *report_analyze_json(const struct dump_result *);
void report_analyze_text(FILE *, const char *name,
    const struct dump_result *);
json_t *report_diff_json(const struct diff_result *);
void report_diff_text(FILE *, const struct diff_result *);

/* Prints a JSON document (indented, one trailing newline). */
int report_print_json(FILE *, json_t *);

/* "12.5 MiB" style, into buf. */
const char *report_bytes(char *buf, size_t len, double bytes);

#endif
