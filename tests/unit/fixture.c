#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

char *
fixture_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

struct dump_result *
fixture_parse_buf(const char *buf, size_t len, size_t chunk)
{
	struct dump_parser *p = dump_parser_new();
	size_t off = 0;

	if (chunk == 0)
		chunk = len ? len : 1;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		dump_parser_feed(p, buf + off, n);
		off += n;
	}
	return dump_parser_finish(p);
}

struct dump_result *
fixture_parse(const char *rel, size_t chunk)
{
	char path[4096];
	struct dump_result *r;
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
	if ((buf = fixture_read(path, &len)) == NULL) {
		fprintf(stderr, "cannot read fixture %s\n", path);
		abort();
	}
	r = fixture_parse_buf(buf, len, chunk);
	free(buf);
	return r;
}

const struct dump *
fixture_dump(const struct dump_result *r, long pid, enum dump_pool pool,
    size_t nth)
{
	size_t i;

	for (i = 0; i < r->ndumps; i++)
		if (r->dumps[i].pid == pid && r->dumps[i].pool == pool &&
		    nth-- == 0)
			return &r->dumps[i];
	return NULL;
}

const struct dump_site *
fixture_site(const struct dump *d, const char *func, unsigned long line)
{
	size_t i;

	for (i = 0; i < d->nsites; i++)
		if (strcmp(d->sites[i].func, func) == 0 &&
		    d->sites[i].line == line)
			return &d->sites[i];
	return NULL;
}

uint64_t
fixture_site_bytes(const struct dump *d)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < d->nsites; i++)
		s += d->sites[i].bytes;
	return s;
}

uint64_t
fixture_site_count(const struct dump *d)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < d->nsites; i++)
		s += d->sites[i].count;
	return s;
}
