/* cmdline: what the commands' option parsers share. */
#ifndef MEMDIAG_CMDLINE_H
#define MEMDIAG_CMDLINE_H

/* A number for option opt in [min, max]; 0, or -1 after one line saying
 * what was expected. */
int cmdline_number(const char *opt, const char *s, double min, double max,
    double *out);

/* The same with the range of memdiag.conf's key (per target), so that
 * an option and its key never accept different values. */
int cmdline_conf_number(const char *opt, const char *key, const char *s,
    double *out);

/* --proxy-exe LIST: the proxy executables target_open accepts; 0 or -1
 * after one line saying what is wrong. */
int cmdline_proxy_exe(const char *list);

#endif
