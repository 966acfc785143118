/*
 * cfgtimers: how long the proxy's own timers hold memory after a call has
 * ended, read from its configuration file (the -f of its command line):
 * tm's wait timer, and module timers that keep per-call memory for a
 * while (htable autoexpire plus its timer_interval, dialog end_timeout).
 * The preprocessor's #!ifdef/#!ifndef/#!else/#!endif and #!define are
 * followed, with the -A defines of the command line, so that blocks the
 * proxy did not load count for nothing. Pure: text in, figures out.
 */
#ifndef MEMDIAG_CFGTIMERS_H
#define MEMDIAG_CFGTIMERS_H

#include <stddef.h>

struct cfgtimers {
	double tm_wait_s;	/* tm's wt_timer; 0 without tm */
	double tm_fr_inv_s;	/* tm's fr_inv_timer: how long an INVITE it
				 * could not answer is kept; 0 without tm */
	double longest_s;	/* the longest module timer; 0 if none */
	char what[200];		/* where longest_s comes from */
};

/* text (len bytes), with the command line's -A defines ("NAME" or
 * "NAME=VALUE"); never fails: what it cannot read counts as absent */
void cfgtimers_parse(const char *text, size_t len,
    const char *const *defines, size_t ndefines, struct cfgtimers *);

/* The file at path; 0, or -1 with err naming the file and the reason. */
int cfgtimers_read(const char *path, const char *const *defines,
    size_t ndefines, struct cfgtimers *, char *err, size_t errlen);

#endif
