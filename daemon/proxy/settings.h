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
};

/* A guard for target t over RPC address rpc, state kept under statedir. */
struct settings *settings_new(const char *statedir, const struct target *t,
    const char *rpc);
/*
 * Read the current value (cfg.get), write it to the state file, then set
 * the new one (cfg.set_now_int). 0, or -1 with err (nothing changed).
 */
int settings_set(struct settings *, const char *group, const char *name,
    int64_t value, char *err, size_t errlen);
/* Current value over RPC, without changing it. */
int settings_get(struct settings *, const char *group, const char *name,
    int64_t *value, char *err, size_t errlen);
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
