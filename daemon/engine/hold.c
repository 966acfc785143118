/*
 * The gate held: one holder for `memdiag gate` and the diagnosis, so that
 * both gate the same addresses, let the same peers through and keep the
 * same promises (hold.h). The gate's backends are in gate/; this is the
 * policy around them.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <netinet/in.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "calls/call.h"
#include "engine/hold.h"
#include "gate/gate.h"
#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"
#include "proxy/target.h"

struct hold {
	struct event_base *base;
	const struct gate_ops *ops;
	const char *rundir;
	struct gate_spec spec;
	struct gate *gate;
	const struct target *t;
	struct event *refresh_ev, *budget_ev, *proxy_ev;
	int proxyfd;
	bool watch_proxy, ended_said, open_failed;
	void (*ended)(void *, enum hold_end, const char *);
	void *arg;
	double closed_at, closed_s;
	unsigned lapses;
	char err[512];
};

/* What the gate would hurt; 77 when calls are active and not forced. */
static int
hold_harm_check(const struct hold_opts *o, const struct target *t,
    struct px *px, struct px_harm *h, char *err, size_t errlen)
{
	if (px == NULL) {
		memset(h, 0, sizeof(*h));
		snprintf(h->why_dialogs, sizeof(h->why_dialogs), "%s pid %d: "
		    "its RPC does not answer", t->flavour, (int)t->main.pid);
		snprintf(h->why_contacts, sizeof(h->why_contacts), "%s",
		    h->why_dialogs);
		return 0;
	}
	px_harm(px, o->spec->budget, h);
	if (h->dialogs_known && h->dialogs > 0 && !o->force) {
		snprintf(err, errlen, "%llu calls are active: the gate would "
		    "drop their in-dialog requests; give --force to gate "
		    "anyway, or --gate none", (unsigned long long)h->dialogs);
		return EX_MD_REFUSED;
	}
	return 0;
}

/* "sip:user@host:port;params" -> host as an address (names resolved). */
static bool
uri_host(const char *uri, struct addr *out)
{
	char host[256], err[128];
	const char *p = uri, *e;
	struct addrinfo hints, *res;
	size_t l;

	if (strncmp(p, "sip:", 4) == 0)
		p += 4;
	else if (strncmp(p, "sips:", 5) == 0)
		p += 5;
	if ((e = strchr(p, '@')) != NULL)
		p = e + 1;
	if (*p == '[') {
		e = strchr(p, ']');
		if (e == NULL)
			return false;
		p++;
	} else
		e = p + strcspn(p, ":;>?");
	l = (size_t)(e - p);
	if (l == 0 || l >= sizeof(host))
		return false;
	memcpy(host, p, l);
	host[l] = '\0';
	if (addr_parse(host, false, out, err, sizeof(err)) == 0)
		return true;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = res->ai_family;
	if (res->ai_family == AF_INET)
		memcpy(out->addr,
		    &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	else
		memcpy(out->addr,
		    &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
	freeaddrinfo(res);
	return true;
}

/* The proxy's peers: dispatcher destinations pass the gate. */
static void
hold_dispatcher_peers(struct gate_spec *spec, struct px *px)
{
	size_t i, n;
	char **uris = px_peers(px, &n);

	for (i = 0; i < n; i++) {
		struct addr a;

		if (!uri_host(uris[i], &a)) {
			log_warnx("dispatcher destination %s: cannot tell its "
			    "address; give it with --peer", uris[i]);
			continue;
		}
		gate_spec_add(spec->peers, &spec->npeers, &a);
	}
	px_strings_free(uris, n);
}

/* An nft gate works in memdiag's own network namespace only. */
static int
hold_same_netns(const struct target *t, char *err, size_t errlen)
{
	char path[64], mine[64] = "", its[64] = "";
	ssize_t n;

	if ((n = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1)) > 0)
		mine[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t->main.pid);
	if ((n = readlink(path, its, sizeof(its) - 1)) > 0)
		its[n] = '\0';
	if (its[0] == '\0' || strcmp(mine, its) == 0)
		return 0;
	snprintf(err, errlen, "%s pid %d runs in another network namespace "
	    "(%s, memdiag in %s): a gate here would gate nothing; run memdiag "
	    "in the proxy's namespace (ip netns exec NAME memdiag ...)",
	    t->flavour, (int)t->main.pid, its, mine);
	return EX_MD_REFUSED;
}

static void
hold_end(struct hold *h, enum hold_end why, const char *text)
{
	char err[512];

	if (hold_open(h, err, sizeof(err)) != 0)
		log_warnx("opening the gate: %s (memdiag cleanup retries)",
		    err);
	if (!h->ended_said && h->ended != NULL) {
		h->ended_said = true;
		h->ended(h->arg, why, text);
	}
}

static void
on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct hold *h = arg;
	enum gate_result r;

	(void)fd;
	(void)what;
	if (!hold_closed(h))
		return;
	r = gate_refresh(h->gate, gate_fail_safe(h->spec.element_timeout,
	    hold_budget_left(h)), h->err, sizeof(h->err));
	if (r == GATE_LAPSED)
		h->lapses++;
	else if (r != GATE_OK)
		hold_end(h, HOLD_REFRESH_FAILED, h->err);
}

static void
on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct hold *h = arg;

	(void)fd;
	(void)what;
	log_warnx("the gate's budget (%u s) is spent: opening it",
	    h->spec.budget);
	hold_end(h, HOLD_BUDGET, "the budget ran out");
}

static void
on_proxy_exit(evutil_socket_t fd, short what, void *arg)
{
	struct hold *h = arg;

	(void)fd;
	(void)what;
	log_warnx("%s pid %d exited while gated", h->t->flavour,
	    (int)h->t->main.pid);
	hold_end(h, HOLD_PROXY_EXIT, "the proxy exited");
}

struct hold *
hold_new(struct event_base *base, const struct hold_opts *o,
    const struct target *t, struct px *px,
    void (*ended)(void *arg, enum hold_end, const char *why), void *arg,
    struct px_harm *harm, int *status, char *err, size_t errlen)
{
	const struct gate_ops *ops = gate_ops_find(o->backend);
	struct procfs_stat me;
	struct hold *h;
	size_t i;

	if (ops == NULL) {
		snprintf(err, errlen, "gate \"%s\": not one of %s", o->backend,
		    gate_ops_names());
		*status = EX_MD_USAGE;
		return NULL;
	}
	if (strcmp(ops->name, "nft") == 0 &&
	    (*status = hold_same_netns(t, err, errlen)) != 0)
		return NULL;
	if ((*status = hold_harm_check(o, t, px, harm, err, errlen)) != 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->ops = ops;
	h->rundir = o->rundir;
	h->t = t;
	h->proxyfd = -1;
	h->watch_proxy = o->watch_proxy;
	h->ended = ended;
	h->arg = arg;
	h->spec = *o->spec;
	for (i = 0; i < t->nlisten; i++)
		gate_spec_add(h->spec.gated, &h->spec.ngated, &t->listen[i]);
	if (px != NULL)
		hold_dispatcher_peers(&h->spec, px);
	else
		log_warnx("%s: active calls, registrations and dispatcher "
		    "peers are unknown (give --rpc)", harm->why_dialogs);
	if (!procfs_read_stat(getpid(), &me))
		fatal(EX_MD_INTERNAL, "/proc/self/stat");
	h->spec.owner_pid = getpid();
	h->spec.owner_starttime = me.starttime;
	return h;
}

/* The gate itself, once memdiag's own sockets are known. */
static int
hold_gate_new(struct hold *h, struct call_engine *eng, char *err,
    size_t errlen)
{
	struct sip_socket s[8];
	enum gate_result r = GATE_OK;
	char what[2048];
	size_t i, n;
	int st;

	n = eng != NULL ? call_engine_sockets(eng, s, 8) : 0;
	for (i = 0; i < n && i < 8; i++)
		gate_spec_add_sockaddr(h->spec.self, &h->spec.nself,
		    &s[i].addr, IPPROTO_UDP);
	if ((st = gate_spec_check(&h->spec, h->ops, err, errlen)) != 0)
		return st;
	gate_spec_describe(&h->spec, what, sizeof(what));
	log_info("gate %s: %s", h->ops->name, what);
	h->gate = gate_new(h->ops, &h->spec, h->rundir, err, errlen, &r);
	if (h->gate == NULL)
		return r == GATE_DENIED ? EX_MD_REFUSED : EX_MD_INTERNAL;
	return 0;
}

int
hold_close(struct hold *h, struct call_engine *eng, char *err,
    size_t errlen)
{
	enum gate_result r;
	struct timeval tv;
	double left;
	int st;

	if (hold_closed(h))
		return 0;
	/* what is left of the budget, should it close more than once */
	left = hold_budget_left(h);
	if (h->gate == NULL && (st = hold_gate_new(h, eng, err, errlen)) != 0)
		return st;
	r = gate_close(h->gate, h->spec.element_timeout < h->spec.budget ?
	    h->spec.element_timeout : h->spec.budget, err, errlen);
	if (r != GATE_OK) {
		char oerr[512];

		(void)gate_open(h->gate, oerr, sizeof(oerr));
		return r == GATE_DENIED ? EX_MD_REFUSED : EX_MD_INTERNAL;
	}
	tv = clock_tv(left);
	h->closed_at = clock_mono();
	if (h->budget_ev == NULL)
		h->budget_ev = evtimer_new(h->base, on_budget, h);
	event_add(h->budget_ev, &tv);
	tv = clock_tv(gate_refresh_interval(h->spec.element_timeout));
	if (h->refresh_ev == NULL)
		h->refresh_ev = event_new(h->base, -1, EV_PERSIST, on_refresh,
		    h);
	event_add(h->refresh_ev, &tv);
	if (h->watch_proxy && h->proxy_ev != NULL)
		event_add(h->proxy_ev, NULL);
	else if (h->watch_proxy) {
		h->proxyfd = (int)syscall(SYS_pidfd_open, h->t->main.pid, 0);
		if (h->proxyfd != -1) {
			h->proxy_ev = event_new(h->base, h->proxyfd, EV_READ,
			    on_proxy_exit, h);
			event_add(h->proxy_ev, NULL);
		} else
			log_warn("pidfd_open %d: the proxy's exit will be "
			    "noticed late", (int)h->t->main.pid);
	}
	return 0;
}

static void
hold_events_free(struct hold *h)
{
	struct event **evs[] = { &h->refresh_ev, &h->budget_ev,
		&h->proxy_ev };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	if (h->proxyfd != -1) {
		close(h->proxyfd);
		h->proxyfd = -1;
	}
}

int
hold_open(struct hold *h, char *err, size_t errlen)
{
	if (h->refresh_ev != NULL)
		event_del(h->refresh_ev);
	if (h->budget_ev != NULL)
		event_del(h->budget_ev);
	if (h->proxy_ev != NULL)
		event_del(h->proxy_ev);
	if (h->open_failed) {
		snprintf(err, errlen, "the gate could not be opened before");
		return EX_MD_INTERNAL;
	}
	if (!hold_closed(h))
		return 0;
	h->closed_s += clock_mono() - h->closed_at;
	if (gate_open(h->gate, err, errlen) != GATE_OK) {
		/* its state stays for memdiag cleanup and the next start */
		h->open_failed = true;
		return EX_MD_INTERNAL;
	}
	return 0;
}

bool
hold_closed(const struct hold *h)
{
	return h != NULL && h->gate != NULL && h->gate->closed;
}

double
hold_budget_left(const struct hold *h)
{
	if (!hold_closed(h))
		return (double)h->spec.budget - h->closed_s;
	return h->spec.budget - h->closed_s - (clock_mono() - h->closed_at);
}

double
hold_closed_seconds(const struct hold *h)
{
	if (hold_closed(h) && !h->open_failed)
		return h->closed_s + clock_mono() - h->closed_at;
	return h->closed_s;
}

unsigned
hold_lapses(const struct hold *h)
{
	return h->lapses;
}

void
hold_describe(const struct hold *h, char *buf, size_t len)
{
	gate_spec_describe(&h->spec, buf, len);
}

const char *
hold_backend(const struct hold *h)
{
	return h->ops->name;
}

void
hold_free(struct hold *h)
{
	char err[512];

	if (h == NULL)
		return;
	if (!h->open_failed && hold_open(h, err, sizeof(err)) != 0)
		log_warnx("opening the gate: %s (memdiag cleanup retries)",
		    err);
	hold_events_free(h);
	if (h->gate != NULL)
		gate_free(h->gate);
	free(h);
}
