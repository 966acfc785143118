/*
 * The failure wordings, from the allocators and the modules that call
 * them (tests/fixtures/kamailio and public bug reports). A generic phrase ("out of
 * mem") takes its pool from the line only where the line names one:
 * attributing a pool the text does not give would be a guess.
 */
#include <string.h>

#include "core/memerr.h"

static const struct {
	const char *text;
	enum dump_pool pool;
} memerr_pats[] = {
	{ "could not allocate shared memory", DUMP_POOL_SHM },
	{ "could not allocate private memory", DUMP_POOL_PKG },
	{ "no more shm", DUMP_POOL_SHM },
	{ "no more pkg", DUMP_POOL_PKG },
	{ "no more share memory", DUMP_POOL_SHM },
	{ "no more private memory", DUMP_POOL_PKG },
	{ "not enough free shm memory", DUMP_POOL_SHM },
	{ "not enough free pkg memory", DUMP_POOL_PKG },
	{ "cannot allocate shmem", DUMP_POOL_SHM },
	{ "Free fragment not found", DUMP_POOL_UNKNOWN },
	{ "out of mem", DUMP_POOL_UNKNOWN },
	{ "mem. allocation failure", DUMP_POOL_UNKNOWN },
	{ "no more memory", DUMP_POOL_UNKNOWN },
	{ "cannot allocate memory", DUMP_POOL_UNKNOWN },
	{ "not enough free", DUMP_POOL_UNKNOWN },
	{ NULL, DUMP_POOL_UNKNOWN },
};

bool
memerr_classify(const char *msg, size_t len, enum dump_pool *pool)
{
	int i;

	for (i = 0; memerr_pats[i].text != NULL; i++)
		if (memmem(msg, len, memerr_pats[i].text,
		    strlen(memerr_pats[i].text)) != NULL) {
			*pool = memerr_pats[i].pool;
			/* a generic phrase on a line that names its pool */
			if (*pool == DUMP_POOL_UNKNOWN) {
				if (memmem(msg, len, "shm", 3) != NULL ||
				    memmem(msg, len, "shared mem", 10) != NULL)
					*pool = DUMP_POOL_SHM;
				else if (memmem(msg, len, "pkg", 3) != NULL ||
				    memmem(msg, len, "private mem", 11) != NULL)
					*pool = DUMP_POOL_PKG;
			}
			return true;
		}
	return false;
}

bool
memerr_is_corruption(const char *msg, size_t len)
{
	const char *bug = memmem(msg, len, "BUG:", 4);
	size_t rest;

	if (bug == NULL)
		return false;
	rest = len - (size_t)(bug - msg);
	return memmem(bug, rest, "overwritten", 11) != NULL ||
	    memmem(bug, rest, "already freed", 13) != NULL ||
	    memmem(bug, rest, "bad pointer", 11) != NULL ||
	    memmem(bug, rest, "free frag", 9) != NULL ||
	    memmem(bug, rest, "fragm.", 6) != NULL;
}

