/*
 * Prometheus metrics: the text exposition format 0.0.4, as a file for
 * node_exporter's textfile collector and from a small HTTP endpoint
 * (libevent's evhttp on the service's own base) that only listens on a
 * loopback address: the numbers say which proxies are in trouble, which
 * is nobody's business beyond the host's own scraper.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "lib/log.h"
#include "lib/statedir.h"
#include "lib/xmalloc.h"
#include "report/history.h"
#include "report/metrics.h"

static const char *const verdicts[] = { "healthy", "leak", "pool-too-small",
	"fragmentation", "inconclusive" };

struct metrics_http {
	struct evhttp *http;
	char *text;
	struct evconnlistener *listener;
	struct event *resume;	/* accepting again after a pause */
};

/*
 * The endpoints alive, for the listener's error callback, whose argument
 * is evhttp's (one per service in practice).
 */
#define METRICS_MAX_ENDPOINTS 4
static struct metrics_http *endpoints[METRICS_MAX_ENDPOINTS];

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*s, f);
		}
}

static void
help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void
sample(FILE *f, const char *name, const struct metrics_target *t, double v)
{
	fprintf(f, "%s{target=\"", name);
	label(f, t->name);
	/* %.17g: every double, integers up to 2^53 exactly */
	fprintf(f, "\"} %.17g\n", v);
}

char *
metrics_text(const struct metrics_target *t, size_t n)
{
	char *buf;
	size_t len, i, k;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		fatalx(70, "metrics: out of memory");
	help(f, "memdiag_up", "gauge", "Whether the proxy answered memdiag's "
	    "last look (1) or not (0).");
	for (i = 0; i < n; i++)
		sample(f, "memdiag_up", &t[i], t[i].up);
	help(f, "memdiag_diagnosing", "gauge", "Whether a diagnosis of the "
	    "target is running now.");
	for (i = 0; i < n; i++)
		sample(f, "memdiag_diagnosing", &t[i], t[i].diagnosing);
	help(f, "memdiag_verdict", "gauge", "The last diagnosis's verdict: 1 "
	    "for the verdict given, 0 for the others.");
	for (i = 0; i < n; i++)
		for (k = 0; k < 5; k++) {
			fprintf(f, "memdiag_verdict{target=\"");
			label(f, t[i].name);
			fprintf(f, "\",verdict=\"%s\"} %d\n", verdicts[k],
			    t[i].verdict != NULL &&
			    strcmp(t[i].verdict, verdicts[k]) == 0);
		}
	help(f, "memdiag_last_run_timestamp_seconds", "gauge", "When the "
	    "last diagnosis ended, in seconds since the epoch.");
	for (i = 0; i < n; i++)
		if (t[i].last_run > 0)
			sample(f, "memdiag_last_run_timestamp_seconds", &t[i],
			    t[i].last_run);
	help(f, "memdiag_last_status", "gauge", "The last diagnosis's exit "
	    "status (memdiag(8)): 0 healthy, 1 pool too small or "
	    "fragmentation, 2 leak, 3 inconclusive, 64-78 errors.");
	for (i = 0; i < n; i++)
		if (t[i].last_run > 0)
			sample(f, "memdiag_last_status", &t[i], t[i].status);
	help(f, "memdiag_shm_used_bytes", "gauge", "Shared memory the proxy "
	    "uses now.");
	for (i = 0; i < n; i++)
		if (t[i].shm_total > 0)
			sample(f, "memdiag_shm_used_bytes", &t[i],
			    (double)t[i].shm_used);
	help(f, "memdiag_shm_size_bytes", "gauge", "The size of the proxy's "
	    "shared memory pool.");
	for (i = 0; i < n; i++)
		if (t[i].shm_total > 0)
			sample(f, "memdiag_shm_size_bytes", &t[i],
			    (double)t[i].shm_total);
	help(f, "memdiag_shm_floor_bytes", "gauge", "The settled shm floor "
	    "of the last diagnosis: memory held with no traffic.");
	for (i = 0; i < n; i++)
		if (t[i].floor > 0)
			sample(f, "memdiag_shm_floor_bytes", &t[i],
			    (double)t[i].floor);
	help(f, "memdiag_shm_floor_trend_bytes_per_day", "gauge", "How fast "
	    "the floor rises from one diagnosis to the next (least squares).");
	for (i = 0; i < n; i++)
		if (t[i].trend_bytes_per_day != -1)
			sample(f, "memdiag_shm_floor_trend_bytes_per_day", &t[i],
			    t[i].trend_bytes_per_day);
	help(f, "memdiag_shm_seconds_to_exhaustion", "gauge", "When the floor "
	    "reaches the pool's size at its trend; absent when not rising.");
	for (i = 0; i < n; i++)
		if (t[i].seconds_to_exhaustion >= 0)
			sample(f, "memdiag_shm_seconds_to_exhaustion", &t[i],
			    t[i].seconds_to_exhaustion);
	help(f, "memdiag_site_growth_bytes_per_request", "gauge", "Bytes an "
	    "allocation site kept per request of a method, as the last "
	    "observed diagnosis measured it under the users' traffic.");
	for (i = 0; i < n; i++)
		for (k = 0; k < t[i].ngrowth; k++) {
			const struct metrics_growth *g = &t[i].growth[k];

			fprintf(f, "memdiag_site_growth_bytes_per_request"
			    "{target=\"");
			label(f, t[i].name);
			fprintf(f, "\",pool=\"");
			label(f, g->pool);
			fprintf(f, "\",site=\"");
			label(f, g->site);
			fprintf(f, "\",method=\"");
			label(f, g->method);
			fprintf(f, "\"} %.17g\n", g->bytes_per_request);
		}
	help(f, "memdiag_shm_seconds_to_full", "gauge", "When the shm pool "
	    "is full at the rate the last observed diagnosis measured; "
	    "absent when nothing grew.");
	for (i = 0; i < n; i++)
		if (t[i].seconds_to_full > 0)
			sample(f, "memdiag_shm_seconds_to_full", &t[i],
			    t[i].seconds_to_full);
	if (fclose(f) != 0)
		fatalx(70, "metrics: out of memory");
	return buf;
}

void
metrics_from_report(const json_t *report, struct metrics_target *m)
{
	const json_t *pool, *sus, *v;
	size_t i, k;

	m->ngrowth = 0;
	m->seconds_to_full = -1;
	json_array_foreach(json_object_get(report, "pools"), i, pool) {
		const char *pname = json_string_value(json_object_get(pool,
		    "pool"));

		v = json_object_get(pool, "seconds_to_full");
		if (json_is_number(v) && pname != NULL &&
		    strcmp(pname, "shm") == 0)
			m->seconds_to_full = json_number_value(v);
		json_array_foreach(json_object_get(pool, "suspects"), k, sus) {
			struct metrics_growth *g = &m->growth[m->ngrowth];
			const char *mod, *file, *func, *method;

			v = json_object_get(sus, "bytes_per_request");
			method = json_string_value(json_object_get(sus,
			    "method"));
			if (!json_is_number(v) || method == NULL ||
			    m->ngrowth == METRICS_MAX_GROWTH)
				continue;
			mod = json_string_value(json_object_get(sus, "module"));
			file = json_string_value(json_object_get(sus, "file"));
			func = json_string_value(json_object_get(sus, "func"));
			snprintf(g->pool, sizeof(g->pool), "%s",
			    pname ? pname : "");
			snprintf(g->method, sizeof(g->method), "%s", method);
			snprintf(g->site, sizeof(g->site), "%s%s%s: %s(%lld)",
			    mod ? mod : "", mod ? ": " : "", file ? file : "?",
			    func ? func : "?", (long long)json_integer_value(
			    json_object_get(sus, "line")));
			g->bytes_per_request = json_number_value(v);
			m->ngrowth++;
		}
	}
}

int
metrics_write_file(const char *path, const struct metrics_target *t,
    size_t n, char *err, size_t errlen)
{
	char *text = metrics_text(t, n);
	int r;

	/* node_exporter reads *.prom only: the temporary name is hidden */
	r = statedir_write_atomic(path, text, strlen(text), 0644, err, errlen);
	free(text);
	return r;
}

static void
serve(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	struct evbuffer *out;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));

	if ((cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) ||
	    path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	out = evbuffer_new();
	if (m->text != NULL)
		evbuffer_add(out, m->text, strlen(m->text));
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

static bool
loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr);
	return false;
}

/*
 * Limits for an endpoint anything local may reach: a request's headers
 * (a scrape sends a few hundred bytes), its body (none), and how long a
 * connection may sit without a complete request.
 */
#define METRICS_MAX_HEADERS 8192
#define METRICS_MAX_BODY 1024
#define METRICS_TIMEOUT_S 10
#define METRICS_PAUSE_S 1	/* after accept() fails (no fd left) */

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct metrics_http *m = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(m->listener);
}

/*
 * accept() failed, most likely out of file descriptors: the listening
 * socket stays readable, and retrying at once spins a core and floods
 * the log. Stop accepting for a second, then try again: one line a
 * second at most while it lasts.
 */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval tv = { METRICS_PAUSE_S, 0 };
	int e = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)arg;
	evconnlistener_disable(l);
	for (i = 0; i < METRICS_MAX_ENDPOINTS; i++)
		if (endpoints[i] != NULL && endpoints[i]->listener == l) {
			log_warnx("metrics: cannot accept a connection: %s; "
			    "not accepting for %d s",
			    evutil_socket_error_to_string(e), METRICS_PAUSE_S);
			event_add(endpoints[i]->resume, &tv);
			return;
		}
	evconnlistener_enable(l);	/* not ours: as libevent would */
}

struct metrics_http *
metrics_http_new(struct event_base *base, const char *listen,
    char *err, size_t errlen)
{
	struct evhttp_bound_socket *bound;
	struct addrinfo hints, *ai = NULL;
	struct metrics_http *m;
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl;
	int r, port;

	if (colon == NULL || colon == listen || colon[1] == '\0') {
		snprintf(err, errlen, "metrics: \"%s\": expected HOST:PORT",
		    listen);
		return NULL;
	}
	hl = (size_t)(colon - listen);
	if (listen[0] == '[' && colon[-1] == ']') {	/* [::1]:9150 */
		listen++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "metrics: \"%s\": host too long", listen);
		return NULL;
	}
	memcpy(host, listen, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "metrics: \"%s\": %s", listen,
		    gai_strerror(r));
		return NULL;
	}
	if (!loopback(ai->ai_addr)) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "metrics: %s is not a loopback address "
		    "(127.0.0.0/8 or ::1)", host);
		return NULL;
	}
	port = ntohs(ai->ai_family == AF_INET ? ((struct sockaddr_in *)(void *)
	    ai->ai_addr)->sin_port : ((struct sockaddr_in6 *)(void *)
	    ai->ai_addr)->sin6_port);
	freeaddrinfo(ai);
	m = xcalloc(1, sizeof(*m));
	if ((m->http = evhttp_new(base)) == NULL)
		fatalx(70, "metrics: out of memory");
	evhttp_set_gencb(m->http, serve, m);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	if ((bound = evhttp_bind_socket_with_handle(m->http, host,
	    (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "metrics: cannot listen on %s port %d: %s",
		    host, port, strerror(errno));
		metrics_http_free(m);
		return NULL;
	}
	m->listener = evhttp_bound_socket_get_listener(bound);
	m->resume = evtimer_new(base, on_resume, m);
	for (size_t i = 0; i < METRICS_MAX_ENDPOINTS; i++)
		if (endpoints[i] == NULL) {
			endpoints[i] = m;
			evconnlistener_set_error_cb(m->listener,
			    on_accept_error);
			break;
		}
	return m;
}

void
metrics_http_set(struct metrics_http *m, const char *text)
{
	free(m->text);
	m->text = xstrdup(text);
}

void
metrics_http_free(struct metrics_http *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < METRICS_MAX_ENDPOINTS; i++)
		if (endpoints[i] == m)
			endpoints[i] = NULL;
	if (m->resume != NULL)
		event_free(m->resume);
	evhttp_free(m->http);
	free(m->text);
	free(m);
}

/* The metrics file, from each named target's latest saved diagnosis. */
void
metrics_write_history(const char *path, const char *statedir,
    const char *const *names, size_t n)
{
	struct metrics_target *m;
	char err[512];
	size_t i;

	m = xcalloc(n ? n : 1, sizeof(*m));
	for (i = 0; i < n; i++) {
		struct trend_point *pts = NULL;
		struct trend tr;
		size_t npts = 0;

		json_t *last = NULL;
		int r = history_read(statedir, names[i], &pts, &npts, &last,
		    err, sizeof(err));

		m[i].name = names[i];
		m[i].seconds_to_exhaustion = -1;
		metrics_from_report(last, &m[i]);
		json_decref(last);
		if (r == 0 && npts > 0) {
			trend_fit(pts, npts, &tr);
			m[i].verdict = xstrdup(pts[npts - 1].verdict);
			m[i].last_run = tr.last_when;
			m[i].floor = tr.last_floor;
			m[i].shm_total = tr.pool_size;
			m[i].trend_bytes_per_day = tr.slope;
			m[i].seconds_to_exhaustion = tr.days_left < 0 ? -1 :
			    tr.days_left * 86400;
			m[i].up = true;
		}
		free(pts);
	}
	if (metrics_write_file(path, m, n, err, sizeof(err)) != 0)
		log_warnx("%s", err);
	for (i = 0; i < n; i++)
		free((char *)m[i].verdict);
	free(m);
}
