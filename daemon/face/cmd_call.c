/*
 * memdiag call: test calls through a proxy, from the command line. The
 * order is the diagnosis's: OPTIONS first (no answer at all: 69), the
 * UAS's registration in registered mode, the batch, the registration
 * removed, then the result per flow and outcome.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "calls/call.h"
#include "face/cmd.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/report.h"

#define CALL_PING_MS 3000

struct call_cmd {
	struct event_base *base;
	struct call_engine *eng;
	struct call_batch *batch;
	struct call_batch_params params;
	const char *proxy;
	int status;
	int json;
};

const char call_cmd_synopsis[] = "call --proxy HOST:PORT [--calls N] "
    "[--rate CPS] [--concurrency K]\n"
    "           [--mix FLOW[:WEIGHT],...] [--mode direct|registered]\n"
    "           [--user U --password-file F] [--domain D] [--hold MS]\n"
    "           [--body-pad BYTES] [--timeout MS] [--json] [-v]";

static void
call_cmd_usage(FILE *f)
{
	fprintf(f, "usage: memdiag %s\nflows: ok, busy, cancel, register, "
	    "message\n", call_cmd_synopsis);
}

static int
call_cmd_number(const char *opt, const char *s, double min, double max,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		log_warnx("%s %s: expected a number from %g to %g", opt, s, min,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}

/* The first line of the file; NULL (and a message) if unreadable. */
static char *
call_cmd_password(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		log_warn("--password-file %s: cannot open", path);
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		log_warnx("--password-file %s: empty or unreadable", path);
		fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return xstrdup(line);
}

static void
call_cmd_print(struct call_cmd *cc)
{
	struct callstat *st = call_batch_stat(cc->batch);
	const struct callstat_mix *mix = call_batch_mix(cc->batch);
	struct sip *sip = call_engine_sip(cc->eng);
	struct callstat_totals t;
	char buf[128];
	int f, c, k;

	if (cc->json) {
		json_t *j = callstat_json(st, mix), *d = json_object();

		for (k = 0; k < SIP_DROP_NKINDS; k++)
			if (sip_drops(sip, k) > 0)
				json_object_set_new(d, sip_drop_name(k),
				    json_integer((json_int_t)sip_drops(sip, k)));
		json_object_set_new(j, "dropped", d);
		json_object_set_new(j, "seconds",
		    json_real(call_batch_seconds(cc->batch)));
		report_print_json(stdout, j);
		json_decref(j);
		return;
	}
	callstat_totals(st, &t);
	printf("calls through %s (mix %s): placed %llu, completed %llu, "
	    "failed %llu, timeout %llu\n", cc->proxy,
	    callstat_mix_format(mix, buf, sizeof(buf)),
	    (unsigned long long)t.placed, (unsigned long long)t.completed,
	    (unsigned long long)t.failed, (unsigned long long)t.timeout);
	printf("%.3f s, %.1f calls/s\n", call_batch_seconds(cc->batch),
	    call_batch_seconds(cc->batch) > 0 ? (double)t.placed /
	    call_batch_seconds(cc->batch) : 0.0);
	if (t.nlatency > 0)
		printf("INVITE->200 ms: min %.2f, p50 %.2f, p99 %.2f, "
		    "max %.2f\n", t.min, t.p50, t.p99, t.max);
	for (f = 0; f < CALL_NFLOWS; f++) {
		const struct callstat_flow *fl = &st->flow[f];

		if (fl->placed == 0)
			continue;
		printf("  %-9s placed %llu, completed %llu, timeout %llu",
		    callstat_flow_name(f), (unsigned long long)fl->placed,
		    (unsigned long long)fl->completed,
		    (unsigned long long)fl->timeout);
		for (c = 0; c < CALLSTAT_CODES; c++)
			if (fl->failed[c] > 0)
				printf(", failed %d: %llu", c,
				    (unsigned long long)fl->failed[c]);
		printf("\n");
	}
	for (k = 0; k < SIP_DROP_NKINDS; k++)
		if (sip_drops(sip, k) > 0)
			printf("  dropped %s: %llu\n", sip_drop_name(k),
			    (unsigned long long)sip_drops(sip, k));
}

static void
call_cmd_unregistered(void *arg, int code)
{
	struct call_cmd *cc = arg;

	if (code < 200 || code >= 300)
		log_warnx("removing the UAS's registration got %d", code);
	event_base_loopbreak(cc->base);
}

static void
call_cmd_done(struct call_batch *b, void *arg)
{
	struct call_cmd *cc = arg;
	struct callstat_totals t;

	callstat_totals(call_batch_stat(b), &t);
	cc->status = t.completed == t.placed ? EX_MD_OK : EX_MD_WARNING;
	call_engine_unregister(cc->eng, call_cmd_unregistered, cc);
}

static void
call_cmd_registered(void *arg, int code)
{
	struct call_cmd *cc = arg;

	if (code < 200 || code >= 300) {
		if (code == 0)
			log_warnx("%s did not answer the UAS's REGISTER",
			    cc->proxy);
		else
			log_warnx("%s answered the UAS's REGISTER with %d%s",
			    cc->proxy, code, code == 401 || code == 407 ?
			    ": give --user and --password-file" : "");
		cc->status = EX_MD_UNAVAILABLE;
		event_base_loopbreak(cc->base);
		return;
	}
	cc->batch = call_batch_start(cc->eng, &cc->params, call_cmd_done, cc);
}

static void
call_cmd_pinged(void *arg, int code)
{
	struct call_cmd *cc = arg;

	if (code == 0) {
		log_warnx("%s does not answer OPTIONS: is the proxy running "
		    "and listening on UDP there?", cc->proxy);
		cc->status = EX_MD_UNAVAILABLE;
		event_base_loopbreak(cc->base);
		return;
	}
	log_debug("%s answered OPTIONS with %d", cc->proxy, code);
	call_engine_register(cc->eng, call_cmd_registered, cc);
}

static void
call_cmd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct call_cmd *cc = arg;

	(void)what;
	log_warnx("signal %d: stopping, results are partial", (int)sig);
	cc->status = EX_MD_WARNING;
	event_base_loopbreak(cc->base);
}

static int
call_cmd_run(struct call_cmd *cc, const struct call_conf *conf)
{
	struct event *sigint, *sigterm;

	if ((cc->base = event_base_new()) == NULL)
		fatalx(EX_MD_INTERNAL, "event_base_new failed");
	cc->status = EX_MD_INTERNAL;
	if ((cc->eng = call_engine_new(cc->base, conf, &cc->status)) == NULL) {
		event_base_free(cc->base);
		return cc->status;
	}
	sigint = evsignal_new(cc->base, SIGINT, call_cmd_signal, cc);
	sigterm = evsignal_new(cc->base, SIGTERM, call_cmd_signal, cc);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	call_engine_ping(cc->eng, CALL_PING_MS, call_cmd_pinged, cc);
	event_base_dispatch(cc->base);
	if (cc->batch != NULL) {
		call_cmd_print(cc);
		fflush(stdout);
		call_batch_free(cc->batch);
	}
	event_free(sigint);
	event_free(sigterm);
	call_engine_free(cc->eng);
	event_base_free(cc->base);
	return cc->status;
}

int
call_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proxy", required_argument, NULL, 'p' },
		{ "calls", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'k' },
		{ "mix", required_argument, NULL, 'x' },
		{ "mode", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "domain", required_argument, NULL, 'd' },
		{ "hold", required_argument, NULL, 'H' },
		{ "body-pad", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct call_cmd cc;
	struct call_conf conf;
	const char *mix = NULL, *pwfile = NULL;
	char err[256];
	double v;
	int ch, verbose = 0, status;

	memset(&cc, 0, sizeof(cc));
	memset(&conf, 0, sizeof(conf));
	cc.params.calls = 10;
	cc.params.rate = 10;
	cc.params.concurrency = 10;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			conf.proxy = optarg;
			break;
		case 'n':
			if (call_cmd_number("--calls", optarg, 1, 1e8, &v))
				return EX_MD_USAGE;
			cc.params.calls = (unsigned)v;
			break;
		case 'r':
			if (call_cmd_number("--rate", optarg, 0.01, 1e6, &v))
				return EX_MD_USAGE;
			cc.params.rate = v;
			break;
		case 'k':
			if (call_cmd_number("--concurrency", optarg, 1, 1e6, &v))
				return EX_MD_USAGE;
			cc.params.concurrency = (unsigned)v;
			break;
		case 'x':
			mix = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "direct") == 0)
				conf.mode = CALL_MODE_DIRECT;
			else if (strcmp(optarg, "registered") == 0)
				conf.mode = CALL_MODE_REGISTERED;
			else {
				log_warnx("--mode %s: direct or registered",
				    optarg);
				return EX_MD_USAGE;
			}
			break;
		case 'u':
			conf.user = optarg;
			break;
		case 'P':
			pwfile = optarg;
			break;
		case 'd':
			conf.domain = optarg;
			break;
		case 'H':
			if (call_cmd_number("--hold", optarg, 0, 36e5, &v))
				return EX_MD_USAGE;
			cc.params.hold_ms = (unsigned)v;
			break;
		case 'b':
			if (call_cmd_number("--body-pad", optarg, 0, 60000, &v))
				return EX_MD_USAGE;
			cc.params.body_pad = (size_t)v;
			break;
		case 't':
			if (call_cmd_number("--timeout", optarg, 100, 36e5, &v))
				return EX_MD_USAGE;
			cc.params.timeout_ms = (unsigned)v;
			break;
		case 'j':
			cc.json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			call_cmd_usage(stdout);
			return EX_MD_OK;
		default:
			call_cmd_usage(stderr);
			return EX_MD_USAGE;
		}
	}
	if (optind != argc || conf.proxy == NULL) {
		if (conf.proxy == NULL)
			log_warnx("call: --proxy HOST:PORT is required");
		call_cmd_usage(stderr);
		return EX_MD_USAGE;
	}
	if (callstat_mix_parse(&cc.params.mix, mix, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EX_MD_USAGE;
	}
	if ((pwfile != NULL) != (conf.user != NULL)) {
		log_warnx("call: --user and --password-file go together");
		return EX_MD_USAGE;
	}
	if (pwfile != NULL &&
	    (conf.password = call_cmd_password(pwfile)) == NULL)
		return EX_MD_NOINPUT;
	if (verbose > 0)
		log_set_verbosity(verbose);
	cc.proxy = conf.proxy;
	status = call_cmd_run(&cc, &conf);
	free((char *)conf.password);
	return status;
}
