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

/* Read fd until EOF or the deadline; NUL-terminated in *buf. */
static int
read_all(int fd, double deadline, char **buf, size_t *len)
{
	size_t cap = 4096;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	*buf = xmalloc(cap);
	*len = 0;
	for (;;) {
		ssize_t n;
		int r = poll(&p, 1, ms_left(deadline));

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : -errno;
		if (cap - *len < 2) {
			if (cap >= MI_MAX_REPLY)
				return -EMSGSIZE;
			cap *= 2;
			*buf = xreallocarray(*buf, cap, 1);
		}
		n = read(fd, *buf + *len, cap - *len - 1);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return -errno;
		if (n == 0) {
			if (*len == 0 && !(p.revents & POLLHUP))
				continue;	/* no writer yet */
			break;
		}
		*len += (size_t)n;
	}
	(*buf)[*len] = '\0';
	return 0;
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

static int
call_fifo(const char *spec, const char *addr, const char *method,
    const char *req, double deadline, char **rep, size_t *replen,
    struct mi_reply *out)
{
	char path[PATH_MAX], rdir[PATH_MAX], name[64], rpath[PATH_MAX * 2];
	const char *comma = strchr(spec, ',');
	struct stat st;
	int rfd = -1, wfd = -1, r = -1, e;
	char *line = NULL;

	snprintf(path, sizeof(path), "%.*s", comma ? (int)(comma - spec) :
	    (int)strlen(spec), spec);
	snprintf(rdir, sizeof(rdir), "%s", comma ? comma + 1 : MI_REPLY_DIR);
	unique_name(name, sizeof(name));
	/* mi_fifo opens reply_dir and the name put together as they are */
	snprintf(rpath, sizeof(rpath), "%s%s", rdir, name);
	if ((wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		fail(out, addr, method, "%s", errno == ENXIO ? "nobody reads "
		    "the FIFO (is the proxy running, with mi_fifo?)" :
		    strerror(errno));
		goto done;
	}
	if (fstat(wfd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		fail(out, addr, method, "%s is not a FIFO", path);
		goto done;
	}
	if (mkfifo(rpath, 0600) == -1) {
		fail(out, addr, method, "reply FIFO %s: %s", rpath,
		    strerror(errno));
		goto done;
	}
	/* the proxy's user writes the reply */
	if (own_like(rpath, path) == -1)
		log_debug("%s: %s", rpath, strerror(errno));
	if ((rfd = open(rpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		fail(out, addr, method, "reply FIFO %s: %s", rpath,
		    strerror(errno));
		goto done;
	}
	xasprintf(&line, ":%s:%s\n", name, req);
	if (strlen(line) > PIPE_BUF) {
		fail(out, addr, method, "request too long for one FIFO write");
		goto done;
	}
	if (write(wfd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fail(out, addr, method, "write %s: %s", path, strerror(errno));
		goto done;
	}
	close(wfd);
	wfd = -1;
	if ((e = read_all(rfd, deadline, rep, replen)) != 0) {
		fail(out, addr, method, "%s", e == -ETIMEDOUT ? "no reply in "
		    "time" : strerror(-e));
		goto done;
	}
	r = 0;
done:
	free(line);
	if (wfd != -1)
		close(wfd);
	if (rfd != -1)
		close(rfd);
	unlink(rpath);
	return r;
}

static int
call_dgram(enum mi_kind k, const char *spec, const char *addr,
    const char *method, const char *req, double deadline, char **rep,
    size_t *replen, struct mi_reply *out)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	struct pollfd p;
	char rdir[80] = "", rsock[108] = "";
	ssize_t n;
	int fd, r = -1;

	memset(&to, 0, sizeof(to));
	if (k == MI_UNIX) {
		struct sockaddr_un me, *sun = (struct sockaddr_un *)&to;
		char name[64];

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", spec);
		tolen = sizeof(*sun);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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
		snprintf(rdir, sizeof(rdir), "/tmp/%s", name);
		memset(&me, 0, sizeof(me));
		me.sun_family = AF_UNIX;
		snprintf(me.sun_path, sizeof(me.sun_path), "%s/r", rdir);
		if (fd != -1 && (mkdir(rdir, 0711) == -1 ||
		    bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
		    own_like(me.sun_path, spec) == -1)) {
			fail(out, addr, method, "reply socket %s: %s",
			    me.sun_path, strerror(errno));
			close(fd);
			unlink(me.sun_path);
			rmdir(rdir);
			return -1;
		}
		snprintf(rsock, sizeof(rsock), "%s", me.sun_path);
	} else {
		struct addr a;
		char err[200];

		if (addr_parse(spec, true, &a, err, sizeof(err)) != 0) {
			fail(out, addr, method, "%s", err);
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
		fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	if (fd == -1) {
		fail(out, addr, method, "socket: %s", strerror(errno));
		goto done;
	}
	/* UDP: connected, replies from anyone else are not taken */
	if ((k == MI_UDP && connect(fd, (struct sockaddr *)&to, tolen) == -1) ||
	    sendto(fd, req, strlen(req), 0, (struct sockaddr *)&to, tolen) ==
	    -1) {
		fail(out, addr, method, "%s", errno == ECONNREFUSED ||
		    errno == ENOENT ? "nobody listens (is the proxy running, "
		    "with mi_datagram?)" : strerror(errno));
		goto done;
	}
	*rep = xmalloc(MI_DGRAM_MAX + 1);
	p.fd = fd;
	p.events = POLLIN;
	while ((r = poll(&p, 1, ms_left(deadline))) == -1 && errno == EINTR)
		;
	if (r <= 0) {
		fail(out, addr, method, "%s", r == 0 ? "no reply in time" :
		    strerror(errno));
		r = -1;
		goto done;
	}
	r = -1;
	n = recv(fd, *rep, MI_DGRAM_MAX, MSG_TRUNC);
	if (n < 0 || n > MI_DGRAM_MAX) {
		fail(out, addr, method, "%s", n < 0 ? strerror(errno) :
		    "reply larger than a datagram");
		goto done;
	}
	(*rep)[n] = '\0';
	*replen = (size_t)n;
	r = 0;
done:
	if (fd != -1)
		close(fd);
	if (rsock[0] != '\0')
		unlink(rsock);
	if (rdir[0] != '\0')
		rmdir(rdir);
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
	static json_int_t next_id = 1;
	json_int_t id = next_id++;
	const char *spec;
	enum mi_kind k = kind_of(addr, &spec);
	double deadline = clock_mono() + timeout;
	char *req, *rep = NULL, err[256];
	size_t replen = 0;
	json_t *j;
	int r;

	memset(out, 0, sizeof(*out));
	if (!mi_addr_ok(addr, err, sizeof(err))) {
		json_decref(params);
		fail(out, addr, method, "%s", err);
		return -1;
	}
	j = json_pack("{s:s, s:s, s:I}", "jsonrpc", "2.0", "method", method,
	    "id", id);
	if (params != NULL)
		json_object_set_new(j, "params", params);
	req = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (req == NULL) {
		fail(out, addr, method, "the request cannot be written");
		return -1;
	}
	r = k == MI_FIFO ? call_fifo(spec, addr, method, req, deadline, &rep,
	    &replen, out) : call_dgram(k, spec, addr, method, req, deadline,
	    &rep, &replen, out);
	free(req);
	if (r == 0)
		r = parse_reply(rep, replen, addr, method, id, out);
	free(rep);
	return r;
}

void
mi_reply_clear(struct mi_reply *r)
{
	json_decref(r->result);
	memset(r, 0, sizeof(*r));
}
