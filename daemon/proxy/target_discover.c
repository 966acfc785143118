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
			l->why = xstrdup("-E, stderr is a file");
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
