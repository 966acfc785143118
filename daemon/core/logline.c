/*
 * Prefix parsing for every log shape memdiag meets. Only the PID and the
 * message start matter; timestamps and host names are skipped, not read.
 */
#include <string.h>

#include "core/logline.h"

static const char *const logline_levels[] = {
	"EMERG", "ALERT", "CRITICAL", "CRIT", "ERROR", "ERR", "WARNING",
	"WARN", "NOTICE", "INFO", "DEBUG", "DBG", "L_DBG", "L_INFO", "L_NOTICE",
	"L_WARN", "L_ERR", "L_CRIT", "L_ALERT", NULL,
};

static int
logline_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
logline_isupper(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

/* Parse decimal digits at *p (at most 18, so no overflow); -1 if none. */
static long
logline_num(const char **p, const char *end)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (s < end && logline_isdigit(*s) && n < 18) {
		v = v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0 || (s < end && logline_isdigit(*s)))
		return -1;
	*p = s;
	return v;
}

size_t
logline_skip_level(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *w;
	size_t wl;
	int i;

	while (p < end && *p == ' ')
		p++;
	w = p;
	while (p < end && logline_isupper(*p))
		p++;
	wl = (size_t)(p - w);
	if (wl >= 3 && p < end && *p == ':') {
		for (i = 0; logline_levels[i] != NULL; i++) {
			if (strlen(logline_levels[i]) == wl &&
			    memcmp(logline_levels[i], w, wl) == 0)
				break;
		}
		if (logline_levels[i] != NULL) {
			p++;
			if (p < end && *p == ' ')
				p++;
		} else
			p = w;
	} else
		p = w;
	/* log_prefix: "{...} " right after the level word */
	if (p < end && *p == '{') {
		const char *q = memchr(p, '}', (size_t)(end - p));

		if (q != NULL && q + 1 < end && q[1] == ' ')
			p = q + 2;
	}
	return (size_t)(p - msg);
}

/*
 * Find "[PID]" in a syslog-style prefix: the first bracketed number that
 * comes before any ": " (message text may hold "[file.c:12]" later). A
 * container wrapper adds a second "ident[PID]:" whose PID is the proxy's.
 */
static const char *
logline_syslog_pid(const char *p, const char *end, long *pid)
{
	const char *s;

	for (s = p; s < end; s++) {
		if (*s == ':' && s + 1 < end && s[1] == ' ')
			return NULL;
		if (*s == '[' && s + 1 < end && logline_isdigit(s[1])) {
			const char *q = s + 1;
			long v = logline_num(&q, end);

			if (v < 0 || q >= end || *q != ']')
				continue;
			q++;
			if (q < end && *q == ':')
				q++;
			else if (q >= end || *q != ' ')
				continue;
			*pid = v;
			while (q < end && *q == ' ')
				q++;
			/* "docker/opensips[900]: /usr/sbin/opensips[12]: " */
			{
				const char *t = q, *inner;
				long ipid;

				while (t < end && *t != ' ' && *t != '[')
					t++;
				if (t > q && t < end && *t == '[') {
					inner = logline_syslog_pid(q, end, &ipid);
					if (inner != NULL && inner - q < 256) {
						*pid = ipid;
						return inner;
					}
				}
			}
			return q;
		}
	}
	return NULL;
}

static int
logline_looks_syslog(const char *p, const char *end)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	if (p < end && *p == '<')
		return 1;
	if (end - p >= 4 && logline_isdigit(p[0]) && logline_isdigit(p[1]) &&
	    logline_isdigit(p[2]) && logline_isdigit(p[3]))
		return 1;
	if (end - p < 4 || p[3] != ' ')
		return 0;
	for (i = 0; i < 12; i++)
		if (memcmp(months + 3 * i, p, 3) == 0)
			return 1;
	return 0;
}

void
logline_parse(const char *line, size_t len, struct logline *out)
{
	const char *p = line, *end = line + len, *q;

	out->pid = -1;
	out->process_no = -1;
	out->continuation = false;
	if (len > 0 && line[0] == '\t') {
		out->continuation = true;
		out->msg = line;
		out->msglen = len;
		out->prefixlen = 0;
		return;
	}
	while (p < end && *p == ' ')
		p++;
	q = p;
	if (p < end && logline_isdigit(*p)) {
		/* Kamailio -E / OpenSER stderr: " R(PID) " */
		long rank = logline_num(&q, end), pid;

		if (rank >= 0 && q < end && *q == '(') {
			q++;
			pid = logline_num(&q, end);
			if (pid >= 0 && q < end && *q == ')' &&
			    (q + 1 == end || q[1] == ' ')) {
				out->process_no = rank <= 1000000 ? (int)rank : -1;
				out->pid = pid;
				p = q + 1;
				if (p < end)
					p++;
				goto level;
			}
		}
	}
	if (logline_looks_syslog(p, end)) {
		long pid = -1;

		q = logline_syslog_pid(p, end, &pid);
		if (q != NULL) {
			out->pid = pid;
			p = q;
		} else {
			/* "<30>Nov 24 19:43:53 kamailio: INFO: ...": no PID */
			const char *c = p;

			while (c + 1 < end && !(c[0] == ':' && c[1] == ' '))
				c++;
			if (c + 1 < end)
				p = c + 2;
		}
	}
level:
	p += logline_skip_level(p, (size_t)(end - p));
	out->msg = p;
	out->msglen = (size_t)(end - p);
	out->prefixlen = (size_t)(p - line);
}
