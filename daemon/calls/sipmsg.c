/*
 * SIP messages for test calls: text in, osip2 structures out (parsed as
 * far as a transaction reads them); digests are in sipmsg_auth.c and the
 * checks of what the network sends in sipmsg_check.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "calls/sipmsg.h"
#include "lib/xmalloc.h"

#define SIPMSG_UA "memdiag/" PACKAGE_VERSION
#define SIPMSG_COOKIE "z9hG4bK"	/* RFC 3261 8.1.1.7 */

/*
 * A message being written: in the caller's storage (on its stack) until
 * it outgrows it, then on the heap. Written with plain copies, not
 * printf: the text of a call's messages is much of its cost.
 */
struct sbuf {
	char *p;
	size_t len, cap;
	char *heap;
};

#define SBUF_STACK 2048
#define SBUF_INIT(storage) { (storage), 0, sizeof(storage), NULL }

static void
sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap = b->cap;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (b->heap == NULL) {
		b->heap = xmalloc(cap);
		memcpy(b->heap, b->p, b->len);
	} else
		b->heap = xreallocarray(b->heap, 1, cap);
	b->p = b->heap;
	b->cap = cap;
}

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends each string up to the NULL. */
static void sbuf_cat(struct sbuf *, ...) __attribute__((sentinel));

static void
sbuf_cat(struct sbuf *b, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, b);
	while ((s = va_arg(ap, const char *)) != NULL)
		sbuf_add(b, s, strlen(s));
	va_end(ap);
}

static void
sbuf_free(struct sbuf *b)
{
	free(b->heap);
	b->heap = NULL;
}

/* v in decimal, in buf. */
static const char *
sipmsg_uint(char buf[24], unsigned long long v)
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

/* val is read after rc was computed: pass &s of the *_to_str(.., &s). */
static bool
sbuf_header(struct sbuf *b, const char *name, int rc, char **val)
{
	char *v = *val;

	*val = NULL;
	if (rc != 0 || v == NULL) {
		osip_free(v);
		return false;
	}
	sbuf_cat(b, name, ": ", v, "\r\n", NULL);
	osip_free(v);
	return true;
}

/* "Via: SIP/2.0/UDP host:port;branch=b;rport" and its CRLF */
static void
sbuf_via(struct sbuf *b, const char *host, unsigned port, const char *branch)
{
	char num[24];

	sbuf_cat(b, "Via: SIP/2.0/UDP ", host, ":", sipmsg_uint(num, port),
	    ";branch=", branch, ";rport\r\n", NULL);
}

/*
 * The message whose text is b's, for a transaction. osip2 parses only
 * the first head bytes (the start line and the headers its transactions
 * read, which come first in our messages): parsing the rest of our own
 * text would only be thrown away. The whole text is the message's cached
 * form (property 1, which osip2's setters reset), so that is what is sent.
 */
static osip_message_t *
sipmsg_parse(struct sbuf *b, size_t head)
{
	osip_message_t *m = NULL;
	char next[2];
	int rc;

	if (head + 2 > b->len) {	/* nothing after the head: not ours */
		sbuf_free(b);
		return NULL;
	}
	/* A blank line ends the head for the parser, then the text is back. */
	memcpy(next, b->p + head, 2);
	memcpy(b->p + head, "\r\n", 2);
	rc = osip_message_init(&m) != 0 ? -1 :
	    osip_message_parse(m, b->p, head + 2);
	memcpy(b->p + head, next, 2);
	if (rc != 0) {
		if (m != NULL)
			osip_message_free(m);
		sbuf_free(b);
		return NULL;
	}
	m->message = osip_malloc(b->len + 1);
	memcpy(m->message, b->p, b->len + 1);
	m->message_length = b->len;
	m->message_property = 1;
	sbuf_free(b);
	return m;
}

/* Random hex digits, as many as fit in buf (tokens are made per call). */
static void
sipmsg_hex(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned r = 0;
	size_t i;

	for (i = 0; i + 1 < len && i < 16; i++) {
		if (i % 8 == 0)
			r = osip_build_random_number();
		buf[i] = hex[r & 15];
		r >>= 4;
	}
	buf[i] = '\0';
}

void
sipmsg_token(char *buf, size_t len)
{
	sipmsg_hex(buf, len);
}

void
sipmsg_branch(char *buf, size_t len)
{
	if (len < sizeof(SIPMSG_COOKIE)) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, SIPMSG_COOKIE, sizeof(SIPMSG_COOKIE) - 1);
	sipmsg_hex(buf + sizeof(SIPMSG_COOKIE) - 1,
	    len - (sizeof(SIPMSG_COOKIE) - 1));
}

const char *
sipmsg_call_id(const osip_call_id_t *ci, char *buf, size_t len)
{
	size_t n, h;

	buf[0] = '\0';
	if (ci == NULL || ci->number == NULL)
		return buf;
	n = strlen(ci->number);
	h = ci->host != NULL ? strlen(ci->host) : 0;
	if (n + 1 + h >= len)	/* cut to fit, as ever */
		snprintf(buf, len, "%s%s%s", ci->number, h > 0 ? "@" : "",
		    h > 0 ? ci->host : "");
	else {
		memcpy(buf, ci->number, n);
		if (h > 0) {
			buf[n++] = '@';
			memcpy(buf + n, ci->host, h);
		}
		buf[n + h] = '\0';
	}
	return buf;
}

osip_message_t *
sipmsg_request_new(const struct sipmsg_req *r)
{
	char storage[SBUF_STACK], num[24];
	struct sbuf b = SBUF_INIT(storage);
	size_t head;

	sbuf_cat(&b, r->method, " ", r->ruri, " SIP/2.0\r\n", NULL);
	sbuf_via(&b, r->via_host, r->via_port, r->branch);
	if (r->route != NULL)
		sbuf_cat(&b, "Route: ", r->route, "\r\n", NULL);
	sbuf_cat(&b, "From: ", r->from, "\r\nTo: ", r->to, "\r\nCall-ID: ",
	    r->call_id, "\r\nCSeq: ", sipmsg_uint(num, r->cseq), " ",
	    r->method, "\r\n", NULL);
	/* credentials too: osip2 copies them into its ACK for a non-2xx */
	if (r->extra != NULL)
		sbuf_cat(&b, r->extra, NULL);
	head = b.len;
	sbuf_cat(&b, "Max-Forwards: ", r->max_forwards != NULL ?
	    r->max_forwards : SIPMSG_MAX_FORWARDS, "\r\n", NULL);
	if (r->contact != NULL)
		sbuf_cat(&b, "Contact: <", r->contact, ">\r\n", NULL);
	sbuf_cat(&b, "User-Agent: " SIPMSG_UA "\r\n", NULL);
	if (r->body != NULL && r->body_len > 0) {
		sbuf_cat(&b, "Content-Type: ", r->content_type,
		    "\r\nContent-Length: ", sipmsg_uint(num, r->body_len),
		    "\r\n\r\n", NULL);
		sbuf_add(&b, r->body, r->body_len);
	} else
		sbuf_cat(&b, "Content-Length: 0\r\n\r\n", NULL);
	return sipmsg_parse(&b, head);
}

int
sipmsg_reply_init(struct sipmsg_reply *rp, const osip_message_t *req,
    const char *to_tag)
{
	char storage[SBUF_STACK];
	struct sbuf b = SBUF_INIT(storage);
	osip_generic_param_t *tag = NULL;
	char *s = NULL;
	int i, n;
	bool ok = true;

	memset(rp, 0, sizeof(*rp));
	n = osip_list_size(&req->vias);
	for (i = 0; i < n; i++) {
		osip_via_t *v = osip_list_get(&req->vias, i);

		ok &= sbuf_header(&b, "Via", osip_via_to_str(v, &s), &s);
		if (i == 0)
			rp->top_via = b.len;
	}
	rp->vias = b.len;
	n = osip_list_size(&req->record_routes);
	for (i = 0; i < n; i++) {
		osip_record_route_t *rr = osip_list_get(&req->record_routes, i);

		ok &= sbuf_header(&b, "Record-Route",
		    osip_record_route_to_str(rr, &s), &s);
	}
	rp->record_routes = b.len;
	ok &= sbuf_header(&b, "From", osip_from_to_str(req->from, &s), &s);
	ok &= sbuf_header(&b, "To", osip_to_to_str(req->to, &s), &s);
	if (ok && to_tag != NULL && osip_to_get_tag(req->to, &tag) != 0) {
		b.len -= 2;	/* reopen the To line */
		sbuf_cat(&b, ";tag=", to_tag, "\r\n", NULL);
	}
	ok &= sbuf_header(&b, "Call-ID",
	    osip_call_id_to_str(req->call_id, &s), &s);
	ok &= sbuf_header(&b, "CSeq", osip_cseq_to_str(req->cseq, &s), &s);
	if (!ok || rp->top_via == 0) {
		sbuf_free(&b);
		return -1;
	}
	rp->len = b.len;
	rp->text = xmalloc(b.len + 1);
	memcpy(rp->text, b.p, b.len + 1);
	sbuf_free(&b);
	return 0;
}

void
sipmsg_reply_clear(struct sipmsg_reply *rp)
{
	free(rp->text);
	rp->text = NULL;
}

osip_message_t *
sipmsg_reply_new(const struct sipmsg_reply *rp, int code, const char *reason,
    const char *contact)
{
	char storage[SBUF_STACK], num[24];
	struct sbuf b = SBUF_INIT(storage);
	size_t head;

	sbuf_cat(&b, "SIP/2.0 ", sipmsg_uint(num, (unsigned)code), " ", reason,
	    "\r\n", NULL);
	head = b.len + rp->top_via;	/* the top Via says where it goes */
	if (code > 100 && code < 300)
		sbuf_add(&b, rp->text, rp->len);
	else {
		sbuf_add(&b, rp->text, rp->vias);
		sbuf_add(&b, rp->text + rp->record_routes,
		    rp->len - rp->record_routes);
	}
	if (contact != NULL)
		sbuf_cat(&b, "Contact: <", contact, ">\r\n", NULL);
	sbuf_cat(&b, "Server: " SIPMSG_UA "\r\nContent-Length: 0\r\n\r\n",
	    NULL);
	return sipmsg_parse(&b, head);
}

osip_message_t *
sipmsg_response_new(const osip_message_t *req, int code, const char *reason,
    const char *to_tag, const char *contact)
{
	struct sipmsg_reply rp;
	osip_message_t *m;

	if (sipmsg_reply_init(&rp, req, to_tag) != 0)
		return NULL;
	m = sipmsg_reply_new(&rp, code, reason, contact);
	sipmsg_reply_clear(&rp);
	return m;
}

int
sipmsg_dialog_init(struct sipmsg_dialog *d, const osip_message_t *resp)
{
	char storage[SBUF_STACK];
	struct sbuf b = SBUF_INIT(storage);
	osip_contact_t *ct = NULL;
	char *s = NULL;
	int i;
	bool ok = true;

	memset(d, 0, sizeof(*d));
	if (osip_message_get_contact(resp, 0, &ct) < 0 || ct == NULL ||
	    ct->url == NULL || osip_uri_to_str(ct->url, &s) != 0)
		return -1;
	d->ruri = xstrdup(s);
	osip_free(s);
	for (i = osip_list_size(&resp->record_routes) - 1; i >= 0; i--) {
		osip_record_route_t *rr = osip_list_get(&resp->record_routes, i);

		ok &= sbuf_header(&b, "Route",
		    osip_record_route_to_str(rr, &s), &s);
	}
	ok &= sbuf_header(&b, "From", osip_from_to_str(resp->from, &s), &s);
	ok &= sbuf_header(&b, "To", osip_to_to_str(resp->to, &s), &s);
	ok &= sbuf_header(&b, "Call-ID",
	    osip_call_id_to_str(resp->call_id, &s), &s);
	if (ok) {
		d->len = b.len;
		d->headers = xmalloc(b.len + 1);
		memcpy(d->headers, b.p, b.len + 1);
	}
	sbuf_free(&b);
	if (!ok) {
		sipmsg_dialog_clear(d);
		return -1;
	}
	return 0;
}

void
sipmsg_dialog_clear(struct sipmsg_dialog *d)
{
	free(d->ruri);
	free(d->headers);
	d->ruri = d->headers = NULL;
}

/* The text of an ACK or BYE; the head ends what its transaction reads. */
static size_t
sipmsg_dialog_write(struct sbuf *b, const struct sipmsg_dialog *d,
    const char *method, unsigned cseq, const char *via_host,
    unsigned via_port, const char *branch)
{
	char num[24];
	size_t head;

	sbuf_cat(b, method, " ", d->ruri, " SIP/2.0\r\n", NULL);
	sbuf_via(b, via_host, via_port, branch);
	sbuf_add(b, d->headers, d->len);
	sbuf_cat(b, "CSeq: ", sipmsg_uint(num, cseq), " ", method, "\r\n",
	    NULL);
	head = b->len;
	sbuf_cat(b, "Max-Forwards: " SIPMSG_MAX_FORWARDS "\r\nUser-Agent: "
	    SIPMSG_UA "\r\n"
	    "Content-Length: 0\r\n\r\n", NULL);
	return head;
}

osip_message_t *
sipmsg_dialog_request_new(const struct sipmsg_dialog *d, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch)
{
	char storage[SBUF_STACK];
	struct sbuf b = SBUF_INIT(storage);
	size_t head;

	head = sipmsg_dialog_write(&b, d, method, cseq, via_host, via_port,
	    branch);
	return sipmsg_parse(&b, head);
}

char *
sipmsg_dialog_text_new(const struct sipmsg_dialog *d, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch, size_t *len)
{
	char storage[SBUF_STACK];
	struct sbuf b = SBUF_INIT(storage);
	char *text;

	(void)sipmsg_dialog_write(&b, d, method, cseq, via_host, via_port,
	    branch);
	text = xmalloc(b.len + 1);
	memcpy(text, b.p, b.len + 1);
	*len = b.len;
	sbuf_free(&b);
	return text;
}

osip_message_t *
sipmsg_indialog_new(const osip_message_t *resp, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch)
{
	struct sipmsg_dialog d;
	osip_message_t *m;

	if (sipmsg_dialog_init(&d, resp) != 0)
		return NULL;
	m = sipmsg_dialog_request_new(&d, method, cseq, via_host, via_port,
	    branch);
	sipmsg_dialog_clear(&d);
	return m;
}

char *
sipmsg_indialog_text_new(const osip_message_t *resp, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch, size_t *len)
{
	struct sipmsg_dialog d;
	char *text;

	if (sipmsg_dialog_init(&d, resp) != 0)
		return NULL;
	text = sipmsg_dialog_text_new(&d, method, cseq, via_host, via_port,
	    branch, len);
	sipmsg_dialog_clear(&d);
	return text;
}
