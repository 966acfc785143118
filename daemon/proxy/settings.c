/*
 * The proxy's runtime settings that memdiag changes. The rule: the
 * original value is on disk (written, synced, renamed into place) before
 * the proxy is asked to change anything, and the file goes away only when
 * every value is back. A state file names the proxy by PID and start time
 * and its owner the same way, so cleanup restores only to the process the
 * values came from and never touches a live memdiag's file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/statedir.h"
#include "lib/xmalloc.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"
#include "proxy/settings.h"

#define SETTINGS_RPC_TIMEOUT 3.0

static unsigned long long
starttime_of(pid_t pid)
{
	struct procfs_stat st;

	return procfs_read_stat(pid, &st) ? st.starttime : 0;
}

struct settings *
settings_new(const char *statedir, const struct target *t, const char *rpc)
{
	struct settings *s = xcalloc(1, sizeof(*s));

	(void)mkdir(statedir, 0750);
	xasprintf(&s->path, "%s/settings-%s-%d-%llu.json", statedir,
	    t->flavour, (int)t->main.pid, t->main.starttime);
	s->rpc = xstrdup(rpc);
	s->pid = t->main.pid;
	s->starttime = t->main.starttime;
	return s;
}

static int
save(struct settings *s, char *err, size_t errlen)
{
	json_t *o, *arr = json_array();
	char tmp[PATH_MAX];
	int fd, i, rc = 0;
	char *text;

	for (i = 0; i < s->n; i++)
		if (s->v[i].changed)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I}",
			    "group", s->v[i].group, "name", s->v[i].name, "orig",
			    (json_int_t)s->v[i].orig));
	o = json_pack("{s:i, s:I, s:s, s:i, s:I, s:o}", "proxy_pid",
	    (int)s->pid, "proxy_starttime", (json_int_t)s->starttime, "rpc",
	    s->rpc, "owner_pid", (int)getpid(), "owner_starttime",
	    (json_int_t)starttime_of(getpid()), "settings", arr);
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fsync(fd) == -1 || rename(tmp, s->path) == -1) {
		snprintf(err, errlen, "%s: cannot save the proxy's settings "
		    "before changing them: %s", s->path, strerror(errno));
		unlink(tmp);
		s->unsaved = true;
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(text);
	return rc;
}

static int
rpc_int(const char *addr, struct binrpc_req *req, int64_t *out, char *err,
    size_t errlen)
{
	struct rpc_result *res = rpc_sync(addr, req, SETTINGS_RPC_TIMEOUT);
	int rc = out ? rpc_kam_cfg_int(res, out) : rpc_kam_done(res);

	if (rc != 0)
		snprintf(err, errlen, "%s", res->error ? res->error :
		    "RPC failed");
	rpc_result_free(res);
	return rc;
}

int
settings_get(struct settings *s, const char *group, const char *name,
    int64_t *value, char *err, size_t errlen)
{
	return rpc_int(s->rpc, rpc_kam_req_cfg_get(group, name), value, err,
	    errlen);
}

static void op_done(struct settings *, int rc, int64_t value,
    const char *err);

static void
on_set(struct rpc_result *res, void *arg)
{
	struct settings *s = arg;

	if (rpc_kam_done(res) != 0) {
		op_done(s, -1, 0, res->error);
		return;
	}
	op_done(s, 0, s->op.value, NULL);
}

static void
set_now(struct settings *s, struct rpc *rpc)
{
	rpc_call_req(rpc, rpc_kam_req_cfg_set_now_int(s->op.group, s->op.name,
	    (int32_t)s->op.value), SETTINGS_RPC_TIMEOUT, on_set, s);
}

/* The current value: a get's answer, or the original of a first set. */
static void
on_get(struct rpc_result *res, void *arg)
{
	struct settings *s = arg;
	char err[512];
	int64_t v;
	int i = s->op.i;

	if (rpc_kam_cfg_int(res, &v) != 0) {
		op_done(s, -1, 0, res->error);
		return;
	}
	if (i < 0) {
		op_done(s, 0, v, NULL);
		return;
	}
	if (s->n == SETTINGS_MAX) {
		op_done(s, -1, 0, "too many settings");
		return;
	}
	/* on disk before the proxy is asked to change anything */
	snprintf(s->v[i].group, sizeof(s->v[i].group), "%s", s->op.group);
	snprintf(s->v[i].name, sizeof(s->v[i].name), "%s", s->op.name);
	s->v[i].orig = v;
	s->v[i].changed = true;
	s->n++;
	if (save(s, err, sizeof(err)) != 0) {
		s->n--;
		op_done(s, -1, 0, err);
		return;
	}
	set_now(s, s->op.rpc);
}

static void
op_done(struct settings *s, int rc, int64_t value, const char *err)
{
	settings_cb cb = s->op.cb;

	s->op.busy = false;
	cb(rc, value, err != NULL ? err : "", s->op.arg);
}

static void
op_start(struct settings *s, struct rpc *rpc, const char *group,
    const char *name, int64_t value, settings_cb cb, void *arg)
{
	if (s->op.busy)
		fatalx(1, "settings: a call is in flight already");
	s->op.busy = true;
	snprintf(s->op.group, sizeof(s->op.group), "%s", group);
	snprintf(s->op.name, sizeof(s->op.name), "%s", name);
	s->op.value = value;
	s->op.cb = cb;
	s->op.arg = arg;
	s->op.rpc = rpc;
}

void
settings_drop(struct settings *s)
{
	s->op.busy = false;
}

void
settings_get_async(struct settings *s, struct rpc *rpc, const char *group,
    const char *name, settings_cb cb, void *arg)
{
	op_start(s, rpc, group, name, 0, cb, arg);
	s->op.i = -1;
	rpc_call_req(rpc, rpc_kam_req_cfg_get(group, name),
	    SETTINGS_RPC_TIMEOUT, on_get, s);
}

void
settings_set_async(struct settings *s, struct rpc *rpc, const char *group,
    const char *name, int64_t value, settings_cb cb, void *arg)
{
	int i;

	op_start(s, rpc, group, name, value, cb, arg);
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].group, group) == 0 &&
		    strcmp(s->v[i].name, name) == 0)
			break;
	/* known: its original is saved already */
	if (i < s->n) {
		s->op.i = i;
		set_now(s, rpc);
		return;
	}
	s->op.i = s->n;
	rpc_call_req(rpc, rpc_kam_req_cfg_get(group, name),
	    SETTINGS_RPC_TIMEOUT, on_get, s);
}

bool
settings_restore(struct settings *s, char *err, size_t errlen)
{
	bool ok = true;
	int i;

	for (i = s->n - 1; i >= 0; i--) {
		char e[256];

		if (!s->v[i].changed)
			continue;
		if (rpc_int(s->rpc, rpc_kam_req_cfg_set_now_int(s->v[i].group,
		    s->v[i].name, (int32_t)s->v[i].orig), NULL, e,
		    sizeof(e)) != 0) {
			snprintf(err, errlen, "cannot restore %s.%s=%lld: %s",
			    s->v[i].group, s->v[i].name,
			    (long long)s->v[i].orig, e);
			ok = false;
			continue;
		}
		s->v[i].changed = false;
	}
	if (ok && s->n > 0)
		unlink(s->path);
	return ok;
}

void
settings_free(struct settings *s)
{
	if (s == NULL)
		return;
	free(s->path);
	free(s->rpc);
	free(s);
}

/* One state file left behind: 1 restored, 0 skipped, -1 failed. */
static int
cleanup_one(const char *path)
{
	char lerr[512];
	json_t *o = statedir_load(path, lerr, sizeof(lerr)), *arr, *v;
	json_int_t ppid = 0, pst = 0, opid = 0, ost = 0;
	const char *rpc = NULL;
	struct settings s;
	char err[512];
	size_t i;
	int rc;

	if (o == NULL || json_unpack(o, "{s:I, s:I, s:s, s:I, s:I, s:o}",
	    "proxy_pid", &ppid, "proxy_starttime", &pst, "rpc", &rpc,
	    "owner_pid", &opid, "owner_starttime", &ost, "settings",
	    &arr) != 0 || !json_is_array(arr)) {
		if (o == NULL)
			log_warnx("%s; left alone", lerr);
		else
			log_warnx("%s: not a memdiag state file (wrong keys); "
			    "left alone", path);
		json_decref(o);
		return -1;
	}
	if (opid > 0 && (unsigned long long)ost == starttime_of((pid_t)opid)) {
		json_decref(o);
		return 0;	/* its memdiag is alive: its own business */
	}
	if (starttime_of((pid_t)ppid) != (unsigned long long)pst) {
		log_info("%s: the proxy (pid %lld) is gone; nothing to restore",
		    path, (long long)ppid);
		unlink(path);
		json_decref(o);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.path = (char *)path;
	s.rpc = (char *)rpc;
	json_array_foreach(arr, i, v) {
		const char *g, *n;
		json_int_t orig;

		if (s.n == SETTINGS_MAX || json_unpack(v, "{s:s, s:s, s:I}",
		    "group", &g, "name", &n, "orig", &orig) != 0)
			continue;
		snprintf(s.v[s.n].group, sizeof(s.v[0].group), "%s", g);
		snprintf(s.v[s.n].name, sizeof(s.v[0].name), "%s", n);
		s.v[s.n].orig = orig;
		s.v[s.n].changed = true;
		s.n++;
	}
	if (settings_restore(&s, err, sizeof(err))) {
		log_info("restored the settings a dead run changed on proxy "
		    "pid %lld (%s)", (long long)ppid, path);
		rc = 1;
	} else {
		log_warnx("%s: %s", path, err);
		rc = -1;
	}
	json_decref(o);
	return rc;
}

int
settings_cleanup(const char *statedir, int *failed)
{
	return statedir_each(statedir, "settings-", cleanup_one, failed);
}
