/*
 * sipmsg: SIP messages for test calls. Messages are written as text, so
 * what goes out is exactly what a reader of this file sees; responses,
 * ACK, BYE and CANCEL derive from the message they answer or follow.
 * For a transaction osip2 parses only the start line and the headers its
 * transactions read, which come first; the whole text is the message's
 * cached form, and that is what is sent. Digest authorization (RFC
 * 2617/8760, MD5 via nettle) and the checks that a message from the
 * network must pass before it reaches a transaction. No sockets, no event
 * loop.
 */
#ifndef MEMDIAG_SIPMSG_H
#define MEMDIAG_SIPMSG_H

#include <sys/time.h>
#include <time.h>

#include <stddef.h>

#include <osipparser2/osip_message.h>

#define SIPMSG_TOKEN_MAX 48	/* tags, branches, Call-IDs we make */

/*
 * Max-Forwards of memdiag's requests. Test calls reach memdiag's own UAS
 * one proxy hop away: a call the proxy routes elsewhere, or back to
 * itself, dies within a few hops instead of the usual 70, each of which
 * would cost the proxy a transaction's memory.
 */
#define SIPMSG_MAX_FORWARDS "5"

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
	const char *max_forwards;	/* NULL: SIPMSG_MAX_FORWARDS */
	const char *content_type;
	const char *body;	/* body_len bytes, or NULL */
	size_t body_len;
};

/*
 * A request as described; NULL if osip2 refuses the result. Parsed: the
 * request line, Via, Route, From, To, Call-ID, CSeq and extra.
 */
osip_message_t *sipmsg_request_new(const struct sipmsg_req *);

/*
 * What the responses to a request copy from it (RFC 3261 8.2.6.2), as
 * text: its Vias, Record-Routes, From, To (with to_tag when it has none),
 * Call-ID and CSeq, written once for all the responses. -1 when osip2
 * cannot write one of them out.
 */
struct sipmsg_reply {
	char *text;
	size_t top_via, vias, record_routes, len;	/* where each ends */
};

int sipmsg_reply_init(struct sipmsg_reply *, const osip_message_t *req,
    const char *to_tag);
void sipmsg_reply_clear(struct sipmsg_reply *);
/*
 * A response: Record-Route is copied for 101-299 (RFC 3261 12.1.1);
 * contact may be NULL. Parsed: the status line and the top Via.
 */
osip_message_t *sipmsg_reply_new(const struct sipmsg_reply *, int code,
    const char *reason, const char *contact);
/* The same for a single response to req. */
osip_message_t *sipmsg_response_new(const osip_message_t *req, int code,
    const char *reason, const char *to_tag, const char *contact);

/*
 * The dialog a 2xx to INVITE created, as its requests (ACK, BYE) write
 * it: Request-URI the 2xx's Contact, Route its Record-Route reversed
 * (RFC 3261 12.1.2), From, To and Call-ID. -1 when the 2xx has no
 * Contact (or osip2 cannot write a header out).
 */
struct sipmsg_dialog {
	char *ruri;
	char *headers;
	size_t len;
};

int sipmsg_dialog_init(struct sipmsg_dialog *, const osip_message_t *resp2xx);
void sipmsg_dialog_clear(struct sipmsg_dialog *);
/* A request in the dialog, parsed as sipmsg_request_new's. */
osip_message_t *sipmsg_dialog_request_new(const struct sipmsg_dialog *,
    const char *method, unsigned cseq, const char *via_host,
    unsigned via_port, const char *branch);
/*
 * The same as text only, *len bytes and a NUL, for a request no
 * transaction carries (the ACK for a 2xx); caller frees.
 */
char *sipmsg_dialog_text_new(const struct sipmsg_dialog *, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch, size_t *len);
/* Both for a single request from resp2xx; NULL when it has no Contact. */
osip_message_t *sipmsg_indialog_new(const osip_message_t *resp2xx,
    const char *method, unsigned cseq, const char *via_host,
    unsigned via_port, const char *branch);
char *sipmsg_indialog_text_new(const osip_message_t *resp2xx,
    const char *method, unsigned cseq, const char *via_host,
    unsigned via_port, const char *branch, size_t *len);

/* A fresh random token for tags: 16 hex digits, or what fits. */
void sipmsg_token(char *buf, size_t len);
/* A fresh branch: the magic cookie z9hG4bK and a token. */
void sipmsg_branch(char *buf, size_t len);

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
