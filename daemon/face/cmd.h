/*
 * The commands: one file each (face/cmd_*.c, face/service.c), each
 * entered through its NAME_main with the process's argv. memdiag.c
 * chooses one; nothing below the face calls these.
 */
#ifndef MEMDIAG_FACE_CMD_H
#define MEMDIAG_FACE_CMD_H

#include <stdbool.h>

int analyze_main(int argc, char **argv);	/* cmd_analyze.c */
int diff_main(int argc, char **argv);		/* cmd_analyze.c */
int inspect_main(int argc, char **argv);	/* cmd_inspect.c */
int dump_main(int argc, char **argv);		/* cmd_dump.c */
int cleanup_main(int argc, char **argv);	/* cmd_cleanup.c */
int check_main(int argc, char **argv);		/* cmd_check.c */
int gate_main(int argc, char **argv);		/* cmd_gate.c */
int call_main(int argc, char **argv);		/* cmd_call.c */
int rpc_main(int argc, char **argv);		/* cmd_rpc.c, developers' */

/* memdiag --target TARGET: the one-shot diagnosis (cmd_diag.c). */
bool diag_cmd_wanted(int argc, char **argv);
int diag_main(int argc, char **argv);

/* memdiag -c FILE: the service; -n -c FILE checks the file (service.c). */
bool service_wanted(int argc, char **argv);
int service_main(int argc, char **argv);

/* Each command's synopsis, for its own usage and memdiag --help alike. */
extern const char analyze_cmd_synopsis[];
extern const char diff_cmd_synopsis[];
extern const char inspect_cmd_synopsis[];
extern const char dump_cmd_synopsis[];
extern const char cleanup_cmd_synopsis[];
extern const char check_cmd_synopsis[];
extern const char gate_cmd_synopsis[];
extern const char call_cmd_synopsis[];
extern const char diag_cmd_synopsis[];
extern const char service_synopsis[];

#endif
