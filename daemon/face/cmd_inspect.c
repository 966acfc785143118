/*
 * memdiag inspect --target T: resolve and verify the target and print what
 * was discovered (processes, listening addresses, ctl sockets, log, pool
 * settings), the way the diagnosis will see it. Signals nothing.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "face/cmd.h"
#include "face/cmdline.h"
#include "lib/addr.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "proxy/mi.h"
#include "proxy/rpc.h"
#include "proxy/target.h"
#include "report/report.h"

static json_t *
proc_json(const struct target *t, const struct target_proc *p)
{
	char err[256];
	int v = target_verify(t, p, SIGUSR1, err, sizeof(err));

	return json_pack("{s:i, s:i, s:I, s:s?, s:b, s:s?}", "pid", (int)p->pid,
	    "nspid", (int)p->nspid, "starttime", (json_int_t)p->starttime,
	    "role", p->role, "signal_ok", v == 0, "refused",
	    v == 0 ? NULL : err);
}

/* One RPC's reply as JSON (its first value), or NULL; arg: one string
 * argument, or NULL. */
static json_t *
rpc_value(const char *addr, const char *method, const char *arg)
{
	struct binrpc_req *req = binrpc_req_new(method);
	struct rpc_result *r;
	json_t *j = NULL, *v;

	if (arg != NULL)
		binrpc_req_add_str(req, arg);
	r = rpc_sync(addr, req, 2.0);
	if (r->status == RPC_OK && r->reply != NULL) {
		j = binrpc_reply_json(r->reply);
		v = json_array_get(j, 0);
		if (v != NULL)
			json_incref(v);
		json_decref(j);
		j = v;
	}
	rpc_result_free(r);
	return j;
}

/* One MI call's result, or NULL (said at debug level). */
static json_t *
mi_value(const char *addr, const char *method, json_t *params)
{
	char err[512];
	json_t *v = mi_result(addr, method, params, 2.0, err, sizeof(err));

	if (v == NULL)
		log_debug("%s", err);
	return v;
}

/* OpenSIPS's pool from its statistics: "shmem:total_size", or a
 * process's "pkmem:N-total_size" (the largest: a process that has not
 * updated its figures yet says 0). */
static json_t *
mi_pool(const json_t *st, const char *group, const char *alloc)
{
	const char *k;
	json_t *v, *size = NULL, *used = NULL;

	json_object_foreach((json_t *)st, k, v) {
		const char *dash = strchr(k, '-'), *key;

		if (strncmp(k, group, strlen(group)) != 0)
			continue;
		key = strcmp(group, "pkmem:") == 0 && dash != NULL ? dash + 1 :
		    k + strlen(group);
		if (strcmp(key, "total_size") == 0 && (size == NULL ||
		    json_integer_value(v) > json_integer_value(size))) {
			size = v;
			used = json_object_get(st, "shmem:used_size");
			if (dash != NULL) {
				char u[64];

				snprintf(u, sizeof(u), "%.*sused_size",
				    (int)(dash + 1 - k), k);
				used = json_object_get(st, u);
			}
		}
	}
	if (size == NULL)
		return NULL;
	return json_pack("{s:s, s:O, s:O?}", "name", alloc, "size", size,
	    "used", used);
}

/*
 * OpenSIPS over its MI: version, the commands it has, the pools from its
 * statistics. NULL when no MI address answers.
 */
static json_t *
inspect_mi(const struct target *t)
{
	const char *alloc = t->shm_alloc ? t->shm_alloc : "F_MALLOC (default)";
	json_t *o, *v, *st;
	size_t i;

	for (i = 0; i < t->nctl; i++) {
		if ((v = mi_value(t->ctl[i], "version", NULL)) == NULL)
			continue;
		o = json_object();
		json_object_set_new(o, "rpc", json_string(t->ctl[i]));
		json_object_set(o, "version", json_object_get(v, "Server"));
		json_decref(v);
		if ((v = mi_value(t->ctl[i], "which", NULL)) != NULL)
			json_object_set_new(o, "commands", v);
		st = mi_value(t->ctl[i], "get_statistics", json_pack("{s:[s,s]}",
		    "statistics", "shmem:", "pkmem:"));
		if ((v = mi_pool(st, "shmem:", alloc)) != NULL)
			json_object_set_new(o, "shm", v);
		if ((v = mi_pool(st, "pkmem:", alloc)) != NULL)
			json_object_set_new(o, "pkg", v);
		json_decref(st);
		return o;
	}
	return NULL;
}

/*
 * What the proxy says of itself over RPC: version, build flags, the
 * allocator and size of each pool. NULL when no ctl socket answers.
 */
static json_t *
inspect_proxy(const struct target *t)
{
	const char *pools[] = { "shm", "pkg" };
	json_t *o, *v;
	size_t i;

	if (strcmp(t->flavour, "opensips") == 0)
		return inspect_mi(t);
	for (i = 0; i < t->nctl; i++) {
		v = rpc_value(t->ctl[i], "core.version", NULL);
		if (v == NULL)
			continue;
		o = json_object();
		json_object_set_new(o, "rpc", json_string(t->ctl[i]));
		json_object_set_new(o, "version", v);
		if ((v = rpc_value(t->ctl[i], "core.flags", NULL)) != NULL)
			json_object_set_new(o, "flags", v);
		for (size_t k = 0; k < 2; k++) {
			char m[16];

			snprintf(m, sizeof(m), "%s.info", pools[k]);
			if ((v = rpc_value(t->ctl[i], m, NULL)) != NULL)
				json_object_set_new(o, pools[k], v);
		}
		return o;
	}
	return NULL;
}

/* One thing memdiag can or cannot do; why only where it cannot. */
static void
ability(json_t *a, const char *what, bool can, const char *why)
{
	json_array_append_new(a, json_pack("{s:s, s:b, s:s?}", "what", what,
	    "can", can, "why", can ? NULL : why));
}

/* Does the RPC answer with a value? */
static bool
answers(const char *addr, const char *method, const char *arg)
{
	json_t *v = rpc_value(addr, method, arg);

	json_decref(v);
	return v != NULL;
}

static bool
has_command(const json_t *proxy, const char *a, const char *b)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(proxy, "commands"), i, c)
		if (json_is_string(c) && (strcmp(json_string_value(c), a) == 0 ||
		    strcmp(json_string_value(c), b) == 0))
			return true;
	return false;
}

/* OpenSIPS: what its MI and its start options allow. */
static void
abilities_mi(const struct target *t, const json_t *proxy, json_t *a)
{
	const char *alloc = t->shm_alloc;
	char addr[80];
	json_t *tm;

	ability(a, "talk to it over its MI (version, statistics, dumps on "
	    "demand)", proxy != NULL, "no MI address answers: load mi_fifo "
	    "or mi_datagram (memdiag finds their FIFO and socket)");
	if (proxy == NULL)
		return;
	ability(a, "dump its memory on demand (mem_shm_dump, mem_pkg_dump)",
	    has_command(proxy, "mem_shm_dump", "mem:shm_dump"), "its MI has "
	    "no mem_shm_dump");
	ability(a, "name the allocation sites", alloc != NULL &&
	    strstr(alloc, "_DBG") != NULL, "started without a *_DBG "
	    "allocator (default F_MALLOC): its dumps carry no sites; start "
	    "it with -a Q_MALLOC_DBG or -a F_MALLOC_DBG to have them. The "
	    "pools are judged from their totals");
	ability(a, "count the users' requests per method (--observe)", false,
	    "OpenSIPS counts requests in all (core:rcv_requests), not per "
	    "method");
	tm = mi_value(json_string_value(json_object_get(proxy, "rpc")),
	    "get_statistics", json_pack("{s:[s]}", "statistics",
	    "inuse_transactions"));
	ability(a, "count the transactions in flight", json_object_get(tm,
	    "tm:inuse_transactions") != NULL, "needs tm "
	    "(tm:inuse_transactions)");
	json_decref(tm);
	ability(a, "diagnose it (gate, test calls, observation; its floors "
	    "over MI, nothing changed on it)", target_udp_hostport(t, 0,
	    addr, sizeof(addr)), "it listens on no UDP address for test "
	    "calls: give --proxy HOST:PORT (--passive --observe needs none)");
}

/*
 * What memdiag can and cannot do with this proxy, each with why: the
 * operator learns before a diagnosis what it will be able to say.
 */
static json_t *
abilities(const struct target *t, const json_t *proxy)
{
	json_t *a = json_array();
	const char *rpc = json_string_value(json_object_get(proxy, "rpc"));
	const char *flags = json_string_value(json_object_get(proxy, "flags"));
	const char *pkg = json_string_value(json_object_get(json_object_get(
	    proxy, "pkg"), "name"));
	char err[256];
	bool sig = target_verify(t, &t->main, SIGUSR1, err, sizeof(err)) == 0;

	if (strcmp(t->flavour, "opensips") == 0) {
		abilities_mi(t, proxy, a);
		return a;
	}
	if (strcmp(t->flavour, "kamailio") != 0) {
		ability(a, "diagnose it (gate, test calls, dumps on demand)",
		    false, "memdiag drives Kamailio only so far; the memory "
		    "dumps in its log are read by memdiag analyze");
		return a;
	}
	ability(a, "dump its memory on demand (SIGUSR1)", sig, err);
	ability(a, "talk to it over binrpc (settings lowered and restored, "
	    "pool figures)", rpc != NULL, "no ctl socket answers: give --rpc");
	if (rpc == NULL)
		return a;
	ability(a, "name the allocation sites", flags != NULL &&
	    strstr(flags, "DBG_SR_MEMORY") != NULL, "built without "
	    "DBG_SR_MEMORY (MEMDBG=0): the pools are judged from their "
	    "totals only");
	ability(a, "count the users' requests per method (--observe)",
	    answers(rpc, "stats.get_statistics", "core:"), "needs kex "
	    "(stats.get_statistics core:)");
	ability(a, "count the transactions in flight", answers(rpc,
	    "stats.get_statistics", "tmx:"), "needs tmx "
	    "(stats.get_statistics tmx:)");
	if (pkg != NULL && strstr(pkg, "tlsf") != NULL)
		ability(a, "trust pkg.stats under tlsf", false, "Kamailio 5.6's "
		    "tlsf pkg.stats never moved when measured: memdiag sees "
		    "it frozen and judges pkg from the dumps");
	return a;
}

static json_t *
inspect_json(const struct target *t)
{
	json_t *o = json_object(), *kids = json_array(), *addrs = json_array();
	json_t *ctl = json_array(), *v;
	char buf[128];
	size_t i;

	json_object_set_new(o, "flavour", json_string(t->flavour));
	json_object_set_new(o, "exe", json_string(t->exe));
	json_object_set_new(o, "main", proc_json(t, &t->main));
	for (i = 0; i < t->nkids; i++)
		json_array_append_new(kids, proc_json(t, &t->kids[i]));
	json_object_set_new(o, "children", kids);
	for (i = 0; i < t->nlisten; i++) {
		addr_str(&t->listen[i], buf, sizeof(buf));
		json_array_append_new(addrs, json_string(buf));
	}
	json_object_set_new(o, "listen", addrs);
	for (i = 0; i < t->nctl; i++)
		json_array_append_new(ctl, json_string(t->ctl[i]));
	json_object_set_new(o, "ctl", ctl);
	json_object_set_new(o, "log", json_pack("{s:s, s:s?, s:s?}", "kind",
	    target_log_kind_name(t->log.kind), "path", t->log.path, "why",
	    t->log.why));
	json_object_set_new(o, "config", t->cfgfile ? json_string(t->cfgfile) :
	    json_null());
	json_object_set_new(o, "shm_mb", t->shm_mb ? json_integer(t->shm_mb) :
	    json_null());
	json_object_set_new(o, "pkg_mb", t->pkg_mb ? json_integer(t->pkg_mb) :
	    json_null());
	json_object_set_new(o, "shm_allocator", t->shm_alloc ?
	    json_string(t->shm_alloc) : json_null());
	json_object_set_new(o, "pkg_allocator", t->pkg_alloc ?
	    json_string(t->pkg_alloc) : t->shm_alloc ?
	    json_string(t->shm_alloc) : json_null());
	v = inspect_proxy(t);
	json_object_set_new(o, "abilities", abilities(t, v));
	json_object_set_new(o, "proxy", v ? v : json_null());
	return o;
}

static void
inspect_text(const struct target *t)
{
	char buf[128], err[256];
	json_t *proxy, *ab, *x;
	size_t i;

	printf("%s main pid %d (%s%s)\n", t->flavour, (int)t->main.pid, t->exe,
	    t->exe_deleted ? ", replaced on disk since it started" : "");
	printf("  config: %s\n", t->cfgfile ? t->cfgfile : "(default)");
	printf("  pools: shm %s%ld MB, pkg %s%ld MB, allocator %s/%s\n",
	    t->shm_mb ? "" : "default ", t->shm_mb, t->pkg_mb ? "" :
	    "default ", t->pkg_mb, t->shm_alloc ? t->shm_alloc : "default",
	    t->pkg_alloc ? t->pkg_alloc : t->shm_alloc ? t->shm_alloc :
	    "default");
	printf("  log: %s%s%s (%s)\n", target_log_kind_name(t->log.kind),
	    t->log.path ? " " : "", t->log.path ? t->log.path : "",
	    t->log.why);
	for (i = 0; i < t->nlisten; i++) {
		addr_str(&t->listen[i], buf, sizeof(buf));
		printf("  listens on %s\n", buf);
	}
	for (i = 0; i < t->nctl; i++)
		printf("  %s candidate %s\n", strcmp(t->flavour, "opensips") ==
		    0 ? "MI address" : "rpc socket", t->ctl[i]);
	printf("  %zu children\n", t->nkids);
	proxy = inspect_proxy(t);
	ab = abilities(t, proxy);
	if (proxy == NULL)
		printf("  no %s: version and pools unknown "
		    "(give --rpc to the commands that act)\n",
		    strcmp(t->flavour, "opensips") == 0 ? "MI address answers" :
		    "ctl socket answers binrpc");
	else {
		json_t *v;
		size_t k;
		const char *pools[] = { "shm", "pkg" };

		v = json_object_get(proxy, "version");
		printf("  says over %s: %s\n", json_string_value(json_object_get(
		    proxy, "rpc")), json_is_string(v) ? json_string_value(v) :
		    "?");
		for (k = 0; k < 2; k++) {
			json_t *p = json_object_get(proxy, pools[k]);
			json_t *size = json_object_get(p, "size");

			if (p == NULL)
				continue;
			printf("  %s pool: %s, %.0f bytes\n", pools[k],
			    json_string_value(json_object_get(p, "name")) ?
			    json_string_value(json_object_get(p, "name")) : "?",
			    json_number_value(size));
		}
		v = json_object_get(proxy, "flags");
		if (json_is_string(v))
			printf("  build flags: %s\n", json_string_value(v));
		json_decref(proxy);
	}
	/* for Kamailio, a refused SIGUSR1 is among the abilities below */
	if (strcmp(t->flavour, "kamailio") != 0 &&
	    target_verify(t, &t->main, SIGUSR1, err, sizeof(err)) != 0)
		printf("  SIGUSR1 to the main process refused: %s\n", err);
	json_array_foreach(ab, i, x) {
		const char *why = json_string_value(json_object_get(x, "why"));

		printf("  %s %s%s%s\n", json_is_true(json_object_get(x,
		    "can")) ? "can:   " : "cannot:", json_string_value(
		    json_object_get(x, "what")), why ? ": " : "", why ? why :
		    "");
	}
	json_decref(ab);
}

const char inspect_cmd_synopsis[] = "inspect --target TARGET [--json] "
    "[--proxy-exe LIST]";

int
inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "proxy-exe", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL;
	struct target *t;
	char err[512];
	bool json = false;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:jX:h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			spec = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'X':
			if (cmdline_proxy_exe(optarg) != 0)
				return EX_MD_USAGE;
			break;
		case 'h':
			printf("usage: memdiag %s\n", inspect_cmd_synopsis);
			return EX_MD_OK;
		default:
			fprintf(stderr, "usage: memdiag %s\n",
			    inspect_cmd_synopsis);
			return EX_MD_USAGE;
		}
	}
	if (spec == NULL || optind != argc) {
		fprintf(stderr, "usage: memdiag %s\n", inspect_cmd_synopsis);
		return EX_MD_USAGE;
	}
	if ((r = target_open(spec, NULL, &t, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		return r;
	}
	if (json) {
		json_t *j = inspect_json(t);

		report_print_json(stdout, j);
		json_decref(j);
	} else
		inspect_text(t);
	target_free(t);
	return EX_MD_OK;
}
