/*
 * gate: keep users' new requests away from the proxy while memory settles,
 * and let memdiag's own test traffic and the proxy's peers through. A
 * small interface with backends chosen by name: nft (libnftables, with a
 * kernel-side timeout as the fail-safe), hook (operator commands, with a
 * watchdog process) and none.
 *
 *   gate_spec_* (build, validate) -> gate_new -> gate_close
 *   -> gate_refresh every gate_refresh_interval() ... -> gate_open
 *   -> gate_free
 *
 * A gate names its owner (PID and start time) so that gate_cleanup
 * removes the gates of dead runs and never those of a live one.
 */
#ifndef MEMDIAG_GATE_H
#define MEMDIAG_GATE_H

#include <sys/socket.h>

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define GATE_MAX_ADDRS 64
#define GATE_ELEMENT_TIMEOUT_MAX 10	/* seconds: the fail-safe's bound */
#define GATE_BUDGET_DEFAULT 900		/* seconds of gated time in all */

/* One address: family AF_INET/AF_INET6, proto IPPROTO_UDP/TCP (0: both,
 * only for peers), port 0 = any (peers). */
struct gate_spec {
	/* what is gated: the proxy's listening addresses (a wildcard address
	 * gates that port on every local address of its family) */
	struct addr gated[GATE_MAX_ADDRS];
	size_t ngated;
	/* memdiag's own sockets: source address, protocol and port */
	struct addr self[GATE_MAX_ADDRS];
	size_t nself;
	/* peers whose requests pass: source address (any port, or one) */
	struct addr peers[GATE_MAX_ADDRS];
	size_t npeers;
	unsigned element_timeout;	/* 1..GATE_ELEMENT_TIMEOUT_MAX s */
	unsigned budget;		/* seconds of gated time in all */
	bool cut_tcp;			/* also reset established TCP/TLS */
	/* the owner, recorded with the gate */
	pid_t owner_pid;
	unsigned long long owner_starttime;
	/* hook backend: argv vectors, NULL-terminated */
	char **close_argv, **open_argv;
	unsigned hook_timeout;		/* seconds per hook command */
};

enum gate_result {
	GATE_OK = 0,
	GATE_LAPSED,	/* refresh: the gate had opened by itself; re-closed */
	GATE_ERROR,	/* failed; err says why */
	GATE_DENIED,	/* no permission (status 77) */
};

struct gate;

struct gate_ops {
	const char *name;
	/* Set up the backend (nothing is gated yet). */
	enum gate_result (*init)(struct gate *, char *err, size_t errlen);
	enum gate_result (*close)(struct gate *, unsigned timeout, char *err,
	    size_t errlen);
	/* Keep the gate closed for timeout more seconds. */
	enum gate_result (*refresh)(struct gate *, unsigned timeout, char *err,
	    size_t errlen);
	enum gate_result (*open)(struct gate *, char *err, size_t errlen);
	void (*fini)(struct gate *);
};

struct gate {
	const struct gate_ops *ops;
	struct gate_spec spec;	/* a copy; argv vectors are borrowed */
	const char *rundir;	/* borrowed */
	bool closed;
	double closed_at;	/* CLOCK_MONOTONIC seconds */
	void *priv;		/* the backend's */
};

/* The backend of that name, or NULL. */
const struct gate_ops *gate_ops_find(const char *name);
/* "nft, hook, none" */
const char *gate_ops_names(void);

/* Append; false when the list is full or the address already in it. */
bool gate_spec_add(struct addr *list, size_t *n,
    const struct addr *a);
/* The same for a socket address (memdiag's own sockets, to exempt). */
bool gate_spec_add_sockaddr(struct addr *list, size_t *n,
    const struct sockaddr_storage *ss, int proto);
/* Is the spec sound for backend ops? 0, or 64/78 with err. */
int gate_spec_check(const struct gate_spec *, const struct gate_ops *,
    char *err, size_t errlen);
/* "a b c" -> argv (no shell: words split at blanks); NULL if empty. */
char **gate_argv_split(const char *cmd);
void gate_argv_free(char **);
/* One line: what is gated, the exemptions, for how long. */
void gate_spec_describe(const struct gate_spec *, char *buf, size_t len);

/* Seconds between refreshes for an element timeout (a third of it). */
double gate_refresh_interval(unsigned element_timeout);
/* The element timeout for the next refresh: element_timeout, cut to what
 * is left of the budget (at least 1 s), so that the kernel keeps to the
 * budget too should memdiag hang. */
unsigned gate_fail_safe(unsigned element_timeout, double budget_left);

struct gate *gate_new(const struct gate_ops *, const struct gate_spec *,
    const char *rundir, char *err, size_t errlen, enum gate_result *res);
enum gate_result gate_close(struct gate *, unsigned timeout, char *err,
    size_t errlen);
enum gate_result gate_refresh(struct gate *, unsigned timeout, char *err,
    size_t errlen);
enum gate_result gate_open(struct gate *, char *err, size_t errlen);
void gate_free(struct gate *);

/*
 * Remove the gates whose owner is dead (nft tables in this network
 * namespace, hook state files under rundir, whose open command runs).
 * Gates of live owners are never touched. Returns gates removed; *failed
 * counts those that could not be.
 */
int gate_cleanup(const char *rundir, int *failed);

/* Is the process with that PID alive with that start time? */
bool gate_owner_alive(pid_t pid, unsigned long long starttime);


#endif
