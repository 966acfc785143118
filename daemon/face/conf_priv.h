/* conf's insides, shared by the loader (conf.c) and its checks
 * (conf_check.c); libconfig types stay in these files. */
#ifndef MEMDIAG_CONF_PRIV_H
#define MEMDIAG_CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "face/conf.h"

#define CONF_SIZE_MAX (1024 * 1024)	/* bytes of a config file */
#define CONF_TARGETS_MAX 256
#define CONF_LIST_MAX 64	/* elements of a list (GATE_MAX_ADDRS) */
#define CONF_NAME_MAX 64

#define CONF_HISTORY_KEEP_DEFAULT 60
#define CONF_USED_ABOVE_DEFAULT 0.9
#define CONF_SAMPLE_INTERVAL_DEFAULT 10.0
#define CONF_MIN_INTERVAL_DEFAULT 86400

struct conf_ctx {
	const char *path;
	char *err;
	size_t errlen;
	char *text;		/* the file, NUL-terminated */
	size_t len;
	size_t *lines;		/* offset of each line's first byte */
	size_t nlines;
};

/* "FILE:LINE: message" into x->err; returns 78. */
int conf_err(struct conf_ctx *x, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The setting's line in the file (1 when libconfig does not know). */
int conf_line(const config_setting_t *);
const struct conf_key *conf_key_find(const char *name, bool per_target);
void conf_argv_free(char **);

/* The file into x->text and x->lines: 0, 66 or 78 with x->err set. */
int conf_text_read(struct conf_ctx *);
/* Does the integer s has in the text not fit an int? Its text into num. */
bool conf_text_int_overflows(struct conf_ctx *, const config_setting_t *s,
    char *num, size_t numlen);

/* After the walk: what spans keys, and what needs the system. */
int conf_check_global(struct conf_ctx *, struct conf *,
    const config_setting_t *root);
int conf_check_target(struct conf_ctx *, const struct conf *,
    struct conf_target *, const config_setting_t *group);

#endif
