/*
 * The words of a memory dump that the parser's parts (site.c, memerr.c)
 * and its users share: the pools, the allocators, an allocation site.
 */
#ifndef MEMDIAG_CORE_DUMP_TYPES_H
#define MEMDIAG_CORE_DUMP_TYPES_H

#include <stdint.h>

#define DUMP_UNKNOWN UINT64_MAX	/* a figure the dump did not print */

enum dump_pool { DUMP_POOL_UNKNOWN, DUMP_POOL_SHM, DUMP_POOL_PKG };
enum dump_alloc { DUMP_ALLOC_UNKNOWN, DUMP_ALLOC_QM, DUMP_ALLOC_FM,
	DUMP_ALLOC_TLSF };

struct dump_site {
	char *module;		/* NULL: the proxy did not print one */
	char *file;
	char *func;
	unsigned long line;
	uint64_t count;
	uint64_t bytes;
};

#endif
