/*
 * Kamailio ctl client. One socket per call: a call that timed out cannot
 * leave a late reply in the way of the next one, and a hung socket holds
 * nothing but its own call. Datagram calls over unix sockets bind a
 * reply socket of their own (ctl answers to the sender's address) and
 * remove it when the call ends.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/binrpc.h"
#include "proxy/rpc.h"

#define RPC_CTL_PORT "2049"	/* ctl's default for tcp and udp */
#define RPC_STREAM_CHUNK 4096

enum rpc_kind { RPC_STREAM, RPC_DGRAM };

struct rpc_call {
	TAILQ_ENTRY(rpc_call) entry;
	struct rpc *rpc;
	struct rpc_result res;
	uint8_t *out, *in;
	size_t outlen, outoff, inlen, incap;
	int fd;
	int sending;
	uint32_t cookie;
	double timeout;
	struct event *io, *timer;
	char *reply_path;	/* unix datagram: our bound socket */
	rpc_done_cb cb;
	void *arg;
};

struct rpc {
	struct event_base *base;
	char *addr;
	enum rpc_kind kind;
	int unix_dgram;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint32_t next_cookie;
	TAILQ_HEAD(, rpc_call) calls;
};

static unsigned rpc_reply_seq;

/* What to check when a connect fails. */
static const char *
rpc_hint(int err)
{
	if (err == ENOENT || err == ECONNREFUSED)
		return " (is Kamailio's ctl listening there?)";
	/* ctl creates its unix sockets mode 0600 for the proxy's user */
	if (err == EACCES || err == EPERM)
		return " (run memdiag as the proxy's user, or give it the "
		    "socket with modparam(\"ctl\", \"mode\"/\"group\"); "
		    "see memdiag(8), PRIVILEGES)";
	return "";
}

static int
rpc_parse_inet(struct rpc *rpc, const char *rest, int socktype, char *err,
    size_t errlen)
{
	struct addrinfo hints, *ai;
	char *host = xstrdup(rest), *port = NULL, *p;
	int r;

	if (host[0] == '[') {
		p = strchr(host, ']');
		if (p == NULL || (p[1] != '\0' && p[1] != ':')) {
			snprintf(err, errlen, "%s: bad [IPv6] address", rpc->addr);
			free(host);
			return -1;
		}
		*p = '\0';
		if (p[1] == ':')
			port = p + 2;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else if ((p = strchr(host, ':')) != NULL && strchr(p + 1, ':') ==
	    NULL) {
		*p = '\0';
		port = p + 1;
	}
	if (port == NULL || *port == '\0')
		port = RPC_CTL_PORT;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	if (*host == '\0') {
		snprintf(err, errlen, "%s: no host", rpc->addr);
		free(host);
		return -1;
	}
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", rpc->addr, gai_strerror(r));
		free(host);
		return -1;
	}
	memcpy(&rpc->sa, ai->ai_addr, ai->ai_addrlen);
	rpc->salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	free(host);
	return 0;
}

struct rpc *
rpc_new(struct event_base *base, const char *addr, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum rpc_kind kind;
		int inet;
	} kinds[] = {
		{ "unix:", RPC_STREAM, 0 }, { "unixs:", RPC_STREAM, 0 },
		{ "unixd:", RPC_DGRAM, 0 }, { "tcp:", RPC_STREAM, 1 },
		{ "udp:", RPC_DGRAM, 1 }, { "/", RPC_STREAM, 0 },
	};
	struct rpc *rpc = xcalloc(1, sizeof(*rpc));
	const char *rest = NULL;
	size_t i;

	rpc->base = base;
	rpc->addr = xstrdup(addr);
	TAILQ_INIT(&rpc->calls);
	rpc->next_cookie = (uint32_t)getpid() << 16 ^ (uint32_t)time(NULL);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(addr, kinds[i].prefix, n) != 0)
			continue;
		rest = kinds[i].prefix[0] == '/' ? addr : addr + n;
		rpc->kind = kinds[i].kind;
		if (kinds[i].inet) {
			if (rpc_parse_inet(rpc, rest, rpc->kind == RPC_STREAM ?
			    SOCK_STREAM : SOCK_DGRAM, err, errlen) == -1)
				goto fail;
		} else {
			struct sockaddr_un *sun = (struct sockaddr_un *)&rpc->sa;

			if (*rest == '\0' || strlen(rest) >=
			    sizeof(sun->sun_path)) {
				snprintf(err, errlen, "%s: %s socket path",
				    addr, *rest == '\0' ? "no" : "too long a");
				goto fail;
			}
			sun->sun_family = AF_UNIX;
			memcpy(sun->sun_path, rest, strlen(rest) + 1);
			rpc->salen = sizeof(*sun);
			rpc->unix_dgram = rpc->kind == RPC_DGRAM;
		}
		return rpc;
	}
	snprintf(err, errlen, "%s: unknown ctl socket (use unix:PATH, "
	    "unixd:PATH, tcp:HOST:PORT or udp:HOST:PORT)", addr);
fail:
	free(rpc->addr);
	free(rpc);
	return NULL;
}

const char *
rpc_addr(const struct rpc *rpc)
{
	return rpc->addr;
}

const char *
rpc_status_name(enum rpc_status s)
{
	switch (s) {
	case RPC_OK:
		return "ok";
	case RPC_FAULT:
		return "fault";
	case RPC_UNREACHABLE:
		return "unreachable";
	case RPC_TIMEOUT:
		return "timeout";
	case RPC_BADREPLY:
		return "bad reply";
	case RPC_BADADDR:
		return "bad address";
	}
	return "?";
}

static void
rpc_result_vfail(struct rpc_result *res, enum rpc_status status,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static void
rpc_result_vfail(struct rpc_result *res, enum rpc_status status,
    const char *fmt, va_list ap)
{
	char what[512];

	vsnprintf(what, sizeof(what), fmt, ap);
	free(res->error);
	xasprintf(&res->error, "%s: %s: %s", res->addr, res->method, what);
	res->status = status;
}

void
rpc_result_fail(struct rpc_result *res, enum rpc_status status,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_result_vfail(res, status, fmt, ap);
	va_end(ap);
}

/* Detaches the call and closes its socket: the callback may reenter. */
static void
call_close(struct rpc_call *c)
{
	TAILQ_REMOVE(&c->rpc->calls, c, entry);
	if (c->io != NULL)
		event_free(c->io);
	event_free(c->timer);
	if (c->fd != -1)
		close(c->fd);
	if (c->reply_path != NULL)
		unlink(c->reply_path);
}

static void
call_free(struct rpc_call *c)
{
	binrpc_reply_free(c->res.reply);
	free(c->res.error);
	free((char *)c->res.addr);
	free((char *)c->res.method);
	free(c->reply_path);
	free(c->out);
	free(c->in);
	free(c);
}

/* Ends the call: releases what it holds and runs its callback, once. */
static void
call_end(struct rpc_call *c, enum rpc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
call_end(struct rpc_call *c, enum rpc_status status, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		rpc_result_vfail(&c->res, status, fmt, ap);
		va_end(ap);
	} else {
		c->res.status = status;
	}
	call_close(c);
	c->cb(&c->res, c->arg);
	call_free(c);
}

static void
call_reply(struct rpc_call *c, const uint8_t *pkt, size_t len)
{
	struct binrpc_reply *r;
	char err[256];
	const char *m;
	size_t ml;

	if ((r = binrpc_reply_decode(pkt, len, err, sizeof(err))) == NULL) {
		call_end(c, RPC_BADREPLY, "bad reply: %s", err);
		return;
	}
	if (r->cookie != c->cookie) {
		call_end(c, RPC_BADREPLY, "reply to request %#x, sent %#x",
		    r->cookie, c->cookie);
		binrpc_reply_free(r);
		return;
	}
	c->res.reply = r;
	if (!r->fault) {
		call_end(c, RPC_OK, NULL);
		return;
	}
	m = r->fault_msg;
	ml = strlen(m);
	c->res.no_method = strncmp(m, "command ", 8) == 0 && ml > 18 &&
	    strcmp(m + ml - 10, " not found") == 0;
	if (c->res.no_method)
		call_end(c, RPC_FAULT, "no such command (%d %s): is the "
		    "module that provides it loaded?", r->fault_code, m);
	else
		call_end(c, RPC_FAULT, "error %d: %s", r->fault_code, m);
}

static void
call_read_stream(struct rpc_call *c)
{
	const char *e = NULL;
	size_t want = 0;
	ssize_t n;
	int f;

	if (c->incap - c->inlen < RPC_STREAM_CHUNK) {
		c->incap += RPC_STREAM_CHUNK;
		c->in = xreallocarray(c->in, c->incap, 1);
	}
	n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		call_end(c, RPC_UNREACHABLE, "receive: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		call_end(c, RPC_UNREACHABLE, "connection closed by the proxy "
		    "%s", c->inlen > 0 ? "in the middle of the reply" :
		    "without a reply");
		return;
	}
	c->inlen += (size_t)n;
	f = binrpc_frame(c->in, c->inlen, &want, &e);
	if (f == -1)
		call_end(c, RPC_BADREPLY, "bad reply: %s", e);
	else if (f == 1 && c->inlen >= want)
		call_reply(c, c->in, want);
}

static void
call_read_dgram(struct rpc_call *c)
{
	ssize_t n = recv(c->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);

	if (n >= 0 && (size_t)n > BINRPC_MAX_PACKET) {
		call_end(c, RPC_BADREPLY, "reply datagram of %zd bytes", n);
		return;
	}
	if (n >= 0) {
		c->in = xmalloc((size_t)n + 1);
		n = recv(c->fd, c->in, (size_t)n + 1, 0);
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		call_end(c, RPC_UNREACHABLE, "receive: %s%s", strerror(errno),
		    rpc_hint(errno));
		return;
	}
	call_reply(c, c->in, (size_t)n);
}

static void
call_io(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_call *c = arg;
	socklen_t sl = sizeof(int);
	int soerr = 0;
	ssize_t n;

	(void)what;
	if (!c->sending) {
		if (c->rpc->kind == RPC_STREAM)
			call_read_stream(c);
		else
			call_read_dgram(c);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	    soerr != 0) {
		call_end(c, RPC_UNREACHABLE, "cannot connect: %s%s",
		    strerror(soerr), rpc_hint(soerr));
		return;
	}
	n = send(fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		call_end(c, RPC_UNREACHABLE, "send: %s", strerror(errno));
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return;
	c->sending = 0;
	event_free(c->io);
	c->io = event_new(c->rpc->base, c->fd, EV_READ | EV_PERSIST, call_io,
	    c);
	event_add(c->io, NULL);
}

static void
call_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_call *c = arg;

	(void)fd;
	(void)what;
	if (c->res.error != NULL)	/* failed at the start, reported now */
		call_end(c, c->res.status, NULL);
	else
		call_end(c, RPC_TIMEOUT, "timed out after %.1f s",
		    c->timeout);
}

/* Binds a unix datagram socket ctl can answer to. */
static int
call_bind_reply(struct rpc_call *c)
{
	struct sockaddr_un sun;
	const char *dir = getenv("TMPDIR");
	int tries;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	for (tries = 0; tries < 10; tries++) {
		free(c->reply_path);
		xasprintf(&c->reply_path, "%s/memdiag-rpc.%ld.%u.sock", dir,
		    (long)getpid(), rpc_reply_seq++);
		if (strlen(c->reply_path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			break;
		}
		strcpy(sun.sun_path, c->reply_path);
		if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			/* the proxy may run as another user: it only needs
			 * to write; connect() below filters other senders */
			chmod(c->reply_path, 0622);
			return 0;
		}
		if (errno != EADDRINUSE)
			break;
	}
	free(c->reply_path);
	c->reply_path = NULL;
	return -1;
}

static int
call_start(struct rpc_call *c)
{
	struct rpc *rpc = c->rpc;
	int type = rpc->kind == RPC_STREAM ? SOCK_STREAM : SOCK_DGRAM;

	c->fd = socket(rpc->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1) {
		rpc_result_fail(&c->res, RPC_UNREACHABLE, "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (rpc->unix_dgram && call_bind_reply(c) == -1) {
		rpc_result_fail(&c->res, RPC_UNREACHABLE, "cannot bind a reply "
		    "socket in %s: %s", getenv("TMPDIR") ? getenv("TMPDIR") :
		    "/tmp", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&rpc->sa, rpc->salen) == -1 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		rpc_result_fail(&c->res, RPC_UNREACHABLE, "cannot connect: "
		    "%s%s", strerror(errno), rpc_hint(errno));
		return -1;
	}
	c->sending = 1;
	c->io = event_new(rpc->base, c->fd, EV_WRITE | EV_PERSIST, call_io, c);
	event_add(c->io, NULL);
	return 0;
}

void
rpc_call_req(struct rpc *rpc, struct binrpc_req *req, double timeout,
    rpc_done_cb cb, void *arg)
{
	struct rpc_call *c = xcalloc(1, sizeof(*c));
	struct timeval tv;

	c->rpc = rpc;
	c->fd = -1;
	c->cb = cb;
	c->arg = arg;
	c->timeout = timeout;
	c->cookie = rpc->next_cookie++;
	c->res.addr = xstrdup(rpc->addr);
	c->res.method = xstrdup(binrpc_req_method(req));
	c->out = binrpc_req_encode(req, c->cookie, &c->outlen);
	binrpc_req_free(req);
	TAILQ_INSERT_TAIL(&rpc->calls, c, entry);
	c->timer = evtimer_new(rpc->base, call_timer, c);
	if (call_start(c) == -1) {
		/* report on the next turn of the loop, not from here */
		tv = clock_tv(0);
	} else {
		if (!(timeout > 0))
			timeout = 0.001;
		tv = clock_tv(timeout);
	}
	evtimer_add(c->timer, &tv);
}

void
rpc_call(struct rpc *rpc, double timeout, rpc_done_cb cb, void *arg,
    const char *method, const char *fmt, ...)
{
	struct binrpc_req *req = binrpc_req_new(method);
	va_list ap;

	va_start(ap, fmt);
	for (; fmt != NULL && *fmt != '\0'; fmt++) {
		switch (*fmt) {
		case 'd':
			binrpc_req_add_int(req, va_arg(ap, int));
			break;
		case 's':
			binrpc_req_add_str(req, va_arg(ap, const char *));
			break;
		case 'f':
			binrpc_req_add_double(req, va_arg(ap, double));
			break;
		default:
			fatalx(EX_MD_INTERNAL, "rpc_call %s: format char '%c'",
			    method, *fmt);
		}
	}
	va_end(ap);
	rpc_call_req(rpc, req, timeout, cb, arg);
}

void
rpc_free(struct rpc *rpc)
{
	struct rpc_call *c;

	if (rpc == NULL)
		return;
	while ((c = TAILQ_FIRST(&rpc->calls)) != NULL) {
		call_close(c);
		call_free(c);
	}
	free(rpc->addr);
	free(rpc);
}

void
rpc_result_free(struct rpc_result *res)
{
	if (res == NULL)
		return;
	binrpc_reply_free(res->reply);
	free(res->error);
	free((char *)res->addr);
	free((char *)res->method);
	free(res);
}
