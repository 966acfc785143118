/*
 * Digest authentication for test calls in registered mode (RFC 2617 and
 * 3261 22.4): the response to a 401/407's challenge, MD5 from nettle.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "calls/sipmsg.h"
#include "lib/xmalloc.h"

static void
md5_hex(const char *const parts[], char out[33])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[MD5_DIGEST_SIZE];
	struct md5_ctx ctx;
	int i;

	md5_init(&ctx);
	for (i = 0; parts[i] != NULL; i++) {
		if (i > 0)
			md5_update(&ctx, 1, (const uint8_t *)":");
		md5_update(&ctx, strlen(parts[i]),
		    (const uint8_t *)parts[i]);
	}
	md5_digest(&ctx, sizeof(d), d);
	for (i = 0; i < MD5_DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
}

void
sipmsg_digest_response(const char *user, const char *realm,
    const char *password, const char *method, const char *uri,
    const char *nonce, const char *nc, const char *cnonce, const char *qop,
    char out[33])
{
	char ha1[33], ha2[33];

	md5_hex((const char *const[]){ user, realm, password, NULL }, ha1);
	md5_hex((const char *const[]){ method, uri, NULL }, ha2);
	if (qop != NULL)
		md5_hex((const char *const[]){ ha1, nonce, nc, cnonce, qop, ha2,
		    NULL }, out);
	else
		md5_hex((const char *const[]){ ha1, nonce, ha2, NULL }, out);
}

/* A challenge parameter without its quotes; caller frees. */
static char *
unquote(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* Whether a qop-options list offers "auth" (not only auth-int). */
static bool
qop_offers_auth(const char *opts)
{
	const char *p = opts;

	while ((p = strstr(p, "auth")) != NULL) {
		bool start = p == opts || !isalnum((unsigned char)p[-1]);
		bool end = !isalnum((unsigned char)p[4]) && p[4] != '-';

		if (start && end)
			return true;
		p += 4;
	}
	return false;
}

char *
sipmsg_authorization_new(const osip_message_t *resp, const char *method,
    const char *uri, const char *user, const char *password)
{
	osip_www_authenticate_t *wa = NULL;
	char *realm, *nonce, *opaque, *qopts, *algo, *line = NULL;
	char resp_hex[33], cnonce[SIPMSG_TOKEN_MAX], opq[256] = "";
	const char *hname;
	bool qop;

	if (resp->status_code == 401) {
		hname = "Authorization";
		osip_message_get_www_authenticate(resp, 0, &wa);
	} else if (resp->status_code == 407) {
		hname = "Proxy-Authorization";
		osip_message_get_proxy_authenticate(resp, 0, &wa);
	} else
		return NULL;
	if (wa == NULL || wa->auth_type == NULL ||
	    osip_strcasecmp(wa->auth_type, "Digest") != 0 ||
	    wa->realm == NULL || wa->nonce == NULL)
		return NULL;
	algo = unquote(wa->algorithm);
	if (algo != NULL && osip_strcasecmp(algo, "MD5") != 0) {
		free(algo);
		return NULL;
	}
	free(algo);
	realm = unquote(wa->realm);
	nonce = unquote(wa->nonce);
	opaque = unquote(wa->opaque);
	qopts = unquote(wa->qop_options);
	qop = qopts != NULL && qop_offers_auth(qopts);
	sipmsg_token(cnonce, sizeof(cnonce));
	sipmsg_digest_response(user, realm, password, method, uri, nonce,
	    "00000001", cnonce, qop ? "auth" : NULL, resp_hex);
	if (opaque != NULL)
		snprintf(opq, sizeof(opq), ", opaque=\"%s\"", opaque);
	if (qop)
		xasprintf(&line, "%s: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5, "
		    "cnonce=\"%s\", qop=auth, nc=00000001%s\r\n", hname, user,
		    realm, nonce, uri, resp_hex, cnonce, opq);
	else
		xasprintf(&line, "%s: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		    "algorithm=MD5%s\r\n", hname, user, realm, nonce, uri,
		    resp_hex, opq);
	free(realm);
	free(nonce);
	free(opaque);
	free(qopts);
	return line;
}
