/* A group's own temporary directory (cmocka group setup and teardown):
 * /tmp/memdiag-PROGRAM.XXXXXX, removed at the end (it must be empty). */
#ifndef MEMDIAG_TEST_TMPDIR_H
#define MEMDIAG_TEST_TMPDIR_H

extern char tmpdir[64];

int tmpdir_setup(void **state);
int tmpdir_teardown(void **state);

#endif
