/* memdiag check: the one-shot diagnosis of configured targets. */
#ifndef MEMDIAG_CHECK_CMD_H
#define MEMDIAG_CHECK_CMD_H

#include <stddef.h>

struct conf;
struct metrics_target;

int check_main(int argc, char **argv);
extern const char check_cmd_synopsis[];
/* Refresh the conf's metrics file: live values for the first nlive
 * targets, the rest from their saved history. */
void check_write_metrics(const struct conf *, const struct metrics_target *live,
    size_t nlive);

#endif
