/*
 * Fuzz target for the config loader: conf_load reads a path, so the input
 * goes into a memfd that it opens as /proc/self/fd/N.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "face/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct conf *c;
	char err[512];

	if (fd == -1) {
		if ((fd = memfd_create("fuzz_conf", MFD_CLOEXEC)) == -1) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 || (size > 0 &&
	    pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}
	if (conf_load(path, &c, err, sizeof(err)) == 0)
		conf_free(c);
	return 0;
}
