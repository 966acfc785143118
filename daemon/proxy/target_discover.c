/*
 * What an operator would otherwise look up about a proxy: the addresses it
 * listens on (its processes' socket inodes matched against its network
 * namespace's tables), its ctl sockets (likeliest binrpc first), and where
 * its log lines go.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procfs.h"
#include "lib/xmalloc.h"
#include "proxy/target.h"
#include "proxy/target_priv.h"

static void
add_inodes(unsigned long **all, size_t *n, pid_t pid)
{
	size_t k, i;
	unsigned long *ino = procfs_socket_inodes(pid, &k);

	*all = xreallocarray(*all, *n + k + 1, sizeof(**all));
	for (i = 0; i < k; i++)
		(*all)[(*n)++] = ino[i];
	free(ino);
}

static int
ctl_rank(const char *addr)
{
	/* binrpc's default name first, then any other name with "ctl" */
	if (strstr(addr, "kamailio_ctl") || strstr(addr, "ser_ctl"))
		return 0;
	if (strstr(addr, "ctl"))
		return 1;
	if (strstr(addr, "rpc.sock") || strstr(addr, "fifo"))
		return 3;
	return 2;
}

static int
ctl_cmp(const void *a, const void *b)
{
	return ctl_rank(*(char *const *)a) - ctl_rank(*(char *const *)b);
}

/*
 * "unix:/var/run/kamailio//kamailio_ctl" (ctl's default, built on the
 * /var/run symlink) as the operator knows it: unix:/run/kamailio/...
 */
static void
ctl_canonical(char **addr)
{
	char real[PATH_MAX], *p = strchr(*addr, ':');

	if (p == NULL || p[1] != '/' || realpath(p + 1, real) == NULL ||
	    strcmp(real, p + 1) == 0)
		return;
	p[1] = '\0';
	xasprintf(&p, "%s%s", *addr, real);
	free(*addr);
	*addr = p;
}

#define MI_CFG_MAX (4 << 20)	/* bytes of a configuration read */

/* "stderror_enabled = yes" (3.x), "log_stderror=1" (older) */
static bool
stderr_setting(const char *line)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strncmp(p, "stderror_enabled", 16) == 0 ? 16 :
	    strncmp(p, "log_stderror", 12) == 0 ? 12 : 0;

	if (n == 0)
		return false;
	p += n;
	p += strspn(p, " \t");
	if (*p++ != '=')
		return false;
	p += strspn(p, " \t");
	return strncmp(p, "yes", 3) == 0 || strncmp(p, "on", 2) == 0 ||
	    strncmp(p, "true", 4) == 0 || *p == '1';
}

/*
 * What OpenSIPS's configuration says that /proc does not: mi_fifo's
 * reply_dir, if it sets one that exists (a preprocessed file may hold a
 * macro there; else mi_fifo's default, /tmp/), and whether it logs to
 * stderr (it has no -E since 3.x). Read as text, line by line: what it
 * cannot read stays at the defaults.
 */
static void
osips_cfg(struct target *t, char *rdir, size_t len)
{
	char path[PATH_MAX], why[256], *buf, *line, *save = NULL;
	struct stat st;

	snprintf(rdir, len, "/tmp/");
	if (target_cfg_path(t, "/etc/opensips/opensips.cfg", path,
	    sizeof(path), why, sizeof(why)) != 0)
		return;
	buf = xmalloc(MI_CFG_MAX);
	if (procfs_read_file(path, buf, MI_CFG_MAX) < 0) {
		free(buf);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *q, *e;

		if (stderr_setting(line))
			t->stderr_log = true;
		if (strstr(line, "modparam") == NULL ||
		    strstr(line, "\"mi_fifo\"") == NULL ||
		    strstr(line, "\"reply_dir\"") == NULL ||
		    (e = strrchr(line, '"')) == NULL)
			continue;
		*e = '\0';
		if ((q = strrchr(line, '"')) == NULL)
			continue;
		if (q[1] == '/' && stat(q + 1, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			snprintf(rdir, len, "%s", q + 1);
	}
	free(buf);
}

/*
 * OpenSIPS speaks MI, not binrpc: its unix datagram sockets are
 * mi_datagram's (dgram:PATH), the FIFOs its processes hold open
 * mi_fifo's (fifo:PATH,REPLY_DIR). Datagrams first: they need no reply
 * FIFO on disk, nor the reply_dir right.
 */
static void
mi_candidates(struct target *t)
{
	char **out = NULL, rdir[PATH_MAX];
	size_t n = 0, i, k, nf;
	pid_t *pids = xcalloc(t->nkids + 1, sizeof(*pids));

	for (i = 0; i < t->nctl; i++) {
		if (strncmp(t->ctl[i], "unixd:", 6) == 0) {
			out = xreallocarray(out, n + 2, sizeof(*out));
			xasprintf(&out[n++], "dgram:%s", t->ctl[i] + 6);
		}
		free(t->ctl[i]);
	}
	free(t->ctl);
	pids[0] = t->main.pid;
	for (i = 0; i < t->nkids; i++)
		pids[i + 1] = t->kids[i].pid;
	osips_cfg(t, rdir, sizeof(rdir));
	for (k = 0; k <= t->nkids; k++) {
		char **f = procfs_fifo_paths(pids[k], &nf);

		for (i = 0; i < nf; i++) {
			char *a;
			size_t j;

			xasprintf(&a, "fifo:%s,%s", f[i], rdir);
			for (j = 0; j < n && strcmp(out[j], a) != 0; j++)
				;
			if (j < n)
				free(a);
			else {
				out = xreallocarray(out, n + 2, sizeof(*out));
				out[n++] = a;
			}
			free(f[i]);
		}
		free(f);
	}
	if (out != NULL)
		out[n] = NULL;
	t->ctl = out;
	t->nctl = n;
	free(pids);
}

void
target_discover_sockets(struct target *t)
{
	unsigned long *inodes = NULL;
	struct procfs_sock *socks;
	size_t n = 0, ns, i, j;

	add_inodes(&inodes, &n, t->main.pid);
	for (i = 0; i < t->nkids; i++)
		add_inodes(&inodes, &n, t->kids[i].pid);
	socks = procfs_sockets(t->main.pid, &ns);
	for (i = 0; i < ns; i++) {
		struct addr *a;
		bool dup = false;

		if (!socks[i].listening)
			continue;
		for (j = 0; j < n && inodes[j] != socks[i].inode; j++)
			;
		if (j == n)
			continue;
		for (j = 0; j < t->nlisten; j++)
			if (t->listen[j].port == socks[i].port &&
			    t->listen[j].family == socks[i].family &&
			    memcmp(t->listen[j].addr, socks[i].addr, 16) == 0 &&
			    t->listen[j].proto == (socks[i].proto == PROCFS_TCP ?
			    IPPROTO_TCP : IPPROTO_UDP))
				dup = true;
		if (dup)
			continue;
		t->listen = xreallocarray(t->listen, t->nlisten + 1,
		    sizeof(*t->listen));
		a = &t->listen[t->nlisten++];
		a->proto = socks[i].proto == PROCFS_TCP ? IPPROTO_TCP :
		    IPPROTO_UDP;
		a->family = socks[i].family;
		memcpy(a->addr, socks[i].addr, 16);
		a->port = socks[i].port;
	}
	free(socks);
	t->ctl = procfs_unix_paths(t->main.pid, inodes, n, &t->nctl);
	for (i = 0; i < t->nctl; i++)
		ctl_canonical(&t->ctl[i]);
	if (t->nctl > 1)
		qsort(t->ctl, t->nctl, sizeof(*t->ctl), ctl_cmp);
	free(inodes);
	if (strcmp(t->flavour, "opensips") == 0)
		mi_candidates(t);
}

static bool
unix_socket_path_is(pid_t pid, unsigned long ino, const char *want)
{
	char **paths;
	size_t n, i;
	bool hit = false;

	paths = procfs_unix_paths(pid, &ino, 1, &n);
	for (i = 0; i < n; i++) {
		if (strstr(paths[i], want) != NULL)
			hit = true;
		free(paths[i]);
	}
	free(paths);
	return hit;
}

/* Where do the proxy's log lines go? stderr with -E (or log_stderror),
 * else syslog(3): whoever reads /dev/log (target_syslog.c). */
void
target_discover_log(struct target *t)
{
	struct target_log *l = &t->log;
	char path[64], link[PATH_MAX];
	ssize_t n;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)t->main.pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0)
		link[n] = '\0';
	if (t->stderr_log) {
		if (n <= 0) {
			l->kind = TARGET_LOG_UNKNOWN;
			l->why = xstrdup("-E given, but its stderr cannot be "
			    "read (give --log)");
		} else if (link[0] == '/' && stat(link, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			l->kind = TARGET_LOG_FILE;
			l->path = xstrdup(link);
			l->why = xstrdup(strcmp(t->flavour, "opensips") == 0 ?
			    "logs to stderr, a file" : "-E, stderr is a file");
		} else if (procfs_socket_inode(link) != 0 &&
		    unix_socket_path_is(t->main.pid,
		    procfs_socket_inode(link), "/journal/stdout")) {
			l->kind = TARGET_LOG_JOURNAL;
			l->why = xstrdup("-E, stderr is a journald stream");
		} else {
			l->kind = TARGET_LOG_PIPE;
			xasprintf(&l->why, "-E, stderr is %s: not readable "
			    "from outside (give --log)", link);
		}
		return;
	}
	target_discover_syslog(t);
}


bool
target_udp_hostport(const struct target *t, size_t nth, char *buf,
    size_t len)
{
	static const uint8_t any[16];
	char ip[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < t->nlisten; i++) {
		const struct addr *a = &t->listen[i];

		if (a->proto != IPPROTO_UDP || nth-- > 0)
			continue;
		if (memcmp(a->addr, any, a->family == AF_INET ? 4 : 16) == 0)
			snprintf(ip, sizeof(ip), "%s", a->family == AF_INET ?
			    "127.0.0.1" : "::1");
		else
			inet_ntop(a->family, a->addr, ip, sizeof(ip));
		snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		    ip, a->port);
		return true;
	}
	return false;
}
