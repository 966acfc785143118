/*
 * The proxy memdiag acts on: found from a PID, a pid file or a unit,
 * checked to be a known proxy executable, its children listed, its
 * configuration and lock. Its sockets and log are found in
 * target_discover.c; signalling it, always after a fresh verification,
 * is target_signal.c's.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "lib/exitcodes.h"
#include "lib/procfs.h"
#include "lib/statedir.h"
#include "lib/xmalloc.h"
#include "proxy/target.h"
#include "proxy/target_priv.h"

static const char *const target_builtin[] = {
	"kamailio", "openser", "ser", "opensips", NULL,
};
#define TARGET_MAX_KNOWN 16
static char target_extra[TARGET_MAX_KNOWN][64];
static const char *target_list[TARGET_MAX_KNOWN + 1];
static const char *const *target_known = target_builtin;

int
target_set_known(const char *list, char *err, size_t errlen)
{
	const char *p = list, *end;
	size_t n = 0, len;

	while (*p != '\0') {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(target_extra[0]) ||
		    memchr(p, '/', len) != NULL || n == TARGET_MAX_KNOWN) {
			snprintf(err, errlen, "%s: a comma-separated list of at "
			    "most %d executable names (no paths)", list,
			    TARGET_MAX_KNOWN);
			return -1;
		}
		memcpy(target_extra[n], p, len);
		target_extra[n][len] = '\0';
		target_list[n] = target_extra[n];
		n++;
		p += len + (end != NULL);
	}
	if (n == 0) {
		snprintf(err, errlen, "empty list of proxy executables");
		return -1;
	}
	target_list[n] = NULL;
	target_known = target_list;
	return 0;
}

static void
known_names(const char *const *allowed, char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; allowed[i] != NULL && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    allowed[i]);
		off += n > 0 ? (size_t)n : 0;
	}
}

const char *
target_log_kind_name(enum target_log_kind k)
{
	switch (k) {
	case TARGET_LOG_FILE:
		return "file";
	case TARGET_LOG_JOURNAL:
		return "journal";
	case TARGET_LOG_SYSLOG:
		return "syslog";
	case TARGET_LOG_PIPE:
		return "pipe";
	default:
		return "unknown";
	}
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ---- resolving the spec ---- */

static int
pid_from_file(const char *path, pid_t *pid, char *err, size_t errlen)
{
	char buf[64], *end;
	long v;

	if (procfs_read_file(path, buf, sizeof(buf)) < 0) {
		snprintf(err, errlen, "%s: cannot read pid file: %s", path,
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		return errno == ENOENT ? EX_MD_UNAVAILABLE : EX_MD_NOINPUT;
	}
	v = strtol(buf, &end, 10);
	if (end == buf || v <= 0 || v > INT_MAX ||
	    (*end != '\0' && *end != '\n')) {
		snprintf(err, errlen, "%s:1: not a PID: \"%.20s\"", path, buf);
		return EX_MD_DATAERR;
	}
	*pid = (pid_t)v;
	return 0;
}

static int
pid_from_unit(const char *unit, pid_t *pid, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *obj = NULL, *name = NULL;
	sd_bus *bus = NULL;
	uint32_t main_pid = 0;
	int r;

	if (strchr(unit, '.') == NULL)
		xasprintf(&name, "%s.service", unit);
	else
		name = xstrdup(unit);
	r = sd_bus_default_system(&bus);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot ask systemd for the unit's "
		    "PID: %s (give a PID or pid file instead)", name,
		    strerror(-r));
		free(name);
		return EX_MD_UNAVAILABLE;
	}
	r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &obj);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1",
		    obj, "org.freedesktop.systemd1.Service", "MainPID", &e,
		    'u', &main_pid);
	if (r < 0 || main_pid == 0) {
		snprintf(err, errlen, "%s: systemd knows no running main "
		    "process for it%s%s", name, r < 0 ? ": " : "",
		    r < 0 ? (e.message ? e.message : strerror(-r)) : "");
		r = EX_MD_UNAVAILABLE;
	} else {
		*pid = (pid_t)main_pid;
		r = 0;
	}
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	free(obj);
	free(name);
	return r;
}

static int
resolve_pid(const char *spec, pid_t *pid, char *err, size_t errlen)
{
	const char *s = spec;
	char *end;
	long v;

	while (*s >= '0' && *s <= '9')
		s++;
	if (*spec != '\0' && *s == '\0') {
		v = strtol(spec, &end, 10);
		if (v <= 0 || v > INT_MAX) {
			snprintf(err, errlen, "%s: not a valid PID", spec);
			return EX_MD_USAGE;
		}
		*pid = (pid_t)v;
		return 0;
	}
	if (strchr(spec, '/') != NULL)
		return pid_from_file(spec, pid, err, errlen);
	return pid_from_unit(spec, pid, err, errlen);
}

/* ---- the command line ---- */

static void
parse_argv(struct target *t)
{
	/* OpenSIPS: -a names the allocator of both pools (Kamailio's -a is
	 * auto_aliases) */
	bool osips = strcmp(t->flavour, "opensips") == 0;
	int i;

	for (i = 1; i < t->argc; i++) {
		const char *a = t->argv[i], *v = i + 1 < t->argc ?
		    t->argv[i + 1] : NULL;

		if (strcmp(a, "-E") == 0)
			t->stderr_log = true;
		else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0' &&
		    v != NULL && (strchr("fYPmMxX", a[1]) != NULL ||
		    (osips && a[1] == 'a'))) {
			switch (a[1]) {
			case 'f':
				t->cfgfile = v;
				break;
			case 'Y':
				t->rundir = v;
				break;
			case 'P':
				t->pidfile = v;
				break;
			case 'm':
				t->shm_mb = strtol(v, NULL, 10);
				break;
			case 'M':
				t->pkg_mb = strtol(v, NULL, 10);
				break;
			case 'x':
				t->shm_alloc = v;
				break;
			case 'X':
				t->pkg_alloc = v;
				break;
			case 'a':
				t->shm_alloc = t->pkg_alloc = v;
				break;
			}
			i++;
		}
	}
}


static bool
allowed_exe(const char *exe, const char *const *allowed)
{
	const char *b = base_name(exe);
	int i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(b, allowed[i]) == 0)
			return true;
	return false;
}

/* ---- discovery ---- */

static bool
proc_init(struct target_proc *p, pid_t pid)
{
	struct procfs_status status;
	struct procfs_stat st;

	memset(p, 0, sizeof(*p));
	p->rank = -1;
	if (!procfs_read_stat(pid, &st))
		return false;
	p->pid = pid;
	p->starttime = st.starttime;
	p->nspid = pid;
	if (procfs_read_status(pid, &status) && status.nnspid > 0)
		p->nspid = status.nspid[status.nnspid - 1];
	return true;
}

static void
free_kids(struct target *t)
{
	size_t i;

	for (i = 0; i < t->nkids; i++)
		free(t->kids[i].role);
	free(t->kids);
	t->kids = NULL;
	t->nkids = 0;
}

void
target_refresh_children(struct target *t)
{
	pid_t *pids;
	size_t n, i;

	free_kids(t);
	pids = procfs_children(t->main.pid, &n);
	t->kids = xcalloc(n + 1, sizeof(*t->kids));
	for (i = 0; i < n; i++) {
		char exe[PATH_MAX];
		bool deleted;

		/* a child running something else (a helper script) is not
		 * part of the proxy */
		if (!procfs_read_exe(pids[i], exe, sizeof(exe), &deleted) ||
		    strcmp(exe, t->exe) != 0)
			continue;
		if (proc_init(&t->kids[t->nkids], pids[i]))
			t->nkids++;
	}
	free(pids);
}

struct target_proc *
target_find(struct target *t, pid_t pid)
{
	size_t i;

	if (t->main.pid == pid || t->main.nspid == pid)
		return &t->main;
	for (i = 0; i < t->nkids; i++)
		if (t->kids[i].pid == pid)
			return &t->kids[i];
	for (i = 0; i < t->nkids; i++)
		if (t->kids[i].nspid == pid)
			return &t->kids[i];
	return NULL;
}

int
target_open(const char *spec, const char *const *allowed,
    struct target **out, char *err, size_t errlen)
{
	struct procfs_status status;
	char exe[PATH_MAX];
	struct target *t;
	pid_t pid = 0;
	bool deleted;
	int r;

	*out = NULL;
	if (allowed == NULL)
		allowed = target_known;
	if ((r = resolve_pid(spec, &pid, err, errlen)) != 0)
		return r;
	t = xcalloc(1, sizeof(*t));
	t->spec = xstrdup(spec);
	if (!proc_init(&t->main, pid)) {
		/* there, but this /proc hides it (hidepid=, a unit's
		 * ProtectProc=invisible): the process is not ours to trace */
		if (kill(pid, 0) == 0 || errno == EPERM) {
			snprintf(err, errlen, "pid %d: hidden from memdiag's "
			    "/proc (hidepid or ProtectProc=invisible): seeing "
			    "it needs the proxy's user or CAP_SYS_PTRACE; see "
			    "memdiag(8), PRIVILEGES", (int)pid);
			target_free(t);
			return EX_MD_REFUSED;
		}
		snprintf(err, errlen, "%s: no process with PID %d", spec,
		    (int)pid);
		target_free(t);
		return EX_MD_UNAVAILABLE;
	}
	if (!procfs_read_exe(pid, exe, sizeof(exe), &deleted)) {
		snprintf(err, errlen, "pid %d: cannot read its executable: %s "
		    "(reading /proc/PID/exe needs the proxy's user or "
		    "CAP_SYS_PTRACE; see memdiag(8), PRIVILEGES)", (int)pid,
		    strerror(errno));
		target_free(t);
		return EX_MD_REFUSED;
	}
	if (!allowed_exe(exe, allowed)) {
		char names[256];

		known_names(allowed, names, sizeof(names));
		snprintf(err, errlen, "pid %d runs %s, which is no known proxy "
		    "(%s; another name can be given with --proxy-exe)",
		    (int)pid, exe, names);
		target_free(t);
		return EX_MD_REFUSED;
	}
	t->exe = xstrdup(exe);
	t->exe_deleted = deleted;
	t->flavour = xstrdup(base_name(exe));
	/* a worker given by mistake: its parent is the proxy */
	if (procfs_read_status(pid, &status) && status.ppid > 1) {
		char pexe[PATH_MAX];
		bool pdel;

		if (procfs_read_exe(status.ppid, pexe, sizeof(pexe), &pdel) &&
		    strcmp(pexe, exe) == 0) {
			snprintf(err, errlen, "pid %d is a child of %s pid %d: "
			    "give the main process", (int)pid, t->flavour,
			    (int)status.ppid);
			target_free(t);
			return EX_MD_REFUSED;
		}
	}
	t->argv = procfs_read_cmdline(pid, &t->argc);
	if (t->argv != NULL)
		parse_argv(t);
	target_refresh_children(t);
	target_discover_sockets(t);
	target_discover_log(t);
	*out = t;
	return 0;
}

void
target_free(struct target *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->spec);
	free(t->exe);
	free(t->flavour);
	free(t->main.role);
	free_kids(t);
	procfs_free_argv(t->argv);
	free(t->listen);
	for (i = 0; i < t->nctl; i++)
		free(t->ctl[i]);
	free(t->ctl);
	free(t->log.path);
	free(t->log.why);
	free(t);
}

int
target_lock(const struct target *t, const char *dir, int *fd, char *err,
    size_t errlen)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int lfd;

	*fd = -1;
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", dir,
		    strerror(errno));
		return EX_MD_INTERNAL;
	}
	snprintf(path, sizeof(path), "%s/%s-%d-%llu.lock", dir, t->flavour,
	    (int)t->main.pid, t->main.starttime);
	/* never through a symlink, and only a file of our own: a lock
	 * planted by someone else could make memdiag truncate any file */
	lfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
	    0640);
	if (lfd == -1 && errno == ELOOP) {
		snprintf(err, errlen, "%s: a symlink, not memdiag's lock: "
		    "refused", path);
		return EX_MD_REFUSED;
	}
	if (lfd == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return EX_MD_INTERNAL;
	}
	if (statedir_check_own(lfd, path, err, errlen) != 0) {
		close(lfd);
		return EX_MD_REFUSED;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(lfd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "%s pid %d is locked by another memdiag "
		    "(pid %s, %s)", t->flavour, (int)t->main.pid,
		    buf[0] ? buf : "?", path);
		close(lfd);
		return EX_MD_LOCKED;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(lfd, 0) == -1 || pwrite(lfd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
		    strerror(errno));
		close(lfd);
		return EX_MD_INTERNAL;
	}
	*fd = lfd;
	return 0;
}

int
target_cfg_path(const struct target *t, const char *def, char *buf,
    size_t len, char *why, size_t whylen)
{
	const char *f = t->cfgfile ? t->cfgfile : def;
	char dir[PATH_MAX];

	if (f[0] == '/') {
		snprintf(buf, len, "%s", f);
		return 0;
	}
	if (procfs_read_environ(t->main.pid, "PWD", dir, sizeof(dir)) &&
	    dir[0] == '/') {
		snprintf(buf, len, "%s/%s", dir, f);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "/proc/%d/cwd/%s", (int)t->main.pid, f);
	if (access(buf, R_OK) == 0)
		return 0;
	snprintf(why, whylen, "%s pid %d: -f %s is relative to the directory "
	    "it was started from, and neither its PWD (%s) nor its working "
	    "directory now holds it", t->flavour, (int)t->main.pid, f,
	    dir[0] == '/' ? dir : "not in /proc/PID/environ");
	return -1;
}
