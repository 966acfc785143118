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

#include "exitcodes.h"
#include "inspect.h"
#include "log.h"
#include "report.h"
#include "target.h"

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

static json_t *
inspect_json(const struct target *t)
{
	json_t *o = json_object(), *kids = json_array(), *addrs = json_array();
	json_t *ctl = json_array();
	char buf[128];
	size_t i;

	json_object_set_new(o, "flavour", json_string(t->flavour));
	json_object_set_new(o, "exe", json_string(t->exe));
	json_object_set_new(o, "main", proc_json(t, &t->main));
	for (i = 0; i < t->nkids; i++)
		json_array_append_new(kids, proc_json(t, &t->kids[i]));
	json_object_set_new(o, "children", kids);
	for (i = 0; i < t->nlisten; i++) {
		target_addr_str(&t->listen[i], buf, sizeof(buf));
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
	return o;
}

static void
inspect_text(const struct target *t)
{
	char buf[128], err[256];
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
		target_addr_str(&t->listen[i], buf, sizeof(buf));
		printf("  listens on %s\n", buf);
	}
	for (i = 0; i < t->nctl; i++)
		printf("  rpc socket candidate %s\n", t->ctl[i]);
	printf("  %zu children\n", t->nkids);
	if (target_verify(t, &t->main, SIGUSR1, err, sizeof(err)) != 0)
		printf("  SIGUSR1 to the main process refused: %s\n", err);
}

int
inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL;
	struct target *t;
	char err[512];
	bool json = false;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			spec = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: memdiag inspect --target TARGET [--json]\n");
			return EX_MD_OK;
		default:
			fprintf(stderr, "usage: memdiag inspect --target TARGET "
			    "[--json]\n");
			return EX_MD_USAGE;
		}
	}
	if (spec == NULL || optind != argc) {
		fprintf(stderr, "usage: memdiag inspect --target TARGET [--json]\n");
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
