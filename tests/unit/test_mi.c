/*
 * mi.c against fake MI servers in a child process: mi_fifo's protocol
 * (":REPLY:{request}" on its FIFO, the reply on a FIFO in reply_dir) and
 * mi_datagram's (a unix datagram, the reply to the sender). The server
 * checks the request is JSON-RPC 2.0 and answers a result, an error, a
 * reply that is not JSON, or nothing. mi_call_async the same on a
 * libevent loop: every callback once, from the loop, none after a cancel.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "lib/log.h"
#include "proxy/mi.h"

#include "tmpdir.h"


/* What the fake server answers to a request for method m. */
static char *
answer(const char *req)
{
	json_error_t je;
	json_t *j = json_loads(req, 0, &je), *r;
	const char *m = json_string_value(json_object_get(j, "method"));
	json_int_t id = json_integer_value(json_object_get(j, "id"));
	char *out;

	if (j == NULL || m == NULL || strcmp(json_string_value(
	    json_object_get(j, "jsonrpc")), "2.0") != 0)
		return strdup("500 bad request");
	if (strcmp(m, "silent") == 0) {
		json_decref(j);
		return NULL;
	}
	if (strcmp(m, "version") == 0)
		r = json_pack("{s:s, s:{s:s}, s:I}", "jsonrpc", "2.0", "result",
		    "Server", "OpenSIPS (3.6.8 (x86_64/linux))", "id", id);
	else if (strcmp(m, "echo") == 0)
		r = json_pack("{s:s, s:O, s:I}", "jsonrpc", "2.0", "result",
		    json_object_get(j, "params"), "id", id);
	else if (strcmp(m, "text") == 0) {
		json_decref(j);
		return strdup("500 command failed");
	} else
		r = json_pack("{s:s, s:{s:i, s:s}, s:I}", "jsonrpc", "2.0",
		    "error", "code", -32601, "message", "Method not found",
		    "id", id);
	out = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	json_decref(j);
	return out;
}

/* mi_fifo: one request per line, ":REPLY:{json}\n" */
static pid_t
fifo_server(const char *path, const char *reply_dir, int requests)
{
	pid_t pid;

	FILE *f;
	int rw;

	assert_int_equal(mkfifo(path, 0600), 0);
	/* open for good before the first request, as mi_fifo keeps it */
	assert_int_not_equal(rw = open(path, O_RDWR), -1);
	if ((pid = fork()) != 0) {
		close(rw);
		return pid;
	}
	f = fdopen(rw, "r");
	for (int i = 0; i < requests; i++) {
		char line[8192], rpath[512], *name, *json, *ans;
		int fd;

		if (f == NULL || fgets(line, sizeof(line), f) == NULL)
			_exit(1);
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != ':' || (json = strchr(line + 1, ':')) == NULL)
			_exit(2);
		*json++ = '\0';
		name = line + 1;
		snprintf(rpath, sizeof(rpath), "%.300s%.200s", reply_dir, name);
		if ((ans = answer(json)) == NULL)
			continue;
		if ((fd = open(rpath, O_WRONLY)) == -1)
			_exit(3);
		if (write(fd, ans, strlen(ans)) < 0)
			_exit(4);
		close(fd);
		free(ans);
	}
	_exit(0);
}

static pid_t
dgram_server(const char *path, int requests)
{
	struct sockaddr_un sun;
	pid_t pid;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if ((pid = fork()) != 0) {
		close(fd);
		return pid;
	}
	for (int i = 0; i < requests; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char buf[65536], *ans;
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
		    (struct sockaddr *)&from, &fl);

		if (n < 0)
			_exit(1);
		buf[n] = '\0';
		if ((ans = answer(buf)) == NULL)
			continue;
		sendto(fd, ans, strlen(ans), 0, (struct sockaddr *)&from, fl);
		free(ans);
	}
	_exit(0);
}

static void
reap(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* the same calls over each transport */
static void
calls(const char *addr)
{
	struct mi_reply r;

	assert_int_equal(mi_call(addr, "version", NULL, 2.0, &r), 0);
	assert_string_equal(json_string_value(json_object_get(r.result,
	    "Server")), "OpenSIPS (3.6.8 (x86_64/linux))");
	mi_reply_clear(&r);
	/* parameters go out as given */
	assert_int_equal(mi_call(addr, "echo", json_pack("{s:s, s:i}",
	    "group", "shmem:", "n", 7), 2.0, &r), 0);
	assert_string_equal(json_string_value(json_object_get(r.result,
	    "group")), "shmem:");
	mi_reply_clear(&r);
	/* a JSON-RPC error: its code, "method not found" said */
	assert_int_equal(mi_call(addr, "mem:shm_dump", NULL, 2.0, &r), -1);
	assert_int_equal(r.code, -32601);
	assert_true(r.no_method);
	assert_non_null(strstr(r.error, "mem:shm_dump: error -32601"));
	mi_reply_clear(&r);
	/* plain text (mi_fifo's internal errors) */
	assert_int_equal(mi_call(addr, "text", NULL, 2.0, &r), -1);
	assert_non_null(strstr(r.error, "not a JSON-RPC reply: 500 command"));
	mi_reply_clear(&r);
	/* no reply: the deadline */
	assert_int_equal(mi_call(addr, "silent", NULL, 0.3, &r), -1);
	assert_non_null(strstr(r.error, "no reply in time"));
	mi_reply_clear(&r);
}

static void
test_fifo(void **state)
{
	char path[128], addr[272], rdir[128];
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/opensips_fifo", tmpdir);
	snprintf(rdir, sizeof(rdir), "%s/replies/", tmpdir);
	assert_int_equal(mkdir(rdir, 0700), 0);
	pid = fifo_server(path, rdir, 5);
	snprintf(addr, sizeof(addr), "fifo:%s,%s", path, rdir);
	calls(addr);
	reap(pid);
	/* no reply FIFO left behind */
	assert_int_equal(rmdir(rdir), 0);
	unlink(path);
}

static void
test_dgram(void **state)
{
	char path[128], addr[256];
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/opensips.sock", tmpdir);
	pid = dgram_server(path, 5);
	snprintf(addr, sizeof(addr), "dgram:%s", path);
	calls(addr);
	reap(pid);
	unlink(path);
}

static void
test_unreachable(void **state)
{
	struct mi_reply r;
	char addr[256], err[256];

	(void)state;
	snprintf(addr, sizeof(addr), "dgram:%s/nobody.sock", tmpdir);
	assert_int_equal(mi_call(addr, "version", NULL, 1.0, &r), -1);
	assert_non_null(strstr(r.error, "nobody listens"));
	mi_reply_clear(&r);
	/* a FIFO nobody reads */
	snprintf(addr, sizeof(addr), "%s/lonely_fifo", tmpdir);
	assert_int_equal(mkfifo(addr, 0600), 0);
	snprintf(addr, sizeof(addr), "fifo:%s/lonely_fifo", tmpdir);
	assert_int_equal(mi_call(addr, "version", NULL, 1.0, &r), -1);
	assert_non_null(strstr(r.error, "nobody reads the FIFO"));
	mi_reply_clear(&r);
	snprintf(addr, sizeof(addr), "%s/lonely_fifo", tmpdir);
	unlink(addr);
	/* spellings */
	assert_false(mi_addr_ok("unix:/x", err, sizeof(err)));
	assert_non_null(strstr(err, "not an MI address"));
	assert_false(mi_addr_ok("fifo:relative", err, sizeof(err)));
	assert_true(mi_addr_ok("dgram:127.0.0.1:8080", err, sizeof(err)));
	assert_false(mi_addr_ok("dgram:127.0.0.1", err, sizeof(err)));
	assert_int_equal(mi_call("tcp:1.2.3.4:5", "version", json_array(),
	    1.0, &r), -1);
	mi_reply_clear(&r);
}

/* What one asynchronous call got. */
struct got {
	int calls;
	bool ok;
	char what[512];
	bool *in_call;	/* set while mi_call_async runs */
};

static void
on_reply(struct mi_reply *r, void *arg)
{
	struct got *g = arg;

	assert_false(*g->in_call);
	g->calls++;
	g->ok = r->result != NULL;
	if (r->result != NULL) {
		const char *v = json_string_value(json_object_get(r->result,
		    "Server"));

		snprintf(g->what, sizeof(g->what), "%s", v ? v : "(result)");
	} else
		snprintf(g->what, sizeof(g->what), "%s", r->error);
}

static void
async_calls(const char *addr)
{
	struct event_base *base = event_base_new();
	struct got version = { 0 }, silent = { 0 }, cancelled = { 0 },
	    bad = { 0 };
	struct mi_async *c;
	bool in_call = false;
	char nobody[256];

	version.in_call = silent.in_call = cancelled.in_call = bad.in_call =
	    &in_call;
	snprintf(nobody, sizeof(nobody), "dgram:%s/nobody.sock", tmpdir);
	in_call = true;
	mi_call_async(base, addr, "version", NULL, 2.0, on_reply, &version);
	mi_call_async(base, addr, "silent", NULL, 0.3, on_reply, &silent);
	c = mi_call_async(base, addr, "version", NULL, 2.0, on_reply,
	    &cancelled);
	/* a failure before anything is sent comes from the loop too */
	mi_call_async(base, nobody, "version", NULL, 2.0, on_reply, &bad);
	in_call = false;
	mi_async_cancel(c);
	event_base_dispatch(base);
	assert_int_equal(version.calls, 1);
	assert_true(version.ok);
	assert_string_equal(version.what, "OpenSIPS (3.6.8 (x86_64/linux))");
	assert_int_equal(silent.calls, 1);
	assert_non_null(strstr(silent.what, "no reply in time"));
	assert_int_equal(cancelled.calls, 0);
	assert_int_equal(bad.calls, 1);
	assert_non_null(strstr(bad.what, "nobody listens"));
	event_base_free(base);
}

static void
test_async(void **state)
{
	char path[128], addr[272], rdir[128];
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/async.sock", tmpdir);
	pid = dgram_server(path, 3);
	snprintf(addr, sizeof(addr), "dgram:%s", path);
	async_calls(addr);
	reap(pid);
	unlink(path);
	/* the FIFO: one request at a time, as mi_fifo reads them */
	snprintf(path, sizeof(path), "%s/async_fifo", tmpdir);
	snprintf(rdir, sizeof(rdir), "%s/areplies/", tmpdir);
	assert_int_equal(mkdir(rdir, 0700), 0);
	pid = fifo_server(path, rdir, 3);
	snprintf(addr, sizeof(addr), "fifo:%s,%s", path, rdir);
	async_calls(addr);
	reap(pid);
	assert_int_equal(rmdir(rdir), 0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_dgram),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_async),
	};

	log_init("test_mi", -1);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
