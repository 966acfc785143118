#include <errno.h>
#include <stdlib.h>

#include "cmdline.h"
#include "log.h"

int
cmdline_number(const char *opt, const char *s, double min, double max,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		log_warnx("%s %s: expected a number from %g to %g", opt, s, min,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}
