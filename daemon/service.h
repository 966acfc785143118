/* memdiag -c FILE: the service; memdiag -n -c FILE: check the file. */
#ifndef MEMDIAG_SERVICE_H
#define MEMDIAG_SERVICE_H

#include <stdbool.h>

/* Does this command line ask for the service (or -n)? */
bool service_wanted(int argc, char **argv);
int service_main(int argc, char **argv);
extern const char service_synopsis[];

#endif
