/*
 * conf_check FILE: conf_load on FILE for the shell tests (conf-hostile.sh);
 * prints its one error line on stderr, or what it loaded on stdout, and
 * exits with conf_load's status.
 */
#include <stdio.h>

#include "face/conf.h"

int
main(int argc, char **argv)
{
	struct conf *c;
	char err[512];
	size_t i;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: conf_check FILE\n");
		return 64;
	}
	if ((r = conf_load(argv[1], &c, err, sizeof(err))) != 0) {
		fprintf(stderr, "%s\n", err);
		return r;
	}
	for (i = 0; i < c->ntargets; i++)
		printf("target %s: %s, %s\n", c->targets[i].name,
		    c->targets[i].target,
		    c->targets[i].allow_gate ? "gate allowed" : "passive");
	conf_free(c);
	return 0;
}
