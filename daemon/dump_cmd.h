/* memdiag dump (take the proxy's dumps now) and memdiag cleanup. */
#ifndef MEMDIAG_DUMP_CMD_H
#define MEMDIAG_DUMP_CMD_H

#include <stddef.h>

struct target;

int dump_main(int argc, char **argv);
int cleanup_main(int argc, char **argv);

/* The target's first ctl socket that answers binrpc, or NULL with err. */
char *dump_pick_rpc(const struct target *, char *err, size_t errlen);
/* Where the target's log can be read (logtail's spelling), or NULL. */
char *dump_pick_log(const struct target *, char *err, size_t errlen);

#endif
