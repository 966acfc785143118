/* inspect: what memdiag finds out about a proxy, before it acts on it. */
#ifndef MEMDIAG_INSPECT_H
#define MEMDIAG_INSPECT_H

int inspect_main(int argc, char **argv);

#endif
