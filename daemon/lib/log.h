/* Logging: one line per event, to stderr, with journald level prefixes
 * when stderr is the journal. */
#ifndef MEMDIAG_LOG_H
#define MEMDIAG_LOG_H

#include <stdarg.h>

#define LOG_ATTR(f, a) __attribute__((format(printf, f, a)))

void log_init(const char *progname, int verbosity);
void log_set_verbosity(int verbosity);
int log_verbosity(void);

void log_warn(const char *fmt, ...) LOG_ATTR(1, 2);
void log_warnx(const char *fmt, ...) LOG_ATTR(1, 2);
void log_info(const char *fmt, ...) LOG_ATTR(1, 2);
void log_debug(const char *fmt, ...) LOG_ATTR(1, 2);
void log_vwritex(int prio, const char *fmt, va_list ap) LOG_ATTR(2, 0);

/* Exit with a status from memdiag(8)'s table; fatal appends errno's text. */
void fatal(int status, const char *fmt, ...) LOG_ATTR(2, 3)
    __attribute__((noreturn));
void fatalx(int status, const char *fmt, ...) LOG_ATTR(2, 3)
    __attribute__((noreturn));

#endif
