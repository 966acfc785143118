/* Test helpers: parse a fixture file, find dumps and sites in a result. */
#ifndef MEMDIAG_TEST_FIXTURE_H
#define MEMDIAG_TEST_FIXTURE_H

#include <stddef.h>

#include "core/dump.h"

/* Parse FIXTURES/rel fed in chunks of `chunk` bytes (0: all at once). */
struct dump_result *fixture_parse(const char *rel, size_t chunk);
/* Parse a buffer the same way. */
struct dump_result *fixture_parse_buf(const char *buf, size_t len,
    size_t chunk);
/* Whole file into memory; *len set. NULL if unreadable. */
char *fixture_read(const char *path, size_t *len);

const struct dump *fixture_dump(const struct dump_result *, long pid,
    enum dump_pool pool, size_t nth);
const struct dump_site *fixture_site(const struct dump *, const char *func,
    unsigned long line);
uint64_t fixture_site_bytes(const struct dump *);
uint64_t fixture_site_count(const struct dump *);

#endif
