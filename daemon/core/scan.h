/*
 * scan: the few text primitives the parsers share. Bounded by an end
 * pointer (lines are not NUL-terminated), numbers checked for overflow.
 */
#ifndef MEMDIAG_SCAN_H
#define MEMDIAG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool
scan_starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && memcmp(s, lit, l) == 0;
}

static inline const char *
scan_skipsp(const char *s, const char *end)
{
	while (s < end && *s == ' ')
		s++;
	return s;
}

static inline bool
scan_isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal u64 at *p, spaces first; false on no digits or overflow. */
static inline bool
scan_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = scan_skipsp(*p, end);
	uint64_t v = 0;
	int n = 0;

	while (s < end && scan_isdig(*s)) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
		n++;
	}
	if (n == 0)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* Find "key" in [s,end) and read the number after it. */
static inline bool
scan_field(const char *s, const char *end, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	const char *k = memmem(s, (size_t)(end - s), key, kl);

	if (k == NULL)
		return false;
	k += kl;
	return scan_u64(&k, end, out);
}

#endif
