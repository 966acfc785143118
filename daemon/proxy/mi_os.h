/*
 * mi_os: OpenSIPS's figures over its MI (mi.h), in the shapes the
 * diagnosis reads Kamailio's in: the shm pool (get_statistics shmem:),
 * the requests it received and the transactions in flight (core:, tm:).
 * OpenSIPS counts requests in all, not per method.
 */
#ifndef MEMDIAG_PROXY_MI_OS_H
#define MEMDIAG_PROXY_MI_OS_H

#include <stddef.h>

#include "proxy/rpc_kam.h"

/* "OpenSIPS (3.6.8 (x86_64/linux))" (allocated), or NULL with err. */
char *mi_os_version(const char *mi, double timeout, char *err,
    size_t errlen);
/* shmem:total_size, used_size, real_used_size, max_used_size, free_size,
 * fragments. 0, or -1 with err. */
int mi_os_shm(const char *mi, double timeout, struct rpc_kam_shmmem *out,
    char *err, size_t errlen);
/* core:rcv_requests and tm:inuse_transactions (-1: no tm). 0 or -1. */
int mi_os_counters(const char *mi, double timeout, double *requests,
    double *inflight, char *err, size_t errlen);

#endif
