/*
 * settings: runtime settings memdiag changes on a proxy (memlog,
 * mem_summary, mem_dump_pkg), saved to a state file before the first
 * change and restored on every exit path; a run that died leaves the file
 * behind and the next start (or memdiag cleanup) restores them, to that
 * same proxy process only.
 */
#ifndef MEMDIAG_SETTINGS_H
#define MEMDIAG_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/target.h"

#define SETTINGS_MAX 8

struct rpc;

/* The end of an asynchronous get or set: rc 0 with value (a get), or -1
 * with err (nothing changed). */
typedef void (*settings_cb)(int rc, int64_t value, const char *err,
    void *arg);

struct settings {
	char *path;		/* the state file */
	char *rpc;		/* where to restore them */
	pid_t pid;		/* the proxy's main process */
	unsigned long long starttime;
	int n;
	bool unsaved;		/* a value could not be saved: not changed */
	struct {
		char group[16], name[32];
		int64_t orig;
		bool changed;
	} v[SETTINGS_MAX];
	struct {		/* the asynchronous call in flight */
		char group[16], name[32];
		int64_t value;
		int i;		/* its slot in v; -1: a get */
		settings_cb cb;
		void *arg;
		struct rpc *rpc;
		bool busy;
	} op;
};

/* A guard for target t over RPC address rpc, state kept under statedir. */
struct settings *settings_new(const char *statedir, const struct target *t,
    const char *rpc);
/*
 * Read the current value (cfg.get), write it to the state file, then set
 * the new one (cfg.set_now_int), over rpc (on the caller's loop): cb runs
 * from the loop, once. One call at a time; a call dropped by rpc_free
 * leaves s as consistent as a refused one (a value saved before it was
 * changed is restored like any other).
 */
void settings_set_async(struct settings *, struct rpc *, const char *group,
    const char *name, int64_t value, settings_cb cb, void *arg);
/* Current value, without changing it: the same way, or waiting for it. */
void settings_get_async(struct settings *, struct rpc *, const char *group,
    const char *name, settings_cb cb, void *arg);
int settings_get(struct settings *, const char *group, const char *name,
    int64_t *value, char *err, size_t errlen);
/* Forget the call in flight: its rpc was freed, its cb will not run. */
void settings_drop(struct settings *);
/*
 * Put every changed setting back and remove the state file. true when all
 * were restored (the file stays otherwise, for the next start).
 */
bool settings_restore(struct settings *, char *err, size_t errlen);
void settings_free(struct settings *);

/*
 * Restore what runs that died left behind: for every state file whose
 * owner is gone and whose proxy process still runs (same PID and start
 * time), put the settings back; a file whose proxy is gone is removed.
 * A live memdiag's file is never touched. Returns files restored; *failed
 * counts those that could not be.
 */
int settings_cleanup(const char *statedir, int *failed);

#endif
