/*
 * conf: memdiag.conf(5), read with libconfig. The service, the nightly
 * check and `memdiag -n` load it; every key lives in one table (conf.c)
 * that the loader, the man page test and the error messages share.
 * Errors are "FILE:LINE: message" and status 78 (66: cannot open).
 */
#ifndef MEMDIAG_CONF_H
#define MEMDIAG_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "calls/call.h"

struct diag_opts;

/* One proxy: targets = ( { name = "edge"; target = "..."; ... } ); */
struct conf_target {
	char *name;		/* unique, [A-Za-z0-9_.-]+ */
	int line;		/* where it starts in the file */
	/* what and how to reach it (NULL: discovered) */
	char *target;		/* pid file, PID or systemd unit: required */
	char *rpc, *log, *proxy;
	/* acting on it */
	bool allow_gate;	/* false: passive, no gate, no test calls */
	char *gate;		/* "nft" (default), "hook", "none" */
	unsigned gate_budget;	/* s */
	char **hook_close, **hook_open;	/* argv, NULL-terminated */
	char **peers;		/* "IP[:PORT]" that pass the gate */
	size_t npeers;
	double quiet_max, settle;
	unsigned calls, rounds;
	char *mix;
	enum call_mode mode;
	char *user, *domain;
	char *password_file;
	char *password;		/* read from password_file at load */
	double peak_cps;	/* 0: unknown */
	double observe;		/* passive window, s; 0: one look */
	/* policy: what triggers a diagnosis */
	bool on_memory_errors;	/* memory-error lines in the proxy log */
	double used_above;	/* used/total shm above this (0..1); 0: off */
	bool on_rising_floor;	/* the sampled floor keeps rising */
	bool continuous;	/* passive: the service observes without end */
	double sample_interval;	/* s between RPC samples */
	unsigned min_interval;	/* s between two diagnoses of this target */
	int quiet_from, quiet_to;	/* quiet hours, minutes after
					 * midnight local time; -1: none */
	bool mode_auto;		/* mode not given: a direct call picks it */
};

struct conf {
	char *path;
	char *statedir, *rundir;
	char *metrics_file;	/* Prometheus textfile; NULL: none */
	char *metrics_listen;	/* loopback HOST:PORT; NULL: none */
	unsigned history_keep;	/* diagnoses kept per target */
	struct conf_target *targets;
	size_t ntargets;
	bool metrics_listen_any;	/* metrics_listen may be non-loopback */
};

/* One key of the file, for the loader, the man page test and -n. */
enum conf_type { CONF_BOOL, CONF_INT, CONF_FLOAT, CONF_STRING, CONF_LIST,
	CONF_TIME_RANGE, CONF_GROUP };
struct conf_key {
	const char *name;
	bool per_target;	/* inside targets = ( { ... } ) */
	enum conf_type type;
	double min, max;	/* CONF_INT / CONF_FLOAT */
	const char *doc;
	size_t offset;		/* of its field in struct conf(_target) */
};
#define CONF_NOFIELD ((size_t)-1)	/* checked, stored by conf_check.c */
extern const struct conf_key conf_keys[];	/* { NULL } ends it */

/*
 * Load and check FILE: unknown keys, wrong types, out-of-range values,
 * duplicate names, unreadable or world-readable password files are
 * errors. 0, or 78 (66 when FILE cannot be opened) with err set to
 * "FILE:LINE: message".
 */
int conf_load(const char *path, struct conf **, char *err, size_t errlen);
void conf_free(struct conf *);

/* The metrics file (metrics_file), if set, from every target's latest
 * saved diagnosis. */
void conf_write_metrics(const struct conf *);

const struct conf_target *conf_find(const struct conf *, const char *name);
/* The diagnosis options for one target (borrowing its strings). */
void conf_diag_opts(const struct conf *, const struct conf_target *,
    struct diag_opts *);
/* Is time t (local) inside the target's quiet hours? */
bool conf_quiet_now(const struct conf_target *, long t);

#endif
