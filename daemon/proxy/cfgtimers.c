/*
 * Timers of the proxy's configuration. Kamailio 5.x units: tm's wt_timer
 * in milliseconds, htable's autoexpire and timer_interval and dialog's
 * end_timeout in seconds. An htable item with autoexpire A is freed by
 * the first timer run after A, so it may live up to A + timer_interval.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/rfile.h"
#include "lib/xmalloc.h"
#include "proxy/cfgtimers.h"

#define CFGT_MAX_DEFINES 256
#define CFGT_MAX_DEPTH 32
#define CFGT_MAX_FILE (8 * 1024 * 1024)

#define TM_WT_DEFAULT_MS 5000.0
#define TM_FR_INV_DEFAULT_MS 120000	/* tm's default fr_inv_timer */
#define HT_INTERVAL_DEFAULT 20.0
#define DLG_END_DEFAULT 300.0

struct cfgt_def {
	char name[64];
	char value[64];
};

struct cfgt {
	struct cfgt_def defs[CFGT_MAX_DEFINES];
	size_t ndefs;
	bool stack[CFGT_MAX_DEPTH];	/* this level's condition */
	bool taken[CFGT_MAX_DEPTH];	/* the enclosing levels are active */
	int depth;
	bool tm, htable, dialog;
	double wt_ms, fr_inv_ms, ht_interval, dlg_end;
	double ht_expire;		/* longest autoexpire of any table */
	char ht_name[64];
};

static void
def_set(struct cfgt *c, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct cfgt_def *d = NULL;
	size_t i;

	if (nlen == 0 || nlen >= sizeof(d->name))
		return;
	for (i = 0; i < c->ndefs; i++)
		if (strlen(c->defs[i].name) == nlen &&
		    strncmp(c->defs[i].name, name, nlen) == 0)
			d = &c->defs[i];
	if (d == NULL) {
		if (c->ndefs == CFGT_MAX_DEFINES)
			return;
		d = &c->defs[c->ndefs++];
		memcpy(d->name, name, nlen);
		d->name[nlen] = '\0';
	}
	if (vlen >= sizeof(d->value))
		vlen = sizeof(d->value) - 1;
	memcpy(d->value, val, vlen);
	d->value[vlen] = '\0';
}

static const struct cfgt_def *
def_get(const struct cfgt *c, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < c->ndefs; i++)
		if (strlen(c->defs[i].name) == nlen &&
		    strncmp(c->defs[i].name, name, nlen) == 0)
			return &c->defs[i];
	return NULL;
}

static bool
active(const struct cfgt *c)
{
	return c->depth == 0 || (c->taken[c->depth - 1] &&
	    c->stack[c->depth - 1]);
}

static size_t
word(const char *p, const char *e)
{
	size_t n = 0;

	while (p + n < e && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		n++;
	return n;
}

static const char *
skip_space(const char *p, const char *e)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	return p;
}

/* #!ifdef, #!ifndef, #!else, #!endif, #!define, #!trydef, #!redefine */
static void
directive(struct cfgt *c, const char *p, const char *e)
{
	const char *name, *val;
	size_t n, nlen;
	bool on = active(c);

	n = word(p, e);
	name = skip_space(p + n, e);
	nlen = word(name, e);
	if ((n == 5 && strncmp(p, "ifdef", 5) == 0) ||
	    (n == 6 && strncmp(p, "ifndef", 6) == 0)) {
		if (c->depth == CFGT_MAX_DEPTH)
			return;
		c->taken[c->depth] = on;
		c->stack[c->depth] = (def_get(c, name, nlen) != NULL) == (n == 5);
		c->depth++;
	} else if (n == 4 && strncmp(p, "else", 4) == 0) {
		if (c->depth > 0)
			c->stack[c->depth - 1] = !c->stack[c->depth - 1];
	} else if (n == 5 && strncmp(p, "endif", 5) == 0) {
		if (c->depth > 0)
			c->depth--;
	} else if (on && ((n == 6 && strncmp(p, "define", 6) == 0) ||
	    (n == 8 && strncmp(p, "redefine", 8) == 0) ||
	    (n == 6 && strncmp(p, "trydef", 6) == 0))) {
		if (n == 6 && p[0] == 't' && def_get(c, name, nlen) != NULL)
			return;
		val = skip_space(name + nlen, e);
		n = 0;
		while (val + n < e && !isspace((unsigned char)val[n]))
			n++;
		def_set(c, name, nlen, val, n);
	} else if (on && n == 5 && strncmp(p, "undef", 5) == 0) {
		const struct cfgt_def *d = def_get(c, name, nlen);

		if (d != NULL)
			((struct cfgt_def *)d)->name[0] = '\0';
	}
}

/* One argument of modparam(): a "string" or a word (a define's value). */
static const char *
arg(const struct cfgt *c, const char *p, const char *e, char *out,
    size_t outlen)
{
	const struct cfgt_def *d;
	size_t n = 0;

	out[0] = '\0';
	p = skip_space(p, e);
	if (p < e && (*p == '"' || *p == '\'')) {
		char q = *p++;

		while (p + n < e && p[n] != q)
			n++;
		snprintf(out, outlen, "%.*s", (int)n, p);
		p += n < (size_t)(e - p) ? n + 1 : n;
	} else {
		size_t v;

		while (p + n < e && p[n] != ',' && p[n] != ')' &&
		    !isspace((unsigned char)p[n]))
			n++;
		if ((d = def_get(c, p, n)) != NULL)
			snprintf(out, outlen, "%s", d->value);
		else
			snprintf(out, outlen, "%.*s", (int)n, p);
		/* a define's value may be quoted */
		v = strlen(out);
		if (v >= 2 && out[0] == '"' && out[v - 1] == '"') {
			memmove(out, out + 1, v - 2);
			out[v - 2] = '\0';
		}
		p += n;
	}
	p = skip_space(p, e);
	if (p < e && *p == ',')
		p++;
	return p;
}

static double
num(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	return errno == 0 && end != s && v >= 0 ? v : -1;
}

/* htable definition "name=>size=8;autoexpire=15;" */
static void
htable_def(struct cfgt *c, const char *v)
{
	const char *a = strstr(v, "autoexpire=");
	const char *arrow = strstr(v, "=>");
	double x;

	if (a == NULL || (x = num(a + 11)) <= 0 || x <= c->ht_expire)
		return;
	c->ht_expire = x;
	snprintf(c->ht_name, sizeof(c->ht_name), "%.*s",
	    arrow ? (int)(arrow - v) : 0, v);
}

static void
modparam(struct cfgt *c, const char *p, const char *e)
{
	char mod[64], param[64], val[512];
	double x;

	p = arg(c, p, e, mod, sizeof(mod));
	p = arg(c, p, e, param, sizeof(param));
	arg(c, p, e, val, sizeof(val));
	x = num(val);
	if (strcmp(mod, "tm") == 0 && strcmp(param, "wt_timer") == 0 && x >= 0)
		c->wt_ms = x;
	else if (strcmp(mod, "tm") == 0 && strcmp(param, "fr_inv_timer") == 0 &&
	    x >= 0)
		c->fr_inv_ms = x;
	else if (strcmp(mod, "htable") == 0 && strcmp(param, "htable") == 0)
		htable_def(c, val);
	else if (strcmp(mod, "htable") == 0 &&
	    strcmp(param, "timer_interval") == 0 && x >= 0)
		c->ht_interval = x;
	else if (strcmp(mod, "dialog") == 0 &&
	    strcmp(param, "end_timeout") == 0 && x >= 0)
		c->dlg_end = x;
}

static void
loadmodule(struct cfgt *c, const char *p, const char *e)
{
	char m[256], *s;

	arg(c, p, e, m, sizeof(m));
	if ((s = strrchr(m, '/')) != NULL)
		memmove(m, s + 1, strlen(s + 1) + 1);
	if ((s = strstr(m, ".so")) != NULL)
		*s = '\0';
	if (strcmp(m, "tm") == 0)
		c->tm = true;
	else if (strcmp(m, "htable") == 0)
		c->htable = true;
	else if (strcmp(m, "dialog") == 0)
		c->dialog = true;
}

static void
line(struct cfgt *c, const char *p, const char *e)
{
	const char *q;

	p = skip_space(p, e);
	if (e - p >= 2 && p[0] == '#' && p[1] == '!') {
		directive(c, p + 2, e);
		return;
	}
	if (e - p >= 3 && p[0] == '#' && p[1] == '#' && p[2] == '!') {
		directive(c, p + 3, e);
		return;
	}
	if (!active(c) || p == e || *p == '#')
		return;
	if (e - p > 9 && strncmp(p, "modparam", 8) == 0 &&
	    (q = memchr(p, '(', (size_t)(e - p))) != NULL)
		modparam(c, q + 1, e);
	else if (e - p > 10 && strncmp(p, "loadmodule", 10) == 0)
		loadmodule(c, p + 10, e);
}

void
cfgtimers_parse(const char *text, size_t len, const char *const *defines,
    size_t ndefines, struct cfgtimers *out)
{
	struct cfgt *c = xcalloc(1, sizeof(*c));
	const char *p = text, *e = text + len, *nl, *eq;
	double ht;
	size_t i;

	c->wt_ms = TM_WT_DEFAULT_MS;
	c->fr_inv_ms = TM_FR_INV_DEFAULT_MS;
	c->ht_interval = HT_INTERVAL_DEFAULT;
	c->dlg_end = DLG_END_DEFAULT;
	for (i = 0; i < ndefines; i++) {
		eq = strchr(defines[i], '=');
		if (eq != NULL)
			def_set(c, defines[i], (size_t)(eq - defines[i]),
			    eq + 1, strlen(eq + 1));
		else
			def_set(c, defines[i], strlen(defines[i]), "", 0);
	}
	while (p < e) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		line(c, p, nl);
		p = nl + 1;
	}
	memset(out, 0, sizeof(*out));
	out->tm_wait_s = c->tm ? c->wt_ms / 1000.0 : 0;
	out->tm_fr_inv_s = c->tm ? c->fr_inv_ms / 1000.0 : 0;
	ht = c->htable && c->ht_expire > 0 ? c->ht_expire + c->ht_interval : 0;
	if (ht > 0) {
		out->longest_s = ht;
		snprintf(out->what, sizeof(out->what), "htable %s: autoexpire "
		    "%.0f s + timer_interval %.0f s", c->ht_name[0] ?
		    c->ht_name : "?", c->ht_expire, c->ht_interval);
	}
	if (c->dialog && c->dlg_end > out->longest_s) {
		out->longest_s = c->dlg_end;
		snprintf(out->what, sizeof(out->what), "dialog end_timeout "
		    "%.0f s", c->dlg_end);
	}
	free(c);
}

int
cfgtimers_read(const char *path, const char *const *defines,
    size_t ndefines, struct cfgtimers *out, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	if ((fd = rfile_open(path, 0, NULL)) == -1) {
		snprintf(err, errlen, "%s: %s", path, errno == EINVAL ||
		    errno == EISDIR ? "not a regular file" : strerror(errno));
		return -1;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	buf = xmalloc(CFGT_MAX_FILE);
	n = fread(buf, 1, CFGT_MAX_FILE, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	cfgtimers_parse(buf, n, defines, ndefines, out);
	free(buf);
	return 0;
}
