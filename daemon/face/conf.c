/*
 * memdiag.conf(5): one table of keys drives the libconfig lookups, the
 * type and range checks, memdiag -n and the man page test. The file is
 * read into memory first (conf_text.c), parsed by libconfig, walked key
 * by key (unknown keys are errors), then each target is checked as a
 * whole (conf_check.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libconfig.h>

#include "engine/diag.h"
#include "face/conf.h"
#include "face/conf_priv.h"
#include "lib/exitcodes.h"
#include "lib/xmalloc.h"
#include "report/metrics.h"

#define T(f) offsetof(struct conf_target, f)
#define C(f) offsetof(struct conf, f)

const struct conf_key conf_keys[] = {
	{ "state_dir", false, CONF_STRING, 0, 0,
	    "directory of saved diagnoses, history and settings to restore",
	    C(statedir) },
	{ "run_dir", false, CONF_STRING, 0, 0,
	    "directory of locks and gate records", C(rundir) },
	{ "metrics_file", false, CONF_STRING, 0, 0,
	    "Prometheus textfile written after each diagnosis",
	    C(metrics_file) },
	{ "metrics_listen", false, CONF_STRING, 0, 0,
	    "HOST:PORT of the metrics HTTP endpoint (loopback)",
	    C(metrics_listen) },
	{ "metrics_listen_any", false, CONF_BOOL, 0, 0,
	    "let metrics_listen be a non-loopback address",
	    C(metrics_listen_any) },
	{ "history_keep", false, CONF_INT, 1, 100000,
	    "diagnoses kept per target", C(history_keep) },
	{ "targets", false, CONF_LIST, 0, 0,
	    "the proxies, one group each", CONF_NOFIELD },

	{ "name", true, CONF_STRING, 0, 0, "unique name of the target",
	    T(name) },
	{ "target", true, CONF_STRING, 0, 0,
	    "pid file, PID or systemd unit of the proxy", T(target) },
	{ "rpc", true, CONF_STRING, 0, 0, "the proxy's ctl socket", T(rpc) },
	{ "log", true, CONF_STRING, 0, 0, "where the proxy logs", T(log) },
	{ "proxy", true, CONF_STRING, 0, 0,
	    "HOST:PORT test calls are sent to", T(proxy) },
	{ "allow_gate", true, CONF_BOOL, 0, 0,
	    "allow the gate and test calls; false: passive", T(allow_gate) },
	{ "gate", true, CONF_STRING, 0, 0, "gate backend: nft, hook or none",
	    T(gate) },
	{ "gate_budget", true, CONF_INT, 10, 86400,
	    "seconds of gated time in all", T(gate_budget) },
	{ "gate_hook_close", true, CONF_LIST, 0, 0,
	    "hook gate: command that closes it", T(hook_close) },
	{ "gate_hook_open", true, CONF_LIST, 0, 0,
	    "hook gate: command that opens it", T(hook_open) },
	{ "peers", true, CONF_LIST, 0, 0,
	    "IP[:PORT] whose requests pass the gate", T(peers) },
	{ "quiet_max", true, CONF_FLOAT, 1, 3600,
	    "seconds one quiet period may last", T(quiet_max) },
	{ "settle", true, CONF_FLOAT, 0.5, 600,
	    "seconds memory must stay flat", T(settle) },
	{ "calls", true, CONF_INT, 1, 100000, "test calls of the first round",
	    T(calls) },
	{ "rounds", true, CONF_INT, 1, 8, "rounds of test calls", T(rounds) },
	{ "mix", true, CONF_STRING, 0, 0, "flows of the test calls", T(mix) },
	{ "mode", true, CONF_STRING, 0, 0, "direct or registered",
	    CONF_NOFIELD },
	{ "user", true, CONF_STRING, 0, 0, "registered mode: user", T(user) },
	{ "domain", true, CONF_STRING, 0, 0, "registered mode: domain",
	    T(domain) },
	{ "password_file", true, CONF_STRING, 0, 0,
	    "registered mode: file holding the password", T(password_file) },
	{ "peak_cps", true, CONF_FLOAT, 1, 100000,
	    "the proxy's expected peak call rate", T(peak_cps) },
	{ "observe", true, CONF_FLOAT, 0, 86400,
	    "passive: seconds to watch the users' traffic; 0: one look",
	    T(observe) },
	{ "trigger", true, CONF_GROUP, 0, 0,
	    "what starts a diagnosis", CONF_NOFIELD },
	{ "trigger.memory_errors", true, CONF_BOOL, 0, 0,
	    "memory errors in the proxy's log", T(on_memory_errors) },
	{ "trigger.used_above", true, CONF_FLOAT, 0, 1,
	    "shm used above this share of the pool; 0: off", T(used_above) },
	{ "trigger.rising_floor", true, CONF_BOOL, 0, 0,
	    "the sampled floor keeps rising", T(on_rising_floor) },
	{ "trigger.continuous", true, CONF_BOOL, 0, 0,
	    "passive: the service observes the traffic without end",
	    T(continuous) },
	{ "sample_interval", true, CONF_FLOAT, 1, 3600,
	    "seconds between RPC samples", T(sample_interval) },
	{ "min_interval", true, CONF_INT, 0, 31536000,
	    "seconds between two diagnoses of the target", T(min_interval) },
	{ "quiet_hours", true, CONF_TIME_RANGE, 0, 0,
	    "HH:MM-HH:MM when no diagnosis starts", CONF_NOFIELD },
	{ NULL, false, CONF_BOOL, 0, 0, NULL, CONF_NOFIELD },
};

static const char *const conf_type_names[] = {
	[CONF_BOOL] = "true or false", [CONF_INT] = "an integer",
	[CONF_FLOAT] = "a number", [CONF_STRING] = "a \"string\"",
	[CONF_LIST] = "a list [\"...\", ...]",
	[CONF_TIME_RANGE] = "\"HH:MM-HH:MM\"", [CONF_GROUP] = "a group { ... }",
};

/* What the file has where a value of another type was expected. */
static const char *
conf_found(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a decimal";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

/* "KEY: expected TYPE, not FOUND" */
static int
conf_err_type(struct conf_ctx *x, const struct conf_key *k,
    const config_setting_t *s)
{
	return conf_err(x, conf_line(s), "%s: expected %s, not %s", k->name,
	    conf_type_names[k->type], conf_found(s));
}

int
conf_err(struct conf_ctx *x, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(x->err, x->errlen, "%s:%d: ", x->path, line);
	if (n < 0 || (size_t)n >= x->errlen)
		return EX_MD_CONFIG;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return EX_MD_CONFIG;
}

int
conf_line(const config_setting_t *s)
{
	int line = (int)config_setting_source_line(s);

	return line > 0 ? line : 1;
}

const struct conf_key *
conf_key_find(const char *name, bool per_target)
{
	const struct conf_key *k;

	for (k = conf_keys; k->name != NULL; k++)
		if (k->per_target == per_target && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static int
conf_number(struct conf_ctx *x, const struct conf_key *k,
    const config_setting_t *s, double *v)
{
	char num[64];

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		if (conf_text_int_overflows(x, s, num, sizeof(num)))
			return conf_err(x, conf_line(s), "%s: %s is out of "
			    "range (%g to %g)", k->name, num, k->min, k->max);
		*v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		*v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		if (k->type == CONF_INT)
			return conf_err(x, conf_line(s), "%s: expected an "
			    "integer, not %g", k->name,
			    config_setting_get_float(s));
		*v = config_setting_get_float(s);
		break;
	default:
		return conf_err_type(x, k, s);
	}
	if (!(*v >= k->min && *v <= k->max))
		return conf_err(x, conf_line(s), "%s: %g is out of range "
		    "(%g to %g)", k->name, *v, k->min, k->max);
	return 0;
}

static int
conf_strings(struct conf_ctx *x, const struct conf_key *k,
    const config_setting_t *s, char ***out)
{
	int i, n = config_setting_length(s);
	char **v;

	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return conf_err_type(x, k, s);
	if (n > CONF_LIST_MAX)
		return conf_err(x, conf_line(s), "%s: more than %d elements",
		    k->name, CONF_LIST_MAX);
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);
		const char *str = config_setting_get_string(e);

		if (str == NULL || *str == '\0') {
			conf_argv_free(v);
			return conf_err(x, conf_line(s), "%s: element %d: "
			    "expected a non-empty \"string\"", k->name, i + 1);
		}
		v[i] = xstrdup(str);
	}
	*out = v;
	return 0;
}

/* One setting into its field; type and range checked. */
static int
conf_set(struct conf_ctx *x, const struct conf_key *k,
    const config_setting_t *s, char *base)
{
	/* no field: the value is checked here, stored by conf_check.c */
	void *field = k->offset == CONF_NOFIELD ? NULL : base + k->offset;
	const char *str;
	double v = 0;
	int r;

	switch (k->type) {
	case CONF_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return conf_err_type(x, k, s);
		*(bool *)field = config_setting_get_bool(s);
		return 0;
	case CONF_INT:
	case CONF_FLOAT:
		if ((r = conf_number(x, k, s, &v)) != 0)
			return r;
		if (k->type == CONF_INT)
			*(unsigned *)field = (unsigned)v;
		else
			*(double *)field = v;
		return 0;
	case CONF_STRING:
	case CONF_TIME_RANGE:
		if ((str = config_setting_get_string(s)) == NULL)
			return conf_err_type(x, k, s);
		if (*str == '\0')
			return conf_err(x, conf_line(s), "%s: empty", k->name);
		if (k->offset != CONF_NOFIELD) {
			free(*(char **)field);
			*(char **)field = xstrdup(str);
		}
		return 0;
	case CONF_LIST:
		return conf_strings(x, k, s, (char ***)field);
	case CONF_GROUP:
		break;
	}
	return conf_err(x, conf_line(s), "%s: unexpected", k->name);
}

/* Every member of group: known, of the right type, in range. */
static int
conf_walk(struct conf_ctx *x, const config_setting_t *group,
    const char *prefix, bool per_target, char *base)
{
	int i, r, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group,
		    (unsigned)i);
		const struct conf_key *k;
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "",
		    prefix ? "." : "", s->name);
		if ((k = conf_key_find(name, per_target)) == NULL)
			return conf_err(x, conf_line(s), "unknown key \"%s\"%s",
			    name, per_target ? " in a target" : "");
		if (k->type == CONF_GROUP) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return conf_err_type(x, k, s);
			r = conf_walk(x, s, name, per_target, base);
		} else if (k->offset != CONF_NOFIELD || k->type != CONF_LIST)
			r = conf_set(x, k, s, base);
		else
			r = 0;
		if (r != 0)
			return r;
	}
	return 0;
}

static void
conf_target_defaults(struct conf_target *t)
{
	struct diag_opts o;

	diag_opts_defaults(&o);
	t->gate = xstrdup(o.gate);
	t->gate_budget = o.gate_budget;
	t->quiet_max = o.quiet_max;
	t->settle = o.settle;
	t->calls = o.calls;
	t->rounds = o.rounds;
	t->mode = o.mode;
	t->mode_auto = o.mode_auto;
	t->peak_cps = o.peak_cps;
	t->observe = o.observe;
	t->on_memory_errors = true;
	t->used_above = CONF_USED_ABOVE_DEFAULT;
	t->on_rising_floor = true;
	t->continuous = true;
	t->sample_interval = CONF_SAMPLE_INTERVAL_DEFAULT;
	t->min_interval = CONF_MIN_INTERVAL_DEFAULT;
	t->quiet_from = t->quiet_to = -1;
}

static int
conf_targets(struct conf_ctx *x, struct conf *c, const config_setting_t *list)
{
	int i, r, n;

	if (list == NULL)
		return conf_err(x, 1, "no targets: add targets = ( { name = "
		    "\"...\"; target = \"...\"; } );");
	if (config_setting_type(list) != CONFIG_TYPE_LIST)
		return conf_err(x, conf_line(list), "targets: expected a list "
		    "( { ... }, ... )");
	if ((n = config_setting_length(list)) == 0)
		return conf_err(x, conf_line(list), "targets: empty");
	if (n > CONF_TARGETS_MAX)
		return conf_err(x, conf_line(list), "targets: more than %d",
		    CONF_TARGETS_MAX);
	c->targets = xcalloc((size_t)n, sizeof(*c->targets));
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		struct conf_target *t = &c->targets[i];

		c->ntargets++;
		conf_target_defaults(t);
		t->line = conf_line(g);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			return conf_err(x, t->line, "targets: element %d is "
			    "not a group { ... }", i + 1);
		if ((r = conf_walk(x, g, NULL, true, (char *)t)) != 0 ||
		    (r = conf_check_target(x, c, t, g)) != 0)
			return r;
	}
	return 0;
}

static int
conf_parse(struct conf_ctx *x, struct conf *c)
{
	config_t cf;
	const config_setting_t *root;
	int r;

	config_init(&cf);
	config_set_auto_convert(&cf, 0);
	if (config_read_string(&cf, x->text) != CONFIG_TRUE) {
		int line = config_error_line(&cf);

		/* at the end of the file, libconfig counts one line more */
		if (line < 1 || (size_t)line > x->nlines)
			line = line < 1 ? 1 : (int)x->nlines;
		r = conf_err(x, line, "%s", config_error_text(&cf));
		config_destroy(&cf);
		return r;
	}
	root = config_root_setting(&cf);
	if ((r = conf_walk(x, root, NULL, false, (char *)c)) == 0 &&
	    (r = conf_check_global(x, c, root)) == 0)
		r = conf_targets(x, c, config_setting_get_member(root,
		    "targets"));
	config_destroy(&cf);
	return r;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct conf_ctx x;
	struct conf *c;
	struct diag_opts o;
	int r;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.path = path;
	x.err = err;
	x.errlen = errlen;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	diag_opts_defaults(&o);
	c->statedir = xstrdup(o.statedir);
	c->rundir = xstrdup(o.rundir);
	c->history_keep = CONF_HISTORY_KEEP_DEFAULT;
	if ((r = conf_text_read(&x)) == 0)
		r = conf_parse(&x, c);
	free(x.text);
	free(x.lines);
	if (r != 0) {
		conf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static void
conf_target_free(struct conf_target *t)
{
	free(t->name);
	free(t->target);
	free(t->rpc);
	free(t->log);
	free(t->proxy);
	free(t->gate);
	conf_argv_free(t->hook_close);
	conf_argv_free(t->hook_open);
	conf_argv_free(t->peers);
	free(t->mix);
	free(t->user);
	free(t->domain);
	free(t->password_file);
	if (t->password != NULL) {
		explicit_bzero(t->password, strlen(t->password));
		free(t->password);
	}
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntargets; i++)
		conf_target_free(&c->targets[i]);
	free(c->targets);
	free(c->path);
	free(c->statedir);
	free(c->rundir);
	free(c->metrics_file);
	free(c->metrics_listen);
	free(c);
}

void
conf_argv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

const struct conf_target *
conf_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

void
conf_diag_opts(const struct conf *c, const struct conf_target *t,
    struct diag_opts *o)
{
	diag_opts_defaults(o);
	o->target = t->target;
	o->proxy = t->proxy;
	o->rpc = t->rpc;
	o->log = t->log;
	o->gate = t->gate;
	o->mix = t->mix;
	o->statedir = c->statedir;
	o->rundir = c->rundir;
	o->gate_budget = t->gate_budget;
	o->quiet_max = t->quiet_max;
	o->settle = t->settle;
	o->calls = t->calls;
	o->rounds = t->rounds;
	o->mode = t->mode;
	o->mode_auto = t->mode_auto;
	o->peak_cps = t->peak_cps;
	o->observe = t->observe;
	o->passive = !t->allow_gate;
	o->user = t->user;
	o->password = t->password;
	o->domain = t->domain;
	o->peers = (const char *const *)t->peers;
	o->npeers = t->npeers;
	o->hook_close = t->hook_close;
	o->hook_open = t->hook_open;
}

bool
conf_quiet_now(const struct conf_target *t, long when)
{
	time_t tt = (time_t)when;
	struct tm tm;
	int m;

	if (t->quiet_from < 0 || localtime_r(&tt, &tm) == NULL)
		return false;
	m = tm.tm_hour * 60 + tm.tm_min;
	if (t->quiet_from < t->quiet_to)
		return m >= t->quiet_from && m < t->quiet_to;
	return m >= t->quiet_from || m < t->quiet_to;	/* across midnight */
}

void
conf_write_metrics(const struct conf *c)
{
	const char **names;
	size_t i;

	if (c->metrics_file == NULL)
		return;
	names = xcalloc(c->ntargets ? c->ntargets : 1, sizeof(*names));
	for (i = 0; i < c->ntargets; i++)
		names[i] = c->targets[i].name;
	metrics_write_history(c->metrics_file, c->statedir, names,
	    c->ntargets);
	free(names);
}
