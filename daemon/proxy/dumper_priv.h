/*
 * The dumper's session, shared by its two ways of asking: dumper_kam.c
 * (Kamailio: signals and cfg settings over binrpc) and dumper_mi.c
 * (OpenSIPS: MI commands). Every step is an event in the caller's loop:
 * a reply, or a tick of the wait for a dump's lines; a step ends by
 * starting the next one, and the last by dumper_finish or dumper_fail.
 */
#ifndef MEMDIAG_PROXY_DUMPER_PRIV_H
#define MEMDIAG_PROXY_DUMPER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proxy/dumper.h"

#define DUMPER_RPC_TIMEOUT 3.0

struct dumper;
typedef void (*dumper_step)(struct dumper *);

struct dumper {
	struct event_base *base;
	struct target *t;
	struct settings *s;	/* Kamailio's settings guard */
	char *addr;		/* its ctl socket, or OpenSIPS's MI */
	struct dumper_opts o;
	struct dumper_result *res;
	dumper_done_cb cb;
	void *arg;
	struct dump_parser *parser;
	struct logtail *lt;
	struct rpc *rpc;	/* Kamailio */
	struct mi_async *mi;	/* OpenSIPS: the call in flight */
	struct event *tick;	/* the wait below, or a pause */
	bool stop;
	char err[1024];

	/* the wait: for lines (cond), or only for time */
	struct {
		bool cond;
		const struct target_proc *p;	/* NULL: any of t's */
		enum dump_pool pool;
		bool sums;
		double end;
		dumper_step next;
	} w;
	bool found;		/* the last wait saw its dump */

	/* the process being asked */
	size_t i;		/* the next one's index */
	struct target_proc *p;
	size_t note;		/* its note in res->notes */
	size_t mark;		/* the parser's mark before it was asked */
	bool receiver;
	double knock_end;

	/* Kamailio */
	int64_t debug, memlog;
	int summary;

	/* OpenSIPS */
	int level;
	bool sums;		/* a *_DBG allocator: sites' summaries */
	const char *mi_new;	/* 4.0's name, tried if the old one is gone */
	json_t *mi_params;
	dumper_step mi_next;
	int mi_rc;
	bool mi_unable;		/* a process without OpenSIPS's IPC */
};

/* dumper.c */
void dumper_wait(struct dumper *, const struct target_proc *,
    enum dump_pool, bool sums, double seconds, dumper_step next);
void dumper_after(struct dumper *, double seconds, dumper_step next);
struct dumper_note *dumper_note_add(struct dumper *,
    const struct target_proc *);
struct dumper_note *dumper_note(struct dumper *);
void dumper_finish(struct dumper *);
void dumper_fail(struct dumper *, int status, const char *err);

/* dumper_kam.c, dumper_mi.c: the first step */
void dumper_kam_start(struct dumper *);
void dumper_mi_start(struct dumper *);

#endif
