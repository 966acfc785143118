/*
 * memerr: is a log message a memory-allocation failure (and of which
 * pool), or an allocator's report of memory corruption? Kamailio's,
 * SER's and OpenSIPS's wordings. Pure.
 */
#ifndef MEMDIAG_MEMERR_H
#define MEMDIAG_MEMERR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/dump_types.h"

/* true for a failure; *pool only where the line names the pool */
bool memerr_classify(const char *msg, size_t len, enum dump_pool *pool);
/* "BUG: ... overwritten / already freed / bad pointer / fragm." */
bool memerr_is_corruption(const char *msg, size_t len);

#endif
