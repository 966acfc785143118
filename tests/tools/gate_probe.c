/*
 * The gate tests' SIP endpoints, small enough to trust:
 *
 *   gate_probe ask BIND_IP HOST:PORT TIMEOUT_MS
 *       one OPTIONS from BIND_IP (any port); exit 0 when a SIP/2.0
 *       response arrives within TIMEOUT_MS, 1 when nothing does
 *   gate_probe answer BIND_IP:PORT [REPLY_IP]
 *       a peer: answers every request with 200 and prints one line per
 *       request ("OPTIONS from 127.0.0.1:5060"), until killed; with
 *       REPLY_IP the answers leave from another address (SIP matches
 *       responses by Via branch, so the asker takes them all the same)
 *   gate_probe tcp BIND_IP HOST:PORT ROUNDS INTERVAL_MS TIMEOUT_MS
 *       one TCP connection, an OPTIONS every INTERVAL_MS over it; prints
 *       "answered", "silent" or "closed" per round. Exit 0 when every
 *       round was answered, 1 otherwise, 3 when the connection was refused
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
#include <time.h>
#include <unistd.h>

static int
addr(const char *ip, int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0 : -1;
}

static int
split(const char *hp, char *ip, size_t len, int *port)
{
	const char *c = strrchr(hp, ':');

	if (c == NULL || (size_t)(c - hp) >= len)
		return -1;
	memcpy(ip, hp, (size_t)(c - hp));
	ip[c - hp] = '\0';
	*port = atoi(c + 1);
	return 0;
}

static int
ask(const char *bind_ip, const char *dest, int timeout_ms)
{
	struct sockaddr_in me, to;
	socklen_t ml = sizeof(me);
	char ip[64], msg[1024], buf[4096];
	struct pollfd pfd;
	int fd, port;
	ssize_t n;

	if (split(dest, ip, sizeof(ip), &port) != 0 || addr(ip, port, &to) ||
	    addr(bind_ip, 0, &me))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) == -1) {
		perror("socket");
		return 2;
	}
	snprintf(msg, sizeof(msg),
	    "OPTIONS sip:%s:%d SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKprobe%ld;rport\r\n"
	    "Max-Forwards: 10\r\n"
	    "From: <sip:probe@%s>;tag=p%ld\r\n"
	    "To: <sip:%s:%d>\r\n"
	    "Call-ID: probe-%ld-%d@%s\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n", ip, port, bind_ip,
	    ntohs(me.sin_port), (long)time(NULL) ^ (long)getpid(), bind_ip,
	    (long)getpid(), ip, port, (long)time(NULL), (int)getpid(), bind_ip);
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to,
	    sizeof(to)) == -1) {
		perror("sendto");
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, timeout_ms) == 1) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n >= 7 && memcmp(buf, "SIP/2.0", 7) == 0)
			return 0;
		if (n < 0)
			return 1;	/* refused */
	}
	return 1;
}

/* Copies one header line ("Via: ...\r\n") of a request into out. */
static void
copy_header(const char *req, const char *name, char *out, size_t len)
{
	char key[64];
	const char *p, *e;
	size_t used = strlen(out);

	snprintf(key, sizeof(key), "\r\n%s:", name);
	for (p = strstr(req, key); p != NULL; p = strstr(e, key)) {
		p += 2;
		e = strstr(p, "\r\n");
		if (e == NULL)
			return;
		snprintf(out + used, len - used, "%.*s\r\n", (int)(e - p), p);
		used = strlen(out);
	}
}

static int
answer(const char *hp, const char *reply_ip)
{
	struct sockaddr_in me, from, rme;
	char ip[64], buf[4096], resp[4096], fip[64];
	int fd, rfd, port;

	if (split(hp, ip, sizeof(ip), &port) != 0 || addr(ip, port, &me))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1) {
		perror("bind");
		return 2;
	}
	rfd = fd;
	if (reply_ip != NULL) {
		if (addr(reply_ip, 0, &rme) != 0)
			return 2;
		rfd = socket(AF_INET, SOCK_DGRAM, 0);
		if (rfd == -1 || bind(rfd, (struct sockaddr *)&rme,
		    sizeof(rme)) == -1) {
			perror("bind");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
		    (struct sockaddr *)&from, &fl);

		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (memcmp(buf, "SIP/2.0", 7) == 0 ||
		    strncmp(buf, "ACK ", 4) == 0)
			continue;
		snprintf(resp, sizeof(resp), "SIP/2.0 200 OK\r\n");
		copy_header(buf, "Via", resp, sizeof(resp));
		copy_header(buf, "From", resp, sizeof(resp));
		copy_header(buf, "To", resp, sizeof(resp));
		copy_header(buf, "Call-ID", resp, sizeof(resp));
		copy_header(buf, "CSeq", resp, sizeof(resp));
		snprintf(resp + strlen(resp), sizeof(resp) - strlen(resp),
		    "Content-Length: 0\r\n\r\n");
		(void)sendto(rfd, resp, strlen(resp), 0,
		    (struct sockaddr *)&from, fl);
		inet_ntop(AF_INET, &from.sin_addr, fip, sizeof(fip));
		printf("%.*s from %s:%u\n", (int)strcspn(buf, " "), buf, fip,
		    ntohs(from.sin_port));
	}
}

static int
tcp_rounds(const char *bind_ip, const char *dest, int rounds, int interval_ms,
    int timeout_ms)
{
	struct sockaddr_in me, to;
	socklen_t ml = sizeof(me);
	char ip[64], msg[1024], buf[4096];
	int fd, port, r, bad = 0;

	if (split(dest, ip, sizeof(ip), &port) != 0 || addr(ip, port, &to) ||
	    addr(bind_ip, 0, &me))
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1)
		return 2;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1) {
		printf("refused (%s)\n", strerror(errno));
		return 3;
	}
	getsockname(fd, (struct sockaddr *)&me, &ml);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (r = 0; r < rounds; r++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = 0;

		if (r > 0)
			usleep((useconds_t)interval_ms * 1000);
		snprintf(msg, sizeof(msg),
		    "OPTIONS sip:%s:%d;transport=tcp SIP/2.0\r\n"
		    "Via: SIP/2.0/TCP %s:%u;branch=z9hG4bKtcp%d%d;rport\r\n"
		    "Max-Forwards: 10\r\n"
		    "From: <sip:probe@%s>;tag=t%d\r\n"
		    "To: <sip:%s:%d>\r\n"
		    "Call-ID: tcp-%d-%d@%s\r\n"
		    "CSeq: %d OPTIONS\r\n"
		    "Content-Length: 0\r\n\r\n", ip, port, bind_ip,
		    ntohs(me.sin_port), (int)getpid(), r, bind_ip, (int)getpid(),
		    ip, port, (int)getpid(), r, bind_ip, r + 1);
		if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) == -1) {
			printf("closed (%s)\n", strerror(errno));
			bad++;
			break;
		}
		if (poll(&pfd, 1, timeout_ms) == 1)
			n = recv(fd, buf, sizeof(buf), 0);
		else {
			printf("silent\n");
			bad++;
			continue;
		}
		if (n <= 0) {
			printf("closed (%s)\n", n == 0 ? "EOF" : strerror(errno));
			bad++;
			break;
		}
		printf("%s\n", n >= 7 && memcmp(buf, "SIP/2.0", 7) == 0 ?
		    "answered" : "garbage");
	}
	close(fd);
	return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "ask") == 0)
		return ask(argv[2], argv[3], atoi(argv[4]));
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "answer") == 0)
		return answer(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 7 && strcmp(argv[1], "tcp") == 0)
		return tcp_rounds(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]),
		    atoi(argv[6]));
	fprintf(stderr, "usage: gate_probe ask BIND_IP HOST:PORT TIMEOUT_MS\n"
	    "       gate_probe answer BIND_IP:PORT [REPLY_IP]\n"
	    "       gate_probe tcp BIND_IP HOST:PORT ROUNDS INTERVAL_MS "
	    "TIMEOUT_MS\n");
	return 2;
}
