/*
 * seccomp_exec FILE CMD [ARG...]: run CMD with only the system calls
 * named in FILE (one per line) allowed; any other fails with EPERM. This
 * is what a unit's SystemCallFilter= (an allow-list) with
 * SystemCallErrorNumber=EPERM does, for tests where systemd is not PID 1
 * (tests/sh/privileges-service.sh builds FILE with systemd-analyze
 * syscall-filter). Names this libseccomp does not know are skipped, as
 * systemd skips them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	char line[128];
	FILE *f;
	int n = 0, r;

	if (argc < 3) {
		fprintf(stderr, "usage: seccomp_exec FILE CMD [ARG...]\n");
		return 2;
	}
	if ((f = fopen(argv[1], "re")) == NULL) {
		fprintf(stderr, "seccomp_exec: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		fprintf(stderr, "seccomp_exec: seccomp_init failed\n");
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		int nr;

		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((nr = seccomp_syscall_resolve_name(line)) == __NR_SCMP_ERROR)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			fprintf(stderr, "seccomp_exec: %s: %s\n", line,
			    strerror(-r));
			return 2;
		}
		n++;
	}
	fclose(f);
	if ((r = seccomp_load(ctx)) != 0) {
		fprintf(stderr, "seccomp_exec: seccomp_load: %s\n", strerror(-r));
		return 2;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "seccomp_exec: %s: %s (%d system calls allowed)\n",
	    argv[2], strerror(errno), n);
	return 127;
}
