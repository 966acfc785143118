/*
 * Unit tests of SIP message building, digest authorization, the checks
 * on messages from the network, and the call mix and statistics. No
 * network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osipparser2/osip_parser.h>

#include "callstat.h"
#include "sipmsg.h"

static osip_message_t *
parse(const char *text)
{
	osip_message_t *m;

	assert_int_equal(osip_message_init(&m), 0);
	if (osip_message_parse(m, text, strlen(text)) != 0) {
		osip_message_free(m);
		return NULL;
	}
	return m;
}

static char *
header_value(osip_message_t *m, const char *name)
{
	char *s;
	size_t len;
	char *p, *end, *out;

	assert_int_equal(osip_message_to_str(m, &s, &len), 0);
	p = strstr(s, name);
	assert_non_null(p);
	p += strlen(name);
	end = strstr(p, "\r\n");
	out = strndup(p, (size_t)(end - p));
	osip_free(s);
	return out;
}

static const struct sipmsg_req base_req = {
	.method = "INVITE",
	.ruri = "sip:uas@127.0.0.1:5062",
	.from = "<sip:memdiag@127.0.0.1>;tag=abc",
	.to = "<sip:uas@127.0.0.1:5062>",
	.call_id = "md1-1",
	.cseq = 7,
	.via_host = "127.0.0.1",
	.via_port = 5062,
	.branch = "z9hG4bKtest1",
	.contact = "sip:uac@127.0.0.1:5062",
	.content_type = "application/sdp",
	.body = "v=0\r\n",
	.body_len = 5,
};

static void
test_request(void **state)
{
	osip_message_t *m = sipmsg_request_new(&base_req);
	char buf[64];

	(void)state;
	assert_non_null(m);
	assert_null(sipmsg_check(m));
	assert_string_equal(m->sip_method, "INVITE");
	assert_string_equal(m->cseq->number, "7");
	assert_string_equal(sipmsg_call_id(m->call_id, buf, sizeof(buf)),
	    "md1-1");
	assert_int_equal(osip_list_size(&m->bodies), 1);
	osip_message_free(m);
}

static void
test_response(void **state)
{
	osip_message_t *req, *resp;
	osip_generic_param_t *tag = NULL;
	struct sipmsg_req r = base_req;

	(void)state;
	r.route = NULL;
	req = sipmsg_request_new(&r);
	assert_non_null(req);
	osip_message_set_record_route(req, "<sip:10.0.0.1;lr>");
	osip_message_set_record_route(req, "<sip:10.0.0.2;lr>");
	resp = sipmsg_response_new(req, 200, "OK", "uastag",
	    "sip:uas@127.0.0.1:5062");
	assert_non_null(resp);
	assert_null(sipmsg_check(resp));
	assert_int_equal(resp->status_code, 200);
	assert_int_equal(osip_to_get_tag(resp->to, &tag), 0);
	assert_string_equal(tag->gvalue, "uastag");
	assert_int_equal(osip_list_size(&resp->record_routes), 2);
	osip_message_free(resp);
	/* no Record-Route in a 486, no second tag once the To has one */
	resp = sipmsg_response_new(req, 486, "Busy Here", "t", NULL);
	assert_int_equal(osip_list_size(&resp->record_routes), 0);
	osip_message_free(resp);
	osip_message_free(req);
}

static void
test_indialog(void **state)
{
	osip_message_t *resp, *bye;
	char *route;

	(void)state;
	resp = parse("SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\n"
	    "Record-Route: <sip:10.0.0.1;lr>\r\n"
	    "Record-Route: <sip:10.0.0.2;lr>\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	    "Call-ID: abc@host\r\nCSeq: 3 INVITE\r\n"
	    "Contact: <sip:uas@192.0.2.9:5099>\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(resp);
	bye = sipmsg_indialog_new(resp, "BYE", 4, "127.0.0.1", 5062,
	    "z9hG4bKbye");
	assert_non_null(bye);
	assert_null(sipmsg_check(bye));
	assert_string_equal(bye->req_uri->host, "192.0.2.9");
	route = header_value(bye, "Route: ");
	assert_string_equal(route, "<sip:10.0.0.2;lr>");	/* reversed */
	free(route);
	assert_string_equal(bye->cseq->method, "BYE");
	assert_string_equal(bye->cseq->number, "4");
	osip_message_free(bye);
	/* a 2xx without Contact gives nothing to send to */
	osip_message_free(resp);
	resp = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	    "Call-ID: abc\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_null(sipmsg_indialog_new(resp, "ACK", 3, "h", 1, "z9hG4bKa"));
	osip_message_free(resp);
}

static void
test_digest_vectors(void **state)
{
	char out[33];

	(void)state;
	/* RFC 2617 3.5 (the MD5 of its example, with qop=auth) */
	sipmsg_digest_response("Mufasa", "testrealm@host.com",
	    "Circle Of Life", "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
	    "auth", out);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	/* RFC 2069 form, no qop */
	sipmsg_digest_response("Mufasa", "testrealm@host.com",
	    "CircleOfLife", "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL, out);
	assert_string_equal(out, "1949323746fe6a43ef61f9606e7febea");
}

/* value of name="value" in a header line */
static void
param(const char *line, const char *name, char *out, size_t len)
{
	char key[32];
	const char *p, *end;

	snprintf(key, sizeof(key), "%s=\"", name);
	p = strstr(line, key);
	assert_non_null(p);
	p += strlen(key);
	end = strchr(p, '"');
	snprintf(out, len, "%.*s", (int)(end - p), p);
}

static void
test_authorization(void **state)
{
	osip_message_t *resp;
	char *line, cnonce[64], resp_hex[64], want[33];

	(void)state;
	resp = parse("SIP/2.0 407 Proxy Authentication Required\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	    "Call-ID: abc\r\nCSeq: 1 INVITE\r\n"
	    "Proxy-Authenticate: Digest realm=\"r.example\", "
	    "nonce=\"n123\", opaque=\"op\", qop=\"auth,auth-int\", "
	    "algorithm=MD5\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(resp);
	line = sipmsg_authorization_new(resp, "INVITE", "sip:x@y", "memdiag",
	    "secret");
	assert_non_null(line);
	assert_non_null(strstr(line, "Proxy-Authorization: Digest "));
	assert_non_null(strstr(line, "qop=auth,"));
	assert_non_null(strstr(line, "opaque=\"op\""));
	assert_non_null(strstr(line, "uri=\"sip:x@y\""));
	param(line, "cnonce", cnonce, sizeof(cnonce));
	param(line, "response", resp_hex, sizeof(resp_hex));
	sipmsg_digest_response("memdiag", "r.example", "secret", "INVITE",
	    "sip:x@y", "n123", "00000001", cnonce, "auth", want);
	assert_string_equal(resp_hex, want);
	free(line);
	osip_message_free(resp);
	/* an algorithm memdiag does not speak */
	resp = parse("SIP/2.0 401 Unauthorized\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	    "Call-ID: abc\r\nCSeq: 1 REGISTER\r\n"
	    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
	    "algorithm=SHA-256\r\nContent-Length: 0\r\n\r\n");
	assert_null(sipmsg_authorization_new(resp, "REGISTER", "sip:y",
	    "u", "p"));
	osip_message_free(resp);
}

static void
test_check(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "INVITE sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
		    "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "not SIP/2.0" },
		{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
		    "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "CSeq: 1 INVITE\r\n\r\n", "no Call-ID" },
		{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
		    "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: 1 BYE\r\n\r\n",
		    "CSeq method differs from the request's" },
		{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
		    "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		    "Via without branch" },
		{ "INVITE sip:a@b SIP/2.0\r\n"
		    "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "no Via" },
		{ "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
		    "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 500\r\n"
		    "\r\nshort", "Content-Length beyond the body" },
		{ "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1"
		    "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		    "Call-ID: x\r\nCSeq: x MESSAGE\r\n\r\n", "bad CSeq" },
	};
	size_t i, checked = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		osip_message_t *m = parse(bad[i].text);

		if (m == NULL)
			continue;	/* refused by the parser: fine too */
		checked++;
		assert_non_null(sipmsg_check(m));
		assert_string_equal(sipmsg_check(m), bad[i].why);
		osip_message_free(m);
	}
	/* osip2 is lenient: these reach the checks, which must catch them */
	assert_true(checked >= 6);
}

static void
test_mix(void **state)
{
	struct callstat_mix m;
	char err[128], buf[128];
	int count[CALL_NFLOWS] = { 0 }, i;

	(void)state;
	assert_int_equal(callstat_mix_parse(&m, NULL, err, sizeof(err)), 0);
	assert_string_equal(callstat_mix_format(&m, buf, sizeof(buf)), "ok:1");
	assert_int_equal(callstat_mix_parse(&m, "ok:3,busy", err,
	    sizeof(err)), 0);
	for (i = 0; i < 8; i++)
		count[callstat_mix_next(&m)]++;
	assert_int_equal(count[CALL_FLOW_OK], 6);
	assert_int_equal(count[CALL_FLOW_BUSY], 2);
	assert_string_equal(callstat_mix_format(&m, buf, sizeof(buf)),
	    "ok:3,busy:1");
	assert_int_equal(callstat_mix_parse(&m, "ok,nosuch", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "nosuch"));
	assert_int_equal(callstat_mix_parse(&m, "ok:x", err, sizeof(err)),
	    -1);
	assert_int_equal(callstat_mix_parse(&m, "ok:0", err, sizeof(err)), -1);
	assert_int_equal(callstat_mix_parse(&m, "", err, sizeof(err)), -1);
}

static void
test_stat(void **state)
{
	struct callstat s;
	struct callstat_totals t;
	struct callstat_mix m;
	char err[64];
	json_t *j;
	int i;

	(void)state;
	callstat_init(&s);
	for (i = 1; i <= 100; i++) {
		callstat_placed(&s, CALL_FLOW_OK);
		callstat_latency(&s, (double)(101 - i));
		callstat_outcome(&s, CALL_FLOW_OK, i <= 97 ? CALLSTAT_COMPLETED :
		    i <= 99 ? CALLSTAT_FAILED : CALLSTAT_TIMEOUT, 503);
	}
	callstat_totals(&s, &t);
	assert_int_equal(t.placed, 100);
	assert_int_equal(t.completed, 97);
	assert_int_equal(t.failed, 2);
	assert_int_equal(t.timeout, 1);
	assert_true(t.min == 1 && t.max == 100 && t.p50 == 50 && t.p99 == 99);
	callstat_mix_parse(&m, "ok", err, sizeof(err));
	j = callstat_json(&s, &m);
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(j, "failed"), "503")), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(json_object_get(j, "flows"), "ok"), "timeout")), 1);
	json_decref(j);
	callstat_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_indialog),
		cmocka_unit_test(test_digest_vectors),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_mix),
		cmocka_unit_test(test_stat),
	};

	parser_init();
	return cmocka_run_group_tests_name("sipmsg", tests, NULL, NULL);
}
