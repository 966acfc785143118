/*
 * memdiag rpc [--rpc ADDR] [--json] [--timeout SECONDS] METHOD [PARAMS...]:
 * one binrpc call, for developers and for the tests that hold our client
 * against kamcmd. Parameters are typed as kamcmd types them: an integer,
 * else a decimal, else a string ("s:" forces a string). The text output
 * is kamcmd's layout, so the two can be compared line by line.
 *
 * With an OpenSIPS MI address (fifo:PATH[,REPLY_DIR], dgram:PATH,
 * dgram:HOST:PORT) it is one MI call instead: PARAMS are NAME=VALUE
 * (an integer value is sent as one) or a single JSON object or array,
 * and the result is printed as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/cmd.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "proxy/binrpc.h"
#include "proxy/mi.h"
#include "proxy/rpc.h"

#define RPC_CMD_DEFAULT_ADDR "unix:/run/kamailio/kamailio_ctl"

static void
rpc_cmd_add_param(struct binrpc_req *req, const char *arg)
{
	char *end;
	long l;
	double d;

	errno = 0;
	l = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0' && errno == 0 && l >= INT32_MIN &&
	    l <= INT32_MAX) {
		binrpc_req_add_int(req, (int32_t)l);
		return;
	}
	d = strtod(arg, &end);
	if (*arg != '\0' && *end == '\0') {
		binrpc_req_add_double(req, d);
		return;
	}
	binrpc_req_add_str(req, strncmp(arg, "s:", 2) == 0 ? arg + 2 : arg);
}

static void
rpc_cmd_print(const struct binrpc_val *v, int depth)
{
	size_t i;

	for (i = 0; i < (size_t)depth; i++)
		putchar('\t');
	if (v->name != NULL)
		printf("%s: ", v->name);
	switch (v->type) {
	case BINRPC_INT:
		printf("%lld\n", (long long)v->u.i);
		break;
	case BINRPC_DOUBLE:
		if (v->u.d == (double)(long long)v->u.d)
			printf("%lld\n", (long long)v->u.d);
		else
			printf("%f\n", v->u.d);
		break;
	case BINRPC_STR:
	case BINRPC_BYTES:
		fwrite(v->u.str.s, 1, v->u.str.len, stdout);
		putchar('\n');
		break;
	case BINRPC_STRUCT:
	case BINRPC_ARRAY:
		printf("%c\n", v->type == BINRPC_STRUCT ? '{' : '[');
		for (i = 0; i < v->u.list.n; i++)
			rpc_cmd_print(&v->u.list.v[i], depth + 1);
		for (i = 0; i < (size_t)depth; i++)
			putchar('\t');
		printf("%c\n", v->type == BINRPC_STRUCT ? '}' : ']');
		break;
	}
}

/* NAME=VALUE ... as a JSON object, or one JSON object or array as it is */
static json_t *
mi_params(int argc, char **argv)
{
	json_t *o;
	int i;

	if (argc == 1 && (argv[0][0] == '{' || argv[0][0] == '['))
		return json_loads(argv[0], 0, NULL);
	o = json_object();
	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *end, name[256];
		long long v;

		if (eq == NULL || eq == argv[i] ||
		    (size_t)(eq - argv[i]) >= sizeof(name)) {
			json_decref(o);
			return NULL;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]),
		    argv[i]);
		errno = 0;
		v = strtoll(eq + 1, &end, 10);
		json_object_set_new(o, name, eq[1] != '\0' && *end == '\0' &&
		    errno == 0 ? json_integer(v) : json_string(eq + 1));
	}
	return o;
}

static int
mi_cmd(const char *addr, double timeout, int argc, char **argv)
{
	struct mi_reply r;
	json_t *params = NULL;

	if (argc > 1 && (params = mi_params(argc - 1, argv + 1)) == NULL) {
		log_warnx("MI parameters: NAME=VALUE ..., or one JSON object "
		    "or array");
		return EX_MD_USAGE;
	}
	if (mi_call(addr, argv[0], params, timeout, &r) != 0) {
		int code = r.code;

		log_warnx("%s", r.error);
		mi_reply_clear(&r);
		return code != 0 ? EX_MD_DATAERR : EX_MD_UNAVAILABLE;
	}
	json_dumpf(r.result, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	putchar('\n');
	mi_reply_clear(&r);
	fflush(stdout);
	return EX_MD_OK;
}

static int
rpc_cmd_usage(void)
{
	fprintf(stderr, "usage: memdiag rpc [--rpc ADDR] [--json] "
	    "[--timeout SECONDS] METHOD [PARAMS...]\n");
	return EX_MD_USAGE;
}

int
rpc_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = RPC_CMD_DEFAULT_ADDR;
	struct binrpc_req *req;
	struct rpc_result *res;
	double timeout = 5.0;
	int ch, json = 0, i, status;
	char *end;
	size_t k;

	while ((ch = getopt_long(argc, argv, "+r:jt:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			addr = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end != '\0' || !(timeout > 0 && timeout <= 3600)) {
				log_warnx("--timeout %s: want seconds, above 0 "
				    "and up to 3600", optarg);
				return EX_MD_USAGE;
			}
			break;
		case 'h':
			rpc_cmd_usage();
			return EX_MD_OK;
		default:
			return rpc_cmd_usage();
		}
	}
	if (optind >= argc)
		return rpc_cmd_usage();
	if (strncmp(addr, "fifo:", 5) == 0 || strncmp(addr, "dgram:", 6) == 0)
		return mi_cmd(addr, timeout, argc - optind, argv + optind);
	req = binrpc_req_new(argv[optind]);
	for (i = optind + 1; i < argc; i++)
		rpc_cmd_add_param(req, argv[i]);
	res = rpc_sync(addr, req, timeout);
	if (res->reply != NULL && json) {
		json_t *j = binrpc_reply_json(res->reply);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(j);
	} else if (res->status == RPC_OK) {
		for (k = 0; k < res->reply->nvals; k++)
			rpc_cmd_print(&res->reply->vals[k], 0);
	}
	switch (res->status) {
	case RPC_OK:
		status = EX_MD_OK;
		break;
	case RPC_FAULT:
	case RPC_BADREPLY:
		status = EX_MD_DATAERR;
		break;
	case RPC_BADADDR:
		status = EX_MD_USAGE;
		break;
	default:
		status = EX_MD_UNAVAILABLE;
		break;
	}
	if (res->error != NULL)
		log_warnx("%s", res->error);
	rpc_result_free(res);
	fflush(stdout);
	return status;
}
