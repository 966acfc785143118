/*
 * conf_keys: every key of memdiag.conf(5), one a line, for manpage-conf.sh:
 * "NAME global|target", then "MIN to MAX" for numbers.
 */
#include <stdio.h>

#include "face/conf.h"

int
main(void)
{
	const struct conf_key *k;

	for (k = conf_keys; k->name != NULL; k++) {
		printf("%s %s", k->name, k->per_target ? "target" : "global");
		if (k->type == CONF_INT || k->type == CONF_FLOAT)
			printf(" %.15g to %.15g", k->min, k->max);
		printf("\n");
	}
	return 0;
}
