/*
 * memdiag.conf(5)'s checks that span keys or need the system: target
 * names, the gate and its hooks, peers, the mix, the password file's
 * mode, quiet hours, and a metrics address that stays on loopback. Each
 * value is parsed by the code that later uses it, so a file -n accepts
 * is a file the service can run.
 */
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calls/callstat.h"
#include "face/conf_priv.h"
#include "gate/gate.h"
#include "lib/addr.h"
#include "lib/xmalloc.h"
#include "proxy/rpc.h"

#define CONF_PASSWORD_MAX 1024

/* The line of group's member key, else the group's. */
static int
conf_key_line(const config_setting_t *group, const char *key)
{
	const config_setting_t *s = config_setting_get_member(group, key);

	return conf_line(s != NULL ? s : group);
}

static int
conf_absolute(struct conf_ctx *x, const config_setting_t *group,
    const char *key, const char *path)
{
	if (path != NULL && path[0] != '/')
		return conf_err(x, conf_key_line(group, key), "%s: \"%s\" is "
		    "not an absolute path", key, path);
	return 0;
}

static bool
conf_loopback(const struct addr *a)
{
	struct in6_addr in6;

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	memcpy(&in6, a->addr, sizeof(in6));
	return IN6_IS_ADDR_LOOPBACK(&in6);
}

int
conf_check_global(struct conf_ctx *x, struct conf *c,
    const config_setting_t *root)
{
	struct addr a;
	char err[256];
	int r;

	if ((r = conf_absolute(x, root, "state_dir", c->statedir)) != 0 ||
	    (r = conf_absolute(x, root, "run_dir", c->rundir)) != 0 ||
	    (r = conf_absolute(x, root, "metrics_file", c->metrics_file)) != 0)
		return r;
	if (c->metrics_listen == NULL)
		return 0;
	if (addr_parse(c->metrics_listen, true, &a, err,
	    sizeof(err)) != 0)
		return conf_err(x, conf_key_line(root, "metrics_listen"),
		    "metrics_listen: %s", err);
	if (!conf_loopback(&a) && !c->metrics_listen_any)
		return conf_err(x, conf_key_line(root, "metrics_listen"),
		    "metrics_listen: %s is not a loopback address (set "
		    "metrics_listen_any = true to serve metrics there)",
		    c->metrics_listen);
	return 0;
}

/* The first line of the file, which only memdiag may read. */
static int
conf_password(struct conf_ctx *x, struct conf_target *t,
    const config_setting_t *g)
{
	int line = conf_key_line(g, "password_file"), fd, r;
	char buf[CONF_PASSWORD_MAX + 1];
	struct stat st;
	ssize_t n;

	fd = open(t->password_file, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int e = errno;

		if (fd != -1)
			close(fd);
		return conf_err(x, line, "password_file %s: cannot open: %s",
		    t->password_file, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return conf_err(x, line, "password_file %s: not a regular "
		    "file", t->password_file);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return conf_err(x, line, "password_file %s: mode %04o lets "
		    "group or others read or write it (chmod 600 it)",
		    t->password_file, (unsigned)(st.st_mode & 07777));
	}
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n < 0)
		return conf_err(x, line, "password_file %s: cannot read: %s",
		    t->password_file, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || strlen(buf) >= CONF_PASSWORD_MAX) {
		r = conf_err(x, line, "password_file %s: %s",
		    t->password_file, buf[0] == '\0' ? "the first line is "
		    "empty" : "longer than 1 KB");
		explicit_bzero(buf, sizeof(buf));
		return r;
	}
	t->password = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* "HH:MM-HH:MM" into minutes after midnight. */
static int
conf_quiet_hours(struct conf_ctx *x, struct conf_target *t,
    const config_setting_t *g)
{
	const config_setting_t *s = config_setting_get_member(g, "quiet_hours");
	const char *v, *p;
	struct tm from, to;

	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	if ((p = strptime(v, "%H:%M", &from)) == NULL || *p++ != '-' ||
	    (p = strptime(p, "%H:%M", &to)) == NULL || *p != '\0')
		return conf_err(x, conf_line(s), "quiet_hours: \"%s\": "
		    "expected HH:MM-HH:MM", v);
	t->quiet_from = from.tm_hour * 60 + from.tm_min;
	t->quiet_to = to.tm_hour * 60 + to.tm_min;
	if (t->quiet_from == t->quiet_to)
		return conf_err(x, conf_line(s), "quiet_hours: \"%s\" is "
		    "empty", v);
	return 0;
}

static int
conf_check_name(struct conf_ctx *x, const struct conf *c,
    const struct conf_target *t, const config_setting_t *g)
{
	int line = conf_key_line(g, "name");
	size_t i;

	if (t->name == NULL)
		return conf_err(x, t->line, "target without a name");
	if (strlen(t->name) > CONF_NAME_MAX || strspn(t->name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != strlen(t->name) || t->name[0] == '.')
		return conf_err(x, line, "name: \"%s\": up to %d of "
		    "A-Z a-z 0-9 _ . -, not starting with a dot", t->name,
		    CONF_NAME_MAX);
	for (i = 0; &c->targets[i] != t; i++)
		if (strcmp(c->targets[i].name, t->name) == 0)
			return conf_err(x, line, "name: \"%s\" is already the "
			    "name of the target at line %d", t->name,
			    c->targets[i].line);
	if (t->target == NULL)
		return conf_err(x, t->line, "target \"%s\": target (pid file, "
		    "PID or systemd unit) is required", t->name);
	return 0;
}

static int
conf_check_gate(struct conf_ctx *x, struct conf_target *t,
    const config_setting_t *g)
{
	struct addr a;
	char err[256];

	if (gate_ops_find(t->gate) == NULL)
		return conf_err(x, conf_key_line(g, "gate"), "gate: \"%s\": "
		    "one of %s", t->gate, gate_ops_names());
	if (strcmp(t->gate, "hook") == 0 && (t->hook_close == NULL ||
	    t->hook_close[0] == NULL || t->hook_open == NULL ||
	    t->hook_open[0] == NULL))
		return conf_err(x, conf_key_line(g, "gate"), "gate \"hook\" "
		    "needs both gate_hook_close and gate_hook_open");
	for (t->npeers = 0; t->peers != NULL && t->peers[t->npeers] != NULL;
	    t->npeers++)
		if (addr_parse(t->peers[t->npeers], false, &a, err,
		    sizeof(err)) != 0)
			return conf_err(x, conf_key_line(g, "peers"),
			    "peers: %s", err);
	return 0;
}

static int
conf_check_calls(struct conf_ctx *x, struct conf_target *t,
    const config_setting_t *g)
{
	const config_setting_t *s;
	struct callstat_mix mix;
	char err[256];
	const char *m;

	if (callstat_mix_parse(&mix, t->mix, err, sizeof(err)) != 0)
		return conf_err(x, conf_key_line(g, "mix"), "mix: %s",
		    strncmp(err, "--mix: ", 7) == 0 ? err + 7 : err);
	if ((s = config_setting_get_member(g, "mode")) != NULL) {
		m = config_setting_get_string(s);
		if (strcmp(m, "direct") == 0)
			t->mode = CALL_MODE_DIRECT;
		else if (strcmp(m, "registered") == 0)
			t->mode = CALL_MODE_REGISTERED;
		else
			return conf_err(x, conf_line(s), "mode: \"%s\": direct "
			    "or registered", m);
		t->mode_auto = false;
	}
	if (t->settle >= t->quiet_max)
		return conf_err(x, conf_key_line(g, "settle"), "settle %.1f "
		    "must be shorter than quiet_max %.1f", t->settle,
		    t->quiet_max);
	if ((t->user != NULL) != (t->password_file != NULL))
		return conf_err(x, conf_key_line(g, t->user ? "user" :
		    "password_file"), "user and password_file go together");
	return 0;
}

int
conf_check_target(struct conf_ctx *x, const struct conf *c,
    struct conf_target *t, const config_setting_t *g)
{
	char err[256];
	struct rpc *rpc;
	int r;

	if ((r = conf_check_name(x, c, t, g)) != 0 ||
	    (r = conf_check_gate(x, t, g)) != 0 ||
	    (r = conf_check_calls(x, t, g)) != 0 ||
	    (r = conf_quiet_hours(x, t, g)) != 0 ||
	    (r = conf_absolute(x, g, "password_file", t->password_file)) != 0)
		return r;
	if (t->rpc != NULL) {
		if ((rpc = rpc_new(NULL, t->rpc, err, sizeof(err))) == NULL)
			return conf_err(x, conf_key_line(g, "rpc"), "rpc: %s",
			    err);
		rpc_free(rpc);
	}
	if (t->password_file != NULL)
		return conf_password(x, t, g);
	return 0;
}
