/* The UDP socket under the SIP engine (sip.c's only). */
#ifndef MEMDIAG_SIP_UDP_H
#define MEMDIAG_SIP_UDP_H

#include <sys/socket.h>

#include <netinet/in.h>

#define SIP_HOST_MAX (INET6_ADDRSTRLEN + 2)

struct sip_udp {
	int fd;
	struct sockaddr_storage local;
	socklen_t locallen;
	char local_host[SIP_HOST_MAX];	/* [v6] in brackets, as in URIs */
	char proxy_host[SIP_HOST_MAX];
	unsigned local_port, proxy_port;
};

/*
 * Resolves "HOST:PORT" (or "[V6]:PORT") once and connects a non-blocking
 * socket to it. Returns 0, or 64 (malformed) or 69 (unreachable) after
 * saying why.
 */
int sip_udp_open(struct sip_udp *, const char *proxy);

#endif
