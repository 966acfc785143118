/* memdiag dump (take the proxy's dumps now) and memdiag cleanup. */
#ifndef MEMDIAG_DUMP_CMD_H
#define MEMDIAG_DUMP_CMD_H

int dump_main(int argc, char **argv);
int cleanup_main(int argc, char **argv);

#endif
