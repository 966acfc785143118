/*
 * Signalling the proxy: nothing is signalled without a fresh verification
 * (target.h): the start time found at discovery (a PID can be reused),
 * the same executable, a handler installed for the signal (an uncaught
 * SIGUSR1 kills the process, and a dead child stops a Kamailio), and for
 * a child, the verified main process as parent. The signal goes through
 * a pidfd whose process is checked again after opening it, so a PID
 * reused in between cannot receive it.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/exitcodes.h"
#include "lib/procfs.h"
#include "proxy/target.h"

int
target_verify(const struct target *t, const struct target_proc *p, int sig,
    char *err, size_t errlen)
{
	struct procfs_status status;
	struct procfs_stat st;
	char exe[PATH_MAX];
	bool deleted;

	if (!procfs_read_stat(p->pid, &st)) {
		snprintf(err, errlen, "pid %d: the process is gone",
		    (int)p->pid);
		return EX_MD_UNAVAILABLE;
	}
	if (st.starttime != p->starttime) {
		snprintf(err, errlen, "pid %d: not the process found at start "
		    "(start time %llu, was %llu): the PID was reused",
		    (int)p->pid, st.starttime, p->starttime);
		return EX_MD_REFUSED;
	}
	if (!procfs_read_exe(p->pid, exe, sizeof(exe), &deleted)) {
		snprintf(err, errlen, "pid %d: cannot read its executable: %s "
		    "(reading /proc/PID/exe needs the proxy's user or "
		    "CAP_SYS_PTRACE; see memdiag(8), PRIVILEGES)",
		    (int)p->pid, strerror(errno));
		return EX_MD_REFUSED;
	}
	if (strcmp(exe, t->exe) != 0) {
		snprintf(err, errlen, "pid %d: runs %s, not %s", (int)p->pid,
		    exe, t->exe);
		return EX_MD_REFUSED;
	}
	if (!procfs_read_status(p->pid, &status)) {
		snprintf(err, errlen, "pid %d: cannot read its status: %s",
		    (int)p->pid, strerror(errno));
		return EX_MD_UNAVAILABLE;
	}
	if (p != &t->main && status.ppid != t->main.pid) {
		snprintf(err, errlen, "pid %d: its parent is %d, not the "
		    "verified main process %d", (int)p->pid, (int)status.ppid,
		    (int)t->main.pid);
		return EX_MD_REFUSED;
	}
	if (sig != 0 && !procfs_catches(status.sigcgt, sig)) {
		snprintf(err, errlen, "pid %d: does not catch %s; the signal "
		    "would kill it", (int)p->pid, sigabbrev_np(sig) ?
		    sigabbrev_np(sig) : "the signal");
		return EX_MD_REFUSED;
	}
	return 0;
}

int
target_signal(const struct target *t, const struct target_proc *p, int sig,
    char *err, size_t errlen)
{
	int fd, r;

	if ((r = target_verify(t, p, sig, err, errlen)) != 0)
		return r;
	fd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (fd == -1) {
		snprintf(err, errlen, "pid %d: pidfd_open: %s", (int)p->pid,
		    strerror(errno));
		return errno == ESRCH ? EX_MD_UNAVAILABLE : EX_MD_REFUSED;
	}
	/* the pidfd pins a process: check it is still the verified one */
	if ((r = target_verify(t, p, sig, err, errlen)) != 0) {
		close(fd);
		return r;
	}
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == -1) {
		snprintf(err, errlen, "pid %d: cannot signal it: %s%s",
		    (int)p->pid, strerror(errno), errno == EPERM ? " (signals "
		    "need the proxy's user or CAP_KILL; see memdiag(8), "
		    "PRIVILEGES)" : "");
		r = errno == ESRCH ? EX_MD_UNAVAILABLE : EX_MD_REFUSED;
	}
	close(fd);
	return r;
}

long
target_blocked_syscall(pid_t pid)
{
	char path[64], buf[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((n = procfs_read_file(path, buf, sizeof(buf))) <= 0)
		return -2;
	return procfs_parse_syscall(buf, (size_t)n);
}
