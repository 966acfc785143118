/*
 * site: per-dump tables of allocation sites ("MOD: FILE: FUNC(LINE)"),
 * counted and summed as fragments or summary rows arrive, and split into
 * module, file, function and line once at the end.
 */
#ifndef MEMDIAG_SITE_H
#define MEMDIAG_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dump_types.h"

#define SITE_TABLE_MAX 65536	/* distinct sites per dump */

struct site_ent {
	char *raw;		/* "MOD: FILE: FUNC(LINE)" as printed */
	size_t rawlen;
	uint64_t hash;
	uint64_t count;
	uint64_t bytes;
};

struct site_table {
	struct site_ent *ent;	/* open addressing, power-of-two size */
	size_t size;
	size_t used;
	bool overflow;		/* SITE_TABLE_MAX reached */
	struct site_ent *last;	/* the last site hit, checked first */
};

/* Count `count` fragments of `bytes` at the site printed as raw. */
void site_table_add(struct site_table *, const char *raw, size_t len,
    uint64_t count, uint64_t bytes);
/* The sites as dump_site structs, largest first; the caller owns them. */
void site_table_export(struct site_table *, struct dump_site **,
    size_t *n);
void site_table_free(struct site_table *);

#endif
