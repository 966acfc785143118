/*
 * mi: OpenSIPS's management interface (mi.h). The request and the reply
 * are JSON-RPC 2.0 built and parsed by jansson; the transports are the
 * FIFO and the datagram socket, each used for one call and closed.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/mi.h"

#define MI_MAX_REPLY (1 << 20)	/* bytes of one reply, at most */
#define MI_DGRAM_MAX 65536	/* mi_datagram's buffer is below this */
#define MI_REPLY_DIR "/tmp/"	/* mi_fifo's default reply_dir */

enum mi_kind { MI_BAD, MI_FIFO, MI_UNIX, MI_UDP };

static void
fail(struct mi_reply *out, const char *addr, const char *method,
    const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(out->error, sizeof(out->error), "%s: %s: %s", addr, method,
	    what);
}

static enum mi_kind
kind_of(const char *addr, const char **rest)
{
	if (strncmp(addr, "fifo:", 5) == 0 && addr[5] == '/') {
		*rest = addr + 5;
		return MI_FIFO;
	}
	if (strncmp(addr, "dgram:", 6) == 0) {
		*rest = addr + 6;
		return addr[6] == '/' ? MI_UNIX : MI_UDP;
	}
	return MI_BAD;
}

bool
mi_addr_ok(const char *addr, char *err, size_t errlen)
{
	const char *rest;
	struct addr a;
	enum mi_kind k = kind_of(addr, &rest);

	switch (k) {
	case MI_FIFO:
		if (strcspn(rest, ",") >= PATH_MAX - 32)
			break;
		return true;
	case MI_UNIX:
		if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			break;
		return true;
	case MI_UDP:
		if (addr_parse(rest, true, &a, err, errlen) != 0)
			return false;
		return true;
	default:
		break;
	}
	snprintf(err, errlen, "\"%s\": not an MI address (fifo:PATH"
	    "[,REPLY_DIR], dgram:PATH or dgram:HOST:PORT)", addr);
	return false;
}

static int
ms_left(double deadline)
{
	double left = deadline - clock_mono();

	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* A name no other call uses: the process and 64 random bits. */
static void
unique_name(char *buf, size_t len)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned long long)clock_mono() * 1000003ULL;
	snprintf(buf, len, "memdiag_%ld_%016llx", (long)getpid(), r);
}

/* Writable by the owner of the proxy's socket or FIFO at like (root
 * hands it over), or by our group. */
static int
own_like(const char *path, const char *like)
{
	struct stat st;

	if (geteuid() == 0 && stat(like, &st) == 0) {
		if (chown(path, st.st_uid, st.st_gid) == -1)
			return -1;
		return chmod(path, 0600);
	}
	return chmod(path, 0660);
}

/*
 * One call on the wire, from the request sent to the reply read: the
 * synchronous mi_call polls its fd, mi_call_async gives it to the loop.
 */
struct mi_wire {
	enum mi_kind kind;
	int fd;			/* the reply comes on it */
	char *addr, *method;
	json_int_t id;
	char rpath[PATH_MAX * 2];	/* the reply FIFO */
	char rsock[108], rdir[80];	/* the reply socket and its dir */
	char *buf;
	size_t len, cap;
};

static void
wire_close(struct mi_wire *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	if (w->rpath[0] != '\0')
		unlink(w->rpath);
	if (w->rsock[0] != '\0')
		unlink(w->rsock);
	if (w->rdir[0] != '\0')
		rmdir(w->rdir);
	w->rpath[0] = w->rsock[0] = w->rdir[0] = '\0';
	free(w->buf);
	free(w->addr);
	free(w->method);
	w->buf = w->addr = w->method = NULL;
}

static int
send_fifo(struct mi_wire *w, const char *spec, const char *req,
    struct mi_reply *out)
{
	char path[PATH_MAX], rdir[PATH_MAX], name[64];
	const char *comma = strchr(spec, ',');
	struct stat st;
	int wfd = -1, r = -1;
	char *line = NULL;

	snprintf(path, sizeof(path), "%.*s", comma ? (int)(comma - spec) :
	    (int)strlen(spec), spec);
	snprintf(rdir, sizeof(rdir), "%s", comma ? comma + 1 : MI_REPLY_DIR);
	unique_name(name, sizeof(name));
	if ((wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		fail(out, w->addr, w->method, "%s", errno == ENXIO ? "nobody "
		    "reads the FIFO (is the proxy running, with mi_fifo?)" :
		    strerror(errno));
		goto done;
	}
	if (fstat(wfd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		fail(out, w->addr, w->method, "%s is not a FIFO", path);
		goto done;
	}
	/* mi_fifo opens reply_dir and the name put together as they are */
	snprintf(w->rpath, sizeof(w->rpath), "%s%s", rdir, name);
	if (mkfifo(w->rpath, 0600) == -1) {
		fail(out, w->addr, w->method, "reply FIFO %s: %s", w->rpath,
		    strerror(errno));
		w->rpath[0] = '\0';
		goto done;
	}
	/* the proxy's user writes the reply */
	if (own_like(w->rpath, path) == -1)
		log_debug("%s: %s", w->rpath, strerror(errno));
	if ((w->fd = open(w->rpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		fail(out, w->addr, w->method, "reply FIFO %s: %s", w->rpath,
		    strerror(errno));
		goto done;
	}
	xasprintf(&line, ":%s:%s\n", name, req);
	if (strlen(line) > PIPE_BUF) {
		fail(out, w->addr, w->method, "request too long for one FIFO "
		    "write");
		goto done;
	}
	if (write(wfd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fail(out, w->addr, w->method, "write %s: %s", path,
		    strerror(errno));
		goto done;
	}
	r = 0;
done:
	free(line);
	if (wfd != -1)
		close(wfd);
	return r;
}

static int
send_dgram(struct mi_wire *w, const char *spec, const char *req,
    struct mi_reply *out)
{
	struct sockaddr_storage to;
	socklen_t tolen;

	memset(&to, 0, sizeof(to));
	if (w->kind == MI_UNIX) {
		struct sockaddr_un me, *sun = (struct sockaddr_un *)&to;
		char name[64];

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", spec);
		tolen = sizeof(*sun);
		w->fd = socket(AF_UNIX,
			       SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		/*
		 * The reply's address: a path (mi_datagram takes the
		 * sender's address as a string, so an abstract one is
		 * empty to it) in a directory of its own. mi_datagram
		 * answers from another socket than the one it reads, so
		 * the reply cannot be told by its source: only the proxy's
		 * user may write to this one (root gives it the proxy's
		 * socket's owner; otherwise memdiag's group must be the
		 * proxy's).
		 */
		unique_name(name, sizeof(name));
		snprintf(w->rdir, sizeof(w->rdir), "/tmp/%s", name);
		memset(&me, 0, sizeof(me));
		me.sun_family = AF_UNIX;
		snprintf(me.sun_path, sizeof(me.sun_path), "%s/r", w->rdir);
		if (w->fd != -1 && mkdir(w->rdir, 0711) == -1) {
			fail(out, w->addr, w->method, "reply socket %s: %s",
			    me.sun_path, strerror(errno));
			w->rdir[0] = '\0';
			return -1;
		}
		if (w->fd != -1 && (bind(w->fd, (struct sockaddr *)&me,
		    sizeof(me)) == -1 || (snprintf(w->rsock, sizeof(w->rsock),
		    "%s", me.sun_path), own_like(me.sun_path, spec) == -1))) {
			fail(out, w->addr, w->method, "reply socket %s: %s",
			    me.sun_path, strerror(errno));
			return -1;
		}
	} else {
		struct addr a;
		char err[200];

		if (addr_parse(spec, true, &a, err, sizeof(err)) != 0) {
			fail(out, w->addr, w->method, "%s", err);
			return -1;
		}
		if (a.family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&to;

			in->sin_family = AF_INET;
			in->sin_port = htons(a.port);
			memcpy(&in->sin_addr, a.addr, 4);
			tolen = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;

			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(a.port);
			memcpy(&in6->sin6_addr, a.addr, 16);
			tolen = sizeof(*in6);
		}
		w->fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	}
	if (w->fd == -1) {
		fail(out, w->addr, w->method, "socket: %s", strerror(errno));
		return -1;
	}
	/* UDP: connected, replies from anyone else are not taken */
	if ((w->kind == MI_UDP && connect(w->fd, (struct sockaddr *)&to,
	    tolen) == -1) || sendto(w->fd, req, strlen(req), 0,
	    (struct sockaddr *)&to, tolen) == -1) {
		fail(out, w->addr, w->method, "%s", errno == ECONNREFUSED ||
		    errno == ENOENT ? "nobody listens (is the proxy running, "
		    "with mi_datagram?)" : strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Read what the reply fd holds now: 1 when the reply is complete (a
 * datagram; the FIFO's end), 0 to wait for more, -1 with out->error.
 */
static int
wire_read(struct mi_wire *w, struct mi_reply *out)
{
	ssize_t n;

	if (w->kind != MI_FIFO) {
		if (w->buf == NULL)
			w->buf = xmalloc(MI_DGRAM_MAX + 1);
		n = recv(w->fd, w->buf, MI_DGRAM_MAX, MSG_TRUNC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0 || n > MI_DGRAM_MAX) {
			fail(out, w->addr, w->method, "%s", n < 0 ?
			    strerror(errno) : "reply larger than a datagram");
			return -1;
		}
		w->buf[n] = '\0';
		w->len = (size_t)n;
		return 1;
	}
	for (;;) {
		if (w->cap - w->len < 2) {
			if (w->cap >= MI_MAX_REPLY) {
				fail(out, w->addr, w->method, "reply larger "
				    "than %d bytes", MI_MAX_REPLY);
				return -1;
			}
			w->cap = w->cap ? w->cap * 2 : 4096;
			w->buf = xreallocarray(w->buf, w->cap, 1);
		}
		n = read(w->fd, w->buf + w->len, w->cap - w->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			fail(out, w->addr, w->method, "%s", strerror(errno));
			return -1;
		}
		if (n == 0 && w->len == 0) {
			/* poll and epoll wake a FIFO's reader for a writer's
			 * data or its close, never before one came */
			fail(out, w->addr, w->method, "the proxy closed the "
			    "reply FIFO without a reply");
			return -1;
		}
		if (n == 0) {
			w->buf[w->len] = '\0';
			return 1;
		}
		w->len += (size_t)n;
	}
}

/* The request built and sent; 0 with w->fd to wait on, or -1. */
static int
wire_send(struct mi_wire *w, const char *addr, const char *method,
    json_t *params, struct mi_reply *out)
{
	static json_int_t next_id = 1;
	const char *spec;
	char *req, err[256];
	json_t *j;
	int r;

	memset(w, 0, sizeof(*w));
	memset(out, 0, sizeof(*out));
	w->fd = -1;
	w->kind = kind_of(addr, &spec);
	w->addr = xstrdup(addr);
	w->method = xstrdup(method);
	w->id = next_id++;
	if (!mi_addr_ok(addr, err, sizeof(err))) {
		json_decref(params);
		fail(out, addr, method, "%s", err);
		return -1;
	}
	j = json_pack("{s:s, s:s, s:I}", "jsonrpc", "2.0", "method", method,
	    "id", w->id);
	if (params != NULL)
		json_object_set_new(j, "params", params);
	req = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (req == NULL) {
		fail(out, addr, method, "the request cannot be written");
		return -1;
	}
	r = w->kind == MI_FIFO ? send_fifo(w, spec, req, out) :
	    send_dgram(w, spec, req, out);
	free(req);
	return r;
}

/* The JSON-RPC response: its result, or its error. */
static int
parse_reply(const char *rep, size_t len, const char *addr,
    const char *method, json_int_t id, struct mi_reply *out)
{
	json_error_t je;
	json_t *j = json_loadb(rep, len, 0, &je), *e;
	const char *msg;

	if (j == NULL) {
		/* mi_fifo answers internal errors in plain text */
		fail(out, addr, method, "not a JSON-RPC reply: %.200s%s",
		    len > 0 ? rep : "(empty)", len > 200 ? "..." : "");
		return -1;
	}
	if (json_integer_value(json_object_get(j, "id")) != id &&
	    json_object_get(j, "id") != NULL) {
		fail(out, addr, method, "a reply to another request");
		json_decref(j);
		return -1;
	}
	if ((e = json_object_get(j, "error")) != NULL) {
		out->code = (int)json_integer_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
		out->no_method = out->code == -32601;
		fail(out, addr, method, "error %d: %s", out->code, msg ? msg :
		    "(no message)");
		json_decref(j);
		return -1;
	}
	if ((out->result = json_object_get(j, "result")) == NULL) {
		fail(out, addr, method, "a reply without result or error");
		json_decref(j);
		return -1;
	}
	json_incref(out->result);
	json_decref(j);
	return 0;
}

int
mi_call(const char *addr, const char *method, json_t *params, double timeout,
    struct mi_reply *out)
{
	double deadline = clock_mono() + timeout;
	struct mi_wire w;
	struct pollfd p;
	int r;

	if ((r = wire_send(&w, addr, method, params, out)) == 0) {
		p.fd = w.fd;
		p.events = POLLIN;
		for (;;) {
			int n = poll(&p, 1, ms_left(deadline));

			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				fail(out, addr, method, "%s", n == 0 ? "no "
				    "reply in time" : strerror(errno));
				r = -1;
				break;
			}
			if ((r = wire_read(&w, out)) != 0)
				break;
		}
		if (r == 1)
			r = parse_reply(w.buf, w.len, addr, method, w.id, out);
	}
	wire_close(&w);
	return r;
}

json_t *
mi_result(const char *addr, const char *method, json_t *params,
    double timeout, char *err, size_t errlen)
{
	struct mi_reply r;
	json_t *v = NULL;

	if (mi_call(addr, method, params, timeout, &r) != 0)
		snprintf(err, errlen, "%s", r.error);
	else
		v = json_incref(r.result);
	mi_reply_clear(&r);
	return v;
}

struct mi_async {
	struct mi_wire w;
	struct mi_reply out;
	struct event *ev;
	mi_done_cb cb;
	void *arg;
};

static void
async_end(struct mi_async *a)
{
	mi_done_cb cb = a->cb;
	void *arg = a->arg;
	struct mi_reply out = a->out;

	wire_close(&a->w);
	event_free(a->ev);
	free(a);
	cb(&out, arg);
	mi_reply_clear(&out);
}

static void
async_ready(evutil_socket_t fd, short what, void *arg)
{
	struct mi_async *a = arg;
	int r;

	(void)fd;
	if (a->out.error[0] != '\0') {		/* failed to send */
		async_end(a);
		return;
	}
	if (what & EV_TIMEOUT) {
		fail(&a->out, a->w.addr, a->w.method, "no reply in time");
		async_end(a);
		return;
	}
	if ((r = wire_read(&a->w, &a->out)) == 0)
		return;
	if (r == 1)
		parse_reply(a->w.buf, a->w.len, a->w.addr, a->w.method,
		    a->w.id, &a->out);
	async_end(a);
}

struct mi_async *
mi_call_async(struct event_base *base, const char *addr, const char *method,
    json_t *params, double timeout, mi_done_cb cb, void *arg)
{
	struct mi_async *a = xcalloc(1, sizeof(*a));
	struct timeval tv;

	a->cb = cb;
	a->arg = arg;
	tv = clock_tv(timeout);
	if (wire_send(&a->w, addr, method, params, &a->out) != 0) {
		/* the callback runs from the loop, never from here */
		a->ev = evtimer_new(base, async_ready, a);
		tv = clock_tv(0);
	} else
		a->ev = event_new(base, a->w.fd, EV_READ | EV_PERSIST,
		    async_ready, a);
	if (a->ev == NULL)
		fatalx(1, "mi: cannot create an event");
	event_add(a->ev, &tv);
	return a;
}

void
mi_async_cancel(struct mi_async *a)
{
	if (a == NULL)
		return;
	wire_close(&a->w);
	mi_reply_clear(&a->out);
	event_free(a->ev);
	free(a);
}

void
mi_reply_clear(struct mi_reply *r)
{
	json_decref(r->result);
	memset(r, 0, sizeof(*r));
}
