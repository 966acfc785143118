/* Exit statuses of every memdiag command (memdiag(8), EXIT STATUS). */
#ifndef MEMDIAG_EXITCODES_H
#define MEMDIAG_EXITCODES_H

enum {
	EX_MD_OK = 0,		/* healthy / success */
	EX_MD_WARNING = 1,	/* pool-too-small, fragmentation; some calls failed */
	EX_MD_CRITICAL = 2,	/* leak, or memory corruption found */
	EX_MD_UNKNOWN = 3,	/* inconclusive */
	EX_MD_USAGE = 64,	/* usage error */
	EX_MD_DATAERR = 65,	/* malformed input, no dump found */
	EX_MD_NOINPUT = 66,	/* an input file cannot be opened */
	EX_MD_UNAVAILABLE = 69,	/* proxy, RPC or log unreachable */
	EX_MD_INTERNAL = 70,	/* internal error */
	EX_MD_LOCKED = 75,	/* target locked by another memdiag */
	EX_MD_REFUSED = 77,	/* not a verified proxy, or permission denied */
	EX_MD_CONFIG = 78,	/* configuration error */
};

#endif
