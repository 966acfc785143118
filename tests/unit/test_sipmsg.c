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

#include "calls/callstat.h"
#include "calls/sipmsg.h"

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

/* What goes out for m: its whole text, parsed. */
static osip_message_t *
sent(osip_message_t *m)
{
	osip_message_t *w;
	char *s;
	size_t len;

	assert_int_equal(osip_message_to_str(m, &s, &len), 0);
	w = parse(s);
	assert_non_null(w);
	osip_free(s);
	return w;
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
	osip_message_t *m = sipmsg_request_new(&base_req), *w;
	osip_contact_t *ct = NULL;
	osip_header_t *mf = NULL;
	char buf[64];

	(void)state;
	assert_non_null(m);
	/* what a client transaction reads is parsed */
	assert_null(sipmsg_check(m));
	assert_string_equal(m->sip_method, "INVITE");
	assert_string_equal(m->req_uri->host, "127.0.0.1");
	assert_string_equal(m->cseq->number, "7");
	assert_string_equal(sipmsg_call_id(m->call_id, buf, sizeof(buf)),
	    "md1-1");
	/* and the whole message goes out */
	w = sent(m);
	assert_null(sipmsg_check(w));
	assert_string_equal(w->cseq->method, "INVITE");
	assert_int_equal(osip_list_size(&w->bodies), 1);
	assert_string_equal(w->content_length->value, "5");
	assert_int_equal(osip_message_get_contact(w, 0, &ct), 0);
	assert_string_equal(ct->url->username, "uac");
	/* a test call dies within a few hops, never the usual 70 */
	assert_int_equal(osip_message_get_max_forwards(w, 0, &mf), 0);
	assert_string_equal(mf->hvalue, SIPMSG_MAX_FORWARDS);
	osip_message_free(w);
	osip_message_free(m);
}

/* The ping is never forwarded: Max-Forwards 0. */
static void
test_request_max_forwards(void **state)
{
	struct sipmsg_req r = base_req;
	osip_header_t *mf = NULL;
	osip_message_t *m, *w;

	(void)state;
	r.method = "OPTIONS";
	r.max_forwards = "0";
	assert_non_null(m = sipmsg_request_new(&r));
	w = sent(m);
	assert_int_equal(osip_message_get_max_forwards(w, 0, &mf), 0);
	assert_string_equal(mf->hvalue, "0");
	osip_message_free(w);
	osip_message_free(m);
}

static void
test_request_extra(void **state)
{
	struct sipmsg_req r = base_req;
	osip_message_t *m, *w;
	osip_proxy_authorization_t *pa = NULL;
	char *v;

	(void)state;
	r.method = "REGISTER";
	r.body = NULL;
	r.route = "<sip:10.0.0.1;lr>";
	r.extra = "Expires: 60\r\nProxy-Authorization: Digest username=\"u\", "
	    "realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"abc\"\r\n";
	m = sipmsg_request_new(&r);
	assert_non_null(m);
	/* osip2 copies credentials and Route into its ACK for a non-2xx */
	assert_int_equal(osip_list_size(&m->routes), 1);
	assert_int_equal(osip_message_get_proxy_authorization(m, 0, &pa), 0);
	w = sent(m);
	assert_null(sipmsg_check(w));
	v = header_value(m, "Expires: ");
	assert_string_equal(v, "60");
	free(v);
	v = header_value(m, "Content-Length: ");
	assert_string_equal(v, "0");
	free(v);
	osip_message_free(w);
	osip_message_free(m);
}

static void
test_response(void **state)
{
	osip_message_t *req, *resp, *w;
	osip_generic_param_t *tag = NULL;
	osip_contact_t *ct = NULL;
	struct sipmsg_reply rp;
	char *v;

	(void)state;
	req = parse("INVITE sip:uas@127.0.0.1:5062 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKu;rport=5062\r\n"
	    "Record-Route: <sip:10.0.0.1;lr>\r\n"
	    "Record-Route: <sip:10.0.0.2;lr>\r\n"
	    "From: <sip:memdiag@127.0.0.1>;tag=abc\r\n"
	    "To: <sip:uas@127.0.0.1:5062>\r\nCall-ID: md1-1\r\n"
	    "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(req);
	resp = sipmsg_response_new(req, 200, "OK", "uastag",
	    "sip:uas@127.0.0.1:5062");
	assert_non_null(resp);
	/* the transaction reads the status and where the top Via says */
	assert_int_equal(resp->status_code, 200);
	assert_string_equal(((osip_via_t *)osip_list_get(&resp->vias, 0))->port,
	    "5060");
	w = sent(resp);
	assert_null(sipmsg_check(w));
	assert_int_equal(w->status_code, 200);
	assert_int_equal(osip_list_size(&w->vias), 2);
	assert_int_equal(osip_to_get_tag(w->to, &tag), 0);
	assert_string_equal(tag->gvalue, "uastag");
	assert_int_equal(osip_list_size(&w->record_routes), 2);
	assert_int_equal(osip_message_get_contact(w, 0, &ct), 0);
	assert_string_equal(w->cseq->number, "7");
	osip_message_free(w);
	osip_message_free(resp);
	/* no Record-Route in a 486 */
	resp = sipmsg_response_new(req, 486, "Busy Here", "t", NULL);
	w = sent(resp);
	assert_null(sipmsg_check(w));
	assert_int_equal(osip_list_size(&w->record_routes), 0);
	assert_int_equal(osip_list_size(&w->vias), 2);
	osip_message_free(w);
	osip_message_free(resp);
	/* 180 and 200 from one reply: the same headers, one To-tag */
	assert_int_equal(sipmsg_reply_init(&rp, req, "t2"), 0);
	resp = sipmsg_reply_new(&rp, 180, "Ringing", NULL);
	v = header_value(resp, "To: ");
	assert_string_equal(v, "<sip:uas@127.0.0.1:5062>;tag=t2");
	free(v);
	w = sent(resp);
	assert_int_equal(osip_list_size(&w->record_routes), 2);
	assert_int_equal(osip_message_get_contact(w, 0, &ct), -1);
	osip_message_free(w);
	osip_message_free(resp);
	resp = sipmsg_reply_new(&rp, 487, "Request Terminated", NULL);
	w = sent(resp);
	assert_int_equal(w->status_code, 487);
	assert_int_equal(osip_list_size(&w->record_routes), 0);
	assert_int_equal(osip_to_get_tag(w->to, &tag), 0);
	assert_string_equal(tag->gvalue, "t2");
	osip_message_free(w);
	osip_message_free(resp);
	sipmsg_reply_clear(&rp);
	/* no second tag once the To has one */
	osip_to_set_tag(req->to, osip_strdup("old"));
	resp = sipmsg_response_new(req, 200, "OK", "new", NULL);
	v = header_value(resp, "To: ");
	assert_string_equal(v, "<sip:uas@127.0.0.1:5062>;tag=old");
	free(v);
	osip_message_free(resp);
	osip_message_free(req);
}

static void
test_indialog(void **state)
{
	osip_message_t *resp, *bye, *w;
	char *route, *text;
	size_t len;

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
	/* osip2 picks the destination from the parsed Route */
	assert_int_equal(osip_list_size(&bye->routes), 2);
	w = sent(bye);
	assert_null(sipmsg_check(w));
	osip_message_free(w);
	route = header_value(bye, "Max-Forwards: ");
	assert_string_equal(route, SIPMSG_MAX_FORWARDS);
	free(route);
	osip_message_free(bye);
	/* the ACK for the 2xx: the same dialog, as text only */
	text = sipmsg_indialog_text_new(resp, "ACK", 3, "127.0.0.1", 5062,
	    "z9hG4bKack", &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	w = parse(text);
	assert_non_null(w);
	assert_null(sipmsg_check(w));
	assert_string_equal(w->sip_method, "ACK");
	assert_string_equal(w->req_uri->host, "192.0.2.9");
	assert_string_equal(w->cseq->number, "3");
	assert_int_equal(osip_list_size(&w->routes), 2);
	osip_message_free(w);
	free(text);
	/* a 2xx without Contact gives nothing to send to */
	osip_message_free(resp);
	resp = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	    "Call-ID: abc\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_null(sipmsg_indialog_new(resp, "ACK", 3, "h", 1, "z9hG4bKa"));
	assert_null(sipmsg_indialog_text_new(resp, "ACK", 3, "h", 1,
	    "z9hG4bKa", &len));
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
		cmocka_unit_test(test_request_extra),
		cmocka_unit_test(test_request_max_forwards),
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
