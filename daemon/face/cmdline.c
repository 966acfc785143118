#include <errno.h>
#include <stdlib.h>

#include "face/cmdline.h"
#include "lib/log.h"
#include "proxy/target.h"

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

int
cmdline_proxy_exe(const char *list)
{
	char err[256];

	if (target_set_known(list, err, sizeof(err)) != 0) {
		log_warnx("--proxy-exe %s", err);
		return -1;
	}
	return 0;
}
