/* analyze, diff: memdiag's offline commands over saved logs. */
#ifndef MEMDIAG_ANALYZE_H
#define MEMDIAG_ANALYZE_H

#include "dump.h"

int analyze_main(int argc, char **argv);
int diff_main(int argc, char **argv);

/*
 * Parse a whole log file ("-" for stdin). On failure prints one line
 * naming the file and returns NULL with *status set (66: cannot open).
 */
struct dump_result *analyze_read(const char *path, int *status);

/* Exit status for a parsed log; prints the problems on stderr. */
int analyze_status(const char *path, const struct dump_result *);

#endif
