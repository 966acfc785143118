/* target's discovery, shared by target.c and target_discover.c. */
#ifndef MEMDIAG_TARGET_PRIV_H
#define MEMDIAG_TARGET_PRIV_H

#include "proxy/target.h"

/* Listening addresses and ctl sockets of the main process and children. */
void target_discover_sockets(struct target *);
/* Where the log goes: stderr file or journal (-E), journald, syslog. */
void target_discover_log(struct target *);
/* syslog(3): journald, or the file of the daemon reading /dev/log. */
void target_discover_syslog(struct target *);

#endif
