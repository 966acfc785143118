/*
 * One walk over a state directory for every kind of leftover (changed
 * settings, hook gates), so each kind only says what to do with one file.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "statedir.h"

int
statedir_each(const char *dir, const char *prefix,
    int (*fn)(const char *path), int *failed)
{
	size_t pl = strlen(prefix);
	DIR *d = opendir(dir);
	struct dirent *e;
	int done = 0;

	*failed = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		size_t l = strlen(e->d_name);
		int r;

		if (strncmp(e->d_name, prefix, pl) != 0 || l < pl + 5 ||
		    strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = fn(path);
		if (r > 0)
			done++;
		else if (r < 0)
			(*failed)++;
	}
	closedir(d);
	return done;
}
