/*
 * Transactions by branch, so that osip2 matches a message against a few
 * transactions instead of all of them. The buckets are osip2 lists and
 * the matching is osip_transaction_find's: only the walk is shorter.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calls/sip_index.h"
#include "lib/xmalloc.h"

#define SIP_INDEX_BUCKETS 1024		/* per kind of transaction */
#define SIP_INDEX_KINDS 4		/* ICT, IST, NICT, NIST */
#define SIP_MAGIC_COOKIE "z9hG4bK"	/* RFC 3261 8.1.1.7 */

struct sip_index {
	osip_list_t bucket[SIP_INDEX_KINDS][SIP_INDEX_BUCKETS];
	/* server transactions that RFC 2543 rules may match */
	unsigned legacy;
};

struct sip_index *
sip_index_new(void)
{
	struct sip_index *x = xcalloc(1, sizeof(*x));
	int k, i;

	for (k = 0; k < SIP_INDEX_KINDS; k++)
		for (i = 0; i < SIP_INDEX_BUCKETS; i++)
			osip_list_init(&x->bucket[k][i]);
	return x;
}

void
sip_index_free(struct sip_index *x)
{
	int k, i;

	if (x == NULL)
		return;
	for (k = 0; k < SIP_INDEX_KINDS; k++)
		for (i = 0; i < SIP_INDEX_BUCKETS; i++)
			while (osip_list_size(&x->bucket[k][i]) > 0)
				osip_list_remove(&x->bucket[k][i], 0);
	free(x);
}

static const char *
sip_index_branch(osip_via_t *via)
{
	osip_generic_param_t *b = NULL;

	if (via == NULL || osip_via_param_get_byname(via, "branch", &b) != 0 ||
	    b == NULL)
		return NULL;
	return b->gvalue;
}

static bool
sip_index_cookie(const char *branch)
{
	return branch != NULL && strncmp(branch, SIP_MAGIC_COOKIE,
	    sizeof(SIP_MAGIC_COOKIE) - 1) == 0;
}

static osip_list_t *
sip_index_bucket(struct sip_index *x, osip_fsm_type_t kind,
    const char *branch)
{
	uint32_t h = 2166136261u;

	for (; branch != NULL && *branch != '\0'; branch++)
		h = (h ^ (uint8_t)*branch) * 16777619u;
	return &x->bucket[kind][h % SIP_INDEX_BUCKETS];
}

static bool
sip_index_legacy(const osip_transaction_t *tr, const char *branch)
{
	return (tr->ctx_type == IST || tr->ctx_type == NIST) &&
	    !sip_index_cookie(branch);
}

void
sip_index_add(struct sip_index *x, osip_transaction_t *tr)
{
	const char *branch = sip_index_branch(tr->topvia);

	osip_list_add(sip_index_bucket(x, tr->ctx_type, branch), tr, -1);
	if (sip_index_legacy(tr, branch))
		x->legacy++;
}

void
sip_index_remove(struct sip_index *x, osip_transaction_t *tr)
{
	const char *branch = sip_index_branch(tr->topvia);
	osip_list_t *l = sip_index_bucket(x, tr->ctx_type, branch);
	int i;

	for (i = 0; i < osip_list_size(l); i++)
		if (osip_list_get(l, i) == tr) {
			osip_list_remove(l, i);
			if (sip_index_legacy(tr, branch))
				x->legacy--;
			return;
		}
}

int
sip_index_add_event(struct sip_index *x, osip_t *o, osip_event_t *ev)
{
	osip_message_t *m = ev->sip;
	const char *branch = sip_index_branch(osip_list_get(&m->vias, 0));
	osip_fsm_type_t kind;
	osip_transaction_t *tr;

	/*
	 * A response matches only its own branch (17.1.3), a request with
	 * the magic cookie too unless a server transaction was made without
	 * it (17.2.3): osip2 would then compare Call-ID, tags and CSeq.
	 */
	if (branch == NULL || (MSG_IS_REQUEST(m) &&
	    (x->legacy > 0 || !sip_index_cookie(branch))))
		return osip_find_transaction_and_add_event(o, ev) == 0 ? 0 : -1;
	if (MSG_IS_REQUEST(m))
		kind = strcmp(m->cseq->method, "INVITE") == 0 ||
		    strcmp(m->cseq->method, "ACK") == 0 ? IST : NIST;
	else
		kind = strcmp(m->cseq->method, "INVITE") == 0 ? ICT : NICT;
	tr = osip_transaction_find(sip_index_bucket(x, kind, branch), ev);
	if (tr == NULL)
		return -1;
	osip_transaction_add_event(tr, ev);
	return 0;
}
