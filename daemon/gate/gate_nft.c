/*
 * The nft gate: one nftables table per gate, named after its owner
 * (memdiag_gate_PID_STARTTIME, the same in the table's comment), in the
 * network namespace memdiag runs in. memdiag never touches another table.
 *
 * The drop depends on set elements with a timeout: a request is dropped
 * only while its destination (the proxy's listening address, protocol and
 * port) is an element of gate4/gate6 (gateany4/gateany6 for wildcard
 * listens). memdiag refreshes them while the gate is meant to be closed;
 * if it dies, hangs or is stopped they expire and traffic flows again with
 * no one acting. The table itself stays behind and gate_cleanup removes
 * it once its owner is gone.
 *
 * Spoken to through libnftables (the batches are nft syntax), never by
 * running nft.
 */
#include <sys/socket.h>

#include <linux/capability.h>
#include <linux/netlink.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "gate/gate.h"
#include "gate/gate_priv.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/procfs.h"
#include "lib/xmalloc.h"

#define NFT_PREFIX "memdiag_gate_"

/* `SIP/2.0`: the first seven payload bytes of every SIP response */
#define NFT_SIP_RESPONSE "0x5349502f322e30"

struct nft_gate {
	struct nft_ctx *ctx;
	char table[64];
};

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct strbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
		    b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (b->s != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
}

void
gate_nft_table_name(pid_t pid, unsigned long long starttime, char *buf,
    size_t len)
{
	snprintf(buf, len, NFT_PREFIX "%d_%llu", (int)pid, starttime);
}

bool
gate_nft_parse_table(const char *name, pid_t *pid,
    unsigned long long *starttime)
{
	char *end;
	long p;

	if (strncmp(name, NFT_PREFIX, strlen(NFT_PREFIX)) != 0)
		return false;
	name += strlen(NFT_PREFIX);
	p = strtol(name, &end, 10);
	if (end == name || *end != '_' || p <= 0)
		return false;
	name = end + 1;
	*starttime = strtoull(name, &end, 10);
	if (end == name || *end != '\0')
		return false;
	*pid = (pid_t)p;
	return true;
}

static const char *
proto_name(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

static void
ip_str(const struct addr *a, char *buf, size_t len)
{
	inet_ntop(a->family, a->addr, buf, (socklen_t)len);
}

/* The gated elements of one set: family, wildcard or not. */
static size_t
gated_elements(struct strbuf *b, const struct gate_spec *s, int family,
    bool any, unsigned timeout)
{
	char ip[INET6_ADDRSTRLEN], to[32] = "";
	size_t i, n = 0;

	if (timeout > 0)
		snprintf(to, sizeof(to), " timeout %us", timeout);
	for (i = 0; i < s->ngated; i++) {
		const struct addr *a = &s->gated[i];

		if (a->family != family || addr_is_any(a) != any)
			continue;
		ip_str(a, ip, sizeof(ip));
		if (any)
			sb_printf(b, "%s%s . %u%s", n ? ", " : "",
			    proto_name(a->proto), a->port, to);
		else
			sb_printf(b, "%s%s . %s . %u%s", n ? ", " : "", ip,
			    proto_name(a->proto), a->port, to);
		n++;
	}
	return n;
}

static const struct {
	const char *set;
	int family;
	bool any;
} gate_sets[] = {
	{ "gate4", AF_INET, false },
	{ "gate6", AF_INET6, false },
	{ "gateany4", AF_INET, true },
	{ "gateany6", AF_INET6, true },
};

/* "add|delete element inet T SET { ... }" for every non-empty gate set */
static void
gated_batch(struct strbuf *b, const struct gate_spec *s, const char *table,
    const char *verb, unsigned timeout)
{
	struct strbuf e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(gate_sets) / sizeof(gate_sets[0]); i++) {
		e.len = 0;
		if (gated_elements(&e, s, gate_sets[i].family, gate_sets[i].any,
		    timeout) == 0)
			continue;
		sb_printf(b, "%s element inet %s %s { %s }\n", verb, table,
		    gate_sets[i].set, e.s);
	}
	free(e.s);
}

/* memdiag's sockets (address . proto . port) and peers (address [. port]) */
static void
exempt_elements(struct strbuf *b, const char *table,
    const struct addr *l, size_t n, const char *set, int family,
    int kind)
{
	char ip[INET6_ADDRSTRLEN];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const struct addr *a = &l[i];

		if (a->family != family || (kind == 1 && a->port != 0) ||
		    (kind == 2 && a->port == 0))
			continue;
		ip_str(a, ip, sizeof(ip));
		sb_printf(b, "%s", k ? ", " : "");
		if (k == 0)
			sb_printf(b, "add element inet %s %s { ", table, set);
		if (kind == 0)
			sb_printf(b, "%s . %s . %u", ip, proto_name(a->proto),
			    a->port);
		else if (kind == 1)
			sb_printf(b, "%s", ip);
		else
			sb_printf(b, "%s . %u", ip, a->port);
		k++;
	}
	if (k > 0)
		sb_printf(b, " }\n");
}

char *
gate_nft_ruleset(const struct gate_spec *s, const char *table,
    unsigned timeout)
{
	struct strbuf b = { 0 };

	sb_printf(&b,
	    "table inet %s {\n"
	    "\tcomment \"memdiag gate: owner pid %d starttime %llu, "
	    "budget %u s\"\n"
	    "\tset gate4 { type ipv4_addr . inet_proto . inet_service; "
	    "flags timeout; }\n"
	    "\tset gate6 { type ipv6_addr . inet_proto . inet_service; "
	    "flags timeout; }\n"
	    "\tset gateany4 { type inet_proto . inet_service; "
	    "flags timeout; }\n"
	    "\tset gateany6 { type inet_proto . inet_service; "
	    "flags timeout; }\n"
	    "\tset self4 { type ipv4_addr . inet_proto . inet_service; }\n"
	    "\tset self6 { type ipv6_addr . inet_proto . inet_service; }\n"
	    "\tset peer4 { type ipv4_addr; }\n"
	    "\tset peer6 { type ipv6_addr; }\n"
	    "\tset peerport4 { type ipv4_addr . inet_service; }\n"
	    "\tset peerport6 { type ipv6_addr . inet_service; }\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority -10; policy accept;\n"
	    "\t\tip daddr . meta l4proto . th dport @gate4 goto gated\n"
	    "\t\tip6 daddr . meta l4proto . th dport @gate6 goto gated\n"
	    "\t\tmeta nfproto ipv4 meta l4proto . th dport @gateany4 "
	    "goto gated\n"
	    "\t\tmeta nfproto ipv6 meta l4proto . th dport @gateany6 "
	    "goto gated\n"
	    "\t}\n"
	    "\tchain gated {\n"
	    "\t\tip saddr . meta l4proto . th sport @self4 accept\n"
	    "\t\tip6 saddr . meta l4proto . th sport @self6 accept\n"
	    "\t\tip saddr @peer4 accept\n"
	    "\t\tip6 saddr @peer6 accept\n"
	    "\t\tip saddr . th sport @peerport4 accept\n"
	    "\t\tip6 saddr . th sport @peerport6 accept\n"
	    "\t\tmeta l4proto udp @th,64,56 != " NFT_SIP_RESPONSE
	    " counter drop comment \"requests\"\n"
	    "\t\ttcp flags & (syn | ack) == syn counter reject with tcp reset "
	    "comment \"new connections\"\n"
	    "%s"
	    "\t}\n"
	    "}\n", table, (int)s->owner_pid, s->owner_starttime, s->budget,
	    s->cut_tcp ? "\t\tmeta l4proto tcp counter reject with tcp reset "
	    "comment \"established connections\"\n" : "");
	exempt_elements(&b, table, s->self, s->nself, "self4", AF_INET, 0);
	exempt_elements(&b, table, s->self, s->nself, "self6", AF_INET6, 0);
	exempt_elements(&b, table, s->peers, s->npeers, "peer4", AF_INET, 1);
	exempt_elements(&b, table, s->peers, s->npeers, "peer6", AF_INET6, 1);
	exempt_elements(&b, table, s->peers, s->npeers, "peerport4", AF_INET,
	    2);
	exempt_elements(&b, table, s->peers, s->npeers, "peerport6", AF_INET6,
	    2);
	gated_batch(&b, s, table, "add", timeout);
	return b.s;
}

char *
gate_nft_refresh_batch(const struct gate_spec *s, const char *table,
    unsigned timeout, bool readd_only)
{
	struct strbuf b = { 0 };

	/* an expired element cannot be deleted: add, delete, add again */
	if (readd_only)
		gated_batch(&b, s, table, "add", timeout);
	gated_batch(&b, s, table, "delete", 0);
	gated_batch(&b, s, table, "add", timeout);
	if (b.s == NULL)
		sb_printf(&b, "%s", "");
	return b.s;
}

/*
 * Can libnftables work here? It prints to stderr when netlink refuses a
 * request (EPERM: "you must be root") and exits the process when it
 * cannot open a netlink socket at all (a unit's
 * RestrictAddressFamilies=), so memdiag asks first: CAP_NET_ADMIN in its
 * effective set, and a netfilter netlink socket.
 */
static bool
nft_usable(char *err, size_t errlen)
{
	struct procfs_status st;
	int fd;

	if (!procfs_read_status(getpid(), &st) ||
	    !(st.capeff & (1ULL << CAP_NET_ADMIN))) {
		snprintf(err, errlen, "no CAP_NET_ADMIN");
		return false;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1) {
		snprintf(err, errlen, "no netlink socket: %s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static struct nft_ctx *
nft_ctx_open(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx == NULL)
		return NULL;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	return ctx;
}

/* Run a batch; 0, or -1 with libnftables' first error line in err. */
static int
nft_run(struct nft_ctx *ctx, const char *batch, char *err, size_t errlen)
{
	const char *e;

	if (nft_run_cmd_from_buffer(ctx, batch) == 0)
		return 0;
	e = nft_ctx_get_error_buffer(ctx);
	snprintf(err, errlen, "%s", e != NULL && *e ? e : "nftables failed");
	err[strcspn(err, "\n")] = '\0';
	/* the message names the line; the cause is at its end */
	if (e != NULL && strstr(e, "Error: ") != NULL)
		snprintf(err, errlen, "%s", strstr(e, "Error: ") + 7);
	err[strcspn(err, "\n")] = '\0';
	return -1;
}

/*
 * Denied: no CAP_NET_ADMIN, or no netlink socket at all (the shipped
 * units allow neither: a gate is the operator's choice, memdiag(8),
 * PRIVILEGES); the error then says what to add.
 */
static enum gate_result
nft_failure(char *err, size_t errlen)
{
	size_t n = strlen(err);

	if (strstr(err, "not permitted") == NULL &&
	    strstr(err, "Permission denied") == NULL &&
	    strstr(err, "Address family not supported") == NULL)
		return GATE_ERROR;
	if (n < errlen)
		snprintf(err + n, errlen - n, " (the nft gate needs "
		    "CAP_NET_ADMIN and netlink sockets; see memdiag(8), "
		    "PRIVILEGES)");
	return GATE_DENIED;
}

static enum gate_result
nft_init(struct gate *g, char *err, size_t errlen)
{
	struct nft_gate *n = xcalloc(1, sizeof(*n));

	g->priv = n;
	if (!nft_usable(err, errlen)) {
		size_t l = strlen(err);

		snprintf(err + l, errlen - l, " (the nft gate needs "
		    "CAP_NET_ADMIN and netlink sockets; see memdiag(8), "
		    "PRIVILEGES)");
		return GATE_DENIED;
	}
	if ((n->ctx = nft_ctx_open()) == NULL) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		return GATE_ERROR;
	}
	gate_nft_table_name(g->spec.owner_pid, g->spec.owner_starttime,
	    n->table, sizeof(n->table));
	return GATE_OK;
}

static enum gate_result
nft_close(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	struct nft_gate *n = g->priv;
	char *batch = gate_nft_ruleset(&g->spec, n->table, timeout);
	int rc = nft_run(n->ctx, batch, err, errlen);

	free(batch);
	if (rc != 0)
		return nft_failure(err, errlen);
	log_debug("nft table inet %s created", n->table);
	return GATE_OK;
}

static enum gate_result
nft_refresh(struct gate *g, unsigned timeout, char *err, size_t errlen)
{
	struct nft_gate *n = g->priv;
	char *batch;
	int rc;

	batch = gate_nft_refresh_batch(&g->spec, n->table, timeout, false);
	rc = nft_run(n->ctx, batch, err, errlen);
	free(batch);
	if (rc == 0)
		return GATE_OK;
	if (strstr(err, "No such file") == NULL)
		return nft_failure(err, errlen);
	/* an element to delete was gone: the fail-safe had opened the gate */
	batch = gate_nft_refresh_batch(&g->spec, n->table, timeout, true);
	rc = nft_run(n->ctx, batch, err, errlen);
	free(batch);
	return rc == 0 ? GATE_LAPSED : nft_failure(err, errlen);
}

static int
nft_delete_table(struct nft_ctx *ctx, const char *table, char *err,
    size_t errlen)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "delete table inet %s\n", table);
	return nft_run(ctx, cmd, err, errlen);
}

static enum gate_result
nft_open(struct gate *g, char *err, size_t errlen)
{
	struct nft_gate *n = g->priv;

	if (nft_delete_table(n->ctx, n->table, err, errlen) == 0)
		return GATE_OK;
	if (strstr(err, "No such file") != NULL) {
		if (g->closed)
			log_warnx("nft table inet %s was already gone (removed "
			    "by someone else?)", n->table);
		return GATE_OK;
	}
	return nft_failure(err, errlen);
}

static void
nft_fini(struct gate *g)
{
	struct nft_gate *n = g->priv;

	if (n == NULL)
		return;
	if (n->ctx != NULL)
		nft_ctx_free(n->ctx);
	free(n);
	g->priv = NULL;
}

const struct gate_ops gate_nft_ops = {
	.name = "nft",
	.init = nft_init,
	.close = nft_close,
	.refresh = nft_refresh,
	.open = nft_open,
	.fini = nft_fini,
};

int
gate_nft_cleanup(int *failed)
{
	struct nft_ctx *ctx;
	char err[512], *out, *line, *save = NULL;
	int removed = 0;

	*failed = 0;
	/* without the rights no gate of ours can be there to remove */
	if (!nft_usable(err, sizeof(err))) {
		log_debug("nft gates: not looked for: %s", err);
		return 0;
	}
	if ((ctx = nft_ctx_open()) == NULL)
		return 0;
	if (nft_run(ctx, "list tables inet", err, sizeof(err)) != 0) {
		/* no nftables here, or not ours to read: nothing of ours */
		log_debug("nft gates: cannot list tables: %s", err);
		nft_ctx_free(ctx);
		return 0;
	}
	/* a copy: the next command reuses the output buffer */
	out = xstrdup(nft_ctx_get_output_buffer(ctx));
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		unsigned long long st;
		pid_t pid;

		if (sscanf(line, "table inet %127s", name) != 1 ||
		    !gate_nft_parse_table(name, &pid, &st))
			continue;
		if (gate_owner_alive(pid, st)) {
			log_debug("nft table inet %s: its memdiag (pid %d) is "
			    "running; left alone", name, (int)pid);
			continue;
		}
		if (nft_delete_table(ctx, name, err, sizeof(err)) == 0) {
			log_info("removed the gate of a dead memdiag (pid %d): "
			    "nft table inet %s", (int)pid, name);
			removed++;
		} else {
			log_warnx("nft table inet %s: cannot remove the gate "
			    "of dead memdiag pid %d: %s", name, (int)pid, err);
			(*failed)++;
		}
	}
	free(out);
	nft_ctx_free(ctx);
	return removed;
}
