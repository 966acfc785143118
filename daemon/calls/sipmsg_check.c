/*
 * The checks a message from the network passes before anything acts on
 * it: what osip2 parsed is present, sane and within bounds.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "calls/sipmsg.h"

static bool
all_digits(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

const char *
sipmsg_check(const osip_message_t *m)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *branch = NULL;
	size_t body = 0;
	int i;

	if (m->sip_version == NULL || strcmp(m->sip_version, "SIP/2.0") != 0)
		return "not SIP/2.0";
	if (MSG_IS_REQUEST(m) && (m->sip_method == NULL || m->req_uri == NULL))
		return "no request line";
	if (MSG_IS_RESPONSE(m) && (m->status_code < 100 ||
	    m->status_code > 699))
		return "bad status code";
	if (m->call_id == NULL || m->call_id->number == NULL)
		return "no Call-ID";
	if (m->cseq == NULL || !all_digits(m->cseq->number) ||
	    m->cseq->method == NULL)
		return "bad CSeq";
	if (MSG_IS_REQUEST(m) && strcmp(m->cseq->method, m->sip_method) != 0)
		return "CSeq method differs from the request's";
	if (m->from == NULL || m->from->url == NULL)
		return "no From";
	if (m->to == NULL || m->to->url == NULL)
		return "no To";
	if (osip_message_get_via(m, 0, &via) < 0 || via == NULL ||
	    via->host == NULL)
		return "no Via";
	if (osip_via_param_get_byname(via, "branch", &branch) != 0 ||
	    branch == NULL || branch->gvalue == NULL)
		return "Via without branch";
	for (i = 0; i < osip_list_size(&m->bodies); i++) {
		osip_body_t *bd = osip_list_get(&m->bodies, i);

		body += bd->length;
	}
	if (m->content_length != NULL && m->content_length->value != NULL &&
	    (!all_digits(m->content_length->value) ||
	    strtoul(m->content_length->value, NULL, 10) > body))
		return "Content-Length beyond the body";
	return NULL;
}
