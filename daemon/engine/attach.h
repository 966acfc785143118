/* Attaching to a target: its RPC socket and its log (attach.c). */
#ifndef MEMDIAG_ENGINE_ATTACH_H
#define MEMDIAG_ENGINE_ATTACH_H

#include <stddef.h>

struct target;

/*
 * The first of the target's unix sockets that answers a binrpc
 * core.version within 2 s (blocking), or NULL with err set.
 */
char *attach_pick_rpc(const struct target *, char *err, size_t errlen);

/* Where the target's log goes: a path, "journal" or NULL with err set. */
char *attach_pick_log(const struct target *, char *err, size_t errlen);

#endif
