/*
 * logframe: cut a byte stream, split anywhere, into what the parsers read:
 * text lines with their numbers, or, for "journalctl -o export" input
 * (recognised by its first line), entries with their MESSAGE and PID,
 * binary-encoded fields included. Lines are bounded (64 KiB) and so are
 * journal fields (1 MiB): hostile input cannot make it grow. Pure.
 */
#ifndef MEMDIAG_LOGFRAME_H
#define MEMDIAG_LOGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logframe_ops {
	/* a text line, without its newline */
	void (*line)(void *arg, const char *line, size_t len, uint64_t lineno);
	/* a journal entry's MESSAGE, with _PID (else SYSLOG_PID, else -1) */
	void (*message)(void *arg, long pid, const char *msg, size_t len,
	    uint64_t lineno);
	/* malformed framing, or (truncated) input that ends mid-field */
	void (*problem)(void *arg, bool truncated, uint64_t lineno,
	    const char *text);
	/* the input ended inside a line: what there is of it */
	void (*partial)(void *arg, const char *line, size_t len,
	    uint64_t lineno);
};

struct logframe;

struct logframe *logframe_new(const struct logframe_ops *, void *arg);
void logframe_feed(struct logframe *, const char *buf, size_t len);
/* End of input: a partial last line or entry is handed over. */
void logframe_finish(struct logframe *);
void logframe_free(struct logframe *);
uint64_t logframe_lineno(const struct logframe *);
bool logframe_is_journal(const struct logframe *);

#endif
