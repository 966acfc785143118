/*
 * SIP messages for test calls: text in, osip2 structures out, and the
 * checks a message from the network passes before anything acts on it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "exitcodes.h"
#include "log.h"
#include "sipmsg.h"
#include "xmalloc.h"

#define SIPMSG_UA "memdiag/" PACKAGE_VERSION

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sbuf_printf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->p = xreallocarray(b->p, 1, cap);
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

/* Formats in place: no allocation once the buffer has grown. */
static void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	sbuf_reserve(b, 0);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx(EX_MD_INTERNAL, "vsnprintf failed");
	if ((size_t)n >= b->cap - b->len) {
		sbuf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
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
	sbuf_printf(b, "%s: %s\r\n", name, v);
	osip_free(v);
	return true;
}

static osip_message_t *
sipmsg_parse(struct sbuf *b)
{
	osip_message_t *m;

	if (osip_message_init(&m) != 0) {
		free(b->p);
		return NULL;
	}
	if (osip_message_parse(m, b->p, b->len) != 0) {
		osip_message_free(m);
		free(b->p);
		return NULL;
	}
	/*
	 * Our text is the message: osip2 sends this copy instead of printing
	 * the structure again (property 1 = up to date; its setters reset it).
	 */
	m->message = osip_malloc(b->len + 1);
	memcpy(m->message, b->p, b->len + 1);
	m->message_length = b->len;
	m->message_property = 1;
	free(b->p);
	return m;
}

void
sipmsg_token(char *buf, size_t len)
{
	snprintf(buf, len, "%08x%08x", osip_build_random_number(),
	    osip_build_random_number());
}

const char *
sipmsg_call_id(const osip_call_id_t *ci, char *buf, size_t len)
{
	if (ci == NULL || ci->number == NULL)
		snprintf(buf, len, "%s", "");
	else if (ci->host != NULL)
		snprintf(buf, len, "%s@%s", ci->number, ci->host);
	else
		snprintf(buf, len, "%s", ci->number);
	return buf;
}

osip_message_t *
sipmsg_request_new(const struct sipmsg_req *r)
{
	struct sbuf b = { NULL, 0, 0 };

	sbuf_printf(&b, "%s %s SIP/2.0\r\n", r->method, r->ruri);
	sbuf_printf(&b, "Via: SIP/2.0/UDP %s:%u;branch=%s;rport\r\n",
	    r->via_host, r->via_port, r->branch);
	if (r->route != NULL)
		sbuf_printf(&b, "Route: %s\r\n", r->route);
	sbuf_printf(&b, "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\n"
	    "Call-ID: %s\r\nCSeq: %u %s\r\n", r->from, r->to, r->call_id,
	    r->cseq, r->method);
	if (r->contact != NULL)
		sbuf_printf(&b, "Contact: <%s>\r\n", r->contact);
	if (r->extra != NULL)
		sbuf_printf(&b, "%s", r->extra);
	sbuf_printf(&b, "User-Agent: %s\r\n", SIPMSG_UA);
	if (r->body != NULL && r->body_len > 0) {
		sbuf_printf(&b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    r->content_type, r->body_len);
		sbuf_add(&b, r->body, r->body_len);
	} else
		sbuf_printf(&b, "Content-Length: 0\r\n\r\n");
	return sipmsg_parse(&b);
}

osip_message_t *
sipmsg_response_new(const osip_message_t *req, int code, const char *reason,
    const char *to_tag, const char *contact)
{
	struct sbuf b = { NULL, 0, 0 };
	osip_generic_param_t *tag = NULL;
	char *s = NULL;
	int i, n;
	bool ok = true;

	sbuf_printf(&b, "SIP/2.0 %d %s\r\n", code, reason);
	n = osip_list_size(&req->vias);
	for (i = 0; i < n; i++) {
		osip_via_t *v = osip_list_get(&req->vias, i);

		ok &= sbuf_header(&b, "Via", osip_via_to_str(v, &s), &s);
	}
	if (code > 100 && code < 300) {
		n = osip_list_size(&req->record_routes);
		for (i = 0; i < n; i++) {
			osip_record_route_t *rr =
			    osip_list_get(&req->record_routes, i);

			ok &= sbuf_header(&b, "Record-Route",
			    osip_record_route_to_str(rr, &s), &s);
		}
	}
	ok &= sbuf_header(&b, "From", osip_from_to_str(req->from, &s), &s);
	ok &= sbuf_header(&b, "To", osip_to_to_str(req->to, &s), &s);
	if (ok && to_tag != NULL && osip_to_get_tag(req->to, &tag) != 0) {
		b.len -= 2;	/* reopen the To line */
		sbuf_printf(&b, ";tag=%s\r\n", to_tag);
	}
	ok &= sbuf_header(&b, "Call-ID",
	    osip_call_id_to_str(req->call_id, &s), &s);
	ok &= sbuf_header(&b, "CSeq", osip_cseq_to_str(req->cseq, &s), &s);
	if (!ok) {
		free(b.p);
		return NULL;
	}
	if (contact != NULL)
		sbuf_printf(&b, "Contact: <%s>\r\n", contact);
	sbuf_printf(&b, "Server: %s\r\nContent-Length: 0\r\n\r\n", SIPMSG_UA);
	return sipmsg_parse(&b);
}

osip_message_t *
sipmsg_indialog_new(const osip_message_t *resp, const char *method,
    unsigned cseq, const char *via_host, unsigned via_port,
    const char *branch)
{
	struct sbuf b = { NULL, 0, 0 };
	osip_contact_t *ct = NULL;
	char *s = NULL;
	int i;
	bool ok = true;

	if (osip_message_get_contact(resp, 0, &ct) < 0 || ct == NULL ||
	    ct->url == NULL || osip_uri_to_str(ct->url, &s) != 0)
		return NULL;
	sbuf_printf(&b, "%s %s SIP/2.0\r\n", method, s);
	osip_free(s);
	sbuf_printf(&b, "Via: SIP/2.0/UDP %s:%u;branch=%s;rport\r\n",
	    via_host, via_port, branch);
	for (i = osip_list_size(&resp->record_routes) - 1; i >= 0; i--) {
		osip_record_route_t *rr = osip_list_get(&resp->record_routes, i);

		ok &= sbuf_header(&b, "Route",
		    osip_record_route_to_str(rr, &s), &s);
	}
	sbuf_printf(&b, "Max-Forwards: 70\r\n");
	ok &= sbuf_header(&b, "From", osip_from_to_str(resp->from, &s), &s);
	ok &= sbuf_header(&b, "To", osip_to_to_str(resp->to, &s), &s);
	ok &= sbuf_header(&b, "Call-ID",
	    osip_call_id_to_str(resp->call_id, &s), &s);
	if (!ok) {
		free(b.p);
		return NULL;
	}
	sbuf_printf(&b, "CSeq: %u %s\r\nUser-Agent: %s\r\n"
	    "Content-Length: 0\r\n\r\n", cseq, method, SIPMSG_UA);
	return sipmsg_parse(&b);
}

static void
md5_hex(const char *const parts[], char out[33])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[MD5_DIGEST_SIZE];
	struct md5_ctx ctx;
	int i;

	md5_init(&ctx);
	for (i = 0; parts[i] != NULL; i++) {
		if (i > 0)
			md5_update(&ctx, 1, (const uint8_t *)":");
		md5_update(&ctx, strlen(parts[i]),
		    (const uint8_t *)parts[i]);
	}
	md5_digest(&ctx, sizeof(d), d);
	for (i = 0; i < MD5_DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
}

void
sipmsg_digest_response(const char *user, const char *realm,
    const char *password, const char *method, const char *uri,
    const char *nonce, const char *nc, const char *cnonce, const char *qop,
    char out[33])
{
	char ha1[33], ha2[33];

	md5_hex((const char *const[]){ user, realm, password, NULL }, ha1);
	md5_hex((const char *const[]){ method, uri, NULL }, ha2);
	if (qop != NULL)
		md5_hex((const char *const[]){ ha1, nonce, nc, cnonce, qop, ha2,
		    NULL }, out);
	else
		md5_hex((const char *const[]){ ha1, nonce, ha2, NULL }, out);
}

/* A challenge parameter without its quotes; caller frees. */
static char *
unquote(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* Whether a qop-options list offers "auth" (not only auth-int). */
static bool
qop_offers_auth(const char *opts)
{
	const char *p = opts;

	while ((p = strstr(p, "auth")) != NULL) {
		bool start = p == opts || !isalnum((unsigned char)p[-1]);
		bool end = !isalnum((unsigned char)p[4]) && p[4] != '-';

		if (start && end)
			return true;
		p += 4;
	}
	return false;
}

char *
sipmsg_authorization_new(const osip_message_t *resp, const char *method,
    const char *uri, const char *user, const char *password)
{
	osip_www_authenticate_t *wa = NULL;
	char *realm, *nonce, *opaque, *qopts, *algo, *line = NULL;
	char resp_hex[33], cnonce[SIPMSG_TOKEN_MAX], opq[256] = "";
	const char *hname;
	bool qop;

	if (resp->status_code == 401) {
		hname = "Authorization";
		osip_message_get_www_authenticate(resp, 0, &wa);
	} else if (resp->status_code == 407) {
		hname = "Proxy-Authorization";
		osip_message_get_proxy_authenticate(resp, 0, &wa);
	} else
		return NULL;
	if (wa == NULL || wa->auth_type == NULL ||
	    osip_strcasecmp(wa->auth_type, "Digest") != 0 ||
	    wa->realm == NULL || wa->nonce == NULL)
		return NULL;
	algo = unquote(wa->algorithm);
	if (algo != NULL && osip_strcasecmp(algo, "MD5") != 0) {
		free(algo);
		return NULL;
	}
	free(algo);
	realm = unquote(wa->realm);
	nonce = unquote(wa->nonce);
	opaque = unquote(wa->opaque);
	qopts = unquote(wa->qop_options);
	qop = qopts != NULL && qop_offers_auth(qopts);
	sipmsg_token(cnonce, sizeof(cnonce));
	sipmsg_digest_response(user, realm, password, method, uri, nonce,
	    "00000001", cnonce, qop ? "auth" : NULL, resp_hex);
	if (opaque != NULL)
		snprintf(opq, sizeof(opq), ", opaque=\"%s\"", opaque);
	if (qop)
		xasprintf(&line, "%s: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5, "
		    "cnonce=\"%s\", qop=auth, nc=00000001%s\r\n", hname, user,
		    realm, nonce, uri, resp_hex, cnonce, opq);
	else
		xasprintf(&line, "%s: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		    "algorithm=MD5%s\r\n", hname, user, realm, nonce, uri,
		    resp_hex, opq);
	free(realm);
	free(nonce);
	free(opaque);
	free(qopts);
	return line;
}

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
