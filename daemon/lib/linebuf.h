/*
 * linebuf: a log's bytes, as they come in chunks, into whole lines. A
 * line longer than the buffer is dropped whole (a memory-error line is
 * short; a long one is something else).
 */
#ifndef MEMDIAG_LIB_LINEBUF_H
#define MEMDIAG_LIB_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

#define LINEBUF_MAX 4096

struct linebuf {
	char line[LINEBUF_MAX];
	size_t len;
	bool overlong;
};

/* Each complete line of buf (without its newline) to fn, in order. */
void linebuf_feed(struct linebuf *, const char *buf, size_t len,
    void (*fn)(void *arg, const char *line, size_t len), void *arg);
/* Forget a partial line (the log was reopened). */
void linebuf_reset(struct linebuf *);

#endif
