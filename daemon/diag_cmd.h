/* memdiag --target TARGET [options]: the one-shot diagnosis. */
#ifndef MEMDIAG_DIAG_CMD_H
#define MEMDIAG_DIAG_CMD_H

#include <stdbool.h>

/* Does this command line ask for the diagnosis (--target, no command)? */
bool diag_cmd_wanted(int argc, char **argv);
int diag_main(int argc, char **argv);
/* One line for memdiag's usage. */
extern const char diag_cmd_synopsis[];

#endif
