/*
 * sipmsg: SIP messages for test calls. Requests are written as text and
 * parsed by osip2, so what goes out is exactly what a reader of this file
 * sees; responses, ACK, BYE and CANCEL derive from the message they answer
 * or follow. Digest authorization (RFC 2617/8760, MD5 via nettle) and the
 * checks that a message from the network must pass before it reaches a
 * transaction. No sockets, no event loop.
 */
#ifndef MEMDIAG_SIPMSG_H
#define MEMDIAG_SIPMSG_H

#include <sys/time.h>
#include <time.h>

#include <stddef.h>

#include <osipparser2/osip_message.h>

#define SIPMSG_TOKEN_MAX 48	/* tags, branches, Call-IDs we make */

struct sipmsg_req {
	const char *method;
	const char *ruri;
	const char *from;	/* name-addr with its tag: "<sip:a@b>;tag=x" */
	const char *to;		/* name-addr, tag only in a dialog */
	const char *call_id;
	unsigned cseq;
	const char *via_host;	/* where responses come back */
	unsigned via_port;
	const char *branch;	/* Via branch, including z9hG4bK */
	const char *contact;	/* URI or NULL */
	const char *route;	/* Route header value or NULL */
	const char *extra;	/* more header lines, each with CRLF, or NULL */
	const char *content_type;
	const char *body;	/* body_len bytes, or NULL */
	size_t body_len;
};

/* A request as described; NULL if osip2 refuses the result. */
osip_message_t *sipmsg_request_new(const struct sipmsg_req *);

/*
 * A response to req. to_tag is added when the request's To has none;
 * Record-Route is copied for 101-299 (RFC 3261 12.1.1); contact may be
 * NULL.
 */
osip_message_t *sipmsg_response_new(const osip_message_t *req, int code,
    const char *reason, const char *to_tag, const char *contact);

/*
 * ACK or BYE in the dialog a 2xx to INVITE created: Request-URI is the
 * 2xx's Contact, Route its Record-Route reversed (RFC 3261 12.1.2).
 * NULL when the 2xx has no Contact.
 */
osip_message_t *sipmsg_indialog_new(const osip_message_t *resp2xx,
    const char *method, unsigned cseq, const char *via_host,
    unsigned via_port, const char *branch);

/* A fresh random token: tags, branches (the caller adds z9hG4bK). */
void sipmsg_token(char *buf, size_t len);

/* "number@host" or "number" of a Call-ID, into buf; "" when absent. */
const char *sipmsg_call_id(const osip_call_id_t *, char *buf, size_t len);

/*
 * Digest response (RFC 2617 3.2.2) in lowercase hex. qop NULL means the
 * RFC 2069 form without nc and cnonce.
 */
void sipmsg_digest_response(const char *user, const char *realm,
    const char *password, const char *method, const char *uri,
    const char *nonce, const char *nc, const char *cnonce, const char *qop,
    char out[33]);

/*
 * The Authorization (401) or Proxy-Authorization (407) header line, CRLF
 * included, answering the first MD5 challenge in resp; caller frees.
 * NULL if resp has no challenge memdiag can answer.
 */
char *sipmsg_authorization_new(const osip_message_t *resp,
    const char *method, const char *uri, const char *user,
    const char *password);

/*
 * What is wrong with a parsed message from the network, as a short kind
 * ("no Call-ID", "CSeq method differs", ...), or NULL when it is usable.
 */
const char *sipmsg_check(const osip_message_t *);

#endif
