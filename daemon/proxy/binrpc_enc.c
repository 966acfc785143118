/*
 * binrpc encoder: requests for Kamailio's ctl, and replies for the tests
 * and fuzz seeds (the decoder's mirror). Ints go big-endian in as few
 * bytes as they need, doubles as fixed point (value * 1000), strings and
 * member names with their NUL inside the length.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/binrpc_wire.h"

struct binrpc_req {
	char *method;
	struct binrpc_buf body;
};

static void
buf_need(struct binrpc_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap = b->cap ? b->cap * 2 : 64;
	b->data = xreallocarray(b->data, b->cap, 1);
}

static void
buf_add(struct binrpc_buf *b, const void *p, size_t n)
{
	buf_need(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Bytes needed for u in big-endian without leading zeros (0 for 0). */
static int
uint_size(uint64_t u)
{
	int n = 0;

	while (u != 0) {
		n++;
		u >>= 8;
	}
	return n;
}

static void
put_uint(struct binrpc_buf *b, uint64_t u, int n)
{
	uint8_t tmp[8];
	int i;

	for (i = n - 1; i >= 0; i--) {
		tmp[i] = (uint8_t)u;
		u >>= 8;
	}
	buf_add(b, tmp, (size_t)n);
}

static void
put_number(struct binrpc_buf *b, uint64_t u, int type)
{
	int n = uint_size(u);
	uint8_t h = (uint8_t)(n << 4 | type);

	buf_add(b, &h, 1);
	put_uint(b, u, n);
}

void
binrpc_put_int(struct binrpc_buf *b, int32_t i)
{
	put_number(b, (uint32_t)i, W_INT);
}

void
binrpc_put_double(struct binrpc_buf *b, double d)
{
	double x = d * 1000;
	int64_t ll;

	/* fixed point, rounded; out of range (or NaN) saturates */
	if (x != x)
		ll = 0;
	else if (x >= 9.2e18)
		ll = INT64_MAX;
	else if (x <= -9.2e18)
		ll = INT64_MIN;
	else
		ll = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
	put_number(b, (uint64_t)ll, W_DOUBLE);
}

/* A length-prefixed record: the size in the header when below 8. */
static void
put_lenrec(struct binrpc_buf *b, int type, const void *p, size_t len,
    int nul)
{
	size_t l = len + (nul ? 1 : 0);
	uint8_t h;

	if (l < 8) {
		h = (uint8_t)(l << 4 | type);
		buf_add(b, &h, 1);
	} else {
		int n = uint_size(l);

		h = (uint8_t)((n | 8) << 4 | type);
		buf_add(b, &h, 1);
		put_uint(b, l, n);
	}
	buf_add(b, p, len);
	if (nul)
		buf_add(b, "", 1);
}

void
binrpc_put_str(struct binrpc_buf *b, const char *s, size_t len)
{
	put_lenrec(b, W_STR, s, len, 1);
}

void
binrpc_put_bytes(struct binrpc_buf *b, const void *p, size_t len)
{
	put_lenrec(b, W_BYTES, p, len, 0);
}

void
binrpc_put_name(struct binrpc_buf *b, const char *name)
{
	put_lenrec(b, W_AVP, name, strlen(name), 1);
}

void
binrpc_put_start(struct binrpc_buf *b, enum binrpc_type t)
{
	uint8_t h = t == BINRPC_ARRAY ? W_ARRAY : W_STRUCT;

	buf_add(b, &h, 1);
}

void
binrpc_put_end(struct binrpc_buf *b, enum binrpc_type t)
{
	uint8_t h = 0x80 | (t == BINRPC_ARRAY ? W_ARRAY : W_STRUCT);

	buf_add(b, &h, 1);
}

void
binrpc_buf_reset(struct binrpc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

uint8_t *
binrpc_packet(int type, uint32_t cookie, const struct binrpc_buf *body,
    size_t *lenp)
{
	struct binrpc_buf pkt = { NULL, 0, 0 };
	int ll = uint_size(body->len), cl = uint_size(cookie);
	uint8_t h[2];

	if (ll == 0)
		ll = 1;
	if (cl == 0)
		cl = 1;
	h[0] = BINRPC_MAGIC_VERS;
	h[1] = (uint8_t)(type << 4 | (ll - 1) << 2 | (cl - 1));
	buf_add(&pkt, h, 2);
	put_uint(&pkt, body->len, ll);
	put_uint(&pkt, cookie, cl);
	buf_add(&pkt, body->data, body->len);
	*lenp = pkt.len;
	return pkt.data;
}

struct binrpc_req *
binrpc_req_new(const char *method)
{
	struct binrpc_req *r = xcalloc(1, sizeof(*r));

	r->method = xstrdup(method);
	binrpc_put_str(&r->body, method, strlen(method));
	return r;
}

void
binrpc_req_free(struct binrpc_req *r)
{
	if (r == NULL)
		return;
	free(r->method);
	binrpc_buf_reset(&r->body);
	free(r);
}

void
binrpc_req_add_int(struct binrpc_req *r, int32_t i)
{
	binrpc_put_int(&r->body, i);
}

void
binrpc_req_add_str(struct binrpc_req *r, const char *s)
{
	binrpc_put_str(&r->body, s, strlen(s));
}

void
binrpc_req_add_double(struct binrpc_req *r, double d)
{
	binrpc_put_double(&r->body, d);
}

const char *
binrpc_req_method(const struct binrpc_req *r)
{
	return r->method;
}

uint8_t *
binrpc_req_encode(const struct binrpc_req *r, uint32_t cookie, size_t *lenp)
{
	return binrpc_packet(BINRPC_T_REQ, cookie, &r->body, lenp);
}
