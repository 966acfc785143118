/*
 * Fuzz target for the dump parser: the input is fed in pieces split at
 * points taken from its first byte, so chunk boundaries get fuzzed too.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_parser *p = dump_parser_new();
	size_t step = size > 0 ? (size_t)data[0] % 97 + 1 : 1, off = 0;

	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		dump_parser_feed(p, (const char *)data + off, n);
		off += n;
		step = step * 3 % 211 + 1;
	}
	dump_parser_message(p, 42, (const char *)data, size > 256 ? 256 : size);
	dump_result_free(dump_parser_finish(p));
	return 0;
}
