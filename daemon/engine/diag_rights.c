/*
 * The rights a diagnosis needs of the proxy, checked before anything is
 * changed on it (memdiag(8), PRIVILEGES): signalling its main process,
 * listing its open files when the ctl socket, the log or the SIP address
 * is to be found, and writing to its ctl socket. Without them a run would
 * lower memlog, fail to signal, and judge without a dump; so each missing
 * right is one line naming it and the fix, and status 77.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/diag_priv.h"
#include "lib/exitcodes.h"

/* The path of a unix ctl socket (unix:, unixs:, unixd:), else NULL. */
static const char *
unix_path(const char *addr)
{
	static const char *pfx[] = { "unix:", "unixs:", "unixd:", NULL };
	size_t i;

	for (i = 0; pfx[i] != NULL; i++)
		if (strncmp(addr, pfx[i], strlen(pfx[i])) == 0)
			return addr + strlen(pfx[i]);
	return NULL;
}

/*
 * connect() needs write permission on the socket; AT_EACCESS checks it
 * with memdiag's effective IDs and capabilities, as connect() will.
 */
static bool
socket_denied(const char *addr)
{
	const char *path = unix_path(addr);

	return path != NULL &&
	    faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == -1 &&
	    (errno == EACCES || errno == EPERM);
}

static int
socket_refuse(struct diag *d, const char *addr)
{
	const char *path = unix_path(addr);
	struct stat sb;

	if (stat(path, &sb) == -1)
		sb.st_mode = 0;
	snprintf(d->err, sizeof(d->err), "%s: cannot connect: permission "
	    "denied (mode %04o; give memdiag's group the socket with "
	    "modparam(\"ctl\", \"mode\", 0660) and modparam(\"ctl\", "
	    "\"group\", ...), or CAP_DAC_OVERRIDE; see memdiag(8), "
	    "PRIVILEGES)", path, (unsigned)(sb.st_mode & 07777));
	return EX_MD_REFUSED;
}

int
diag_rights_check(struct diag *d)
{
	const struct diag_opts *o = d->o;
	char path[64];
	size_t i, denied = 0;
	DIR *dir;
	int st;

	/* signal 0: the permission check of a signal, delivering nothing */
	if ((st = target_signal(d->t, &d->t->main, 0, d->err,
	    sizeof(d->err))) != 0)
		return st;
	if (o->rpc == NULL || o->log == NULL || o->proxy == NULL) {
		snprintf(path, sizeof(path), "/proc/%d/fd",
		    (int)d->t->main.pid);
		if ((dir = opendir(path)) == NULL && errno == EACCES) {
			snprintf(d->err, sizeof(d->err), "pid %d: cannot list "
			    "%s: %s (finding its ctl socket, log and SIP "
			    "address needs the proxy's user, "
			    "CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE, or rpc, "
			    "log and proxy set in the configuration; see "
			    "memdiag(8), PRIVILEGES)", (int)d->t->main.pid, path,
			    strerror(EACCES));
			return EX_MD_REFUSED;
		}
		if (dir != NULL)
			closedir(dir);
	}
	if (o->rpc != NULL)
		return socket_denied(o->rpc) ? socket_refuse(d, o->rpc) : 0;
	for (i = 0; i < d->t->nctl; i++)
		if (socket_denied(d->t->ctl[i]))
			denied++;
	if (d->t->nctl > 0 && denied == d->t->nctl)
		return socket_refuse(d, d->t->ctl[0]);
	return 0;
}
