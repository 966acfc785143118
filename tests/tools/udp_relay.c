/*
 * A slow network for the call engine's tests (the kernel here has no
 * netem): a UDP relay on 127.0.0.1 that holds every datagram for DELAY_MS
 * plus or minus JITTER_MS, and REORDER_PCT percent of them DELAY_MS more,
 * so later datagrams overtake them.
 *
 *   udp_relay UPSTREAM_PORT BACK_PORT DELAY_MS JITTER_MS REORDER_PCT STATS
 *
 * The client (memdiag) talks to the port printed on stdout ("port N");
 * what it sends leaves from 127.0.0.1:BACK_PORT towards
 * 127.0.0.1:UPSTREAM_PORT (Kamailio). Whatever arrives at BACK_PORT (the
 * proxy's answers, and the requests it forwards to memdiag's UAS when
 * started with -A UAS_VIA) goes to the client. On SIGTERM it writes to
 * STATS what it saw: datagrams each way, how many were overtaken, and
 * the most calls in flight at once (an INVITE from the client opens a
 * Call-ID; the final answer to its BYE, or a final error to its INVITE,
 * delivered to the client closes it), and exits.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RELAY_MAX_PENDING 8192
#define RELAY_MAX_CALLS 65536
#define RELAY_DGRAM 65536

struct pending {
	char *buf;
	size_t len;
	int up;			/* 1: client -> proxy */
	double due;
	unsigned long seq;
};

static struct pending q[RELAY_MAX_PENDING];
static size_t nq;
static char *calls[RELAY_MAX_CALLS];
static unsigned char open_call[RELAY_MAX_CALLS];
static size_t ncalls, inflight, max_inflight;
static unsigned long seq_in[2], last_out[2], sent[2], overtaken;
static volatile sig_atomic_t stop;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A header's value (full or compact name), copied into out. */
static int
header(const char *msg, size_t len, const char *name, const char *compact,
    char *out, size_t outlen)
{
	const char *p = msg, *end = msg + len, *eol, *v;
	size_t nl = strlen(name), cl = compact ? strlen(compact) : 0, n;

	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = eol + 1;
		if ((size_t)(end - p) > nl + 1 &&
		    strncasecmp(p, name, nl) == 0 &&
		    (p[nl] == ':' || p[nl] == ' '))
			v = p + nl;
		else if (cl && (size_t)(end - p) > cl + 1 &&
		    strncasecmp(p, compact, cl) == 0 &&
		    (p[cl] == ':' || p[cl] == ' '))
			v = p + cl;
		else
			continue;
		while (v < end && (*v == ' ' || *v == ':'))
			v++;
		eol = memchr(v, '\n', (size_t)(end - v));
		n = (size_t)((eol ? eol : end) - v);
		while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
			n--;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

static long
call_find(const char *cid)
{
	size_t i;

	for (i = 0; i < ncalls; i++)
		if (strcmp(calls[i], cid) == 0)
			return (long)i;
	return -1;
}

/* What passes tells when a call starts and ends. */
static void
observe(const char *msg, size_t len, int up)
{
	char cid[256], cseq[64];
	long i;
	int code;

	if (header(msg, len, "Call-ID", "i", cid, sizeof(cid)) != 0)
		return;
	if (up && len > 7 && memcmp(msg, "INVITE ", 7) == 0) {
		if (call_find(cid) >= 0 || ncalls == RELAY_MAX_CALLS)
			return;
		calls[ncalls] = strdup(cid);
		open_call[ncalls++] = 1;
		if (++inflight > max_inflight)
			max_inflight = inflight;
		return;
	}
	if (up || len < 12 || memcmp(msg, "SIP/2.0 ", 8) != 0 ||
	    header(msg, len, "CSeq", NULL, cseq, sizeof(cseq)) != 0)
		return;
	code = atoi(msg + 8);
	if (code < 200 || (i = call_find(cid)) < 0 || !open_call[i])
		return;
	if (strstr(cseq, "BYE") != NULL ||
	    (strstr(cseq, "INVITE") != NULL && code >= 300)) {
		open_call[i] = 0;
		inflight--;
	}
}

static void
enqueue(const char *buf, size_t len, int up, double delay, double jitter,
    int reorder)
{
	struct pending *p;
	double d;

	if (nq == RELAY_MAX_PENDING)
		return;		/* a full queue drops, as a router would */
	p = &q[nq++];
	p->buf = malloc(len);
	if (p->buf == NULL) {
		nq--;
		return;
	}
	memcpy(p->buf, buf, len);
	p->len = len;
	p->up = up;
	p->seq = ++seq_in[up];
	d = delay + jitter * (2.0 * drand48() - 1.0);
	if (drand48() * 100 < reorder)
		d += delay;
	p->due = now() + (d > 0 ? d : 0) / 1000.0;
}

static void
deliver(int cfd, int bfd, const struct sockaddr_in *client,
    const struct sockaddr_in *upstream)
{
	double t = now();
	size_t i = 0;

	while (i < nq) {
		struct pending *p = &q[i];

		if (p->due > t) {
			i++;
			continue;
		}
		if (p->up)
			(void)sendto(bfd, p->buf, p->len, 0,
			    (const struct sockaddr *)upstream,
			    sizeof(*upstream));
		else {
			observe(p->buf, p->len, 0);
			(void)sendto(cfd, p->buf, p->len, 0,
			    (const struct sockaddr *)client, sizeof(*client));
		}
		sent[p->up]++;
		if (p->seq < last_out[p->up])
			overtaken++;
		else
			last_out[p->up] = p->seq;
		free(p->buf);
		*p = q[--nq];
	}
}

static int
bound(int port, struct sockaddr_in *sin)
{
	socklen_t sl = sizeof(*sin);
	int fd, rcv = 4 * 1024 * 1024;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &sl) == -1) {
		fprintf(stderr, "udp_relay: 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		exit(1);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in cl, back, client, upstream;
	static char buf[RELAY_DGRAM];
	int cfd, bfd, reorder, have_client = 0;
	double delay, jitter;
	struct sigaction sa;
	FILE *f;

	if (argc != 7) {
		fprintf(stderr, "usage: udp_relay UPSTREAM_PORT BACK_PORT "
		    "DELAY_MS JITTER_MS REORDER_PCT STATS\n");
		return 64;
	}
	delay = atof(argv[3]);
	jitter = atof(argv[4]);
	reorder = atoi(argv[5]);
	srand48((long)getpid());
	memset(&upstream, 0, sizeof(upstream));
	upstream.sin_family = AF_INET;
	upstream.sin_port = htons((uint16_t)atoi(argv[1]));
	upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfd = bound(0, &cl);
	bfd = bound(atoi(argv[2]), &back);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("port %d\n", ntohs(cl.sin_port));
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd[2] = { { cfd, POLLIN, 0 },
			{ bfd, POLLIN, 0 } };
		double next = 1.0, t = now();
		size_t i;
		int k;

		for (i = 0; i < nq; i++)
			if (q[i].due - t < next)
				next = q[i].due - t;
		if (poll(pfd, 2, next > 0 ? (int)(next * 1000) + 1 : 0) == -1 &&
		    errno != EINTR)
			break;
		for (k = 0; k < 2; k++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (!(pfd[k].revents & POLLIN))
				continue;
			n = recvfrom(pfd[k].fd, buf, sizeof(buf), MSG_DONTWAIT,
			    (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			if (k == 0) {
				client = from;
				have_client = 1;
				observe(buf, (size_t)n, 1);
				enqueue(buf, (size_t)n, 1, delay, jitter,
				    reorder);
			} else if (have_client)
				enqueue(buf, (size_t)n, 0, delay, jitter,
				    reorder);
		}
		if (have_client)
			deliver(cfd, bfd, &client, &upstream);
	}
	if ((f = fopen(argv[6], "w")) == NULL) {
		fprintf(stderr, "udp_relay: %s: %s\n", argv[6],
		    strerror(errno));
		return 1;
	}
	fprintf(f, "up %lu\ndown %lu\novertaken %lu\ncalls %zu\nopen %zu\n"
	    "max_inflight %zu\n", sent[1], sent[0], overtaken, ncalls,
	    inflight, max_inflight);
	fclose(f);
	return 0;
}
