/*
 * addr: one IP address with its protocol and port, as the proxy listens
 * on it, as the gate matches it and as an operator writes it.
 */
#ifndef MEMDIAG_LIB_ADDR_H
#define MEMDIAG_LIB_ADDR_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addr {
	int family;		/* AF_INET, AF_INET6 */
	int proto;		/* IPPROTO_UDP, IPPROTO_TCP; 0: any */
	uint8_t addr[16];	/* network order; 4 bytes for AF_INET */
	uint16_t port;		/* 0: any */
};

/* "IP:PORT", "[IPv6]:PORT", "IP" (port optional). 0, or -1 with err. */
int addr_parse(const char *s, bool port_required, struct addr *out,
    char *err, size_t errlen);
/* "udp:127.0.0.1:5060", "tcp:[::1]:5060", "127.0.0.2" (any port) */
void addr_str(const struct addr *, char *buf, size_t len);
/* 0.0.0.0 or :: */
bool addr_is_any(const struct addr *);
/* A socket's address; false for a family other than INET/INET6. */
bool addr_from_sockaddr(const struct sockaddr_storage *, int proto,
    struct addr *out);

#endif
