/*
 * memdiag.conf(5) as text: the file is read into memory before libconfig
 * sees it, so that what libconfig handles badly is refused first (a FIFO
 * or device that never ends, a huge file, NUL bytes that cut strings
 * short, @include of any file), and so that its integers can be read
 * again where libconfig 1.5 gets them wrong.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "face/conf_priv.h"
#include "lib/exitcodes.h"
#include "lib/rfile.h"
#include "lib/xmalloc.h"

/* The whole file in memory: a regular file, at most CONF_SIZE_MAX, text. */
int
conf_text_read(struct conf_ctx *x)
{
	struct stat st;
	ssize_t n;
	size_t i, cap;
	int fd;

	if ((fd = rfile_open(x->path, 0, &st)) == -1) {
		snprintf(x->err, x->errlen, "%s: cannot open: %s", x->path,
		    errno == EISDIR ? "a directory" : errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		return EX_MD_NOINPUT;
	}
	cap = CONF_SIZE_MAX + 1;
	x->text = xmalloc(cap + 1);
	while (x->len < cap && (n = read(fd, x->text + x->len,
	    cap - x->len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(x->err, x->errlen, "%s: cannot read: %s",
			    x->path, strerror(errno));
			close(fd);
			return EX_MD_NOINPUT;
		}
		x->len += (size_t)n;
	}
	close(fd);
	x->text[x->len] = '\0';
	if (x->len > CONF_SIZE_MAX)
		return conf_err(x, 1, "larger than %d bytes: not a "
		    "memdiag.conf", CONF_SIZE_MAX);
	x->lines = xcalloc(1, sizeof(*x->lines));
	x->nlines = 1;
	for (i = 0; i < x->len; i++) {
		if (x->text[i] == '\0')
			return conf_err(x, (int)x->nlines, "a NUL byte: not a "
			    "text file");
		if (x->text[i] != '\n' || i + 1 == x->len)
			continue;
		x->lines = xreallocarray(x->lines, x->nlines + 1,
		    sizeof(*x->lines));
		x->lines[x->nlines++] = i + 1;
	}
	/* libconfig would read any file named here, /dev/zero included */
	for (i = 0; i < x->nlines; i++) {
		const char *p = x->text + x->lines[i];

		p += strspn(p, " \t");
		if (strncmp(p, "@include", 8) == 0)
			return conf_err(x, (int)i + 1, "@include is not "
			    "supported: keep the configuration in one file");
	}
	return 0;
}

/*
 * libconfig 1.5 reads integers with atoi(): 4294967396 becomes 100 and
 * 99999999999999999999 becomes -1 without a word. Read the literal again
 * from the file's text to catch what does not fit.
 */
bool
conf_text_int_overflows(struct conf_ctx *x, const config_setting_t *s,
    char *num, size_t numlen)
{
	size_t nl, line = config_setting_source_line(s);
	const char *p, *end;

	if (s->name == NULL || line == 0 || line > x->nlines)
		return false;
	nl = strlen(s->name);
	p = x->text + x->lines[line - 1];
	end = line < x->nlines ? x->text + x->lines[line] : x->text + x->len;
	while ((p = memmem(p, (size_t)(end - p), s->name, nl)) != NULL) {
		const char *q = p + nl;
		char *e;
		size_t n = 0;
		long long v;

		p = q;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == end || (*q != '=' && *q != ':'))
			continue;
		for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
			;
		while (q < end && n < numlen - 1 && *q != '\0' &&
		    strchr("+-0123456789abcdefABCDEFxX", *q) != NULL)
			num[n++] = *q++;
		num[n] = '\0';
		errno = 0;
		v = strtoll(num, &e, 0);
		if (e != num && (errno == ERANGE || v < INT_MIN || v > INT_MAX))
			return true;
	}
	return false;
}
