/*
 * Addresses as an operator writes them and as memdiag prints them, one
 * format for the proxy's listening addresses, the gate's lists and the
 * configuration.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

int
addr_parse(const char *s, bool port_required, struct addr *out,
    char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon, *h = s;
	size_t hl;
	long port = 0;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL)
			goto bad;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		goto bad;
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || *end != '\0' ||
		    port < 1 || port > 65535)
			goto bad;
	} else if (port_required)
		goto bad;
	out->port = (uint16_t)port;
	return 0;
bad:
	snprintf(err, errlen, "\"%s\": expected %s", s, port_required ?
	    "IP:PORT or [IPv6]:PORT" : "IP, IP:PORT or [IPv6]:PORT");
	return -1;
}

bool
addr_is_any(const struct addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16) == 0;
}

void
addr_str(const struct addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	const char *proto = a->proto == IPPROTO_TCP ? "tcp:" :
	    a->proto == IPPROTO_UDP ? "udp:" : "";

	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	if (a->port == 0)
		snprintf(buf, len, "%s%s", proto, ip);
	else
		snprintf(buf, len, a->family == AF_INET6 ? "%s[%s]:%u" :
		    "%s%s:%u", proto, ip, a->port);
}

bool
addr_from_sockaddr(const struct sockaddr_storage *ss, int proto,
    struct addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = ss->ss_family;
	out->proto = proto;
	if (out->family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		memcpy(out->addr, &sin->sin_addr, 4);
		out->port = ntohs(sin->sin_port);
	} else if (out->family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		memcpy(out->addr, &s6->sin6_addr, 16);
		out->port = ntohs(s6->sin6_port);
	} else
		return false;
	return true;
}
