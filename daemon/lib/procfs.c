/*
 * /proc, read carefully: every field is parsed with bounds, a process
 * that vanishes between two reads is an ordinary failure, and nothing
 * here signals or changes anything.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procfs.h"
#include "lib/rfile.h"
#include "lib/xmalloc.h"

#define PROCFS_ENVIRON_MAX 65536	/* bytes of an environment read */

static bool
parse_ull(const char **p, const char *end, unsigned long long *out, int base)
{
	const char *s = *p;
	unsigned long long v = 0;
	int n = 0;

	while (s < end && *s == ' ')
		s++;
	for (; s < end; s++, n++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (ULLONG_MAX - d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + d;
	}
	if (n == 0)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool
procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st)
{
	const char *end = buf + len, *open, *close = NULL, *p;
	unsigned long long v;
	int field;

	memset(st, 0, sizeof(*st));
	p = buf;
	if (!parse_ull(&p, end, &v, 10) || v == 0 || v > INT_MAX)
		return false;
	st->pid = (pid_t)v;
	open = memchr(buf, '(', len);
	/* comm may contain ')': the last one closes it */
	for (p = buf; p < end; p++)
		if (*p == ')')
			close = p;
	if (open == NULL || close == NULL || close < open)
		return false;
	snprintf(st->comm, sizeof(st->comm), "%.*s",
	    (int)(close - open - 1 < 31 ? close - open - 1 : 31), open + 1);
	p = close + 1;
	if (end - p < 3 || p[0] != ' ')
		return false;
	st->state = p[1];
	p += 2;
	/* field 3 was the state; ppid is 4, starttime 22 */
	for (field = 4; field <= 22; field++) {
		long long sv = 0;

		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-') {
			p++;
			if (!parse_ull(&p, end, &v, 10))
				return false;
			sv = -(long long)v;
		} else if (!parse_ull(&p, end, &v, 10))
			return false;
		else
			sv = (long long)v;
		if (field == 4)
			st->ppid = (pid_t)sv;
		if (field == 22)
			st->starttime = v;
	}
	return true;
}

bool
procfs_parse_status(const char *buf, size_t len, struct procfs_status *st)
{
	const char *p = buf, *end = buf + len;
	bool have_sig = false, have_ppid = false;

	memset(st, 0, sizeof(*st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *v;
		unsigned long long x;

		if (le - p > 7 && memcmp(p, "SigCgt:", 7) == 0) {
			v = p + 7;
			while (v < le && (*v == '\t' || *v == ' '))
				v++;
			if (parse_ull(&v, le, &x, 16)) {
				st->sigcgt = x;
				have_sig = true;
			}
		} else if (le - p > 7 && memcmp(p, "CapEff:", 7) == 0) {
			v = p + 7;
			while (v < le && (*v == '\t' || *v == ' '))
				v++;
			if (parse_ull(&v, le, &x, 16))
				st->capeff = x;
		} else if (le - p > 5 && memcmp(p, "PPid:", 5) == 0) {
			v = p + 5;
			while (v < le && (*v == '\t' || *v == ' '))
				v++;
			if (parse_ull(&v, le, &x, 10) && x <= INT_MAX) {
				st->ppid = (pid_t)x;
				have_ppid = true;
			}
		} else if (le - p > 4 && memcmp(p, "Uid:", 4) == 0) {
			v = p + 4;
			while (v < le && (*v == '\t' || *v == ' '))
				v++;
			if (parse_ull(&v, le, &x, 10))
				st->uid = (uid_t)x;
		} else if (le - p > 6 && memcmp(p, "NSpid:", 6) == 0) {
			v = p + 6;
			st->nnspid = 0;
			while (st->nnspid < 8) {
				while (v < le && (*v == '\t' || *v == ' '))
					v++;
				if (!parse_ull(&v, le, &x, 10) || x > INT_MAX)
					break;
				st->nspid[st->nnspid++] = (pid_t)x;
			}
		}
		p = le + 1;
	}
	return have_sig && have_ppid;
}

bool
procfs_catches(uint64_t sigcgt, int sig)
{
	return sig >= 1 && sig <= 64 && (sigcgt >> (sig - 1)) & 1;
}

/*
 * "  12: 0100007F:13C4 00000000:0000 07 ... 0 0 24274 2 ..." (IPv4 in
 * host order per 32-bit word, as the kernel prints it).
 */
bool
procfs_parse_net_line(const char *line, enum procfs_proto proto, int family,
    struct procfs_sock *s)
{
	const char *p = line, *end = line + strlen(line);
	unsigned long long v, st;
	int i, words = family == AF_INET6 ? 4 : 1, field;

	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->family = family;
	while (p < end && *p == ' ')
		p++;
	if (!parse_ull(&p, end, &v, 10) || p >= end || *p != ':')
		return false;
	p++;
	while (p < end && *p == ' ')
		p++;
	if (end - p < words * 8 + 5)
		return false;
	for (i = 0; i < words; i++) {
		char hex[9];
		const char *h = hex;
		uint32_t w;

		memcpy(hex, p + i * 8, 8);
		hex[8] = '\0';
		if (!parse_ull(&h, hex + 8, &v, 16) || h != hex + 8)
			return false;
		w = (uint32_t)v;
		/* the kernel prints each 32-bit word in host (little) order */
		memcpy(s->addr + 4 * i, &w, 4);
	}
	p += words * 8;
	if (*p != ':')
		return false;
	p++;
	if (!parse_ull(&p, end, &v, 16) || v > 65535)
		return false;
	s->port = (uint16_t)v;
	/* rem_address */
	while (p < end && *p == ' ')
		p++;
	while (p < end && *p != ' ')
		p++;
	if (!parse_ull(&p, end, &st, 16))
		return false;
	s->listening = proto == PROCFS_TCP ? st == 0x0A : st == 0x07;
	/* tx:rx, tr:when, retrnsmt, uid, timeout, then the inode */
	for (field = 0; field < 5; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	if (!parse_ull(&p, end, &v, 10))
		return false;
	s->inode = (unsigned long)v;
	return true;
}

unsigned long
procfs_socket_inode(const char *link)
{
	const char *p = link;
	unsigned long long v;

	if (strncmp(p, "socket:[", 8) != 0)
		return 0;
	p += 8;
	if (!parse_ull(&p, p + strlen(p), &v, 10) || *p != ']')
		return 0;
	return (unsigned long)v;
}

long
procfs_parse_syscall(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned long long v;

	if (len >= 7 && memcmp(buf, "running", 7) == 0)
		return -1;
	if (!parse_ull(&p, end, &v, 10) || v > 100000)
		return -2;
	return (long)v;
}

bool
procfs_parse_environ(const char *buf, size_t len, const char *name,
    char *out, size_t outlen)
{
	size_t nl = strlen(name), off = 0;

	while (off < len) {
		const char *e = buf + off;
		const char *end = memchr(e, '\0', len - off);
		size_t el = end ? (size_t)(end - e) : len - off;

		if (el > nl && memcmp(e, name, nl) == 0 && e[nl] == '=') {
			size_t vl = el - nl - 1;

			if (vl == 0 || vl >= outlen)
				return false;
			memcpy(out, e + nl + 1, vl);
			out[vl] = '\0';
			return true;
		}
		off += el + 1;
	}
	return false;
}

bool
procfs_read_environ(pid_t pid, const char *name, char *out, size_t outlen)
{
	char path[64], *buf;
	size_t have = 0;
	ssize_t n;
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	buf = xmalloc(PROCFS_ENVIRON_MAX);
	while (have < PROCFS_ENVIRON_MAX && (n = read(fd, buf + have,
	    PROCFS_ENVIRON_MAX - have)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		have += (size_t)n;
	}
	close(fd);
	ok = procfs_parse_environ(buf, have, name, out, outlen);
	free(buf);
	return ok;
}

ssize_t
procfs_read_file(const char *path, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n = 0;
	int fd;

	if (len == 0 || (fd = rfile_open(path, 0, NULL)) == -1)
		return -1;
	while (have < len - 1) {
		n = read(fd, buf + have, len - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (n == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
}

bool
procfs_read_stat(pid_t pid, struct procfs_stat *st)
{
	char path[64], buf[2048];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((n = procfs_read_file(path, buf, sizeof(buf))) <= 0)
		return false;
	if (!procfs_parse_stat(buf, (size_t)n, st)) {
		errno = EINVAL;
		return false;
	}
	return true;
}

bool
procfs_read_status(pid_t pid, struct procfs_status *st)
{
	char path[64], buf[8192];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((n = procfs_read_file(path, buf, sizeof(buf))) <= 0)
		return false;
	if (!procfs_parse_status(buf, (size_t)n, st)) {
		errno = EINVAL;
		return false;
	}
	return true;
}

char **
procfs_read_cmdline(pid_t pid, int *argc)
{
	char path[64], *buf = xmalloc(65536), **argv;
	ssize_t n;
	int i, c = 0;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((n = procfs_read_file(path, buf, 65536)) < 0) {
		free(buf);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			c++;
	if (n > 0 && buf[n - 1] != '\0')
		c++;
	argv = xcalloc((size_t)c + 1, sizeof(*argv));
	for (i = 0, p = buf; i < c && p < buf + n; i++) {
		argv[i] = xstrdup(p);
		p += strlen(p) + 1;
	}
	*argc = i;
	free(buf);
	return argv;
}

void
procfs_free_argv(char **argv)
{
	char **a;

	if (argv == NULL)
		return;
	for (a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

bool
procfs_read_exe(pid_t pid, char *buf, size_t len, bool *deleted)
{
	static const char del[] = " (deleted)";
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, buf, len - 1)) == -1)
		return false;
	buf[n] = '\0';
	*deleted = false;
	if ((size_t)n > sizeof(del) - 1 &&
	    strcmp(buf + n - (sizeof(del) - 1), del) == 0) {
		buf[n - (sizeof(del) - 1)] = '\0';
		*deleted = true;
	}
	return true;
}

pid_t *
procfs_children(pid_t ppid, size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t *out = NULL;
	size_t cnt = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		struct procfs_stat st;
		char *endp;
		long v = strtol(e->d_name, &endp, 10);

		if (*endp != '\0' || v <= 0)
			continue;
		if (!procfs_read_stat((pid_t)v, &st) || st.ppid != ppid)
			continue;
		out = xreallocarray(out, cnt + 1, sizeof(*out));
		out[cnt++] = (pid_t)v;
	}
	closedir(d);
	*n = cnt;
	return out;
}
