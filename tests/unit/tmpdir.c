#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tmpdir.h"

char tmpdir[64];

int
tmpdir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memdiag-%s.XXXXXX",
	    program_invocation_short_name);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

int
tmpdir_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}
