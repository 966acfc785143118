/*
 * The client's event handling against sockets that misbehave in ways a
 * real Kamailio does not on demand: a reply in pieces, garbage, a wrong
 * cookie, a peer that closes or never answers, next to a call that works,
 * all on one event base. (tests/sh/rpc-kamcmd.sh runs the real Kamailio.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/binrpc.h"
#include "proxy/rpc.h"

#include "tmpdir.h"

enum fake_mode { FAKE_OK, FAKE_SILENT, FAKE_CLOSE, FAKE_GARBAGE, FAKE_COOKIE, FAKE_FAULT };

struct fake {
	struct event_base *base;
	enum fake_mode mode;
	int lfd;
	char path[108];
	struct event *lev;
	int conns[16];
	struct event *cevs[16];
	int nconns;
	uint8_t *pkt;		/* the reply being sent, one byte a turn */
	size_t len, off;
	int fd;
	struct event *drip;
};

struct done {
	int n;
	enum rpc_status status;
	char error[512];
	struct binrpc_reply *reply;
};

/* calls still to end before the loop stops */
static int pending;
static struct event_base *loop_base;


/* A reply to the request in buf: a struct {answer: 42} or a fault. */
static uint8_t *
fake_reply(const uint8_t *req, size_t reqlen, enum fake_mode mode,
    size_t *lenp)
{
	struct binrpc_buf b = { NULL, 0, 0 };
	uint32_t cookie = 0;
	int ll, cl, i;
	uint8_t *pkt;

	assert_true(reqlen >= 4);
	ll = ((req[1] >> 2) & 3) + 1;
	cl = (req[1] & 3) + 1;
	for (i = 0; i < cl; i++)
		cookie = cookie << 8 | req[2 + ll + i];
	if (mode == FAKE_COOKIE)
		cookie++;
	if (mode == FAKE_FAULT) {
		binrpc_put_int(&b, 500);
		binrpc_put_str(&b, "command x.y not found", 21);
	} else {
		binrpc_put_start(&b, BINRPC_STRUCT);
		binrpc_put_name(&b, "answer");
		binrpc_put_int(&b, 42);
		binrpc_put_end(&b, BINRPC_STRUCT);
	}
	pkt = binrpc_packet(mode == FAKE_FAULT ? 3 : 1, cookie, &b, lenp);
	binrpc_buf_reset(&b);
	return pkt;
}

/* One byte per turn of the loop: the client must frame the stream. */
static void
fake_drip(evutil_socket_t unused, short what, void *arg)
{
	struct fake *f = arg;
	struct timeval tv = { 0, 0 };

	(void)unused;
	(void)what;
	assert_true(send(f->fd, f->pkt + f->off, 1, 0) == 1);
	if (++f->off < f->len)
		evtimer_add(f->drip, &tv);
}

static void
fake_conn(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	struct timeval tv = { 0, 0 };
	uint8_t buf[4096];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return;
	switch (f->mode) {
	case FAKE_SILENT:
		return;
	case FAKE_CLOSE:
		shutdown(fd, SHUT_RDWR);
		return;
	case FAKE_GARBAGE:
		assert_true(send(fd, "HTTP/1.0 400\r\n", 14, 0) == 14);
		return;
	default:
		break;
	}
	if (f->drip == NULL) {
		f->drip = evtimer_new(f->base, fake_drip, f);
		free(f->pkt);
		f->pkt = fake_reply(buf, (size_t)n, f->mode, &f->len);
		f->off = 0;
		f->fd = fd;
		evtimer_add(f->drip, &tv);
		return;
	}
	/* further calls while dripping: answer at once */
	{
		size_t len;
		uint8_t *pkt = fake_reply(buf, (size_t)n, f->mode, &len);

		assert_true(send(fd, pkt, len, 0) == (ssize_t)len);
		free(pkt);
	}
}

static void
fake_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct fake *f = arg;
	int fd = accept(lfd, NULL, NULL);

	(void)what;
	assert_true(fd >= 0);
	assert_true(f->nconns < 16);
	f->conns[f->nconns] = fd;
	f->cevs[f->nconns] = event_new(f->base, fd, EV_READ | EV_PERSIST,
	    fake_conn, f);
	event_add(f->cevs[f->nconns++], NULL);
}

static struct fake *
fake_new(struct event_base *base, enum fake_mode mode, const char *name)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun;

	f->base = base;
	f->mode = mode;
	snprintf(f->path, sizeof(f->path), "%s/%s", tmpdir, name);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	assert_int_equal(listen(f->lfd, 8), 0);
	f->lev = event_new(base, f->lfd, EV_READ | EV_PERSIST, fake_accept, f);
	event_add(f->lev, NULL);
	return f;
}

static void
fake_free(struct fake *f)
{
	int i;

	for (i = 0; i < f->nconns; i++) {
		event_free(f->cevs[i]);
		close(f->conns[i]);
	}
	if (f->drip != NULL)
		event_free(f->drip);
	free(f->pkt);
	event_free(f->lev);
	close(f->lfd);
	unlink(f->path);
	free(f);
}

static void
on_done(struct rpc_result *res, void *arg)
{
	struct done *d = arg;

	d->n++;
	d->status = res->status;
	snprintf(d->error, sizeof(d->error), "%s",
	    res->error != NULL ? res->error : "");
	d->reply = res->reply;
	res->reply = NULL;	/* kept */
	if (--pending == 0)
		event_base_loopbreak(loop_base);
}

/* Runs one call to a fake in `mode` and returns what the callback got. */
static void
one_call(enum fake_mode mode, double timeout, struct done *d)
{
	struct event_base *base = event_base_new();
	struct fake *f = fake_new(base, mode, "one.sock");
	char addr[200], err[256];
	struct rpc *rpc;

	snprintf(addr, sizeof(addr), "unix:%s", f->path);
	rpc = rpc_new(base, addr, err, sizeof(err));
	assert_non_null(rpc);
	memset(d, 0, sizeof(*d));
	loop_base = base;
	pending = 1;
	rpc_call(rpc, timeout, on_done, d, "x.y", "dsf", 7, "s", 1.5);
	assert_int_equal(d->n, 0);	/* never from inside rpc_call */
	event_base_dispatch(base);
	assert_int_equal(d->n, 1);
	rpc_free(rpc);
	fake_free(f);
	event_base_free(base);
}

static void
test_reply_in_pieces(void **state)
{
	struct done d;
	int64_t v;

	(void)state;
	one_call(FAKE_OK, 5, &d);
	assert_int_equal(d.status, RPC_OK);
	assert_string_equal(d.error, "");
	assert_non_null(d.reply);
	assert_int_equal(binrpc_member_int(&d.reply->vals[0], "answer", &v),
	    0);
	assert_true(v == 42);
	binrpc_reply_free(d.reply);
}

static void
test_errors(void **state)
{
	static const struct {
		enum fake_mode mode;
		enum rpc_status status;
		const char *msg;
	} cases[] = {
		{ FAKE_SILENT, RPC_TIMEOUT, "x.y: timed out after 0.2 s" },
		{ FAKE_CLOSE, RPC_UNREACHABLE, "x.y: connection closed by the "
		    "proxy without a reply" },
		{ FAKE_GARBAGE, RPC_BADREPLY, "x.y: bad reply: not a binrpc "
		    "packet" },
		{ FAKE_COOKIE, RPC_BADREPLY, "x.y: reply to request" },
		{ FAKE_FAULT, RPC_FAULT, "x.y: no such command (500 command x.y "
		    "not found)" },
	};
	struct done d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		one_call(cases[i].mode, 0.2, &d);
		assert_int_equal(d.status, cases[i].status);
		if (strstr(d.error, cases[i].msg) == NULL ||
		    strncmp(d.error, "unix:", 5) != 0)
			fail_msg("\"%s\" lacks \"%s\"", d.error, cases[i].msg);
		if (cases[i].mode == FAKE_FAULT) {
			assert_non_null(d.reply);
			assert_int_equal(d.reply->fault_code, 500);
		} else {
			assert_null(d.reply);
		}
		binrpc_reply_free(d.reply);
	}
}

/* A hung socket holds only its own call: the others finish meanwhile. */
static void
test_hung_beside_working(void **state)
{
	struct event_base *base = event_base_new();
	struct fake *hung = fake_new(base, FAKE_SILENT, "hung.sock");
	struct fake *good = fake_new(base, FAKE_OK, "good.sock");
	struct done dh, dg[3];
	char addr[200], err[256];
	struct rpc *rh, *rg;
	int i;

	(void)state;
	snprintf(addr, sizeof(addr), "unix:%s", hung->path);
	rh = rpc_new(base, addr, err, sizeof(err));
	snprintf(addr, sizeof(addr), "unixs:%s", good->path);
	rg = rpc_new(base, addr, err, sizeof(err));
	memset(&dh, 0, sizeof(dh));
	memset(dg, 0, sizeof(dg));
	loop_base = base;
	pending = 4;
	rpc_call(rh, 0.3, on_done, &dh, "core.shmmem", "");
	for (i = 0; i < 3; i++)
		rpc_call(rg, 5, on_done, &dg[i], "core.psx", "");
	event_base_dispatch(base);
	for (i = 0; i < 3; i++) {
		assert_int_equal(dg[i].n, 1);
		assert_int_equal(dg[i].status, RPC_OK);
		binrpc_reply_free(dg[i].reply);
	}
	assert_int_equal(dh.n, 1);
	assert_int_equal(dh.status, RPC_TIMEOUT);
	rpc_free(rh);
	rpc_free(rg);
	fake_free(hung);
	fake_free(good);
	event_base_free(base);
}

/* rpc_free drops pending calls without calling back. */
static void
test_free_pending(void **state)
{
	struct event_base *base = event_base_new();
	struct fake *hung = fake_new(base, FAKE_SILENT, "hung2.sock");
	struct done d;
	char addr[200], err[256];
	struct timeval tv = { 0, 100000 };
	struct rpc *rpc;

	(void)state;
	snprintf(addr, sizeof(addr), "unix:%s", hung->path);
	rpc = rpc_new(base, addr, err, sizeof(err));
	memset(&d, 0, sizeof(d));
	loop_base = base;
	pending = 2;
	rpc_call(rpc, 10, on_done, &d, "core.shmmem", "");
	rpc_call(rpc, 10, on_done, &d, "core.psx", "");
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	rpc_free(rpc);
	assert_int_equal(d.n, 0);
	fake_free(hung);
	event_base_free(base);
}

static void
test_addresses(void **state)
{
	static const struct {
		const char *addr;
		const char *err;
	} bad[] = {
		{ "sctp:1.2.3.4:5", "unknown ctl socket" },
		{ "unix:", "no socket path" },
		{ "tcp:[::1:2049", "bad [IPv6] address" },
		{ "udp::2049", "no host" },
		{ "tcp:127.0.0.1:notaport", "" },
	};
	static const char *good[] = { "unix:/run/kamailio/kamailio_ctl",
		"unixs:/x", "unixd:/x", "/run/x", "tcp:127.0.0.1:2049",
		"udp:127.0.0.1", "tcp:[::1]:2049", "udp:localhost:2049" };
	struct event_base *base = event_base_new();
	char err[256];
	struct rpc *rpc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(rpc_new(base, bad[i].addr, err, sizeof(err)));
		if (strstr(err, bad[i].err) == NULL || strncmp(err,
		    bad[i].addr, strlen(bad[i].addr)) != 0)
			fail_msg("%s: \"%s\"", bad[i].addr, err);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rpc = rpc_new(base, good[i], err, sizeof(err));
		if (rpc == NULL)
			fail_msg("%s: %s", good[i], err);
		assert_string_equal(rpc_addr(rpc), good[i]);
		rpc_free(rpc);
	}
	event_base_free(base);
}

/* The one-shot wrapper, and the unix datagram reply socket's cleanup. */
static void
test_sync_dgram(void **state)
{
	struct rpc_result *res;
	char addr[200];
	DIR *d;
	struct dirent *e;
	int n = 0;

	(void)state;
	snprintf(addr, sizeof(addr), "unixd:%s/nobody.sock", tmpdir);
	setenv("TMPDIR", tmpdir, 1);
	res = rpc_sync(addr, binrpc_req_new("core.shmmem"), 1);
	assert_int_equal(res->status, RPC_UNREACHABLE);
	assert_non_null(strstr(res->error, "nobody.sock: core.shmmem: "
	    "cannot connect: No such file or directory"));
	rpc_result_free(res);
	unsetenv("TMPDIR");
	d = opendir(tmpdir);
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "memdiag-rpc.", 12) == 0;
	closedir(d);
	assert_int_equal(n, 0);

	res = rpc_sync("bogus", binrpc_req_new("core.shmmem"), 1);
	assert_int_equal(res->status, RPC_BADADDR);
	rpc_result_free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_in_pieces),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hung_beside_working),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_sync_dgram),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
