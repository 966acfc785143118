/* memdiag call: test calls through a proxy (memdiag(8), INTERFACE.md). */
#ifndef MEMDIAG_CALL_CMD_H
#define MEMDIAG_CALL_CMD_H

int call_main(int argc, char **argv);

#endif
