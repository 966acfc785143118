/*
 * logline: take one physical log line apart into who wrote it (PID, and the
 * process number where Kamailio's -E prefix shows it) and the message text,
 * whatever wrapped it: stderr (-E), syslog files (classic and RFC 3339),
 * syslog datagrams, journalctl short output, OpenSIPS's own stderr,
 * container wrappers, level words and Kamailio's log_prefix blocks.
 * Pure: no I/O, no allocation.
 */
#ifndef MEMDIAG_LOGLINE_H
#define MEMDIAG_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>

struct logline {
	long pid;		/* -1: the line does not say */
	int process_no;		/* -1: the line does not say */
	const char *msg;	/* message text, inside the line */
	size_t msglen;
	size_t prefixlen;	/* bytes before msg */
	bool continuation;	/* a TAB-led line with no prefix of its own */
};

void logline_parse(const char *line, size_t len, struct logline *out);

/* Skip a level word ("INFO: ", "ALERT:") and a log_prefix block
 * ("{1 1 INVITE id} ") at the start of a message; returns bytes skipped. */
size_t logline_skip_level(const char *msg, size_t len);

#endif
