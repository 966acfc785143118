/*
 * Framing: a carry buffer for the line cut by a chunk boundary, and a
 * small state machine for journal export's binary fields (a field name
 * alone on a line, then a 64-bit little-endian length, the data, and a
 * newline).
 */
#include <stdlib.h>
#include <string.h>

#include "core/logframe.h"
#include "core/scan.h"
#include "lib/xmalloc.h"

#define LOGFRAME_MAX_LINE (64 * 1024)	/* longer lines are skipped */
#define LOGFRAME_MAX_FIELD (1024 * 1024)

struct logframe {
	const struct logframe_ops *ops;
	void *arg;
	char *carry;
	size_t carrylen, carrycap;
	bool carry_overlong;
	uint64_t lineno;
	bool first_line_seen;
	bool journal;
	int jstate;		/* 0 text, 1 binary length, 2 binary data */
	char jname[64];
	uint8_t jlenbuf[8];
	size_t jlenhave;
	uint64_t jlen, jhave;
	char *jmsg;
	size_t jmsglen;
	long jpid, jsyslogpid;
	bool jmsg_binary;
	uint64_t jentry_line;
};

static void
problem(struct logframe *p, bool truncated, uint64_t lineno,
    const char *text)
{
	if (p->ops->problem != NULL)
		p->ops->problem(p->arg, truncated, lineno, text);
}

static void
journal_entry_end(struct logframe *p)
{
	long pid = p->jpid >= 0 ? p->jpid : p->jsyslogpid;

	if (p->jmsg != NULL)
		p->ops->message(p->arg, pid, p->jmsg, p->jmsglen,
		    p->jentry_line);
	free(p->jmsg);
	p->jmsg = NULL;
	p->jmsglen = 0;
	p->jpid = p->jsyslogpid = -1;
	p->jentry_line = 0;
}

static long
journal_pid(const char *v, size_t n)
{
	const char *s = v;
	uint64_t x;

	if (!scan_u64(&s, v + n, &x) || s != v + n || x > 0x7fffffff)
		return -1;
	return (long)x;
}

static void
journal_field(struct logframe *p, const char *name, size_t nl,
    const char *val, size_t vl)
{
	if (p->jentry_line == 0)
		p->jentry_line = p->lineno;
	if (nl == 7 && memcmp(name, "MESSAGE", 7) == 0) {
		free(p->jmsg);
		/* by length: a NUL inside would shorten a strndup copy */
		p->jmsg = xmemdup(val, vl);
		p->jmsglen = vl;
	} else if (nl == 4 && memcmp(name, "_PID", 4) == 0)
		p->jpid = journal_pid(val, vl);
	else if (nl == 10 && memcmp(name, "SYSLOG_PID", 10) == 0)
		p->jsyslogpid = journal_pid(val, vl);
}

static void
journal_line(struct logframe *p, const char *line, size_t len)
{
	const char *eq;

	p->lineno++;
	if (len == 0) {
		journal_entry_end(p);
		return;
	}
	eq = memchr(line, '=', len);
	if (eq != NULL) {
		journal_field(p, line, (size_t)(eq - line), eq + 1,
		    (size_t)(line + len - eq - 1));
		return;
	}
	/* a field name alone: a binary field follows (length, data, \n) */
	if (len >= sizeof(p->jname)) {
		problem(p, false, p->lineno,
		    "journal export: over-long field name");
		len = sizeof(p->jname) - 1;
	}
	memcpy(p->jname, line, len);
	p->jname[len] = '\0';
	p->jstate = 1;
	p->jlenhave = 0;
}

/* ---- line splitting ---- */

static void
carry_append(struct logframe *p, const char *s, size_t n)
{
	if (p->carrylen + n > LOGFRAME_MAX_LINE) {
		if (!p->carry_overlong)
			problem(p, false, p->lineno + 1,
			    "line longer than 64 KiB skipped");
		p->carry_overlong = true;
		return;
	}
	if (p->carrylen + n > p->carrycap) {
		p->carrycap = p->carrylen + n + 4096;
		p->carry = xreallocarray(p->carry, p->carrycap, 1);
	}
	memcpy(p->carry + p->carrylen, s, n);
	p->carrylen += n;
}

static void
dispatch_line(struct logframe *p, const char *line, size_t len)
{
	if (!p->first_line_seen) {
		p->first_line_seen = true;
		if (scan_starts(line, len, "__CURSOR=") ||
		    scan_starts(line, len, "__REALTIME_TIMESTAMP=")) {
			p->journal = true;
		}
	}
	if (p->journal)
		journal_line(p, line, len);
	else
		p->ops->line(p->arg, line, len, ++p->lineno);
}

/* Binary journal fields: returns bytes consumed from buf. */
static size_t
journal_binary(struct logframe *p, const char *buf, size_t len)
{
	size_t used = 0;

	if (p->jstate == 1) {
		while (used < len && p->jlenhave < 8)
			p->jlenbuf[p->jlenhave++] = (uint8_t)buf[used++];
		if (p->jlenhave < 8)
			return used;
		p->jlen = 0;
		for (int i = 7; i >= 0; i--)
			p->jlen = (p->jlen << 8) | p->jlenbuf[i];
		p->jhave = 0;
		p->jmsg_binary = strcmp(p->jname, "MESSAGE") == 0;
		if (p->jmsg_binary) {
			free(p->jmsg);
			p->jmsg = NULL;
			p->jmsglen = 0;
			if (p->jentry_line == 0)
				p->jentry_line = p->lineno;
		}
		if (p->jlen > LOGFRAME_MAX_FIELD) {
			problem(p, false, p->lineno,
			    "journal export: binary field larger than 1 MiB");
			p->jmsg_binary = false;
		}
		p->jstate = 2;
	}
	while (used < len && p->jhave < p->jlen) {
		size_t take = len - used;

		if (take > p->jlen - p->jhave)
			take = (size_t)(p->jlen - p->jhave);
		if (p->jmsg_binary) {
			p->jmsg = xreallocarray(p->jmsg, p->jmsglen + take + 1,
			    1);
			memcpy(p->jmsg + p->jmsglen, buf + used, take);
			p->jmsglen += take;
			p->jmsg[p->jmsglen] = '\0';
		}
		p->jhave += take;
		used += take;
	}
	if (p->jhave == p->jlen && used < len) {
		if (buf[used] != '\n')
			problem(p, false, p->lineno,
			    "journal export: binary field not followed by a "
			    "newline");
		else
			used++;
		p->jstate = 0;
	}
	return used;
}

void
logframe_feed(struct logframe *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *nl;

	while (s < end) {
		if (p->jstate != 0) {
			s += journal_binary(p, s, (size_t)(end - s));
			continue;
		}
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL) {
			carry_append(p, s, (size_t)(end - s));
			return;
		}
		if (p->carrylen > 0 || p->carry_overlong) {
			carry_append(p, s, (size_t)(nl - s));
			if (p->carry_overlong)
				p->lineno++;
			else
				dispatch_line(p, p->carry, p->carrylen);
			p->carrylen = 0;
			p->carry_overlong = false;
		} else
			dispatch_line(p, s, (size_t)(nl - s));
		s = nl + 1;
	}
}


struct logframe *
logframe_new(const struct logframe_ops *ops, void *arg)
{
	struct logframe *p = xcalloc(1, sizeof(*p));

	p->ops = ops;
	p->arg = arg;
	p->jpid = p->jsyslogpid = -1;
	return p;
}

void
logframe_finish(struct logframe *p)
{
	if (p->jstate != 0)
		problem(p, true, p->lineno,
		    "journal export ends inside a binary field");
	else if (p->carrylen > 0 && !p->carry_overlong && !p->journal) {
		p->ops->partial(p->arg, p->carry, p->carrylen, ++p->lineno);
		p->carrylen = 0;
	}
	if (p->journal && (p->jmsg != NULL || p->jentry_line != 0))
		journal_entry_end(p);
}

void
logframe_free(struct logframe *p)
{
	if (p == NULL)
		return;
	free(p->carry);
	free(p->jmsg);
	free(p);
}

uint64_t
logframe_lineno(const struct logframe *p)
{
	return p->lineno;
}

bool
logframe_is_journal(const struct logframe *p)
{
	return p->journal;
}
