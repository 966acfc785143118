/*
 * The gate's interface: the backend table, the spec (what is gated, what
 * is exempt, for how long) and its validation, and the calls every
 * backend goes through, which log each change with what it gated.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/gate.h"
#include "gate/gate_priv.h"
#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"

/* For proxies with no traffic to stop, and for passive checks. */
static enum gate_result
gate_none_nop(struct gate *g, char *err, size_t errlen)
{
	(void)g;
	(void)err;
	(void)errlen;
	return GATE_OK;
}

static enum gate_result
gate_none_timed(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	(void)timeout;
	return gate_none_nop(g, err, errlen);
}

static const struct gate_ops gate_none_ops = {
	.name = "none",
	.init = gate_none_nop,
	.close = gate_none_timed,
	.refresh = gate_none_timed,
	.open = gate_none_nop,
	.fini = NULL,
};

static const struct gate_ops *const gate_backends[] = {
	&gate_nft_ops,
	&gate_hook_ops,
	&gate_none_ops,
	NULL,
};

const struct gate_ops *
gate_ops_find(const char *name)
{
	size_t i;

	for (i = 0; gate_backends[i] != NULL; i++)
		if (strcmp(gate_backends[i]->name, name) == 0)
			return gate_backends[i];
	return NULL;
}

const char *
gate_ops_names(void)
{
	return "nft, hook, none";
}

bool
gate_spec_add(struct addr *list, size_t *n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (memcmp(&list[i], a, sizeof(*a)) == 0)
			return false;
	if (*n == GATE_MAX_ADDRS)
		return false;
	list[(*n)++] = *a;
	return true;
}

int
gate_spec_check(const struct gate_spec *s, const struct gate_ops *ops,
    char *err, size_t errlen)
{
	size_t i;

	if (s->element_timeout < 1 ||
	    s->element_timeout > GATE_ELEMENT_TIMEOUT_MAX) {
		snprintf(err, errlen, "element timeout %u s: 1 to %d "
		    "seconds (the fail-safe opens the gate within it)",
		    s->element_timeout, GATE_ELEMENT_TIMEOUT_MAX);
		return EX_MD_USAGE;
	}
	if (s->budget < 1 || s->budget > 24 * 3600) {
		snprintf(err, errlen, "budget %u s: 1 s to 24 h", s->budget);
		return EX_MD_USAGE;
	}
	if (strcmp(ops->name, "none") == 0)
		return 0;
	if (s->ngated == 0) {
		snprintf(err, errlen, "nothing to gate: the proxy listens on "
		    "no UDP or TCP address");
		return EX_MD_CONFIG;
	}
	for (i = 0; i < s->ngated; i++) {
		const struct addr *a = &s->gated[i];

		if (a->port == 0 || (a->proto != IPPROTO_UDP &&
		    a->proto != IPPROTO_TCP)) {
			snprintf(err, errlen, "gated address %zu has no port "
			    "or protocol", i);
			return EX_MD_INTERNAL;
		}
	}
	for (i = 0; i < s->nself; i++)
		if (s->self[i].port == 0 || s->self[i].proto == 0) {
			snprintf(err, errlen, "exemption %zu: memdiag's "
			    "sockets are exempt by address, protocol and port",
			    i);
			return EX_MD_USAGE;
		}
	if (strcmp(ops->name, "hook") == 0 &&
	    (s->close_argv == NULL || s->open_argv == NULL)) {
		snprintf(err, errlen, "--gate hook needs --close-cmd and "
		    "--open-cmd");
		return EX_MD_USAGE;
	}
	if (strcmp(ops->name, "hook") == 0 && s->hook_timeout < 1) {
		snprintf(err, errlen, "hook timeout: at least 1 s");
		return EX_MD_USAGE;
	}
	return 0;
}

char **
gate_argv_split(const char *cmd)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = cmd, *w;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = xstrndup(w, (size_t)(p - w));
		v[n] = NULL;
	}
	return v;
}

void
gate_argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
describe_list(const char *what, const struct addr *l, size_t n,
    char *buf, size_t len)
{
	size_t i, used = strlen(buf);
	char a[INET6_ADDRSTRLEN + 16];

	if (n == 0)
		return;
	snprintf(buf + used, len - used, "%s", what);
	for (i = 0; i < n; i++) {
		used = strlen(buf);
		addr_str(&l[i], a, sizeof(a));
		snprintf(buf + used, len - used, "%s%s", i ? "," : "", a);
	}
}

void
gate_spec_describe(const struct gate_spec *s, char *buf, size_t len)
{
	size_t used;

	buf[0] = '\0';
	describe_list("requests to ", s->gated, s->ngated, buf, len);
	used = strlen(buf);
	snprintf(buf + used, len - used, "%s; SIP responses pass; new TCP "
	    "connections refused, established ones %s", s->ngated ? "" :
	    "nothing", s->cut_tcp ? "cut" : "left alone");
	describe_list("; exempt memdiag ", s->self, s->nself, buf, len);
	describe_list("; exempt peers ", s->peers, s->npeers, buf, len);
	used = strlen(buf);
	snprintf(buf + used, len - used, "; budget %u s", s->budget);
}

double
gate_refresh_interval(unsigned element_timeout)
{
	return element_timeout / 3.0;
}

unsigned
gate_fail_safe(unsigned element_timeout, double budget_left)
{
	if (budget_left >= element_timeout)
		return element_timeout;
	return budget_left < 1 ? 1 : (unsigned)budget_left;
}

bool
gate_owner_alive(pid_t pid, unsigned long long starttime)
{
	struct procfs_stat st;

	if (pid <= 0 || !procfs_read_stat(pid, &st))
		return false;
	return st.starttime == starttime && st.state != 'Z';
}

struct gate *
gate_new(const struct gate_ops *ops, const struct gate_spec *spec,
    const char *rundir, char *err, size_t errlen, enum gate_result *res)
{
	struct gate *g = xcalloc(1, sizeof(*g));

	g->ops = ops;
	g->spec = *spec;
	g->rundir = rundir;
	if ((*res = ops->init(g, err, errlen)) != GATE_OK) {
		gate_free(g);
		return NULL;
	}
	return g;
}

enum gate_result
gate_close(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	char what[2048];
	enum gate_result r;

	gate_spec_describe(&g->spec, what, sizeof(what));
	r = g->ops->close(g, timeout, err, errlen);
	if (r != GATE_OK) {
		log_warnx("gate %s: could not close: %s", g->ops->name, err);
		return r;
	}
	g->closed = true;
	g->closed_at = clock_mono();
	log_info("gate %s closed: %s; fail-safe %u s", g->ops->name, what,
	    timeout);
	return GATE_OK;
}

enum gate_result
gate_refresh(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	enum gate_result r = g->ops->refresh(g, timeout, err, errlen);

	if (r == GATE_LAPSED)
		log_warnx("gate %s had opened by itself (its fail-safe "
		    "expired: was memdiag stopped or too slow?); closed again "
		    "for %u s", g->ops->name, timeout);
	else if (r != GATE_OK)
		log_warnx("gate %s: could not refresh: %s", g->ops->name, err);
	else
		log_debug("gate %s: closed for %u s more", g->ops->name,
		    timeout);
	return r;
}

enum gate_result
gate_open(struct gate *g, char *err, size_t errlen)
{
	enum gate_result r = g->ops->open(g, err, errlen);

	if (r != GATE_OK) {
		log_warnx("gate %s: could not open: %s", g->ops->name, err);
		return r;
	}
	if (g->closed)
		log_info("gate %s opened after %.1f s", g->ops->name,
		    clock_mono() - g->closed_at);
	g->closed = false;
	return GATE_OK;
}

void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	if (g->ops->fini != NULL)
		g->ops->fini(g);
	free(g);
}

int
gate_cleanup(const char *rundir, int *failed)
{
	int f1 = 0, f2 = 0, n;

	n = gate_nft_cleanup(&f1);
	n += gate_hook_cleanup(rundir, &f2);
	*failed = f1 + f2;
	return n;
}

bool
gate_spec_add_sockaddr(struct addr *list, size_t *n,
    const struct sockaddr_storage *ss, int proto)
{
	struct addr a;

	return addr_from_sockaddr(ss, proto, &a) && gate_spec_add(list, n, &a);
}
