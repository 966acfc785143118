/*
 * Test call bookkeeping: the mix of flows, outcomes per flow and status
 * code, and latency percentiles.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls/callstat.h"
#include "lib/xmalloc.h"

#define CALLSTAT_MAX_WEIGHT 1000000

static const char *const callstat_flow_names[CALL_NFLOWS] = {
	"ok", "busy", "cancel", "register", "message",
};

const char *
callstat_flow_name(enum call_flow f)
{
	if ((int)f < 0 || f >= CALL_NFLOWS)
		return NULL;
	return callstat_flow_names[f];
}

int
callstat_mix_parse(struct callstat_mix *m, const char *text, char *err,
    size_t errlen)
{
	char *copy, *item, *save = NULL;
	unsigned total = 0;
	int f;

	memset(m, 0, sizeof(*m));
	if (text == NULL) {
		m->weight[CALL_FLOW_OK] = 1;
		return 0;
	}
	copy = xstrdup(text);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		unsigned long w = 1;

		if (colon != NULL) {
			char *end;

			*colon = '\0';
			w = strtoul(colon + 1, &end, 10);
			if (!isdigit((unsigned char)colon[1]) || *end != '\0' ||
			    w > CALLSTAT_MAX_WEIGHT) {
				snprintf(err, errlen, "--mix: weight of \"%s\" "
				    "is not a number from 0 to %d", item,
				    CALLSTAT_MAX_WEIGHT);
				free(copy);
				return -1;
			}
		}
		for (f = 0; f < CALL_NFLOWS; f++)
			if (strcmp(item, callstat_flow_names[f]) == 0)
				break;
		if (f == CALL_NFLOWS) {
			snprintf(err, errlen, "--mix: unknown flow \"%s\" "
			    "(ok, busy, cancel, register, message)", item);
			free(copy);
			return -1;
		}
		m->weight[f] += (unsigned)w;
		total += (unsigned)w;
	}
	free(copy);
	if (total == 0) {
		snprintf(err, errlen, "--mix: no flow with a weight above 0");
		return -1;
	}
	return 0;
}

const char *
callstat_mix_format(const struct callstat_mix *m, char *buf, size_t len)
{
	size_t off = 0;
	int f, n;

	buf[0] = '\0';
	for (f = 0; f < CALL_NFLOWS; f++) {
		if (m->weight[f] == 0)
			continue;
		n = snprintf(buf + off, len - off, "%s%s:%u", off ? "," : "",
		    callstat_flow_names[f], m->weight[f]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

enum call_flow
callstat_mix_next(struct callstat_mix *m)
{
	int f, best = -1, total = 0;

	for (f = 0; f < CALL_NFLOWS; f++) {
		if (m->weight[f] == 0)
			continue;
		m->current[f] += (int)m->weight[f];
		total += (int)m->weight[f];
		if (best == -1 || m->current[f] > m->current[best])
			best = f;
	}
	if (best == -1)
		return CALL_FLOW_OK;
	m->current[best] -= total;
	return (enum call_flow)best;
}

void
callstat_init(struct callstat *s)
{
	memset(s, 0, sizeof(*s));
}

void
callstat_clear(struct callstat *s)
{
	free(s->latency_ms);
	memset(s, 0, sizeof(*s));
}

void
callstat_placed(struct callstat *s, enum call_flow f)
{
	s->flow[f].placed++;
}

void
callstat_outcome(struct callstat *s, enum call_flow f,
    enum callstat_outcome o, int code)
{
	switch (o) {
	case CALLSTAT_COMPLETED:
		s->flow[f].completed++;
		break;
	case CALLSTAT_TIMEOUT:
		s->flow[f].timeout++;
		break;
	case CALLSTAT_FAILED:
		if (code < 0 || code >= CALLSTAT_CODES)
			code = 0;
		s->flow[f].failed[code]++;
		break;
	}
}

void
callstat_latency(struct callstat *s, double ms)
{
	if (s->nlatency == s->latcap) {
		s->latcap = s->latcap ? 2 * s->latcap : 256;
		s->latency_ms = xreallocarray(s->latency_ms, s->latcap,
		    sizeof(double));
	}
	s->latency_ms[s->nlatency++] = ms;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double
percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void
callstat_totals(struct callstat *s, struct callstat_totals *t)
{
	int f, c;

	memset(t, 0, sizeof(*t));
	for (f = 0; f < CALL_NFLOWS; f++) {
		t->placed += s->flow[f].placed;
		t->completed += s->flow[f].completed;
		t->timeout += s->flow[f].timeout;
		for (c = 0; c < CALLSTAT_CODES; c++)
			t->failed += s->flow[f].failed[c];
	}
	t->nlatency = s->nlatency;
	if (s->nlatency == 0)
		return;
	qsort(s->latency_ms, s->nlatency, sizeof(double), cmp_double);
	t->min = s->latency_ms[0];
	t->max = s->latency_ms[s->nlatency - 1];
	t->p50 = percentile(s->latency_ms, s->nlatency, 50);
	t->p99 = percentile(s->latency_ms, s->nlatency, 99);
}

static json_t *
failed_json(const uint64_t *failed)
{
	json_t *o = json_object();
	char code[8];
	int c;

	for (c = 0; c < CALLSTAT_CODES; c++) {
		if (failed[c] == 0)
			continue;
		snprintf(code, sizeof(code), "%d", c);
		json_object_set_new(o, code, json_integer((json_int_t)failed[c]));
	}
	return o;
}

static json_t *
ms_json(size_t n, double v)
{
	return n > 0 ? json_real((double)(long long)(v * 1000 + 0.5) / 1000) :
	    json_null();
}

json_t *
callstat_json(struct callstat *s, const struct callstat_mix *m)
{
	struct callstat_totals t;
	uint64_t failed[CALLSTAT_CODES] = { 0 };
	json_t *root, *flows;
	char mix[128];
	int f, c;

	callstat_totals(s, &t);
	flows = json_object();
	for (f = 0; f < CALL_NFLOWS; f++) {
		const struct callstat_flow *fl = &s->flow[f];

		for (c = 0; c < CALLSTAT_CODES; c++)
			failed[c] += fl->failed[c];
		if (m->weight[f] == 0 && fl->placed == 0)
			continue;
		json_object_set_new(flows, callstat_flow_names[f],
		    json_pack("{s:I, s:I, s:o, s:I}",
		    "placed", (json_int_t)fl->placed,
		    "completed", (json_int_t)fl->completed,
		    "failed", failed_json(fl->failed),
		    "timeout", (json_int_t)fl->timeout));
	}
	root = json_pack("{s:I, s:I, s:o, s:I, s:{s:o, s:o, s:o, s:o}, s:s, "
	    "s:o}",
	    "placed", (json_int_t)t.placed,
	    "completed", (json_int_t)t.completed,
	    "failed", failed_json(failed),
	    "timeout", (json_int_t)t.timeout,
	    "latency_ms",
	    "min", ms_json(t.nlatency, t.min),
	    "p50", ms_json(t.nlatency, t.p50),
	    "p99", ms_json(t.nlatency, t.p99),
	    "max", ms_json(t.nlatency, t.max),
	    "mix", callstat_mix_format(m, mix, sizeof(mix)),
	    "flows", flows);
	return root;
}
