/*
 * The SIP engine's transport: one UDP socket connect()ed to the proxy.
 * Connected, it hears only the proxy (the kernel drops everyone else's
 * datagrams) and learns of a dead port through ICMP at once.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/util.h>

#include "calls/sip_udp.h"
#include "lib/exitcodes.h"
#include "lib/log.h"

#define SIP_RCVBUF (4 * 1024 * 1024)

static void
sip_format_host(const struct sockaddr *sa, char *host, size_t len,
    unsigned *port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(host, len, "[%s]", a);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(host, len, "%s", a);
		*port = ntohs(s4->sin_port);
	}
}

/* HOST:PORT or [V6]:PORT into a resolved address. */
static int
sip_resolve(const char *proxy, struct addrinfo **res)
{
	struct addrinfo hints;
	char host[256];
	const char *colon, *port;
	size_t hl;

	if (proxy[0] == '[') {
		const char *end = strchr(proxy, ']');

		if (end == NULL || end[1] != ':')
			return EX_MD_USAGE;
		hl = (size_t)(end - proxy - 1);
		port = end + 2;
		proxy++;
	} else {
		if ((colon = strrchr(proxy, ':')) == NULL)
			return EX_MD_USAGE;
		hl = (size_t)(colon - proxy);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host) || *port == '\0' ||
	    strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535)
		return EX_MD_USAGE;
	memcpy(host, proxy, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	if (getaddrinfo(host, port, &hints, res) != 0)
		return EX_MD_UNAVAILABLE;
	return EX_MD_OK;
}

int
sip_udp_open(struct sip_udp *s, const char *proxy)
{
	struct addrinfo *res = NULL;
	int rc, rcvbuf = SIP_RCVBUF;

	if ((rc = sip_resolve(proxy, &res)) != EX_MD_OK) {
		if (rc == EX_MD_USAGE)
			log_warnx("--proxy %s: expected HOST:PORT", proxy);
		else
			log_warnx("--proxy %s: cannot resolve the host", proxy);
		return rc;
	}
	sip_format_host(res->ai_addr, s->proxy_host, sizeof(s->proxy_host),
	    &s->proxy_port);
	s->fd = socket(res->ai_family, SOCK_DGRAM, IPPROTO_UDP);
	if (s->fd == -1 || connect(s->fd, res->ai_addr, res->ai_addrlen) == -1) {
		log_warn("UDP socket towards %s", proxy);
		if (s->fd != -1)
			close(s->fd);
		freeaddrinfo(res);
		return EX_MD_UNAVAILABLE;
	}
	freeaddrinfo(res);
	evutil_make_socket_nonblocking(s->fd);
	evutil_make_socket_closeonexec(s->fd);
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	s->locallen = sizeof(s->local);
	if (getsockname(s->fd, (struct sockaddr *)&s->local, &s->locallen) ==
	    -1) {
		log_warn("getsockname");
		close(s->fd);
		return EX_MD_INTERNAL;
	}
	sip_format_host((struct sockaddr *)&s->local, s->local_host,
	    sizeof(s->local_host), &s->local_port);
	return EX_MD_OK;
}

