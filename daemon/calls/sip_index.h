/*
 * sip_index: the SIP engine's transactions by the branch of their top
 * Via (sip.c's only). osip2 finds the transaction of an incoming message
 * by walking every live transaction of its kind; under load that walk is
 * most of the matching's cost. Here osip2 walks only the few that share a
 * hash of the branch, with its own matching rules (RFC 3261 17.1.3 and
 * 17.2.3), which never match across different branches for the messages
 * indexed. What cannot be matched that way (RFC 2543 requests, without
 * the magic cookie) goes to osip2's full walk.
 */
#ifndef MEMDIAG_SIP_INDEX_H
#define MEMDIAG_SIP_INDEX_H

#include <sys/time.h>
#include <time.h>

#include <osip2/osip.h>

struct sip_index;

struct sip_index *sip_index_new(void);
void sip_index_free(struct sip_index *);

/* tr is new (or about to be freed); its top Via must not change between. */
void sip_index_add(struct sip_index *, osip_transaction_t *tr);
void sip_index_remove(struct sip_index *, osip_transaction_t *tr);

/*
 * Hands ev (an incoming, checked message) to its transaction as
 * osip_find_transaction_and_add_event does: 0 when a transaction took it,
 * -1 when none matched and ev is still the caller's.
 */
int sip_index_add_event(struct sip_index *, osip_t *, osip_event_t *ev);

#endif
