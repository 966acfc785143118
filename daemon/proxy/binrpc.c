/*
 * binrpc decoder (Kamailio's ctl protocol; binrpc.h in Kamailio's
 * src/modules/ctl describes the format):
 *
 *   header  0xA1 | type:4 len_bytes-1:2 cookie_bytes-1:2 | len | cookie
 *   record  S:1 size:3 type:4 [size-byte length when S] [value]
 *
 * Strings and member names carry a terminating NUL inside their length;
 * ints are big-endian in as few bytes as they need (0 in none); doubles are
 * fixed point, value * 1000 in a long long. A struct or array ends with its
 * type and the S bit set. ctl replies with arrays encoded as structs whose
 * values have no names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/binrpc_wire.h"

struct hdr {
	int type;
	size_t hlen;
	uint32_t tlen, cookie;
};

/* 1: header parsed, 0: need more bytes, -1: not binrpc (*errp). */
static int
hdr_parse(const uint8_t *buf, size_t len, struct hdr *h, const char **errp)
{
	int ll, cl, i;

	if (len >= 1 && buf[0] != BINRPC_MAGIC_VERS) {
		*errp = (buf[0] >> 4) == (BINRPC_MAGIC_VERS >> 4) ?
		    "unsupported binrpc version" : "not a binrpc packet";
		return -1;
	}
	if (len < 2)
		return 0;
	h->type = buf[1] >> 4;
	if (h->type != BINRPC_T_REQ && h->type != BINRPC_T_REPLY &&
	    h->type != BINRPC_T_FAULT) {
		*errp = "unknown binrpc packet type";
		return -1;
	}
	ll = ((buf[1] >> 2) & 3) + 1;
	cl = (buf[1] & 3) + 1;
	h->hlen = 2 + (size_t)ll + (size_t)cl;
	if (len < h->hlen)
		return 0;
	h->tlen = h->cookie = 0;
	for (i = 0; i < ll; i++)
		h->tlen = h->tlen << 8 | buf[2 + i];
	for (i = 0; i < cl; i++)
		h->cookie = h->cookie << 8 | buf[2 + ll + i];
	if (h->tlen > BINRPC_MAX_PACKET - h->hlen) {
		*errp = "binrpc packet larger than 1 MB";
		return -1;
	}
	return 1;
}

int
binrpc_frame(const uint8_t *buf, size_t len, size_t *pkt_len,
    const char **errp)
{
	struct hdr h;
	int r = hdr_parse(buf, len, &h, errp);

	if (r == 1)
		*pkt_len = h.hlen + h.tlen;
	return r;
}

struct dec {
	const uint8_t *start, *p, *end;
	size_t nvals;
	char *err;
	size_t errlen;
};

static int
dec_fail(struct dec *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(d->err, d->errlen, "byte %zu: ", (size_t)(d->p - d->start));
	if (n < 0 || (size_t)n >= d->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
wire_name(int type)
{
	static const char *names[] = { "int", "string", "double", "struct",
		"array", "member name", "bytes" };

	return type >= 0 && type <= W_BYTES ? names[type] : "unknown";
}

/* Reads a record header: its type, length and whether the S bit made it
 * an end mark (for structs and arrays). */
static int
dec_head(struct dec *d, int *type, size_t *len, int *end_tag)
{
	unsigned size;

	if (d->p >= d->end)
		return dec_fail(d, "value expected, packet ends");
	*type = *d->p & 0xf;
	size = *d->p >> 4;
	d->p++;
	*end_tag = 0;
	if (*type == W_DOUBLE || (size & 8) == 0) {
		*len = size;
		return 0;
	}
	*end_tag = 1;
	size &= 7;
	if (size > 4)
		return dec_fail(d, "%u-byte length of a %s", size,
		    wire_name(*type));
	if ((size_t)(d->end - d->p) < size)
		return dec_fail(d, "length of a %s runs past the end",
		    wire_name(*type));
	for (*len = 0; size > 0; size--)
		*len = *len << 8 | *d->p++;
	return 0;
}

static char *
dec_copy(const uint8_t *p, size_t len)
{
	char *s = xmalloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static uint64_t
dec_uint(const uint8_t *p, size_t len)
{
	uint64_t u = 0;

	while (len-- > 0)
		u = u << 8 | *p++;
	return u;
}

static int dec_list(struct dec *, struct binrpc_val *, int, int);

static int
dec_value(struct dec *d, struct binrpc_val *v, int depth)
{
	size_t len;
	int type, end_tag;
	const uint8_t *at = d->p;

	if (++d->nvals > BINRPC_MAX_VALUES)
		return dec_fail(d, "more than %d values", BINRPC_MAX_VALUES);
	if (dec_head(d, &type, &len, &end_tag) == -1)
		return -1;
	if (type == W_STRUCT || type == W_ARRAY) {
		if (end_tag) {
			d->p = at;
			return dec_fail(d, "%s end without a start",
			    wire_name(type));
		}
		if (depth >= BINRPC_MAX_DEPTH)
			return dec_fail(d, "nested deeper than %d",
			    BINRPC_MAX_DEPTH);
		v->type = type == W_STRUCT ? BINRPC_STRUCT : BINRPC_ARRAY;
		return dec_list(d, v, type, depth + 1);
	}
	if (len > (size_t)(d->end - d->p)) {
		d->p = at;
		return dec_fail(d, "%s of %zu bytes runs past the end",
		    wire_name(type), len);
	}
	switch (type) {
	case W_INT:
		if (len > 8)
			return dec_fail(d, "%zu-byte int", len);
		/* ctl writes 32-bit ints: four bytes are a signed int */
		v->type = BINRPC_INT;
		v->u.i = len <= 4 ? (int32_t)(uint32_t)dec_uint(d->p, len) :
		    (int64_t)dec_uint(d->p, len);
		break;
	case W_DOUBLE:
		if (len > 8)
			return dec_fail(d, "%zu-byte double", len);
		v->type = BINRPC_DOUBLE;
		v->u.d = (double)(int64_t)dec_uint(d->p, len) / 1000.0;
		break;
	case W_STR:
	case W_BYTES:
		v->type = type == W_STR ? BINRPC_STR : BINRPC_BYTES;
		v->u.str.len = len;
		if (type == W_STR && len > 0 && d->p[len - 1] == '\0')
			v->u.str.len--;
		v->u.str.s = dec_copy(d->p, v->u.str.len);
		break;
	case W_AVP:
		d->p = at;
		return dec_fail(d, "member name outside a struct");
	default:
		d->p = at;
		return dec_fail(d, "unknown value type %d", type);
	}
	d->p += len;
	return 0;
}

/* Values up to the end mark of `type`, or to the end of the packet for
 * the top level (type -1). */
static int
dec_list(struct dec *d, struct binrpc_val *v, int type, int depth)
{
	size_t cap = 0, len;
	int t, end_tag;

	v->u.list.v = NULL;
	v->u.list.n = 0;
	for (;;) {
		struct binrpc_val *m;

		if (d->p >= d->end) {
			if (type == -1)
				return 0;
			return dec_fail(d, "%s not closed", wire_name(type));
		}
		t = *d->p & 0xf;
		if ((t == W_STRUCT || t == W_ARRAY) && (*d->p & 0x80)) {
			if (type == -1)
				return dec_fail(d, "%s end without a start",
				    wire_name(t));
			if (t != type)
				return dec_fail(d, "%s end inside %s",
				    wire_name(t), wire_name(type));
			return dec_head(d, &t, &len, &end_tag);
		}
		if (v->u.list.n == cap) {
			cap = cap ? cap * 2 : 4;
			v->u.list.v = xreallocarray(v->u.list.v, cap,
			    sizeof(*v->u.list.v));
		}
		m = &v->u.list.v[v->u.list.n++];
		memset(m, 0, sizeof(*m));
		if (t == W_AVP) {
			const uint8_t *at = d->p;

			if (type != W_STRUCT)
				return dec_fail(d, "member name outside a "
				    "struct");
			if (dec_head(d, &t, &len, &end_tag) == -1)
				return -1;
			if (len > (size_t)(d->end - d->p)) {
				d->p = at;
				return dec_fail(d, "member name of %zu bytes "
				    "runs past the end", len);
			}
			m->name = dec_copy(d->p, len > 0 && d->p[len - 1] ==
			    '\0' ? len - 1 : len);
			d->p += len;
			t = d->p < d->end ? *d->p & 0xf : -1;
			if (t == W_AVP || ((t == W_STRUCT || t == W_ARRAY) &&
			    (*d->p & 0x80)))
				return dec_fail(d, "member \"%s\" has no value",
				    m->name);
		}
		if (dec_value(d, m, depth) == -1)
			return -1;
	}
}

static void
val_clear(struct binrpc_val *v)
{
	size_t i;

	free(v->name);
	switch (v->type) {
	case BINRPC_STR:
	case BINRPC_BYTES:
		free(v->u.str.s);
		break;
	case BINRPC_STRUCT:
	case BINRPC_ARRAY:
		for (i = 0; i < v->u.list.n; i++)
			val_clear(&v->u.list.v[i]);
		free(v->u.list.v);
		break;
	default:
		break;
	}
}

void
binrpc_reply_free(struct binrpc_reply *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nvals; i++)
		val_clear(&r->vals[i]);
	free(r->vals);
	free(r->fault_msg);
	free(r);
}

struct binrpc_reply *
binrpc_reply_decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct binrpc_reply *r;
	struct binrpc_val top;
	struct dec d;
	struct hdr h;
	const char *e = "truncated binrpc header";
	char dummy[1];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (hdr_parse(buf, len, &h, &e) != 1) {
		snprintf(err, errlen, "%s", e);
		return NULL;
	}
	if (h.type == BINRPC_T_REQ) {
		snprintf(err, errlen, "a request where a reply was expected");
		return NULL;
	}
	if (len - h.hlen < h.tlen) {
		snprintf(err, errlen, "truncated: %zu of %zu bytes",
		    len, h.hlen + h.tlen);
		return NULL;
	}
	if (len - h.hlen > h.tlen) {
		snprintf(err, errlen, "%zu bytes after the end of the packet",
		    len - h.hlen - h.tlen);
		return NULL;
	}
	d.start = buf;
	d.p = buf + h.hlen;
	d.end = d.p + h.tlen;
	d.nvals = 0;
	d.err = err;
	d.errlen = errlen;
	memset(&top, 0, sizeof(top));
	top.type = BINRPC_ARRAY;
	r = xcalloc(1, sizeof(*r));
	r->cookie = h.cookie;
	if (dec_list(&d, &top, -1, 0) == -1) {
		val_clear(&top);
		free(r);
		return NULL;
	}
	r->vals = top.u.list.v;
	r->nvals = top.u.list.n;
	if (h.type == BINRPC_T_FAULT) {
		r->fault = 1;
		if (r->nvals < 1 || r->vals[0].type != BINRPC_INT) {
			snprintf(err, errlen, "fault reply without a code");
			binrpc_reply_free(r);
			return NULL;
		}
		r->fault_code = (int)r->vals[0].u.i;
		r->fault_msg = xstrdup(r->nvals > 1 &&
		    r->vals[1].type == BINRPC_STR ? r->vals[1].u.str.s : "");
	}
	return r;
}

/* ---- lookups ---- */

const struct binrpc_val *
binrpc_member(const struct binrpc_val *st, const char *name)
{
	size_t i;

	if (st == NULL || st->type != BINRPC_STRUCT)
		return NULL;
	for (i = 0; i < st->u.list.n; i++)
		if (st->u.list.v[i].name != NULL &&
		    strcmp(st->u.list.v[i].name, name) == 0)
			return &st->u.list.v[i];
	return NULL;
}

int
binrpc_val_int(const struct binrpc_val *v, int64_t *out)
{
	if (v->type == BINRPC_INT) {
		*out = v->u.i;
		return 0;
	}
	if (v->type == BINRPC_DOUBLE && v->u.d < 9e15 && v->u.d > -9e15 &&
	    v->u.d == (double)(int64_t)v->u.d) {
		*out = (int64_t)v->u.d;
		return 0;
	}
	return -1;
}

int
binrpc_val_size(const struct binrpc_val *v, uint64_t *out)
{
	int64_t i;

	if (binrpc_val_int(v, &i) == -1)
		return -1;
	if (i < 0 && i >= INT32_MIN && v->type == BINRPC_INT)
		i += (int64_t)1 << 32;
	if (i < 0)
		return -1;
	*out = (uint64_t)i;
	return 0;
}

int
binrpc_member_int(const struct binrpc_val *st, const char *name,
    int64_t *out)
{
	const struct binrpc_val *v = binrpc_member(st, name);

	return v != NULL ? binrpc_val_int(v, out) : -1;
}

int
binrpc_member_size(const struct binrpc_val *st, const char *name,
    uint64_t *out)
{
	const struct binrpc_val *v = binrpc_member(st, name);

	return v != NULL ? binrpc_val_size(v, out) : -1;
}

const char *
binrpc_member_str(const struct binrpc_val *st, const char *name)
{
	const struct binrpc_val *v = binrpc_member(st, name);

	return v != NULL && v->type == BINRPC_STR ? v->u.str.s : NULL;
}

const char *
binrpc_type_name(enum binrpc_type t)
{
	switch (t) {
	case BINRPC_INT:
		return "int";
	case BINRPC_STR:
		return "string";
	case BINRPC_DOUBLE:
		return "double";
	case BINRPC_STRUCT:
		return "struct";
	case BINRPC_ARRAY:
		return "array";
	case BINRPC_BYTES:
		return "bytes";
	}
	return "unknown";
}
