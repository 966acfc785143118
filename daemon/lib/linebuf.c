/* Chunks of a log into lines (linebuf.h). */
#include "lib/linebuf.h"

void
linebuf_feed(struct linebuf *lb, const char *buf, size_t len,
    void (*fn)(void *, const char *, size_t), void *arg)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (!lb->overlong)
				fn(arg, lb->line, lb->len);
			lb->len = 0;
			lb->overlong = false;
		} else if (lb->len < sizeof(lb->line))
			lb->line[lb->len++] = buf[i];
		else
			lb->overlong = true;
	}
}

void
linebuf_reset(struct linebuf *lb)
{
	lb->len = 0;
	lb->overlong = false;
}
