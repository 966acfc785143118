/*
 * JSON view of a decoded binrpc reply (binrpc.h says the shape), for the
 * tests and for --json.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "proxy/binrpc.h"

/* Length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t
utf8_seq(const unsigned char *p, size_t left)
{
	unsigned c = p[0], min, cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Kamailio strings are bytes; JSON needs UTF-8: bad bytes become U+FFFD. */
static json_t *
json_bytes(const char *s, size_t len)
{
	char *out = xreallocarray(NULL, len + 1, 3);
	size_t i = 0, o = 0, n;
	json_t *j;

	while (i < len) {
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	j = json_stringn(out, o);
	free(out);
	return j;
}

static json_t *
json_key_set(json_t *obj, const char *name, json_t *val)
{
	json_t *k = json_bytes(name, strlen(name));
	const char *ks = json_string_value(k);

	json_object_set_new(obj, ks != NULL ? ks : "?", val);
	json_decref(k);
	return obj;
}

static json_t *
json_list(const struct binrpc_val *v)
{
	json_t *obj = NULL, *arr;
	size_t i;

	if (v->type == BINRPC_STRUCT) {
		obj = json_object();
		for (i = 0; i < v->u.list.n; i++) {
			const struct binrpc_val *m = &v->u.list.v[i];
			size_t before = json_object_size(obj);

			if (m->name == NULL)
				break;
			json_key_set(obj, m->name, binrpc_val_json(m));
			if (json_object_size(obj) == before)
				break;	/* a repeated name */
		}
		if (i == v->u.list.n)
			return obj;
		json_decref(obj);
	}
	arr = json_array();
	for (i = 0; i < v->u.list.n; i++) {
		const struct binrpc_val *m = &v->u.list.v[i];

		if (m->name != NULL)
			json_array_append_new(arr, json_key_set(json_object(),
			    m->name, binrpc_val_json(m)));
		else
			json_array_append_new(arr, binrpc_val_json(m));
	}
	return arr;
}

json_t *
binrpc_val_json(const struct binrpc_val *v)
{
	switch (v->type) {
	case BINRPC_INT:
		return json_integer(v->u.i);
	case BINRPC_DOUBLE:
		return json_real(v->u.d);
	case BINRPC_STR:
	case BINRPC_BYTES:
		return json_bytes(v->u.str.s, v->u.str.len);
	case BINRPC_STRUCT:
	case BINRPC_ARRAY:
		return json_list(v);
	}
	return json_null();
}

json_t *
binrpc_reply_json(const struct binrpc_reply *r)
{
	json_t *arr;
	size_t i;

	if (r->fault)
		return json_pack("{s:{s:i,s:o}}", "fault", "code", r->fault_code,
		    "message", json_bytes(r->fault_msg, strlen(r->fault_msg)));
	arr = json_array();
	for (i = 0; i < r->nvals; i++)
		json_array_append_new(arr, binrpc_val_json(&r->vals[i]));
	return arr;
}
