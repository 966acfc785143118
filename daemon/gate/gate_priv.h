/* The gate's backends, for gate.c and the unit tests. */
#ifndef MEMDIAG_GATE_PRIV_H
#define MEMDIAG_GATE_PRIV_H

#include "gate/gate.h"

extern const struct gate_ops gate_nft_ops;
extern const struct gate_ops gate_hook_ops;

/* "memdiag_gate_PID_STARTTIME": one table per gate, named after its owner */
void gate_nft_table_name(pid_t pid, unsigned long long starttime, char *buf,
    size_t len);
/* The owner from a table name; false when it is not one of ours. */
bool gate_nft_parse_table(const char *name, pid_t *pid,
    unsigned long long *starttime);
/*
 * Pure: the nft batch that creates the gate's table, closed for timeout
 * seconds; the batch that keeps it closed timeout more seconds (delete and
 * add in one batch: re-adding an existing element does not reset its
 * timeout); the batch that re-adds elements that expired.
 */
char *gate_nft_ruleset(const struct gate_spec *, const char *table,
    unsigned timeout);
char *gate_nft_refresh_batch(const struct gate_spec *, const char *table,
    unsigned timeout, bool readd_only);
int gate_nft_cleanup(int *failed);

int gate_hook_cleanup(const char *rundir, int *failed);

#endif
