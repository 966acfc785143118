/*
 * What the proxy had already been through before this run: the memory
 * errors in its log (an undersized pool that failed under yesterday's
 * burst says so only there) and the high-water marks core.shmmem keeps.
 * The log is read back a bounded way (loghist.c): the last
 * DIAG_BEFORE_MAX bytes of a file, the journal's entries of the proxy's
 * processes since it started; a syslog socket has no past.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diag_priv.h"
#include "proxy/dumper.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define DIAG_BEFORE_MAX (8ULL << 20)

static void
hist_data(void *arg, const char *buf, size_t len)
{
	dump_parser_feed(arg, buf, len);
}

static void
hist_entry(void *arg, uint64_t usec, long pid, const char *ident,
    const char *msg, size_t len)
{
	(void)usec;
	(void)ident;
	dump_parser_message(arg, pid, msg, len);
}

static const struct loghist_ops diag_before_ops = {
	.data = hist_data,
	.entry = hist_entry,
};

/* A file may hold an earlier proxy's lines: keep this one's processes. */
static void
keep_ours(struct diag *d, struct dump_result *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->nerrors; i++) {
		bool ours = r->errors[i].pid <= 0 ||
		    r->errors[i].pid == d->t->main.pid;

		for (j = 0; !ours && j < d->t->nkids; j++)
			ours = r->errors[i].pid == d->t->kids[j].pid;
		if (ours)
			r->errors[n++] = r->errors[i];
		else
			free(r->errors[i].text);
	}
	r->nerrors = n;
}

void
diag_before_read(struct diag *d)
{
	struct loghist_range range;
	struct dump_parser *p;
	pid_t *pids;
	uint64_t n = 0;
	size_t i;

	loghist_mark(d->logspec, &d->log.mark);
	pids = xcalloc(d->t->nkids + 1, sizeof(*pids));
	pids[0] = d->t->main.pid;
	for (i = 0; i < d->t->nkids; i++)
		pids[i + 1] = d->t->kids[i].pid;
	memset(&range, 0, sizeof(range));
	range.to = &d->log.mark;
	range.since_usec = loghist_start_usec(d->t->main.starttime);
	range.max_bytes = DIAG_BEFORE_MAX;
	range.pids = pids;
	range.npids = d->t->nkids + 1;
	p = dump_parser_new();
	if (loghist_read(d->logspec, &range, &diag_before_ops, p,
	    d->log.before_what, sizeof(d->log.before_what)) != 0) {
		log_warnx("memory errors before this run: not read (%s)",
		    d->log.before_what);
		dump_result_free(dump_parser_finish(p));
		free(pids);
		return;
	}
	free(pids);
	d->log.before = dump_parser_finish(p);
	dumper_keep_target(d->t, d->log.before);
	keep_ours(d, d->log.before);
	for (i = 0; i < d->log.before->nerrors; i++)
		n += d->log.before->errors[i].count;
	if (n > 0)
		log_warnx("%llu memory error%s already in the proxy's log "
		    "before this run (%s)", (unsigned long long)n, n == 1 ?
		    "" : "s", d->log.before_what);
	else
		log_info("no memory error in the proxy's log before this run "
		    "(%s)", d->log.before_what);
}
