/* statedir: the files runs leave behind for the next start to act on. */
#ifndef MEMDIAG_STATEDIR_H
#define MEMDIAG_STATEDIR_H

/*
 * Call fn on every "PREFIX*.json" in dir. Returns how many calls returned
 * > 0 (acted on); *failed counts those that returned < 0. A missing
 * directory holds nothing: 0.
 */
int statedir_each(const char *dir, const char *prefix,
    int (*fn)(const char *path), int *failed);

#endif
