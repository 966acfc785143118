/*
 * binrpc encoder and decoder: wire bytes as Kamailio's ctl writes them,
 * round trips, every reply captured from a real Kamailio, and hand-made
 * malformed packets that must be refused with a reason, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/binrpc.h"

#define CORPUS FIXTURES "/../fuzz/corpus/binrpc"

static struct binrpc_reply *
decode_body(int type, const struct binrpc_buf *body, char *err, size_t errlen)
{
	size_t len;
	uint8_t *pkt = binrpc_packet(type, 0x1234, body, &len);
	struct binrpc_reply *r = binrpc_reply_decode(pkt, len, err, errlen);

	free(pkt);
	return r;
}

/* Decoding must fail, and the reason must mention `why`. */
static void
assert_refused(const uint8_t *pkt, size_t len, const char *why)
{
	char err[256];
	struct binrpc_reply *r = binrpc_reply_decode(pkt, len, err,
	    sizeof(err));

	if (r != NULL)
		fail_msg("decoded, wanted refusal \"%s\"", why);
	if (strstr(err, why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, why);
}

static void
assert_body_refused(const struct binrpc_buf *body, const char *why)
{
	size_t len;
	uint8_t *pkt = binrpc_packet(1, 7, body, &len);

	assert_refused(pkt, len, why);
	free(pkt);
}

static void
test_request_bytes(void **state)
{
	/* kamcmd's bytes for "cfg.set_now_int core memlog -1", cookie
	 * 0x1234: the method is 15 chars + NUL (a length byte), "core" and
	 * "memlog" fit the record header, -1 takes 4 bytes */
	static const uint8_t want[] = {
		0xa1, 0x01, 0x25, 0x12, 0x34,
		0x91, 0x10, 'c', 'f', 'g', '.', 's', 'e', 't', '_', 'n', 'o',
		'w', '_', 'i', 'n', 't', 0,
		0x51, 'c', 'o', 'r', 'e', 0,
		0x71, 'm', 'e', 'm', 'l', 'o', 'g', 0,
		0x40, 0xff, 0xff, 0xff, 0xff,
	};
	struct binrpc_req *req = binrpc_req_new("cfg.set_now_int");
	uint8_t *pkt;
	size_t len;

	(void)state;
	binrpc_req_add_str(req, "core");
	binrpc_req_add_str(req, "memlog");
	binrpc_req_add_int(req, -1);
	assert_string_equal(binrpc_req_method(req), "cfg.set_now_int");
	pkt = binrpc_req_encode(req, 0x1234, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(pkt, want, sizeof(want));
	free(pkt);
	binrpc_req_free(req);
}

static void
test_scalars(void **state)
{
	static const int32_t ints[] = { 0, 1, 255, 256, 65535, 0x7fffffff,
		-1, INT32_MIN };
	static const double dbls[] = { 0, 1.5, -2.25, 123456.789, 1e12 };
	struct binrpc_buf b = { NULL, 0, 0 };
	struct binrpc_reply *r;
	char big[300], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		binrpc_put_int(&b, ints[i]);
	for (i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++)
		binrpc_put_double(&b, dbls[i]);
	memset(big, 'x', sizeof(big));
	binrpc_put_str(&b, "", 0);
	binrpc_put_str(&b, "abcdef", 6);	/* 7 with NUL: header size */
	binrpc_put_str(&b, "abcdefg", 7);	/* 8: a length byte */
	binrpc_put_str(&b, big, sizeof(big));	/* 301: two length bytes */
	binrpc_put_str(&b, "a\0b", 3);
	binrpc_put_bytes(&b, "\x01\x02", 2);
	r = decode_body(1, &b, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(r->cookie, 0x1234);
	assert_false(r->fault);
	assert_int_equal(r->nvals, 8 + 5 + 6);
	for (i = 0; i < 8; i++) {
		assert_int_equal(r->vals[i].type, BINRPC_INT);
		assert_true(r->vals[i].u.i == ints[i]);
	}
	for (i = 0; i < 5; i++) {
		assert_int_equal(r->vals[8 + i].type, BINRPC_DOUBLE);
		assert_true(r->vals[8 + i].u.d == dbls[i]);
	}
	assert_int_equal(r->vals[13].u.str.len, 0);
	assert_string_equal(r->vals[14].u.str.s, "abcdef");
	assert_string_equal(r->vals[15].u.str.s, "abcdefg");
	assert_int_equal(r->vals[16].u.str.len, sizeof(big));
	assert_int_equal(r->vals[17].u.str.len, 3);
	assert_memory_equal(r->vals[17].u.str.s, "a\0b", 3);
	assert_int_equal(r->vals[18].type, BINRPC_BYTES);
	assert_int_equal(r->vals[18].u.str.len, 2);
	binrpc_reply_free(r);
	binrpc_buf_reset(&b);
}

/* ctl's array ("[") is a struct of unnamed values; names may repeat. */
static void
test_tree_and_json(void **state)
{
	struct binrpc_buf b = { NULL, 0, 0 };
	struct binrpc_reply *r;
	const struct binrpc_val *st;
	json_t *j;
	char *s, err[128];
	int64_t i;
	uint64_t u;

	(void)state;
	binrpc_put_start(&b, BINRPC_STRUCT);
	binrpc_put_name(&b, "total");
	binrpc_put_int(&b, -2);	/* 4294967294 as a size */
	binrpc_put_name(&b, "desc");
	binrpc_put_str(&b, "bad \xff byte", 10);
	binrpc_put_name(&b, "sets");
	binrpc_put_start(&b, BINRPC_STRUCT);
	binrpc_put_name(&b, "SET");
	binrpc_put_int(&b, 1);
	binrpc_put_name(&b, "SET");
	binrpc_put_int(&b, 2);
	binrpc_put_end(&b, BINRPC_STRUCT);
	binrpc_put_name(&b, "list");
	binrpc_put_start(&b, BINRPC_STRUCT);
	binrpc_put_str(&b, "a", 1);
	binrpc_put_double(&b, 0.5);
	binrpc_put_end(&b, BINRPC_STRUCT);
	binrpc_put_end(&b, BINRPC_STRUCT);
	binrpc_put_start(&b, BINRPC_ARRAY);
	binrpc_put_int(&b, 7);
	binrpc_put_end(&b, BINRPC_ARRAY);
	r = decode_body(1, &b, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(r->nvals, 2);
	st = &r->vals[0];
	assert_int_equal(st->type, BINRPC_STRUCT);
	assert_int_equal(binrpc_member_int(st, "total", &i), 0);
	assert_true(i == -2);
	assert_int_equal(binrpc_member_size(st, "total", &u), 0);
	assert_true(u == 4294967294u);
	assert_int_equal(binrpc_member_int(st, "nothere", &i), -1);
	assert_int_equal(binrpc_member_int(st, "desc", &i), -1);
	assert_null(binrpc_member_str(st, "total"));
	assert_int_equal(binrpc_member(st, "sets")->u.list.n, 2);

	j = binrpc_reply_json(r);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "[{\"total\":-2,\"desc\":\"bad \xef\xbf\xbd "
	    "byte\",\"sets\":[{\"SET\":1},{\"SET\":2}],\"list\":[\"a\",0.5]},"
	    "[7]]");
	free(s);
	json_decref(j);
	binrpc_reply_free(r);
	binrpc_buf_reset(&b);
}

static void
test_fault(void **state)
{
	struct binrpc_buf b = { NULL, 0, 0 };
	struct binrpc_reply *r;
	json_t *j;
	char *s, err[128];

	(void)state;
	binrpc_put_int(&b, 500);
	binrpc_put_str(&b, "command core.nope not found", 27);
	r = decode_body(3, &b, err, sizeof(err));
	assert_non_null(r);
	assert_true(r->fault);
	assert_int_equal(r->fault_code, 500);
	assert_string_equal(r->fault_msg, "command core.nope not found");
	j = binrpc_reply_json(r);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"fault\":{\"code\":500,\"message\":"
	    "\"command core.nope not found\"}}");
	free(s);
	json_decref(j);
	binrpc_reply_free(r);

	/* a fault must start with its code */
	binrpc_buf_reset(&b);
	binrpc_put_str(&b, "oops", 4);
	assert_null(decode_body(3, &b, err, sizeof(err)));
	assert_non_null(strstr(err, "without a code"));
	binrpc_buf_reset(&b);
}

static void
test_frame(void **state)
{
	static const uint8_t hdr[] = { 0xa1, 0x14, 0x01, 0x00, 0x07 };
	static const uint8_t huge[] = { 0xa1, 0x1c, 0x7f, 0xff, 0xff, 0xff,
		0x07 };
	const char *e;
	size_t len = 0;

	(void)state;
	assert_int_equal(binrpc_frame(hdr, 0, &len, &e), 0);
	assert_int_equal(binrpc_frame(hdr, 1, &len, &e), 0);
	assert_int_equal(binrpc_frame(hdr, 4, &len, &e), 0);
	assert_int_equal(binrpc_frame(hdr, 5, &len, &e), 1);
	assert_int_equal(len, 5 + 256);
	assert_int_equal(binrpc_frame(huge, sizeof(huge), &len, &e), -1);
	assert_int_equal(binrpc_frame((const uint8_t *)"HTTP", 4, &len, &e),
	    -1);
}

static void
test_malformed_headers(void **state)
{
	static const uint8_t ok_empty[] = { 0xa1, 0x10, 0x00, 0x07 };
	static const uint8_t magic[] = { 0x47, 0x45, 0x54, 0x20 };
	static const uint8_t vers[] = { 0xa2, 0x10, 0x00, 0x07 };
	static const uint8_t ptype[] = { 0xa1, 0x70, 0x00, 0x07 };
	static const uint8_t req[] = { 0xa1, 0x00, 0x00, 0x07 };
	static const uint8_t trunc[] = { 0xa1, 0x10, 0x02, 0x07, 0x00 };
	static const uint8_t extra[] = { 0xa1, 0x10, 0x00, 0x07, 0x00 };
	static const uint8_t short_hdr[] = { 0xa1, 0x1f, 0x00 };
	struct binrpc_reply *r;
	char err[128];

	(void)state;
	/* an empty reply is what a method that adds nothing sends */
	r = binrpc_reply_decode(ok_empty, sizeof(ok_empty), err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(r->nvals, 0);
	binrpc_reply_free(r);
	assert_refused(magic, sizeof(magic), "not a binrpc packet");
	assert_refused(vers, sizeof(vers), "version");
	assert_refused(ptype, sizeof(ptype), "packet type");
	assert_refused(req, sizeof(req), "a request");
	assert_refused(trunc, sizeof(trunc), "truncated");
	assert_refused(extra, sizeof(extra), "after the end");
	assert_refused(short_hdr, sizeof(short_hdr), "header");
	assert_refused(NULL, 0, "header");
	assert_null(binrpc_reply_decode(magic, sizeof(magic), NULL, 0));
}

static void
test_malformed_bodies(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *why;
	} cases[] = {
		{ "\x03\x10\x01", 3, "struct not closed" },
		{ "\x83", 1, "struct end without a start" },
		{ "\x03\x84", 2, "array end inside struct" },
		{ "\x04\x83", 2, "struct end inside array" },
		{ "\x25x\0\x10\x01", 5, "member name outside a struct" },
		{ "\x04\x25x\0\x10\x01\x84", 7, "member name outside" },
		{ "\x03\x25x\0\x25y\0\x10\x01\x83", 10, "has no value" },
		{ "\x03\x25x\0\x83", 5, "has no value" },
		{ "\x03\x25x\0", 4, "packet ends" },
		{ "\x07", 1, "unknown value type 7" },
		{ "\x0f", 1, "unknown value type 15" },
		{ "\x90\x09" "123456789", 11, "9-byte int" },
		{ "\xf2" "123456789012345", 16, "15-byte double" },
		{ "\xd1\x00\x00\x00\x00\x05hello", 11, "5-byte length" },
		{ "\x91\x40hello", 7, "runs past the end" },
		{ "\x91", 1, "length of a string runs past" },
		{ "\x41" "ab", 3, "runs past the end" },
		{ "\x40\xff", 2, "runs past the end" },
		{ "\x03\x95\x40x", 4, "member name of 64 bytes" },
	};
	struct binrpc_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		binrpc_buf_reset(&b);
		b.data = malloc(cases[i].len);
		memcpy(b.data, cases[i].bytes, cases[i].len);
		b.len = b.cap = cases[i].len;
		assert_body_refused(&b, cases[i].why);
	}
	binrpc_buf_reset(&b);
}

static void
test_limits(void **state)
{
	struct binrpc_buf b = { NULL, 0, 0 };
	struct binrpc_reply *r;
	char err[128];
	int i;

	(void)state;
	for (i = 0; i < BINRPC_MAX_DEPTH; i++)
		binrpc_put_start(&b, BINRPC_ARRAY);
	for (i = 0; i < BINRPC_MAX_DEPTH; i++)
		binrpc_put_end(&b, BINRPC_ARRAY);
	r = decode_body(1, &b, err, sizeof(err));
	assert_non_null(r);
	binrpc_reply_free(r);

	binrpc_buf_reset(&b);
	for (i = 0; i <= BINRPC_MAX_DEPTH; i++)
		binrpc_put_start(&b, BINRPC_ARRAY);
	for (i = 0; i <= BINRPC_MAX_DEPTH; i++)
		binrpc_put_end(&b, BINRPC_ARRAY);
	assert_body_refused(&b, "nested deeper");

	/* every byte 0x00 is an int 0: count values, not bytes */
	binrpc_buf_reset(&b);
	b.data = calloc(BINRPC_MAX_VALUES + 1, 1);
	b.len = b.cap = BINRPC_MAX_VALUES;
	r = decode_body(1, &b, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(r->nvals, BINRPC_MAX_VALUES);
	binrpc_reply_free(r);
	b.len = BINRPC_MAX_VALUES + 1;
	assert_body_refused(&b, "more than");
	binrpc_buf_reset(&b);
}

static uint8_t *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(BINRPC_MAX_PACKET);

	assert_non_null(f);
	*lenp = fread(buf, 1, BINRPC_MAX_PACKET, f);
	fclose(f);
	return buf;
}

/* Every reply captured from Kamailio 5.6.3 (tests/fuzz/capture-binrpc.sh)
 * decodes, and its bytes say what the capture's name says. */
static void
test_captured(void **state)
{
	static const char *names[] = { "core.shmmem", "core.shmmem_k",
		"pkg.stats", "core.psx", "core.ps", "tm.stats",
		"mod.mem_stats_core_shm", "mod.mem_stats_all_all",
		"mod.mem_statsx_tm_shm", "cfg.get_core_memlog", "cfg.get_core",
		"cfg.set_now_int", "core.version", "core.info", "core.uptime",
		"core.sockets_list", "dispatcher.list", "dispatcher.list_full",
		"fault-no-command", "fault-not-readable", "fault-bad-param",
		"system.listMethods" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *name = names[i];
		char path[1024], err[256];
		struct binrpc_reply *r;
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
		buf = read_file(path, &len);
		r = binrpc_reply_decode(buf, len, err, sizeof(err));
		if (r == NULL)
			fail_msg("%s: %s", name, err);
		assert_int_equal(r->fault, strncmp(name, "fault-", 6) == 0);
		if (strcmp(name, "core.shmmem") == 0) {
			uint64_t total, used;

			assert_int_equal(binrpc_member_size(&r->vals[0],
			    "total", &total), 0);
			assert_int_equal(binrpc_member_size(&r->vals[0],
			    "used", &used), 0);
			assert_true(total == 16 * 1024 * 1024);
			assert_true(used > 0 && used < total);
		}
		if (strcmp(name, "fault-no-command") == 0) {
			assert_int_equal(r->fault_code, 500);
			assert_string_equal(r->fault_msg,
			    "command core.nosuchthing not found");
		}
		if (strcmp(name, "cfg.set_now_int") == 0)
			assert_int_equal(r->nvals, 0);
		if (strcmp(name, "dispatcher.list_full") == 0) {
			json_t *j = binrpc_reply_json(r);
			char *s = json_dumps(j, JSON_COMPACT);

			/* DNSTIME_SEC is an unsigned long: a double */
			assert_non_null(strstr(s, "\"DNSTIME_SEC\":"));
			assert_non_null(strstr(s, "{\"SET\":{\"ID\":"));
			free(s);
			json_decref(j);
		}
		binrpc_reply_free(r);
		free(buf);
	}
}

/* Truncating a real reply anywhere must be refused, not misread. */
static void
test_truncated_captures(void **state)
{
	static const char *names[] = { "pkg.stats", "dispatcher.list_full",
		"mod.mem_stats_all_all" };
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[1024], err[256];
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", CORPUS, names[i]);
		buf = read_file(path, &len);
		for (cut = 0; cut < len; cut++)
			assert_null(binrpc_reply_decode(buf, cut, err,
			    sizeof(err)));
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_tree_and_json),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_malformed_bodies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_captured),
		cmocka_unit_test(test_truncated_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
