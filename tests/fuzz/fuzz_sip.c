/*
 * Fuzz target for the SIP message path: datagrams (the input split at NUL
 * bytes) go through parsing, the checks, transaction matching and the
 * call engine's hooks, as if the proxy had sent them. Each input gets a
 * fresh engine whose proxy is the discard port, so answers go nowhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "calls/call.h"
#include "calls/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct call_conf conf = { .proxy = "127.0.0.1:9" };
	struct event_base *base = event_base_new();
	struct call_engine *e;
	size_t off = 0;
	int status;

	if ((e = call_engine_new(base, &conf, &status)) == NULL) {
		event_base_free(base);
		return 0;
	}
	while (off < size) {
		const uint8_t *nul = memchr(data + off, 0, size - off);
		size_t n = nul != NULL ? (size_t)(nul - data) - off : size - off;

		sip_input(call_engine_sip(e), (const char *)data + off, n);
		event_base_loop(base, EVLOOP_NONBLOCK);
		off += n + 1;
	}
	call_engine_free(e);
	event_base_free(base);
	return 0;
}
