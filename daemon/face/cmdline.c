#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "face/cmdline.h"
#include "face/conf.h"
#include "face/conf_priv.h"
#include "lib/exitcodes.h"
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
cmdline_conf_number(const char *opt, const char *key, const char *s,
    double *out)
{
	const struct conf_key *k = conf_key_find(key, true);

	if (k == NULL || (k->type != CONF_INT && k->type != CONF_FLOAT))
		fatalx(EX_MD_INTERNAL, "%s: no numeric key %s", opt, key);
	return cmdline_number(opt, s, k->min, k->max, out);
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
